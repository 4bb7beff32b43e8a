package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runVerifyCLI runs `hallmark verify args…` as run does, with the verify command attached
// here so the test does not depend on main.go's wiring.
func runVerifyCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runKeyCLI(t, nil, "", append([]string{"verify"}, args...)...)
}

func TestVerifyCommand(t *testing.T) {
	bv := filepath.Join("..", "..", "sign", "testdata", "conformance", "conformance-assets", "bundle-verify")
	pgRoot := filepath.Join("..", "..", "sign", "testdata", "conformance", "public-good-tuf", "trusted_root.json")
	artifact := filepath.Join(bv, "a.txt")
	bundle := func(c string) string { return filepath.Join(bv, c, "bundle.sigstore.json") }
	const (
		id     = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
		issuer = "https://token.actions.githubusercontent.com"
	)
	keyless := []string{"--trusted-root", pgRoot, "--certificate-identity", id, "--certificate-oidc-issuer", issuer}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"keyless-ok", append([]string{artifact, "--bundle", bundle("happy-path-v0.3")}, keyless...), 0, "signed by:     " + id},
		{"keyless-regexp", []string{artifact, "--bundle", bundle("happy-path-v0.3"), "--trusted-root", pgRoot, "--certificate-identity-regexp", "^https://github.com/sigstore-conformance/", "--certificate-oidc-issuer-regexp", "githubusercontent"}, 0, "tlog entry:"},
		{"key-ok", []string{artifact, "--bundle", bundle("managed-key-happy-path"), "--key", filepath.Join(bv, "managed-key-happy-path", "key.pub")}, 0, "not checked (no --trusted-root or --tlog-key)"},
		{"key-and-root", []string{artifact, "--bundle", bundle("managed-key-happy-path"), "--key", filepath.Join(bv, "managed-key-happy-path", "key.pub"), "--trusted-root", pgRoot}, 0, "integrated"},
		{"wrong-identity", []string{artifact, "--bundle", bundle("happy-path-v0.3"), "--trusted-root", pgRoot, "--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", issuer}, 1, "certificate identity"},
		{"wrong-artifact", append([]string{filepath.Join(bv, "happy-path-v0.3", "README"), "--bundle", bundle("happy-path-v0.3")}, keyless...), 1, "artifact digest mismatch"},
		{"bad-tlog", append([]string{artifact, "--bundle", bundle("checkpoint-wrong-roothash_fail")}, keyless...), 1, "transparency log"},
		{"malformed-bundle", append([]string{artifact, "--bundle", bundle("bundle-malformed-json_fail")}, keyless...), 2, "malformed bundle"},
		{"missing-bundle-file", append([]string{artifact, "--bundle", "nope.json"}, keyless...), 2, "nope.json"},
		{"no-bundle-flag", append([]string{artifact}, keyless...), 2, "--bundle is required"},
		{"no-policy", []string{artifact, "--bundle", bundle("happy-path-v0.3")}, 2, "--key"},
		{"key-and-identity", []string{artifact, "--bundle", bundle("happy-path-v0.3"), "--key", "k.pub", "--certificate-identity", id}, 2, "exclusive"},
		{"no-issuer", []string{artifact, "--bundle", bundle("happy-path-v0.3"), "--trusted-root", pgRoot, "--certificate-identity", id}, 2, "issuer"},
		{"bad-format", append([]string{artifact, "--bundle", bundle("happy-path-v0.3"), "--format", "xml"}, keyless...), 2, "--format"},
		{"missing-artifact", append([]string{"missing.bin", "--bundle", bundle("happy-path-v0.3")}, keyless...), 2, "missing.bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runVerifyCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nerror: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.contains) {
				t.Errorf("output does not contain %q\nstdout:\n%s\nerror: %s", tc.contains, out, errOut)
			}
		})
	}
}

func TestVerifyCommandJSON(t *testing.T) {
	bv := filepath.Join("..", "..", "sign", "testdata", "conformance", "conformance-assets", "bundle-verify")
	code, out, errOut := runVerifyCLI(t, filepath.Join(bv, "a.txt"), "--bundle", filepath.Join(bv, "rekor2-happy-path", "bundle.sigstore.json"),
		"--trusted-root", filepath.Join(bv, "rekor2-happy-path", "trusted_root.json"),
		"--certificate-identity-regexp", ".", "--certificate-oidc-issuer-regexp", ".", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		SchemaVersion   int    `json:"schemaVersion"`
		Verified        bool   `json:"verified"`
		Artifact        string `json:"artifact"`
		TransparencyLog []struct {
			LogIndex int64 `json:"logIndex"`
		} `json:"transparencyLog"`
		Timestamps []struct {
			Source string `json:"source"`
		} `json:"timestamps"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.SchemaVersion != 1 || !got.Verified || !strings.HasPrefix(got.Artifact, "sha256:") || len(got.TransparencyLog) != 1 || len(got.Timestamps) == 0 {
		t.Errorf("output:\n%s", out)
	}
	t.Log(out)
}

// TestRegistryCLI signs, attests and verifies an image in go-containerregistry's in-process
// registry (without the referrers API, so the referrers tag schema is exercised end to end).
func TestRegistryCLI(t *testing.T) {
	host := testRegistry(t)
	push := func(ref string) string { return pushRandomImage(t, ref) }
	image := host + "/test/app:v1"
	digest := push(image)
	key, pub := signKeys+"/cosign.key", signKeys+"/cosign.pub"
	dir := t.TempDir()
	otherPub := filepath.Join(dir, "other.pub")
	if code, _, stderr := runKeyCLI(t, map[string]string{"HALLMARK_PASSWORD": "other-test-password"}, "", "key", "generate", "--output-prefix", filepath.Join(dir, "other")); code != ExitOK {
		t.Fatalf("key generate: exit %d: %s", code, stderr)
	}
	predicate := filepath.Join(dir, "sbom.json")
	os.WriteFile(predicate, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`), 0o644)

	steps := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"verify before signing", []string{"verify", "registry:" + image, "--key", pub}, ExitNo, "no signature found"},
		{"sign", []string{"sign", "registry:" + image, "--key", key}, ExitOK, "signature pushed as referrer"},
		{"verify", []string{"verify", "registry:" + image, "--key", pub}, ExitOK, "Verified OK: registry:" + image},
		{"verify json", []string{"verify", "registry:" + image, "--key", pub, "--format", "json"}, ExitOK, `"image": "` + host + "/test/app@" + digest},
		{"verify wrong key", []string{"verify", "registry:" + image, "--key", otherPub}, ExitNo, "not signed by the key given"},
		{"verify with --bundle", []string{"verify", "registry:" + image, "--key", pub, "--bundle", "x"}, ExitUsage, "--bundle is not used"},
		{"verify missing image", []string{"verify", "registry:" + host + "/test/none:v1", "--key", pub}, ExitUsage, "not found"},
		{"attest", []string{"attest", "registry:" + image, "--type", "cyclonedx", "--predicate", predicate, "--key", key}, ExitOK, "attestation pushed as referrer"},
		{"verify-attestation", []string{"verify-attestation", "registry:" + image, "--type", "cyclonedx", "--key", pub}, ExitOK, `{"bomFormat":"CycloneDX","specVersion":"1.6"}`},
		{"verify-attestation other type", []string{"verify-attestation", "registry:" + image, "--type", "slsaprovenance", "--key", pub}, ExitNo, "no signature found"},
	}
	for _, st := range steps {
		code, stdout, stderr := runKeyCLI(t, cosignPassword, "", st.args...)
		if code != st.code || !strings.Contains(stdout+stderr, st.contains) {
			t.Fatalf("%s: exit %d (want %d), want %q in output:\n%s%s", st.name, code, st.code, st.contains, stdout, stderr)
		}
	}
	// The tag moves to another image: the signature does not follow it.
	push(image)
	if code, stdout, stderr := runKeyCLI(t, cosignPassword, "", "verify", "registry:"+image, "--key", pub); code != ExitNo {
		t.Fatalf("moved tag: exit %d:\n%s%s", code, stdout, stderr)
	}
}
