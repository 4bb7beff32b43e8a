package vulndb

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseEPSS(t *testing.T) {
	key := func(cve string) uint64 { k, _ := cveKey(cve); return k }
	for _, tc := range []struct {
		name, in  string
		rows      []epssRow
		model     string
		skipped   int
		wantError string
	}{
		{name: "first-format", in: "#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000\ncve,epss,percentile\nCVE-2020-0001,0.1,0.5\n",
			rows: []epssRow{{key("CVE-2020-0001"), 0.1, 0.5}}, model: "v2025.03.14"},
		{name: "no-comment-crlf", in: "cve,epss,percentile\r\nCVE-2020-0001,0.10000,0.50000\r\n",
			rows: []epssRow{{key("CVE-2020-0001"), 0.1, 0.5}}},
		{name: "bad-rows-skipped", in: "cve,epss,percentile\nCVE-2020-0001,0.1\nGHSA-1,0.1,0.1\nCVE-2020-0002,2,0.1\nCVE-2020-0003,x,0.1\nCVE-2020-0004,0.2,0.3\n",
			rows: []epssRow{{key("CVE-2020-0004"), 0.2, 0.3}}, skipped: 4},
		{name: "empty", in: "", wantError: "no \"cve,epss,percentile\" header"},
		{name: "wrong-header", in: "cve,score\n", wantError: `header is "cve,score"`},
		{name: "nan", in: "cve,epss,percentile\nCVE-2020-0001,NaN,0.1\n", skipped: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parseEPSS(strings.NewReader(tc.in))
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("err = %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.rows, res.rows, cmp.AllowUnexported(epssRow{})); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if res.modelVersion != tc.model || res.bad != tc.skipped || len(res.skipped) != tc.skipped {
				t.Errorf("model %q, skipped %d (%v); want %q, %d", res.modelVersion, res.bad, res.skipped, tc.model, tc.skipped)
			}
		})
	}
}

func TestParseKEV(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		cves      []string
		skipped   int
		wantError string
	}{
		{name: "ok", in: `{"catalogVersion":"1","dateReleased":"x","count":1,"vulnerabilities":[{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10"}]}`, cves: []string{"CVE-2021-44228"}},
		{name: "bad-entries", in: `{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-21-1","dateAdded":"2021-12-10"},{"cveID":"CVE-2021-0001","dateAdded":"10/12/2021"}]}`, skipped: 2},
		{name: "empty-catalog", in: `{"catalogVersion":"1","vulnerabilities":[]}`},
		{name: "osv-record", in: `{"id":"GHSA-1","affected":[]}`, wantError: "catalogVersion"},
		{name: "array", in: `[]`, wantError: "not a KEV catalog"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parseKEV([]byte(tc.in))
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("err = %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cves []string
			for _, k := range res.entries {
				cves = append(cves, k.CVE)
			}
			if diff := cmp.Diff(tc.cves, cves); diff != "" || len(res.skipped) != tc.skipped {
				t.Errorf("cves (-want +got):\n%s\nskipped %v, want %d", diff, res.skipped, tc.skipped)
			}
		})
	}
}

func TestParseOSVWithdrawnAndSeverity(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, in  string
		withdrawn bool
		dbsev     string
		wantError string
	}{
		{name: "past", in: `{"id":"X-1","withdrawn":"2023-12-31T23:59:59Z"}`, withdrawn: true},
		{name: "exactly-now", in: `{"id":"X-1","withdrawn":"2024-01-01T00:00:00Z"}`, withdrawn: true},
		{name: "future", in: `{"id":"X-1","withdrawn":"2024-01-01T00:00:01Z"}`},
		{name: "bad-withdrawn", in: `{"id":"X-1","withdrawn":"soon"}`, wantError: `"withdrawn"`},
		{name: "dbsev-string", in: `{"id":"X-1","database_specific":{"severity":" critical "}}`, dbsev: "CRITICAL"},
		{name: "dbsev-object-ignored", in: `{"id":"X-1","database_specific":{"severity":{"x":1}}}`},
		{name: "go-imports-wrong-shape", in: `{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ecosystem_specific":{"imports":"x"}}]}`, wantError: "ecosystem_specific.imports"},
		{name: "other-imports-ignored", in: `{"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"m"},"ecosystem_specific":{"imports":"x"}}]}`},
		{name: "severity-without-score", in: `{"id":"X-1","severity":[{"type":"CVSS_V3"}]}`, wantError: "severity[0]"},
		{name: "reference-without-url", in: `{"id":"X-1","references":[{"type":"WEB"}]}`, wantError: "references[0]"},
		{name: "range-without-type", in: `{"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"m"},"ranges":[{"events":[{"introduced":"0"}]}]}]}`, wantError: "missing type"},
		{name: "not-an-object", in: `[1,2]`, wantError: "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseOSV([]byte(tc.in), now)
			switch {
			case tc.withdrawn:
				if !errors.Is(err, errWithdrawn) {
					t.Errorf("err = %v, want withdrawn", err)
				}
			case tc.wantError != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Errorf("err = %v, want %q", err, tc.wantError)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case a.DatabaseSeverity != tc.dbsev:
				t.Errorf("DatabaseSeverity = %q, want %q", a.DatabaseSeverity, tc.dbsev)
			}
		})
	}
}

func TestCVEKey(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"CVE-2021-44228", true}, {"cve-2021-44228", true}, {"CVE-1999-0001", true}, {"CVE-2024-1234567", true},
		{"CVE-21-1", false}, {"CVE-2021-123", false}, {"CVE-2021-12a4", false}, {"GHSA-2021-1234", false},
		{"CVE-2021-99999999999999999", false}, {"", false},
	} {
		if _, ok := cveKey(tc.in); ok != tc.ok {
			t.Errorf("cveKey(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
	}
	a, _ := cveKey("CVE-2020-9999")
	b, _ := cveKey("CVE-2021-0001")
	c, _ := cveKey("CVE-2021-10000")
	if !(a < b && b < c) {
		t.Error("cveKey does not sort by year, then number")
	}
}
