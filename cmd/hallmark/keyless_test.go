package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/sign/signtest"
)

// Keyless images and releases through the CLI. hallmark cannot sign keyless (no Fulcio
// here), so the bundles are made in process with sign/signtest's VirtualSigstore (sigstore-go
// pkg/testing/ca: a Fulcio CA, a Rekor log, a CT log and a timestamp authority with real
// keys): hallmark's own SignImage/AttestImage/SignRelease sign with the certificate's key, and
// the keyless hook adds what a Sigstore client would (certificate, log entry, timestamp). The
// verifying side is the real `hallmark verify`, `verify-attestation` and `release verify`
// against the trusted root JSON the VirtualSigstore's keys make.

const (
	keylessIdentity = signtest.Identity
	keylessIssuer   = signtest.Issuer
	keylessSBOMType = "https://cyclonedx.org/bom"
)

// keylessFlags are the keyless verification flags for one trusted root.
func keylessFlags(rootPath string, extra ...string) []string {
	if len(extra) == 0 {
		extra = []string{"--certificate-identity", keylessIdentity, "--certificate-oidc-issuer", keylessIssuer}
	}
	return append([]string{"--trusted-root", rootPath}, extra...)
}

// keylessArtifact is an OCI artifact manifest, as sign/oci pushes its bundles.
type keylessArtifact []byte

func (m keylessArtifact) RawManifest() ([]byte, error)        { return m, nil }
func (m keylessArtifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// pushBundleReferrer pushes bundleJSON as a referrer of the image ref names, in the layout
// sign/oci writes (empty config, one bundle layer, subject), as anyone with push access could.
func pushBundleReferrer(t *testing.T, ref string, bundleJSON []byte) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := remote.Head(r)
	if err != nil {
		t.Fatal(err)
	}
	var descs []v1.Descriptor
	for _, l := range []v1.Layer{static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json"), static.NewLayer(bundleJSON, sign.BundleMediaType)} {
		if err := remote.WriteLayer(r.Context(), l); err != nil {
			t.Fatal(err)
		}
		d, _ := l.Digest()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		descs = append(descs, v1.Descriptor{MediaType: mt, Digest: d, Size: size})
	}
	raw, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  sign.BundleMediaType,
		"config":        descs[0],
		"layers":        descs[1:],
		"subject":       v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r.Context().Digest(h.String()), keylessArtifact(raw)); err != nil {
		t.Fatal(err)
	}
}

// TestKeylessRegistryCLI verifies keyless image signatures and attestations with `hallmark
// verify registry:IMAGE` and `hallmark verify-attestation registry:IMAGE`: the right identity
// verifies and is shown; every other identity, CA, missing log entry or timestamp, or a bundle
// moved to another image is exit 1 with its named error.
func TestKeylessRegistryCLI(t *testing.T) {
	ctx := t.Context()
	vs, other := signtest.NewVirtualSigstore(t), signtest.NewVirtualSigstore(t)
	host := testRegistry(t)
	dir := t.TempDir()
	fullRoot := vs.WriteTrustedRoot(t, filepath.Join(dir, "root.json"), signtest.RootParts{TLog: true, TSA: true})
	tsaRoot := vs.WriteTrustedRoot(t, filepath.Join(dir, "tsa-root.json"), signtest.RootParts{TSA: true})
	otherRoot := other.WriteTrustedRoot(t, filepath.Join(dir, "other-root.json"), signtest.RootParts{TLog: true, TSA: true})
	notRoot := filepath.Join(dir, "not-a-root.json")
	if err := os.WriteFile(notRoot, []byte(`{"mediaType":"nope"`), 0o644); err != nil {
		t.Fatal(err)
	}

	// publish pushes an image, signs and attests it keyless, and returns its reference and
	// the bundles pushed.
	publish := func(repo string, s signtest.Signer, ev signtest.Evidence) (string, [][]byte) {
		t.Helper()
		ref := host + "/test/" + repo + ":v1"
		pushRandomImage(t, ref)
		opts := oci.Options{Transparency: signtest.Keyless(s, ev)}
		signed, err := oci.SignImage(ctx, ref, s, opts)
		if err != nil {
			t.Fatal(err)
		}
		attested, err := oci.AttestImage(ctx, ref, s, keylessSBOMType, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`), opts)
		if err != nil {
			t.Fatal(err)
		}
		var bundles [][]byte
		for _, p := range []*oci.Pushed{signed, attested} {
			raw, err := sign.MarshalBundle(p.Bundle)
			if err != nil {
				t.Fatal(err)
			}
			bundles = append(bundles, raw)
		}
		return ref, bundles
	}
	ours := vs.Signer(t, keylessIdentity, keylessIssuer)
	good, goodBundles := publish("good", ours, signtest.Evidence{Log: vs, TSA: vs})
	foreignCert, _ := publish("foreign-cert", other.Signer(t, keylessIdentity, keylessIssuer), signtest.Evidence{Log: vs, TSA: vs})
	bare, _ := publish("bare", ours, signtest.Evidence{})
	moved := host + "/test/moved:v1"
	pushRandomImage(t, moved)
	for _, b := range goodBundles {
		pushBundleReferrer(t, moved, b)
	}

	reg := func(ref string) string { return "registry:" + ref }
	steps := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"verify", append([]string{"verify", reg(good)}, keylessFlags(fullRoot)...), ExitOK, []string{
			"Verified OK: registry:" + good, "signed by:     " + keylessIdentity, "OIDC issuer:   " + keylessIssuer,
			"certificate:   issued by", "sigstore-intermediate", "tlog entry:    https://rekor.localhost index 0, integrated",
			"by timestamp-authority", "by transparency-log",
		}},
		{"verify-json", append([]string{"verify", reg(good), "--format", "json"}, keylessFlags(fullRoot)...), ExitOK, []string{
			`"kind": "certificate"`, `"identity": "` + keylessIdentity + `"`, `"issuer": "` + keylessIssuer + `"`,
		}},
		{"verify-regexps", append([]string{"verify", reg(good)}, keylessFlags(fullRoot, "--certificate-identity-regexp", `^builder@hallmark\.dev$`, "--certificate-oidc-issuer-regexp", `hallmark\.dev`)...), ExitOK, []string{
			"signed by:     " + keylessIdentity,
		}},
		{"verify-wrong-identity", append([]string{"verify", reg(good)}, keylessFlags(fullRoot, "--certificate-identity", "intruder@hallmark.dev", "--certificate-oidc-issuer", keylessIssuer)...), ExitNo, []string{
			"no signature of the image verified", "certificate identity", `expected SAN value "intruder@hallmark.dev"`,
		}},
		{"verify-wrong-issuer", append([]string{"verify", reg(good)}, keylessFlags(fullRoot, "--certificate-identity", keylessIdentity, "--certificate-oidc-issuer", "https://accounts.example.com")...), ExitNo, []string{
			"certificate identity", `expected issuer value "https://accounts.example.com"`,
		}},
		{"verify-identity-regexp-mismatch", append([]string{"verify", reg(good)}, keylessFlags(fullRoot, "--certificate-identity-regexp", `^release@`, "--certificate-oidc-issuer", keylessIssuer)...), ExitNo, []string{
			"certificate identity",
		}},
		{"verify-issuer-regexp-mismatch", append([]string{"verify", reg(good)}, keylessFlags(fullRoot, "--certificate-identity", keylessIdentity, "--certificate-oidc-issuer-regexp", `^https://token\.actions\.githubusercontent\.com$`)...), ExitNo, []string{
			"certificate identity",
		}},
		{"verify-certificate-of-another-ca", append([]string{"verify", reg(foreignCert)}, keylessFlags(fullRoot)...), ExitNo, []string{
			"untrusted certificate",
		}},
		{"verify-another-root", append([]string{"verify", reg(good)}, keylessFlags(otherRoot)...), ExitNo, []string{
			"transparency log",
		}},
		{"verify-no-log-entry", append([]string{"verify", reg(bare)}, keylessFlags(fullRoot)...), ExitNo, []string{
			"transparency log", "not enough verified log entries",
		}},
		{"verify-no-timestamp", append([]string{"verify", reg(bare)}, keylessFlags(tsaRoot)...), ExitNo, []string{
			"verification failed: timestamp",
		}},
		{"verify-moved", append([]string{"verify", reg(moved)}, keylessFlags(fullRoot)...), ExitNo, []string{
			"no statement subject matches the artifact",
		}},
		{"verify-malformed-root", append([]string{"verify", reg(good)}, keylessFlags(notRoot)...), ExitUsage, []string{
			"malformed trusted root",
		}},
		{"verify-attestation", append([]string{"verify-attestation", reg(good), "--type", "cyclonedx"}, keylessFlags(fullRoot)...), ExitOK, []string{
			`{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
		}},
		{"verify-attestation-json", append([]string{"verify-attestation", reg(good), "--type", "cyclonedx", "--format", "json"}, keylessFlags(fullRoot)...), ExitOK, []string{
			`"kind": "attestation"`, `"identity": "` + keylessIdentity + `"`, `"predicateType": "` + keylessSBOMType + `"`,
		}},
		{"verify-attestation-wrong-identity", append([]string{"verify-attestation", reg(good), "--type", "cyclonedx"}, keylessFlags(fullRoot, "--certificate-identity", "intruder@hallmark.dev", "--certificate-oidc-issuer", keylessIssuer)...), ExitNo, []string{
			"certificate identity",
		}},
		{"verify-attestation-certificate-of-another-ca", append([]string{"verify-attestation", reg(foreignCert), "--type", "cyclonedx"}, keylessFlags(fullRoot)...), ExitNo, []string{
			"untrusted certificate",
		}},
		{"verify-attestation-no-log-entry", append([]string{"verify-attestation", reg(bare), "--type", "cyclonedx"}, keylessFlags(fullRoot)...), ExitNo, []string{
			"transparency log",
		}},
		{"verify-attestation-moved", append([]string{"verify-attestation", reg(moved), "--type", "cyclonedx"}, keylessFlags(fullRoot)...), ExitNo, []string{
			"no statement subject matches the artifact",
		}},
		{"verify-attestation-other-type", append([]string{"verify-attestation", reg(good), "--type", "slsaprovenance"}, keylessFlags(fullRoot)...), ExitNo, []string{
			"no signature found",
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", st.args...)
			if code != st.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, st.code, stdout, stderr)
			}
			for _, want := range st.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}

// TestKeylessVerifyAttestationRegistryShowsSigner: `verify-attestation registry:IMAGE` (text)
// names who signed each attestation on standard error, for a keyless signer its identity and
// issuer, as `verify-attestation FILE` does.
func TestKeylessVerifyAttestationRegistryShowsSigner(t *testing.T) {
	vs := signtest.NewVirtualSigstore(t)
	host := testRegistry(t)
	ref := host + "/test/app:v1"
	pushRandomImage(t, ref)
	s := vs.Signer(t, keylessIdentity, keylessIssuer)
	if _, err := oci.AttestImage(t.Context(), ref, s, keylessSBOMType, []byte(`{"bomFormat":"CycloneDX"}`), oci.Options{Transparency: signtest.Keyless(s, signtest.Evidence{Log: vs, TSA: vs})}); err != nil {
		t.Fatal(err)
	}
	rootPath := vs.WriteTrustedRoot(t, filepath.Join(t.TempDir(), "root.json"), signtest.RootParts{TLog: true, TSA: true})
	code, stdout, stderr := runKeyCLI(t, nil, "", append([]string{"verify-attestation", "registry:" + ref, "--type", "cyclonedx"}, keylessFlags(rootPath)...)...)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, keylessIdentity) || !strings.Contains(stderr, keylessIssuer) {
		t.Errorf("standard error does not name the keyless signer %s (%s):\n%s", keylessIdentity, keylessIssuer, stderr)
	}
}

// TestKeylessReleaseCLI verifies a release signed keyless with `hallmark release verify`.
func TestKeylessReleaseCLI(t *testing.T) {
	vs, other := signtest.NewVirtualSigstore(t), signtest.NewVirtualSigstore(t)
	roots := t.TempDir()
	fullRoot := vs.WriteTrustedRoot(t, filepath.Join(roots, "root.json"), signtest.RootParts{TLog: true, TSA: true})
	tsaRoot := vs.WriteTrustedRoot(t, filepath.Join(roots, "tsa-root.json"), signtest.RootParts{TSA: true})
	ours := vs.Signer(t, keylessIdentity, keylessIssuer)

	// release writes a release directory and signs it keyless where `hallmark release sign`
	// puts its bundle.
	release := func(s signtest.Signer, ev signtest.Evidence) string {
		t.Helper()
		return signtest.KeylessRelease(t, s, ev, map[string]string{
			"bin/app": "#!/bin/sh\necho app 2.0.0\n", "lib/plugin.so": "plugin",
			"sbom.cdx.json": `{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
		}, sign.ReleaseOptions{SBOM: []string{"sbom.cdx.json"}})
	}
	good := release(ours, signtest.Evidence{Log: vs, TSA: vs})
	foreignCert := release(other.Signer(t, keylessIdentity, keylessIssuer), signtest.Evidence{Log: vs, TSA: vs})
	bare := release(ours, signtest.Evidence{})
	tampered := release(ours, signtest.Evidence{Log: vs, TSA: vs})
	writeReleaseFile(t, tampered, "lib/plugin.so", "PLUGIN")

	steps := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"verify", append([]string{"release", "verify", good}, keylessFlags(fullRoot)...), ExitOK, []string{
			"Verified OK: " + good, "files:         3,", "signed by:     " + keylessIdentity + " (OIDC issuer " + keylessIssuer + ")", "SBOM:          sbom.cdx.json",
		}},
		{"verify-json", append([]string{"release", "verify", good, "--format", "json"}, keylessFlags(fullRoot)...), ExitOK, []string{
			`"verified": true`, `"identity": "` + keylessIdentity + `"`, `"source": "timestamp-authority"`,
		}},
		{"verify-regexps", append([]string{"release", "verify", good}, keylessFlags(fullRoot, "--certificate-identity-regexp", `@hallmark\.dev$`, "--certificate-oidc-issuer-regexp", `^https://accounts\.`)...), ExitOK, []string{
			"Verified OK: " + good,
		}},
		{"verify-bundle-elsewhere", append([]string{"release", "verify", good, "--bundle", filepath.Join(good, filepath.FromSlash(sign.ReleaseBundlePath))}, keylessFlags(fullRoot)...), ExitOK, []string{
			"Verified OK: " + good,
		}},
		{"wrong-identity", append([]string{"release", "verify", good}, keylessFlags(fullRoot, "--certificate-identity", "intruder@hallmark.dev", "--certificate-oidc-issuer", keylessIssuer)...), ExitNo, []string{
			"NOT VERIFIED: " + good + ": 1 problem(s)", "signature", "certificate identity",
		}},
		{"wrong-issuer", append([]string{"release", "verify", good}, keylessFlags(fullRoot, "--certificate-identity", keylessIdentity, "--certificate-oidc-issuer", "https://accounts.example.com")...), ExitNo, []string{
			"NOT VERIFIED", "certificate identity",
		}},
		{"identity-regexp-mismatch", append([]string{"release", "verify", good}, keylessFlags(fullRoot, "--certificate-identity-regexp", `^release@`, "--certificate-oidc-issuer", keylessIssuer)...), ExitNo, []string{
			"certificate identity",
		}},
		{"certificate-of-another-ca", append([]string{"release", "verify", foreignCert}, keylessFlags(fullRoot)...), ExitNo, []string{
			"NOT VERIFIED", "untrusted certificate",
		}},
		{"no-log-entry", append([]string{"release", "verify", bare}, keylessFlags(fullRoot)...), ExitNo, []string{
			"NOT VERIFIED", "transparency log",
		}},
		{"no-timestamp", append([]string{"release", "verify", bare}, keylessFlags(tsaRoot)...), ExitNo, []string{
			"NOT VERIFIED", "verification failed: timestamp",
		}},
		{"tampered", append([]string{"release", "verify", tampered}, keylessFlags(fullRoot)...), ExitNo, []string{
			"NOT VERIFIED: " + tampered + ": 1 problem(s)", "signed by:     " + keylessIdentity, "modified       lib/plugin.so",
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", st.args...)
			if code != st.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, st.code, stdout, stderr)
			}
			for _, want := range st.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}
