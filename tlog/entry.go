package tlog

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor-tiles/v2/pkg/types/hashedrekord"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// The entry kind and API version hallmark's log writes. They are Rekor v2's: a hallmark log
// entry is byte for byte the entry Rekor v2 would log for the same request, so Sigstore
// clients (sigstore-go, cosign with a custom trusted root) can check hallmark's inclusion
// proofs, and Rekor v2 clients can submit to a hallmark log. As in Rekor v2, a DSSE envelope
// (an attestation) is logged as a hashedrekord whose digest is the hash of the envelope's
// pre-authentication encoding (PAE) and whose signature is the envelope's.
const (
	KindHashedRekord = "hashedrekord"
	EntryAPIVersion  = "0.0.2"
)

// MaxEntrySize caps a canonical entry (the leaf data): the C2SP tlog-tiles entry-bundle limit.
const MaxEntrySize = 1<<16 - 1

var (
	// ErrInvalidEntry: a submitted entry or a logged entry body is malformed or its signature
	// does not verify against the verifier it names.
	ErrInvalidEntry = errors.New("invalid log entry")

	// ErrUnsupportedAlgorithm: the key or signature algorithm is not one the log accepts.
	ErrUnsupportedAlgorithm = fmt.Errorf("%w: unsupported algorithm", ErrInvalidEntry)
)

// acceptedAlgorithms are the key/signature algorithms the log accepts (the digest is signed,
// so pure Ed25519 cannot be checked and is refused; Ed25519ph can).
var acceptedAlgorithms = []protocommon.PublicKeyDetails{
	protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512,
	protocommon.PublicKeyDetails_PKIX_ED25519_PH,
}

var algorithmRegistry = func() *signature.AlgorithmRegistryConfig {
	r, err := signature.NewAlgorithmRegistryConfig(acceptedAlgorithms)
	if err != nil {
		panic(err) // a constant list; covered by every test
	}
	return r
}()

// ValidateRequest checks a submitted entry — the signature must verify against the public key
// or certificate it carries — and returns the canonical entry that goes into the log (RFC 8785
// JSON of the Rekor v2 Entry) with its kind and version.
func ValidateRequest(req *pb.CreateEntryRequest) ([]byte, *protorekor.KindVersion, error) {
	hr := req.GetHashedRekordRequestV002()
	if hr == nil {
		if req.GetDsseRequestV002() != nil {
			return nil, nil, fmt.Errorf("%w: dsseRequestV002 is not accepted (as by Rekor v2): log a DSSE envelope as a hashedrekord over the hash of its PAE", ErrInvalidEntry)
		}
		return nil, nil, fmt.Errorf("%w: the request holds no hashedRekordRequestV002", ErrInvalidEntry)
	}
	if k := hr.GetSignature().GetVerifier().GetKeyDetails(); k == protocommon.PublicKeyDetails_PKIX_ED25519 {
		return nil, nil, fmt.Errorf("%w: hashedrekord: a pure Ed25519 signature signs the whole message, not its digest, so the log cannot check it; use Ed25519ph or ECDSA", ErrUnsupportedAlgorithm)
	}
	entry, err := hashedrekord.ToLogEntry(hr, algorithmRegistry)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hashedrekord: %v", ErrInvalidEntry, err)
	}
	body, err := canonical(entry)
	if err != nil {
		return nil, nil, err
	}
	if len(body) > MaxEntrySize {
		return nil, nil, fmt.Errorf("%w: entry is %d bytes, over the %d-byte limit", ErrInvalidEntry, len(body), MaxEntrySize)
	}
	return body, &protorekor.KindVersion{Kind: entry.Kind, Version: entry.ApiVersion}, nil
}

func canonical(e *pb.Entry) ([]byte, error) {
	raw, err := protojson.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding entry: %v", ErrInvalidEntry, err)
	}
	out, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: canonicalising entry: %v", ErrInvalidEntry, err)
	}
	return out, nil
}

// ParseEntry decodes a logged entry body (a canonicalizedBody from a bundle or an entry
// bundle) strictly: it must be a Rekor v2 hashedrekord entry of version 0.0.2 in its
// canonical form, so two different byte strings never describe the same entry.
func ParseEntry(body []byte) (*pb.Entry, error) {
	var e pb.Entry
	if err := protojson.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if e.GetApiVersion() != EntryAPIVersion {
		return nil, fmt.Errorf("%w: apiVersion %q, want %q", ErrInvalidEntry, e.GetApiVersion(), EntryAPIVersion)
	}
	if e.GetKind() != KindHashedRekord {
		return nil, fmt.Errorf("%w: kind %q, want %s", ErrInvalidEntry, e.GetKind(), KindHashedRekord)
	}
	hr := e.GetSpec().GetHashedRekordV002()
	if hr == nil || len(hr.GetData().GetDigest()) == 0 || len(hr.GetSignature().GetContent()) == 0 || hr.GetSignature().GetVerifier() == nil {
		return nil, fmt.Errorf("%w: hashedrekord entry without digest, signature or verifier", ErrInvalidEntry)
	}
	again, err := canonical(&e)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, body) {
		return nil, fmt.Errorf("%w: the body is not in canonical form (RFC 8785 JSON of the entry)", ErrInvalidEntry)
	}
	return &e, nil
}

// EntryVerifier returns the verifier (key or certificate) an entry names: a monitor compares
// it with the keys it watches.
func EntryVerifier(e *pb.Entry) *pb.Verifier {
	return e.GetSpec().GetHashedRekordV002().GetSignature().GetVerifier()
}

// NewVerifier describes a public key (PKIX) or, when cert is non-nil, a certificate as a Rekor
// v2 verifier. The key details follow the key: ECDSA with the curve's hash. Ed25519 keys are
// refused: hallmark's Ed25519 signatures are pure Ed25519, which a digest cannot check.
func NewVerifier(pub crypto.PublicKey, cert *x509.Certificate) (*pb.Verifier, error) {
	if cert != nil {
		pub = cert.PublicKey
	}
	var details protocommon.PublicKeyDetails
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			details = protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
		case elliptic.P384():
			details = protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384
		case elliptic.P521():
			details = protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512
		default:
			return nil, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedAlgorithm, k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
		return nil, fmt.Errorf("%w: an Ed25519 signature signs the whole message, which a log entry (a digest) cannot be checked against; sign with an ECDSA key to use the transparency log", ErrUnsupportedAlgorithm)
	default:
		return nil, fmt.Errorf("%w: %T key", ErrUnsupportedAlgorithm, pub)
	}
	if cert != nil {
		return &pb.Verifier{
			Verifier:   &pb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw}},
			KeyDetails: details,
		}, nil
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedAlgorithm, err)
	}
	return &pb.Verifier{
		Verifier:   &pb.Verifier_PublicKey{PublicKey: &pb.PublicKey{RawBytes: der}},
		KeyDetails: details,
	}, nil
}

// sameVerifier reports whether two verifiers name the same key or certificate.
func sameVerifier(a, b *pb.Verifier) bool {
	if a.GetKeyDetails() != b.GetKeyDetails() {
		return false
	}
	if a.GetPublicKey() != nil || b.GetPublicKey() != nil {
		return bytes.Equal(a.GetPublicKey().GetRawBytes(), b.GetPublicKey().GetRawBytes()) && a.GetPublicKey() != nil && b.GetPublicKey() != nil
	}
	return bytes.Equal(a.GetX509Certificate().GetRawBytes(), b.GetX509Certificate().GetRawBytes()) && a.GetX509Certificate() != nil
}
