package hallmark.rules_test.sbom_present

import data.hallmark.rules.sbom_present
import data.hallmark.rules_test.fixtures as fx

test_allow_generated_sbom if {
	count(sbom_present.deny) == 0 with input as fx.base
}

test_deny_no_sbom if {
	vs := sbom_present.deny with input as fx.input_with({"sbom": {"present": false}})
	some v in vs
	contains(v.msg, "has no SBOM")
}

test_deny_source_not_accepted if {
	count(sbom_present.deny) == 1 with input as fx.base
		with data.hallmark.config as {"sbom": {"accepted_sources": ["attestation"]}}
}

test_allow_not_required if {
	count(sbom_present.deny) == 0 with input as fx.input_with({"sbom": {"present": false}})
		with data.hallmark.config as {"sbom": {"required": false}}
}
