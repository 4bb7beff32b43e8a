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
	"github.com/hallmark-dev/hallmark/source"
)

// cosign's legacy image signatures (cosign before v3, and v3 with --new-bundle-format=false)
// are not bundles: they live under the tag "<repo>:sha256-<hex>.sig" as an image manifest
// whose layers are "simple signing" payloads, each signed with the signature in a layer
// annotation. Images signed that way are still everywhere, so VerifyImage reads them too, with
// a key policy only: their certificates and Rekor bundles are another format that hallmark does
// not check, and pretending to would be worse than refusing.

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

// legacyTag is where cosign's legacy signatures of image d live.
func legacyTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".sig")
}

// verifyLegacy verifies the legacy signatures of image d under p. A missing tag is no
// signature; a layer that does not verify is a failure; a registry failure is an error.
func verifyLegacy(ctx context.Context, d name.Digest, p sign.Policy, ro []remote.Option) (verified []Verified, failures []error, err error) {
	tag := legacyTag(d)
	desc, err := remote.Get(tag, ro...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return nil, nil, nil
		}
		return nil, nil, registryErr(tag.String(), err)
	}
	layers, err := parseLegacyManifest(desc.Manifest)
	if err != nil {
		return nil, []error{fmt.Errorf("legacy signature %s: %w", tag.TagStr(), err)}, nil
	}
	for i, l := range layers {
		res, err := verifyLegacyLayer(ctx, d, l, p, ro)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if errors.Is(err, source.ErrRegistry) || errors.Is(err, source.ErrNotFound) {
				return nil, nil, err
			}
			failures = append(failures, fmt.Errorf("legacy signature %s layer %d: %w", tag.TagStr(), i, err))
			continue
		}
		verified = append(verified, Verified{Image: d.String(), Referrer: desc.Digest.String(), Kind: LegacyKind, Result: res})
	}
	return verified, failures, nil
}

// parseLegacyManifest checks that raw is an image manifest of at most maxLegacyLayers layers
// and returns its simple-signing layers (others, which cosign never writes, are ignored).
func parseLegacyManifest(raw []byte) ([]v1.Descriptor, error) {
	if len(raw) > maxManifestSize {
		return nil, fmt.Errorf("%w: manifest of %d bytes, more than %d", ErrMalformedLegacySignature, len(raw), maxManifestSize)
	}
	var mf struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     types.MediaType `json:"mediaType"`
		Layers        []v1.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(raw, &mf); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrMalformedLegacySignature, err)
	}
	if mf.SchemaVersion != 2 || (mf.MediaType != types.OCIManifestSchema1 && mf.MediaType != types.DockerManifestSchema2) {
		return nil, fmt.Errorf("%w: not an image manifest (schemaVersion %d, mediaType %q)", ErrMalformedLegacySignature, mf.SchemaVersion, mf.MediaType)
	}
	if len(mf.Layers) > maxLegacyLayers {
		return nil, fmt.Errorf("%w: %d layers, at most %d are examined", ErrMalformedLegacySignature, len(mf.Layers), maxLegacyLayers)
	}
	var out []v1.Descriptor
	for _, l := range mf.Layers {
		if l.MediaType == SimpleSigningMediaType {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no %s layer", ErrMalformedLegacySignature, SimpleSigningMediaType)
	}
	return out, nil
}

// verifyLegacyLayer verifies one simple-signing layer of image d with the policy's key.
func verifyLegacyLayer(ctx context.Context, d name.Digest, l v1.Descriptor, p sign.Policy, ro []remote.Option) (*sign.Result, error) {
	key := p.PublicKey()
	switch {
	case key == nil:
		_, keyless := l.Annotations[annotationLegacyCertificate]
		return nil, fmt.Errorf("%w: a keyless policy (certificate present: %v)", ErrLegacyUnsupported, keyless)
	case p.TrustedMaterial() != nil:
		return nil, fmt.Errorf("%w: the policy has a trusted root, and the signature's transparency log entry is not checked on this format", ErrLegacyUnsupported)
	}
	sigB64, ok := l.Annotations[annotationLegacySignature]
	if !ok {
		return nil, fmt.Errorf("%w: no %s annotation", ErrMalformedLegacySignature, annotationLegacySignature)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: signature annotation is not base64", ErrMalformedLegacySignature)
	}
	if l.Size <= 0 || l.Size > maxPayloadSize || l.Digest.Algorithm != "sha256" || len(l.Digest.Hex) != 64 {
		return nil, fmt.Errorf("%w: payload of %d bytes (at most %d), digest %q", ErrMalformedLegacySignature, l.Size, maxPayloadSize, l.Digest)
	}
	payload, err := fetchBlob(ctx, d, l, ro)
	if err != nil {
		return nil, err
	}
	if err := parseLegacyPayload(payload, d.DigestStr()); err != nil {
		return nil, err
	}
	if err := verifyPayloadSignature(key, payload, sig); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %w", sign.ErrInvalidPolicy, err)
	}
	sum := sha256.Sum256(der)
	return &sign.Result{
		MediaType: SimpleSigningMediaType,
		Artifact:  d.DigestStr(),
		Signer:    sign.VerifiedSigner{Kind: "key", KeyID: "sha256:" + hex.EncodeToString(sum[:])},
		Payload:   payload,
	}, nil
}

// fetchBlob reads layer l of d's repository, exactly l.Size bytes; go-containerregistry checks
// the digest once the blob is read to its end.
func fetchBlob(ctx context.Context, d name.Digest, l v1.Descriptor, ro []remote.Option) ([]byte, error) {
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
		return nil, fmt.Errorf("%w: payload blob %s: %w", ErrMalformedLegacySignature, l.Digest, err)
	}
	if int64(len(data)) != l.Size {
		return nil, fmt.Errorf("%w: payload blob %s is %d bytes, the manifest says %d", ErrMalformedLegacySignature, l.Digest, len(data), l.Size)
	}
	// A short read stops before go-containerregistry's digest check, so check it here too.
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != l.Digest.Hex {
		return nil, fmt.Errorf("%w: payload blob does not match its digest %s", ErrMalformedLegacySignature, l.Digest)
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
