package npmlock

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibrfs "github.com/google/osv-scalibr/fs"
)

type fileAPI struct {
	path string
	size int64
	err  error
}

func (a fileAPI) Path() string { return a.path }
func (a fileAPI) Stat() (fs.FileInfo, error) {
	if a.err != nil {
		return nil, a.err
	}
	return fakeInfo{size: a.size}, nil
}

type fakeInfo struct {
	fs.FileInfo
	size int64
}

func (i fakeInfo) Size() int64 { return i.size }

func TestFileRequired(t *testing.T) {
	ours, theirs := newExtractors(t)
	tests := []struct {
		name string
		api  fileAPI
		want bool
	}{
		{"lockfile", fileAPI{path: "package-lock.json"}, true},
		{"shrinkwrap", fileAPI{path: "app/npm-shrinkwrap.json"}, true},
		{"nested_project", fileAPI{path: "srv/app/package-lock.json"}, true},
		{"inside_node_modules", fileAPI{path: "app/node_modules/a/package-lock.json"}, false},
		{"node_modules_prefix_only", fileAPI{path: "app/node_modules2/package-lock.json"}, true},
		{"other_name", fileAPI{path: "app/package.json"}, false},
		{"suffix_only", fileAPI{path: "app/my-package-lock.json"}, false},
		{"stat_fails", fileAPI{path: "package-lock.json", err: fs.ErrPermission}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ours.FileRequired(tc.api); got != tc.want {
				t.Errorf("FileRequired(%q) = %v, want %v", tc.api.path, got, tc.want)
			}
			if got := theirs.FileRequired(tc.api); got != tc.want {
				t.Errorf("osv-scalibr's FileRequired(%q) = %v, want %v", tc.api.path, got, tc.want)
			}
		})
	}
}

func TestNameAndVersion(t *testing.T) {
	e, _ := newExtractors(t)
	if e.Name() != "javascript/package-lock" || e.Version() != 0 || e.Requirements() == nil {
		t.Errorf("Name, Version, Requirements = %q, %d, %v", e.Name(), e.Version(), e.Requirements())
	}
}

func TestErrors(t *testing.T) {
	lock := "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\"}\n  }\n}\n"
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "package-lock.json: unexpected end of JSON input"},
		{"truncated", lock[:40], "package-lock.json: unexpected end of JSON input"},
		{"not_json", "<html>\r\n</html>\r\n", "package-lock.json: invalid character '<' looking for beginning of value"},
		{"broken_later", strings.Replace(lock, `"1.0.0"}`, `"1.0.0",}`, 1), "package-lock.json: invalid character '}' looking for beginning of object key string (line 4)"},
		{"array", "[1, 2]", "package-lock.json: the file holds a JSON array, want an object (is it a package-lock.json?)"},
		{"string", `"package-lock"`, "package-lock.json: the file holds a JSON string, want an object (is it a package-lock.json?)"},
		{"null", "null", "package-lock.json: the file holds JSON null, want an object (is it a package-lock.json?)"},
		{"wrong_field_type", strings.Replace(lock, `"1.0.0"`, `1`, 1), `package-lock.json: line 4: "packages.version" is a JSON number, want a string`},
		{"wrong_version_type", `{"lockfileVersion": "3"}`, `package-lock.json: line 1: "lockfileVersion" is a JSON string, want an integer`},
		{"alias_without_version", `{"dependencies": {"a": {"version": "npm:b"}}}`, `package-lock.json: dependency "a": alias "npm:b" names no version`},
	}
	e, _ := newExtractors(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, err := run(e, lockfile{dir: t.TempDir(), base: "package-lock.json"}, []byte(tc.data))
			if err == nil {
				t.Fatalf("no error, %d packages", len(pkgs))
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not match ErrMalformed", err)
			}
			if len(pkgs) != 0 {
				t.Errorf("%d packages with the error", len(pkgs))
			}
		})
	}
}

// TestShrinkwrapWins: a package-lock.json next to an npm-shrinkwrap.json is not read.
func TestShrinkwrapWins(t *testing.T) {
	e, _ := newExtractors(t)
	data := []byte(`{"packages": {"node_modules/a": {"version": "1.0.0"}}}`)
	fsys := fstest.MapFS{"app/npm-shrinkwrap.json": {Data: data}, "app/package-lock.json": {Data: data}, "other/package-lock.json": {Data: data}}
	for p, want := range map[string]int{"app/package-lock.json": 0, "app/npm-shrinkwrap.json": 1, "other/package-lock.json": 1} {
		inv, err := e.Extract(context.Background(), &filesystem.ScanInput{FS: scalibrfs.DirFS("/nonexistent"), Path: p, Reader: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		inv2, err := e.Extract(context.Background(), &filesystem.ScanInput{FS: fsys, Path: p, Reader: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Packages) != 1 || len(inv2.Packages) != want {
			t.Errorf("%s: %d packages without a shrinkwrap beside it, %d with, want 1 and %d", p, len(inv.Packages), len(inv2.Packages), want)
		}
	}
}

// TestFirstCopyLine: a package installed at several paths gets the line of its first copy,
// whatever order Go's maps visit the copies in.
func TestFirstCopyLine(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "git-and-aliases.v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Name, Version string
		Line          int
		Groups        []string
	}
	want := []got{
		{"@scope/pinned", "2.0.0", 13, []string{"dev", "optional"}},
		{"a", "1.0.0", 18, []string{}},
	}
	for range 20 {
		pkgs, err := parse("package-lock.json", data)
		if err != nil {
			t.Fatal(err)
		}
		var g []got
		for _, p := range pkgs {
			if p.Name == "a" || p.Name == "@scope/pinned" {
				g = append(g, got{p.Name, p.Version, p.Location.Descriptor.File.LineNumber, p.Metadata.(interface{ DepGroups() []string }).DepGroups()})
			}
		}
		if diff := gocmp.Diff(want, g); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
}

func TestCancelled(t *testing.T) {
	e, _ := newExtractors(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	_, err := e.Extract(ctx, &filesystem.ScanInput{Path: "package-lock.json", Reader: strings.NewReader(`{}`)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
}
