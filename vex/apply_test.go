package vex

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

const alpineDigest = "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"

// scanResult builds, by hand, the result of scanning an alpine image with a Python app.
func scanResult() *match.Result {
	pkg := func(name, purl string) *inventory.Package { return &inventory.Package{Name: name, PURL: purl} }
	libssl := pkg("libssl3", "pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64&distro=alpine-3.17.3")
	libcrypto := pkg("libcrypto3", "pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64&distro=alpine-3.17.3")
	django := pkg("Django", "pkg:pypi/django@4.2.0")
	urllib3 := pkg("urllib3", "pkg:pypi/urllib3@1.26.5")
	return &match.Result{
		Subject: inventory.Subject{
			Kind: inventory.KindImage, Name: "alpine:3.17", Digest: alpineDigest,
			PURL: "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126?repository_url=index.docker.io%2Flibrary%2Falpine",
		},
		Findings: []*match.Finding{
			{ID: "CVE-2023-3446", IDs: []string{"CVE-2023-3446"}, Package: libssl},
			{ID: "CVE-2023-3446", IDs: []string{"CVE-2023-3446"}, Package: libcrypto},
			{ID: "CVE-2023-31047", IDs: []string{"CVE-2023-31047", "GHSA-r3xc-prgr-mg9p", "PYSEC-2023-61"}, Package: django},
			{ID: "GHSA-v845-jxx5-vc9f", IDs: []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"}, Package: urllib3},
			{ID: "CVE-2024-0001", IDs: []string{"CVE-2024-0001"}, Package: &inventory.Package{Name: "vendored"}}, // no purl
		},
	}
}

func TestApply(t *testing.T) {
	t1 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	na := func(id string, ts time.Time, products ...Product) Statement {
		return Statement{VulnID: id, Products: products, Status: StatusNotAffected,
			Justification: JustVulnerableCodeNotPresent, ImpactStatement: "removed", Timestamp: ts, Source: "a.vex.json"}
	}
	with := func(s Statement, status string) Statement {
		s.Status, s.Justification, s.ImpactStatement = status, "", ""
		return s
	}
	supp := &match.Suppression{Kind: "vex", Status: StatusNotAffected, Justification: JustVulnerableCodeNotPresent, Statement: "removed", Source: "a.vex.json"}
	fixed := &match.Suppression{Kind: "vex", Status: StatusFixed, Source: "a.vex.json"}
	p := func(purl string) Product { return Product{PURL: purl} }
	image := func(subs ...string) Product { return Product{Digest: alpineDigest, Subcomponents: subs} }

	tests := []struct {
		name  string
		stmts []Statement
		want  []*match.Suppression // per finding of scanResult, in order
	}{
		{"purlExactVersion", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django@4.2.0"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"purlNoVersionMatchesAll", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/Django"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"purlOtherVersion", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django@4.2.1"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		{"purlOtherName", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/flask@4.2.0"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		{"purlOtherType", []Statement{na("CVE-2023-31047", t1, p("pkg:npm/django@4.2.0"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// Qualifiers are compared only where both purls have the key.
		{"qualifierSameArch", []Statement{na("CVE-2023-3446", t1, p("pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64"))},
			[]*match.Suppression{supp, nil, nil, nil, nil}},
		{"qualifierOtherArch", []Statement{na("CVE-2023-3446", t1, p("pkg:apk/alpine/libssl3@3.0.8-r3?arch=armv7"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		{"qualifierOnlyInStatement", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django@4.2.0?repository_url=pypi.example.com"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"aliasInFinding", []Statement{na("PYSEC-2023-61", t1, p("pkg:pypi/django"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"aliasInStatement", []Statement{{VulnID: "GHSA-x", Aliases: []string{"CVE-2023-43804"}, Products: []Product{p("pkg:pypi/urllib3")}, Status: StatusFixed, Source: "a.vex.json"}},
			[]*match.Suppression{nil, nil, nil, fixed, nil}},
		{"idCaseInsensitive", []Statement{na("ghsa-R3XC-prgr-mg9p", t1, p("pkg:pypi/django"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"otherVulnerability", []Statement{na("CVE-2023-0001", t1, p("pkg:pypi/django"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// The image and the subcomponents inside it.
		{"subjectSubcomponent", []Statement{na("CVE-2023-3446", t1, image("pkg:apk/alpine/libssl3@3.0.8-r3"))},
			[]*match.Suppression{supp, nil, nil, nil, nil}},
		{"subjectAllSubcomponents", []Statement{na("CVE-2023-3446", t1, image("pkg:apk/alpine/libssl3@3.0.8-r3", "pkg:apk/alpine/libcrypto3"))},
			[]*match.Suppression{supp, supp, nil, nil, nil}},
		{"subjectWholeImage", []Statement{na("CVE-2023-3446", t1, image()), na("CVE-2024-0001", t1, image())},
			[]*match.Suppression{supp, supp, nil, nil, supp}},
		{"subjectByPURL", []Statement{na("CVE-2023-3446", t1, Product{PURL: "pkg:oci/alpine", Subcomponents: []string{"pkg:apk/alpine/libcrypto3"}})},
			[]*match.Suppression{nil, supp, nil, nil, nil}},
		{"otherImage", []Statement{na("CVE-2023-3446", t1, Product{Digest: shopDigest})},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// A subcomponent that is not a purl (a CSAF product id) matches nothing, and does not
		// widen the statement to the whole image.
		{"unresolvedSubcomponent", []Statement{na("CVE-2023-3446", t1, image("CSAFPID-0001"))},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// A product with subcomponents is about them, not about a package named like it.
		{"productWithSubcomponents", []Statement{na("CVE-2023-31047", t1, Product{PURL: "pkg:pypi/django", Subcomponents: []string{"pkg:pypi/sqlparse"}})},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		{"productWithoutIdentity", []Statement{na("CVE-2023-31047", t1, Product{ID: "CSAFPID-0001"})},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// Precedence: the latest statement wins, whatever order they come in.
		{"laterAffectedWins", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django")), with(na("CVE-2023-31047", t2, p("pkg:pypi/django")), StatusAffected)},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		{"laterNotAffectedWins", []Statement{na("CVE-2023-31047", t2, p("pkg:pypi/django")), with(na("CVE-2023-31047", t1, p("pkg:pypi/django")), StatusAffected)},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"sameTimeLastWins", []Statement{with(na("CVE-2023-31047", t1, p("pkg:pypi/django")), StatusUnderInvestigation), na("CVE-2023-31047", t1, p("pkg:pypi/django"))},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"sameTimeLastWinsAffected", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django")), with(na("CVE-2023-31047", t1, p("pkg:pypi/django")), StatusUnderInvestigation)},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
		// A later statement about another product does not hide the one that applies.
		{"laterOtherProduct", []Statement{na("CVE-2023-31047", t1, p("pkg:pypi/django")), with(na("CVE-2023-31047", t2, p("pkg:pypi/flask")), StatusAffected)},
			[]*match.Suppression{nil, nil, supp, nil, nil}},
		{"fixed", []Statement{with(na("CVE-2023-43804", t1, p("pkg:pypi/urllib3@1.26.5")), StatusFixed)},
			[]*match.Suppression{nil, nil, nil, fixed, nil}},
		{"affectedNeverSuppresses", []Statement{with(na("CVE-2023-43804", t1, p("pkg:pypi/urllib3")), StatusAffected)},
			[]*match.Suppression{nil, nil, nil, nil, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := scanResult()
			n := Apply(res, tc.stmts)
			var got []*match.Suppression
			wantN := 0
			for i, f := range res.Findings {
				got = append(got, f.Suppression)
				if tc.want[i] != nil {
					wantN++
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("suppressions (-want +got):\n%s", diff)
			}
			if n != wantN {
				t.Errorf("Apply = %d, want %d", n, wantN)
			}
		})
	}
}

// TestApplyReplacesIgnore: a VEX statement is a claim about the product and replaces an
// ignore rule's time-limited exception; ApplyIgnores keeps a VEX suppression.
func TestApplyReplacesIgnore(t *testing.T) {
	stmts := []Statement{{VulnID: "CVE-2023-31047", Products: []Product{{PURL: "pkg:pypi/django"}}, Status: StatusFixed, Source: "v.json"}}
	cfg := &Config{Path: ".hallmark.yaml", Ignore: []IgnoreRule{{ID: "CVE-2023-31047", Reason: "r", Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Line: 2}}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := &match.Suppression{Kind: "vex", Status: StatusFixed, Source: "v.json"}

	a := scanResult()
	ApplyIgnores(a, cfg, now)
	Apply(a, stmts)
	b := scanResult()
	Apply(b, stmts)
	if w := ApplyIgnores(b, cfg, now); len(w) != 0 {
		t.Errorf("ApplyIgnores warnings = %q, want none (the rule matched)", w)
	}
	for _, res := range []*match.Result{a, b} {
		if diff := cmp.Diff(want, res.Findings[2].Suppression); diff != "" {
			t.Errorf("suppression (-want +got):\n%s", diff)
		}
	}
}

func TestApplyNil(t *testing.T) {
	if n := Apply(nil, []Statement{{VulnID: "x"}}); n != 0 {
		t.Errorf("Apply(nil) = %d", n)
	}
	res := &match.Result{Findings: []*match.Finding{nil, {ID: "CVE-1", IDs: []string{"CVE-1"}}}}
	if n := Apply(res, []Statement{{VulnID: "CVE-1", Status: StatusFixed, Products: []Product{{PURL: "pkg:npm/a"}}}}); n != 0 {
		t.Errorf("Apply on a finding without package = %d, want 0", n)
	}
}
