package vulndb

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testNow is the build time of every test database.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// writeZip writes files (name → content) into a zip at path, in name order.
func writeZip(t testing.TB, path string, files map[string][]byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// readDir returns the files of a testdata directory by base name.
func readDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// testZip zips testdata/osv, plus testdata/malformed when withBad.
func testZip(t testing.TB, dir string, withBad bool) string {
	files := readDir(t, "testdata/osv")
	if withBad {
		for n, b := range readDir(t, "testdata/malformed") {
			files[n] = b
		}
	}
	return writeZip(t, filepath.Join(dir, "test", "all.zip"), files)
}

func mustBuild(t testing.TB, dir string, inputs []Input, opts BuildOptions) *Meta {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	m, err := Build(context.Background(), dir, inputs, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return m
}

func mustOpen(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ids(t testing.TB, db *DB, eco, name string) []string {
	t.Helper()
	as, err := db.Lookup(eco, name)
	if err != nil {
		t.Fatalf("Lookup(%q, %q): %v", eco, name, err)
	}
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func sourceNames(m Meta) []string {
	var out []string
	for _, s := range m.Sources {
		out = append(out, s.Name)
	}
	return out
}

func tmpFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".index-*"))
	var out []string
	for _, p := range m {
		if strings.HasSuffix(p, ".tmp") {
			out = append(out, p)
		}
	}
	return out
}
