package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDBUpdateCLI runs `hallmark db update` against a local server laid out like the OSV
// bucket, then again (every file unchanged: conditional requests, no rebuild), then scans.
func TestDBUpdateCLI(t *testing.T) {
	files := map[string]string{
		"/osv/Go/all.zip":   fix + "/advisories/osv-Go.zip",
		"/osv/PyPI/all.zip": fix + "/advisories/osv-PyPI.zip",
		"/kev.json":         fix + "/advisories/kev.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(p)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		w.Header().Set("ETag", `"`+filepath.Base(p)+`-1"`)
		http.ServeContent(w, r, p, fi.ModTime(), f)
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "db")
	args := []string{"db", "update", "--db", db, "--osv-url", srv.URL + "/osv", "--ecosystem", "Go", "--ecosystem", "PyPI", "--kev-url", srv.URL + "/kev.json", "--epss-url", "-"}

	out, errOut, code := runCLI(t, args, "")
	if code != 0 {
		t.Fatalf("first update: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"osv:Go/all.zip", "osv:PyPI/all.zip", "kev", srv.URL + "/osv/Go/all.zip"} {
		if !strings.Contains(out, want) {
			t.Errorf("first update output lacks %q:\n%s", want, out)
		}
	}
	before, err := os.ReadFile(filepath.Join(db, "index.hmdb"))
	if err != nil {
		t.Fatal(err)
	}

	out, errOut, code = runCLI(t, args, "")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second update: exit %d, want 0 and \"up to date\"\n%s%s", code, out, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(db, "index.hmdb"))
	if string(before) != string(after) {
		t.Error("an update with nothing changed rewrote the index")
	}

	out, errOut, code = runCLI(t, []string{"scan", "--db", db, fix + "/scan/python/requirements.txt", "--format", "json"}, "")
	if code != 0 || !strings.Contains(out, `"PYSEC-2023-254"`) {
		t.Errorf("scan with the updated database: exit %d\n%s", code, errOut)
	}

	_, errOut, code = runCLI(t, []string{"db", "update", "--db", db, "--osv-url", "ftp://example.com"}, "")
	if code != ExitUsage {
		t.Errorf("bad --osv-url: exit %d, want %d\n%s", code, ExitUsage, errOut)
	}
	_, errOut, code = runCLI(t, []string{"db", "update", "--db", db, "--osv-url", srv.URL + "/osv", "--ecosystem", "NoSuch", "--kev-url", "-", "--epss-url", "-"}, "")
	if code != ExitInternal || !strings.Contains(errOut, "NoSuch") {
		t.Errorf("missing ecosystem: exit %d, want %d naming it\n%s", code, ExitInternal, errOut)
	}
	final, _ := os.ReadFile(filepath.Join(db, "index.hmdb"))
	if string(final) != string(after) {
		t.Error("a failed update changed the database")
	}
}
