package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// The fixtures are results as the matcher would produce them for a small monorepo with a Go
// module and Python requirements, built from real OSV records and KEV entries copied into
// testdata (see testdata/PROVENANCE.md). EPSS figures, reachability and suppressions are
// illustrative: no EPSS snapshot ships with the shared data.

// osvRecord is the part of an OSV record the fixtures read; the vulndb importer does the
// real conversion.
type osvRecord struct {
	ID        string                    `json:"id"`
	Aliases   []string                  `json:"aliases"`
	Summary   string                    `json:"summary"`
	Details   string                    `json:"details"`
	Published time.Time                 `json:"published"`
	Modified  time.Time                 `json:"modified"`
	Severity  []vulndb.Severity         `json:"severity"`
	Refs      []vulndb.Reference        `json:"references"`
	Affected  []osvAffected             `json:"affected"`
	DBSpec    struct{ Severity string } `json:"database_specific"`
}

type osvAffected struct {
	Package struct {
		Ecosystem, Name, PURL string
	} `json:"package"`
	Ranges   []vulndb.Range `json:"ranges"`
	Versions []string       `json:"versions"`
	EcoSpec  struct {
		Imports []vulndb.Import `json:"imports"`
	} `json:"ecosystem_specific"`
}

func loadOSV(t testing.TB, id string) *vulndb.Advisory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "osv", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	a := &vulndb.Advisory{ID: r.ID, Aliases: r.Aliases, Summary: r.Summary, Details: r.Details,
		Severity: r.Severity, References: r.Refs, DatabaseSeverity: strings.ToUpper(r.DBSpec.Severity)}
	if !r.Published.Equal(time.Time{}) {
		a.Published = r.Published
	}
	if !r.Modified.Equal(time.Time{}) {
		a.Modified = r.Modified
	}
	a.Source = "osv:" + r.Affected[0].Package.Ecosystem + "/all.zip"
	for _, af := range r.Affected {
		a.Affected = append(a.Affected, vulndb.Affected{Ecosystem: af.Package.Ecosystem, Name: af.Package.Name,
			PURL: af.Package.PURL, Ranges: af.Ranges, Versions: af.Versions, Imports: af.EcoSpec.Imports})
	}
	return a
}

func loadKEV(t testing.TB, cve string) *vulndb.KEV {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Vulnerabilities []struct {
			CVEID, VendorProject, Product, VulnerabilityName, DateAdded, DueDate, RequiredAction, KnownRansomwareCampaignUse string
		}
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	for _, v := range cat.Vulnerabilities {
		if v.CVEID == cve {
			return &vulndb.KEV{CVE: cve, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
				DateAdded: v.DateAdded, DueDate: v.DueDate, RequiredAction: v.RequiredAction, KnownRansomware: v.KnownRansomwareCampaignUse}
		}
	}
	t.Fatalf("%s not in testdata/kev.json", cve)
	return nil
}

// severityOf computes a finding's severity from the record's CVSS v3 vector, as the matcher
// does, or UNKNOWN when the record has none.
func severityOf(t testing.TB, a *vulndb.Advisory) match.Severity {
	t.Helper()
	for _, s := range a.Severity {
		if s.Type != "CVSS_V3" {
			continue
		}
		var score float64
		var ver string
		switch {
		case strings.HasPrefix(s.Score, "CVSS:3.1/"):
			c, err := gocvss31.ParseVector(s.Score)
			if err != nil {
				t.Fatal(err)
			}
			score, ver = c.BaseScore(), "3.1"
		default:
			c, err := gocvss30.ParseVector(s.Score)
			if err != nil {
				t.Fatal(err)
			}
			score, ver = c.BaseScore(), "3.0"
		}
		r, err := gocvss31.Rating(score)
		if err != nil {
			t.Fatal(err)
		}
		return match.Severity{Level: strings.ToUpper(r), Score: score, Vector: s.Score, Version: ver, Source: "cvss"}
	}
	return match.Severity{Level: match.SeverityUnknown}
}

// fixedFor lists the fixed events of the ranges for the package, ascending as the matcher
// gives them (the fixtures pick the ranges the installed version falls in).
func finding(t testing.TB, p *inventory.Package, id string, fixed []string) *match.Finding {
	t.Helper()
	a := loadOSV(t, id)
	ids := append([]string{a.ID}, a.Aliases...)
	slices.Sort(ids)
	f := &match.Finding{ID: a.ID, IDs: ids, Package: p, Advisories: []*vulndb.Advisory{a},
		Summary: a.Summary, Severity: severityOf(t, a), Fixed: fixed}
	if f.Summary == "" {
		// PYSEC records have details only; the matcher's summary is their first sentence.
		first, _, _ := strings.Cut(a.Details, "\n")
		first, _, _ = strings.Cut(first, ". ")
		f.Summary = strings.TrimSuffix(first, ".")
	}
	return f
}

func prio(rank int, reason string) match.Priority {
	return match.Priority{Rank: rank, Label: "P" + string(rune('0'+rank)), Reason: reason}
}

// fullResult is a scan with every kind of finding: KEV, EPSS, CVSS and unknown severity,
// called / imported / not-imported, a VEX and an ignore suppression, fixes and no fix, a
// long lockfile path, an unreadable file and an unmatched package.
func fullResult(t testing.TB) *match.Result {
	t.Helper()
	xnet := &inventory.Package{Name: "golang.org/x/net", Version: "v0.10.0", Ecosystem: "Go",
		PURL: "pkg:golang/golang.org/x/net@v0.10.0", Locations: []inventory.Location{{Path: "go.mod", Line: 8}},
		Scope: inventory.ScopeDirect, FoundBy: "go/gomod"}
	wazuh := &inventory.Package{Name: "github.com/wazuh/wazuh", Version: "v4.9.0+incompatible", Ecosystem: "Go",
		PURL: "pkg:golang/github.com/wazuh/wazuh@v4.9.0%2Bincompatible", Locations: []inventory.Location{{Path: "go.mod", Line: 12}},
		Scope: inventory.ScopeTransitive, FoundBy: "go/gomod"}
	salt := &inventory.Package{Name: "salt", Version: "3000.1", Ecosystem: "PyPI", PURL: "pkg:pypi/salt@3000.1",
		Locations: []inventory.Location{{Path: "ops/requirements.txt", Line: 3}}, Scope: inventory.ScopeDirect, FoundBy: "python/requirements"}
	airflow := &inventory.Package{Name: "apache-airflow", Version: "2.7.1", Ecosystem: "PyPI", PURL: "pkg:pypi/apache-airflow@2.7.1",
		Locations: []inventory.Location{{Path: "ops/requirements.txt", Line: 1}}, Scope: inventory.ScopeDirect, FoundBy: "python/requirements"}
	atlas := &inventory.Package{Name: "apache-atlas", Version: "0.8.0", Ecosystem: "PyPI", PURL: "pkg:pypi/apache-atlas@0.8.0",
		Locations: []inventory.Location{{Path: "ops/requirements.txt", Line: 2}}, Scope: inventory.ScopeDirect, FoundBy: "python/requirements"}
	portage := &inventory.Package{Name: "portage", Version: "3.0.30", Ecosystem: "PyPI", PURL: "pkg:pypi/portage@3.0.30",
		Locations: []inventory.Location{{Path: "services/legacy-build-tools/packaging/gentoo/overlay/requirements-dev.txt", Line: 7}},
		Scope:     inventory.ScopeDirect, Dev: true, FoundBy: "python/requirements"}
	requests := &inventory.Package{Name: "requests", Version: "2.32.3", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.32.3",
		Locations: []inventory.Location{{Path: "ops/requirements.txt", Line: 4}}, Licenses: []string{"Apache-2.0"},
		Scope: inventory.ScopeDirect, FoundBy: "python/requirements"}
	vendored := &inventory.Package{Name: "libfrobnicate", Version: "0.3", Locations: []inventory.Location{{Path: "third_party/libfrobnicate/VERSION"}}}
	inv := &inventory.Inventory{
		Subject: inventory.Subject{Kind: inventory.KindDirectory, Name: "shop-api",
			Digest: "sha256:5d41402abc4b2a76b9719d911017c592ae1c8e8a7d5f4c3b2a19b8e7d6c5b4a3"},
		Packages:      []*inventory.Package{xnet, wazuh, salt, airflow, atlas, portage, requests, vendored},
		Relationships: []inventory.Relationship{{From: inventory.SubjectRef, To: "x"}},
		Errors:        []inventory.FileError{{Path: "legacy/Pipfile.lock", Extractor: "python/pipfilelock", Message: "invalid character '}' looking for beginning of object key string at line 14"}},
	}
	// Extractor-local ids for the relationship, replaced by Finalize.
	xnet.ID, salt.ID = "x", "s"
	inv.Relationships = append(inv.Relationships, inventory.Relationship{From: inventory.SubjectRef, To: "s"})
	inv.Finalize()

	f2687 := finding(t, xnet, "GO-2024-2687", []string{"0.23.0"})
	f2687.EPSS, f2687.EPSSCVE = &vulndb.EPSS{Score: 0.61734, Percentile: 0.98112}, "CVE-2023-45288"
	f2687.Reachability, f2687.Symbols = match.ReachCalled, []string{"golang.org/x/net/http2.Framer.ReadFrame"}
	f2687.Priority = prio(2, "EPSS 0.62")

	f2102 := finding(t, xnet, "GO-2023-2102", []string{"0.17.0"})
	f2102.EPSS, f2102.EPSSCVE = &vulndb.EPSS{Score: 0.00312, Percentile: 0.70519}, "CVE-2023-39325"
	f2102.Reachability = match.ReachImported
	f2102.Priority = prio(3, "vulnerable package imported, not called")

	f1988 := finding(t, xnet, "GO-2023-1988", []string{"0.13.0"})
	f1988.Reachability = match.ReachNotImported
	f1988.Priority = prio(4, "vulnerable package not imported")
	f1988.Suppression = &match.Suppression{Kind: "vex", Status: "not_affected",
		Justification: "vulnerable_code_not_in_execute_path",
		Statement:     "shop-api never parses HTML with golang.org/x/net/html",
		Source:        "vex/shop-api.openvex.json"}

	fWazuh := finding(t, wazuh, "GO-2025-3459", []string{"4.9.1+incompatible"})
	fWazuh.KEV = loadKEV(t, "CVE-2025-24016")
	fWazuh.Reachability = match.ReachNotImported
	fWazuh.Priority = prio(1, "in CISA KEV")

	var saltFindings []*match.Finding
	for _, c := range []struct{ id, cve, fixed string }{
		{"PYSEC-2020-102", "CVE-2020-11651", "3000.2"},
		{"PYSEC-2020-103", "CVE-2020-11652", "3000.2"},
		{"PYSEC-2020-104", "CVE-2020-16846", "3000.3"},
	} {
		f := finding(t, salt, c.id, []string{c.fixed})
		f.KEV = loadKEV(t, c.cve)
		f.EPSS, f.EPSSCVE = &vulndb.EPSS{Score: 0.97, Percentile: 0.99971}, c.cve
		f.Priority = prio(1, "in CISA KEV")
		saltFindings = append(saltFindings, f)
	}

	fPortage := finding(t, portage, "PYSEC-2024-10", []string{"3.0.47"})
	fPortage.Priority = prio(2, "CVSS 9.8")

	fAtlas := finding(t, atlas, "PYSEC-2017-105", nil)
	fAtlas.EPSS, fAtlas.EPSSCVE = &vulndb.EPSS{Score: 0.00845, Percentile: 0.81}, "CVE-2016-8752"
	fAtlas.Priority = prio(3, "CVSS 7.5")

	fAirflow := finding(t, airflow, "PYSEC-2023-203", []string{"2.7.2"})
	fAirflow.Priority = prio(3, "CVSS 6.5")
	fAirflow.Suppression = &match.Suppression{Kind: "ignore", Status: "ignored",
		Justification: "DAG authors are trusted; upgrade scheduled with the Airflow 2.8 migration",
		Source:        ".hallmark.yaml", Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}

	findings := append([]*match.Finding{fWazuh}, saltFindings...)
	findings = append(findings, f2687, fPortage, f2102, fAtlas, fAirflow, f1988)
	return &match.Result{
		Subject:   inv.Subject,
		Inventory: inv,
		Findings:  findings,
		Upgrades: []match.Upgrade{
			{Package: wazuh, To: "v4.9.1+incompatible", Findings: 1},
			{Package: salt, To: "3000.3", Findings: 3},
			{Package: xnet, To: "v0.23.0", Findings: 2},
			{Package: portage, To: "3.0.47", Findings: 1},
			{Package: atlas, Findings: 1},
		},
		DB: match.DBInfo{Path: "/home/dev/.cache/hallmark/db", BuiltAt: time.Date(2026, 8, 22, 6, 0, 0, 0, time.UTC),
			Sources: []string{"osv:Go/all.zip (4291 records)", "osv:PyPI/all.zip (2661 records)", "kev (1404 entries)"}},
		Warnings:  []string{"the advisory database is 12 days old; run `hallmark db update`"},
		Unmatched: map[string]int{"no ecosystem": 1},
	}
}

// emptyResult is a clean scan: nothing found, nothing odd.
func emptyResult(t testing.TB) *match.Result {
	t.Helper()
	inv := &inventory.Inventory{
		Subject: inventory.Subject{Kind: inventory.KindFile, Name: "requirements.txt",
			Digest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
		Packages: []*inventory.Package{{Name: "requests", Version: "2.32.3", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.32.3",
			Locations: []inventory.Location{{Path: "requirements.txt", Line: 1}}}},
	}
	inv.Finalize()
	return &match.Result{Subject: inv.Subject, Inventory: inv,
		DB: match.DBInfo{BuiltAt: time.Date(2026, 9, 3, 1, 0, 0, 0, time.UTC), Sources: []string{"osv:PyPI/all.zip (2661 records)"}}}
}
