package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/tlog"
)

// inProcessLog starts a log in-process behind an httptest server and returns its URL and the
// path of its verifier key.
func inProcessLog(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	srv, err := tlog.OpenServer(context.Background(), tlog.ServerConfig{Dir: dir, Origin: "cli.test/log", CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close(context.Background())
	})
	return hs.URL, filepath.Join(dir, tlog.VerifierKeyFile)
}

// TestSignVerifyWithTlog: sign and attest --tlog embed an inclusion proof that verify and
// verify-attestation check offline with --tlog-key; --require-tlog refuses unlogged bundles;
// a bundle whose entry was moved to another artifact's bundle fails.
func TestSignVerifyWithTlog(t *testing.T) {
	url, vkey := inProcessLog(t)
	dir := t.TempDir()
	artifact := filepath.Join(dir, "app.tar.gz")
	if err := os.WriteFile(artifact, []byte("release payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key, pub := signKeys+"/cosign.key", signKeys+"/cosign.pub"
	logged := filepath.Join(dir, "logged.sigstore.json")
	code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", artifact, "--key", key, "--bundle", logged, "--tlog", url)
	if code != ExitOK || !strings.Contains(stderr, "logged in "+url+" at index 0") {
		t.Fatalf("sign --tlog: exit %d: %s", code, stderr)
	}
	unlogged := filepath.Join(dir, "unlogged.sigstore.json")
	if code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", artifact, "--key", key, "--bundle", unlogged); code != ExitOK {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}

	code, stdout, stderr := runKeyCLI(t, nil, "", "verify", artifact, "--bundle", logged, "--key", pub, "--tlog-key", vkey, "--require-tlog", "--format", "json")
	if code != ExitOK {
		t.Fatalf("verify --tlog-key: exit %d: %s", code, stderr)
	}
	var out struct {
		TransparencyLog []struct {
			LogURL   string `json:"logUrl"`
			LogIndex int64  `json:"logIndex"`
			Kind     string `json:"kind"`
		} `json:"transparencyLog"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.TransparencyLog) != 1 || out.TransparencyLog[0].LogURL != "cli.test/log" || out.TransparencyLog[0].Kind != "hashedrekord/0.0.2" {
		t.Fatalf("transparencyLog = %+v", out.TransparencyLog)
	}

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unlogged, required", []string{"verify", artifact, "--bundle", unlogged, "--key", pub, "--tlog-key", vkey, "--require-tlog"}, ExitNo, "no entry from this transparency log"},
		{"unlogged, not required", []string{"verify", artifact, "--bundle", unlogged, "--key", pub, "--tlog-key", vkey}, ExitOK, "Verified OK"},
		{"require without key", []string{"verify", artifact, "--bundle", logged, "--key", pub, "--require-tlog"}, ExitUsage, "--require-tlog needs --tlog-key"},
		{"bad vkey file", []string{"verify", artifact, "--bundle", logged, "--key", pub, "--tlog-key", artifact}, ExitUsage, "--tlog-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Fatalf("exit %d (want %d), output %s%s (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}

	// The entry moved into the bundle of another artifact's signature: mismatch, exit 1.
	other := filepath.Join(dir, "other.bin")
	os.WriteFile(other, []byte("other\n"), 0o644)
	otherBundle := filepath.Join(dir, "other.sigstore.json")
	if code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", other, "--key", key, "--bundle", otherBundle); code != ExitOK {
		t.Fatal(stderr)
	}
	moved := moveTlogEntry(t, logged, otherBundle)
	code, _, stderr = runKeyCLI(t, nil, "", "verify", other, "--bundle", moved, "--key", pub, "--tlog-key", vkey, "--require-tlog")
	if code != ExitNo || !strings.Contains(stderr, "does not match the bundle") {
		t.Fatalf("moved entry: exit %d: %s", code, stderr)
	}
	// --format json answers on failure too, with a stable code.
	code, stdout, _ = runKeyCLI(t, nil, "", "verify", other, "--bundle", moved, "--key", pub, "--tlog-key", vkey, "--format", "json")
	var failure struct {
		Verified bool `json:"verified"`
		Error    struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(stdout), &failure); err != nil || code != ExitNo || failure.Verified || failure.Error.Code != "log-entry-mismatch" {
		t.Fatalf("json failure: exit %d, %v, %+v\n%s", code, err, failure, stdout)
	}

	// Attestations: DSSE entries.
	pred := filepath.Join(dir, "review.json")
	os.WriteFile(pred, []byte(`{"reviewed":true}`), 0o644)
	att := filepath.Join(dir, "app.att.sigstore.json")
	if code, _, stderr := runKeyCLI(t, cosignPassword, "", "attest", artifact, "--type", "https://example.com/review/v1", "--predicate", pred, "--key", key, "--bundle", att, "--tlog", url); code != ExitOK {
		t.Fatalf("attest --tlog: %s", stderr)
	}
	code, stdout, stderr = runKeyCLI(t, nil, "", "verify-attestation", artifact, "--bundle", att, "--type", "https://example.com/review/v1", "--key", pub, "--tlog-key", vkey, "--require-tlog")
	if code != ExitOK || !strings.Contains(stderr, "logged in cli.test/log index 1") {
		t.Fatalf("verify-attestation --tlog-key: exit %d: %s%s", code, stdout, stderr)
	}

	// Unreachable log: sign fails (exit 3) and writes nothing.
	nowhere := filepath.Join(dir, "nowhere.sigstore.json")
	code, _, stderr = runKeyCLI(t, cosignPassword, "", "sign", artifact, "--key", key, "--bundle", nowhere, "--tlog", "http://127.0.0.1:1")
	if code != ExitInternal || !strings.Contains(stderr, "submitting to the transparency log failed") {
		t.Fatalf("unreachable log: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(nowhere); err == nil {
		t.Fatal("a bundle was written although logging failed")
	}
}

// moveTlogEntry copies the tlog entries of the bundle at from into the bundle at to and
// returns the path of the result.
func moveTlogEntry(t *testing.T, from, to string) string {
	t.Helper()
	read := func(p string) map[string]any {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	src, dst := read(from), read(to)
	dst["verificationMaterial"].(map[string]any)["tlogEntries"] = src["verificationMaterial"].(map[string]any)["tlogEntries"]
	out, _ := json.Marshal(dst)
	p := to + ".moved.json"
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImageSignVerifyWithTlog: sign and attest registry:IMAGE --tlog log the bundle before it
// is pushed; verify and verify-attestation registry:IMAGE --tlog-key --require-tlog check the
// entries of the pushed bundles.
func TestImageSignVerifyWithTlog(t *testing.T) {
	url, vkey := inProcessLog(t)
	host := testRegistry(t)
	logged, unlogged := host+"/test/logged:v1", host+"/test/unlogged:v1"
	pushRandomImage(t, logged)
	pushRandomImage(t, unlogged)
	key, pub := signKeys+"/cosign.key", signKeys+"/cosign.pub"
	pred := filepath.Join(t.TempDir(), "sbom.json")
	os.WriteFile(pred, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`), 0o644)
	steps := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"sign --tlog", []string{"sign", "registry:" + logged, "--key", key, "--tlog", url}, ExitOK, "logged in " + url},
		{"attest --tlog", []string{"attest", "registry:" + logged, "--type", "cyclonedx", "--predicate", pred, "--key", key, "--tlog", url}, ExitOK, "logged in " + url},
		{"sign without log", []string{"sign", "registry:" + unlogged, "--key", key}, ExitOK, "pushed"},
		{"verify --require-tlog", []string{"verify", "registry:" + logged, "--key", pub, "--tlog-key", vkey, "--require-tlog"}, ExitOK, "cli.test/log index 0"},
		{"verify-attestation --require-tlog", []string{"verify-attestation", "registry:" + logged, "--type", "cyclonedx", "--key", pub, "--tlog-key", vkey, "--require-tlog"}, ExitOK, "logged in cli.test/log index 1"},
		{"unlogged image, required", []string{"verify", "registry:" + unlogged, "--key", pub, "--tlog-key", vkey, "--require-tlog"}, ExitNo, "no entry from this transparency log"},
		{"log down: nothing pushed", []string{"sign", "registry:" + unlogged, "--key", key, "--tlog", "http://127.0.0.1:1"}, ExitInternal, "submitting to the transparency log failed"},
	}
	for _, st := range steps {
		code, stdout, stderr := runKeyCLI(t, cosignPassword, "", st.args...)
		if code != st.code || !strings.Contains(stdout+stderr, st.want) {
			t.Fatalf("%s: exit %d (want %d): %s%s (want %q)", st.name, code, st.code, stdout, stderr, st.want)
		}
	}
}
