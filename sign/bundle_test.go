package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

var updateBundles = flag.Bool("update-bundles", false, "rewrite the hallmark-made bundles in testdata/keys")

// sigstoreVerify checks b over artifact with sigstore-go's verifier, trusting exactly pub and
// requiring no transparency log or timestamp: the offline key check `cosign verify-blob --key
// --insecure-ignore-tlog` does.
func sigstoreVerify(b *bundle.Bundle, pub crypto.PublicKey, artifact []byte) error {
	// LoadVerifier gives ECDSA-with-SHA-256 for P-256 and pure Ed25519 for ed25519 keys.
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
	_, err = sev.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), verify.WithKey()))
	return err
}

// verifyBundleFileForTest parses a bundle file as sigstore-go does and verifies it.
func verifyBundleFileForTest(t *testing.T, bundlePath string, pub crypto.PublicKey, artifactPath string) {
	t.Helper()
	b, err := bundle.LoadJSONFromPath(bundlePath)
	if err != nil {
		t.Fatalf("sigstore-go cannot parse %s: %v", bundlePath, err)
	}
	artifact, err := os.ReadFile(artifactPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigstoreVerify(b, pub, artifact); err != nil {
		t.Fatalf("sigstore-go rejects %s: %v", bundlePath, err)
	}
}

// checkCosignEd25519Bundle checks the pure Ed25519 signature in a bundle cosign v3.1.3 wrote for
// an ed25519 key, whose messageDigest is empty (see testdata/keys/PROVENANCE.md).
func checkCosignEd25519Bundle(t *testing.T, bundlePath string, pub crypto.PublicKey, artifactPath string) {
	t.Helper()
	raw, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		MessageSignature struct {
			MessageDigest struct{ Digest []byte }
			Signature     []byte
		}
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.MessageSignature.MessageDigest.Digest) != 0 {
		// cosign now writes the digest: the bundle must then verify like any other.
		verifyBundleFileForTest(t, bundlePath, pub, artifactPath)
		return
	}
	artifact, _ := os.ReadFile(artifactPath)
	if !ed25519.Verify(pub.(ed25519.PublicKey), artifact, b.MessageSignature.Signature) {
		t.Fatalf("%s: cosign's signature is not a pure Ed25519 signature of the artifact", bundlePath)
	}
}

// plainSigner hides KeySigner's DigestSigner fast path, as a minimal third-party Signer would.
type plainSigner struct{ s *KeySigner }

func (p plainSigner) Public() crypto.PublicKey { return p.s.Public() }
func (p plainSigner) Algorithm() Algorithm     { return p.s.Algorithm() }
func (p plainSigner) Sign(ctx context.Context, m []byte) ([]byte, error) {
	return p.s.Sign(ctx, m)
}

func newTestKeySigner(t testing.TB, alg Algorithm) *KeySigner {
	t.Helper()
	key, err := GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignBlobVerifiesWithSigstoreGo(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, several reads
	artifacts := map[string][]byte{"empty": {}, "hello": []byte("hello\n"), "1MiB": big}
	for _, alg := range Algorithms {
		ks := newTestKeySigner(t, alg)
		other := newTestKeySigner(t, alg)
		for _, signer := range []struct {
			name string
			s    Signer
		}{{"key-signer", ks}, {"plain-signer", plainSigner{ks}}} {
			for name, artifact := range artifacts {
				t.Run(string(alg)+"/"+signer.name+"/"+name, func(t *testing.T) {
					b, err := SignBlob(t.Context(), signer.s, bytes.NewReader(artifact))
					if err != nil {
						t.Fatal(err)
					}
					if err := sigstoreVerify(b, ks.Public(), artifact); err != nil {
						t.Fatalf("sigstore-go rejects the bundle: %v", err)
					}
					// Round trip through JSON, as a verifier reading the file sees it.
					raw, err := MarshalBundle(b)
					if err != nil {
						t.Fatal(err)
					}
					var parsed bundle.Bundle
					if err := parsed.UnmarshalJSON(raw); err != nil {
						t.Fatalf("sigstore-go cannot parse the JSON: %v\n%s", err, raw)
					}
					if err := sigstoreVerify(&parsed, ks.Public(), artifact); err != nil {
						t.Fatalf("after JSON round trip: %v", err)
					}
					// Fail closed: another artifact, another key.
					if err := sigstoreVerify(&parsed, ks.Public(), append(bytes.Clone(artifact), 'x')); err == nil {
						t.Error("verified against a modified artifact")
					}
					if err := sigstoreVerify(&parsed, other.Public(), artifact); err == nil {
						t.Error("verified under another key")
					}
				})
			}
		}
	}
}

// TestSignBlobShapeMatchesCosign compares hallmark's bundle with the one cosign v3.1.3 wrote for
// the same key and artifact (testdata/keys): identical except for the ECDSA signature, which is
// randomised.
func TestSignBlobShapeMatchesCosign(t *testing.T) {
	s, err := LoadSigner(readKeyFixture(t, "cosign.key"), fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignBlob(t.Context(), s, bytes.NewReader(readKeyFixture(t, "hello.txt")))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	cosigns := readKeyFixture(t, "hello.txt.cosign.sigstore.json")
	withoutSignature := func(raw []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m["messageSignature"].(map[string]any)["signature"] = "…"
		return m
	}
	if diff := cmp.Diff(withoutSignature(cosigns), withoutSignature(ours)); diff != "" {
		t.Errorf("bundle differs from cosign's (-cosign +hallmark):\n%s", diff)
	}
	writeOrCompareBundle(t, "hello.txt.hallmark.sigstore.json", ours, false)
}

// TestSignBlobEd25519Golden: pure Ed25519 is deterministic, so the whole bundle is a golden file
// (rewrite with -update-bundles).
func TestSignBlobEd25519Golden(t *testing.T) {
	s, err := LoadSigner(readKeyFixture(t, "openssl-ed25519.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignBlob(t.Context(), s, bytes.NewReader(readKeyFixture(t, "hello.txt")))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	writeOrCompareBundle(t, "hello.txt.hallmark-ed25519.sigstore.json", raw, true)
	digest := sha256.Sum256(readKeyFixture(t, "hello.txt"))
	if !bytes.Equal(b.GetMessageSignature().GetMessageDigest().GetDigest(), digest[:]) {
		t.Error("messageDigest is not the artifact's SHA-256")
	}
}

// writeOrCompareBundle keeps a hallmark-made bundle in testdata/keys, for the verifier's tests.
// With exact, the file must equal got byte for byte; otherwise it must exist and verify.
func writeOrCompareBundle(t *testing.T, name string, got []byte, exact bool) {
	t.Helper()
	path := filepath.Join("testdata", "keys", name)
	if *updateBundles {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update-bundles)", err, t.Name())
	}
	if exact && !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %s\nwant %s", path, got, want)
	}
}

func TestCommittedHallmarkBundlesVerify(t *testing.T) {
	for _, tc := range []struct{ bundle, pub string }{
		{"hello.txt.hallmark.sigstore.json", "cosign.pub"},
		{"hello.txt.hallmark-ed25519.sigstore.json", "openssl-ed25519.pub"},
		{"hello.txt.cosign.sigstore.json", "cosign.pub"},
	} {
		t.Run(tc.bundle, func(t *testing.T) {
			pub, err := UnmarshalPublicKey(readKeyFixture(t, tc.pub))
			if err != nil {
				t.Fatal(err)
			}
			verifyBundleFileForTest(t, filepath.Join("testdata", "keys", tc.bundle), pub, filepath.Join("testdata", "keys", "hello.txt"))
		})
	}
}

// faultySigner returns garbage or lies about its algorithm.
type faultySigner struct {
	*KeySigner
	alg Algorithm
}

func (f faultySigner) Algorithm() Algorithm { return f.alg }
func (f faultySigner) Sign(ctx context.Context, m []byte) ([]byte, error) {
	sig, err := f.KeySigner.Sign(ctx, m)
	if len(sig) > 8 {
		sig[8] ^= 0xff
	}
	return sig, err
}

func TestSignBlobErrors(t *testing.T) {
	ecdsaSigner := newTestKeySigner(t, ECDSAP256)
	edSigner := newTestKeySigner(t, Ed25519)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		s    Signer
		in   io.Reader
		want error
	}{
		{"nil-signer", t.Context(), nil, strings.NewReader("x"), ErrSignerFault},
		{"bad-signature-ed25519", t.Context(), faultySigner{edSigner, Ed25519}, strings.NewReader("x"), ErrSignerFault},
		{"algorithm-lie", t.Context(), faultySigner{ecdsaSigner, Ed25519}, strings.NewReader("x"), ErrSignerFault},
		{"cancelled", cancelled, ecdsaSigner, strings.NewReader("x"), context.Canceled},
		{"read-error", t.Context(), edSigner, io.MultiReader(strings.NewReader("x"), errReader{}), errRead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignBlob(tc.ctx, tc.s, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A faulty ECDSA signer without the digest fast path is caught too.
	if _, err := SignBlob(t.Context(), faultyPlain{ecdsaSigner}, strings.NewReader("x")); !errors.Is(err, ErrSignerFault) {
		t.Fatalf("faulty ECDSA signer: err = %v, want ErrSignerFault", err)
	}
	if _, err := edSigner.SignDigest(t.Context(), make([]byte, 32)); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("ed25519 SignDigest: err = %v", err)
	}
	if _, err := ecdsaSigner.SignDigest(t.Context(), make([]byte, 20)); err == nil {
		t.Fatal("SignDigest accepted a 20-byte digest")
	}
}

type faultyPlain struct{ s *KeySigner }

func (f faultyPlain) Public() crypto.PublicKey { return f.s.Public() }
func (f faultyPlain) Algorithm() Algorithm     { return f.s.Algorithm() }
func (f faultyPlain) Sign(ctx context.Context, m []byte) ([]byte, error) {
	return f.s.Sign(ctx, append(m, '!'))
}

var errRead = errors.New("disk on fire")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }

// TestCosignVerifiesHallmarkBundles: `cosign verify-blob` accepts what SignBlob writes.
func TestCosignVerifiesHallmarkBundles(t *testing.T) {
	bin := keysCosign(t)
	dir := t.TempDir()
	artifact := filepath.Join(dir, "release.tar")
	if err := os.WriteFile(artifact, bytes.Repeat([]byte("hallmark "), 10000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, alg := range Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := newTestKeySigner(t, alg)
			f, err := os.Open(artifact)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := SignBlob(t.Context(), s, f)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := MarshalBundle(b)
			pubPEM, _ := MarshalPublicKey(s.Public())
			bundlePath := filepath.Join(dir, string(alg)+".sigstore.json")
			pubPath := filepath.Join(dir, string(alg)+".pub")
			os.WriteFile(bundlePath, raw, 0o644)
			os.WriteFile(pubPath, pubPEM, 0o644)
			out, err := runCosign(t, bin, nil, "verify-blob", "--key", pubPath, "--bundle", bundlePath, "--insecure-ignore-tlog=true", artifact)
			if err != nil {
				t.Fatalf("cosign verify-blob: %v\n%s", err, out)
			}
			if !strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign verify-blob did not say Verified OK:\n%s", out)
			}
			// And cosign fails closed on a modified artifact.
			modified := filepath.Join(dir, string(alg)+".modified")
			os.WriteFile(modified, []byte("something else"), 0o644)
			if out, err := runCosign(t, bin, nil, "verify-blob", "--key", pubPath, "--bundle", bundlePath, "--insecure-ignore-tlog=true", modified); err == nil {
				t.Fatalf("cosign verified a modified artifact:\n%s", out)
			}
		})
	}
}

func BenchmarkSignBlob1MiB(b *testing.B) {
	artifact := bytes.Repeat([]byte("x"), 1<<20)
	for _, alg := range Algorithms {
		b.Run(string(alg), func(b *testing.B) {
			s := newTestKeySigner(b, alg)
			b.SetBytes(int64(len(artifact)))
			for b.Loop() {
				if _, err := SignBlob(b.Context(), s, bytes.NewReader(artifact)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalEncryptedKey(b *testing.B) {
	data := readKeyFixture(b, "cosign.key")
	for b.Loop() {
		if _, err := UnmarshalPrivateKey(data, fixturePassword); err != nil {
			b.Fatal(err)
		}
	}
}
