package npmlock

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/extractor"
)

// FuzzExtract holds this package to osv-scalibr's extractor on arbitrary input: never a panic;
// an error (naming the file, matching ErrMalformed) exactly when osv-scalibr fails or panics;
// otherwise the same packages. Where osv-scalibr merged several copies of a package, the
// fields it took from a copy chosen by Go's map order (line, repository, and the version of a
// package pinned to a commit) are left out of the comparison.
func FuzzExtract(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	more, _ := filepath.Glob(filepath.Join("..", "deps", "testdata", "npm", "*.json"))
	for _, p := range append(seeds, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"packages": {}}`, `{"packages": null, "dependencies": {"a": {}}}`,
		`{"dependencies": {"a": {"version": "npm:b"}}}`,
		`{"packages": {"node_modules/a": {"version": "1", "resolved": "git+ssh://h/a.git#abc"}, "node_modules/b/node_modules/a": {"version": "2", "resolved": "git+ssh://g/a.git#abc"}}}`,
		`{"Packages": {"node_modules/a": {"version": "1"}}, "packages": {"node_modules/a": {"version": "2"}}}`,
		`{"packages": {"node_modules/a\\u002e": {"version": "1", "peerDependenciesMeta": {"x": {"optional": 1}}}}}`,
	} {
		f.Add([]byte(s))
	}
	ours, theirs := newExtractors(f)
	l := lockfile{dir: f.TempDir(), base: "package-lock.json"}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := run(ours, l, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "package-lock.json: ") || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q: does not name the file or match ErrMalformed", err)
			}
		}
		want, wantErr := run(theirs, l, data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error: got %v, osv-scalibr %v", err, wantErr)
		}
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte{'\n'}) + 1
		for _, p := range got {
			if n := p.Location.Descriptor.File.LineNumber; n < 0 || n > lines {
				t.Fatalf("%s: line %d of %d", p.Name, n, lines)
			}
		}
		if len(want) < entries(data) {
			// Copies were merged: the fields osv-scalibr took from a random copy do not count.
			for _, ps := range [][]*extractor.Package{want, got} {
				for _, p := range ps {
					p.Location.Descriptor.File.LineNumber = 0
					p.SourceCode.Repo = ""
					if p.SourceCode.Commit != "" {
						p.Version = ""
					}
				}
			}
		} else if !plainKeys(data) {
			// osv-scalibr's path query compares keys as written (no escapes decoded the way
			// encoding/json decodes them, invalid UTF-8 kept): lines are not compared.
			for _, ps := range [][]*extractor.Package{want, got} {
				for _, p := range ps {
					p.Location.Descriptor.File.LineNumber = 0
				}
			}
		}
		sortPackages(want)
		sortPackages(got)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("packages differ from osv-scalibr's (-scalibr +ours):\n%s", diff)
		}
	})
}

// plainKeys reports input whose strings hold no escapes and are valid UTF-8.
func plainKeys(data []byte) bool {
	return !bytes.Contains(data, []byte{'\\'}) && utf8.Valid(data)
}

// entries counts the entries osv-scalibr turns into packages before merging: version 2 and 3
// "packages" other than the root and links, or every node of version 1 "dependencies" trees.
func entries(data []byte) int {
	type dep struct {
		Dependencies map[string]*json.RawMessage `json:"dependencies"`
	}
	var lock struct {
		Dependencies map[string]*json.RawMessage `json:"dependencies"`
		Packages     map[string]struct {
			Link bool `json:"link"`
		} `json:"packages"`
	}
	if json.Unmarshal(data, &lock) != nil {
		return -1
	}
	if lock.Packages != nil {
		n := 0
		for k, p := range lock.Packages {
			if k != "" && !p.Link {
				n++
			}
		}
		return n
	}
	var count func(map[string]*json.RawMessage) int
	count = func(m map[string]*json.RawMessage) int {
		n := len(m)
		for _, raw := range m {
			var d dep
			if raw != nil && json.Unmarshal(*raw, &d) == nil {
				n += count(d.Dependencies)
			}
		}
		return n
	}
	return count(lock.Dependencies)
}
