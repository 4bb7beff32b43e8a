package hallmark.rules_test.limit

import data.hallmark.rules.limit

test_allow_two if {
	count(limit.deny) == 0 with input as {"inventory": {"packages": [1, 2]}}
}

# Wrong on purpose: three packages are denied.
test_allow_three if {
	count(limit.deny) == 0 with input as {"inventory": {"packages": [1, 2, 3]}}
}
