package hallmark.rules_test.broken

import data.hallmark.rules.broken

# Errors: the rule divides by zero for an empty inventory, and built-in errors are raised.
test_deny_empty_inventory if {
	count(broken.deny) == 0 with input as {"inventory": {"packages": []}}
}
