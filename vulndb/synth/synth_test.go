package synth

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compile(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readZip returns the entries of an all.zip.
func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		if _, dup := out[f.Name]; dup {
			t.Errorf("%s: duplicate entry %s", path, f.Name)
		}
		out[f.Name] = b
	}
	return out
}

func TestGeneratedRecordsAreValidOSV(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Options{Seed: 7, Records: 4000, Names: map[string][]string{"npm": {"left-pad", "Express"}}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 4000 {
		t.Errorf("Total = %d, want 4000", st.Total)
	}
	osv := compile(t, "testdata/osv-schema.json")
	total, withdrawn, vectors := 0, 0, 0
	forced := map[string]int{}
	prefixes := map[string]bool{}
	for _, ex := range exports {
		entries := readZip(t, filepath.Join(dir, ex.dir, "all.zip"))
		if len(entries) != st.Records[ex.dir] {
			t.Errorf("%s: %d entries, Stats says %d", ex.dir, len(entries), st.Records[ex.dir])
		}
		for name, b := range entries {
			total++
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s/%s: %v", ex.dir, name, err)
			}
			if err := osv.Validate(inst); err != nil {
				t.Errorf("%s/%s does not validate against the OSV schema: %v", ex.dir, name, err)
				continue
			}
			var rec record
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.ID+".json" != name {
				t.Errorf("%s/%s holds id %s", ex.dir, name, rec.ID)
			}
			prefixes[strings.SplitN(rec.ID, "-", 2)[0]] = true
			if rec.Withdrawn != "" {
				withdrawn++
			}
			for _, a := range rec.Affected {
				if ex.dir == "npm" && (a.Package.Name == "left-pad" || a.Package.Name == "Express") {
					forced[a.Package.Name]++
				}
			}
			sevs := rec.Severity
			for _, a := range rec.Affected {
				sevs = append(sevs, a.Severity...)
			}
			for _, s := range sevs {
				var err error
				switch {
				case strings.HasPrefix(s.Score, "CVSS:3.1/"):
					_, err = cvss31.ParseVector(s.Score)
				case strings.HasPrefix(s.Score, "CVSS:4.0/"):
					_, err = cvss40.ParseVector(s.Score)
				case s.Type == "Ubuntu":
					continue
				default:
					t.Errorf("%s: unexpected severity %+v", rec.ID, s)
					continue
				}
				vectors++
				if err != nil {
					t.Errorf("%s: vector %s does not parse: %v", rec.ID, s.Score, err)
				}
			}
		}
	}
	if total != st.Total || withdrawn != st.Withdrawn {
		t.Errorf("read %d records (%d withdrawn), Stats says %d (%d)", total, withdrawn, st.Total, st.Withdrawn)
	}
	if forced["left-pad"] == 0 || forced["Express"] == 0 {
		t.Errorf("forced names not hit: %v", forced)
	}
	if vectors == 0 {
		t.Error("no CVSS vectors generated")
	}
	for _, p := range []string{"MAL", "GHSA", "PYSEC", "GO", "RUSTSEC", "DEBIAN", "DSA", "DLA", "UBUNTU", "ALPINE", "CVE", "SUSE", "RHSA", "ASB", "OSV"} {
		if !prefixes[p] {
			t.Errorf("no %s- record generated", p)
		}
	}
}

func TestKEVValidatesAndEPSSShape(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Options{Seed: 3, Records: 3000})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := compile(t, "testdata/kev-schema.json").Validate(inst); err != nil {
		t.Errorf("kev.json does not validate: %v", err)
	}
	if n := len(inst.(map[string]any)["vulnerabilities"].([]any)); n != st.KEV {
		t.Errorf("kev.json lists %d, Stats says %d", n, st.KEV)
	}
	e, err := os.Open(filepath.Join(dir, "epss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sc := bufio.NewScanner(e)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != st.EPSS+2 || !strings.HasPrefix(lines[0], "#model_version:") || lines[1] != "cve,epss,percentile" {
		t.Errorf("epss.csv: %d lines, head %q", len(lines), lines[:min(2, len(lines))])
	}
}

func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := Generate(d, Options{Seed: 11, Records: 1500}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"npm/all.zip", "Debian/all.zip", "kev.json", "epss.csv"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
	}
	c := t.TempDir()
	if _, err := Generate(c, Options{Seed: 12, Records: 1500}); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "npm/all.zip"))
	y, _ := os.ReadFile(filepath.Join(c, "npm/all.zip"))
	if bytes.Equal(x, y) {
		t.Error("different seeds gave the same npm export")
	}
}

func TestGenerateRejectsUnknownEcosystem(t *testing.T) {
	if _, err := Generate(t.TempDir(), Options{Records: 10, Names: map[string][]string{"Cobol": {"x"}}}); err == nil {
		t.Error("unknown ecosystem in Names accepted")
	}
}
