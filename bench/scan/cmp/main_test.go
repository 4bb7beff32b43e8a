package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompareFixtures(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // lines the output must contain, in order
	}{
		{
			name:     "unexplained",
			args:     []string{"-fixture", "python", "-hallmark", "testdata/hallmark.json", "-osv-scanner", "testdata/osv-scanner.json"},
			wantCode: 1,
			want: []string{
				"fixture python: hallmark 3 vulnerable packages, osv-scanner 3",
				"matched 3, only-hallmark 1, only-osv-scanner 1, grouped differently 0; unexplained 2",
				"only-osv-scanner  PyPI/pyyaml@5.3 PYSEC-2020-96  [UNEXPLAINED]",
				"only-hallmark     PyPI/requests@2.25.1 GHSA-9wx4-h78v-vm56  [UNEXPLAINED]",
			},
		},
		{
			name:     "known-difference",
			args:     []string{"-fixture", "python", "-hallmark", "testdata/hallmark.json", "-osv-scanner", "testdata/osv-scanner.json", "-known", "testdata/known.txt"},
			wantCode: 1,
			want: []string{
				"unexplained 1",
				"only-hallmark     PyPI/requests@2.25.1 1 vulnerabilities  [known: GitHub advisory, not in the PyPA database osv-scanner was given]",
				"only-osv-scanner  PyPI/pyyaml@5.3 PYSEC-2020-96  [UNEXPLAINED]",
			},
		},
		{
			name:     "known-difference-verbose",
			args:     []string{"-fixture", "python", "-hallmark", "testdata/hallmark.json", "-osv-scanner", "testdata/osv-scanner.json", "-known", "testdata/known.txt", "-v"},
			wantCode: 1,
			want: []string{
				"unexplained 1",
				"match             PyPI/jinja2@2.11.2 GHSA-g3rq-g295-4j3m,PYSEC-2021-66",
				"only-osv-scanner  PyPI/pyyaml@5.3 PYSEC-2020-96  [UNEXPLAINED]",
				"only-hallmark     PyPI/requests@2.25.1 GHSA-9wx4-h78v-vm56  [known: GitHub advisory, not in the PyPA database osv-scanner was given]",
			},
		},
		{
			name:     "known-for-other-fixture",
			args:     []string{"-fixture", "go", "-hallmark", "testdata/hallmark.json", "-osv-scanner", "testdata/osv-scanner.json", "-known", "testdata/known.txt"},
			wantCode: 1,
			want:     []string{"unexplained 2"},
		},
		{
			name:     "same-output",
			args:     []string{"-fixture", "python", "-hallmark", "testdata/hallmark.json", "-osv-scanner", "HALLMARK_AS_OSV", "-v"},
			wantCode: 0,
			want: []string{
				"matched 4, only-hallmark 0, only-osv-scanner 0, grouped differently 0; unexplained 0",
				"match             PyPI/jinja2@2.11.2 GHSA-g3rq-g295-4j3m,PYSEC-2021-66",
			},
		},
		{
			name:     "osv-scanner-only",
			args:     []string{"-fixture", "python", "-osv-scanner", "testdata/osv-scanner.json"},
			wantCode: 0,
			want: []string{
				"fixture python: osv-scanner 3 vulnerable packages, 4 vulnerabilities (id groups)",
				"PyPI/pyyaml@5.3 2: PYSEC-2020-96 PYSEC-2021-142",
			},
		},
		{
			name:     "missing-file",
			args:     []string{"-fixture", "python", "-osv-scanner", "testdata/nonexistent.json"},
			wantCode: 2,
		},
		{
			name:     "swapped-files",
			args:     []string{"-fixture", "python", "-hallmark", "testdata/osv-scanner.json", "-osv-scanner", "testdata/osv-scanner.json"},
			wantCode: 2,
		},
		{
			name:     "no-fixture",
			args:     []string{"-osv-scanner", "testdata/osv-scanner.json"},
			wantCode: 2,
		},
	}
	agreeing := writeHallmarkAsOSV(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := slices.Clone(tc.args)
			if i := slices.Index(args, "HALLMARK_AS_OSV"); i >= 0 {
				args[i] = agreeing
			}
			code := run(args, &out, &errOut)
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errOut.String())
			}
			rest := out.String()
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order); got:\n%s", w, out.String())
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// writeHallmarkAsOSV writes hallmark.json's findings in osv-scanner's shape, so that a
// comparison of two outputs that agree can be tested, and returns its path.
func writeHallmarkAsOSV(t *testing.T) string {
	t.Helper()
	const doc = `{"results":[{"source":{"path":"requirements.txt"},"packages":[
{"package":{"name":"jinja2","version":"2.11.2","ecosystem":"PyPI"},
 "groups":[{"ids":["PYSEC-2021-66"],"aliases":["CVE-2020-28493","GHSA-g3rq-g295-4j3m"]}],
 "vulnerabilities":[{"id":"PYSEC-2021-66"}]},
{"package":{"name":"pyyaml","version":"5.3","ecosystem":"PyPI"},
 "groups":[{"ids":["PYSEC-2021-142"],"aliases":["CVE-2020-14343"]}],
 "vulnerabilities":[{"id":"PYSEC-2021-142"}]},
{"package":{"name":"requests","version":"2.25.1","ecosystem":"PyPI"},
 "groups":[{"ids":["PYSEC-2023-74"]},{"ids":["GHSA-9wx4-h78v-vm56"]}],
 "vulnerabilities":[{"id":"PYSEC-2023-74"},{"id":"GHSA-9wx4-h78v-vm56"}]}]}]}`
	name := filepath.Join(t.TempDir(), "hallmark-as-osv.json")
	if err := os.WriteFile(name, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestComponents(t *testing.T) {
	k := pkgKey{"Go", "golang.org/x/net", "0.7.0"}
	g := func(ids ...string) group { return group{Primary: ids[0], IDs: ids} }
	tests := []struct {
		name     string
		hallmark []group
		osv      []group
		want     []component
	}{
		{
			name:     "match-through-alias",
			hallmark: []group{g("CVE-1", "GHSA-1")},
			osv:      []group{g("GO-1", "GHSA-1")},
			want: []component{{Kind: kindMatch, Package: k, Hallmark: []group{g("CVE-1", "GHSA-1")},
				OSV: []group{g("GO-1", "GHSA-1")}, IDs: []string{"CVE-1", "GHSA-1", "GO-1"}}},
		},
		{
			name:     "disjoint",
			hallmark: []group{g("GO-1")},
			osv:      []group{g("GO-2")},
			want: []component{
				{Kind: kindOnlyHallmark, Package: k, Hallmark: []group{g("GO-1")}, IDs: []string{"GO-1"}},
				{Kind: kindOnlyOSV, Package: k, OSV: []group{g("GO-2")}, IDs: []string{"GO-2"}},
			},
		},
		{
			name:     "hallmark-merges-what-osv-scanner-splits",
			hallmark: []group{g("CVE-1", "GO-1", "GO-2")},
			osv:      []group{g("GO-1", "CVE-1"), g("GO-2")},
			want: []component{{Kind: kindGrouping, Package: k, Hallmark: []group{g("CVE-1", "GO-1", "GO-2")},
				OSV: []group{g("GO-1", "CVE-1"), g("GO-2")}, IDs: []string{"CVE-1", "GO-1", "GO-2"}}},
		},
		{
			name:     "transitive",
			hallmark: []group{g("A", "B"), g("C", "D")},
			osv:      []group{g("B", "C")},
			want: []component{{Kind: kindGrouping, Package: k, Hallmark: []group{g("A", "B"), g("C", "D")},
				OSV: []group{g("B", "C")}, IDs: []string{"A", "B", "C", "D"}}},
		},
		{
			name: "empty",
			want: []component{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := components(k, tc.hallmark, tc.osv)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHallmark(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    scan
		wantErr string
	}{
		{
			name: "normalises",
			in: `{"findings":[
{"id":"GO-1","ids":["CVE-1","GO-1"],"package":{"name":"golang.org/x/net","version":"v0.7.0","ecosystem":"Go"}},
{"ids":["PYSEC-1"],"package":{"name":"Foo_Bar","version":"1.0","purl":"pkg:pypi/foo-bar@1.0"}}]}`,
			want: scan{
				{"Go", "golang.org/x/net", "0.7.0"}: {{Primary: "GO-1", IDs: []string{"CVE-1", "GO-1"}}},
				{"PyPI", "foo-bar", "1.0"}:          {{Primary: "PYSEC-1", IDs: []string{"PYSEC-1"}}},
			},
		},
		{name: "no-findings", in: `{"findings":[]}`, want: scan{}},
		{name: "not-hallmark", in: `{"results":[]}`, wantErr: `no top-level "findings"`},
		{name: "no-package", in: `{"findings":[{"id":"X"}]}`, wantErr: "findings[0]: package.name missing"},
		{name: "no-ecosystem", in: `{"findings":[{"id":"X","package":{"name":"a","version":"1"}}]}`, wantErr: "package.ecosystem missing"},
		{name: "no-id", in: `{"findings":[{"package":{"name":"a","version":"1","ecosystem":"npm"}}]}`, wantErr: "no id and no ids"},
		{name: "trailing", in: `{"findings":[]} {}`, wantErr: "data after the top-level value"},
		{name: "truncated", in: `{"findings":[`, wantErr: "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseHallmark(strings.NewReader(tc.in))
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseHallmark (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseOSVScanner(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    scan
		wantErr string
	}{
		{
			name: "groups-and-aliases",
			in: `{"results":[{"packages":[{"package":{"name":"Django","version":"3.2.12","ecosystem":"PyPI"},
"groups":[{"ids":["PYSEC-1","PYSEC-2"],"aliases":["CVE-1"]}],
"vulnerabilities":[{"id":"PYSEC-1"},{"id":"PYSEC-2"}]}]}]}`,
			want: scan{{"PyPI", "django", "3.2.12"}: {{Primary: "PYSEC-1", IDs: []string{"CVE-1", "PYSEC-1", "PYSEC-2"}}}},
		},
		{name: "empty", in: `{"results":[]}`, want: scan{}},
		{name: "not-osv-scanner", in: `{"findings":[]}`, wantErr: `no top-level "results"`},
		{
			name:    "ungrouped-vulnerability",
			in:      `{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},"vulnerabilities":[{"id":"GHSA-1"}]}]}]}`,
			wantErr: "vulnerability GHSA-1 is in no group",
		},
		{
			name:    "empty-group",
			in:      `{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},"groups":[{"ids":[]}]}]}]}`,
			wantErr: "results[0].packages[0].groups[0]: no ids",
		},
		{
			name:    "no-ecosystem",
			in:      `{"results":[{"packages":[{"package":{"name":"a","version":"1"}}]}]}`,
			wantErr: "package name or ecosystem missing",
		},
		{name: "wrong-type", in: `{"results":{}}`, wantErr: "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseOSVScanner(strings.NewReader(tc.in))
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseOSVScanner (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKnown(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []knownDiff
		wantErr string
	}{
		{
			name: "entries",
			in: "# comment\n\nonly-osv-scanner * Go/golang.org/x/net@v0.7.0 GO-1 osv-scanner reads the go directive\n" +
				"grouping python PyPI/Foo.Bar@* * records not linked by aliases\n" +
				"only-hallmark * npm/@babel/core@7.0.0 GHSA-1 scoped\n",
			want: []knownDiff{
				{Kind: kindOnlyOSV, Fixture: "*", Package: pkgKey{"Go", "golang.org/x/net", "0.7.0"}, ID: "GO-1", Reason: "osv-scanner reads the go directive"},
				{Kind: kindGrouping, Fixture: "python", Package: pkgKey{"PyPI", "foo-bar", "*"}, ID: "*", Reason: "records not linked by aliases"},
				{Kind: kindOnlyHallmark, Fixture: "*", Package: pkgKey{"npm", "@babel/core", "7.0.0"}, ID: "GHSA-1", Reason: "scoped"},
			},
		},
		{name: "no-reason", in: "only-hallmark * npm/a@1 GHSA-1\n", wantErr: "x:1: want KIND"},
		{name: "bad-kind", in: "match * npm/a@1 GHSA-1 why\n", wantErr: `x:1: kind "match"`},
		{name: "no-version", in: "only-hallmark * npm/a GHSA-1 why\n", wantErr: `x:1: package "npm/a" is not`},
		{name: "no-ecosystem", in: "\nonly-hallmark * a@1 GHSA-1 why\n", wantErr: `x:2: package "a@1" is not`},
		{name: "empty-version", in: "only-hallmark * npm/a@ GHSA-1 why\n", wantErr: `x:1: package "npm/a@" is not`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseKnown(strings.NewReader(tc.in), "x")
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseKnown (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	c := component{Kind: kindOnlyOSV, Package: pkgKey{"PyPI", "pyyaml", "5.3"}, IDs: []string{"CVE-1", "PYSEC-1"}}
	tests := []struct {
		name string
		kd   knownDiff
		want bool
	}{
		{"exact", knownDiff{Kind: kindOnlyOSV, Fixture: "py", Package: c.Package, ID: "CVE-1"}, true},
		{"wildcards", knownDiff{Kind: kindOnlyOSV, Fixture: "*", Package: pkgKey{"PyPI", "pyyaml", "*"}, ID: "*"}, true},
		{"other-kind", knownDiff{Kind: kindOnlyHallmark, Fixture: "*", Package: c.Package, ID: "*"}, false},
		{"other-fixture", knownDiff{Kind: kindOnlyOSV, Fixture: "go", Package: c.Package, ID: "*"}, false},
		{"other-version", knownDiff{Kind: kindOnlyOSV, Fixture: "*", Package: pkgKey{"PyPI", "pyyaml", "5.4"}, ID: "*"}, false},
		{"other-id", knownDiff{Kind: kindOnlyOSV, Fixture: "*", Package: c.Package, ID: "CVE-2"}, false},
		{"other-ecosystem", knownDiff{Kind: kindOnlyOSV, Fixture: "*", Package: pkgKey{"npm", "pyyaml", "5.3"}, ID: "*"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := explain([]knownDiff{tc.kd}, "py", c); got != tc.want {
				t.Errorf("explain = %v, want %v", got, tc.want)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
