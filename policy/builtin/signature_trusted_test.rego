package hallmark.rules_test.signature_trusted

import data.hallmark.rules.signature_trusted
import data.hallmark.rules_test.fixtures as fx

keyless := {"kind": "signature", "signer": {
	"kind": "certificate",
	"identity": "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0",
	"issuer": "https://token.actions.githubusercontent.com",
}, "tlog": []}

test_allow_any_verified_signature_without_trust_lists if {
	count(signature_trusted.deny) == 0 with input as fx.base
}

test_deny_unsigned_image if {
	vs := signature_trusted.deny with input as fx.input_with({"signatures": []})
	count(vs) == 1
	some v in vs
	contains(v.msg, "is not signed")
}

test_deny_attestation_is_not_a_signature if {
	count(signature_trusted.deny) == 1 with input as fx.input_with({"signatures": [{"kind": "attestation", "predicate_type": "https://slsa.dev/provenance/v1", "signer": {"kind": "key", "key_id": "sha256:1111"}, "tlog": []}]})
}

test_allow_unsigned_directory if {
	count(signature_trusted.deny) == 0 with input as fx.input_with({"signatures": [], "subject": {"kind": "dir"}})
}

test_deny_unsigned_file_when_required if {
	count(signature_trusted.deny) == 1 with input as fx.input_with({"signatures": [], "subject": {"kind": "file"}})
		with data.hallmark.config as {"signatures": {"required_for": ["image", "file"]}}
}

test_allow_trusted_key_id if {
	count(signature_trusted.deny) == 0 with input as fx.base
		with data.hallmark.config as {"signatures": {"trusted_key_ids": ["sha256:1111"]}}
}

test_deny_untrusted_key_id if {
	vs := signature_trusted.deny with input as fx.base
		with data.hallmark.config as {"signatures": {"trusted_key_ids": ["sha256:2222"]}}
	some v in vs
	contains(v.msg, "untrusted signers: key sha256:1111")
}

test_allow_trusted_identity_regexp if {
	cfg := {"signatures": {"trusted_identities": [{"issuer": "https://token.actions.githubusercontent.com", "subject_regexp": "^https://github\\.com/acme/"}]}}
	count(signature_trusted.deny) == 0 with input as fx.input_with({"signatures": [keyless]}) with data.hallmark.config as cfg
}

test_allow_trusted_identity_exact if {
	cfg := {"signatures": {"trusted_identities": [{"issuer": "https://token.actions.githubusercontent.com", "subject": keyless.signer.identity}]}}
	count(signature_trusted.deny) == 0 with input as fx.input_with({"signatures": [keyless]}) with data.hallmark.config as cfg
}

test_deny_identity_wrong_issuer if {
	cfg := {"signatures": {"trusted_identities": [{"issuer": "https://accounts.google.com", "subject_regexp": "^https://github\\.com/acme/"}]}}
	count(signature_trusted.deny) == 1 with input as fx.input_with({"signatures": [keyless]}) with data.hallmark.config as cfg
}

test_deny_identity_wrong_subject if {
	cfg := {"signatures": {"trusted_identities": [{"issuer": "https://token.actions.githubusercontent.com", "subject_regexp": "^https://github\\.com/evil/"}]}}
	count(signature_trusted.deny) == 1 with input as fx.input_with({"signatures": [keyless]}) with data.hallmark.config as cfg
}
