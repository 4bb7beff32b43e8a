# METADATA
# title: Signed by a trusted key or identity
# description: >-
#   Denies subjects of the kinds in signatures.required_for (default: images) that carry no
#   verified signature by a trusted signer: a key whose id (sha256 of its PKIX DER) is in
#   signatures.trusted_key_ids, or a certificate whose OIDC issuer and Subject Alternative Name
#   match an entry of signatures.trusted_identities ({issuer, subject} or {issuer,
#   subject_regexp}; the regular expression is not anchored, as in cosign). With both lists
#   empty, any signature that verified is trusted: the verifier was only given trusted keys.
# custom:
#   id: signature-trusted
package hallmark.rules.signature_trusted

import data.hallmark.lib

id := "signature-trusted"

p := lib.params("signatures")

signatures := [s | some s in input.signatures; s.kind == "signature"]

trusted(_) if {
	count(p.trusted_key_ids) == 0
	count(p.trusted_identities) == 0
}

trusted(s) if {
	s.signer.kind == "key"
	s.signer.key_id in p.trusted_key_ids
}

trusted(s) if {
	s.signer.kind == "certificate"
	some t in p.trusted_identities
	s.signer.issuer == t.issuer
	subject_matches(t, s.signer.identity)
}

subject_matches(t, identity) if identity == t.subject

subject_matches(t, identity) if regex.match(t.subject_regexp, identity)

any_trusted if {
	some s in signatures
	trusted(s)
}

describe(signer) := sprintf("key %s", [signer.key_id]) if {
	signer.kind == "key"
} else := sprintf("%s (issuer %s)", [signer.identity, signer.issuer])

deny contains v if {
	lib.enabled(id)
	input.subject.kind in p.required_for
	not any_trusted
	v := lib.violation(id, message, "high", remediation, input.subject.name)
}

message := sprintf("%s is not signed", [input.subject.name]) if {
	count(signatures) == 0
} else := sprintf("%s is signed only by untrusted signers: %s", [input.subject.name, concat(", ", sort({describe(s.signer) | some s in signatures}))])

remediation := "sign it with a trusted key (hallmark sign) or in a trusted CI identity, and give the verifier its public key (--key) or trusted root"
