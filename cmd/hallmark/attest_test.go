package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
)

// runAttestCLI runs one hallmark invocation like run does, with attest and verify-attestation
// registered even before main.go lists them.
func runAttestCLI(t testing.TB, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runKeyCLI(t, vars, "", args...)
}

const cliPredicate = `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "components": [{"type": "library", "name": "left-pad", "version": "1.3.0"}]
}`

// attestFixture writes a subject and a predicate into a temporary directory.
func attestFixture(t *testing.T) (dir, subject, predicate string) {
	t.Helper()
	dir = t.TempDir()
	subject = filepath.Join(dir, "app.tar.gz")
	predicate = filepath.Join(dir, "sbom.cdx.json")
	if err := os.WriteFile(subject, bytes.Repeat([]byte("hallmark app "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(predicate, []byte(cliPredicate), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, subject, predicate
}

func TestAttestRoundTrip(t *testing.T) {
	for _, key := range []string{"cosign", "cosign-ed25519"} {
		t.Run(key, func(t *testing.T) {
			dir, subject, predicate := attestFixture(t)
			priv, pub := filepath.Join(signKeys, key+".key"), filepath.Join(signKeys, key+".pub")
			code, _, stderr := runAttestCLI(t, cosignPassword, "attest", subject, "--type", "cyclonedx", "--predicate", predicate, "--key", priv)
			if code != ExitOK {
				t.Fatalf("attest: exit %d: %s", code, stderr)
			}
			bundlePath := subject + ".att.sigstore.json"
			if !strings.Contains(stderr, "bundle written to "+bundlePath) {
				t.Errorf("stderr = %q", stderr)
			}
			// No temporary file is left next to the bundle.
			if entries, _ := os.ReadDir(dir); len(entries) != 3 {
				t.Errorf("directory holds %d entries, want 3", len(entries))
			}

			// The statement inside: one subject, the base name and the file's digest.
			raw, err := os.ReadFile(bundlePath)
			if err != nil {
				t.Fatal(err)
			}
			var b struct {
				DsseEnvelope struct{ Payload []byte } `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			st, err := attest.Parse(b.DsseEnvelope.Payload)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(subject)
			want, _ := attest.FileSubject("app.tar.gz", f)
			f.Close()
			if diff := cmp.Diff([]attest.Subject{want}, st.Subject); diff != "" {
				t.Errorf("subjects (-want +got):\n%s", diff)
			}

			// Text: the predicate alone on stdout.
			code, stdout, stderr := runAttestCLI(t, nil, "verify-attestation", subject, "--bundle", bundlePath, "--key", pub, "--type", "https://cyclonedx.org/bom")
			if code != ExitOK {
				t.Fatalf("verify-attestation: exit %d: %s", code, stderr)
			}
			var gotPred, wantPred any
			if err := json.Unmarshal([]byte(stdout), &gotPred); err != nil {
				t.Fatalf("stdout is not the predicate JSON: %v\n%s", err, stdout)
			}
			json.Unmarshal([]byte(cliPredicate), &wantPred)
			if diff := cmp.Diff(wantPred, gotPred); diff != "" {
				t.Errorf("predicate (-want +got):\n%s", diff)
			}
			if !strings.Contains(stderr, "verified https://cyclonedx.org/bom attestation") {
				t.Errorf("stderr = %q", stderr)
			}

			// JSON: the result with subjects and predicate.
			code, stdout, stderr = runAttestCLI(t, nil, "verify-attestation", subject, "--bundle", bundlePath, "--key", pub, "--type", "cyclonedx", "--format", "json")
			if code != ExitOK {
				t.Fatalf("verify-attestation --format json: exit %d: %s", code, stderr)
			}
			var out struct {
				SchemaVersion int              `json:"schemaVersion"`
				Verified      bool             `json:"verified"`
				Artifact      string           `json:"artifact"`
				Subjects      []attest.Subject `json:"subjects"`
				Predicate     any              `json:"predicate"`
				Statement     struct {
					PredicateType string `json:"predicateType"`
				} `json:"statement"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if out.SchemaVersion != 1 || !out.Verified || out.Artifact != "sha256:"+want.Digest["sha256"] ||
				out.Statement.PredicateType != "https://cyclonedx.org/bom" || len(out.Subjects) != 1 {
				t.Errorf("json output:\n%s", stdout)
			}
			if diff := cmp.Diff(wantPred, out.Predicate); diff != "" {
				t.Errorf("json predicate (-want +got):\n%s", diff)
			}

			// The generic verifier accepts it too.
			if code, _, stderr := runAttestCLI(t, nil, "verify", subject, "--bundle", bundlePath, "--key", pub); code != ExitOK {
				t.Errorf("verify: exit %d: %s", code, stderr)
			}
		})
	}
}

func TestAttestStdout(t *testing.T) {
	_, subject, predicate := attestFixture(t)
	code, stdout, stderr := runAttestCLI(t, cosignPassword, "attest", subject, "--type", "openvex", "--predicate", predicate, "--key", filepath.Join(signKeys, "cosign.key"), "--bundle", "-")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"`) || !strings.Contains(stderr, "standard output") {
		t.Errorf("stdout = %.80q, stderr = %q", stdout, stderr)
	}
	if _, err := os.Stat(subject + ".att.sigstore.json"); !os.IsNotExist(err) {
		t.Errorf("a bundle file was written: %v", err)
	}
}

func TestAttestCLIErrors(t *testing.T) {
	dir, subject, predicate := attestFixture(t)
	key := filepath.Join(signKeys, "cosign.key")
	notJSON := filepath.Join(dir, "not.json")
	os.WriteFile(notJSON, []byte("not json"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no key", []string{"attest", subject, "--type", "spdx", "--predicate", predicate}, ExitUsage, "--key is required"},
		{"no type", []string{"attest", subject, "--predicate", predicate, "--key", key}, ExitUsage, "--type is required"},
		{"no predicate", []string{"attest", subject, "--type", "spdx", "--key", key}, ExitUsage, "--predicate is required"},
		{"unknown type", []string{"attest", subject, "--type", "sbomish", "--predicate", predicate, "--key", key}, ExitUsage, "unknown predicate type"},
		{"missing subject", []string{"attest", filepath.Join(dir, "nope"), "--type", "spdx", "--predicate", predicate, "--key", key}, ExitUsage, "no such file"},
		{"directory subject", []string{"attest", dir, "--type", "spdx", "--predicate", predicate, "--key", key}, ExitUsage, "is a directory"},
		{"predicate not JSON", []string{"attest", subject, "--type", "spdx", "--predicate", notJSON, "--key", key}, ExitUsage, "invalid in-toto statement"},
		{"missing key", []string{"attest", subject, "--type", "spdx", "--predicate", predicate, "--key", filepath.Join(dir, "nope.key")}, ExitUsage, "--key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runAttestCLI(t, cosignPassword, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.msg)
			}
		})
	}
	if code, _, stderr := runAttestCLI(t, map[string]string{"HALLMARK_PASSWORD": "wrong"}, "attest", subject, "--type", "spdx", "--predicate", predicate, "--key", key); code != ExitUsage {
		t.Errorf("wrong password: exit %d: %s", code, stderr)
	}
}

func TestVerifyAttestationCLIFailures(t *testing.T) {
	dir, subject, predicate := attestFixture(t)
	key, pub, otherPub := filepath.Join(signKeys, "cosign.key"), filepath.Join(signKeys, "cosign.pub"), filepath.Join(signKeys, "cosign-ed25519.pub")
	good := filepath.Join(dir, "good.json")
	if code, _, stderr := runAttestCLI(t, cosignPassword, "attest", subject, "--type", "cyclonedx", "--predicate", predicate, "--key", key, "--bundle", good); code != ExitOK {
		t.Fatalf("attest: exit %d: %s", code, stderr)
	}
	other := filepath.Join(dir, "other.tar.gz")
	os.WriteFile(other, []byte("another artifact"), 0o644)
	aboutOther := filepath.Join(dir, "other.att.json")
	if code, _, stderr := runAttestCLI(t, cosignPassword, "attest", other, "--type", "cyclonedx", "--predicate", predicate, "--key", key, "--bundle", aboutOther); code != ExitOK {
		t.Fatalf("attest: exit %d: %s", code, stderr)
	}

	goodJSON, _ := os.ReadFile(good)
	var b map[string]any
	json.Unmarshal(goodJSON, &b)
	env := b["dsseEnvelope"].(map[string]any)
	payload, _ := json.Marshal(env["payload"])
	var stmt []byte
	json.Unmarshal(payload, &stmt)
	env["payload"] = bytes.Replace(stmt, []byte("left-pad"), []byte("right-pad"), 1)
	tampered := filepath.Join(dir, "tampered.json")
	data, _ := json.Marshal(b)
	os.WriteFile(tampered, data, 0o644)

	blob := filepath.Join(dir, "blob.sigstore.json")
	s, err := sign.LoadSigner(mustRead(t, key), []byte(cosignPassword["HALLMARK_PASSWORD"]))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(subject)
	bb, err := sign.SignBlob(t.Context(), s, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := sign.MarshalBundle(bb)
	os.WriteFile(blob, raw, 0o644)

	malformed := filepath.Join(dir, "malformed.json")
	os.WriteFile(malformed, []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "dsseEnvelope": `), 0o644)

	tests := []struct {
		name   string
		bundle string
		key    string
		typ    string
		code   int
		msg    string
	}{
		{"tampered payload", tampered, pub, "cyclonedx", ExitNo, "signature"},
		{"wrong key", good, otherPub, "cyclonedx", ExitNo, "not signed by the key given"},
		{"about another artifact", aboutOther, pub, "cyclonedx", ExitNo, "no statement subject matches the artifact"},
		{"wrong type", good, pub, "slsaprovenance", ExitNo, "predicate type mismatch"},
		{"blob bundle", blob, pub, "cyclonedx", ExitUsage, "not an in-toto attestation"},
		{"malformed bundle", malformed, pub, "cyclonedx", ExitUsage, "malformed bundle"},
		{"missing bundle", filepath.Join(dir, "nope.json"), pub, "cyclonedx", ExitUsage, "--bundle"},
		{"not a key", good, good, "cyclonedx", ExitUsage, "not a PEM public key"},
		{"unknown type", good, pub, "sbomish", ExitUsage, "unknown predicate type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runAttestCLI(t, nil, "verify-attestation", subject, "--bundle", tt.bundle, "--key", tt.key, "--type", tt.typ)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.msg)
			}
			if stdout != "" {
				t.Errorf("unverified output: %q", stdout)
			}
		})
	}
	for _, args := range [][]string{
		{"verify-attestation", subject, "--key", pub, "--type", "cyclonedx"},
		{"verify-attestation", subject, "--bundle", good, "--type", "cyclonedx"},
		{"verify-attestation", subject, "--bundle", good, "--key", pub},
		{"verify-attestation", subject, "--bundle", good, "--key", pub, "--type", "cyclonedx", "--format", "yaml"},
	} {
		if code, _, stderr := runAttestCLI(t, nil, args...); code != ExitUsage {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAttestCosignInterop: cosign verifies what `hallmark attest` writes.
func TestAttestCosignInterop(t *testing.T) {
	bin := cliCosign(t)
	for _, key := range []string{"cosign", "cosign-ed25519"} {
		t.Run(key, func(t *testing.T) {
			dir, subject, predicate := attestFixture(t)
			bundlePath := filepath.Join(dir, "att.json")
			if code, _, stderr := runAttestCLI(t, cosignPassword, "attest", subject, "--type", "cyclonedx", "--predicate", predicate,
				"--key", filepath.Join(signKeys, key+".key"), "--bundle", bundlePath); code != ExitOK {
				t.Fatalf("attest: exit %d: %s", code, stderr)
			}
			cosign := func(typ, artifact string) (string, error) {
				cmd := exec.Command(bin, "verify-blob-attestation", "--key", filepath.Join(signKeys, key+".pub"), "--bundle", bundlePath,
					"--type", typ, "--insecure-ignore-tlog=true", artifact)
				cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			if out, err := cosign("cyclonedx", subject); err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign verify-blob-attestation: %v\n%s", err, out)
			}
			// cosign fails closed too: another artifact, another type.
			other := filepath.Join(dir, "other")
			os.WriteFile(other, []byte("other"), 0o644)
			if out, err := cosign("cyclonedx", other); err == nil {
				t.Errorf("cosign verified another artifact:\n%s", out)
			}
			if out, err := cosign("slsaprovenance", subject); err == nil {
				t.Errorf("cosign verified another predicate type:\n%s", out)
			}
		})
	}
}
