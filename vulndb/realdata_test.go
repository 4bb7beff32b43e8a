package vulndb

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sharedVulnDB = "../../shared/vulndb"

// requireShared skips when the shared real-data snapshot is not present.
func requireShared(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(sharedVulnDB + "/osv/Go/all.zip"); err != nil {
		t.Skipf("real advisory data not available (%v); it lives in /work/shared/vulndb", err)
	}
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// expectation is computed from the zips with plain encoding/json, independently of parseOSV.
type expectation struct {
	records, withdrawn int
	ecosystems         map[string]int
	keys               map[[2]string][]string // (ecosystem, normalised name) → ids
}

func scanZip(t *testing.T, path string, now time.Time, exp *expectation) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			ID        string `json:"id"`
			Withdrawn string `json:"withdrawn"`
			Affected  []struct {
				Package struct{ Ecosystem, Name string } `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		if rec.Withdrawn != "" {
			if w, err := time.Parse(time.RFC3339, rec.Withdrawn); err == nil && !w.After(now) {
				exp.withdrawn++
				continue
			}
		}
		exp.records++
		ecos := map[string]bool{}
		keys := map[[2]string]bool{}
		for _, a := range rec.Affected {
			name := a.Package.Name
			if a.Package.Ecosystem == "PyPI" {
				name = pep503.ReplaceAllString(strings.ToLower(name), "-")
			}
			ecos[a.Package.Ecosystem] = true
			keys[[2]string{a.Package.Ecosystem, name}] = true
		}
		for e := range ecos {
			exp.ecosystems[e]++
		}
		for k := range keys {
			exp.keys[k] = append(exp.keys[k], rec.ID)
		}
	}
}

func TestRealExports(t *testing.T) {
	requireShared(t)
	goZip, pyZip := sharedVulnDB+"/osv/Go/all.zip", sharedVulnDB+"/osv/PyPI/all.zip"
	kevPath := sharedVulnDB + "/kev/known_exploited_vulnerabilities.json"
	dir := t.TempDir()
	m := mustBuild(t, dir, []Input{{Path: goZip}, {Path: pyZip}, {Path: kevPath}, {Path: "testdata/epss.csv"}}, BuildOptions{})

	exp := map[string]*expectation{}
	total := &expectation{ecosystems: map[string]int{}, keys: map[[2]string][]string{}}
	for _, p := range []string{goZip, pyZip} {
		e := &expectation{ecosystems: map[string]int{}, keys: map[[2]string][]string{}}
		scanZip(t, p, testNow, e)
		scanZip(t, p, testNow, total)
		exp[p] = e
	}
	for i, p := range []string{goZip, pyZip} {
		s := m.Sources[i]
		if s.Records != exp[p].records || s.Withdrawn != exp[p].withdrawn || s.Skipped != 0 {
			t.Errorf("%s: records/withdrawn/skipped = %d/%d/%d, want %d/%d/0 (skips: %v)", s.Name, s.Records, s.Withdrawn, s.Skipped,
				exp[p].records, exp[p].withdrawn, s.SkippedSamples)
		}
	}
	if diff := cmp.Diff(total.ecosystems, m.Ecosystems); diff != "" {
		t.Errorf("Ecosystems (-want +got):\n%s", diff)
	}
	if m.Records != total.records || m.Packages != len(total.keys) {
		t.Errorf("Records, Packages = %d, %d; want %d, %d", m.Records, m.Packages, total.records, len(total.keys))
	}

	db := mustOpen(t, dir)
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"PyPI", "django"}, {"Go", "stdlib"}} {
		if len(total.keys[k]) < 10 {
			t.Fatalf("expected many records for %v in the snapshot, found %d", k, len(total.keys[k]))
		}
	}
	for _, tc := range []struct{ eco, name, key string }{
		{"PyPI", "Django", "django"}, {"PyPI", "django", "django"}, {"PyPI", "DJANGO", "django"},
		{"PyPI", "Pillow", "pillow"}, {"Go", "stdlib", "stdlib"}, {"Go", "golang.org/x/net", "golang.org/x/net"},
	} {
		want := slices.Clone(total.keys[[2]string{tc.eco, tc.key}])
		slices.Sort(want)
		if want == nil {
			want = []string{}
		}
		if diff := cmp.Diff(want, ids(t, db, tc.eco, tc.name)); diff != "" {
			t.Errorf("Lookup(%s, %s) (-want +got):\n%s", tc.eco, tc.name, diff)
		}
	}
	// Every key of the snapshot, against the independent scan.
	for k, want := range total.keys {
		want = slices.Clone(want)
		slices.Sort(want)
		if got := ids(t, db, k[0], k[1]); !slices.Equal(want, got) {
			t.Errorf("Lookup(%s, %s) = %v, want %v", k[0], k[1], got, want)
		}
	}

	var kev struct {
		Vulnerabilities []struct {
			CVEID, VendorProject, Product, VulnerabilityName, DateAdded, DueDate, RequiredAction, KnownRansomwareCampaignUse string
		}
	}
	raw, _ := os.ReadFile(kevPath)
	if err := json.Unmarshal(raw, &kev); err != nil {
		t.Fatal(err)
	}
	if m.KEVs != len(kev.Vulnerabilities) {
		t.Errorf("KEVs = %d, want %d", m.KEVs, len(kev.Vulnerabilities))
	}
	for _, v := range kev.Vulnerabilities {
		got, ok := db.KEV(v.CVEID)
		want := &KEV{CVE: v.CVEID, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
			DateAdded: v.DateAdded, DueDate: v.DueDate, RequiredAction: v.RequiredAction, KnownRansomware: v.KnownRansomwareCampaignUse}
		if diff := cmp.Diff(want, got); !ok || diff != "" {
			t.Errorf("KEV(%s) ok=%v (-want +got):\n%s", v.CVEID, ok, diff)
		}
	}
	if e, ok := db.EPSS("CVE-2021-44228"); !ok || e.Score != 0.94358 {
		t.Errorf("EPSS(CVE-2021-44228) = %v, %v", e, ok)
	}
}

// TestCodecRoundTrip checks that every record survives encodeAdvisory/decodeAdvisory unchanged.
func TestCodecRoundTrip(t *testing.T) {
	check := func(name string, b []byte) {
		a, err := parseOSV(b, testNow)
		if err != nil {
			return
		}
		got, err := decodeAdvisory(encodeAdvisory(nil, a))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("%s: round trip (-parsed +decoded):\n%s", name, diff)
		}
	}
	for n, b := range readDir(t, "testdata/osv") {
		check(n, b)
	}
	if _, err := os.Stat(sharedVulnDB); err != nil {
		t.Logf("real data not available (%v); checked testdata only", err)
		return
	}
	for _, p := range []string{sharedVulnDB + "/osv/Go/all.zip", sharedVulnDB + "/osv/PyPI/all.zip"} {
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			check(f.Name, b)
		}
		zr.Close()
	}
}
