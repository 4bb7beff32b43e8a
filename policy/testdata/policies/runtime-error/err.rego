package hallmark.rules.broken

# Divides by the number of packages: an empty inventory is a run-time error.
deny contains msg if {
	ratio := 10 / count(input.inventory.packages)
	ratio > 100
	msg := "unreachable"
}
