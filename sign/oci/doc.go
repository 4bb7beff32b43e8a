// Package oci signs, attests and verifies container images where they live: in an OCI
// registry. A signature or attestation is a Sigstore bundle (v0.3) about the image's manifest
// digest, never its tag, and it travels next to the image as an OCI 1.1 referrer: an artifact
// manifest whose subject is the image, whose artifactType and single layer are the bundle, and
// whose config is the empty descriptor. This is the layout cosign v3 writes, so each tool
// verifies what the other signed. Registries without the referrers API get the referrers tag
// schema ("sha256-<hex>"), which go-containerregistry maintains for us. Signing an image is
// signing an in-toto statement of predicate type SignPredicateType about the digest; the
// signatures themselves are made and checked by the sign room. Verification also reads what
// older cosign writes: the "sha256-<hex>.sig" and ".att" tags (legacy.go, legacyatt.go), and
// in-toto Statement v0.1, which cosign attest still writes (statement.go). A transparency log
// enters through Options.Transparency, which sees each bundle before it is pushed.
package oci
