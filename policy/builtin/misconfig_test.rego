package hallmark.rules_test.misconfig

import data.hallmark.rules.misconfig
import data.hallmark.rules_test.fixtures as fx

result(sev) := {"rule_id": "KSV-RUN-AS-ROOT", "severity": sev, "message": "container runs as root", "file": "deploy/app.yaml", "line": 12}

test_allow_none if {
	count(misconfig.deny) + count(misconfig.warn) == 0 with input as fx.base
}

test_deny_high if {
	vs := misconfig.deny with input as fx.input_with({"misconfig": [result("high")]})
	some v in vs
	v.resource == "deploy/app.yaml:12"
	v.msg == "KSV-RUN-AS-ROOT: container runs as root"
}

test_deny_uses_given_remediation if {
	r := object.union(result("critical"), {"remediation": "set privileged: false"})
	vs := misconfig.deny with input as fx.input_with({"misconfig": [r]})
	some v in vs
	v.remediation == "set privileged: false"
	v.severity == "critical"
}

test_allow_medium_warns if {
	count(misconfig.deny) == 0 with input as fx.input_with({"misconfig": [result("medium")]})
	count(misconfig.warn) == 1 with input as fx.input_with({"misconfig": [result("medium")]})
}

test_deny_medium_with_lower_threshold if {
	count(misconfig.deny) == 1 with input as fx.input_with({"misconfig": [result("medium")]})
		with data.hallmark.config as {"misconfig": {"severity": "medium"}}
}
