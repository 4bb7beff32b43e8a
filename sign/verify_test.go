package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Assets of the conformance corpus used by the unit tests.
var (
	bvDir          = filepath.Join(conformanceDir, "conformance-assets", "bundle-verify")
	publicGoodRoot = filepath.Join(conformanceDir, "public-good-tuf", "trusted_root.json")
)

func readFile(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func publicGood(t testing.TB) Policy {
	t.Helper()
	tr, err := ParseTrustedRoot(readFile(t, publicGoodRoot))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewKeylessPolicy(tr, Identity{SubjectAlternativeName: conformanceIdentity, Issuer: conformanceIssuer})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func managedKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(readFile(t, bvDir, "managed-key-happy-path", "key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func mustKeyPolicy(t testing.TB, pub crypto.PublicKey) Policy {
	t.Helper()
	p, err := NewKeyPolicy(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestVerifyKeylessResult(t *testing.T) {
	artifact := readFile(t, bvDir, "a.txt")
	res, err := Verify(context.Background(), bytes.NewReader(artifact), readFile(t, bvDir, "happy-path-v0.3", "bundle.sigstore.json"), publicGood(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Artifact != sha256Hex(artifact) {
		t.Errorf("Artifact = %s, want %s", res.Artifact, sha256Hex(artifact))
	}
	want := VerifiedSigner{Kind: "certificate", Identity: conformanceIdentity, Issuer: conformanceIssuer, CertificateAuthority: res.Signer.CertificateAuthority}
	if diff := cmp.Diff(want, res.Signer); diff != "" {
		t.Errorf("Signer (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Signer.CertificateAuthority, "sigstore") {
		t.Errorf("CertificateAuthority = %q, want the Sigstore intermediate", res.Signer.CertificateAuthority)
	}
	if len(res.TransparencyLog) != 1 || res.TransparencyLog[0].IntegratedTime == nil || res.TransparencyLog[0].LogURL == "" {
		t.Fatalf("TransparencyLog = %+v, want one verified Rekor v1 entry", res.TransparencyLog)
	}
	e := res.TransparencyLog[0]
	if len(res.Timestamps) != 1 || !res.Timestamps[0].Time.Equal(*e.IntegratedTime) || res.Timestamps[0].Source != "transparency-log" {
		t.Errorf("Timestamps = %+v, want the entry's integrated time %v", res.Timestamps, e.IntegratedTime)
	}
	if e.Kind != "hashedrekord/0.0.1" || e.LogIndex <= 0 {
		t.Errorf("entry = %+v", e)
	}
}

func TestVerifyDSSEResult(t *testing.T) {
	res, err := Verify(context.Background(), bytes.NewReader(readFile(t, bvDir, "a.txt")),
		readFile(t, bvDir, "happy-path-intoto-in-dsse-v3", "bundle.sigstore.json"), publicGood(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Statement == nil || res.Statement.PredicateType == "" || len(res.Statement.Subjects) == 0 || len(res.Payload) == 0 {
		t.Fatalf("Statement = %+v, payload %d bytes", res.Statement, len(res.Payload))
	}
	if res.Statement.PayloadType != "application/vnd.in-toto+json" {
		t.Errorf("PayloadType = %q", res.Statement.PayloadType)
	}
}

// TestVerifyFailures covers each kind of failure on real bundles, changed one thing at a time.
func TestVerifyFailures(t *testing.T) {
	artifact := readFile(t, bvDir, "a.txt")
	keyless := readFile(t, bvDir, "happy-path-v0.3", "bundle.sigstore.json")
	keyBundle := readFile(t, bvDir, "managed-key-happy-path", "bundle.sigstore.json")
	tr, err := ParseTrustedRoot(readFile(t, publicGoodRoot))
	if err != nil {
		t.Fatal(err)
	}
	keylessWith := func(id Identity) Policy {
		p, err := NewKeylessPolicy(tr, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)

	tests := []struct {
		name     string
		artifact []byte
		bundle   []byte
		policy   Policy
		want     error // nil: must verify
	}{
		{"keyless-ok", artifact, keyless, publicGood(t), nil},
		{"keyless-regexp-ok", artifact, keyless, keylessWith(Identity{SubjectAlternativeNameRegexp: `^https://github\.com/sigstore-conformance/`, IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`}), nil},
		{"keyless-other-identity", artifact, keyless, keylessWith(Identity{SubjectAlternativeName: "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main", Issuer: conformanceIssuer}), ErrCertificateIdentity},
		{"keyless-other-issuer", artifact, keyless, keylessWith(Identity{SubjectAlternativeName: conformanceIdentity, Issuer: "https://accounts.google.com"}), ErrCertificateIdentity},
		{"keyless-regexp-miss", artifact, keyless, keylessWith(Identity{SubjectAlternativeNameRegexp: `^https://gitlab\.com/`, Issuer: conformanceIssuer}), ErrCertificateIdentity},
		{"keyless-other-artifact", []byte("not the artifact\n"), keyless, publicGood(t), ErrDigestMismatch},
		{"keyless-bundle-under-key-policy", artifact, keyless, mustKeyPolicy(t, managedKey(t)), ErrSignature},
		{"key-ok-signature-only", artifact, keyBundle, mustKeyPolicy(t, managedKey(t)), nil},
		{"key-wrong-key", artifact, keyBundle, mustKeyPolicy(t, other.Public()), ErrSignature},
		{"key-other-artifact", []byte("tampered\n"), keyBundle, mustKeyPolicy(t, managedKey(t)), ErrDigestMismatch},
		{"key-algorithm-mismatch", artifact, keyBundle, mustKeyPolicy(t, p384.Public()), ErrAlgorithm},
		{"key-bundle-under-keyless-policy", artifact, keyBundle, publicGood(t), ErrCertificateIdentity},
		{"truncated", artifact, keyless[:len(keyless)/2], publicGood(t), ErrMalformedBundle},
		{"empty", artifact, nil, publicGood(t), ErrMalformedBundle},
		{"not-a-bundle", artifact, []byte(`{"mediaType":"application/json"}`), publicGood(t), ErrMalformedBundle},
		{"zero-policy", artifact, keyless, Policy{}, ErrInvalidPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(context.Background(), bytes.NewReader(tc.artifact), tc.bundle, tc.policy)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			if got := kindOf(err); got != tc.want {
				t.Errorf("first matching sentinel = %v, want %v (error: %v)", got, tc.want, err)
			}
			inputErr := errors.Is(err, ErrMalformedBundle) || errors.Is(err, ErrInvalidPolicy) || errors.Is(err, ErrTrustedRoot)
			if inputErr == errors.Is(err, ErrVerification) {
				t.Errorf("error %v: an input error must not match ErrVerification, and a verification failure must", err)
			}
		})
	}
}

// TestVerifyKeyWithTrustedRoot checks that a trusted root makes a key policy demand the log.
func TestVerifyKeyWithTrustedRoot(t *testing.T) {
	tr, err := ParseTrustedRoot(readFile(t, publicGoodRoot))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewKeyPolicy(managedKey(t), tr)
	if err != nil {
		t.Fatal(err)
	}
	artifact := readFile(t, bvDir, "a.txt")
	res, err := Verify(context.Background(), bytes.NewReader(artifact), readFile(t, bvDir, "managed-key-happy-path", "bundle.sigstore.json"), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer.Kind != "key" || !strings.HasPrefix(res.Signer.KeyID, "sha256:") || len(res.TransparencyLog) != 1 {
		t.Errorf("result = %+v", res)
	}
	// The key bundles SignBlob writes have no log entry: with a trusted root that is a failure.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	unlogged := signBlobForTest(t, key, artifact)
	p2, err := NewKeyPolicy(key.Public(), tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), bytes.NewReader(artifact), unlogged, p2); !errors.Is(err, ErrTransparencyLog) {
		t.Errorf("unlogged bundle with trusted root: %v, want ErrTransparencyLog", err)
	}
	if _, err := Verify(context.Background(), bytes.NewReader(artifact), unlogged, mustKeyPolicy(t, key.Public())); err != nil {
		t.Errorf("unlogged bundle, key only: %v", err)
	}
}

// signBlobForTest signs with the room's own SignBlob, so that what hallmark signs, hallmark
// verifies.
func signBlobForTest(t testing.TB, key crypto.Signer, artifact []byte) []byte {
	t.Helper()
	s, err := NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignBlob(context.Background(), s, bytes.NewReader(artifact))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifySignBlobRoundTrip(t *testing.T) {
	artifact := []byte("release-1.0.tar.gz contents\n")
	for _, alg := range Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			key, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			bundleJSON := signBlobForTest(t, key, artifact)
			p := mustKeyPolicy(t, key.Public())
			res, err := Verify(context.Background(), bytes.NewReader(artifact), bundleJSON, p)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Artifact != sha256Hex(artifact) || res.Signer.Kind != "key" || len(res.TransparencyLog) != 0 {
				t.Errorf("result = %+v", res)
			}
			tampered := append(bytes.Clone(artifact), '!')
			if _, err := Verify(context.Background(), bytes.NewReader(tampered), bundleJSON, p); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("tampered artifact: %v, want ErrDigestMismatch", err)
			}
			other, _ := GenerateKey(alg)
			if _, err := Verify(context.Background(), bytes.NewReader(artifact), bundleJSON, mustKeyPolicy(t, other.Public())); !errors.Is(err, ErrSignature) {
				t.Errorf("other key: %v, want ErrSignature", err)
			}
			// Flip one bit of the signature inside the bundle.
			bad := flipSignatureBit(t, bundleJSON)
			if _, err := Verify(context.Background(), bytes.NewReader(artifact), bad, p); !errors.Is(err, ErrSignature) {
				t.Errorf("tampered signature: %v, want ErrSignature", err)
			}
		})
	}
}

func flipSignatureBit(t testing.TB, bundleJSON []byte) []byte {
	t.Helper()
	b, _, err := parseBundle(bundleJSON)
	if err != nil {
		t.Fatal(err)
	}
	b.GetMessageSignature().Signature[10] ^= 1
	out, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyDigest(t *testing.T) {
	artifact := readFile(t, bvDir, "a.txt")
	keyless := readFile(t, bvDir, "happy-path-v0.3", "bundle.sigstore.json")
	tests := []struct {
		name, digest string
		want         error
	}{
		{"ok", sha256Hex(artifact), nil},
		{"other", sha256Hex([]byte("x")), ErrDigestMismatch},
		{"sha512-given", "sha512:" + strings.Repeat("ab", 64), ErrAlgorithm},
		{"not-hex", "sha256:zz", ErrInvalidPolicy},
		{"no-algorithm", hex.EncodeToString(make([]byte, 32)), ErrInvalidPolicy},
		{"empty", "", ErrInvalidPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyDigest(context.Background(), tc.digest, keyless, publicGood(t))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if res.Artifact != tc.digest {
					t.Errorf("Artifact = %s, want %s", res.Artifact, tc.digest)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	// Pure Ed25519 signs the artifact, not its digest.
	key, _ := GenerateKey(Ed25519)
	b := signBlobForTest(t, key, artifact)
	if _, err := VerifyDigest(context.Background(), sha256Hex(artifact), b, mustKeyPolicy(t, key.Public())); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrAlgorithm) {
		t.Errorf("ed25519 by digest: %v, want a refusal", err)
	}
}

func TestPolicyValidation(t *testing.T) {
	tr, err := ParseTrustedRoot(readFile(t, publicGoodRoot))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   Identity
	}{
		{"nothing", Identity{}},
		{"no-issuer", Identity{SubjectAlternativeName: "a"}},
		{"no-identity", Identity{Issuer: "b"}},
		{"both-identities", Identity{SubjectAlternativeName: "a", SubjectAlternativeNameRegexp: "a", Issuer: "b"}},
		{"both-issuers", Identity{SubjectAlternativeName: "a", Issuer: "b", IssuerRegexp: "b"}},
		{"bad-regexp", Identity{SubjectAlternativeNameRegexp: "(", Issuer: "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeylessPolicy(tr, tc.id); !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("NewKeylessPolicy(%+v) = %v, want ErrInvalidPolicy", tc.id, err)
			}
		})
	}
	if _, err := NewKeylessPolicy(nil, Identity{SubjectAlternativeName: "a", Issuer: "b"}); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("no trusted root: %v", err)
	}
	if _, err := NewKeyPolicy(nil, nil); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("no key: %v", err)
	}
	if _, err := ParseTrustedRoot([]byte(`{"mediaType": "nope"}`)); !errors.Is(err, ErrTrustedRoot) {
		t.Errorf("bad trusted root: %v", err)
	}
}

func TestVerifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Verify(ctx, bytes.NewReader(nil), readFile(t, bvDir, "happy-path-v0.3", "bundle.sigstore.json"), publicGood(t))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// The verifier must not depend on the wall clock for keyless bundles: the certificates of the
// corpus expired years ago and still verify, at the time the log vouches for.
func TestVerifyUsesObservedTime(t *testing.T) {
	res, err := Verify(context.Background(), bytes.NewReader(readFile(t, bvDir, "a.txt")), readFile(t, bvDir, "happy-path-v0.1", "bundle.sigstore.json"), publicGood(t))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Timestamps[0].Time.Before(time.Now().Add(-24 * time.Hour)) {
		t.Errorf("timestamp %v is not the log's (old) time", res.Timestamps[0].Time)
	}
}

func FuzzVerify(f *testing.F) {
	for _, c := range []string{"happy-path-v0.1", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "managed-key-happy-path", "rekor2-happy-path"} {
		f.Add(readFile(f, bvDir, c, "bundle.sigstore.json"))
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	artifact := readFile(f, bvDir, "a.txt")
	keyless := publicGood(f)
	key := mustKeyPolicy(f, managedKey(f))
	f.Fuzz(func(t *testing.T, bundleJSON []byte) {
		for _, p := range []Policy{keyless, key} {
			res, err := Verify(context.Background(), bytes.NewReader(artifact), bundleJSON, p)
			if err == nil {
				if res == nil || res.Artifact == "" {
					t.Fatalf("success without a result: %+v", res)
				}
				continue
			}
			if kindOf(err) == nil && !errors.Is(err, ErrVerification) {
				t.Fatalf("unnamed error: %v", err)
			}
		}
	})
}

func BenchmarkVerifyKeyless(b *testing.B) {
	artifact := readFile(b, bvDir, "a.txt")
	bundleJSON := readFile(b, bvDir, "happy-path-v0.3", "bundle.sigstore.json")
	p := publicGood(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(ctx, bytes.NewReader(artifact), bundleJSON, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

func BenchmarkVerifyKey(b *testing.B) {
	artifact := readFile(b, bvDir, "a.txt")
	bundleJSON := readFile(b, bvDir, "managed-key-happy-path", "bundle.sigstore.json")
	p := mustKeyPolicy(b, managedKey(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(ctx, bytes.NewReader(artifact), bundleJSON, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

func BenchmarkVerifyKeyWithTrustedRoot(b *testing.B) {
	artifact := readFile(b, bvDir, "a.txt")
	bundleJSON := readFile(b, bvDir, "managed-key-happy-path", "bundle.sigstore.json")
	tr, err := ParseTrustedRoot(readFile(b, publicGoodRoot))
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewKeyPolicy(managedKey(b), tr)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(ctx, bytes.NewReader(artifact), bundleJSON, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}
