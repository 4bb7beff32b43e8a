package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/source"
)

// SignPredicateType is the predicate type of an image signature as cosign v3 writes it: an
// in-toto statement about the manifest digest with an empty predicate. Signing a statement
// rather than the bare digest lets one verifier path (DSSE) serve signatures and attestations.
const SignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// Annotations cosign sets on the referrer manifest, so that a client listing referrers can skip
// attestations of other types without fetching them. They are hints: verification never
// trusts them.
const (
	annotationContent       = "dev.sigstore.bundle.content"
	annotationPredicateType = "dev.sigstore.bundle.predicateType"
)

// emptyConfig is the OCI empty descriptor's content (image-spec "Guidance for an Empty
// Descriptor"): artifacts without a config point at these two bytes.
var emptyConfig = []byte("{}")

// emptyMediaType is the media type of the empty descriptor.
const emptyMediaType = "application/vnd.oci.empty.v1+json"

// Options says how to reach the registry, and what to do with a bundle before it is pushed.
type Options struct {
	// Remote are extra go-containerregistry options (transport, auth). Without an auth option
	// the credentials of ~/.docker/config.json and its helpers are used, as docker does.
	Remote []remote.Option

	// Transparency, when set, is called by SignImage and AttestImage with the signed bundle
	// after signing and before anything is marshalled or uploaded: it is where a transparency
	// log entry is made (e.g. by submitting the DSSE envelope to a log) and recorded in
	// b.Bundle.VerificationMaterial.TlogEntries, so that the bundle pushed carries it. It may
	// change the bundle's verification material; it must not change the envelope, whose
	// signature it would break. An error aborts signing with ErrTransparency and nothing is
	// pushed: an image is never left with a signature the log does not know about. Nil means
	// no log, as `cosign sign --tlog-upload=false`.
	Transparency func(ctx context.Context, b *bundle.Bundle) error
}

func (o Options) remote(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	// Later options win in go-containerregistry, so the caller's auth replaces the keychain.
	return append(opts, o.Remote...)
}

// Pushed is what SignImage and AttestImage wrote.
type Pushed struct {
	// Image is the signed image, repository@digest: the digest the tag resolved to.
	Image string
	// Digest is the image's manifest digest, the statement's subject.
	Digest string
	// Referrer is the digest of the artifact manifest that carries the bundle.
	Referrer string
	// Bundle is the bundle pushed.
	Bundle *bundle.Bundle
}

// SignImage signs the image ref names (a tag or a digest reference; a tag is resolved once and
// its digest signed) and pushes the signature as a referrer of that digest: a bundle holding
// an in-toto statement of type SignPredicateType about the digest, signed by s, as `cosign sign
// --key` writes it.
func SignImage(ctx context.Context, ref string, s sign.Signer, opts Options) (*Pushed, error) {
	return AttestImage(ctx, ref, s, SignPredicateType, []byte("{}"), opts)
}

// AttestImage signs an in-toto statement about the image ref names (subject: its repository
// and manifest digest) with predicate type predicateType and the JSON object predicate, and
// pushes the bundle as a referrer of the image's digest, as `cosign attest --key` does.
func AttestImage(ctx context.Context, ref string, s sign.Signer, predicateType string, predicate []byte, opts Options) (*Pushed, error) {
	d, desc, err := resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	subject, err := attest.DigestSubject(d.Context().Name(), desc.Digest.String())
	if err != nil {
		return nil, err
	}
	statement, err := attest.New([]attest.Subject{subject}, predicateType, predicate)
	if err != nil {
		return nil, err
	}
	b, err := sign.SignStatement(ctx, s, statement)
	if err != nil {
		return nil, err
	}
	if opts.Transparency != nil {
		if err := opts.Transparency(ctx, b); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrTransparency, d, err)
		}
	}
	raw, err := sign.MarshalBundle(b)
	if err != nil {
		return nil, err
	}
	referrer, err := push(ctx, d, desc, raw, map[string]string{
		annotationContent:       "dsse-envelope",
		annotationPredicateType: predicateType,
	}, opts)
	if err != nil {
		return nil, err
	}
	return &Pushed{Image: d.String(), Digest: desc.Digest.String(), Referrer: referrer.String(), Bundle: b}, nil
}

// resolve turns ref into the digest reference of what it names now, with the image's
// descriptor (the referrer's subject).
func resolve(ctx context.Context, ref string, opts Options) (name.Digest, v1.Descriptor, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, v1.Descriptor{}, fmt.Errorf("%s%s: %w: not a valid image reference: %v", source.RegistryPrefix, ref, source.ErrNotFound, err)
	}
	// HEAD is enough: the manifest's digest, media type and size are what a subject holds.
	desc, err := remote.Head(r, opts.remote(ctx)...)
	if err != nil {
		return name.Digest{}, v1.Descriptor{}, registryErr(ref, err)
	}
	if dr, ok := r.(name.Digest); ok && dr.DigestStr() != desc.Digest.String() {
		return name.Digest{}, v1.Descriptor{}, fmt.Errorf("%s%s: %w: the registry serves %s for it", source.RegistryPrefix, ref, source.ErrRegistry, desc.Digest)
	}
	return r.Context().Digest(desc.Digest.String()), v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}, nil
}

// artifactManifest is an OCI image manifest used as an artifact (image-spec 1.1).
type artifactManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        v1.Descriptor     `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Subject       *v1.Descriptor    `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// push uploads the bundle and the empty config, then the artifact manifest by digest.
// go-containerregistry's Put also updates the referrers tag schema index when the registry does
// not answer with OCI-Subject, so registries without the referrers API work too.
func push(ctx context.Context, d name.Digest, subject v1.Descriptor, bundleJSON []byte, annotations map[string]string, opts Options) (v1.Hash, error) {
	ro := opts.remote(ctx)
	layer := static.NewLayer(bundleJSON, sign.BundleMediaType)
	config := static.NewLayer(emptyConfig, types.MediaType(emptyMediaType))
	var descs [2]v1.Descriptor
	for i, l := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(d.Context(), l, ro...); err != nil {
			return v1.Hash{}, registryErr(d.String(), err)
		}
		dg, _ := l.Digest()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		descs[i] = v1.Descriptor{MediaType: mt, Digest: dg, Size: size}
	}
	mf := artifactManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  sign.BundleMediaType,
		Config:        descs[0],
		Layers:        []v1.Descriptor{descs[1]},
		Subject:       &subject,
		Annotations:   annotations,
	}
	raw, err := json.Marshal(mf)
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Put(d.Context().Digest(h.String()), rawManifest(raw), ro...); err != nil {
		return v1.Hash{}, registryErr(d.String(), err)
	}
	return h, nil
}

// registryErr names a registry failure as the source room does: a missing image is
// source.ErrNotFound (bad input), anything else source.ErrRegistry (the environment).
func registryErr(ref string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s%s: %w in the registry (%v)", source.RegistryPrefix, ref, source.ErrNotFound, err)
	}
	return fmt.Errorf("%s%s: %w: %v", source.RegistryPrefix, ref, source.ErrRegistry, err)
}
