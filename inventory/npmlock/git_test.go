package npmlock

import (
	"encoding/json"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/metadata"
)

var commitCases = []struct{ name, in, want string }{
	{"registry", "https://registry.npmjs.org/a/-/a-1.0.0.tgz", ""},
	{"git_ssh", "git+ssh://git@github.com/o/r.git#0a2d2506c1fe299691fc5db53a2097db3bd615bc", "0a2d2506c1fe299691fc5db53a2097db3bd615bc"},
	{"git_protocol", "git://example.com/r#abc", "abc"},
	{"ssh_after_alias", "alias@ssh://host/r#abc", "abc"},
	{"scheme_without_path", "git://#abc", ""},
	{"scheme_on_other_line", "git://\n#abc", ""},
	{"https_dot_git", "https://example.com/o/r.git#abc_1", "abc_1"},
	{"https_without_dot_git_elsewhere", "https://example.com/o/r#abc", ""},
	{"fragment_not_a_word", "git+ssh://h/r.git#v1.0", ""},
	{"codeload", "https://codeload.github.com/o/r/tar.gz/5c9b1e6", "5c9b1e6"},
	{"codeload_last_marker", "https://codeload.github.com/o/tar.gz/x/tar.gz/def.tgz", "def"},
	{"codeload_embedded", "npm:x@https://codeload.github.com/o/r/tar.gz/abc", "abc"},
	{"codeload_no_owner", "https://codeload.github.com/tar.gz/abc", ""},
	{"gitlab_archive", "https://gitlab.com/g/s/r/-/archive/deadbeef/r-deadbeef.tar.gz", "deadbeef"},
	{"commit_param", "https://github.com/o/r.git#commit:3ed06e5", "3ed06e5"},
	{"commit_param_amp", "https://example.com/r?x=1&commit=3ed06e5", "3ed06e5"},
	{"commit_param_alone", "#commit:3ed06e5", ""},
	{"shorthand", "github:o/r#527e8ce", "527e8ce"},
	{"shorthand_bitbucket", "bitbucket:o/r#feed", "feed"},
	{"shorthand_empty_repo", "gitlab:#feed", ""},
	{"hosted_fragment", "https://github.com/o/r#v1.2.3", "v1.2.3"},
	{"hosted_ref_query", "https://bitbucket.org/o/r/get/v1.tar.gz?ref=abc123", "abc123"},
	{"hosted_query_without_ref", "https://gitlab.com/o/r?x=1#frag", ""},
	{"other_host", "https://example.com/o/r#frag", ""},
	{"empty", "", ""},
}

func TestCommitOf(t *testing.T) {
	for _, tc := range commitCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := commitOf(tc.in); got != tc.want {
				t.Errorf("commitOf(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var repoCases = []struct{ name, in, want string }{
	{"scp", "git+ssh://git@github.com:o/r.git#abc", "https://github.com/o/r"},
	{"ssh_url", "git+ssh://git@github.com/o/r.git#abc", "https://github.com/o/r"},
	{"https_user", "git+https://token@github.com/o/r.git#abc", "https://github.com/o/r"},
	{"shorthand", "github:o/r#abc", "https://github.com/o/r"},
	{"shorthand_query", "gitlab:g/r.git?x#abc", "https://gitlab.com/g/r"},
	{"yarn_berry", "pkg@https://github.com/o/r.git#commit=abc", "https://github.com/o/r"},
	{"codeload", "https://codeload.github.com/o/r/tar.gz/abc", "https://github.com/o/r"},
	{"gitlab_archive", "https://gitlab.com/g/s/r/-/archive/abc/r.tar.gz", "https://gitlab.com/g/s/r"},
	{"gitlab_repository_archive", "http://gitlab.com/g/r/repository/archive.tar.gz?ref=abc", "https://gitlab.com/g/r"},
	{"scp_plain", "git@host:o/r", "https://host/o/r"},
	{"bare_host", "example.com", ""},
	{"fragment_only", "#abc", ""},
	{"empty", "", ""},
}

func TestRepoOf(t *testing.T) {
	for _, tc := range repoCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := repoOf(tc.in); got != tc.want {
				t.Errorf("repoOf(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSourceOf(t *testing.T) {
	tests := []struct {
		name, resolved, commit string
		want                   metadata.NPMPackageSource
	}{
		{"registry", "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "", metadata.PublicRegistry},
		{"private_registry", "https://registry.example.com/a-1.0.0.tgz", "", metadata.Other},
		{"git", "git+ssh://git@github.com/o/r.git", "", metadata.Other},
		{"commit", "", "abc", metadata.Other},
		{"file", "file:../a.tgz", "", metadata.Local},
		{"directory", "packages/a", "", metadata.Local},
		{"nothing", "", "", metadata.Local},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sourceOf(tc.resolved, tc.commit); got != tc.want {
				t.Errorf("sourceOf(%q, %q) = %q, want %q", tc.resolved, tc.commit, got, tc.want)
			}
		})
	}
}

// FuzzGitSpec holds commit, repository and source detection to osv-scalibr's, through both
// extractors: the string is the "resolved" or the "version" of a version 3 or version 1 entry.
func FuzzGitSpec(f *testing.F) {
	for _, s := range []string{
		"git+ssh://git@github.com:G-Rath/npm-git-repo-2#0a2d2506c1fe299691fc5db53a2097db3bd615bc",
		"https://codeload.github.com/o/r/tar.gz/5c9b1e6", "https://gitlab.com/g/r/-/archive/abc/r.tar.gz",
		"https://github.com/o/r.git#commit:3ed06e5", "github:o/r#527e8ce", "https://bitbucket.org/o/r?ref=x",
		"pkg@git+https://gitlab.com/g/r.git#abc", "ssh://host:o/r#abc", "https://registry.npmjs.org/a/-/a-1.tgz",
		"file:../x", "npm:a@git://h/r#c",
	} {
		f.Add(s)
	}
	// The expectations of TestCommitOf and TestRepoOf are osv-scalibr's too.
	for _, tc := range commitCases {
		f.Add(tc.in)
	}
	for _, tc := range repoCases {
		f.Add(tc.in)
	}
	ours, theirs := newExtractors(f)
	l := lockfile{dir: f.TempDir(), base: "package-lock.json"}
	f.Fuzz(func(t *testing.T, s string) {
		docs := []any{
			map[string]any{"lockfileVersion": 3, "packages": map[string]any{"node_modules/a": map[string]string{"version": "1.0.0", "resolved": s}}},
			map[string]any{"lockfileVersion": 3, "packages": map[string]any{"node_modules/a": map[string]string{"version": s}}},
			map[string]any{"lockfileVersion": 1, "dependencies": map[string]any{"a": map[string]string{"version": s}}},
			map[string]any{"lockfileVersion": 1, "dependencies": map[string]any{"a": map[string]string{"version": "1.0.0", "resolved": s}}},
			// A commit found elsewhere makes the repository of s count even when s pins none.
			map[string]any{"lockfileVersion": 3, "packages": map[string]any{"node_modules/a": map[string]string{"version": "github:o/r#abc", "resolved": s}}},
			map[string]any{"lockfileVersion": 1, "dependencies": map[string]any{"a": map[string]string{"version": s, "resolved": "github:o/r#abc"}}},
		}
		for _, doc := range docs {
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := run(theirs, l, data)
			got, err := run(ours, l, data)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%s: error: got %v, osv-scalibr %v", data, err, wantErr)
			}
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: packages differ from osv-scalibr's (-scalibr +ours):\n%s", data, diff)
			}
		}
	})
}
