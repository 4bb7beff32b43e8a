package license

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
)

// Seed corpora: the testdata files below, plus testdata/fuzz/<FuzzName>/.

func FuzzNormalize(f *testing.F) {
	for _, a := range aliases {
		f.Add(a.alias)
	}
	for _, s := range []string{
		"MIT", "(MIT OR Apache-2.0)", "mit and (bsd-3-clause or gpl-2.0+)", "GPL-2.0-only WITH Classpath-exception-2.0",
		"LicenseRef-x", "DocumentRef-a:LicenseRef-b", "GPLv2+", "GNU General Public License v2 or later (GPLv2+)",
		"Apache License, Version 2.0", "https://opensource.org/licenses/MIT", "BSD", "((MIT))", "MIT AND perl_5",
		"GPL-2.0-with-classpath-exception", "Apache-2.0+", "CC BY-SA 4.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expr, ok := Normalize(s)
		if !ok {
			if expr != s {
				t.Fatalf("Normalize(%q) = %q, false; want the input back", s, expr)
			}
			return
		}
		if v, bad := spdxexp.ValidateLicenses([]string{expr}); !v {
			t.Fatalf("Normalize(%q) = %q, which go-spdx rejects: %v", s, expr, bad)
		}
		if again, ok := Normalize(expr); !ok || again != expr {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", s, expr, expr, again, ok)
		}
	})
}

func FuzzFromPackageJSON(f *testing.F) {
	addSeedFiles(f, "npm")
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, FromPackageJSON, data) })
}

func FuzzFromPythonMetadata(f *testing.F) {
	addSeedFiles(f, "python")
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, FromPythonMetadata, data) })
}

func FuzzFromDebianCopyright(f *testing.F) {
	addSeedFiles(f, "debian")
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, FromDebianCopyright, data) })
}

func FuzzFromPOM(f *testing.F) {
	addSeedFiles(f, "maven")
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, FromPOM, data) })
}

func addSeedFiles(f *testing.F, dir string) {
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkReader asserts what every reader promises: no panic, and on success declarations that
// are non-empty, trimmed, valid UTF-8 and distinct, each safe to Normalize.
func checkReader(t *testing.T, read func(io.Reader) ([]string, error), data []byte) {
	got, err := read(bytes.NewReader(data))
	if err != nil {
		return
	}
	seen := make(map[string]bool)
	for _, s := range got {
		if s == "" || s != strings.TrimSpace(s) || !utf8.ValidString(s) || seen[s] {
			t.Fatalf("bad declaration %q in %q", s, got)
		}
		seen[s] = true
		if expr, ok := Normalize(s); ok {
			if again, ok := Normalize(expr); !ok || again != expr {
				t.Fatalf("Normalize(%q) = %q is not a fixed point (%q, %v)", s, expr, again, ok)
			}
		}
	}
}
