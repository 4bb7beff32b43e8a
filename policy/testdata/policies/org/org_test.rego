package hallmark.rules_test.org

import data.hallmark.rules.org.labels
import data.hallmark.rules.org.nonroot

test_deny_root if {
	count(nonroot.deny) == 1 with input as {"image_config": {"user": ""}, "subject": {"name": "x"}}
}

test_allow_nonroot if {
	count(nonroot.deny) == 0 with input as {"image_config": {"user": "65532"}, "subject": {"name": "x"}}
}

test_allow_disabled_by_config if {
	count(nonroot.deny) == 0 with input as {"image_config": {"user": ""}, "subject": {"name": "x"}}
		with data.hallmark.config as {"disabled": ["org-nonroot"]}
}

test_deny_missing_source_label if {
	labels.deny == {"the image has no org.opencontainers.image.source label"} with input as {"image_config": {"labels": {}}}
}
