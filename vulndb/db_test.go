package vulndb

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildFromTestdata(t *testing.T) {
	dir := t.TempDir()
	zipPath := testZip(t, t.TempDir(), true)
	m := mustBuild(t, dir, []Input{{Path: zipPath}}, BuildOptions{})

	src := m.Sources[0]
	if src.Name != "osv:test/all.zip" || src.Kind != "osv" {
		t.Errorf("source = %q/%q, want osv:test/all.zip/osv", src.Name, src.Kind)
	}
	// 6 good records, one withdrawn in the past; the future withdrawal is kept.
	if src.Records != 5 || src.Withdrawn != 1 || src.Skipped != 6 {
		t.Errorf("records/withdrawn/skipped = %d/%d/%d, want 5/1/6", src.Records, src.Withdrawn, src.Skipped)
	}
	wantSkips := map[string]string{
		"bad-json.json":         "invalid JSON",
		"missing-id.json":       `missing "id"`,
		"no-package.json":       "affected[0]: package name and ecosystem are required",
		"two-fields-event.json": "events[0]: want exactly one",
		"empty-event.json":      "events[0]: want exactly one",
		"bad-time.json":         `"modified": not an RFC 3339 time`,
	}
	got := map[string]string{}
	for _, s := range src.SkippedSamples {
		got[s.Entry] = s.Reason
	}
	for entry, want := range wantSkips {
		if !strings.Contains(got[entry], want) {
			t.Errorf("skip of %s: reason %q, want it to contain %q", entry, got[entry], want)
		}
	}
	if diff := cmp.Diff(map[string]int{"PyPI": 2, "Go": 1, "npm": 1, "Debian:12": 1}, m.Ecosystems); diff != "" {
		t.Errorf("Ecosystems (-want +got):\n%s", diff)
	}
	if m.Records != 5 || m.Packages != 5 {
		t.Errorf("Records, Packages = %d, %d; want 5, 5", m.Records, m.Packages)
	}

	db := mustOpen(t, dir)
	if diff := cmp.Diff(*m, db.Meta()); diff != "" {
		t.Errorf("Open's Meta differs from Build's (-build +open):\n%s", diff)
	}
	for _, tc := range []struct {
		name, eco, pkg string
		want           []string
	}{
		{"npm-exact", "npm", "left-pad", []string{"GHSA-test-0000-0001"}},
		{"npm-case-insensitive", "npm", "LEFT-PAD", []string{"GHSA-test-0000-0001"}},
		{"pypi-pep503", "PyPI", "Products.PluggableAuthService", []string{"GHSA-p44j-xrqg-4xrr"}},
		{"pypi-underscores", "PyPI", "products__pluggableauthservice", []string{"GHSA-p44j-xrqg-4xrr"}},
		{"pypi-lower", "PyPI", "aubio", []string{"PYSEC-2018-62"}},
		{"go-stdlib", "Go", "stdlib", []string{"GO-2021-0159"}},
		{"go-case-sensitive", "Go", "Stdlib", []string{}},
		{"release-exact", "Debian:12", "node-left-pad", []string{"GHSA-test-0000-0001"}},
		{"release-needed", "Debian", "node-left-pad", []string{}},
		{"withdrawn-gone", "RubyGems", "activesupport", []string{}},
		{"unknown-ecosystem", "Cobol", "x", []string{}},
		{"empty", "", "", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(t, db, tc.eco, tc.pkg)); diff != "" {
				t.Errorf("Lookup(%q, %q) (-want +got):\n%s", tc.eco, tc.pkg, diff)
			}
		})
	}

	as, err := db.Lookup("npm", "left-pad")
	if err != nil {
		t.Fatal(err)
	}
	want := &Advisory{
		ID:               "GHSA-test-0000-0001",
		Aliases:          []string{"CVE-2024-99999"},
		Summary:          "Hand-written record: several affected entries, database severities, future withdrawal",
		Details:          "Covers what the real files in this directory do not.",
		Published:        time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC),
		Modified:         time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC),
		DatabaseSeverity: "MODERATE",
		Affected: []Affected{
			{Ecosystem: "npm", Name: "Left-Pad", PURL: "pkg:npm/left-pad",
				Severity:         []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
				Ranges:           []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}, {Fixed: "1.3.0"}}}},
				DatabaseSeverity: "HIGH"},
			{Ecosystem: "npm", Name: "left-pad",
				Ranges:   []Range{{Type: "SEMVER", Events: []Event{{Introduced: "2.0.0"}, {LastAffected: "2.1.0"}, {Limit: "3.0.0"}}}},
				Versions: []string{"2.0.0", "2.1.0"}},
			{Ecosystem: "Debian:12", Name: "node-left-pad",
				Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: "1.3.0-1"}}}}},
		},
		Source: "osv:test/all.zip",
	}
	if diff := cmp.Diff([]*Advisory{want}, as); diff != "" {
		t.Errorf("stored record (-want +got):\n%s", diff)
	}
	again, _ := db.Lookup("Debian:12", "node-left-pad")
	if len(again) != 1 || again[0] != as[0] {
		t.Error("a record reached through two keys was decoded twice (not the cached pointer)")
	}

	gos, _ := db.Lookup("Go", "stdlib")
	wantImports := []Import{{Path: "net/http", Symbols: []string{"CanonicalMIMEHeaderKey", "body.readLocked",
		"canonicalMIMEHeaderKey", "chunkWriter.writeHeader", "fixLength", "fixTransferEncoding", "readTransfer",
		"transferWriter.shouldSendContentLength", "validHeaderFieldByte"}}}
	if diff := cmp.Diff(wantImports, gos[0].Affected[0].Imports); diff != "" {
		t.Errorf("Go imports (-want +got):\n%s", diff)
	}
	if !gos[0].Modified.IsZero() || len(gos[0].References) != 11 {
		t.Errorf("GO-2021-0159: modified %v (want zero), %d references (want 11)", gos[0].Modified, len(gos[0].References))
	}
	if err := db.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestKEVAndEPSS(t *testing.T) {
	dir := t.TempDir()
	gz := filepath.Join(t.TempDir(), "epss.csv.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	raw, _ := os.ReadFile("testdata/epss.csv")
	zw.Write(raw)
	zw.Close()
	os.WriteFile(gz, buf.Bytes(), 0o644)

	for _, tc := range []struct{ name, epss string }{{"plain", "testdata/epss.csv"}, {"gzip", gz}} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}, {Path: tc.epss}}, BuildOptions{Replace: true})
			if m.KEVs != 2 || m.EPSSScores != 4 {
				t.Errorf("KEVs, EPSSScores = %d, %d; want 2, 4", m.KEVs, m.EPSSScores)
			}
			kev, epss := m.Sources[0], m.Sources[1]
			if kev.CatalogVersion != "2025.08.25" || kev.Released != "2025-08-25T17:04:19.9796Z" || kev.Skipped != 1 {
				t.Errorf("KEV source = %+v", kev)
			}
			if epss.ModelVersion != "v2025.03.14" || epss.ScoreDate != "2025-08-25T12:55:00+0000" || epss.Records != 4 {
				t.Errorf("EPSS source = %+v", epss)
			}
			db := mustOpen(t, dir)
			k, ok := db.KEV("CVE-2021-44228")
			wantK := &KEV{CVE: "CVE-2021-44228", VendorProject: "Apache", Product: "Log4j2",
				Name: "Apache Log4j2 Remote Code Execution Vulnerability", DateAdded: "2021-12-10", DueDate: "2021-12-24",
				RequiredAction: "Apply updates per vendor instructions.", KnownRansomware: "Known"}
			if diff := cmp.Diff(wantK, k); !ok || diff != "" {
				t.Errorf("KEV(CVE-2021-44228) ok=%v (-want +got):\n%s", ok, diff)
			}
			for _, miss := range []string{"CVE-2021-44229", "CVE-21-1", "", "GHSA-xxxx"} {
				if _, ok := db.KEV(miss); ok {
					t.Errorf("KEV(%q) found", miss)
				}
			}
			for cve, want := range map[string]*EPSS{
				"CVE-2021-44228":   {Score: 0.94358, Percentile: 0.99961},
				"CVE-1999-0001":    {Score: 0.01297, Percentile: 0.79127},
				"CVE-2023-1234567": {Score: 0.5, Percentile: 0.9},
				"CVE-2023-1234":    nil,
			} {
				got, ok := db.EPSS(cve)
				if diff := cmp.Diff(want, got); diff != "" || ok != (want != nil) {
					t.Errorf("EPSS(%s) ok=%v (-want +got):\n%s", cve, ok, diff)
				}
			}
		})
	}
}

func TestReplaceAndKeepSources(t *testing.T) {
	dir := t.TempDir()
	zipPath := testZip(t, t.TempDir(), false)
	in := Input{Path: zipPath, Name: "osv:test", Origin: "https://example.test/all.zip", ETag: `"abc"`}
	mustBuild(t, dir, []Input{in}, BuildOptions{})
	before := mustOpen(t, dir)
	want, _ := before.Lookup("npm", "left-pad")

	m := mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{})
	if diff := cmp.Diff([]string{"osv:test", "kev"}, sourceNames(*m)); diff != "" {
		t.Errorf("after adding KEV, sources (-want +got):\n%s", diff)
	}
	if m.Records != 5 || m.KEVs != 2 || m.Sources[0].ETag != `"abc"` || m.Sources[0].Origin != in.Origin {
		t.Errorf("after adding KEV: records %d, KEVs %d, kept source %+v", m.Records, m.KEVs, m.Sources[0])
	}
	m = mustBuild(t, dir, []Input{{Path: "testdata/epss.csv"}}, BuildOptions{})
	if m.Records != 5 || m.KEVs != 2 || m.EPSSScores != 4 {
		t.Errorf("after adding EPSS: %d records, %d KEVs, %d EPSS", m.Records, m.KEVs, m.EPSSScores)
	}
	db := mustOpen(t, dir)
	got, err := db.Lookup("npm", "left-pad")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a kept record changed (-before +after):\n%s", diff)
	}

	// Re-importing a source by name replaces its records instead of adding to them.
	small := writeZip(t, filepath.Join(t.TempDir(), "x", "all.zip"), map[string][]byte{
		"PYSEC-2018-62.json": readDir(t, "testdata/osv")["PYSEC-2018-62.json"]})
	m = mustBuild(t, dir, []Input{{Path: small, Name: "osv:test"}}, BuildOptions{})
	if diff := cmp.Diff([]string{"kev", "epss", "osv:test"}, sourceNames(*m)); diff != "" {
		t.Errorf("after re-import, sources (-want +got):\n%s", diff)
	}
	if m.Records != 1 || m.KEVs != 2 || m.EPSSScores != 4 || m.Sources[2].ETag != "" {
		t.Errorf("after re-import: %d records (want 1), %d KEVs, %d EPSS, source %+v", m.Records, m.KEVs, m.EPSSScores, m.Sources[2])
	}
	db2 := mustOpen(t, dir)
	if diff := cmp.Diff([]string{}, ids(t, db2, "npm", "left-pad")); diff != "" {
		t.Errorf("record of the replaced source still found: %s", diff)
	}
	if diff := cmp.Diff([]string{"PYSEC-2018-62"}, ids(t, db2, "PyPI", "aubio")); diff != "" {
		t.Errorf("re-imported record (-want +got):\n%s", diff)
	}

	m = mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{Replace: true})
	if diff := cmp.Diff([]string{"kev"}, sourceNames(*m)); diff != "" || m.Records != 0 || m.EPSSScores != 0 {
		t.Errorf("Replace kept other sources: %v, %d records, %d EPSS", sourceNames(*m), m.Records, m.EPSSScores)
	}
}

func TestInputsDirFileAndDetection(t *testing.T) {
	tree := t.TempDir()
	files := readDir(t, "testdata/osv")
	for name, b := range files {
		sub := filepath.Join(tree, "vulns", strings.SplitN(name, "-", 2)[0])
		os.MkdirAll(sub, 0o755)
		os.WriteFile(filepath.Join(sub, name), b, 0o644)
	}
	os.WriteFile(filepath.Join(tree, "vulns", "README.md"), []byte("not a record"), 0o644)
	extra := filepath.Join(t.TempDir(), "extra.json")
	os.WriteFile(extra, []byte(`{"id": "A-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "Aubio"}}]}`), 0o644)
	dir := t.TempDir()
	m := mustBuild(t, dir, []Input{
		{Path: filepath.Join(tree, "vulns")},
		{Path: "testdata/osv/PYSEC-2018-62.json"},
		{Path: extra, Kind: "osv", Name: "extra"},
	}, BuildOptions{})
	if diff := cmp.Diff([]string{"osv:vulns", "osv:osv/PYSEC-2018-62.json", "extra"}, sourceNames(*m)); diff != "" {
		t.Errorf("derived names (-want +got):\n%s", diff)
	}
	if m.Sources[0].Records != 5 || m.Sources[0].Withdrawn != 1 || m.Sources[1].Records != 1 || m.Sources[2].Records != 1 {
		t.Errorf("sources = %+v", m.Sources)
	}
	db := mustOpen(t, dir)
	// The same record from two sources is found once per source; results are ordered by id.
	if diff := cmp.Diff([]string{"A-1", "PYSEC-2018-62", "PYSEC-2018-62"}, ids(t, db, "PyPI", "aubio")); diff != "" {
		t.Errorf("Lookup across sources (-want +got):\n%s", diff)
	}
	as, _ := db.Lookup("PyPI", "aubio")
	if as[1].Source == as[2].Source {
		t.Errorf("both copies claim source %s", as[1].Source)
	}

	for _, tc := range []struct {
		name, path, kind, wantErr string
	}{
		{"kev-as-osv", "testdata/kev.json", "osv", "imported as osv but looks like kev"},
		{"epss-as-kev", "testdata/epss.csv", "kev", "imported as kev but looks like epss"},
		{"text", "testdata/PROVENANCE.md", "", "not an OSV export, KEV catalog or EPSS CSV"},
		{"missing", "testdata/nope.zip", "", "no such file"},
		{"bad-kind", "testdata/kev.json", "nvd", `unknown kind "nvd"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), t.TempDir(), []Input{{Path: tc.path, Kind: tc.kind}}, BuildOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("err = %v, want it to name %s and say %q", err, tc.path, tc.wantErr)
			}
		})
	}
	if _, err := Build(context.Background(), t.TempDir(), []Input{{Path: "testdata/kev.json"}, {Path: "testdata/kev.json"}}, BuildOptions{}); err == nil {
		t.Error("two inputs with one name accepted")
	}
}

func TestMalformedInputLeavesDBUntouched(t *testing.T) {
	dir := t.TempDir()
	good := testZip(t, t.TempDir(), false)
	mustBuild(t, dir, []Input{{Path: good}}, BuildOptions{})
	index := filepath.Join(dir, indexFile)
	before, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	work := t.TempDir()
	truncated := filepath.Join(work, "truncated.zip")
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)
	garbage := filepath.Join(work, "garbage.zip")
	os.WriteFile(garbage, append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xA5}, 4000)...), 0o644)
	// Flip a byte inside the first entry's compressed data: the entry fails its CRC or inflate.
	flipped := filepath.Join(work, "flipped.zip")
	f := bytes.Clone(raw)
	f[30+len("GHSA-35c4-f3rq-f9g3.json")+40] ^= 0xFF
	os.WriteFile(flipped, f, 0o644)
	badEPSS := filepath.Join(work, "epss.csv")
	os.WriteFile(badEPSS, []byte("#model_version:v1\ncve,score\nCVE-2020-0001,0.1\n"), 0o644)
	badKEV := filepath.Join(work, "kev.json")
	os.WriteFile(badKEV, []byte(`{"catalogVersion": "1", "vulnerabilities": {"x": 1}}`), 0o644)

	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"truncated-zip", Input{Path: truncated}},
		{"garbage-zip", Input{Path: garbage}},
		{"flipped-zip", Input{Path: flipped}},
		{"epss-header", Input{Path: badEPSS, Kind: "epss"}},
		{"kev-shape", Input{Path: badKEV, Kind: "kev", Name: "kev2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), dir, []Input{{Path: "testdata/kev.json"}, tc.in}, BuildOptions{Now: testNow})
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.in.Path) {
				t.Fatalf("err = %v, want ErrMalformed naming %s", err, tc.in.Path)
			}
			t.Log(err)
			after, err := os.ReadFile(index)
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("index changed by a failed build (err %v)", err)
			}
			if left := tmpFiles(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestCancelLeavesDBUntouched(t *testing.T) {
	dir := t.TempDir()
	mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{})
	index := filepath.Join(dir, indexFile)
	before, _ := os.ReadFile(index)
	many := map[string][]byte{}
	rec := readDir(t, "testdata/osv")["PYSEC-2018-62.json"]
	for i := range 5000 {
		id := []byte("PYSEC-2018-62\"")
		many[strings.Repeat("x", i%7)+string(rune('a'+i%26))+strconv.Itoa(i)+".json"] = bytes.Replace(rec, id, []byte("PYSEC-2018-"+strconv.Itoa(i)+"\""), 1)
	}
	big := writeZip(t, filepath.Join(t.TempDir(), "big", "all.zip"), many)

	ctx, cancel := context.WithCancel(context.Background())
	reports := 0
	_, err := Build(ctx, dir, []Input{{Path: big}}, BuildOptions{Now: testNow, Progress: func(p Progress) {
		reports++
		if !p.Done && p.Records > 0 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if reports == 0 {
		t.Error("no progress reported")
	}
	after, _ := os.ReadFile(index)
	if !bytes.Equal(before, after) {
		t.Error("index changed by a cancelled build")
	}
	if left := tmpFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := Open(empty)
	if !errors.Is(err, ErrNoDB) || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), `"hallmark db import PATH…" (offline)`) {
		t.Errorf("Open(empty dir) = %v, want ErrNoDB naming the dir and the commands", err)
	}

	dir := t.TempDir()
	mustBuild(t, dir, []Input{{Path: testZip(t, t.TempDir(), false)}, {Path: "testdata/kev.json"}, {Path: "testdata/epss.csv"}}, BuildOptions{})
	good, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	put64 := func(b []byte, off int, v uint64) []byte {
		for i := range 8 {
			b[off+i] = byte(v >> (8 * i))
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 256-byte header"},
		{"truncated-header", good[:100], "shorter than the 256-byte header"},
		{"truncated-body", good[:len(good)-10], "lies outside"},
		{"bad-magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"future-version", mutate(func(b []byte) []byte { b[8] = 2; return b }), "format version 2"},
		{"section-offset", mutate(func(b []byte) []byte { return put64(b, sectionTab+16*secRecords, uint64(len(b))+1) }), "lies outside"},
		{"section-length", mutate(func(b []byte) []byte { return put64(b, sectionTab+16*secEPSS+8, 1<<62) }), "lies outside"},
		{"partial-row", mutate(func(b []byte) []byte { return put64(b, sectionTab+16*secKeys+8, 15) }), "partial row"},
		{"meta-garbage", mutate(func(b []byte) []byte { b[int(u64(b[sectionTab+16*secMeta:]))] = '!'; return b }), "meta section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, indexFile), tc.data, 0o644)
			db, err := Open(d)
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "hallmark db update") {
				t.Errorf("Open = %v, want ErrCorrupt saying %q and how to rebuild", err, tc.want)
			}
		})
	}

	// A flipped byte in a record passes Open (which reads only the header and metadata) but
	// not Verify, and Lookup reports it instead of panicking or returning a wrong record.
	d := t.TempDir()
	bad := bytes.Clone(good)
	bad[headerSize+3] ^= 0xFF
	os.WriteFile(filepath.Join(d, indexFile), bad, 0o644)
	db := mustOpen(t, d)
	if err := db.Verify(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Verify = %v, want ErrCorrupt checksum mismatch", err)
	}
	var lookupErr error
	for _, k := range [][2]string{{"PyPI", "aubio"}, {"Go", "stdlib"}, {"npm", "left-pad"}, {"PyPI", "products-pluggableauthservice"}} {
		if _, err := db.Lookup(k[0], k[1]); err != nil {
			lookupErr = err
		}
	}
	if !errors.Is(lookupErr, ErrCorrupt) {
		t.Errorf("Lookup over a damaged record: err = %v, want ErrCorrupt", lookupErr)
	}
}

func TestReaderSurvivesSwap(t *testing.T) {
	dir := t.TempDir()
	mustBuild(t, dir, []Input{{Path: testZip(t, t.TempDir(), false)}}, BuildOptions{})
	old := mustOpen(t, dir)
	if got := ids(t, old, "npm", "left-pad"); len(got) != 1 {
		t.Fatalf("before swap: %v", got)
	}
	mustBuild(t, dir, []Input{{Path: "testdata/osv/PYSEC-2018-62.json"}}, BuildOptions{Replace: true})

	// The old handle reads records it never read before from its old mapping.
	if diff := cmp.Diff([]string{"GO-2021-0159"}, ids(t, old, "Go", "stdlib")); diff != "" {
		t.Errorf("old handle after swap (-want +got):\n%s", diff)
	}
	if err := old.Verify(); err != nil {
		t.Errorf("old handle Verify after swap: %v", err)
	}
	cur := mustOpen(t, dir)
	if diff := cmp.Diff([]string{}, ids(t, cur, "Go", "stdlib")); diff != "" {
		t.Errorf("new handle (-want +got):\n%s", diff)
	}

	// Readers hammering the old handle while builds swap files underneath.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 1)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := cur.Lookup("PyPI", "aubio"); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				cur.KEV("CVE-2021-44228")
			}
		}()
	}
	for range 3 {
		mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{})
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Errorf("concurrent Lookup: %v", err)
	default:
	}
}

func TestConcurrentBuildsSerialise(t *testing.T) {
	dir := t.TempDir()
	z := testZip(t, t.TempDir(), false)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	inputs := [][]Input{{{Path: z}}, {{Path: "testdata/kev.json"}}, {{Path: "testdata/epss.csv"}}}
	for i := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Build(context.Background(), dir, inputs[i], BuildOptions{Now: testNow})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("build %d: %v", i, err)
		}
	}
	db := mustOpen(t, dir)
	m := db.Meta()
	if len(m.Sources) != 3 || m.Records != 5 || m.KEVs != 2 || m.EPSSScores != 4 {
		t.Errorf("after three concurrent builds: sources %v, %d records, %d KEVs, %d EPSS", sourceNames(m), m.Records, m.KEVs, m.EPSSScores)
	}
	if err := db.Verify(); err != nil {
		t.Error(err)
	}

	unlock, err := lockDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Build(ctx, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{})
	if err == nil || !strings.Contains(err.Error(), "another build holds") {
		t.Errorf("Build while locked = %v, want a lock error", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("HALLMARK_DB", "/srv/hallmark-db")
	if d, err := DefaultDir(); err != nil || d != "/srv/hallmark-db" {
		t.Errorf("with HALLMARK_DB: %q, %v", d, err)
	}
	t.Setenv("HALLMARK_DB", "")
	t.Setenv("XDG_CACHE_HOME", "/tmp/cache-home")
	t.Setenv("HOME", "/tmp/home")
	d, err := DefaultDir()
	c, _ := os.UserCacheDir()
	if err != nil || d != filepath.Join(c, "hallmark", "db") {
		t.Errorf("default: %q, %v; want under %s", d, err, c)
	}
}

func TestClosedDB(t *testing.T) {
	dir := t.TempDir()
	mustBuild(t, dir, []Input{{Path: "testdata/kev.json"}}, BuildOptions{})
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lookup("npm", "x"); err == nil {
		t.Error("Lookup after Close succeeded")
	}
	if _, ok := db.KEV("CVE-2021-44228"); ok {
		t.Error("KEV after Close found an entry")
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
