package hallmark.rules_test.image_digest

import data.hallmark.rules.image_digest
import data.hallmark.rules_test.fixtures as fx

test_allow_by_digest if {
	count(image_digest.deny) == 0 with input as fx.base
}

test_deny_by_tag if {
	inp := fx.input_with({"subject": {"image": {"reference": "ghcr.io/acme/app:1.0", "tag": "1.0", "referenced_by": "tag"}}})
	vs := image_digest.deny with input as inp
	some v in vs
	contains(v.remediation, sprintf("ghcr.io/acme/app@%s", [fx.digest]))
}

test_allow_by_tag_when_not_required if {
	inp := fx.input_with({"subject": {"image": {"reference": "ghcr.io/acme/app:1.0", "tag": "1.0", "referenced_by": "tag"}}})
	count(image_digest.deny) == 0 with input as inp with data.hallmark.config as {"images": {"require_digest": false}}
}
