package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the media type of the bundles hallmark writes: Sigstore bundle v0.3.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// ErrSignerFault: a Signer returned a signature that does not verify under its own public key,
// or claims an algorithm its key does not have. Nothing was written; the signer (KMS, token,
// plug-in) is broken or misconfigured.
var ErrSignerFault = errors.New("signer fault")

// SignBlob signs the bytes of artifact with s and returns a Sigstore bundle v0.3 holding a
// message signature: messageDigest is the artifact's SHA-256 (an identifying hint, which
// verifiers recompute) and the verification material is the public key's hint (KeyHint); the
// verifier is expected to hold the key itself, as `cosign verify-blob --key` does. The bundle
// has no transparency-log entry or timestamp yet: it verifies offline with the key alone.
//
// For ECDSAP256 with a DigestSigner the artifact is hashed as it streams; Ed25519 signs the
// whole message and so reads the artifact into memory.
func SignBlob(ctx context.Context, s Signer, artifact io.Reader) (*bundle.Bundle, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no signer", ErrSignerFault)
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

	r := ctxReader{ctx: ctx, r: artifact}
	h := sha256.New()
	var message []byte
	var sig []byte
	if ds, ok := s.(DigestSigner); ok && alg == ECDSAP256 {
		if _, err := io.Copy(h, r); err != nil {
			return nil, fmt.Errorf("reading artifact: %w", err)
		}
		sig, err = ds.SignDigest(ctx, h.Sum(nil))
	} else {
		var buf bytes.Buffer
		if _, err := io.Copy(io.MultiWriter(&buf, h), r); err != nil {
			return nil, fmt.Errorf("reading artifact: %w", err)
		}
		message = buf.Bytes()
		sig, err = s.Sign(ctx, message)
	}
	if err != nil {
		return nil, err
	}
	digest := h.Sum(nil)
	if !checkSignature(pub, alg, message, digest, sig) {
		return nil, fmt.Errorf("%w: the %s signature it returned does not verify under its public key", ErrSignerFault, alg)
	}

	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint},
			},
		},
		Content: &protobundle.Bundle_MessageSignature{
			MessageSignature: &protocommon.MessageSignature{
				// The digest is SHA-256 whatever the algorithm: for pure Ed25519 it only
				// identifies the artifact (Sigstore's MessageSignature says verifiers must not
				// use it to check the signature), and sigstore-go recomputes and compares it.
				MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest},
				Signature:     sig,
			},
		},
	}
	// sigstore-go's own structural validation: what we return is a bundle it accepts.
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	return b, nil
}

// MarshalBundle encodes b as the bundle's canonical protobuf JSON (camelCase fields, base64
// bytes), compact, with a final newline. protojson deliberately varies its whitespace between
// builds; compacting makes the output depend on the bundle alone.
func MarshalBundle(b *bundle.Bundle) ([]byte, error) {
	if b == nil || b.Bundle == nil {
		return nil, errors.New("marshal bundle: no bundle")
	}
	raw, err := protojson.Marshal(b.Bundle)
	if err != nil {
		return nil, fmt.Errorf("marshal bundle: %w", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, fmt.Errorf("marshal bundle: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// ctxReader stops a long read when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
