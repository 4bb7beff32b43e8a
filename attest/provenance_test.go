package attest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyProvenance(t *testing.T) {
	base := func() *Provenance {
		return &Provenance{
			BuildDefinition: BuildDefinition{
				BuildType:          BuildTypeLocal,
				ExternalParameters: map[string]any{"command": []string{"make"}},
				ResolvedDependencies: []ResourceDescriptor{{
					URI:         "git+https://github.com/acme/app.git@refs/tags/v1.2.0",
					Digest:      map[string]string{"gitCommit": "ebff8dfbd609b7b22237c7719ce07f2dc7934f5f"},
					Annotations: map[string]any{"dirty": false},
				}},
			},
			RunDetails: RunDetails{Builder: Builder{ID: "https://ci.acme.example/builder@v1"}},
		}
	}
	want := ProvenanceExpectations{BuilderID: "https://ci.acme.example/builder@v1", BuildType: BuildTypeLocal,
		SourceRepo: "https://github.com/acme/app", Ref: "refs/tags/v1.2.0"}
	if err := VerifyProvenance(base(), want); err != nil {
		t.Fatalf("matching provenance rejected: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Provenance)
		allow  bool
		msg    string
	}{
		{"other_builder", func(p *Provenance) { p.RunDetails.Builder.ID = "https://evil.example/builder" }, false, "builder id"},
		{"other_build_type", func(p *Provenance) { p.BuildDefinition.BuildType = "https://x.example/bt" }, false, "build type"},
		{"other_repo", func(p *Provenance) {
			p.BuildDefinition.ResolvedDependencies[0].URI = "git+https://github.com/evil/app@refs/tags/v1.2.0"
		}, false, "repository"},
		{"other_ref", func(p *Provenance) {
			p.BuildDefinition.ResolvedDependencies[0].URI = "git+https://github.com/acme/app@refs/heads/dev"
		}, false, "ref"},
		{"other_repo_ssh_same_host", func(p *Provenance) {
			p.BuildDefinition.ResolvedDependencies[0].URI = "git+ssh://git@github.com/evil/app.git"
		}, false, "repository"},
		{"dirty", func(p *Provenance) { p.BuildDefinition.ResolvedDependencies[0].Annotations["dirty"] = true }, false, "dirty"},
		{"dirty_unknown", func(p *Provenance) { p.BuildDefinition.ResolvedDependencies[0].Annotations = nil }, false, "clean"},
		{"no_source", func(p *Provenance) { p.BuildDefinition.ResolvedDependencies = nil }, false, "no git source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.mutate(p)
			w := want
			w.AllowDirty = tt.allow
			err := VerifyProvenance(p, w)
			if !errors.Is(err, ErrProvenance) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want ErrProvenance mentioning %q", err, tt.msg)
			}
		})
	}
	ssh := base()
	ssh.BuildDefinition.ResolvedDependencies[0].URI = "git+ssh://git@github.com/acme/app.git@refs/tags/v1.2.0"
	if err := VerifyProvenance(ssh, ProvenanceExpectations{SourceRepo: "ssh://git@github.com/acme/app", Ref: "refs/tags/v1.2.0"}); err != nil {
		t.Errorf("ssh source with user info: %v", err)
	}
	p := base()
	p.BuildDefinition.ResolvedDependencies[0].Annotations["dirty"] = true
	if err := VerifyProvenance(p, ProvenanceExpectations{AllowDirty: true}); err != nil {
		t.Errorf("dirty tree with AllowDirty: %v", err)
	}
}

// TestRealProvenanceExample: the SLSA v1 statement from the sigstore conformance assets
// decodes into Provenance and verifies against what it says.
func TestRealProvenanceExample(t *testing.T) {
	b, err := os.ReadFile("../../shared/testdata/in-toto/slsa-provenance-v1/statement-from-conformance-happy-path-intoto-in-dsse-v3.json")
	if err != nil {
		t.Skipf("shared test data not available: %v", err)
	}
	st, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var p Provenance
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		t.Fatal(err)
	}
	err = VerifyProvenance(&p, ProvenanceExpectations{
		BuilderID: "https://github.com/loosebazooka/aa-test/.github/workflows/provenance.yaml@refs/heads/main",
		BuildType: "https://actions.github.io/buildtypes/workflow/v1", SourceRepo: "https://github.com/loosebazooka/aa-test",
		Ref: "refs/heads/main", AllowDirty: true,
	})
	if err != nil {
		t.Errorf("the conformance provenance does not verify against its own claims: %v", err)
	}
	if err := VerifyProvenance(&p, ProvenanceExpectations{}); !errors.Is(err, ErrProvenance) {
		t.Errorf("GitHub provenance has no dirty annotation; without --allow-dirty it must fail: %v", err)
	}
}

func TestGitSource(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if _, err := GitSource(context.Background(), dir); !errors.Is(err, ErrNoGit) {
		t.Fatalf("empty dir: err = %v, want ErrNoGit", err)
	}
	run("init", "-q", "-b", "main")
	run("remote", "add", "origin", "git@github.com:acme/app.git")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644)
	run("add", "a.txt")
	run("commit", "-q", "-m", "one")
	src, err := GitSource(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if src.URI != "git+https://github.com/acme/app.git@refs/heads/main" || len(src.Digest["gitCommit"]) != 40 || src.Annotations["dirty"] != false {
		t.Errorf("clean checkout: %+v", src)
	}
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o644)
	if src, _ = GitSource(context.Background(), dir); src.Annotations["dirty"] != true {
		t.Errorf("untracked file not seen as dirty: %+v", src)
	}
	os.Remove(filepath.Join(dir, "b.txt"))
	run("tag", "v1.0.0")
	run("checkout", "-q", "--detach", "v1.0.0")
	if src, _ = GitSource(context.Background(), dir); !strings.HasSuffix(src.URI, "@refs/tags/v1.0.0") {
		t.Errorf("detached at a tag: %+v", src)
	}
}
