package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/attest"
)

const testPredicate = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}`

// helloStatement is a CycloneDX statement about testdata/keys/hello.txt, and that file's digest.
func helloStatement(t testing.TB) ([]byte, string) {
	t.Helper()
	subj, err := attest.FileSubject("hello.txt", bytes.NewReader(readKeyFixture(t, "hello.txt")))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.New([]attest.Subject{subj}, "https://cyclonedx.org/bom", []byte(testPredicate))
	if err != nil {
		t.Fatal(err)
	}
	return st, "sha256:" + subj.Digest["sha256"]
}

func fixtureSigner(t testing.TB, name string) *KeySigner {
	t.Helper()
	s, err := LoadSigner(readKeyFixture(t, name), fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignStatementRoundTrip(t *testing.T) {
	artifact := readKeyFixture(t, "hello.txt")
	for _, key := range []string{"cosign.key", "cosign-ed25519.key"} {
		t.Run(key, func(t *testing.T) {
			s := fixtureSigner(t, key)
			statement, digest := helloStatement(t)
			b, err := SignStatement(t.Context(), s, statement)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := MarshalBundle(b)
			if err != nil {
				t.Fatal(err)
			}

			// The bundle's shape: v0.3, the key hint, one DSSE signature over the statement.
			var got struct {
				MediaType            string `json:"mediaType"`
				VerificationMaterial struct {
					PublicKey struct{ Hint string } `json:"publicKey"`
				} `json:"verificationMaterial"`
				DsseEnvelope struct {
					Payload     string `json:"payload"`
					PayloadType string `json:"payloadType"`
					Signatures  []struct {
						Sig string `json:"sig"`
					} `json:"signatures"`
				} `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			hint, _ := KeyHint(s.Public())
			if got.MediaType != BundleMediaType || got.VerificationMaterial.PublicKey.Hint != hint ||
				got.DsseEnvelope.PayloadType != attest.PayloadType || len(got.DsseEnvelope.Signatures) != 1 ||
				got.DsseEnvelope.Payload != base64.StdEncoding.EncodeToString(statement) {
				t.Errorf("bundle shape: %s", raw)
			}

			// sigstore-go, on its own, with the artifact digest policy.
			if err := sigstoreVerifyDSSE(b, s.Public(), digest); err != nil {
				t.Errorf("sigstore-go: %v", err)
			}
			// sign.Verify and VerifyDigest, which bind the artifact through the subjects.
			p := mustKeyPolicy(t, s.Public())
			if _, err := Verify(t.Context(), bytes.NewReader(artifact), raw, p); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if _, err := VerifyDigest(t.Context(), digest, raw, p); err != nil {
				t.Errorf("VerifyDigest: %v", err)
			}
			if _, err := Verify(t.Context(), bytes.NewReader([]byte("another file")), raw, p); !errors.Is(err, ErrVerification) {
				t.Errorf("Verify of another artifact: %v, want ErrVerification", err)
			}

			res, st, err := VerifyAttestation(t.Context(), digest, raw, p, "https://cyclonedx.org/bom")
			if err != nil {
				t.Fatal(err)
			}
			if res.Artifact != digest || res.Signer.Kind != "key" || res.Statement == nil || !bytes.Equal(res.Payload, statement) {
				t.Errorf("result %+v", res)
			}
			if diff := cmp.Diff(testPredicate, string(st.Predicate)); diff != "" {
				t.Errorf("predicate (-want +got):\n%s", diff)
			}
			// Any type is accepted when none is asked for.
			if _, _, err := VerifyAttestation(t.Context(), digest, raw, p, ""); err != nil {
				t.Errorf("no type: %v", err)
			}
		})
	}
}

// sigstoreVerifyDSSE verifies a DSSE bundle with sigstore-go alone, trusting exactly pub and
// binding the artifact by digest.
func sigstoreVerifyDSSE(b *bundle.Bundle, pub crypto.PublicKey, digest string) error {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return err
	}
	trusted := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	})
	sev, err := verify.NewVerifier(trusted, verify.WithNoObserverTimestamps())
	if err != nil {
		return err
	}
	raw, err := hex.DecodeString(digest[len("sha256:"):])
	if err != nil {
		return err
	}
	_, err = sev.Verify(b, verify.NewPolicy(verify.WithArtifactDigest("sha256", raw), verify.WithKey()))
	return err
}

// signEnvelope builds a DSSE bundle over any payload, valid statement or not, bypassing
// SignStatement's validation: what a careless or hostile signer could produce.
func signEnvelope(t testing.TB, s *KeySigner, payloadType string, payload []byte) []byte {
	t.Helper()
	sig, err := s.Sign(t.Context(), dsse.PAE(payloadType, payload))
	if err != nil {
		t.Fatal(err)
	}
	hint, _ := KeyHint(s.Public())
	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: payloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	raw, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerifyAttestationFailures(t *testing.T) {
	s := fixtureSigner(t, "cosign.key")
	other := fixtureSigner(t, "cosign-ed25519.key")
	statement, digest := helloStatement(t)
	b, err := SignStatement(t.Context(), s, statement)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := MarshalBundle(b)

	tampered := bytes.Replace(good, []byte(base64.StdEncoding.EncodeToString(statement)),
		[]byte(base64.StdEncoding.EncodeToString(bytes.Replace(statement, []byte("1.6"), []byte("1.5"), 1))), 1)
	if bytes.Equal(tampered, good) {
		t.Fatal("tampering did not change the bundle")
	}

	elsewhere, err := attest.New([]attest.Subject{{Name: "other.tar", Digest: map[string]string{"sha256": hex.EncodeToString(make([]byte, 32))}}},
		"https://cyclonedx.org/bom", []byte(testPredicate))
	if err != nil {
		t.Fatal(err)
	}
	eb, err := SignStatement(t.Context(), s, elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	aboutOther, _ := MarshalBundle(eb)

	blob, err := SignBlob(t.Context(), s, bytes.NewReader(readKeyFixture(t, "hello.txt")))
	if err != nil {
		t.Fatal(err)
	}
	blobBundle, _ := MarshalBundle(blob)

	tests := []struct {
		name    string
		bundle  []byte
		policy  Policy
		digest  string
		typ     string
		want    error
		wantToo error
	}{
		{"tampered payload", tampered, mustKeyPolicy(t, s.Public()), digest, "", ErrSignature, nil},
		{"wrong key", good, mustKeyPolicy(t, other.Public()), digest, "", ErrSignature, nil},
		{"about another artifact", aboutOther, mustKeyPolicy(t, s.Public()), digest, "", ErrSubjectMismatch, ErrVerification},
		{"wrong predicate type", good, mustKeyPolicy(t, s.Public()), digest, "https://slsa.dev/provenance/v1", ErrPredicateTypeMismatch, ErrVerification},
		{"blob bundle", blobBundle, mustKeyPolicy(t, s.Public()), digest, "", ErrNotAttestation, ErrMalformedBundle},
		{"other payload type", signEnvelope(t, s, "text/plain", statement), mustKeyPolicy(t, s.Public()), digest, "", ErrNotAttestation, nil},
		{"signed invalid statement", signEnvelope(t, s, attest.PayloadType, []byte(`{"_type":"x"}`)), mustKeyPolicy(t, s.Public()), digest, "", ErrNotAttestation, attest.ErrInvalid},
		{"malformed JSON", []byte(`{"mediaType":`), mustKeyPolicy(t, s.Public()), digest, "", ErrMalformedBundle, nil},
		{"empty", nil, mustKeyPolicy(t, s.Public()), digest, "", ErrMalformedBundle, nil},
		{"bad digest", good, mustKeyPolicy(t, s.Public()), "sha256:xyz", "", ErrInvalidPolicy, nil},
		{"empty policy", good, Policy{}, digest, "", ErrInvalidPolicy, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := VerifyAttestation(t.Context(), tt.digest, tt.bundle, tt.policy, tt.typ)
			if !errors.Is(err, tt.want) || (tt.wantToo != nil && !errors.Is(err, tt.wantToo)) {
				t.Fatalf("err = %v, want %v (and %v)", err, tt.want, tt.wantToo)
			}
			if res != nil {
				t.Error("a result came with an error")
			}
		})
	}
}

func TestSignStatementRefusesInvalid(t *testing.T) {
	s := fixtureSigner(t, "cosign.key")
	for _, in := range []string{``, `{}`, `not json`, `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}`} {
		if _, err := SignStatement(t.Context(), s, []byte(in)); !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("SignStatement(%q) = %v, want attest.ErrInvalid", in, err)
		}
	}
	statement, _ := helloStatement(t)
	if _, err := SignStatement(t.Context(), nil, statement); !errors.Is(err, ErrSignerFault) {
		t.Errorf("nil signer: %v", err)
	}
	if _, err := SignStatement(t.Context(), faultyPlain{s}, statement); !errors.Is(err, ErrSignerFault) {
		t.Errorf("faulty signer: %v", err)
	}
}

// TestVerifyAttestationConformance runs the corpus's keyless DSSE case through VerifyAttestation:
// the statement path hallmark uses for its own attestations also reads Sigstore's.
func TestVerifyAttestationConformance(t *testing.T) {
	for _, c := range loadConformance(t) {
		if c.Case != "happy-path-intoto-in-dsse-v3" {
			continue
		}
		p, err := c.policy(t)
		if err != nil {
			t.Fatal(err)
		}
		bundleJSON, err := os.ReadFile(filepath.Join(conformanceDir, c.Dir, "bundle.sigstore.json"))
		if err != nil {
			t.Fatal(err)
		}
		artifact, err := os.ReadFile(filepath.Join(conformanceDir, c.Artifact))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(artifact)
		digest := "sha256:" + hex.EncodeToString(sum[:])
		res, st, err := VerifyAttestation(t.Context(), digest, bundleJSON, p, "https://slsa.dev/provenance/v1")
		if err != nil {
			t.Fatal(err)
		}
		if res.Signer.Kind != "certificate" || res.Signer.Identity != conformanceIdentity || len(res.TransparencyLog) == 0 {
			t.Errorf("result %+v", res)
		}
		if !st.Matches(digest) {
			t.Error("statement does not name a.txt")
		}
		// Another artifact: still signed, but not about it.
		if _, _, err := VerifyAttestation(t.Context(), "sha256:"+hex.EncodeToString(make([]byte, 32)), bundleJSON, p, ""); !errors.Is(err, ErrSubjectMismatch) {
			t.Errorf("other artifact: %v, want ErrSubjectMismatch", err)
		}
		return
	}
	t.Fatal("happy-path-intoto-in-dsse-v3 not in the corpus index")
}

// FuzzVerifyAttestation signs arbitrary payloads (as a hostile signer could) and checks that
// VerifyAttestation never panics, fails only with named errors, and accepts only valid
// statements about the artifact.
func FuzzVerifyAttestation(f *testing.F) {
	s := fixtureSigner(f, "cosign.key")
	p := mustKeyPolicy(f, s.Public())
	statement, digest := helloStatement(f)
	f.Add(statement)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		bundleJSON := signEnvelope(t, s, attest.PayloadType, payload)
		res, st, err := VerifyAttestation(t.Context(), digest, bundleJSON, p, "")
		if err != nil {
			if !errors.Is(err, ErrNotAttestation) && !errors.Is(err, ErrSubjectMismatch) && !errors.Is(err, ErrMalformedBundle) {
				t.Fatalf("unnamed error: %v", err)
			}
			return
		}
		if res == nil || st == nil || !st.Matches(digest) {
			t.Fatalf("accepted %q without a matching statement", payload)
		}
	})
}
