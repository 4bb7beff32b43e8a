package vex

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, that every error is an ErrInvalid naming the
// document, and that every statement it returns is complete: an id, a known status, and at
// least one product. Seeds: every document under testdata.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	more, _ := filepath.Glob("testdata/*/*.xml")
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": "CVE-1", "products": ["pkg:npm/a"], "status": "fixed"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		stmts, err := Decode("fuzz.json", bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %q is not ErrInvalid", err)
			}
			if !bytes.HasPrefix([]byte(err.Error()), []byte("fuzz.json: ")) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(stmts) == 0 {
			t.Fatal("no error and no statements")
		}
		for i, s := range stmts {
			switch s.Status {
			case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
			default:
				t.Fatalf("statement %d: status %q", i, s.Status)
			}
			if s.VulnID == "" || len(s.Products) == 0 || s.Source != "fuzz.json" {
				t.Fatalf("statement %d incomplete: %+v", i, s)
			}
		}
		Apply(scanResult(), stmts) // matching must not panic on any decoded statement either
	})
}

// FuzzLoadConfig checks that the ignore-file parser never panics, that errors are
// ErrBadConfig, and that every rule it returns has an id, a reason, an expiry and a line.
func FuzzLoadConfig(f *testing.F) {
	seed, err := os.ReadFile("testdata/config/hallmark.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		"", "ignore:\n", "ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-31T00:00:00Z\n",
		"ignore:\n  - id: &a x\n    reason: *a\n", "ignore: [{id: a, reason: b, expires: 2027-01-01, package: 'pkg:npm/%40a/b'}]\n",
		"a: b\n---\nc\n", "ignore:\n  - !!binary aGk=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := parseConfig(".hallmark.yaml", b)
		if err != nil {
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %q is not ErrBadConfig", err)
			}
			return
		}
		for i, r := range cfg.Ignore {
			if r.ID == "" || r.Reason == "" || r.Expires.IsZero() || r.Line <= 0 {
				t.Fatalf("rule %d incomplete: %+v", i, r)
			}
		}
		ApplyIgnores(scanResult(), cfg, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}
