package oci

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hallmark-dev/hallmark/sign"
)

// cosign's legacy image signatures (cosign before v3, and v3 with --new-bundle-format=false)
// are not bundles: they live under the tag "<repo>:sha256-<hex>.sig" as an image manifest
// whose layers are "simple signing" payloads, each signed with the signature in a layer
// annotation. Legacy attestations live under "<repo>:sha256-<hex>.att", one DSSE envelope per
// layer (legacyatt.go). Images signed that way are still everywhere, so VerifyImage reads them
// too, with a key policy only: their certificates and Rekor bundles are another format that
// hallmark does not check, and pretending to would be worse than refusing.

// LegacyKind is the Verified.Kind of a legacy simple-signing signature.
const LegacyKind = "legacy-signature"

const (
	// SimpleSigningMediaType is the media type of a legacy signature layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// simpleSigningType is the payload's critical.type for an image signature.
	simpleSigningType = "cosign container image signature"
	// Layer annotations cosign writes: the base64 signature over the payload, and for keyless
	// signatures the PEM certificate.
	annotationLegacySignature   = "dev.cosignproject.cosign/signature"
	annotationLegacyCertificate = "dev.sigstore.cosign/certificate"
	// maxLegacyLayers and maxPayloadSize bound what a .sig tag (writable by anyone with push
	// access) can make VerifyImage read: a payload is a few hundred bytes.
	maxLegacyLayers = 100
	maxPayloadSize  = 1 << 20
)

var (
	// ErrMalformedLegacySignature: the "sha256-<hex>.sig" tag or one of its layers is not a
	// legacy cosign signature hallmark can read (not an image manifest, too many layers, a
	// payload that is not simple-signing JSON or too large, a signature that is not base64).
	ErrMalformedLegacySignature = fmt.Errorf("%w: malformed legacy signature", sign.ErrMalformedBundle)

	// ErrLegacyDigestMismatch: a legacy signature's payload names another manifest digest than
	// the image's: the signature was copied from another image. Matches sign.ErrDigestMismatch.
	ErrLegacyDigestMismatch = fmt.Errorf("%w: legacy signature payload names another image", sign.ErrDigestMismatch)

	// ErrLegacyUnsupported: a legacy signature that hallmark cannot verify under the policy: a
	// keyless policy, or a key policy with a trusted root (its transparency log and timestamp
	// demands cannot be checked on this format). Matches sign.ErrVerification: nothing was
	// verified.
	ErrLegacyUnsupported = fmt.Errorf("%w: legacy signature not verifiable under this policy (key policies without trusted root only)", sign.ErrVerification)
)

// legacyTag is where cosign's legacy signatures (suffix ".sig") or attestations (".att") of
// image d live.
func legacyTag(d name.Digest, suffix string) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + suffix)
}

// legacySignatures lists the legacy signatures of image d as candidates: one per
// simple-signing layer of the ".sig" tag. A missing tag is no candidate; a tag that is not a
// legacy signature is a failure; a registry failure is an error.
func legacySignatures(ctx context.Context, d name.Digest, p sign.Policy, ro []remote.Option) ([]candidate, []error, error) {
	tag := legacyTag(d, ".sig")
	desc, err := getLegacyTag(tag, ro)
	if desc == nil || err != nil {
		return nil, nil, err
	}
	layers, err := parseLegacyManifest(desc.Manifest)
	if err != nil {
		return nil, []error{fmt.Errorf("legacy signature %s: %w", tag.TagStr(), err)}, nil
	}
	cands := make([]candidate, len(layers))
	for i, l := range layers {
		cands[i] = candidate{
			name: fmt.Sprintf("legacy signature %s layer %d", tag.TagStr(), i),
			check: func() (*Verified, error) {
				res, err := verifyLegacyLayer(ctx, d, l, p, ro)
				if err != nil {
					return nil, err
				}
				return &Verified{Image: d.String(), Referrer: desc.Digest.String(), Kind: LegacyKind, Result: res}, nil
			},
		}
	}
	return cands, nil, nil
}

// getLegacyTag fetches a legacy tag's manifest: nil and no error when there is no such tag.
func getLegacyTag(tag name.Tag, ro []remote.Option) (*remote.Descriptor, error) {
	desc, err := remote.Get(tag, ro...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, registryErr(tag.String(), err)
	}
	return desc, nil
}

// parseLegacyManifest checks that raw is an image manifest of at most maxLegacyLayers layers
// and returns its simple-signing layers (others, which cosign never writes, are ignored).
func parseLegacyManifest(raw []byte) ([]v1.Descriptor, error) {
	return parseLegacyLayers(raw, SimpleSigningMediaType, ErrMalformedLegacySignature)
}

// parseLegacyLayers checks that raw is an image manifest of at most maxLegacyLayers layers
// and returns its layers of media type mt; failures are malformed.
func parseLegacyLayers(raw []byte, mt types.MediaType, malformed error) ([]v1.Descriptor, error) {
	if len(raw) > maxManifestSize {
		return nil, fmt.Errorf("%w: manifest of %d bytes, more than %d", malformed, len(raw), maxManifestSize)
	}
	var mf struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		Layers        []v1.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(raw, &mf); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", malformed, err)
	}
	if mf.SchemaVersion != 2 || (mf.MediaType != types.OCIManifestSchema1 && mf.MediaType != types.DockerManifestSchema2) {
		return nil, fmt.Errorf("%w: not an image manifest (schemaVersion %d, mediaType %q)", malformed, mf.SchemaVersion, mf.MediaType)
	}
	if len(mf.Layers) > maxLegacyLayers {
		return nil, fmt.Errorf("%w: %d layers, at most %d are examined", malformed, len(mf.Layers), maxLegacyLayers)
	}
	var out []v1.Descriptor
	for _, l := range mf.Layers {
		if l.MediaType == mt {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no %s layer", malformed, mt)
	}
	return out, nil
}

// verifyLegacyLayer verifies one simple-signing layer of image d with the policy's key.
func verifyLegacyLayer(ctx context.Context, d name.Digest, l v1.Descriptor, p sign.Policy, ro []remote.Option) (*sign.Result, error) {
	key, err := legacyKey(p, l)
	if err != nil {
		return nil, err
	}
	sigB64, ok := l.Annotations[annotationLegacySignature]
	if !ok {
		return nil, fmt.Errorf("%w: no %s annotation", ErrMalformedLegacySignature, annotationLegacySignature)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: signature annotation is not base64", ErrMalformedLegacySignature)
	}
	payload, err := fetchBlob(ctx, d, l, maxPayloadSize, ErrMalformedLegacySignature, ro)
	if err != nil {
		return nil, err
	}
	if err := parseLegacyPayload(payload, d.DigestStr()); err != nil {
		return nil, err
	}
	if err := verifyPayloadSignature(key, payload, sig); err != nil {
		return nil, err
	}
	signer, err := keySigner(key)
	if err != nil {
		return nil, err
	}
	return &sign.Result{
		MediaType: SimpleSigningMediaType,
		Artifact:  d.DigestStr(),
		Signer:    signer,
		Payload:   payload,
	}, nil
}

// legacyKey returns the policy's key for a legacy signature or attestation in layer l, or
// ErrLegacyUnsupported when the policy asks for more than a key can show on this format.
func legacyKey(p sign.Policy, l v1.Descriptor) (crypto.PublicKey, error) {
	key := p.PublicKey()
	switch {
	case key == nil:
		_, keyless := l.Annotations[annotationLegacyCertificate]
		return nil, fmt.Errorf("%w: a keyless policy (certificate present: %v)", ErrLegacyUnsupported, keyless)
	case p.TrustedMaterial() != nil:
		return nil, fmt.Errorf("%w: the policy has a trusted root, and the transparency log entry is not checked on this format", ErrLegacyUnsupported)
	}
	return key, nil
}

// keySigner names a verified key as the sign room does: the SHA-256 of its PKIX DER.
func keySigner(key crypto.PublicKey) (sign.VerifiedSigner, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return sign.VerifiedSigner{}, fmt.Errorf("%w: public key: %w", sign.ErrInvalidPolicy, err)
	}
	sum := sha256.Sum256(der)
	return sign.VerifiedSigner{Kind: "key", KeyID: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// fetchBlob reads layer l of d's repository, exactly l.Size bytes, at most max; the descriptor
// and the blob's failures are malformed. go-containerregistry checks the digest once the blob
// is read to its end; a short read is checked here.
func fetchBlob(ctx context.Context, d name.Digest, l v1.Descriptor, max int64, malformed error, ro []remote.Option) ([]byte, error) {
	if l.Size <= 0 || l.Size > max || l.Digest.Algorithm != "sha256" || len(l.Digest.Hex) != 64 {
		return nil, fmt.Errorf("%w: blob of %d bytes (at most %d), digest %q", malformed, l.Size, max, l.Digest)
	}
	layer, err := remote.Layer(d.Context().Digest(l.Digest.String()), ro...)
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, registryErr(d.String(), err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, l.Size+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: blob %s: %w", malformed, l.Digest, err)
	}
	if int64(len(data)) != l.Size {
		return nil, fmt.Errorf("%w: blob %s is %d bytes, the manifest says %d", malformed, l.Digest, len(data), l.Size)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != l.Digest.Hex {
		return nil, fmt.Errorf("%w: blob does not match its digest %s", malformed, l.Digest)
	}
	return data, nil
}

// simpleSigning is the part of a simple-signing payload that is checked. Its "optional" part
// holds unsigned-by-convention annotations the signer chose (cosign -a) and is not interpreted.
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// parseLegacyPayload checks that payload is a simple-signing image signature about digest. The
// digest is what binds the signature to the image: the tag holding it is mutable, and the
// docker-reference (repository) is not checked, as cosign does not, so that signatures survive
// copying images between registries.
func parseLegacyPayload(payload []byte, digest string) error {
	if len(payload) > maxPayloadSize {
		return fmt.Errorf("%w: payload of %d bytes, more than %d", ErrMalformedLegacySignature, len(payload), maxPayloadSize)
	}
	var ss simpleSigning
	if err := json.Unmarshal(payload, &ss); err != nil {
		return fmt.Errorf("%w: payload: %w", ErrMalformedLegacySignature, err)
	}
	if !strings.EqualFold(ss.Critical.Type, simpleSigningType) {
		return fmt.Errorf("%w: payload type %q, want %q", ErrMalformedLegacySignature, ss.Critical.Type, simpleSigningType)
	}
	if got := ss.Critical.Image.DockerManifestDigest; got != digest {
		return fmt.Errorf("%w: payload signs %q, the image is %s", ErrLegacyDigestMismatch, got, digest)
	}
	return nil
}

// verifyPayloadSignature checks sig over the exact payload bytes with key, as cosign signs
// them: ECDSA (ASN.1) and RSA PKCS#1 v1.5 over SHA-256, ed25519 pure or prehashed.
func verifyPayloadSignature(key crypto.PublicKey, payload, sig []byte) error {
	var (
		v   signature.Verifier
		err error
	)
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		v, err = signature.LoadECDSAVerifier(k, crypto.SHA256)
	case *rsa.PublicKey:
		v, err = signature.LoadRSAPKCS1v15Verifier(k, crypto.SHA256)
	case ed25519.PublicKey:
		if ed25519.Verify(k, payload, sig) {
			return nil
		}
		v, err = signature.LoadED25519phVerifier(k)
	default:
		return fmt.Errorf("%w: %T keys are not supported for legacy signatures", sign.ErrAlgorithm, key)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", sign.ErrInvalidPolicy, err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
		return fmt.Errorf("%w: legacy signature does not verify with the policy's key: %w", sign.ErrSignature, err)
	}
	return nil
}
