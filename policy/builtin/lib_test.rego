package hallmark.rules_test.lib

import data.hallmark.lib

test_allow_severity_order if {
	lib.at_least("critical", "high")
	lib.at_least("HIGH", "high")
	not lib.at_least("medium", "high")
	not lib.at_least("bogus", "low")
}

test_allow_params_merge_config if {
	p := lib.params("vulnerabilities") with data.hallmark.config as {"vulnerabilities": {"grace_days": 7}}
	p.grace_days == 7
	p.severity == "high"
}

test_deny_disabled_rule_is_not_enabled if {
	not lib.enabled("vuln-kev") with data.hallmark.config as {"disabled": ["vuln-kev"]}
	lib.enabled("vuln-fixable") with data.hallmark.config as {"disabled": ["vuln-kev"]}
}

test_allow_parse_time_date_and_rfc3339 if {
	lib.parse_time_ns("2024-01-02") == time.parse_rfc3339_ns("2024-01-02T00:00:00Z")
	lib.parse_time_ns("2024-01-02T03:04:05Z") == time.parse_rfc3339_ns("2024-01-02T03:04:05Z")
}
