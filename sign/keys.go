package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Sentinel errors of the key functions; match them with errors.Is.
var (
	// ErrWrongPassword: an encrypted private key did not decrypt with the password given. The
	// cipher (NaCl secretbox) authenticates, so this is also what a modified key file gives.
	// Ask for the password again; do not retry in a loop.
	ErrWrongPassword = errors.New("wrong password for the private key (or the key file was modified)")
	// ErrMalformedKey: the input is not a key in a format hallmark reads; the message names
	// what is wrong. Bad input: fix the file.
	ErrMalformedKey = errors.New("malformed key")
	// ErrUnsupportedKey: a well-formed key of a type or curve hallmark does not sign with
	// (RSA, P-384, …). Generate or import an ECDSA P-256 or ed25519 key.
	ErrUnsupportedKey = errors.New("unsupported key")
)

// Algorithm is a signing algorithm: the key type together with how a message is signed. The
// values are the names the CLI accepts (--algorithm).
type Algorithm string

const (
	// ECDSAP256 is ECDSA on NIST P-256 over the SHA-256 digest of the message, signatures in
	// ASN.1 DER: Sigstore's PKIX_ECDSA_P256_SHA_256, cosign's default.
	ECDSAP256 Algorithm = "ecdsa-p256"
	// Ed25519 is pure Ed25519 (RFC 8032) over the whole message: Sigstore's PKIX_ED25519.
	Ed25519 Algorithm = "ed25519"
)

// Algorithms lists the supported algorithms, the default first.
var Algorithms = []Algorithm{ECDSAP256, Ed25519}

// PEM block types, as cosign and sigstore's cryptoutils name them.
const (
	pemEncryptedSigstore = string(cryptoutils.EncryptedSigstorePrivateKeyPEMType) // cosign ≥ 2.0 writes this
	pemEncryptedCosign   = "ENCRYPTED COSIGN PRIVATE KEY"                         // cosign < 2.0 wrote this; same content
	pemPKCS8             = string(cryptoutils.PrivateKeyPEMType)
	pemSEC1              = string(cryptoutils.ECPrivateKeyPEMType)
	pemPublicKey         = string(cryptoutils.PublicKeyPEMType)
)

// GenerateKey returns a new private key for alg ("" means ECDSAP256).
func GenerateKey(alg Algorithm) (crypto.Signer, error) {
	switch alg {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("%w: algorithm %q (want one of %s)", ErrUnsupportedKey, alg, algorithmList())
}

// AlgorithmOf returns the algorithm hallmark signs with for a public key, or ErrUnsupportedKey.
func AlgorithmOf(pub crypto.PublicKey) (Algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return "", fmt.Errorf("%w: empty ECDSA public key", ErrMalformedKey)
		}
		if k.Curve == elliptic.P256() {
			return ECDSAP256, nil
		}
		return "", fmt.Errorf("%w: ECDSA on curve %s (want P-256)", ErrUnsupportedKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: ed25519 public key of %d bytes, want %d", ErrMalformedKey, len(k), ed25519.PublicKeySize)
		}
		return Ed25519, nil
	}
	return "", fmt.Errorf("%w: %s public key (want ECDSA P-256 or ed25519)", ErrUnsupportedKey, keyTypeName(pub))
}

// MarshalPrivateKey encodes key for storage at rest exactly as cosign stores its key pairs: the
// PKCS#8 DER encrypted with go-securesystemslib's "encrypted" envelope (scrypt N=2^16, r=8, p=1,
// then NaCl secretbox; a JSON document) in a PEM block "ENCRYPTED SIGSTORE PRIVATE KEY". An empty
// password is allowed, as in cosign; the CLI warns about it.
func MarshalPrivateKey(key crypto.PrivateKey, password []byte) ([]byte, error) {
	if _, err := AlgorithmOf(publicOf(key)); err != nil {
		return nil, err
	}
	if password == nil {
		// cryptoutils treats a nil password as "no password function"; cosign encrypts with
		// the empty password in that case, and so do we.
		password = []byte{}
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(key, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncryptedSigstore, Bytes: der}), nil
}

// MarshalPrivateKeyUnencrypted encodes key as plain PKCS#8 "PRIVATE KEY" PEM. Anyone who can
// read the result can sign as you; use it only to hand a key to a tool that cannot read the
// encrypted format, and prefer MarshalPrivateKey.
func MarshalPrivateKeyUnencrypted(key crypto.PrivateKey) ([]byte, error) {
	if _, err := AlgorithmOf(publicOf(key)); err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPrivateKeyToPEM(key)
}

// UnmarshalPrivateKey reads a private key from the first PEM block of data: cosign's encrypted
// format ("ENCRYPTED SIGSTORE PRIVATE KEY", or the older "ENCRYPTED COSIGN PRIVATE KEY"),
// decrypted with password, or an unencrypted PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY"
// (password ignored). The key must be ECDSA P-256 or ed25519.
func UnmarshalPrivateKey(data, password []byte) (crypto.Signer, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case pemEncryptedSigstore, pemEncryptedCosign:
		der, err := decryptDER(block.Bytes, password)
		if err != nil {
			return nil, err
		}
		key, err = x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %s block decrypts, but not to a PKCS#8 private key: %v", ErrMalformedKey, block.Type, err)
		}
	case pemPKCS8:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM block %q is not PKCS#8 DER: %v", ErrMalformedKey, block.Type, err)
		}
	case pemSEC1:
		key, err = x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM block %q is not a SEC 1 EC private key: %v", ErrMalformedKey, block.Type, err)
		}
	case "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%w: PEM block %q; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt) and import it", ErrUnsupportedKey, block.Type)
	default:
		if strings.Contains(block.Type, "PUBLIC KEY") || block.Type == "CERTIFICATE" {
			return nil, fmt.Errorf("%w: PEM block %q is a public key or certificate, not a private key", ErrMalformedKey, block.Type)
		}
		return nil, fmt.Errorf("%w: PEM block %q is not a private key type hallmark reads (%s, %s, %s)", ErrMalformedKey, block.Type, pemEncryptedSigstore, pemPKCS8, pemSEC1)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %s private key", ErrUnsupportedKey, keyTypeName(key))
	}
	if _, err := AlgorithmOf(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// KeyIsEncrypted reports whether data's first PEM block is a private key in cosign's encrypted
// format, so that a caller asks for a password only when one is needed.
func KeyIsEncrypted(data []byte) bool {
	block, _ := pem.Decode(data)
	return block != nil && (block.Type == pemEncryptedSigstore || block.Type == pemEncryptedCosign)
}

// decryptDER opens the go-securesystemslib envelope, telling a wrong password apart from a
// damaged envelope.
func decryptDER(envelope, password []byte) ([]byte, error) {
	if password == nil {
		password = []byte{}
	}
	der, err := encrypted.Decrypt(envelope, password)
	if err == nil {
		return der, nil
	}
	// The library exports no sentinel errors. Everything before the secretbox authentication
	// (JSON, KDF name and parameters, cipher name, nonce size) fails with another message, so
	// this one message means the derived key was wrong. TestDecryptErrorClassification pins
	// it, so a library upgrade that changes the text fails loudly instead of misreporting.
	if err.Error() == "encrypted: decryption failed" {
		return nil, ErrWrongPassword
	}
	return nil, fmt.Errorf("%w: encrypted key envelope: %v", ErrMalformedKey, err)
}

// MarshalPublicKey encodes pub as PKIX "PUBLIC KEY" PEM (what cosign writes to cosign.pub).
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if _, err := AlgorithmOf(pub); err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// UnmarshalPublicKey reads a PKIX "PUBLIC KEY" PEM block (the first in data) holding an ECDSA
// P-256 or ed25519 key.
func UnmarshalPublicKey(data []byte) (crypto.PublicKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	if block.Type != pemPublicKey {
		return nil, fmt.Errorf("%w: PEM block %q, want %q", ErrMalformedKey, block.Type, pemPublicKey)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: PEM block %q is not PKIX DER: %v", ErrMalformedKey, block.Type, err)
	}
	if _, err := AlgorithmOf(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// KeyHint is the key's hint in a Sigstore bundle (verificationMaterial.publicKey.hint): the
// standard base64 of the SHA-256 of its PKIX DER encoding, as cosign and sigstore-go compute it.
// It lets a verifier holding several keys pick the right one; it is not authenticated.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// decodePEM returns the first PEM block of data. Text before it is allowed (openssl writes
// "Bag Attributes" headers there); a legacy RFC 1423 encrypted block (Proc-Type header) is
// refused because its cipher is broken.
func decodePEM(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		if len(data) == 0 {
			return nil, fmt.Errorf("%w: empty input", ErrMalformedKey)
		}
		return nil, fmt.Errorf("%w: no PEM block found (want a -----BEGIN ...----- line)", ErrMalformedKey)
	}
	if _, ok := block.Headers["Proc-Type"]; ok {
		return nil, fmt.Errorf("%w: legacy PEM encryption (Proc-Type header) in %q; re-encode the key as PKCS#8", ErrUnsupportedKey, block.Type)
	}
	return block, nil
}

func publicOf(key crypto.PrivateKey) crypto.PublicKey {
	if s, ok := key.(crypto.Signer); ok {
		return s.Public()
	}
	return key
}

func keyTypeName(k any) string {
	switch k.(type) {
	case nil:
		return "no"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "ed25519"
	}
	name := fmt.Sprintf("%T", k)
	switch {
	case strings.Contains(name, "rsa"):
		return "RSA"
	case strings.Contains(name, "ecdh"):
		return "ECDH"
	}
	return name
}

func algorithmList() string {
	s := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
