package hallmark.rules.bad

deny contains msg if {
	msg := input.x +
}
