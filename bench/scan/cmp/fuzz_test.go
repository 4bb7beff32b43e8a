package main

import (
	"bytes"
	"os"
	"testing"
)

// The parsers read tool output and a hand-edited file: whatever they are given, they return
// a scan or an error, and a scan they return compares without panicking.

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseOSVScanner(f *testing.F) {
	addSeeds(f, "testdata/osv-scanner.json", "testdata/hallmark.json")
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},"groups":[{"ids":["X"],"aliases":["X","Y"]}],"vulnerabilities":[{"id":"X"}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseOSVScanner(bytes.NewReader(b))
		if err != nil {
			return
		}
		compare(s, s)
	})
}

func FuzzParseHallmark(f *testing.F) {
	addSeeds(f, "testdata/hallmark.json", "testdata/osv-scanner.json")
	f.Add([]byte(`{"findings":[{"ids":["A"],"package":{"name":"x","version":"v1","purl":"pkg:golang/x@v1"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseHallmark(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range compare(s, scan{}) {
			if c.Kind != kindOnlyHallmark {
				t.Fatalf("component of hallmark alone has kind %s", c.Kind)
			}
		}
	})
}

func FuzzParseKnown(f *testing.F) {
	addSeeds(f, "testdata/known.txt", "../known-differences.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		known, err := parseKnown(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for _, kd := range known {
			if kd.Reason == "" || kd.Package.Name == "" && kd.Package.Ecosystem == "" {
				t.Fatalf("accepted an entry without reason or package: %+v", kd)
			}
		}
	})
}
