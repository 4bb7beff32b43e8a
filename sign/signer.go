package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// Signer signs messages with one key. It is the extension point for keys hallmark does not hold
// in memory: a cloud KMS, an HSM or a hardware token implements these three methods (see
// docs/design/signing.md). Sign may do I/O (a KMS call), hence the context.
type Signer interface {
	// Public returns the public key, which decides the bundle's key hint.
	Public() crypto.PublicKey
	// Algorithm says how Sign signs; verifiers rely on it matching the public key.
	Algorithm() Algorithm
	// Sign returns the signature of message as Algorithm defines it: for ECDSAP256 an ASN.1
	// DER ECDSA signature over SHA-256(message), for Ed25519 a 64-byte pure Ed25519 signature
	// over message.
	Sign(ctx context.Context, message []byte) ([]byte, error)
}

// DigestSigner is an optional fast path, found by type assertion: a Signer whose algorithm
// signs a SHA-256 digest (ECDSAP256) implements it so that SignBlob hashes a large artifact as
// it streams instead of holding it in memory. KMS signers usually take digests anyway.
type DigestSigner interface {
	Signer
	// SignDigest signs a SHA-256 digest; the result equals Sign of the message it was taken of.
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// KeySigner is a Signer over any crypto.Signer holding an ECDSA P-256 or ed25519 key: a key
// read from a file by UnmarshalPrivateKey, a generated one, or a crypto.Signer some hardware
// library provides. It implements DigestSigner for ECDSA keys.
type KeySigner struct {
	key crypto.Signer
	alg Algorithm
}

// NewKeySigner returns a Signer for key, or ErrUnsupportedKey when hallmark does not sign with
// its type.
func NewKeySigner(key crypto.Signer) (*KeySigner, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no key", ErrMalformedKey)
	}
	alg, err := AlgorithmOf(key.Public())
	if err != nil {
		return nil, err
	}
	return &KeySigner{key: key, alg: alg}, nil
}

// LoadSigner reads a private key as UnmarshalPrivateKey does and returns its Signer.
func LoadSigner(data, password []byte) (*KeySigner, error) {
	key, err := UnmarshalPrivateKey(data, password)
	if err != nil {
		return nil, err
	}
	return NewKeySigner(key)
}

// Public implements Signer.
func (s *KeySigner) Public() crypto.PublicKey { return s.key.Public() }

// Algorithm implements Signer.
func (s *KeySigner) Algorithm() Algorithm { return s.alg }

// Sign implements Signer.
func (s *KeySigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if s.alg == ECDSAP256 {
		d := sha256.Sum256(message)
		return s.SignDigest(ctx, d[:])
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Pure Ed25519 (RFC 8032 §5.1.6) signs the message itself: crypto.Hash(0) says so.
	sig, err := s.key.Sign(rand.Reader, message, crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("signing with %s key: %w", s.alg, err)
	}
	return sig, nil
}

// SignDigest implements DigestSigner. It fails for Ed25519 keys, whose pure form cannot sign a
// digest.
func (s *KeySigner) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	if s.alg != ECDSAP256 {
		return nil, fmt.Errorf("%w: %s signs whole messages, not digests", ErrUnsupportedKey, s.alg)
	}
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("signing digest: %d bytes, want a SHA-256 digest (%d)", len(digest), sha256.Size)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// crypto.Signer for ECDSA returns the ASN.1 DER form (SEQUENCE{r, s}), which is what
	// cosign writes and sigstore-go verifies.
	sig, err := s.key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing with %s key: %w", s.alg, err)
	}
	return sig, nil
}

// checkSignature is the plain cryptographic check of sig over a message (given whole for
// Ed25519, as its SHA-256 digest for ECDSAP256) that SignBlob runs on what a Signer returned,
// so a faulty KMS or token never yields a bundle that does not verify. Verifying a bundle
// (trust, policy, artifact binding) is the verifier's job, not this.
func checkSignature(pub crypto.PublicKey, alg Algorithm, message, digest, sig []byte) bool {
	switch alg {
	case ECDSAP256:
		k, ok := pub.(*ecdsa.PublicKey)
		return ok && ecdsa.VerifyASN1(k, digest, sig)
	case Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		return ok && ed25519.Verify(k, message, sig)
	}
	return false
}
