package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/attest"
)

// runBuildCLI runs one hallmark invocation like run does, with build and verify-provenance
// registered even before main.go lists them.
func runBuildCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runKeyCLI(t, vars, "", args...)
}

var (
	buildKey      = filepath.Join("..", "..", "sign", "testdata", "keys", "cosign.key")
	buildPub      = filepath.Join("..", "..", "sign", "testdata", "keys", "cosign.pub")
	otherPub      = filepath.Join("..", "..", "sign", "testdata", "keys", "openssl-ec.pub")
	buildPassword = map[string]string{"HALLMARK_PASSWORD": "hallmark-test", "BUILD_MODE": "release", "SECRET_TOKEN": "do-not-record"}
)

// buildCheckout makes a git checkout with one commit on main and an origin remote, and makes
// it the working directory, as a developer runs `hallmark build` from the root of a clone.
func buildCheckout(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	// Key paths are relative to the package directory: make them absolute before moving.
	for _, p := range []*string{&buildKey, &buildPub, &otherPub} {
		if !filepath.IsAbs(*p) {
			abs, err := filepath.Abs(*p)
			if err != nil {
				t.Fatal(err)
			}
			*p = abs
		}
	}
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		// Fixed names and dates make the commit id the same on every run, for the golden
		// transcripts.
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_DATE=2023-11-14T22:13:20Z", "GIT_COMMITTER_DATE=2023-11-14T22:13:20Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", "git@github.com:hallmark-dev/demo.git")
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The outputs are not part of the source: a clean checkout stays clean after the build.
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("out/\n*.sigstore.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "initial")
	t.Chdir(dir)
	return dir
}

const buildScript = "mkdir -p out/bin && echo hi > out/a.txt && echo app > out/bin/app && echo building"

func TestBuildAndVerifyProvenance(t *testing.T) {
	dir := buildCheckout(t)
	code, stdout, stderr := runBuildCLI(t, buildPassword, "build", "--output-dir", "out", "--key", buildKey,
		"--env", "BUILD_MODE", "--env", "UNSET_VAR", "--", "sh", "-c", buildScript)
	if code != ExitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	if stdout != "building\n" {
		t.Errorf("build output not passed through: %q", stdout)
	}
	bundlePath := filepath.Join(dir, "out.provenance.sigstore.json")
	bundleJSON, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatalf("no bundle next to the output directory: %v", err)
	}
	if !strings.Contains(stderr, "built 2 output(s) in out from https://github.com/hallmark-dev/demo at ") {
		t.Errorf("summary: %s", stderr)
	}

	// The signed statement records what the task asks, and only the allow-listed variable.
	var b struct {
		DsseEnvelope struct{ Payload string } `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(b.DsseEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Parse(payload)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range st.Subject {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "a.txt,bin/app" {
		t.Errorf("subjects %v", names)
	}
	p, err := attest.ParseProvenance(st.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.BuildDefinition.InternalParameters["env"]; !cmpJSON(t, got, map[string]any{"BUILD_MODE": "release"}) {
		t.Errorf("recorded env %v, want BUILD_MODE only", got)
	}
	if strings.Contains(string(payload), "do-not-record") {
		t.Error("a variable not allow-listed leaked into the provenance")
	}
	if got := p.BuildDefinition.ExternalParameters["command"]; !cmpJSON(t, got, []string{"sh", "-c", buildScript}) {
		t.Errorf("command %v", got)
	}

	artifact := filepath.Join("out", "a.txt")
	pass := []string{"verify-provenance", artifact, "--bundle", bundlePath, "--key", buildPub,
		"--builder-id", attest.DefaultBuilderID, "--build-type", attest.BuildTypeLocal,
		"--source-repo", "https://github.com/hallmark-dev/demo.git", "--ref", "refs/heads/main"}
	code, stdout, stderr = runBuildCLI(t, nil, pass...)
	if code != ExitOK {
		t.Fatalf("verify-provenance: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"Verified provenance: out/a.txt", "subject:       a.txt", "builder:       " + attest.DefaultBuilderID + " (as required)",
		"source:        https://github.com/hallmark-dev/demo (as required)", "ref:           refs/heads/main (as required)", "dirty:         false"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	tampered := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(tampered, bytes.Replace(bundleJSON, []byte(`"sig":"`), []byte(`"sig":"AAAA`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	// A forged statement claiming the trusted builder, under the original signature.
	forged := filepath.Join(t.TempDir(), "forged.json")
	forgedPayload := bytes.Replace(payload, []byte(attest.DefaultBuilderID), []byte("https://ci.example.com/trusted"), 1)
	if err := os.WriteFile(forged, bytes.Replace(bundleJSON, []byte(b.DsseEnvelope.Payload), []byte(base64.StdEncoding.EncodeToString(forgedPayload)), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(notJSON, []byte("{"), 0o644)
	// with replaces a flag's value (key "--flag") or an argument (key the argument itself).
	with := func(key, value string) []string {
		args := slices.Clone(pass)
		i := slices.Index(args, key)
		if strings.HasPrefix(key, "--") {
			i++
		}
		args[i] = value
		return args
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"other_builder", with("--builder-id", "https://ci.example.com/trusted"), ExitNo, `builder id is "` + attest.DefaultBuilderID + `"`},
		{"other_repo", with("--source-repo", "https://github.com/evil/demo"), ExitNo, "source repository is"},
		{"other_ref", with("--ref", "refs/tags/v1.0.0"), ExitNo, `source ref is "refs/heads/main", want "refs/tags/v1.0.0"`},
		{"other_build_type", with("--build-type", "https://actions.github.io/buildtypes/workflow/v1"), ExitNo, "build type is"},
		{"artifact_not_subject", with(artifact, "main.c"), ExitNo, "no statement subject matches the artifact"},
		{"tampered_bundle", with("--bundle", tampered), ExitNo, "not verified"},
		{"forged_statement", append(with("--bundle", forged), "--builder-id", "https://ci.example.com/trusted"), ExitNo, "not verified"},
		{"other_key", with("--key", otherPub), ExitNo, "not verified"},
		{"malformed_bundle", with("--bundle", notJSON), ExitUsage, ""},
		{"no_bundle_flag", []string{"verify-provenance", artifact, "--key", buildPub}, ExitUsage, "--bundle is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBuildCLI(t, nil, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantMsg) || stdout != "" {
				t.Errorf("exit %d, want %d; stderr %q lacks %q; stdout %q", code, tc.wantCode, stderr, tc.wantMsg, stdout)
			}
		})
	}
}

func TestBuildDirtyTree(t *testing.T) {
	dir := buildCheckout(t)
	// Dirty before the build: an uncommitted change to a tracked file.
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte("int main(void) { return 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bundlePath := filepath.Join(t.TempDir(), "prov.json")
	code, _, stderr := runBuildCLI(t, buildPassword, "build", "--output-dir", "out", "--key", buildKey, "--bundle", bundlePath,
		"--builder-id", "https://ci.example.com/runner@v1", "--", "sh", "-c", buildScript)
	if code != ExitOK || !strings.Contains(stderr, "(dirty tree)") {
		t.Fatalf("a dirty tree is recorded, not refused: exit %d\n%s", code, stderr)
	}
	args := []string{"verify-provenance", "out/a.txt", "--bundle", bundlePath, "--key", buildPub, "--builder-id", "https://ci.example.com/runner@v1"}
	code, _, stderr = runBuildCLI(t, nil, args...)
	if code != ExitNo || !strings.Contains(stderr, "built from a dirty tree") {
		t.Errorf("dirty without --allow-dirty: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runBuildCLI(t, nil, append(args, "--allow-dirty")...)
	if code != ExitOK || !strings.Contains(stdout, "dirty:         true") {
		t.Errorf("dirty with --allow-dirty: exit %d, %s%s", code, stdout, stderr)
	}

	// The same as JSON: dirty is true, and cleanliness is listed as not checked.
	code, stdout, _ = runBuildCLI(t, nil, append(args, "--allow-dirty", "--format", "json")...)
	checkProvenanceJSON(t, code, stdout)
	var r provenanceReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Source == nil || r.Source.Dirty == nil || !*r.Source.Dirty ||
		!slices.Contains(r.NotChecked, "cleanTree") || slices.Contains(r.Checks, "cleanTree") {
		t.Errorf("dirty as JSON: %v\n%s", err, stdout)
	}
	code, stdout, _ = runBuildCLI(t, nil, append(args, "--format", "json")...)
	checkProvenanceJSON(t, code, stdout)
	if code != ExitNo || !strings.Contains(stdout, `"code": "provenance-mismatch"`) || !strings.Contains(stdout, "built from a dirty tree") {
		t.Errorf("dirty without --allow-dirty as JSON: exit %d\n%s", code, stdout)
	}
}

func TestBuildFailures(t *testing.T) {
	dir := buildCheckout(t)
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"command_fails", buildPassword, []string{"--output-dir", "out", "--key", buildKey, "--", "sh", "-c", buildScript + " && exit 7"}, ExitNo, "build command failed"},
		{"command_not_found", buildPassword, []string{"--output-dir", "out", "--key", buildKey, "--", "hallmark-no-such-tool"}, ExitNo, "build command failed"},
		{"no_outputs", buildPassword, []string{"--output-dir", "empty", "--key", buildKey, "--", "mkdir", "-p", "empty"}, ExitUsage, "no build outputs"},
		{"no_command", buildPassword, []string{"--output-dir", "out", "--key", buildKey}, ExitUsage, "no build command"},
		{"no_key", buildPassword, []string{"--output-dir", "out", "--", "true"}, ExitUsage, "--key is required"},
		{"no_output_dir", buildPassword, []string{"--key", buildKey, "--", "true"}, ExitUsage, "--output-dir is required"},
		{"wrong_password", map[string]string{"HALLMARK_PASSWORD": "wrong"}, []string{"--output-dir", "out", "--key", buildKey, "--", "sh", "-c", buildScript}, ExitUsage, ""},
		{"not_git", buildPassword, []string{"--output-dir", "out", "--key", buildKey, "--source", t.TempDir(), "--", "sh", "-c", buildScript}, ExitUsage, "not a git checkout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBuildCLI(t, tc.vars, append([]string{"build"}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tc.wantCode, stderr, tc.wantMsg)
			}
			for _, p := range []string{"out.provenance.sigstore.json", "empty.provenance.sigstore.json"} {
				if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
					t.Errorf("%s written by a failed build", p)
				}
			}
		})
	}
}

// cmpJSON compares a decoded JSON value with what want encodes to.
func cmpJSON(t *testing.T, got, want any) bool {
	t.Helper()
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	return err1 == nil && err2 == nil && bytes.Equal(g, w)
}

// provenanceTranscripts are verify-provenance invocations whose whole output is reviewed in
// testdata/golden (rewritten with -update), run against provenance that TestVerifyProvenanceGolden
// builds and signs first. "$PUB" is the signing key's public half, "$OTHERPUB" another key.
var provenanceTranscripts = []transcript{
	{name: "verify-provenance-text", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--builder-id", attest.DefaultBuilderID, "--source-repo", "https://github.com/hallmark-dev/demo", "--ref", "refs/heads/main"}},
	{name: "verify-provenance-json", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--builder-id", attest.DefaultBuilderID, "--build-type", attest.BuildTypeLocal, "--source-repo", "https://github.com/hallmark-dev/demo",
		"--ref", "refs/heads/main", "--format", "json"}},
	{name: "verify-provenance-json-unpinned", args: []string{"verify-provenance", "out/bin/app", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--allow-dirty", "-f", "json"}},
	{name: "verify-provenance-json-other-builder", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--builder-id", "https://ci.example.com/trusted", "--format", "json"}},
	{name: "verify-provenance-json-other-ref", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--ref", "refs/tags/v1.0.0", "--format", "json"}},
	{name: "verify-provenance-json-other-key", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$OTHERPUB",
		"--format", "json"}},
	{name: "verify-provenance-json-not-subject", args: []string{"verify-provenance", "main.c", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--format", "json"}},
	{name: "verify-provenance-json-malformed-bundle", args: []string{"verify-provenance", "out/a.txt", "--bundle", "main.c", "--key", "$PUB",
		"--format", "json"}},
	{name: "verify-provenance-json-no-bundle", args: []string{"verify-provenance", "out/a.txt", "--key", "$PUB", "--format", "json"}},
	{name: "verify-provenance-bad-format", args: []string{"verify-provenance", "out/a.txt", "--bundle", "out.provenance.sigstore.json", "--key", "$PUB",
		"--format", "yaml"}},
}

// TestVerifyProvenanceGolden builds in a checkout whose commit id is fixed, signs its
// provenance, and compares each verify-provenance transcript with testdata/golden. JSON output
// is also checked to be one document of the documented shape, on success and on failure.
func TestVerifyProvenanceGolden(t *testing.T) {
	pkgDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	buildCheckout(t)
	code, _, stderr := runBuildCLI(t, buildPassword, "build", "--output-dir", "out", "--key", buildKey, "--", "sh", "-c", buildScript)
	if code != ExitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	for _, tc := range provenanceTranscripts {
		t.Run(tc.name, func(t *testing.T) {
			args := slices.Clone(tc.args)
			for i, a := range args {
				args[i] = strings.NewReplacer("$OTHERPUB", otherPub, "$PUB", buildPub).Replace(a)
			}
			code, stdout, stderr := runBuildCLI(t, nil, args...)
			if slices.Contains(args, "json") {
				checkProvenanceJSON(t, code, stdout)
			}
			got := fmt.Sprintf("# hallmark %s\n# exit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(tc.args, " "), code, scrub(stdout), scrub(stderr))
			path := filepath.Join(pkgDir, "testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestVerifyProvenanceGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("transcript %s changed (-want +got); rerun with -update if intended:\n%s", path, diff)
			}
		})
	}
}

// checkProvenanceJSON checks that stdout is exactly one JSON document of the documented shape:
// verified with its details on exit 0, verified false with an error code and message
// otherwise.
func checkProvenanceJSON(t *testing.T, code int, stdout string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var r provenanceReport
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not a verify-provenance JSON document: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document on stdout:\n%s", stdout)
	}
	if r.SchemaVersion != 1 || r.File == "" {
		t.Errorf("schemaVersion %d, file %q", r.SchemaVersion, r.File)
	}
	if code == ExitOK {
		if !r.Verified || r.Error != nil || r.Subject == nil || r.Signer == nil || r.BuilderID == "" || r.Source == nil ||
			!slices.Contains(r.Checks, "signature") || r.PredicateType != attest.SLSAProvenanceV1 {
			t.Errorf("verified output lacks a field: %+v", r)
		}
		return
	}
	if r.Verified || r.Error == nil || r.Error.Code == "" || r.Error.Message == "" || r.Signer != nil || r.Checks != nil {
		t.Errorf("failure output: %+v", r)
	}
}
