package npmlock

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract compares this extractor with osv-scalibr's on a real 2,440-entry lockfile:
//
//	go test ./inventory/npmlock -run '^$' -bench Extract -benchtime 5x
func BenchmarkExtract(b *testing.B) {
	p := filepath.Join("..", "..", "testdata", "scan", "npm-2000", "package-lock.json")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	ours, theirs := newExtractors(b)
	l := lockfile{dir: b.TempDir(), base: "package-lock.json"}
	for _, e := range []struct {
		name string
		run  func() (int, error)
	}{
		{"hallmark", func() (int, error) { p, err := run(ours, l, data); return len(p), err }},
		{"scalibr", func() (int, error) { p, err := run(theirs, l, data); return len(p), err }},
	} {
		b.Run(e.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				n, err := e.run()
				if err != nil || n < 2000 {
					b.Fatalf("%d packages, %v", n, err)
				}
			}
		})
	}
}
