package npmlock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	scalibrfs "github.com/google/osv-scalibr/fs"
	"github.com/tidwall/gjson"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// osv-scalibr's extractor, which this package replaces, is the reference: these tests run
// both over every package-lock.json in the repository's test data, this package's own cases
// and osv-scalibr's own test data, and require the same packages field by field.

// lockfile is one input: a file in a directory (the directory matters for the
// npm-shrinkwrap.json next to a package-lock.json).
type lockfile struct{ label, dir, base string }

func (l lockfile) String() string { return filepath.Join(l.dir, l.base) }

// lockfiles lists the inputs: the repository's lockfiles (testdata/, inventory/deps), this
// package's testdata and, when the Go tool can find it, osv-scalibr's own test data.
func lockfiles(t *testing.T) []lockfile {
	t.Helper()
	var out []lockfile
	add := func(label, root string, want func(p string) bool) {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && want(p) {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				out = append(out, lockfile{label: label + "/" + filepath.ToSlash(rel), dir: filepath.Dir(p), base: filepath.Base(p)})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("listing lockfiles: %v", err)
		}
	}
	isLock := func(p string) bool {
		b := filepath.Base(p)
		return (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !strings.Contains(p, "node_modules")
	}
	add("testdata", filepath.Join("..", "..", "testdata"), isLock)
	add("deps", filepath.Join("..", "deps", "testdata", "npm"), func(p string) bool { return strings.HasSuffix(p, ".json") })
	add("npmlock", "testdata", func(p string) bool { return strings.HasSuffix(p, ".json") })
	if len(out) < 15 {
		t.Fatalf("found only %d lockfiles; is the repository's testdata missing?", len(out))
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/google/osv-scalibr").Output()
	if err != nil {
		t.Logf("osv-scalibr's own test data not used: go list: %v", err)
		return out
	}
	add("scalibr", filepath.Join(strings.TrimSpace(string(dir)), "extractor", "filesystem", "language", "javascript", "packagelockjson", "testdata"),
		func(string) bool { return true })
	return out
}

// run extracts one file, turning a panic into an error.
func run(e filesystem.Extractor, l lockfile, data []byte) (pkgs []*extractor.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{
		FS: scalibrfs.DirFS(l.dir), Path: l.base, Root: l.dir, Reader: bytes.NewReader(data),
	})
	return inv.Packages, err
}

func newExtractors(t testing.TB) (ours, theirs filesystem.Extractor) {
	t.Helper()
	ours, err := New(&cpb.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err = packagelockjson.New(&cpb.PluginConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return ours, theirs
}

// sortPackages orders packages by everything that tells them apart (a version 1 alias and
// the package it names can be two packages of one name and version).
func sortPackages(ps []*extractor.Package) {
	slices.SortFunc(ps, func(a, b *extractor.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.SourceCode.Commit, b.SourceCode.Commit),
			cmp.Compare(a.Location.Descriptor.File.LineNumber, b.Location.Descriptor.File.LineNumber),
			cmp.Compare(fmt.Sprint(a.Metadata, a.SourceCode.Repo), fmt.Sprint(b.Metadata, b.SourceCode.Repo)))
	})
}

func TestMatchesScalibr(t *testing.T) {
	ours, theirs := newExtractors(t)
	for _, l := range lockfiles(t) {
		t.Run(l.label, func(t *testing.T) {
			data, err := os.ReadFile(l.String())
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := run(theirs, l, data)
			got, gotErr := run(ours, l, data)
			if (gotErr != nil) != (wantErr != nil) {
				t.Fatalf("error: got %v, osv-scalibr %v", gotErr, wantErr)
			}
			if gotErr != nil {
				if !strings.HasPrefix(gotErr.Error(), l.base+": ") {
					t.Errorf("error %q does not name the file", gotErr)
				}
				return
			}
			firstLines(t, data, want)
			sortPackages(want)
			sortPackages(got)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("packages differ from osv-scalibr's (-scalibr +ours):\n%s", diff)
			}
		})
	}
}

// copyOf is one entry of a lockfile: the package it stands for (merge key), and its line as
// osv-scalibr's path query finds it.
type copyOf struct {
	key, ident string
	line       int
}

// firstLines replaces the line of each of osv-scalibr's packages with the line of the package's
// first copy in the file. osv-scalibr reports the line of whichever copy Go's map order
// visited last; this package reports the first. The copies and their lines are found
// independently of this package: each entry is run alone through osv-scalibr's extractor (to
// learn which package it is) and its line is found with the same gjson path query osv-scalibr
// uses.
func firstLines(t *testing.T, data []byte, pkgs []*extractor.Package) {
	t.Helper()
	copies := entryCopies(t, data)
	first := map[string]int{}
	for _, c := range copies {
		if l, ok := first[c.key]; !ok || c.line < l {
			first[c.key] = c.line
		}
	}
	for _, p := range pkgs {
		f := p.Location.Descriptor.File
		keys := map[string]bool{}
		for _, c := range copies {
			if c.line == f.LineNumber && c.ident == identity(p) {
				keys[c.key] = true
			}
		}
		lines := map[int]bool{}
		for k := range keys {
			lines[first[k]] = true
		}
		if len(lines) != 1 {
			t.Fatalf("osv-scalibr's %s@%s on line %d: found %d copies on that line with different first lines", p.Name, p.Version, f.LineNumber, len(keys))
		}
		for l := range lines {
			f.LineNumber = l
		}
	}
}

func identity(p *extractor.Package) string {
	return p.Name + "\x00" + p.Version + "\x00" + p.SourceCode.Commit + "\x00" + p.PURLType
}

// entryCopies lists the entries of a lockfile (version 2 or 3 "packages", else version 1
// "dependencies" trees).
func entryCopies(t *testing.T, data []byte) []copyOf {
	t.Helper()
	_, theirs := newExtractors(t)
	var top struct {
		Packages     map[string]json.RawMessage `json:"packages"`
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	alone := func(doc any) *extractor.Package {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := run(theirs, lockfile{dir: t.TempDir(), base: "package-lock.json"}, b)
		if err != nil || len(ps) > 1 {
			t.Fatalf("osv-scalibr on one entry %s: %d packages, %v", b, len(ps), err)
		}
		if len(ps) == 0 {
			return nil
		}
		return ps[0]
	}
	lineOf := func(path string) int {
		r := gjson.GetBytes(data, path)
		if !r.Exists() {
			return 0
		}
		return bytes.Count(data[:r.Index], []byte{'\n'}) + 1
	}
	var out []copyOf
	if top.Packages != nil {
		for k, raw := range top.Packages {
			p := alone(map[string]any{"lockfileVersion": 3, "packages": map[string]json.RawMessage{k: raw}})
			if p == nil {
				continue
			}
			// Copies are one package when name and version, or name and commit, agree.
			v := p.Version
			if p.SourceCode.Commit != "" {
				v = p.SourceCode.Commit
			}
			out = append(out, copyOf{key: p.Name + "@" + v, ident: identity(p), line: lineOf("packages." + gjson.Escape(k))})
		}
		return out
	}
	var walk func(deps map[string]json.RawMessage, at string)
	walk = func(deps map[string]json.RawMessage, at string) {
		for name, raw := range deps {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil {
				t.Fatal(err)
			}
			path := at + "." + gjson.Escape(name)
			if nested, ok := fields["dependencies"]; ok {
				var deps map[string]json.RawMessage
				if err := json.Unmarshal(nested, &deps); err != nil {
					t.Fatal(err)
				}
				walk(deps, path+".dependencies")
				delete(fields, "dependencies")
			}
			p := alone(map[string]any{"lockfileVersion": 1, "dependencies": map[string]any{name: fields}})
			// Version 1 merges by the version as written ("npm:real@1.0.0" for an alias),
			// or by the commit.
			var v struct{ Version string }
			json.Unmarshal(raw, &v)
			key := v.Version
			if p.SourceCode.Commit != "" {
				key = p.SourceCode.Commit
			}
			out = append(out, copyOf{key: p.Name + "@" + key, ident: identity(p), line: lineOf(path)})
		}
	}
	walk(top.Dependencies, "dependencies")
	return out
}
