package hallmark.rules_test.vuln_fixable

import data.hallmark.rules.vuln_fixable
import data.hallmark.rules_test.fixtures as fx

test_allow_no_findings if {
	count(vuln_fixable.deny) == 0 with input as fx.base
}

test_deny_fixable_high if {
	vs := vuln_fixable.deny with input as fx.with_finding({})
	count(vs) == 1
	some v in vs
	v.rule_id == "vuln-fixable"
	v.severity == "high"
	v.resource == "pkg:pypi/requests@2.19.0"
	contains(v.msg, "CVE-2024-0001")
	contains(v.remediation, "2.20.0")
}

test_deny_critical_above_threshold if {
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({"severity": "critical"})
}

test_allow_below_threshold if {
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({"severity": "medium"})
}

test_deny_lowered_threshold if {
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({"severity": "medium"})
		with data.hallmark.config as {"vulnerabilities": {"severity": "medium"}}
}

test_allow_no_fix if {
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({"fixed_versions": []})
}

test_allow_suppressed_by_vex if {
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({"suppressed": true, "suppression": {"kind": "vex", "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}})
}

test_allow_within_grace_period_warns if {
	# Published 2024-05-30, decision 2024-06-01, 7 days of grace.
	cfg := {"vulnerabilities": {"grace_days": 7}}
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({"published": "2024-05-30T00:00:00Z"}) with data.hallmark.config as cfg
	ws := vuln_fixable.warn with input as fx.with_finding({"published": "2024-05-30T00:00:00Z"}) with data.hallmark.config as cfg
	some w in ws
	contains(w.msg, "grace period ends on 2024-06-06")
}

test_deny_after_grace_period if {
	cfg := {"vulnerabilities": {"grace_days": 7}}
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({"published": "2024-05-01T00:00:00Z"}) with data.hallmark.config as cfg
}

test_allow_grace_counts_from_first_seen if {
	cfg := {"vulnerabilities": {"grace_days": 7}}
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({"published": "2020-01-01T00:00:00Z", "first_seen": "2024-05-31T00:00:00Z"}) with data.hallmark.config as cfg
}

test_deny_grace_without_dates if {
	cfg := {"vulnerabilities": {"grace_days": 7}}
	inp := fx.input_with({"findings": [object.remove(fx.finding, ["published"])]})
	count(vuln_fixable.deny) == 1 with input as inp with data.hallmark.config as cfg
}

test_allow_exemption_by_alias if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "GHSA-aaaa-bbbb-cccc", "expires": "2024-07-01", "reason": "mitigated by WAF"}]}}
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({}) with data.hallmark.config as cfg
}

test_deny_exemption_for_other_package if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "CVE-2024-0001", "package": "urllib3", "expires": "2024-07-01"}]}}
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({}) with data.hallmark.config as cfg
}

test_deny_expired_exemption_warns if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "CVE-2024-0001", "package": "requests", "expires": "2024-05-31"}]}}
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({}) with data.hallmark.config as cfg
	ws := vuln_fixable.warn with input as fx.with_finding({}) with data.hallmark.config as cfg
	some w in ws
	contains(w.msg, "expired on 2024-05-31")
}

test_deny_exemption_without_expiry_is_ignored if {
	cfg := {"vulnerabilities": {"exemptions": [{"id": "CVE-2024-0001"}]}}
	count(vuln_fixable.deny) == 1 with input as fx.with_finding({}) with data.hallmark.config as cfg
}

test_allow_disabled if {
	count(vuln_fixable.deny) == 0 with input as fx.with_finding({}) with data.hallmark.config as {"disabled": ["vuln-fixable"]}
}
