package hallmark.rules.shape

# deny must be a set; a complete rule is a mistake the engine must not read as "no violation".
deny := "everything"
