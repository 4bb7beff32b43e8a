package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

var (
	// ErrSubmit: the log refused the entry or could not be reached.
	ErrSubmit = errors.New("submitting to the transparency log failed")
)

// maxResponseSize caps a log's answer to a submission (an entry, a checkpoint and ~60 hashes).
const maxResponseSize = 1 << 20

// RequestForBundle builds the log request for a signed bundle, as Rekor v2 clients do: a
// hashedrekord request (digest, signature, verifier) whose digest is the artifact's for a
// message signature, and the hash of the envelope's PAE for a DSSE envelope (an attestation). pub is the signing key when the bundle names its key only by hint; a
// bundle carrying a certificate is described by that certificate.
func RequestForBundle(b *bundle.Bundle, pub crypto.PublicKey) (*pb.CreateEntryRequest, error) {
	if b == nil || b.Bundle == nil {
		return nil, fmt.Errorf("%w: no bundle", ErrInvalidEntry)
	}
	var cert *x509.Certificate
	if c := b.Bundle.GetVerificationMaterial().GetCertificate(); c != nil {
		parsed, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			return nil, fmt.Errorf("%w: the bundle's certificate: %v", ErrInvalidEntry, err)
		}
		cert = parsed
	} else if pub == nil {
		return nil, fmt.Errorf("%w: the bundle names its key by hint only and no public key was given", ErrInvalidEntry)
	}
	v, err := NewVerifier(pub, cert)
	if err != nil {
		return nil, err
	}
	if ms := b.Bundle.GetMessageSignature(); ms != nil {
		return hashedRekordRequest(ms.GetMessageDigest().GetDigest(), ms.GetSignature(), v), nil
	}
	if env := b.Bundle.GetDsseEnvelope(); env != nil {
		if len(env.GetSignatures()) == 0 {
			return nil, fmt.Errorf("%w: the DSSE envelope has no signature", ErrInvalidEntry)
		}
		digest, err := paeDigest(env, v.GetKeyDetails())
		if err != nil {
			return nil, err
		}
		return hashedRekordRequest(digest, env.GetSignatures()[0].GetSig(), v), nil
	}
	return nil, fmt.Errorf("%w: the bundle holds neither a message signature nor a DSSE envelope", ErrInvalidEntry)
}

func hashedRekordRequest(digest, sig []byte, v *pb.Verifier) *pb.CreateEntryRequest {
	return &pb.CreateEntryRequest{Spec: &pb.CreateEntryRequest_HashedRekordRequestV002{
		HashedRekordRequestV002: &pb.HashedRekordRequestV002{
			Digest:    digest,
			Signature: &pb.Signature{Content: sig, Verifier: v},
		},
	}}
}

// paeDigest hashes a DSSE envelope's pre-authentication encoding with the hash of the key's
// signature algorithm: what the envelope's signature signs, and what Rekor v2 logs.
func paeDigest(env *protodsse.Envelope, details protocommon.PublicKeyDetails) ([]byte, error) {
	var h hash.Hash
	switch details {
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256:
		h = sha256.New()
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384:
		h = sha512.New384()
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512:
		h = sha512.New()
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, details)
	}
	h.Write(dsse.PAE(env.GetPayloadType(), env.GetPayload()))
	return h.Sum(nil), nil
}

// Submit sends req to the log at baseURL (its write API, EntriesPath) and returns the entry
// with its inclusion proof. It retries while the log pushes back (HTTP 503, 429) until ctx
// ends. The answer is not trusted here: VerifyEntry checks it.
func Submit(ctx context.Context, baseURL string, req *pb.CreateEntryRequest, hc *http.Client) (*protorekor.TransparencyLogEntry, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	body, err := protojson.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding request: %v", ErrSubmit, err)
	}
	url := strings.TrimSuffix(baseURL, "/") + EntriesPath
	delay := 100 * time.Millisecond
	netFailures := 0
	for attempt := 1; ; attempt++ {
		tle, retry, err := submitOnce(ctx, hc, url, body)
		if retry && tle == nil && err != nil && !errors.Is(err, ErrBusy) {
			netFailures++
		}
		// Push-back is retried longer than a log that cannot be reached.
		if err == nil || !retry || attempt >= 8 || netFailures >= 3 {
			return tle, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s: %v (last: %v)", ErrSubmit, url, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func submitOnce(ctx context.Context, hc *http.Client, url string, body []byte) (tle *protorekor.TransparencyLogEntry, retry bool, err error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrSubmit, err)
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(r)
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("%w: %v", ErrSubmit, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s: reading answer: %v", ErrSubmit, url, err)
	}
	if len(raw) > maxResponseSize {
		return nil, false, fmt.Errorf("%w: %s: answer over %d bytes", ErrSubmit, url, maxResponseSize)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(raw))
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
			return nil, true, fmt.Errorf("%w: %w: %s: HTTP %d: %s", ErrSubmit, ErrBusy, url, resp.StatusCode, msg)
		}
		return nil, false, fmt.Errorf("%w: %s: HTTP %d: %s", ErrSubmit, url, resp.StatusCode, msg)
	}
	var out protorekor.TransparencyLogEntry
	if err := protojson.Unmarshal(raw, &out); err != nil {
		return nil, false, fmt.Errorf("%w: %s: the answer is not a TransparencyLogEntry: %v", ErrSubmit, url, err)
	}
	return &out, false, nil
}

// AttachEntry adds a logged entry to the bundle's verification material (the bundle stays
// v0.3: the entry carries its inclusion proof and checkpoint).
func AttachEntry(b *bundle.Bundle, tle *protorekor.TransparencyLogEntry) error {
	if b == nil || b.Bundle == nil || b.Bundle.VerificationMaterial == nil {
		return fmt.Errorf("%w: no bundle to attach the entry to", ErrInvalidEntry)
	}
	vm := b.Bundle.VerificationMaterial
	vm.TlogEntries = append(vm.TlogEntries, tle)
	return nil
}
