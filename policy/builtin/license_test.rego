package hallmark.rules_test.license

import data.hallmark.rules.license
import data.hallmark.rules_test.fixtures as fx

lic(expr, choices) := fx.input_with({"licenses": [{
	"package": "pkg@1.0", "purl": "pkg:npm/pkg@1.0", "expression": expr,
	"valid": true, "choices": choices,
}]})

mit := {"license": "MIT"}

apache := {"license": "Apache-2.0"}

gpl3 := {"license": "GPL-3.0-only"}

gpl2cp := {"license": "GPL-2.0-only", "exception": "Classpath-exception-2.0"}

allow_permissive := {"licenses": {"allowed": ["MIT", "Apache-2.0"]}}

deny_gpl := {"licenses": {"denied": ["GPL-3.0-only", "GPL-2.0-only"]}}

test_allow_inactive_without_lists if {
	count(license.deny) + count(license.warn) == 0 with input as lic("GPL-3.0-only", [[gpl3]])
}

test_allow_on_allow_list if {
	count(license.deny) == 0 with input as fx.base with data.hallmark.config as allow_permissive
}

test_deny_not_on_allow_list if {
	vs := license.deny with input as lic("GPL-3.0-only", [[gpl3]]) with data.hallmark.config as allow_permissive
	some v in vs
	contains(v.msg, "not on the allow list")
	v.resource == "pkg:npm/pkg@1.0"
}

test_allow_or_any_branch if {
	# MIT OR GPL-3.0-only
	count(license.deny) == 0 with input as lic("MIT OR GPL-3.0-only", [[mit], [gpl3]]) with data.hallmark.config as allow_permissive
	count(license.deny) == 0 with input as lic("MIT OR GPL-3.0-only", [[mit], [gpl3]]) with data.hallmark.config as deny_gpl
}

test_deny_and_needs_all if {
	# MIT AND GPL-3.0-only
	count(license.deny) == 1 with input as lic("MIT AND GPL-3.0-only", [[mit, gpl3]]) with data.hallmark.config as allow_permissive
	vs := license.deny with input as lic("MIT AND GPL-3.0-only", [[mit, gpl3]]) with data.hallmark.config as deny_gpl
	some v in vs
	contains(v.msg, "denied: GPL-3.0-only")
}

test_allow_and_all_allowed if {
	count(license.deny) == 0 with input as lic("MIT AND Apache-2.0", [[mit, apache]]) with data.hallmark.config as allow_permissive
}

test_deny_with_exception_base_denied if {
	count(license.deny) == 1 with input as lic("GPL-2.0-only WITH Classpath-exception-2.0", [[gpl2cp]]) with data.hallmark.config as deny_gpl
}

test_allow_with_exception_listed if {
	cfg := {"licenses": {"allowed": ["GPL-2.0-only WITH Classpath-exception-2.0"]}}
	count(license.deny) == 0 with input as lic("GPL-2.0-only WITH Classpath-exception-2.0", [[gpl2cp]]) with data.hallmark.config as cfg
}

test_allow_case_insensitive if {
	count(license.deny) == 0 with input as fx.base with data.hallmark.config as {"licenses": {"allowed": ["mit"]}}
}

unknown := fx.input_with({"licenses": [{"package": "x@1", "expression": "BSD", "valid": false, "error": "not an SPDX licence identifier", "choices": []}]})

test_allow_unknown_warns_by_default if {
	count(license.deny) == 0 with input as unknown with data.hallmark.config as allow_permissive
	ws := license.warn with input as unknown with data.hallmark.config as allow_permissive
	some w in ws
	contains(w.msg, "1 package(s) declare no valid SPDX licence expression (e.g. x@1)")
}

test_deny_unknown_when_configured if {
	cfg := {"licenses": {"allowed": ["MIT"], "unknown": "deny"}}
	count(license.deny) == 1 with input as unknown with data.hallmark.config as cfg
}
