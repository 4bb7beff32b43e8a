# METADATA
# title: Evidence no older than the limit
# description: >-
#   Denies evidence generated more than evidence.max_age_hours before the decision (input.now),
#   and evidence dated more than five minutes in the future.
# custom:
#   id: evidence-age
package hallmark.rules.evidence_age

import data.hallmark.lib

id := "evidence-age"

p := lib.params("evidence")

age_ns := lib.now_ns - time.parse_rfc3339_ns(input.generated_at)

deny contains v if {
	lib.enabled(id)
	age_ns > p.max_age_hours * lib.hour_ns
	msg := sprintf("the evidence is %v hours old (at most %v allowed)", [floor(age_ns / lib.hour_ns), p.max_age_hours])
	v := lib.violation(id, msg, "medium", "gather the evidence again (hallmark gate TARGET) before deciding", input.subject.name)
}

deny contains v if {
	lib.enabled(id)
	age_ns < -5 * 60 * 1000000000
	msg := sprintf("the evidence is dated %s, after the decision time %s", [input.generated_at, input.now])
	v := lib.violation(id, msg, "medium", "check the clock of the machine that gathered the evidence", input.subject.name)
}
