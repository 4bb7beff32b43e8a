package oci

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
)

// cosign's legacy attestations (`cosign attest --new-bundle-format=false`, and cosign v2) live
// under the tag "<repo>:sha256-<hex>.att": an image manifest with one layer per attestation,
// each a bare DSSE envelope (no bundle: no key hint, and a certificate or Rekor bundle, if
// any, in layer annotations) of an in-toto statement about the image, and the predicate type
// repeated in the layer annotation "predicateType". They are verified as legacy signatures
// are: with a key policy without trusted root only.

// LegacyAttestationKind is the Verified.Kind of a legacy attestation.
const LegacyAttestationKind = "legacy-attestation"

// DSSEMediaType is the media type of a legacy attestation layer: a DSSE envelope (JSON).
const DSSEMediaType = "application/vnd.dsse.envelope.v1+json"

const (
	// annotationLegacyPredicateType is the predicate type cosign declares on a legacy
	// attestation layer: a hint to skip other types, never trusted.
	annotationLegacyPredicateType = "predicateType"
	// maxEnvelopeSignatures bounds the signatures of one envelope: cosign writes one.
	maxEnvelopeSignatures = 16
)

// ErrMalformedLegacyAttestation: the "sha256-<hex>.att" tag or one of its layers is not a
// legacy cosign attestation hallmark can read: not an image manifest, too many layers, an
// envelope that is not DSSE JSON of an in-toto payload, too large, without signatures, or a
// signed payload that is not an in-toto statement. Matches sign.ErrMalformedBundle.
var ErrMalformedLegacyAttestation = fmt.Errorf("%w: malformed legacy attestation", sign.ErrMalformedBundle)

// legacyAttestations lists the legacy attestations of image d as candidates, one per DSSE
// layer of the ".att" tag, verified under p as attestations of type want. A missing tag is no
// candidate; a tag that is not a legacy attestation is a failure; a registry failure an error.
func legacyAttestations(ctx context.Context, d name.Digest, p sign.Policy, want string, ro []remote.Option) ([]candidate, []error, error) {
	tag := legacyTag(d, ".att")
	desc, err := getLegacyTag(tag, ro)
	if desc == nil || err != nil {
		return nil, nil, err
	}
	layers, err := parseLegacyLayers(desc.Manifest, DSSEMediaType, ErrMalformedLegacyAttestation)
	if err != nil {
		return nil, []error{fmt.Errorf("legacy attestation %s: %w", tag.TagStr(), err)}, nil
	}
	cands := make([]candidate, len(layers))
	for i, l := range layers {
		cands[i] = candidate{
			name: fmt.Sprintf("legacy attestation %s layer %d", tag.TagStr(), i),
			hint: l.Annotations[annotationLegacyPredicateType],
			check: func() (*Verified, error) {
				res, st, err := verifyLegacyAttestation(ctx, d, l, p, want, ro)
				if err != nil {
					return nil, err
				}
				return &Verified{Image: d.String(), Referrer: desc.Digest.String(), Kind: LegacyAttestationKind, Result: res, Statement: st}, nil
			},
		}
	}
	return cands, nil, nil
}

// verifyLegacyAttestation verifies one DSSE layer of image d with the policy's key, as DSSE
// verification goes (protocol.md): the payload type must be in-toto's; a signature over
// PAE(payloadType, payload) must verify with the key; only then is the payload parsed, and
// the statement must be about d's digest and of predicate type want.
func verifyLegacyAttestation(ctx context.Context, d name.Digest, l v1.Descriptor, p sign.Policy, want string, ro []remote.Option) (*sign.Result, *attest.Statement, error) {
	key, err := legacyKey(p, l)
	if err != nil {
		return nil, nil, err
	}
	raw, err := fetchBlob(ctx, d, l, maxBundleSize, ErrMalformedLegacyAttestation, ro)
	if err != nil {
		return nil, nil, err
	}
	env, err := parseLegacyEnvelope(raw)
	if err != nil {
		return nil, nil, err
	}
	pae := dsse.PAE(env.payloadType, env.payload)
	var sigErr error
	for _, sig := range env.signatures {
		if sigErr = verifyPayloadSignature(key, pae, sig); sigErr == nil {
			break
		}
	}
	if sigErr != nil {
		return nil, nil, fmt.Errorf("DSSE envelope: %w", sigErr)
	}
	st, err := parseStatement(env.payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signed payload: %w", ErrMalformedLegacyAttestation, err)
	}
	digest := d.DigestStr()
	if !st.Matches(digest) {
		return nil, nil, fmt.Errorf("%w: the image is %s, the statement is about %s", sign.ErrSubjectMismatch, digest, subjectNames(st))
	}
	if want != "" && st.PredicateType != want {
		return nil, nil, fmt.Errorf("%w: the statement attests %s, want %s", sign.ErrPredicateTypeMismatch, st.PredicateType, want)
	}
	signer, err := keySigner(key)
	if err != nil {
		return nil, nil, err
	}
	vs := &sign.VerifiedStatement{PayloadType: env.payloadType, Type: st.Type, PredicateType: st.PredicateType}
	for _, s := range st.Subject {
		vs.Subjects = append(vs.Subjects, sign.StatementSubject{Name: s.Name, Digest: s.Digest})
	}
	return &sign.Result{MediaType: DSSEMediaType, Artifact: digest, Signer: signer, Statement: vs, Payload: env.payload}, st, nil
}

// subjectNames lists a statement's subjects for an error message.
func subjectNames(st *attest.Statement) string {
	var out []byte
	for i, s := range st.Subject {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = fmt.Appendf(out, "%s (sha256:%s)", s.Name, s.Digest["sha256"])
	}
	return string(out)
}

// envelope is a parsed DSSE envelope, its payload and signatures decoded.
type envelope struct {
	payloadType string
	payload     []byte
	signatures  [][]byte
}

// parseLegacyEnvelope reads a DSSE envelope (envelope.md: payloadType, base64 payload, one or
// more signatures with base64 sig and an optional keyid) whose payload type is in-toto's.
// Failures are ErrMalformedLegacyAttestation.
func parseLegacyEnvelope(raw []byte) (*envelope, error) {
	if len(raw) > maxBundleSize {
		return nil, fmt.Errorf("%w: envelope of %d bytes, more than %d", ErrMalformedLegacyAttestation, len(raw), maxBundleSize)
	}
	var e struct {
		PayloadType *string `json:"payloadType"`
		Payload     *string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("%w: envelope: %w", ErrMalformedLegacyAttestation, err)
	}
	switch {
	case e.PayloadType == nil || e.Payload == nil:
		return nil, fmt.Errorf("%w: envelope without payloadType or payload", ErrMalformedLegacyAttestation)
	case *e.PayloadType != attest.PayloadType:
		return nil, fmt.Errorf("%w: DSSE payload type %q, want %q", ErrMalformedLegacyAttestation, *e.PayloadType, attest.PayloadType)
	case len(e.Signatures) == 0:
		return nil, fmt.Errorf("%w: envelope without signatures", ErrMalformedLegacyAttestation)
	case len(e.Signatures) > maxEnvelopeSignatures:
		return nil, fmt.Errorf("%w: %d signatures, at most %d", ErrMalformedLegacyAttestation, len(e.Signatures), maxEnvelopeSignatures)
	}
	payload, err := decodeBase64(*e.Payload)
	if err != nil || len(payload) == 0 {
		return nil, fmt.Errorf("%w: payload is not base64 (or empty)", ErrMalformedLegacyAttestation)
	}
	out := &envelope{payloadType: *e.PayloadType, payload: payload}
	for i, s := range e.Signatures {
		sig, err := decodeBase64(s.Sig)
		if err != nil || len(sig) == 0 {
			return nil, fmt.Errorf("%w: signature %d is not base64 (or empty)", ErrMalformedLegacyAttestation, i)
		}
		out.signatures = append(out.signatures, sig)
	}
	return out, nil
}

// decodeBase64 accepts standard and URL-safe base64, padded or not, as DSSE implementations
// write both.
func decodeBase64(s string) ([]byte, error) {
	var errs []error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
