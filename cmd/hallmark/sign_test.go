package main

import (
	"bytes"
	"crypto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hallmark-dev/hallmark/sign"
)

// cosignPassword encrypts the fixtures in sign/testdata/keys.
var cosignPassword = map[string]string{"HALLMARK_PASSWORD": "hallmark-test"}

// verifyWithSigstoreGo checks a bundle file offline against exactly pub, as
// `cosign verify-blob --key --insecure-ignore-tlog` does.
func verifyWithSigstoreGo(t *testing.T, bundleJSON []byte, pubPath string, artifact []byte) error {
	t.Helper()
	pubPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.UnmarshalPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return err
	}
	sev, err := verify.NewVerifier(root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	}), verify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sev.Verify(&b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), verify.WithKey()))
	return err
}

func TestSignCLI(t *testing.T) {
	dir := t.TempDir()
	artifact := filepath.Join(dir, "app.tar.gz")
	content := []byte("release contents\n")
	os.WriteFile(artifact, content, 0o644)

	t.Run("cosign-key-default-bundle-path", func(t *testing.T) {
		code, stdout, stderr := runKeyCLI(t, cosignPassword, "", "sign", artifact, "--key", signKeys+"/cosign.key")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stdout != "" {
			t.Errorf("stdout = %q, want nothing", stdout)
		}
		if !strings.Contains(stderr, "bundle written to "+artifact+".sigstore.json") {
			t.Errorf("stderr = %q", stderr)
		}
		raw, err := os.ReadFile(artifact + ".sigstore.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyWithSigstoreGo(t, raw, signKeys+"/cosign.pub", content); err != nil {
			t.Fatalf("sigstore-go: %v", err)
		}
	})
	t.Run("unencrypted-ed25519-to-stdout", func(t *testing.T) {
		// An unencrypted key needs no password, so none is asked for.
		code, stdout, stderr := runKeyCLI(t, nil, "", "sign", artifact, "--key", signKeys+"/openssl-ed25519.pem", "--bundle", "-", "--quiet")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stderr != "" {
			t.Errorf("--quiet stderr = %q", stderr)
		}
		if err := verifyWithSigstoreGo(t, []byte(stdout), signKeys+"/openssl-ed25519.pub", content); err != nil {
			t.Fatalf("sigstore-go: %v", err)
		}
	})
	t.Run("stdin-artifact", func(t *testing.T) {
		out := filepath.Join(dir, "stdin.sigstore.json")
		code, _, stderr := runKeyCLI(t, cosignPassword, string(content), "sign", "-", "--key", signKeys+"/cosign-ed25519.key", "--bundle", out)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		raw, _ := os.ReadFile(out)
		if err := verifyWithSigstoreGo(t, raw, signKeys+"/cosign-ed25519.pub", content); err != nil {
			t.Fatalf("sigstore-go: %v", err)
		}
	})

	for _, tc := range []struct {
		name   string
		vars   map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"wrong-password", map[string]string{"HALLMARK_PASSWORD": "nope"}, []string{"sign", artifact, "--key", signKeys + "/cosign.key", "--bundle", filepath.Join(dir, "x")}, ExitUsage, signKeys + "/cosign.key: wrong password"},
		{"no-password-no-terminal", nil, []string{"sign", artifact, "--key", signKeys + "/cosign.key", "--bundle", filepath.Join(dir, "x")}, ExitUsage, "set HALLMARK_PASSWORD"},
		{"no-key", cosignPassword, []string{"sign", artifact}, ExitUsage, "--key is required"},
		{"public-key-as-key", cosignPassword, []string{"sign", artifact, "--key", signKeys + "/cosign.pub", "--bundle", filepath.Join(dir, "x")}, ExitUsage, "public key or certificate"},
		{"missing-key", cosignPassword, []string{"sign", artifact, "--key", filepath.Join(dir, "none.key")}, ExitUsage, "no such file"},
		{"missing-file", cosignPassword, []string{"sign", filepath.Join(dir, "none"), "--key", signKeys + "/cosign.key"}, ExitUsage, "no such file"},
		{"stdin-without-bundle", cosignPassword, []string{"sign", "-", "--key", signKeys + "/cosign.key"}, ExitUsage, "--bundle is required"},
		{"no-file", cosignPassword, []string{"sign", "--key", signKeys + "/cosign.key"}, ExitUsage, "want FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runKeyCLI(t, tc.vars, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
				t.Fatal("a bundle was written despite the error")
			}
		})
	}
}

// TestSignCLICosignInterop: a key made by `hallmark key generate` signs with `hallmark sign`,
// and cosign verifies the bundle (both algorithms).
func TestSignCLICosignInterop(t *testing.T) {
	bin := cliCosign(t)
	dir := t.TempDir()
	artifact := filepath.Join(dir, "blob.bin")
	os.WriteFile(artifact, bytes.Repeat([]byte{0, 1, 2, 3}, 5000), 0o644)
	for _, alg := range sign.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			prefix := filepath.Join(dir, string(alg))
			if code, _, stderr := runKeyCLI(t, withPassword, "", "key", "generate", "--output-prefix", prefix, "--algorithm", string(alg)); code != ExitOK {
				t.Fatalf("key generate: exit %d: %s", code, stderr)
			}
			bundlePath := prefix + ".sigstore.json"
			if code, _, stderr := runKeyCLI(t, withPassword, "", "sign", artifact, "--key", prefix+".key", "--bundle", bundlePath); code != ExitOK {
				t.Fatalf("sign: exit %d: %s", code, stderr)
			}
			cmd := exec.Command(bin, "verify-blob", "--key", prefix+".pub", "--bundle", bundlePath, "--insecure-ignore-tlog=true", artifact)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Verified OK") {
				t.Fatalf("cosign verify-blob: %v\n%s", err, out)
			}
		})
	}
}

// cliCosign finds cosign like the sign package's tests: $HALLMARK_COSIGN, the bench cache, PATH.
func cliCosign(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("cosign interop skipped in -short mode")
	}
	if p := os.Getenv("HALLMARK_COSIGN"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "hallmark-bench", "bin", "cosign")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	t.Skip("cosign not found (set HALLMARK_COSIGN, or: GOBIN=$HOME/.cache/hallmark-bench/bin go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3)")
	return ""
}
