package hallmark.rules_test.sbom_ntia

import data.hallmark.rules.sbom_ntia
import data.hallmark.rules_test.fixtures as fx

lacking := fx.input_with({"sbom": {"author": "", "components": [
	{"component": "pkg:npm/a@1", "supplier": false, "name": true, "version": true, "unique_id": true, "relationships": false},
	{"component": "pkg:npm/b@1", "supplier": true, "name": true, "version": true, "unique_id": true, "relationships": true},
]}})

test_allow_complete_sbom if {
	count(sbom_ntia.deny) == 0 with input as fx.base with data.hallmark.config as {"sbom": {"ntia": "deny"}}
	count(sbom_ntia.warn) == 0 with input as fx.base
}

test_allow_incomplete_sbom_warns_by_default if {
	count(sbom_ntia.deny) == 0 with input as lacking
	ws := sbom_ntia.warn with input as lacking
	count(ws) == 3
	some w in ws
	w.msg == "1 of 2 components lack the NTIA element \"supplier\" (e.g. pkg:npm/a@1)"
}

test_deny_incomplete_sbom_when_enforced if {
	vs := sbom_ntia.deny with input as lacking with data.hallmark.config as {"sbom": {"ntia": "deny"}}
	count(vs) == 3
	some v in vs
	v.msg == "the SBOM names no author"
}

test_deny_only_listed_elements if {
	cfg := {"sbom": {"ntia": "deny", "ntia_elements": ["relationships"]}}
	count(sbom_ntia.deny) == 1 with input as lacking with data.hallmark.config as cfg
}

test_allow_off if {
	count(sbom_ntia.deny) + count(sbom_ntia.warn) == 0 with input as lacking with data.hallmark.config as {"sbom": {"ntia": "off"}}
}

test_deny_missing_timestamp if {
	inp := json.remove(fx.base, ["sbom/timestamp"])
	vs := sbom_ntia.deny with input as inp with data.hallmark.config as {"sbom": {"ntia": "deny"}}
	some v in vs
	v.msg == "the SBOM has no timestamp"
}
