package oci

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/hallmark-dev/hallmark/sign"
)

// cosignBinary finds the cosign v3 that the benchmarks install, or skips.
func cosignBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("cosign interop is not run with -short")
	}
	home, _ := os.UserHomeDir()
	for _, p := range []string{os.Getenv("HALLMARK_COSIGN"), filepath.Join(home, ".cache/hallmark-bench/bin/cosign")} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	t.Skip("cosign not found (set HALLMARK_COSIGN or install it in ~/.cache/hallmark-bench/bin)")
	return ""
}

func runCosign(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	return runCosignPassword(t, bin, dir, "", args...)
}

// runCosignPassword runs cosign in dir with COSIGN_PASSWORD set to password (the fixture keys
// of sign/testdata/keys have "hallmark-test"); no TUF fetch, no Sigstore services: everything
// is local.
func runCosignPassword(t *testing.T, bin, dir, password string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestCosignVerifiesHallmarkImageSignature: `cosign verify --key` accepts a signature
// SignImage pushed, with and without the referrers API.
func TestCosignVerifiesHallmarkImageSignature(t *testing.T) {
	bin := cosignBinary(t)
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers], func(t *testing.T) {
			host, _ := newRegistry(t, referrers)
			ref := host + "/test/app:v1"
			digest := pushImage(t, ref)
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := sign.NewKeySigner(k)
			if _, err := SignImage(t.Context(), ref, s, Options{}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			pub, _ := sign.MarshalPublicKey(k.Public())
			pubPath := filepath.Join(dir, "hallmark.pub")
			if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runCosign(t, bin, dir, "verify", "--key", pubPath, "--insecure-ignore-tlog=true",
				"--allow-http-registry", host+"/test/app@"+digest.String())
			if err != nil {
				t.Fatalf("cosign verify: %v\n%s", err, out)
			}
			if !strings.Contains(out, "The signatures were verified against the specified public key") {
				t.Errorf("cosign verify output:\n%s", out)
			}
			// With another key cosign refuses it.
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			otherPub, _ := sign.MarshalPublicKey(other.Public())
			os.WriteFile(filepath.Join(dir, "other.pub"), otherPub, 0o644)
			if out, err := runCosign(t, bin, dir, "verify", "--key", filepath.Join(dir, "other.pub"), "--insecure-ignore-tlog=true",
				"--allow-http-registry", host+"/test/app@"+digest.String()); err == nil {
				t.Fatalf("cosign verified with another key:\n%s", out)
			}
		})
	}
}

// TestHallmarkVerifiesCosignImageSignature: VerifyImage accepts what `cosign sign --key` (v3,
// new bundle format, no transparency log) pushes.
func TestHallmarkVerifiesCosignImageSignature(t *testing.T) {
	bin := cosignBinary(t)
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers], func(t *testing.T) {
			host, _ := newRegistry(t, referrers)
			ref := host + "/test/app:v1"
			digest := pushImage(t, ref)
			dir := t.TempDir()
			if out, err := runCosign(t, bin, dir, "generate-key-pair"); err != nil {
				t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
			}
			out, err := runCosign(t, bin, dir, "sign", "--key", "cosign.key", "--tlog-upload=false", "--use-signing-config=false",
				"--new-bundle-format=true", "--allow-http-registry", "--yes", host+"/test/app@"+digest.String())
			if err != nil {
				t.Fatalf("cosign sign: %v\n%s", err, out)
			}
			pemBytes, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			p, err := sign.NewKeyPolicy(pub, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyImage(t.Context(), ref, p, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Result.Statement.PredicateType != SignPredicateType || got[0].Result.Artifact != digest.String() {
				t.Fatalf("got %+v", got)
			}
		})
	}
}
