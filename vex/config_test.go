package vex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

func TestLoadConfig(t *testing.T) {
	got, err := LoadConfig("testdata/config/hallmark.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Path: "testdata/config/hallmark.yaml", Ignore: []IgnoreRule{
		{ID: "CVE-2023-31047", Package: "pkg:pypi/django", Reason: "not reachable: we never upload several files through one field",
			Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), Line: 3},
		{ID: "GHSA-v845-jxx5-vc9f", Reason: "proxies are not used",
			Expires: time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC), Line: 8},
		{ID: "CVE-2024-0001", Package: "pkg:pypi/urllib3@1.26.5", Reason: "folded reason on two lines",
			Expires: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), Line: 12},
	}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("LoadConfig mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadConfigEmpty(t *testing.T) {
	for _, content := range []string{"", "# nothing yet\n", "ignore:\n", "---\n"} {
		cfg, err := parseConfig("c.yaml", []byte(content))
		if err != nil || len(cfg.Ignore) != 0 || cfg.Path != "c.yaml" {
			t.Errorf("parseConfig(%q) = %+v, %v; want an empty config", content, cfg, err)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"syntax", "ignore:\n  - id: [\n", ".hallmark.yaml: line 2: did not find expected node content"},
		{"notMapping", "- id: x\n", ".hallmark.yaml:1: the file must be a mapping with an ignore list"},
		{"unknownTopKey", "ignore: []\nignores:\n  - id: x\n", `.hallmark.yaml:2: unknown key "ignores" (known: ignore)`},
		{"duplicateTopKey", "ignore: []\nignore: []\n", `.hallmark.yaml:2: duplicate key "ignore"`},
		{"ignoreNotList", "ignore:\n  id: x\n", ".hallmark.yaml:2: ignore: want a list of rules"},
		{"ruleNotMapping", "ignore:\n  - CVE-1\n", ".hallmark.yaml:2: ignore[0]: want a mapping with id, reason and expires"},
		{"unknownKey", "ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-01\n    expiry: 2027-01-01\n",
			`.hallmark.yaml:5: ignore[0]: unknown key "expiry" (known: id, package, reason, expires)`},
		{"duplicateKey", "ignore:\n  - id: CVE-1\n    id: CVE-2\n", `.hallmark.yaml:3: ignore[0]: duplicate key "id"`},
		{"missingID", "ignore:\n  - reason: r\n    expires: 2027-01-01\n", ".hallmark.yaml:2: ignore[0].id: missing"},
		{"missingReason", "ignore:\n  - id: CVE-1\n    expires: 2027-01-01\n", ".hallmark.yaml:2: ignore[0].reason: missing; say why CVE-1 is acceptable"},
		{"emptyReason", "ignore:\n  - id: CVE-1\n    reason: \"  \"\n    expires: 2027-01-01\n", ".hallmark.yaml:3: ignore[0].reason: missing"},
		{"nullReason", "ignore:\n  - id: CVE-1\n    reason: ~\n    expires: 2027-01-01\n", ".hallmark.yaml:2: ignore[0].reason: missing"},
		{"missingExpiry", "ignore:\n  - id: a\n    reason: r\n    expires: 2027-01-01\n  - id: CVE-1\n    reason: r\n", ".hallmark.yaml:5: ignore[1].expires: missing"},
		{"badDate", "ignore:\n  - id: CVE-1\n    reason: r\n    expires: 31/01/2027\n", `.hallmark.yaml:4: ignore[0].expires: "31/01/2027" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp`},
		{"impossibleDate", "ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2027-02-30\n", `.hallmark.yaml:4: ignore[0].expires: "2027-02-30" is not a date`},
		{"badPackage", "ignore:\n  - id: CVE-1\n    package: django\n    reason: r\n    expires: 2027-01-01\n", `.hallmark.yaml:3: ignore[0].package: purl "django"`},
		{"listValue", "ignore:\n  - id: [CVE-1, CVE-2]\n", ".hallmark.yaml:2: ignore[0].id: want a single value"},
		{"alias", "x: &a CVE-1\nignore:\n  - id: *a\n", `.hallmark.yaml:1: unknown key "x"`},
		{"twoDocuments", "ignore: []\n---\nignore: []\n", ".hallmark.yaml:2: a second YAML document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".hallmark.yaml")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if err == nil {
				t.Fatalf("LoadConfig = %+v, want error %q", cfg, tc.want)
			}
			if !errors.Is(err, ErrBadConfig) {
				t.Errorf("error %q does not match ErrBadConfig", err)
			}
			if msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+string(filepath.Separator)); !strings.HasPrefix(msg, tc.want) {
				t.Errorf("error = %q, want it to start with %q", msg, tc.want)
			}
		})
	}
}

func TestApplyIgnores(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	rule := func(line int, id, pkg, expires string) IgnoreRule {
		return IgnoreRule{ID: id, Package: pkg, Reason: "reason " + id, Expires: day(expires), Line: line}
	}
	ignored := func(id, expires string) *match.Suppression {
		return &match.Suppression{Kind: "ignore", Status: "ignored", Justification: "reason " + id, Source: ".hallmark.yaml", Expires: day(expires)}
	}
	now := day("2026-03-01")
	tests := []struct {
		name     string
		rules    []IgnoreRule
		want     []*match.Suppression
		warnings []string
	}{
		{"byID", []IgnoreRule{rule(3, "CVE-2023-31047", "", "2027-01-31")},
			[]*match.Suppression{nil, nil, ignored("CVE-2023-31047", "2027-01-31"), nil, nil}, nil},
		{"byAliasAnyCase", []IgnoreRule{rule(3, "pysec-2023-61", "", "2027-01-31")},
			[]*match.Suppression{nil, nil, ignored("pysec-2023-61", "2027-01-31"), nil, nil}, nil},
		{"byPackage", []IgnoreRule{rule(3, "CVE-2023-3446", "pkg:apk/alpine/libcrypto3", "2027-01-31")},
			[]*match.Suppression{nil, ignored("CVE-2023-3446", "2027-01-31"), nil, nil, nil}, nil},
		{"allPackages", []IgnoreRule{rule(3, "CVE-2023-3446", "", "2027-01-31")},
			[]*match.Suppression{ignored("CVE-2023-3446", "2027-01-31"), ignored("CVE-2023-3446", "2027-01-31"), nil, nil, nil}, nil},
		{"packageVersionMismatch", []IgnoreRule{rule(7, "CVE-2023-31047", "pkg:pypi/django@5.0", "2027-01-31")},
			[]*match.Suppression{nil, nil, nil, nil, nil},
			[]string{".hallmark.yaml:7: ignore rule for CVE-2023-31047 in pkg:pypi/django@5.0 matches no finding; remove it or correct its id or package"}},
		{"expired", []IgnoreRule{rule(7, "CVE-2023-31047", "", "2026-01-31")},
			[]*match.Suppression{nil, nil, nil, nil, nil},
			[]string{".hallmark.yaml:7: ignore rule for CVE-2023-31047 expired on 2026-01-31; the finding is reported again"}},
		// A date rule stops applying at 00:00 UTC of that day.
		{"expiresToday", []IgnoreRule{rule(7, "CVE-2023-31047", "", "2026-03-01")},
			[]*match.Suppression{nil, nil, nil, nil, nil},
			[]string{".hallmark.yaml:7: ignore rule for CVE-2023-31047 expired on 2026-03-01; the finding is reported again"}},
		{"expiresTomorrow", []IgnoreRule{rule(7, "CVE-2023-31047", "", "2026-03-02")},
			[]*match.Suppression{nil, nil, ignored("CVE-2023-31047", "2026-03-02"), nil, nil}, nil},
		{"expiredSeveral", []IgnoreRule{rule(9, "CVE-2023-3446", "", "2025-12-31")},
			[]*match.Suppression{nil, nil, nil, nil, nil},
			[]string{".hallmark.yaml:9: ignore rule for CVE-2023-3446 expired on 2025-12-31; its 2 findings are reported again"}},
		{"expiredUnmatched", []IgnoreRule{rule(9, "CVE-1999-0001", "", "2025-12-31")},
			[]*match.Suppression{nil, nil, nil, nil, nil},
			[]string{".hallmark.yaml:9: ignore rule for CVE-1999-0001 expired on 2025-12-31 and matches no finding; remove it"}},
		{"firstRuleWins", []IgnoreRule{rule(3, "CVE-2023-31047", "", "2027-01-31"), rule(8, "GHSA-r3xc-prgr-mg9p", "", "2028-01-31")},
			[]*match.Suppression{nil, nil, ignored("CVE-2023-31047", "2027-01-31"), nil, nil}, nil},
		// The finding without a purl can be ignored by id, not by package.
		{"noPURL", []IgnoreRule{rule(3, "CVE-2024-0001", "", "2027-01-31"), rule(8, "CVE-2024-0001", "pkg:generic/vendored", "2027-01-31")},
			[]*match.Suppression{nil, nil, nil, nil, ignored("CVE-2024-0001", "2027-01-31")},
			[]string{".hallmark.yaml:8: ignore rule for CVE-2024-0001 in pkg:generic/vendored matches no finding; remove it or correct its id or package"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := scanResult()
			warnings := ApplyIgnores(res, &Config{Path: ".hallmark.yaml", Ignore: tc.rules}, now)
			var got []*match.Suppression
			for _, f := range res.Findings {
				got = append(got, f.Suppression)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("suppressions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyIgnoresLoaded runs a loaded file end to end: line numbers reach the warnings.
func TestApplyIgnoresLoaded(t *testing.T) {
	cfg, err := LoadConfig("testdata/config/hallmark.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := scanResult()
	res.Findings = append(res.Findings, &match.Finding{ID: "CVE-2024-0001", IDs: []string{"CVE-2024-0001"},
		Package: &inventory.Package{PURL: "pkg:pypi/urllib3@1.26.5"}})
	got := ApplyIgnores(res, cfg, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	want := []string{
		"testdata/config/hallmark.yaml:8: ignore rule for GHSA-v845-jxx5-vc9f expired on 2026-06-30T12:00:00+02:00; the finding is reported again",
		"testdata/config/hallmark.yaml:12: ignore rule for CVE-2024-0001 in pkg:pypi/urllib3@1.26.5 expired on 2025-12-31; the finding is reported again",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if s := res.Findings[2].Suppression; s == nil || s.Kind != "ignore" || s.Source != "testdata/config/hallmark.yaml" {
		t.Errorf("django finding suppression = %+v, want the file's ignore rule", s)
	}
	for i, f := range res.Findings {
		if i != 2 && f.Suppression != nil {
			t.Errorf("finding %d (%s) suppressed: %+v", i, f.ID, f.Suppression)
		}
	}
}
