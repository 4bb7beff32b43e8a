package purl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// suiteGlob finds the purl-spec conformance tests copied into testdata (see
// testdata/PROVENANCE.md).
const suiteGlob = "testdata/purl-spec/tests/*/*-test.json"

// specCase is one test of the purl-spec test schema 0.2.
type specCase struct {
	Description     string          `json:"description"`
	Group           string          `json:"test_group"` // "required" or "recommended"
	TestType        string          `json:"test_type"`  // "parse", "build" or "validate"
	Input           json.RawMessage `json:"input"`
	ExpectedOutput  json.RawMessage `json:"expected_output"`
	ExpectedFailure bool            `json:"expected_failure"`
}

// specComponents is the schema's purl_components; null and absent are "".
type specComponents struct {
	Type       string            `json:"type"`
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	Qualifiers map[string]string `json:"qualifiers"`
	Subpath    string            `json:"subpath"`
}

func (c specComponents) purl() PURL {
	p := PURL{Type: c.Type, Namespace: c.Namespace, Name: c.Name, Version: c.Version, Subpath: c.Subpath}
	for k, v := range c.Qualifiers {
		p.Qualifiers = append(p.Qualifiers, Qualifier{Key: k, Value: v})
	}
	slices.SortFunc(p.Qualifiers, func(a, b Qualifier) int { return strings.Compare(a.Key, b.Key) })
	return p
}

func loadSuite(t testing.TB) map[string][]specCase {
	t.Helper()
	files, err := filepath.Glob(suiteGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files match %s: %v", suiteGlob, err)
	}
	suite := make(map[string][]specCase)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Tests []specCase }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		suite[strings.TrimSuffix(filepath.Base(f), ".json")] = doc.Tests
	}
	return suite
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// caseName is the subtest name: index, test type and the description with
// everything but letters and digits turned into '_'.
func caseName(i int, c specCase) string {
	d := strings.Trim(unsafeName.ReplaceAllString(c.Description, "_"), "_")
	if len(d) > 60 {
		d = d[:60]
	}
	return fmt.Sprintf("%03d_%s_%s", i, c.TestType, d)
}

var cmpPURL = cmpopts.EquateEmpty()

// TestSpecSuite runs every case of the purl-spec conformance suite, in both
// test groups, and logs pass counts per file and test type.
//
// Two groups of cases contradict each other or their type definition:
//   - gem-test 001 and rpm-test 001 (required) expect Parse to reject
//     upper-case qualifier keys (?Platform=java), while maven-test's required
//     parse of "?type=pom&repositorY_url=..." expects them lowercased, as the
//     spec's parse procedure says. Upstream is moving to rejection type by type
//     (purl-spec issue #942, PR #951); Parse follows each type's required tests
//     (typeRule.strictQualifierKeys) and Canonical stays lenient, which is what
//     the recommended validate cases for the same inputs expect.
//   - git-test 000 (recommended) expects git namespace and name lowercased,
//     but the git type definition marks both "case_sensitive": true. hallmark
//     never emits git purls, so the case is skipped with this reason rather
//     than bent to one side.
func TestSpecSuite(t *testing.T) {
	suite := loadSuite(t)
	files := make([]string, 0, len(suite))
	for f := range suite {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			passed, total := map[string]int{}, map[string]int{}
			for i, c := range suite[file] {
				total[c.TestType]++
				if t.Run(caseName(i, c), func(t *testing.T) { runCase(t, c) }) {
					passed[c.TestType]++
				}
			}
			var counts []string
			for _, tt := range []string{"parse", "build", "validate"} {
				if total[tt] > 0 {
					counts = append(counts, fmt.Sprintf("%s %d/%d", tt, passed[tt], total[tt]))
				}
			}
			t.Logf("%s: %s", file, strings.Join(counts, ", "))
		})
	}
}

func runCase(t *testing.T, c specCase) {
	if c.Group == "recommended" && strings.HasPrefix(c.Description, "git namespace and name should be lowercased") {
		t.Skip("contradicts the git type definition (case_sensitive: true); hallmark emits no git purls")
	}
	switch c.TestType {
	case "parse":
		var in string
		mustUnmarshal(t, c.Input, &in)
		got, err := Parse(in)
		if c.ExpectedFailure {
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", in, got)
			}
			checkError(t, err)
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		var want specComponents
		mustUnmarshal(t, c.ExpectedOutput, &want)
		if diff := cmp.Diff(want.purl(), got, cmpPURL); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", in, diff)
		}
		// Round trip: the canonical form parses back to the same PURL.
		again, err := Parse(got.String())
		if err != nil {
			t.Fatalf("Parse(%q) (canonical form of %q): %v", got.String(), in, err)
		}
		if diff := cmp.Diff(got, again, cmpPURL); diff != "" {
			t.Errorf("Parse(%q) round trip mismatch (-first +second):\n%s", got.String(), diff)
		}

	case "build":
		var in specComponents
		mustUnmarshal(t, c.Input, &in)
		got, err := New(in.Type, in.Namespace, in.Name, in.Version, in.Qualifiers, in.Subpath)
		if c.ExpectedFailure {
			if err == nil {
				t.Fatalf("New(%+v) = %q, want error", in, got)
			}
			checkError(t, err)
			return
		}
		if err != nil {
			t.Fatalf("New(%+v): %v", in, err)
		}
		var want string
		mustUnmarshal(t, c.ExpectedOutput, &want)
		if diff := cmp.Diff(want, got.String()); diff != "" {
			t.Errorf("New(%+v).String() mismatch (-want +got):\n%s", in, diff)
		}

	case "validate":
		// "validate" tests give an input purl and its canonical form.
		var in string
		mustUnmarshal(t, c.Input, &in)
		got, err := Canonical(in)
		if c.ExpectedFailure {
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want error", in, got)
			}
			checkError(t, err)
			return
		}
		if err != nil {
			t.Fatalf("Canonical(%q): %v", in, err)
		}
		var want string
		mustUnmarshal(t, c.ExpectedOutput, &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Canonical(%q) mismatch (-want +got):\n%s", in, diff)
		}

	default:
		t.Fatalf("unknown test_type %q", c.TestType)
	}
}

// checkError checks that err is an *Error naming a component and matching
// ErrInvalid.
func checkError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v (%T) is not a *purl.Error matching ErrInvalid", err, err)
	}
	switch e.Component {
	case "scheme", "type", "namespace", "name", "version", "qualifiers", "subpath":
	default:
		t.Errorf("error %q: Component = %q, want a purl component", err, e.Component)
	}
	t.Logf("error (as expected): %v", err)
}

func mustUnmarshal(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

// TestParse covers behaviour the conformance suite does not.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want PURL
	}{
		{
			name: "golang_keeps_case",
			in:   "pkg:golang/github.com/BurntSushi/toml@v1.6.0",
			want: PURL{Type: "golang", Namespace: "github.com/BurntSushi", Name: "toml", Version: "v1.6.0"},
		},
		{
			name: "upper_case_scheme_and_type",
			in:   "PKG:NPM/foo@1.0.0",
			want: PURL{Type: "npm", Name: "foo", Version: "1.0.0"},
		},
		{
			name: "empty_qualifier_values_and_pairs_dropped",
			in:   "pkg:deb/debian/curl@7.50.3-1?arch=&&distro=jessie",
			want: PURL{Type: "deb", Namespace: "debian", Name: "curl", Version: "7.50.3-1", Qualifiers: []Qualifier{{"distro", "jessie"}}},
		},
		{
			name: "subpath_dot_segments_dropped",
			in:   "pkg:golang/golang.org/x/tools#./go/../analysis//",
			want: PURL{Type: "golang", Namespace: "golang.org/x", Name: "tools", Subpath: "go/analysis"},
		},
		{
			name: "trailing_slashes_not_significant",
			in:   "pkg:maven/org.apache.commons/io//?type=pom",
			want: PURL{Type: "maven", Namespace: "org.apache.commons", Name: "io", Qualifiers: []Qualifier{{"type", "pom"}}},
		},
		{
			name: "encoded_slash_in_name",
			in:   "pkg:generic/a%2Fb@1",
			want: PURL{Type: "generic", Name: "a/b", Version: "1"},
		},
		{
			name: "plus_is_not_space",
			in:   "pkg:generic/a+b@1+2",
			want: PURL{Type: "generic", Name: "a+b", Version: "1+2"},
		},
		{
			name: "non_ascii_name",
			in:   "pkg:generic/caf%C3%A9@1",
			want: PURL{Type: "generic", Name: "café", Version: "1"},
		},
		{
			name: "unknown_type_generic_rules_only",
			in:   "pkg:Example/Foo/Bar@V1",
			want: PURL{Type: "example", Namespace: "Foo", Name: "Bar", Version: "V1"},
		},
		{
			name: "cpan_namespace_uppercased",
			in:   "pkg:cpan/drolsky/DateTime@1.55",
			want: PURL{Type: "cpan", Namespace: "DROLSKY", Name: "DateTime", Version: "1.55"},
		},
		{
			name: "pub_name_normalised",
			in:   "pkg:pub/Flutter_Test@1",
			want: PURL{Type: "pub", Name: "flutter_test", Version: "1"},
		},
		{
			name: "mlflow_aws_databricks_lowercased",
			in:   "pkg:mlflow/Model@1?repository_url=https://dbc-a1b2-c3d4.cloud.databricks.com/api/2.0/mlflow",
			want: PURL{Type: "mlflow", Name: "model", Version: "1", Qualifiers: []Qualifier{{"repository_url", "https://dbc-a1b2-c3d4.cloud.databricks.com/api/2.0/mlflow"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpPURL); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		component string
		msg       string
	}{
		{"no_name", "pkg:npm/", "name", `purl "pkg:npm/": name is required`},
		{"no_scheme", "npm/foo", "scheme", `purl "npm/foo": scheme "pkg:" is required`},
		{"wrong_scheme", "http://npm/foo", "scheme", `purl "http://npm/foo": scheme is "http", want "pkg"`},
		{"no_type", "pkg:", "type", `purl "pkg:": type is required`},
		{"type_starts_with_digit", "pkg:3nginx/nginx", "type", `purl "pkg:3nginx/nginx": type "3nginx" must start with an ASCII letter`},
		{"no_type_after_slashes", "pkg:/foo", "name", `purl "pkg:/foo": name is required`},
		{"empty_name_before_version", "pkg:maven/org.apache.commons/io/@1.3.4", "name", `purl "pkg:maven/org.apache.commons/io/@1.3.4": name is required`},
		{"plus_in_type", "pkg:c++/foo", "type", `purl "pkg:c++/foo": type "c++" contains '+'; only ASCII letters, digits, '.' and '-' are allowed`},
		{"key_starts_with_digit", "pkg:npm/foo?1a=b", "qualifiers", `purl "pkg:npm/foo?1a=b": qualifier key "1a" must start with an ASCII letter`},
		{"key_without_value", "pkg:npm/foo?a", "qualifiers", `purl "pkg:npm/foo?a": qualifier "a" has no '=' between key and value`},
		{"duplicate_key", "pkg:npm/foo?a=1&A=2", "qualifiers", `purl "pkg:npm/foo?a=1&A=2": qualifier key "a" appears more than once`},
		{"bad_escape", "pkg:npm/foo@1%2", "version", `purl "pkg:npm/foo@1%2": version has invalid percent-encoding "%2"`},
		{"invalid_utf8", "pkg:npm/foo%FF", "name", `purl "pkg:npm/foo%FF": name "foo%FF" is not valid UTF-8 once percent-decoded`},
		{"slash_in_namespace_segment", "pkg:npm/a%2Fb/c", "namespace", `purl "pkg:npm/a%2Fb/c": namespace segment "a/b" contains '/'`},
		{"slash_in_subpath_segment", "pkg:npm/c#a%2Fb", "subpath", `purl "pkg:npm/c#a%2Fb": subpath segment "a/b" contains '/'`},
		{"git_slash_in_name_segment", "pkg:git/host/%2F", "name", `purl "pkg:git/host/%2F": name segment "/" contains '/'`},
		{"namespace_required", "pkg:maven/io@1", "namespace", `purl "pkg:maven/io@1": namespace is required for type maven`},
		{"namespace_prohibited", "pkg:cargo/a/b", "namespace", `purl "pkg:cargo/a/b": namespace is not allowed for type cargo (got "a")`},
		{"julia_uuid_required", "pkg:julia/Dates", "qualifiers", `purl "pkg:julia/Dates": qualifier uuid is required for type julia`},
		{"pub_dash", "pkg:pub/a-b", "name", `purl "pkg:pub/a-b": name "a-b" contains '-'; pub names allow only a-z, 0-9 and _`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tc.in, got)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v (%T) is not a *purl.Error matching ErrInvalid", tc.in, err, err)
			}
			if e.Component != tc.component || err.Error() != tc.msg {
				t.Errorf("Parse(%q) error = (%s) %q, want (%s) %q", tc.in, e.Component, err, tc.component, tc.msg)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name                                    string
		typ, namespace, pname, version, subpath string
		qualifiers                              map[string]string
		want                                    string
	}{
		{name: "npm_scope", typ: "npm", namespace: "@angular", pname: "core", version: "17.0.0", want: "pkg:npm/%40angular/core@17.0.0"},
		{name: "upper_type_and_key", typ: "RPM", namespace: "Fedora", pname: "curl", version: "7.50.3-1.fc25", qualifiers: map[string]string{"Arch": "i386", "epoch": ""}, want: "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386"},
		{name: "slashes_stripped", typ: "golang", namespace: "/golang.org/x/", pname: "/tools/", subpath: "/./go//analysis/../", want: "pkg:golang/golang.org/x/tools#go/analysis"},
		{name: "encoding", typ: "generic", pname: "a b/c", version: "1.0+b1", qualifiers: map[string]string{"download_url": "https://example.com/a?b=c&d#e"}, want: "pkg:generic/a%20b%2Fc@1.0%2Bb1?download_url=https:%2F%2Fexample.com%2Fa%3Fb%3Dc%26d%23e"},
		{name: "git_name_path", typ: "git", namespace: "codeberg.org", pname: "forgejo/forgejo", want: "pkg:git/codeberg.org/forgejo/forgejo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(tc.typ, tc.namespace, tc.pname, tc.version, tc.qualifiers, tc.subpath)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.String()); diff != "" {
				t.Errorf("New(...).String() mismatch (-want +got):\n%s", diff)
			}
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(%q): %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again, cmpPURL); diff != "" {
				t.Errorf("Parse(New(...).String()) mismatch (-New +Parse):\n%s", diff)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		typ, namespace, pname, version string
		qualifiers                     map[string]string
		msg                            string
	}{
		{name: "no_type", pname: "nginx", msg: `purl "pkg:/nginx": type is required`},
		{name: "no_name", typ: "npm", msg: `purl "pkg:npm/": name is required`},
		{name: "bad_key", typ: "npm", pname: "a", qualifiers: map[string]string{"in production": "true"}, msg: `purl "pkg:npm/a?in production=true": qualifier key "in production" contains ' '; only ASCII letters, digits, '.', '-' and '_' are allowed`},
		{name: "key_case_collision", typ: "npm", pname: "a", qualifiers: map[string]string{"arch": "x", "Arch": "y"}, msg: `purl "pkg:npm/a?Arch=y&arch=x": qualifier key "arch" appears more than once`},
		{name: "git_two_segment_namespace", typ: "git", namespace: "codeberg.org/forgejo", pname: "forgejo", msg: `purl "pkg:git/codeberg.org/forgejo/forgejo": namespace for type git must be a single segment, not "codeberg.org/forgejo"`},
		{name: "invalid_utf8", typ: "npm", pname: "a\xff", msg: `purl "pkg:npm/a\xff": name is not valid UTF-8`},
		{name: "cpan_module_name", typ: "cpan", pname: "URI::PackageURL", msg: `purl "pkg:cpan/URI::PackageURL": name "URI::PackageURL" contains "::": cpan names are distribution names (URI-PackageURL), not module names (URI::PackageURL)`},
		{name: "chrome_version", typ: "chrome-extension", pname: "dlpngalgnefjeiefhmpklpfiohadpglk", version: "1.2.3.4.5", msg: `purl "pkg:chrome-extension/dlpngalgnefjeiefhmpklpfiohadpglk@1.2.3.4.5": version "1.2.3.4.5" is not 1 to 4 dot-separated integers`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(tc.typ, tc.namespace, tc.pname, tc.version, tc.qualifiers, "")
			if err == nil {
				t.Fatalf("New = %v, want error", got)
			}
			if !errors.Is(err, ErrInvalid) || err.Error() != tc.msg {
				t.Errorf("New error = %q, want %q matching ErrInvalid", err, tc.msg)
			}
		})
	}
}

func TestString(t *testing.T) {
	// A PURL literal: String sorts qualifiers and drops empty values and
	// empty segments.
	p := PURL{
		Type:       "deb",
		Namespace:  "/debian/",
		Name:       "curl",
		Qualifiers: []Qualifier{{"distro", "jessie"}, {"arch", "i386"}, {"epoch", ""}},
		Subpath:    "/",
	}
	if got, want := p.String(), "pkg:deb/debian/curl?arch=i386&distro=jessie"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := p.Qualifiers[0].Key, "distro"; got != want {
		t.Errorf("String() reordered p.Qualifiers: first key %q, want %q", got, want)
	}
}

func TestQualifierAndWithoutQualifiers(t *testing.T) {
	p, err := Parse("pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25#a")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"arch": "i386", "ARCH": "i386", "distro": "fedora-25", "epoch": ""} {
		if got := p.Qualifier(key); got != want {
			t.Errorf("Qualifier(%q) = %q, want %q", key, got, want)
		}
	}
	q, err := Parse("pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=x86_64#a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.WithoutQualifiers(), q.WithoutQualifiers()); diff != "" {
		t.Errorf("WithoutQualifiers differ (-p +q):\n%s", diff)
	}
	if got, want := p.WithoutQualifiers().String(), "pkg:rpm/fedora/curl@7.50.3-1.fc25#a"; got != want {
		t.Errorf("WithoutQualifiers().String() = %q, want %q", got, want)
	}
	if len(p.Qualifiers) != 2 {
		t.Errorf("WithoutQualifiers modified its receiver: %v", p.Qualifiers)
	}
}
