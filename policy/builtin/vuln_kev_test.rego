package hallmark.rules_test.vuln_kev

import data.hallmark.rules.vuln_kev
import data.hallmark.rules_test.fixtures as fx

test_allow_not_in_kev if {
	count(vuln_kev.deny) == 0 with input as fx.with_finding({})
}

test_deny_kev_even_low_without_fix if {
	vs := vuln_kev.deny with input as fx.with_finding({"kev": true, "kev_date_added": "2024-02-01", "severity": "low", "fixed_versions": []})
	count(vs) == 1
	some v in vs
	v.severity == "critical"
	contains(v.msg, "added 2024-02-01")
	contains(v.remediation, "no fixed version")
}

test_allow_kev_suppressed if {
	count(vuln_kev.deny) == 0 with input as fx.with_finding({"kev": true, "suppressed": true})
}

test_allow_kev_exempted if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "CVE-2024-0001", "expires": "2024-06-02T00:00:00Z"}]}}
	count(vuln_kev.deny) == 0 with input as fx.with_finding({"kev": true}) with data.hallmark.config as cfg
}

test_deny_kev_exemption_expired if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "CVE-2024-0001", "expires": "2024-06-01T11:59:59Z"}]}}
	count(vuln_kev.deny) == 1 with input as fx.with_finding({"kev": true}) with data.hallmark.config as cfg
	count(vuln_kev.warn) == 1 with input as fx.with_finding({"kev": true}) with data.hallmark.config as cfg
}
