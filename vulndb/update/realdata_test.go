package update

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/vulndb"
)

const sharedVulnDB = "../../../shared/vulndb"

// TestUpdateRealExports serves the real Go and PyPI exports and the real KEV catalog, drops
// the Go download halfway once, and checks that the updated DB holds exactly what importing
// the same files locally gives.
func TestUpdateRealExports(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 7 MB of real exports; skipped in -short mode")
	}
	files := map[string]string{
		"/Go/all.zip":   filepath.Join(sharedVulnDB, "osv/Go/all.zip"),
		"/PyPI/all.zip": filepath.Join(sharedVulnDB, "osv/PyPI/all.zip"),
		"/kev.json":     filepath.Join(sharedVulnDB, "kev/known_exploited_vulnerabilities.json"),
	}
	for _, p := range files {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("real vulnerability data not available (%v); see /work/shared/vulndb/README.md", err)
		}
	}
	s := newOSVServer(t)
	for path, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s.put(path, data)
	}
	s.set("/Go/all.zip", func(o *object) { o.fault = faultDropOnce })
	s.put("/ecosystems.txt", []byte("Go\nPyPI\n"))
	cfg := Config{OSVBaseURL: s.URL, KEVURL: s.URL + "/kev.json", EPSSURL: Disabled, RetryWait: time.Millisecond}

	start := time.Now()
	meta, rep, err := Update(context.Background(), t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("update of Go+PyPI+KEV (%d records) took %v", meta.Records, time.Since(start))
	for _, f := range rep.Files {
		t.Logf("%s: %s, %d bytes, %d attempts, %d resumed", f.URL, f.Status, f.Bytes, f.Attempts, f.Resumed)
		if f.URL == s.URL+"/Go/all.zip" && f.Resumed != 1 {
			t.Errorf("Go export: %d resumes, want 1", f.Resumed)
		}
	}

	start = time.Now()
	local, err := vulndb.Build(context.Background(), t.TempDir(), []vulndb.Input{
		{Path: files["/Go/all.zip"], Kind: "osv"},
		{Path: files["/PyPI/all.zip"], Kind: "osv"},
		{Path: files["/kev.json"], Kind: "kev"},
	}, vulndb.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local import of the same files took %v", time.Since(start))
	type counts struct {
		Records, Packages, KEVs int
		Ecosystems              map[string]int
	}
	want := counts{local.Records, local.Packages, local.KEVs, local.Ecosystems}
	got := counts{meta.Records, meta.Packages, meta.KEVs, meta.Ecosystems}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updated DB differs from a local import (-local +updated):\n%s", diff)
	}
}

// BenchmarkVerifyZipRealGo measures the read-through check on the real Go export (4,291
// records), which every downloaded OSV file goes through before the import.
func BenchmarkVerifyZipRealGo(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedVulnDB, "osv/Go/all.zip"))
	if err != nil {
		b.Skipf("real vulnerability data not available: %v", err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := verifyZip(context.Background(), bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
