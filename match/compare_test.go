package match

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorEcosystems maps each osv-scalibr semantic fixture file to the OSV
// ecosystems whose ordering it describes. The upstream test
// (semantic/compare_test.go, TestVersion_Compare_Ecosystems) pairs each file
// with one or more ecosystems; we add the ecosystems that share an algorithm
// with one listed there (Ubuntu uses dpkg ordering like Debian; Rocky Linux
// and AlmaLinux use rpmvercmp like Red Hat) so that our mapping of those
// names is covered too.
var vectorEcosystems = map[string][]string{
	"alpine-versions.txt":              {"Alpine"},
	"alpine-versions-generated.txt":    {"Alpine"},
	"cran-versions.txt":                {"CRAN"},
	"cran-versions-generated.txt":      {"CRAN"},
	"debian-versions.txt":              {"Debian", "Ubuntu"},
	"debian-versions-generated.txt":    {"Debian"},
	"hackage-versions.txt":             {"Hackage"},
	"maven-versions.txt":               {"Maven"},
	"maven-versions-generated.txt":     {"Maven"},
	"nuget-versions.txt":               {"NuGet"},
	"packagist-versions.txt":           {"Packagist"},
	"packagist-versions-generated.txt": {"Packagist"},
	"pub-versions.txt":                 {"Pub"},
	"pypi-versions.txt":                {"PyPI"},
	"pypi-versions-generated.txt":      {"PyPI"},
	"redhat-versions.txt":              {"Red Hat", "Rocky Linux", "AlmaLinux"},
	"rubygems-versions.txt":            {"RubyGems"},
	"rubygems-versions-generated.txt":  {"RubyGems"},
	"semver-versions.txt":              {"npm", "crates.io", "Go", "Hex"},
}

// knownFailure identifies one vector that osv-scalibr's semantic package
// (v0.5.3) gets wrong. Each entry must say why; TestCompareVectors fails if
// an entry no longer fails, so the table cannot go stale silently.
type knownFailure struct {
	file string
	line int
}

var knownFailures = map[knownFailure]string{}

// vector is one line of a fixture file: a op b, with op one of <, =, >.
type vector struct {
	line int
	a, b string
	want int
}

// readVectors reads a fixture in the upstream format: one "a op b" per line,
// split on single spaces; empty lines and lines starting with "# " or "// "
// are skipped.
func readVectors(path string) ([]vector, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "// ") {
			continue
		}
		p := strings.Split(line, " ")
		if len(p) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"a op b\", got %q", path, n, line)
		}
		want, ok := map[string]int{"<": -1, "=": 0, ">": 1}[p[1]]
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown operator %q", path, n, p[1])
		}
		vs = append(vs, vector{line: n, a: p[0], b: p[2], want: want})
	}
	return vs, sc.Err()
}

var opWord = map[int]string{-1: "<", 0: "=", 1: ">"}

// checkFile runs every vector of one fixture file against Compare for each of
// the file's ecosystems, in both directions.
func checkFile(t *testing.T, dir, file string) {
	t.Helper()
	ecosystems, ok := vectorEcosystems[file]
	if !ok {
		t.Errorf("%s: no ecosystem mapping; add it to vectorEcosystems", file)
		return
	}
	vs, err := readVectors(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", file)
	}
	for _, eco := range ecosystems {
		t.Run(strings.TrimSuffix(file, ".txt")+"/"+strings.ReplaceAll(eco, " ", "_"), func(t *testing.T) {
			passed, known := 0, 0
			for _, v := range vs {
				reason, isKnown := knownFailures[knownFailure{file, v.line}]
				problem := checkVector(eco, v)
				switch {
				case problem == "" && isKnown:
					t.Errorf("line %d: %s %s %s now passes; remove it from knownFailures (%s)", v.line, v.a, opWord[v.want], v.b, reason)
				case problem == "":
					passed++
				case isKnown:
					known++
				default:
					t.Errorf("line %d: %s", v.line, problem)
				}
			}
			t.Logf("%s: %d of %d vectors pass (%d known failures)", eco, passed, len(vs), known)
		})
	}
}

// checkVector returns "" if Compare agrees with v in both directions, and a
// description of the disagreement otherwise.
func checkVector(eco string, v vector) string {
	got, err := Compare(eco, v.a, v.b)
	if err != nil {
		return fmt.Sprintf("Compare(%q, %q, %q): %v", eco, v.a, v.b, err)
	}
	if got != v.want {
		return fmt.Sprintf("Compare(%q, %q, %q) = %d, want %d (%s %s %s)", eco, v.a, v.b, got, v.want, v.a, opWord[v.want], v.b)
	}
	rev, err := Compare(eco, v.b, v.a)
	if err != nil {
		return fmt.Sprintf("Compare(%q, %q, %q): %v", eco, v.b, v.a, err)
	}
	if rev != -v.want {
		return fmt.Sprintf("reverse Compare(%q, %q, %q) = %d, want %d", eco, v.b, v.a, rev, -v.want)
	}
	return ""
}

// TestCompareVectors runs the fixture files copied into testdata (the
// hand-written ones and the small generated ones; see its PROVENANCE.md).
func TestCompareVectors(t *testing.T) {
	const dir = "testdata/version-ordering"
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range files {
		checkFile(t, dir, filepath.Base(f))
	}
}

// TestCompareSharedVectors runs all upstream fixture files, including the
// large generated ones not copied into this package, from the workspace's
// shared/testdata directory when it exists (found by walking up from here).
func TestCompareSharedVectors(t *testing.T) {
	dir := findShared(t, filepath.Join("shared", "testdata", "version-ordering", "osv-scalibr-semantic"))
	if dir == "" {
		t.Skip("shared/testdata/version-ordering/osv-scalibr-semantic not found in any parent directory; only the copied fixtures in testdata/ were run")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	for _, f := range files {
		checkFile(t, dir, filepath.Base(f))
	}
}

// findShared walks up from the working directory (the package directory
// under go test) and returns the first existing dir/rel, or "".
func findShared(t *testing.T, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, rel)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func TestCompareErrors(t *testing.T) {
	tests := []struct {
		name      string
		ecosystem string
		a, b      string
		wantErr   error
		wantInMsg string
	}{
		{name: "unknown_ecosystem", ecosystem: "NoSuchEcosystem", a: "1.0", b: "2.0", wantErr: ErrUnknownEcosystem, wantInMsg: "NoSuchEcosystem"},
		{name: "empty_ecosystem", ecosystem: "", a: "1.0", b: "2.0", wantErr: ErrUnknownEcosystem},
		{name: "unknown_with_suffix", ecosystem: "NoSuchEcosystem:1", a: "1.0", b: "2.0", wantErr: ErrUnknownEcosystem, wantInMsg: "NoSuchEcosystem"},
		{name: "case_matters", ecosystem: "pypi", a: "1.0", b: "2.0", wantErr: ErrUnknownEcosystem},
		{name: "cran_invalid_a", ecosystem: "CRAN", a: "1.0.x", b: "1.0", wantErr: ErrInvalidVersion, wantInMsg: `"1.0.x"`},
		{name: "hackage_invalid_b", ecosystem: "Hackage", a: "1.0", b: "1.0+build", wantErr: ErrInvalidVersion, wantInMsg: `"1.0+build"`},
		{name: "debian_invalid", ecosystem: "Debian:12", a: "1.0", b: "a:1.0", wantErr: ErrInvalidVersion, wantInMsg: `"a:1.0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compare(tt.ecosystem, tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Compare(%q, %q, %q) = %d, %v; want error wrapping %v", tt.ecosystem, tt.a, tt.b, got, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
			}
		})
	}
}

func TestCompareEcosystemSuffix(t *testing.T) {
	tests := []struct {
		ecosystem string
		a, b      string
		want      int
	}{
		{"Debian:12", "1.2.3-1", "1.2.3-1+deb12u1", -1},
		{"Ubuntu:22.04:LTS", "2:1.0", "1:9.9", 1},
		{"Alpine:v3.20", "1.2.3-r0", "1.2.3-r1", -1},
		{"Rocky Linux:9", "1.0-1.el9", "1.0-1.el9", 0},
		{"Red Hat:enterprise_linux:9::appstream", "1.10", "1.9", 1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.ecosystem, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, %v; want %d", tt.ecosystem, tt.a, tt.b, got, err, tt.want)
		}
	}
}
