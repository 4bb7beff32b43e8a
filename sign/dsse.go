package sign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/hallmark-dev/hallmark/attest"
)

// Sentinel errors of attestation verification (VerifyAttestation), in addition to those of
// Verify. The two mismatches are verification failures (they match ErrVerification: CLI exit
// 1); ErrNotAttestation is bad input (it matches ErrMalformedBundle: CLI exit 2).
var (
	// ErrSubjectMismatch: the attestation is validly signed but about other artifacts: none of
	// its statement's subjects has the digest of the artifact in hand, e.g. an SBOM
	// attestation of the previous release paired with this one.
	ErrSubjectMismatch = fmt.Errorf("%w: no statement subject matches the artifact", ErrVerification)

	// ErrPredicateTypeMismatch: the attestation is validly signed and about the artifact, but
	// attests something else than was asked for (a provenance when an SBOM was expected).
	ErrPredicateTypeMismatch = fmt.Errorf("%w: predicate type mismatch", ErrVerification)

	// ErrNotAttestation: the bundle is not an in-toto attestation: it holds a message
	// signature (a blob bundle), a DSSE envelope of another payload type, or a payload that
	// is not a valid in-toto Statement v1 (the error then also matches attest.ErrInvalid).
	ErrNotAttestation = fmt.Errorf("%w: not an in-toto attestation", ErrMalformedBundle)
)

// SignStatement signs an in-toto statement with s and returns a Sigstore bundle v0.3 whose
// content is a DSSE envelope (payload type attest.PayloadType, the statement as payload, one
// signature over the envelope's pre-authentication encoding), with the public key's hint as
// verification material and, like SignBlob, no transparency-log entry yet. The statement is
// validated first (attest.Parse): hallmark never signs a statement verifiers would reject.
func SignStatement(ctx context.Context, s Signer, statement []byte) (*bundle.Bundle, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no signer", ErrSignerFault)
	}
	if _, err := attest.Parse(statement); err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	pub := s.Public()
	alg := s.Algorithm()
	keyAlg, err := AlgorithmOf(pub)
	if err != nil {
		return nil, err
	}
	if keyAlg != alg {
		return nil, fmt.Errorf("%w: signer says %s but its public key is %s", ErrSignerFault, alg, keyAlg)
	}
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}

	// DSSE signs PAE(type, body), never the body alone, so a signature cannot be replayed
	// under another payload type.
	pae := dsse.PAE(attest.PayloadType, statement)
	sig, err := s.Sign(ctx, pae)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(pae)
	if !checkSignature(pub, alg, pae, digest[:], sig) {
		return nil, fmt.Errorf("%w: the %s signature it returned does not verify under its public key", ErrSignerFault, alg)
	}

	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint},
			},
		},
		Content: &protobundle.Bundle_DsseEnvelope{
			DsseEnvelope: &protodsse.Envelope{
				Payload:     statement,
				PayloadType: attest.PayloadType,
				// keyid stays empty, as cosign writes it: the bundle's key hint names the key.
				Signatures: []*protodsse.Signature{{Sig: sig}},
			},
		},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	return b, nil
}

// VerifyAttestation checks that bundleJSON is an in-toto attestation about the artifact whose
// digest is given ("sha256:<hex>"), signed as policy p requires, and of the given predicate
// type (a URI, as attest.PredicateType resolves it; empty accepts any type). It verifies in
// the order a reader asks: is it an attestation, is the signature good (and, per p, the
// certificate and log), is the statement valid, is it about this artifact, does it attest what
// was asked. It returns the verification result (Statement and Payload set) and the parsed
// statement; errors match the sentinels of errors.go and ErrSubjectMismatch,
// ErrPredicateTypeMismatch or ErrNotAttestation.
func VerifyAttestation(ctx context.Context, digest string, bundleJSON []byte, p Policy, predicateType string) (*Result, *attest.Statement, error) {
	if p.verifier == nil {
		return nil, nil, fmt.Errorf("%w: empty policy (use NewKeyPolicy or NewKeylessPolicy)", ErrInvalidPolicy)
	}
	alg, hx, ok := strings.Cut(digest, ":")
	if raw, err := hex.DecodeString(hx); !ok || err != nil || alg != "sha256" || len(raw) != sha256.Size {
		return nil, nil, fmt.Errorf("%w: artifact digest %q: want sha256:<64 hex digits>", ErrInvalidPolicy, digest)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	b, entries, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, nil, err
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, nil, fmt.Errorf("%w: the bundle holds a message signature (a signed blob), not a DSSE envelope; verify it with `hallmark verify`", ErrNotAttestation)
	}
	if env.GetPayloadType() != attest.PayloadType {
		return nil, nil, fmt.Errorf("%w: DSSE payload type %q, want %q", ErrNotAttestation, env.GetPayloadType(), attest.PayloadType)
	}
	if err := p.checkShape(b); err != nil {
		return nil, nil, err
	}
	// The signature (and certificate, log, timestamps) first, without the artifact: subjects
	// are checked below against the parsed statement, so that "signed, but about another
	// artifact" gets its own error instead of sigstore-go's generic digest mismatch.
	var policyOpt verify.PolicyOption
	if p.identity != nil {
		policyOpt = verify.WithCertificateIdentity(*p.identity)
	} else {
		policyOpt = verify.WithKey()
	}
	res, verr := p.verifier.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), policyOpt))
	if verr != nil {
		return nil, nil, p.classify(verr)
	}
	st, err := attest.Parse(env.GetPayload())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signed payload: %w", ErrNotAttestation, err)
	}
	if !st.Matches(digest) {
		names := make([]string, 0, len(st.Subject))
		for _, s := range st.Subject {
			names = append(names, fmt.Sprintf("%s (sha256:%s)", s.Name, s.Digest["sha256"]))
		}
		return nil, nil, fmt.Errorf("%w: the artifact is %s, the statement is about %s", ErrSubjectMismatch, digest, strings.Join(names, ", "))
	}
	if predicateType != "" && st.PredicateType != predicateType {
		return nil, nil, fmt.Errorf("%w: the statement attests %s, want %s", ErrPredicateTypeMismatch, st.PredicateType, predicateType)
	}
	r, err := p.result(b, entries, res, digest)
	if err != nil {
		return nil, nil, err
	}
	return r, st, nil
}
