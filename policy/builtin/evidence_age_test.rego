package hallmark.rules_test.evidence_age

import data.hallmark.rules.evidence_age
import data.hallmark.rules_test.fixtures as fx

test_allow_fresh if {
	count(evidence_age.deny) == 0 with input as fx.base
}

test_deny_stale if {
	vs := evidence_age.deny with input as fx.input_with({"generated_at": "2024-05-30T11:00:00Z"})
	some v in vs
	v.msg == "the evidence is 49 hours old (at most 24 allowed)"
}

test_allow_longer_limit if {
	count(evidence_age.deny) == 0 with input as fx.input_with({"generated_at": "2024-05-30T11:00:00Z"})
		with data.hallmark.config as {"evidence": {"max_age_hours": 72}}
}

test_deny_future if {
	vs := evidence_age.deny with input as fx.input_with({"generated_at": "2024-06-01T13:00:00Z"})
	some v in vs
	contains(v.msg, "after the decision time")
}

test_allow_small_clock_skew if {
	count(evidence_age.deny) == 0 with input as fx.input_with({"generated_at": "2024-06-01T12:04:00Z"})
}
