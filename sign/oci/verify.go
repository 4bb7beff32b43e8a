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
// Signatures also include cosign's legacy signatures (the "sha256-<hex>.sig" tag with
// simple-signing payloads, Kind LegacyKind), verified with a key policy without trusted root
// only; under other policies they fail with ErrLegacyUnsupported.
func VerifyImage(ctx context.Context, ref string, p sign.Policy, opts VerifyOptions) ([]Verified, error) {
	d, _, err := resolve(ctx, ref, opts.Options)
	if err != nil {
		return nil, err
	}
	want := SignPredicateType
	kind := "signature"
	if opts.PredicateType != "" {
		want, kind = opts.PredicateType, "attestation"
	}
	ro := opts.remote(ctx)
	// No server-side filter: some registries (go-containerregistry's own) report the config
	// media type as artifactType, and go-containerregistry would then filter our bundles out.
	idx, err := remote.Referrers(d, ro...)
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	var (
		verified []Verified
		failures []error
	)
	seen := 0
	for _, desc := range im.Manifests {
		// The artifact type is a hint to skip images and SBOM artifacts cheaply; the
		// referrer's manifest is checked for a bundle layer anyway (parseReferrer).
		if desc.ArtifactType != sign.BundleMediaType && desc.ArtifactType != emptyMediaType {
			continue
		}
		if pt, ok := desc.Annotations[annotationPredicateType]; ok && pt != want {
			continue
		}
		if seen++; seen > maxReferrers {
			failures = append(failures, fmt.Errorf("more than %d bundle referrers: the rest were not examined", maxReferrers))
			break
		}
		bundleJSON, err := fetchBundle(ctx, d, desc.Digest, ro)
		if err != nil {
			if errors.Is(err, ErrMalformedReferrer) {
				failures = append(failures, fmt.Errorf("referrer %s: %w", desc.Digest, err))
				continue
			}
			return nil, err
		}
		v, err := verifyBundle(ctx, d.DigestStr(), bundleJSON, p, want, kind)
		if errors.Is(err, errNotWanted) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failures = append(failures, fmt.Errorf("referrer %s: %w", desc.Digest, err))
			continue
		}
		v.Image, v.Referrer = d.String(), desc.Digest.String()
		verified = append(verified, *v)
	}
	if kind == "signature" {
		lv, lf, err := verifyLegacy(ctx, d, p, ro)
		if err != nil {
			return nil, err
		}
		verified, failures = append(verified, lv...), append(failures, lf...)
	}
	if len(verified) > 0 {
		return verified, nil
	}
	what := "signature"
	if kind == "attestation" {
		what = "attestation of type " + want
	}
	if len(failures) == 0 {
		return nil, fmt.Errorf("%w: %s has no %s", ErrNoSignature, d, what)
	}
	return nil, fmt.Errorf("%w: %s: %d %s bundle(s), none verified: %w", ErrNoValidSignature, d, len(failures), kind, errors.Join(failures...))
}

// errNotWanted marks a bundle that verified nothing because it is not what was asked for (an
// attestation of another type): it is neither a success nor a failure.
var errNotWanted = errors.New("not the kind of bundle asked for")

// verifyBundle checks one bundle about digest.
func verifyBundle(ctx context.Context, digest string, bundleJSON []byte, p sign.Policy, want, kind string) (*Verified, error) {
	var shape struct {
		DSSE    json.RawMessage `json:"dsseEnvelope"`
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
	res, st, err := sign.VerifyAttestation(ctx, digest, bundleJSON, p, want)
	if errors.Is(err, sign.ErrPredicateTypeMismatch) {
		return nil, errNotWanted
	}
	if err != nil {
		return nil, err
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
