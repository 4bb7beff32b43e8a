package misconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func realFiles(b *testing.B, dir string) []File {
	b.Helper()
	var files []File
	err := filepath.WalkDir(filepath.Join("testdata", "real", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files = append(files, File{Name: p, Data: data})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// BenchmarkCheckManifests checks the real-world manifests of testdata/real (123 Kubernetes
// objects) in one evaluation, and reports objects (manifests) per second, parsing included.
func BenchmarkCheckManifests(b *testing.B) {
	files := realFiles(b, "kubernetes")
	s := scannerFor(b, "")
	ctx := context.Background()
	objects := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Check(ctx, files, nil)
		if err != nil {
			b.Fatal(err)
		}
		objects += res.Objects
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "manifests/s")
}

// BenchmarkCheckDockerfiles is the same for the real-world Dockerfiles.
func BenchmarkCheckDockerfiles(b *testing.B) {
	files := realFiles(b, "dockerfile")
	s := scannerFor(b, "")
	ctx := context.Background()
	n := 0
	for b.Loop() {
		res, err := s.Check(ctx, files, nil)
		if err != nil {
			b.Fatal(err)
		}
		n += res.Objects
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "dockerfiles/s")
}

// BenchmarkParseManifests is the parsing share of BenchmarkCheckManifests.
func BenchmarkParseManifests(b *testing.B) {
	files := realFiles(b, "kubernetes")
	objects := 0
	for b.Loop() {
		for _, f := range files {
			o, err := ParseManifests(f.Name, f.Data)
			if err != nil {
				b.Fatal(err)
			}
			objects += len(o)
		}
	}
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "manifests/s")
}

// BenchmarkNew is the one-time cost of compiling the rules.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(context.Background(), Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
