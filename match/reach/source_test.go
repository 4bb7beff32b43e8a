package reach

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// modCache is a module cache with two small modules: example.com/wrap wraps example.com/Vuln
// (an upper-case path, stored escaped as !vuln), which has a vulnerable function Bad, a
// vulnerable method T.Close and a Windows-only file.
var modCache = fstest.MapFS{
	"example.com/wrap@v1.0.0/go.mod": file("module example.com/wrap\n"),
	"example.com/wrap@v1.0.0/wrap.go": file(`package wrap

import v "example.com/Vuln/sub"

// Safe uses only Good.
func Safe() int { return v.Good() }

// Unsafe calls Bad.
func Unsafe() int { return v.Bad() }

type closer interface{ Close() error }

// Done closes through an interface: the method is reached by name.
func Done(c closer) error { return c.Close() }

func New() closer { return v.New() }
`),
	"example.com/!vuln@v1.2.3/go.mod": file("module example.com/Vuln\n"),
	"example.com/!vuln@v1.2.3/sub/sub.go": file(`package sub

func Good() int { return helper() }
func helper() int { return 1 }
func Bad() int { return 2 }
type T struct{}
func (*T) Close() error { return nil }
func New() *T { return &T{} }
`),
	"example.com/!vuln@v1.2.3/sub/sub_windows.go": file(`package sub

import "example.com/Vuln/win"

func init() { win.Hook() }
`),
	"example.com/!vuln@v1.2.3/win/win.go":      file("package win\n\nfunc Hook() {}\n"),
	"example.com/!vuln@v1.2.3/sub/sub_test.go": file("package sub\n\nimport \"example.com/Vuln/win\"\n\nvar _ = win.Hook\n"),
}

func mainModule(mainGo string) fstest.MapFS {
	return fstest.MapFS{
		"go.mod":  file("module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/wrap v1.0.0\n\texample.com/Vuln v1.2.3\n)\n"),
		"main.go": file(mainGo),
		// Not part of the build: test files and testdata.
		"main_test.go":       file("package main\n\nimport \"example.com/wrap\"\n\nvar _ = wrap.Unsafe\n"),
		"testdata/x/x.go":    file("package x\n\nimport \"example.com/wrap\"\n\nvar _ = wrap.Unsafe\n"),
		"internal/util/u.go": file("package util\n\nfunc Twice(n int) int { return 2 * n }\n"),
		"nested/go.mod":      file("module example.com/nested\n"),
		"nested/n.go":        file("package nested\n\nimport \"example.com/wrap\"\n\nvar _ = wrap.Unsafe\n"),
	}
}

func TestSourceSynthetic(t *testing.T) {
	bad := []vulndb.Import{{Path: "example.com/Vuln/sub", Symbols: []string{"Bad"}}}
	closeSym := []vulndb.Import{{Path: "example.com/Vuln/sub", Symbols: []string{"T.Close"}}}
	win := []vulndb.Import{{Path: "example.com/Vuln/win"}}
	type result struct {
		Level match.Reachability
		Used  []string
	}
	for _, c := range []struct {
		name   string
		main   string
		goos   string
		cache  fstest.MapFS
		query  []vulndb.Import
		want   result
		reason string // expected in Symbols.Reason; "" means not partial
	}{
		{name: "called-through-wrapper", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Unsafe() }\n",
			cache: modCache, query: bad, want: result{match.ReachCalled, []string{"example.com/Vuln/sub.Bad"}}},
		{name: "imported-not-called", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Safe() }\n",
			cache: modCache, query: bad, want: result{Level: match.ReachImported}},
		{name: "method-through-interface", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Done(wrap.New()) }\n",
			cache: modCache, query: closeSym, want: result{match.ReachCalled, []string{"example.com/Vuln/sub.T.Close"}}},
		{name: "method-not-selected", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Safe() }\n",
			cache: modCache, query: closeSym, want: result{Level: match.ReachImported}},
		{name: "not-imported", main: "package main\n\nimport \"example.com/app/internal/util\"\n\nfunc main() { util.Twice(1) }\n",
			cache: modCache, query: bad, want: result{Level: match.ReachNotImported}},
		{name: "platform-file-excluded", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Safe() }\n",
			goos: "linux", cache: modCache, query: win, want: result{Level: match.ReachNotImported}},
		{name: "platform-file-included", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Safe() }\n",
			goos: "windows", cache: modCache, query: win, want: result{Level: match.ReachCalled}},
		{name: "direct-call-without-cache", main: "package main\n\nimport \"example.com/Vuln/sub\"\n\nfunc main() { sub.Bad() }\n",
			cache: fstest.MapFS{}, query: bad, want: result{match.ReachCalled, []string{"example.com/Vuln/sub.Bad"}},
			reason: "module cache lacks example.com/Vuln@v1.2.3"},
		{name: "transitive-unseen-without-cache", main: "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Unsafe() }\n",
			cache: fstest.MapFS{}, query: bad, want: result{Level: match.ReachNotImported},
			reason: "module cache lacks example.com/wrap@v1.0.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := mainModule(c.main)
			s, err := Source(context.Background(), fsys, SourceOptions{ModCache: c.cache, GOROOT: fstest.MapFS{}, GOOS: c.goos, GOARCH: "amd64"})
			if err != nil {
				t.Fatal(err)
			}
			if c.reason == "" && s.Partial || c.reason != "" && !strings.Contains(s.Reason, c.reason) {
				t.Errorf("partial = %v (%q), want reason containing %q", s.Partial, s.Reason, c.reason)
			}
			var got result
			got.Level, got.Used = s.Reach(c.query)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Reach (-want +got):\n%s", diff)
			}
			for _, p := range []string{"example.com/nested", "example.com/app/testdata/x"} {
				if _, ok := s.pkgs[p]; ok {
					t.Errorf("%s analysed; nested modules and testdata are not part of the module", p)
				}
			}
		})
	}
}

func TestSourceBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		fsys fstest.MapFS
		msg  string
	}{
		{"no-go-mod", fstest.MapFS{"main.go": file("package main\n")}, "go.mod"},
		{"bad-go-mod", fstest.MapFS{"go.mod": file("module\n"), "main.go": file("package main\n")}, "go.mod:1"},
		{"no-packages", fstest.MapFS{"go.mod": file("module example.com/a\n")}, "no Go packages"},
		{"syntax-error", fstest.MapFS{"go.mod": file("module example.com/a\n"), "cmd/a/main.go": file("package main\n\nfunc main() {\n")}, "cmd/a/main.go"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Source(context.Background(), c.fsys, SourceOptions{ModCache: fstest.MapFS{}, GOROOT: fstest.MapFS{}})
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want one naming %q", err, c.msg)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Source(ctx, mainModule("package main\n"), SourceOptions{ModCache: modCache, GOROOT: fstest.MapFS{}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// xtextCache returns a module cache holding golang.org/x/text v0.3.7, or skips.
func xtextCache(t *testing.T) string {
	dir := defaultModCache()
	if _, err := os.Stat(filepath.Join(dir, "golang.org", "x", "text@v0.3.7", "language")); err != nil {
		t.Skipf("module cache %q lacks golang.org/x/text@v0.3.7 (run `go mod download` in testdata/accept to enable)", dir)
	}
	return dir
}

// TestSourceFixtures analyses the fixture programs' sources with the standard library and
// x/text sources: the same expectations as their binaries (see TestBinaryFixtures).
func TestSourceFixtures(t *testing.T) {
	cache := xtextCache(t)
	lang := osvRecord(t, "GO-2022-1059").Affected[0].Imports
	norm := osvRecord(t, "GO-2026-5970").Affected[0].Imports
	for _, c := range []struct {
		prog       string
		lang, norm match.Reachability
	}{
		{"accept", match.ReachCalled, match.ReachNotImported},
		{"tagonly", match.ReachImported, match.ReachNotImported},
	} {
		t.Run(c.prog, func(t *testing.T) {
			s, err := Source(context.Background(), os.DirFS(filepath.Join("testdata", c.prog)), SourceOptions{ModCache: os.DirFS(cache), GOOS: "linux", GOARCH: "amd64"})
			if err != nil {
				t.Fatal(err)
			}
			if s.Partial {
				t.Errorf("partial: %s", s.Reason)
			}
			if got, _ := s.Reach(lang); got != c.lang {
				t.Errorf("GO-2022-1059 = %q, want %q", got, c.lang)
			}
			if got, _ := s.Reach(norm); got != c.norm {
				t.Errorf("GO-2026-5970 = %q, want %q", got, c.norm)
			}
		})
	}
}

// TestSourceFixturesWithoutCache: with no module cache only the main module is read. The
// direct call is still seen; x/text's own code is not, which the result says.
func TestSourceFixturesWithoutCache(t *testing.T) {
	lang := osvRecord(t, "GO-2022-1059").Affected[0].Imports
	for _, c := range []struct {
		prog string
		want match.Reachability
	}{
		{"accept", match.ReachCalled},
		{"tagonly", match.ReachImported},
	} {
		t.Run(c.prog, func(t *testing.T) {
			s, err := Source(context.Background(), os.DirFS(filepath.Join("testdata", c.prog)), SourceOptions{ModCache: fstest.MapFS{}, GOROOT: fstest.MapFS{}})
			if err != nil {
				t.Fatal(err)
			}
			if !s.Partial || !strings.Contains(s.Reason, "golang.org/x/text@v0.3.7") {
				t.Errorf("partial = %v, reason %q; want one naming golang.org/x/text@v0.3.7", s.Partial, s.Reason)
			}
			if got, _ := s.Reach(lang); got != c.want {
				t.Errorf("GO-2022-1059 = %q, want %q", got, c.want)
			}
		})
	}
}
