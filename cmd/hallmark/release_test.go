package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/sign"
)

// runReleaseCLI runs one hallmark invocation like run does, with the release command
// registered even before main.go lists it.
func runReleaseCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runKeyCLI(t, map[string]string{"HALLMARK_PASSWORD": "hallmark-test"}, "", args...)
}

// releaseDir writes a small release: nested directories, an SBOM and a provenance file.
func releaseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"bin/app":                  "#!/bin/sh\necho app 1.4.0\n",
		"lib/plugins/a.so":         "plugin a",
		"lib/plugins/b.so":         "plugin b",
		"share/doc/README":         "read me\n",
		"sbom.cdx.json":            `{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
		"provenance.intoto.jsonl":  `{"payloadType":"application/vnd.in-toto+json"}`,
		"share/doc/licences/MIT":   "MIT\n",
		"share/doc/licences/NOTES": "",
	} {
		writeReleaseFile(t, dir, name, content)
	}
	return dir
}

func writeReleaseFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func signReleaseDir(t *testing.T, dir string) {
	t.Helper()
	code, _, stderr := runReleaseCLI(t, "release", "sign", dir, "--key", filepath.Join(signKeys, "cosign.key"),
		"--sbom", filepath.Join(dir, "sbom.cdx.json"), "--provenance", filepath.Join(dir, "provenance.intoto.jsonl"))
	if code != ExitOK {
		t.Fatalf("release sign: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "signed release "+dir+": 8 file(s), 1 SBOM(s), 1 provenance file(s)") {
		t.Errorf("sign summary = %q", stderr)
	}
}

func verifyReleaseJSON(t *testing.T, dir string, extra ...string) (int, releaseVerifyOutput, string) {
	t.Helper()
	args := append([]string{"release", "verify", dir, "--key", filepath.Join(signKeys, "cosign.pub"), "--format", "json"}, extra...)
	code, stdout, stderr := runReleaseCLI(t, args...)
	var out releaseVerifyOutput
	if stdout != "" {
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("JSON output: %v\n%s", err, stdout)
		}
	}
	return code, out, stderr
}

func TestReleaseCLISignVerify(t *testing.T) {
	dir := releaseDir(t)
	signReleaseDir(t, dir)
	if _, err := os.Stat(filepath.Join(dir, ".hallmark", "release.sigstore.json")); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runReleaseCLI(t, "release", "verify", dir, "--key", filepath.Join(signKeys, "cosign.pub"))
	if code != ExitOK {
		t.Fatalf("verify: exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"Verified OK: " + dir, "files:         8,", "signed by:     key sha256:", "SBOM:          sbom.cdx.json", "provenance:    provenance.intoto.jsonl"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, out, stderr := verifyReleaseJSON(t, dir)
	if code != ExitOK || !out.Verified || len(out.Problems) != 0 || out.SchemaVersion != 1 || len(out.Manifest.Files) != 8 {
		t.Fatalf("verify --format json: exit %d, %+v, %s", code, out, stderr)
	}

	// Added, removed, modified and resized files, all in one run.
	writeReleaseFile(t, dir, "lib/plugins/c.so", "injected")
	if err := os.Remove(filepath.Join(dir, "share", "doc", "README")); err != nil {
		t.Fatal(err)
	}
	writeReleaseFile(t, dir, "lib/plugins/a.so", "plugin A")
	writeReleaseFile(t, dir, "bin/app", "#!/bin/sh\necho pwned; echo app 1.4.0\n")
	code, stdout, stderr = runReleaseCLI(t, "release", "verify", dir, "--key", filepath.Join(signKeys, "cosign.pub"))
	if code != ExitNo {
		t.Fatalf("tampered tree: exit %d, want 1: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"NOT VERIFIED: " + dir + ": 4 problem(s)",
		"size-changed   bin/app (signed 25 bytes, found 37)",
		"modified       lib/plugins/a.so (signed sha256:",
		"added          lib/plugins/c.so",
		"removed        share/doc/README",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "not verified") || !strings.Contains(stderr, "4 problem(s)") {
		t.Errorf("stderr = %q", stderr)
	}
	code, out, _ = verifyReleaseJSON(t, dir)
	var kinds []string
	for _, p := range out.Problems {
		kinds = append(kinds, p.Kind+" "+p.Path)
	}
	want := []string{"size-changed bin/app", "modified lib/plugins/a.so", "added lib/plugins/c.so", "removed share/doc/README"}
	if diff := cmp.Diff(want, kinds); code != ExitNo || out.Verified || diff != "" {
		t.Errorf("JSON: exit %d, verified %v, problems (-want +got):\n%s", code, out.Verified, diff)
	}
}

func TestReleaseCLISignatureProblems(t *testing.T) {
	dir := releaseDir(t)
	signReleaseDir(t, dir)
	bundlePath := filepath.Join(dir, ".hallmark", "release.sigstore.json")
	good, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}

	// Wrong key: exit 1, the signature is the one problem.
	code, stdout, stderr := runReleaseCLI(t, "release", "verify", dir, "--key", filepath.Join(signKeys, "cosign-ed25519.pub"))
	if code != ExitNo || !strings.Contains(stdout, "signature ") || !strings.Contains(stderr, "signature") {
		t.Errorf("wrong key: exit %d\n%s%s", code, stdout, stderr)
	}

	// Tampered manifest: the supplier's README digest replaced, payload otherwise valid.
	var raw map[string]any
	if err := json.Unmarshal(good, &raw); err != nil {
		t.Fatal(err)
	}
	env := raw["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	edited := strings.Replace(string(payload), `"size":8`, `"size":9`, 1)
	if edited == string(payload) {
		t.Fatal("payload edit changed nothing")
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(edited))
	tampered, _ := json.Marshal(raw)
	if err := os.WriteFile(bundlePath, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := verifyReleaseJSON(t, dir)
	if code != ExitNo || out.Verified || len(out.Problems) != 1 || out.Problems[0].Kind != sign.ProblemSignature || out.Manifest != nil {
		t.Errorf("tampered manifest: exit %d, %+v, %s", code, out, stderr)
	}

	// Malformed bundle: exit 2, nothing on stdout.
	if err := os.WriteFile(bundlePath, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runReleaseCLI(t, "release", "verify", dir, "--key", filepath.Join(signKeys, "cosign.pub"))
	if code != ExitUsage || stdout != "" || !strings.Contains(stderr, "malformed bundle") {
		t.Errorf("malformed bundle: exit %d\n%s%s", code, stdout, stderr)
	}

	// --bundle reads the bundle from elsewhere; the one in DIR is still not a release file.
	other := filepath.Join(t.TempDir(), "release.json")
	if err := os.WriteFile(other, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runReleaseCLI(t, "release", "verify", dir, "--key", filepath.Join(signKeys, "cosign.pub"), "--bundle", other); code != ExitOK {
		t.Errorf("--bundle: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestReleaseCLIErrors(t *testing.T) {
	key := filepath.Join(signKeys, "cosign.key")
	pub := filepath.Join(signKeys, "cosign.pub")
	withLink := releaseDir(t)
	if err := os.Symlink("../bin/app", filepath.Join(withLink, "lib", "app")); err != nil {
		t.Fatal(err)
	}
	plain := releaseDir(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"sign-symlink", []string{"release", "sign", withLink, "--key", key}, "lib/app is a symbolic link"},
		{"sign-no-key", []string{"release", "sign", plain}, "--key is required"},
		{"sign-not-a-dir", []string{"release", "sign", pub, "--key", key}, "is not a directory"},
		{"sign-missing-dir", []string{"release", "sign", filepath.Join(plain, "nope"), "--key", key}, "no such file"},
		{"sign-empty-dir", []string{"release", "sign", t.TempDir(), "--key", key}, "no files to sign"},
		{"sign-sbom-outside", []string{"release", "sign", plain, "--key", key, "--sbom", pub}, "not a file inside"},
		{"sign-sbom-missing", []string{"release", "sign", plain, "--key", key, "--sbom", filepath.Join(plain, "x.json")}, "SBOM x.json is not a file of the release directory"},
		{"verify-no-key", []string{"release", "verify", plain}, "give --key PUB"},
		{"verify-key-and-identity", []string{"release", "verify", plain, "--key", pub, "--certificate-identity", "x"}, "exclusive"},
		{"verify-keyless-no-issuer", []string{"release", "verify", plain, "--trusted-root", pub}, "needs --certificate-identity"},
		{"verify-bad-format", []string{"release", "verify", plain, "--key", pub, "--format", "xml"}, "--format"},
		{"verify-unsigned", []string{"release", "verify", plain, "--key", pub}, "release.sigstore.json"},
		{"verify-bad-key", []string{"release", "verify", plain, "--key", filepath.Join(signKeys, "hello.txt")}, "not a PEM public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runReleaseCLI(t, tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 2 with %q\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(withLink, ".hallmark")); !os.IsNotExist(err) {
		t.Errorf("a refused release must leave no bundle behind: %v", err)
	}
}
