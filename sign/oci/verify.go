package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/source"
)

// Limits on what a registry can make VerifyImage read: anyone who can push to the repository
// can add referrers, so neither their number nor their size is trusted.
const (
	// maxReferrers is how many bundle referrers are examined per image.
	maxReferrers = 100
	// maxManifestSize bounds a referrer's manifest, maxBundleSize its bundle (an attested SBOM
	// is a few MB).
	maxManifestSize = 1 << 20
	maxBundleSize   = 64 << 20
)

// VerifyOptions says what VerifyImage looks for, and how to reach the registry.
type VerifyOptions struct {
	Options
	// PredicateType, when set, asks for attestations of that predicate type (a URI, as
	// attest.PredicateType resolves it) instead of signatures.
	PredicateType string
}

// Verified is one bundle that verified.
type Verified struct {
	// Image is the verified image, repository@digest.
	Image string `json:"image"`
	// Referrer is the digest of the artifact manifest that carried the bundle.
	Referrer string `json:"referrer"`
	// Kind is "signature", "attestation" or LegacyKind.
	Kind string `json:"kind"`
	// Result is what the sign room verified.
	Result *sign.Result `json:"result"`
	// Statement is the verified in-toto statement, predicate included (nil for
	// message-signature bundles).
	Statement *attest.Statement `json:"statement,omitempty"`
}

// VerifyImage resolves ref to its manifest digest, lists the Sigstore bundles referring to that
// digest (referrers API, or the referrers tag schema) and verifies each under p: as a signature
// (an in-toto statement of type SignPredicateType about the digest, or a message signature of
// the digest) or, with opts.PredicateType, as an attestation of that type about the digest. It
// returns every bundle that verified, at least one. Otherwise the error is ErrNoSignature
// (nothing to verify) or ErrNoValidSignature wrapping each bundle's failure; registry failures
// are source.ErrRegistry or source.ErrNotFound.
//
// An attestation asked for that the registry only has of other types is ErrNoSignature; when
// some of those are validly signed attestations of the image, it also wraps
// sign.ErrPredicateTypeMismatch naming their types ("attested, but as something else").
// Statements of in-toto Statement v0.1, which cosign writes, are accepted (StatementTypeV01).
//
// Signatures also include cosign's legacy signatures (the "sha256-<hex>.sig" tag with
// simple-signing payloads, Kind LegacyKind), and attestations cosign's legacy attestations (the
// "sha256-<hex>.att" tag of DSSE envelopes, Kind LegacyAttestationKind), verified with a key
// policy without trusted root only; under other policies they fail with ErrLegacyUnsupported.
func VerifyImage(ctx context.Context, ref string, p sign.Policy, opts VerifyOptions) ([]Verified, error) {
	d, _, err := resolve(ctx, ref, opts.Options)
	if err != nil {
		return nil, err
	}
	want := SignPredicateType
	kind := "signature"
	if opts.PredicateType != "" && opts.PredicateType != SignPredicateType {
		want, kind = opts.PredicateType, "attestation"
	}
	ro := opts.remote(ctx)
	cands, failures, err := referrerCandidates(ctx, d, p, want, kind, ro)
	if err != nil {
		return nil, err
	}
	var (
		lc []candidate
		lf []error
	)
	if kind == "signature" {
		lc, lf, err = legacySignatures(ctx, d, p, ro)
	} else {
		lc, lf, err = legacyAttestations(ctx, d, p, want, ro)
	}
	if err != nil {
		return nil, err
	}
	cands, failures = append(cands, lc...), append(failures, lf...)

	// What the registry declares to be of another type is looked at only if nothing else
	// verified, to say why: the declaration is a hint, the signed statement decides.
	var now, later []candidate
	for _, c := range cands {
		switch {
		case c.hint == "" || c.hint == want:
			now = append(now, c)
		case kind == "attestation" && c.hint != SignPredicateType:
			later = append(later, c)
		}
	}
	var e examination
	if err := e.run(ctx, now, true); err != nil {
		return nil, err
	}
	if len(e.verified) == 0 {
		// Their other failures are not reported: they do not claim to be what was asked for.
		if err := e.run(ctx, later, false); err != nil {
			return nil, err
		}
	}
	if len(e.verified) > 0 {
		return e.verified, nil
	}
	failures = append(failures, e.failures...)
	what := "signature"
	if kind == "attestation" {
		what = "attestation of type " + want
	}
	switch {
	case len(failures) == 0 && len(e.mismatches) == 0:
		return nil, fmt.Errorf("%w: %s has no %s", ErrNoSignature, d, what)
	case len(failures) == 0:
		return nil, fmt.Errorf("%w: %s has no %s, but %d verified attestation(s) of other types: %w", ErrNoSignature, d, what, len(e.mismatches), errors.Join(e.mismatches...))
	}
	return nil, fmt.Errorf("%w: %s: %d %s bundle(s), none verified: %w", ErrNoValidSignature, d, len(failures)+len(e.mismatches), kind, errors.Join(append(failures, e.mismatches...)...))
}

// candidate is one bundle or envelope of an image that may verify: a referrer, or a layer of
// a legacy tag.
type candidate struct {
	// name says where it is, for error messages.
	name string
	// hint is the predicate type the registry declares for it (an annotation anyone with push
	// access writes), "" if none.
	hint string
	// check fetches and verifies it.
	check func() (*Verified, error)
}

// examination is what candidates came to.
type examination struct {
	verified []Verified
	// failures are candidates that did not verify; mismatches validly signed attestations of
	// the image of another predicate type than asked.
	failures, mismatches []error
}

// run checks each candidate, recording failures only if told to. Registry failures and
// cancellation stop it: the answer would be about what could be read, not about the image.
func (e *examination) run(ctx context.Context, cands []candidate, failures bool) error {
	for _, c := range cands {
		v, err := c.check()
		switch {
		case err == nil:
			e.verified = append(e.verified, *v)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, source.ErrRegistry), errors.Is(err, source.ErrNotFound):
			return err
		case errors.Is(err, errNotWanted):
		case errors.Is(err, sign.ErrPredicateTypeMismatch):
			e.mismatches = append(e.mismatches, fmt.Errorf("%s: %w", c.name, err))
		case failures:
			e.failures = append(e.failures, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return nil
}

// referrerCandidates lists the bundle referrers of d, at most maxReferrers (more is a
// failure).
func referrerCandidates(ctx context.Context, d name.Digest, p sign.Policy, want, kind string, ro []remote.Option) ([]candidate, []error, error) {
	// No server-side filter: some registries (go-containerregistry's own) report the config
	// media type as artifactType, and go-containerregistry would then filter our bundles out.
	idx, err := remote.Referrers(d, ro...)
	if err != nil {
		return nil, nil, registryErr(d.String(), err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, registryErr(d.String(), err)
	}
	var (
		cands    []candidate
		failures []error
	)
	for _, desc := range im.Manifests {
		// The artifact type is a hint to skip images and SBOM artifacts cheaply; the
		// referrer's manifest is checked for a bundle layer anyway (parseReferrer).
		if desc.ArtifactType != sign.BundleMediaType && desc.ArtifactType != emptyMediaType {
			continue
		}
		if len(cands) == maxReferrers {
			failures = append(failures, fmt.Errorf("more than %d bundle referrers: the rest were not examined", maxReferrers))
			break
		}
		cands = append(cands, candidate{
			name: "referrer " + desc.Digest.String(),
			hint: desc.Annotations[annotationPredicateType],
			check: func() (*Verified, error) {
				bundleJSON, err := fetchBundle(ctx, d, desc.Digest, ro)
				if err != nil {
					return nil, err
				}
				v, err := verifyBundle(ctx, d.DigestStr(), bundleJSON, p, want, kind)
				if err != nil {
					return nil, err
				}
				v.Image, v.Referrer = d.String(), desc.Digest.String()
				return v, nil
			},
		})
	}
	return cands, failures, nil
}

// errNotWanted marks a bundle that verified nothing because it is not what was asked for (an
// attestation when signatures were asked for, or the reverse): neither a success nor a
// failure.
var errNotWanted = errors.New("not the kind of bundle asked for")

// verifyBundle checks one bundle about digest: a signature (kind "signature", want
// SignPredicateType) or an attestation of type want.
func verifyBundle(ctx context.Context, digest string, bundleJSON []byte, p sign.Policy, want, kind string) (*Verified, error) {
	var shape struct {
		DSSE *struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
		Message json.RawMessage `json:"messageSignature"`
	}
	if err := json.Unmarshal(bundleJSON, &shape); err != nil {
		return nil, fmt.Errorf("%w: %w", sign.ErrMalformedBundle, err)
	}
	if shape.DSSE == nil && shape.Message != nil {
		// A message signature whose digest is the manifest digest: a signature, never an
		// attestation.
		if kind != "signature" {
			return nil, errNotWanted
		}
		res, err := sign.VerifyDigest(ctx, digest, bundleJSON, p)
		if err != nil {
			return nil, err
		}
		return &Verified{Kind: kind, Result: res}, nil
	}
	// Signatures and attestations are both statements; which one this is can be told before
	// any signature is checked, and the verification below holds it to what it says.
	var hdr statementHeader
	if shape.DSSE != nil {
		hdr = peekStatement(shape.DSSE.Payload)
	}
	if (kind == "signature") != (hdr.PredicateType == SignPredicateType) && hdr.PredicateType != "" {
		return nil, errNotWanted
	}
	if hdr.Type == StatementTypeV01 {
		return verifyBundleV01(ctx, digest, bundleJSON, p, want, kind)
	}
	res, st, err := sign.VerifyAttestation(ctx, digest, bundleJSON, p, want)
	if err != nil {
		if kind == "signature" && errors.Is(err, sign.ErrPredicateTypeMismatch) {
			return nil, errNotWanted
		}
		return nil, err
	}
	return &Verified{Kind: kind, Result: res, Statement: st}, nil
}

// verifyBundleV01 checks a bundle whose statement is in-toto v0.1, as cosign attest writes
// them. sign.VerifyAttestation reads v1 statements only, so the bundle is verified as a
// signature of digest (sigstore-go: the envelope's signature, certificate, log and times under
// p, and a subject with the digest), then the signed payload is read with parseStatement and
// held to the same subject and predicate type rules.
func verifyBundleV01(ctx context.Context, digest string, bundleJSON []byte, p sign.Policy, want, kind string) (*Verified, error) {
	res, err := sign.VerifyDigest(ctx, digest, bundleJSON, p)
	if errors.Is(err, sign.ErrDigestMismatch) {
		// sigstore-go compares an envelope's subjects with the digest only once its signature
		// verified: this is "signed, but about another image", as VerifyAttestation names it.
		return nil, fmt.Errorf("%w: the statement is not about %s: %w", sign.ErrSubjectMismatch, digest, err)
	}
	if err != nil {
		return nil, err
	}
	st, err := parseStatement(res.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: signed payload: %w", sign.ErrNotAttestation, err)
	}
	if !st.Matches(digest) {
		return nil, fmt.Errorf("%w: the artifact is %s, the statement is about %s", sign.ErrSubjectMismatch, digest, subjectNames(st))
	}
	if st.PredicateType != want {
		if kind == "signature" {
			return nil, errNotWanted
		}
		return nil, fmt.Errorf("%w: the statement attests %s, want %s", sign.ErrPredicateTypeMismatch, st.PredicateType, want)
	}
	return &Verified{Kind: kind, Result: res, Statement: st}, nil
}

// fetchBundle reads the referrer manifest m of image d and returns its bundle, checking the
// manifest's shape (parseReferrer) and reading at most maxBundleSize bytes; go-containerregistry
// checks the blob against its digest.
func fetchBundle(ctx context.Context, d name.Digest, m v1.Hash, ro []remote.Option) ([]byte, error) {
	desc, err := remote.Get(d.Context().Digest(m.String()), ro...)
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	layer, err := parseReferrer(desc.Manifest, d.DigestStr())
	if err != nil {
		return nil, err
	}
	l, err := remote.Layer(d.Context().Digest(layer.Digest.String()), ro...)
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, layer.Size+1))
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	if int64(len(data)) != layer.Size {
		return nil, fmt.Errorf("%w: bundle blob %s is %d bytes, the manifest says %d", ErrMalformedReferrer, layer.Digest, len(data), layer.Size)
	}
	return data, nil
}

// parseReferrer checks that raw is an artifact manifest carrying one Sigstore bundle about
// subject ("sha256:<hex>") and returns the bundle layer's descriptor. The subject check matters
// on registries without the referrers API: the fallback tag is an index anyone with push access
// can edit, so what it lists must still point at this image.
func parseReferrer(raw []byte, subject string) (v1.Descriptor, error) {
	if len(raw) > maxManifestSize {
		return v1.Descriptor{}, fmt.Errorf("%w: manifest of %d bytes, more than %d", ErrMalformedReferrer, len(raw), maxManifestSize)
	}
	var mf artifactManifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&mf); err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: manifest: %w", ErrMalformedReferrer, err)
	}
	switch {
	case mf.SchemaVersion != 2 || mf.MediaType != types.OCIManifestSchema1:
		return v1.Descriptor{}, fmt.Errorf("%w: not an OCI image manifest (schemaVersion %d, mediaType %q)", ErrMalformedReferrer, mf.SchemaVersion, mf.MediaType)
	case mf.Subject == nil || mf.Subject.Digest.String() != subject:
		got := "none"
		if mf.Subject != nil {
			got = mf.Subject.Digest.String()
		}
		return v1.Descriptor{}, fmt.Errorf("%w: its subject is %s, not the image %s", ErrMalformedReferrer, got, subject)
	case len(mf.Layers) != 1:
		return v1.Descriptor{}, fmt.Errorf("%w: %d layers, want one bundle", ErrMalformedReferrer, len(mf.Layers))
	case mf.Layers[0].MediaType != sign.BundleMediaType:
		return v1.Descriptor{}, fmt.Errorf("%w: layer media type %q, want %q", ErrMalformedReferrer, mf.Layers[0].MediaType, sign.BundleMediaType)
	case mf.Layers[0].Size <= 0 || mf.Layers[0].Size > maxBundleSize:
		return v1.Descriptor{}, fmt.Errorf("%w: bundle of %d bytes (at most %d)", ErrMalformedReferrer, mf.Layers[0].Size, maxBundleSize)
	case mf.Layers[0].Digest.Algorithm != "sha256" || len(mf.Layers[0].Digest.Hex) != 64:
		return v1.Descriptor{}, fmt.Errorf("%w: bundle digest %q is not sha256", ErrMalformedReferrer, mf.Layers[0].Digest)
	}
	return mf.Layers[0], nil
}
