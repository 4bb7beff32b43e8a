package main

import (
	"context"
	"io"
	"testing"
)

// BenchmarkScanLockfile is `hallmark scan` of the real 2,000-package npm lockfile, in process,
// against the fixture database. The full-size comparison with osv-scanner (520,000 records) is
// bench/scan/speed.sh; this one runs in seconds and catches regressions of the whole path:
// open, extract, look up, match, write JSON.
func BenchmarkScanLockfile(b *testing.B) {
	benchScan(b, fix+"/scan/npm-2000/package-lock.json")
}

// BenchmarkScanRequirements is the same for the 38-pin requirements.txt with 71 findings.
func BenchmarkScanRequirements(b *testing.B) {
	benchScan(b, fix+"/scan/python/requirements.txt")
}

func benchScan(b *testing.B, target string) {
	db := fixtureDB(b)
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	args := []string{"scan", "--db", db, target, "--format", "json", "--quiet"}
	b.ResetTimer()
	for b.Loop() {
		if code := run(context.Background(), args, e); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
