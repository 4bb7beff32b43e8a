package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/source"
)

// gitRepo makes a git checkout with one commit on main and an origin remote, as a developer's
// clone looks.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", "https://github.com/hallmark-dev/demo.git")
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "main.c")
	git("commit", "-q", "-m", "initial")
	return dir
}

func TestLocalBuildRun(t *testing.T) {
	dir := gitRepo(t)
	wantTree, _, err := source.WalkDir(context.Background(), dir, func(string, fs.DirEntry) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	git, err := GitSource(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	b := LocalBuild{
		Command:   []string{"sh", "-c", "mkdir -p out/sub && printf hi > out/a.txt && printf there > out/sub/b.txt && ln -s a.txt out/link && echo built"},
		WorkDir:   dir,
		SourceDir: dir,
		OutputDir: filepath.Join(dir, "out"),
		Env:       map[string]string{"GOFLAGS": "-trimpath"},
		Stdout:    &stdout,
	}
	rec, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "built\n" {
		t.Errorf("command output not passed through: %q", stdout.String())
	}
	// The symlink is not an output.
	sum := func(s string) map[string]string {
		h := sha256.Sum256([]byte(s))
		return map[string]string{"sha256": hex.EncodeToString(h[:])}
	}
	wantSubjects := []Subject{{Name: "a.txt", Digest: sum("hi")}, {Name: "sub/b.txt", Digest: sum("there")}}
	if diff := cmp.Diff(wantSubjects, rec.Subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}

	p := rec.Provenance
	_, treeHex, _ := strings.Cut(wantTree, ":")
	want := Provenance{
		BuildDefinition: BuildDefinition{
			BuildType: BuildTypeLocal,
			ExternalParameters: map[string]any{
				"command":          b.Command,
				"workingDirectory": dir,
				"source":           map[string]any{"uri": "git+https://github.com/hallmark-dev/demo.git@refs/heads/main", "digest": git.Digest},
			},
			InternalParameters: map[string]any{"env": map[string]any{"GOFLAGS": "-trimpath"}},
			ResolvedDependencies: []ResourceDescriptor{
				{URI: "git+https://github.com/hallmark-dev/demo.git@refs/heads/main", Digest: git.Digest, Annotations: map[string]any{"dirty": false}},
				{Name: SourceTreeName, Digest: map[string]string{"sha256": treeHex}},
			},
		},
		RunDetails: RunDetails{Builder: Builder{ID: DefaultBuilderID}, Metadata: p.RunDetails.Metadata},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("provenance (-want +got):\n%s", diff)
	}
	md := p.RunDetails.Metadata
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(md.InvocationID) {
		t.Errorf("invocationId %q is not a UUIDv4 URN", md.InvocationID)
	}
	if md.StartedOn == nil || md.FinishedOn == nil || md.FinishedOn.Before(*md.StartedOn) || md.StartedOn.Location().String() != "UTC" {
		t.Errorf("times: started %v, finished %v", md.StartedOn, md.FinishedOn)
	}

	// The statement round-trips through the parsers a verifier uses, and verifies against what
	// the build claims.
	stJSON, err := rec.Statement()
	if err != nil {
		t.Fatal(err)
	}
	st, err := Parse(stJSON)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != SLSAProvenanceV1 || !st.Matches("sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4") {
		t.Errorf("statement: type %s, subjects %+v", st.PredicateType, st.Subject)
	}
	parsed, err := ParseProvenance(st.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyProvenance(parsed, ProvenanceExpectations{
		BuilderID: DefaultBuilderID, BuildType: BuildTypeLocal,
		SourceRepo: "https://github.com/hallmark-dev/demo", Ref: "refs/heads/main",
	}); err != nil {
		t.Errorf("own provenance does not verify: %v", err)
	}
	src, ok := parsed.Source()
	if !ok || src.Commit != git.Digest["gitCommit"] || src.Dirty == nil || *src.Dirty {
		t.Errorf("Source() = %+v, %v", src, ok)
	}
}

func TestLocalBuildDirtyIsRecorded(t *testing.T) {
	dir := gitRepo(t)
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := LocalBuild{
		Command: []string{"sh", "-c", "mkdir -p out && echo x > out/x"}, WorkDir: dir, SourceDir: dir,
		OutputDir: filepath.Join(dir, "out"), BuilderID: "https://ci.example.com/b",
	}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Provenance.RunDetails.Builder.ID; got != "https://ci.example.com/b" {
		t.Errorf("builder id %q", got)
	}
	if err := VerifyProvenance(&rec.Provenance, ProvenanceExpectations{}); !errors.Is(err, ErrProvenance) || !strings.Contains(err.Error(), "dirty") {
		t.Errorf("dirty build verified without AllowDirty: %v", err)
	}
	if err := VerifyProvenance(&rec.Provenance, ProvenanceExpectations{AllowDirty: true}); err != nil {
		t.Errorf("dirty build with AllowDirty: %v", err)
	}
}

func TestLocalBuildErrors(t *testing.T) {
	dir := gitRepo(t)
	notGit := t.TempDir()
	tests := []struct {
		name    string
		command []string
		source  string
		wantErr error
	}{
		{"command_fails", []string{"sh", "-c", "mkdir -p out && echo x > out/x && exit 3"}, dir, ErrBuildFailed},
		{"command_not_found", []string{"hallmark-no-such-command"}, dir, ErrBuildFailed},
		{"no_command", nil, dir, ErrBuildFailed},
		{"no_outputs", []string{"sh", "-c", "mkdir -p out"}, dir, ErrNoSubjects},
		{"output_dir_missing", []string{"true"}, dir, ErrNoSubjects},
		{"not_git", []string{"true"}, notGit, ErrNoGit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The command runs outside the checkout, so no case dirties it for the next.
			work := t.TempDir()
			rec, err := LocalBuild{Command: tc.command, WorkDir: work, SourceDir: tc.source, OutputDir: filepath.Join(work, "out")}.Run(context.Background())
			if !errors.Is(err, tc.wantErr) || rec != nil {
				t.Errorf("Run() = %v, %v; want %v", rec, err, tc.wantErr)
			}
		})
	}
}

func TestParseProvenance(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"minimal", `{"buildDefinition":{"buildType":"https://b/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://b"}}}`, nil},
		{"unknown_fields_ignored", `{"buildDefinition":{"buildType":"https://b/t","externalParameters":{},"x":1},"runDetails":{"builder":{"id":"https://b"}},"y":[]}`, nil},
		{"not_json", `{`, ErrInvalidProvenance},
		{"array", `[]`, ErrInvalidProvenance},
		{"null", `null`, ErrInvalidProvenance},
		{"no_build_type", `{"buildDefinition":{"externalParameters":{}},"runDetails":{"builder":{"id":"https://b"}}}`, ErrInvalidProvenance},
		{"no_external_parameters", `{"buildDefinition":{"buildType":"https://b/t"},"runDetails":{"builder":{"id":"https://b"}}}`, ErrInvalidProvenance},
		{"no_builder", `{"buildDefinition":{"buildType":"https://b/t","externalParameters":{}},"runDetails":{}}`, ErrInvalidProvenance},
		{"wrong_type", `{"buildDefinition":{"buildType":7,"externalParameters":{}},"runDetails":{"builder":{"id":"https://b"}}}`, ErrInvalidProvenance},
		{"bad_time", `{"buildDefinition":{"buildType":"https://b/t","externalParameters":{}},"runDetails":{"builder":{"id":"https://b"},"metadata":{"startedOn":"yesterday"}}}`, ErrInvalidProvenance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProvenance([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestParseProvenanceConformance(t *testing.T) {
	b, err := os.ReadFile("../../shared/testdata/in-toto/slsa-provenance-v1/statement-from-conformance-happy-path-intoto-in-dsse-v3.json")
	if err != nil {
		t.Skipf("shared test data not available: %v", err)
	}
	st, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProvenance(st.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	src, ok := p.Source()
	want := ProvenanceSource{Repo: "https://github.com/loosebazooka/aa-test", Ref: "refs/heads/main", Commit: src.Commit}
	if diff := cmp.Diff(want, src, cmpopts.EquateEmpty()); !ok || diff != "" || len(src.Commit) != 40 {
		t.Errorf("Source() (-want +got):\n%s", diff)
	}
}

func FuzzParseProvenance(f *testing.F) {
	f.Add([]byte(`{"buildDefinition":{"buildType":"https://hallmark.dev/buildtypes/local/v1","externalParameters":{"command":["make"]},` +
		`"resolvedDependencies":[{"uri":"git+https://github.com/o/r.git@refs/heads/main","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"},"annotations":{"dirty":false}}]},` +
		`"runDetails":{"builder":{"id":"https://hallmark.dev/builders/local@v1"},"metadata":{"invocationId":"urn:uuid:x","startedOn":"2026-11-24T00:00:00Z"}}}`))
	f.Add([]byte(`{"buildDefinition":{"buildType":"x","externalParameters":null}}`))
	if b, err := os.ReadFile("../../shared/testdata/in-toto/slsa-provenance-v1/statement-from-conformance-happy-path-intoto-in-dsse-v3.json"); err == nil {
		var st struct{ Predicate json.RawMessage }
		if json.Unmarshal(b, &st) == nil {
			f.Add([]byte(st.Predicate))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProvenance(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidProvenance) {
				t.Fatalf("unnamed error: %v", err)
			}
			return
		}
		p.Source()
		_ = VerifyProvenance(p, ProvenanceExpectations{SourceRepo: "https://github.com/o/r", Ref: "refs/heads/main"})
	})
}
