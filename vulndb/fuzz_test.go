package vulndb

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseOSV(f *testing.F) {
	for _, dir := range []string{"testdata/osv", "testdata/malformed"} {
		for _, b := range readDir(f, dir) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseOSV(data, testNow)
		if err != nil {
			return
		}
		if a.ID == "" {
			t.Fatal("record without id accepted")
		}
		got, err := decodeAdvisory(encodeAdvisory(nil, a))
		if err != nil {
			t.Fatalf("codec: %v", err)
		}
		if !bytes.Equal(encodeAdvisory(nil, got), encodeAdvisory(nil, a)) {
			t.Fatal("codec round trip changed the record")
		}
	})
}

func FuzzDecodeAdvisory(f *testing.F) {
	for _, b := range readDir(f, "testdata/osv") {
		if a, err := parseOSV(b, testNow); err == nil {
			f.Add(encodeAdvisory(nil, a))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeAdvisory(data) // must not panic or allocate beyond the input's size
	})
}

func FuzzParseKEV(f *testing.F) {
	b, _ := os.ReadFile("testdata/kev.json")
	f.Add(b)
	f.Add([]byte(`{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-2021-0001","dateAdded":"2021-01-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseKEV(data)
		if err != nil {
			return
		}
		for _, k := range res.entries {
			if _, ok := cveKey(k.CVE); !ok {
				t.Fatalf("accepted KEV entry with cveID %q", k.CVE)
			}
		}
	})
}

func FuzzParseEPSS(f *testing.F) {
	b, _ := os.ReadFile("testdata/epss.csv")
	f.Add(b)
	f.Add([]byte("cve,epss,percentile\nCVE-2020-0001,1e-3,0.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseEPSS(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range res.rows {
			if !(r.score >= 0 && r.score <= 1 && r.pct >= 0 && r.pct <= 1) {
				t.Fatalf("accepted out-of-range row %+v", r)
			}
		}
	})
}

// FuzzOpenLookup mutates a real index: Open, Lookup, KEV, EPSS and Verify must return errors,
// never panic or read outside the file.
func FuzzOpenLookup(f *testing.F) {
	dir := f.TempDir()
	z := testZip(f, f.TempDir(), false)
	mustBuild(f, dir, []Input{{Path: z}, {Path: "testdata/kev.json"}, {Path: "testdata/epss.csv"}}, BuildOptions{})
	good, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, uint32(0), byte(0))
	f.Add(good, uint32(headerSize+5), byte(0x80))
	f.Add(good, uint32(sectionTab+3), byte(1))
	f.Fuzz(func(t *testing.T, data []byte, at uint32, flip byte) {
		data = bytes.Clone(data)
		if len(data) > 0 {
			data[int(at)%len(data)] ^= flip
		}
		db, err := openBytes("fuzz", data)
		if err != nil {
			return
		}
		defer db.Close()
		for _, k := range [][2]string{{"PyPI", "aubio"}, {"Go", "stdlib"}, {"npm", "left-pad"}, {"Debian:12", "node-left-pad"}, {"PyPI", "products-pluggableauthservice"}, {"x", "y"}} {
			db.Lookup(k[0], k[1])
		}
		db.KEV("CVE-2021-44228")
		db.EPSS("CVE-2021-44228")
		db.Verify()
	})
}
