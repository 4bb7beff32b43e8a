package hallmark.rules_test.provenance_trusted

import data.hallmark.rules.provenance_trusted
import data.hallmark.rules_test.fixtures as fx

trusted := {"provenance": {
	"required": true,
	"trusted_builders": ["https://github.com/actions/runner/github-hosted"],
	"allowed_repos": ["https://github.com/acme/*"],
}}

test_allow_trusted_builder_and_repo if {
	count(provenance_trusted.deny) == 0 with input as fx.base with data.hallmark.config as trusted
}

test_deny_missing_when_required if {
	vs := provenance_trusted.deny with input as fx.input_with({"provenance": []}) with data.hallmark.config as trusted
	some v in vs
	contains(v.msg, "no verified SLSA provenance")
}

test_allow_missing_when_not_required_warns if {
	count(provenance_trusted.deny) == 0 with input as fx.input_with({"provenance": []})
	count(provenance_trusted.warn) == 1 with input as fx.input_with({"provenance": []})
}

test_deny_untrusted_builder if {
	inp := fx.input_with({"provenance": [object.union(fx.base.provenance[0], {"builder_id": "https://evil.example/builder"})]})
	vs := provenance_trusted.deny with input as inp with data.hallmark.config as trusted
	some v in vs
	contains(v.msg, "builder https://evil.example/builder is not trusted")
}

test_deny_repo_not_allowed if {
	inp := fx.input_with({"provenance": [object.union(fx.base.provenance[0], {"source_repo": "https://github.com/acme-fork/app"})]})
	vs := provenance_trusted.deny with input as inp with data.hallmark.config as trusted
	some v in vs
	contains(v.msg, "source repository https://github.com/acme-fork/app is not allowed")
}

test_deny_glob_does_not_cross_segments if {
	inp := fx.input_with({"provenance": [object.union(fx.base.provenance[0], {"source_repo": "https://github.com/acme/app/extra"})]})
	count(provenance_trusted.deny) == 1 with input as inp with data.hallmark.config as trusted
}

test_deny_dirty_tree if {
	inp := fx.input_with({"provenance": [object.union(fx.base.provenance[0], {"dirty": true})]})
	count(provenance_trusted.deny) == 1 with input as inp with data.hallmark.config as trusted
}

test_allow_dirty_when_allowed if {
	inp := fx.input_with({"provenance": [object.union(fx.base.provenance[0], {"dirty": true})]})
	cfg := object.union(trusted, {"provenance": {"allow_dirty": true}})
	count(provenance_trusted.deny) == 0 with input as inp with data.hallmark.config as cfg
}

test_allow_one_acceptable_among_several if {
	bad := object.union(fx.base.provenance[0], {"builder_id": "https://evil.example/builder"})
	inp := fx.input_with({"provenance": [bad, fx.base.provenance[0]]})
	count(provenance_trusted.deny) == 0 with input as inp with data.hallmark.config as trusted
}
