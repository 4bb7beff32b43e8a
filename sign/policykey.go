package sign

import (
	"crypto"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// PublicKey is the key a key policy trusts, nil for a keyless policy. Formats that are not
// Sigstore bundles (cosign's legacy simple-signing image signatures) are checked against it
// directly, since sigstore-go cannot read them.
func (p Policy) PublicKey() crypto.PublicKey { return p.key }

// TrustedMaterial is the trusted root the policy was built with, nil for a key policy without
// one. A verifier of another format uses it to tell whether the policy demands transparency log
// entries or timestamps it cannot check, and refuses rather than silently skipping them.
func (p Policy) TrustedMaterial() root.TrustedMaterial { return p.trusted }
