package update

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// fixture serves two small real OSV exports, a trimmed real KEV catalog and a small EPSS
// file the way the public hosts do.
func fixture(t *testing.T) (*osvServer, Config) {
	t.Helper()
	s := newOSVServer(t)
	// Debian:12 is release-scoped and must not be fetched: the server would answer 404.
	s.put("/ecosystems.txt", []byte("Go\nPyPI\nDebian:12\n"))
	s.put("/PyPI/all.zip", zipOf(t, "PyPI", "PYSEC-2018-103", "PYSEC-2021-342", "PYSEC-2023-95"))
	s.put("/Go/all.zip", zipOf(t, "Go", "GO-2020-0001", "GO-2020-0003"))
	kev, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	s.put("/kev.json", kev)
	csv, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csv)
	zw.Close()
	s.put("/epss.csv.gz", gz.Bytes())
	return s, Config{
		OSVBaseURL:   s.URL,
		KEVURL:       s.URL + "/kev.json",
		EPSSURL:      s.URL + "/epss.csv.gz",
		RetryWait:    time.Millisecond,
		StallTimeout: 10 * time.Second,
	}
}

// fileStatus summarises a report as URL path → status.
func fileStatus(s *osvServer, r Report) map[string]string {
	out := map[string]string{}
	for _, f := range r.Files {
		out[strings.TrimPrefix(f.URL, s.URL)] = f.Status
	}
	return out
}

func lookupIDs(t *testing.T, dir, eco, name string) []string {
	t.Helper()
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	advs, err := db.Lookup(eco, name)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range advs {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestUpdateFirstThenNotModified(t *testing.T) {
	s, cfg := fixture(t)
	dir := t.TempDir()
	ctx := context.Background()

	meta, rep, err := Update(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := map[string]string{"/PyPI/all.zip": FileDownloaded, "/Go/all.zip": FileDownloaded,
		"/kev.json": FileDownloaded, "/epss.csv.gz": FileDownloaded}
	if diff := cmp.Diff(wantFirst, fileStatus(s, rep)); diff != "" {
		t.Errorf("first update files (-want +got):\n%s", diff)
	}
	if rep.UpToDate {
		t.Error("first update reported up to date")
	}
	got := map[string]int{"records": meta.Records, "kevs": meta.KEVs, "epss": meta.EPSSScores,
		"PyPI": meta.Ecosystems["PyPI"], "Go": meta.Ecosystems["Go"]}
	want := map[string]int{"records": 5, "kevs": 3, "epss": 4, "PyPI": 3, "Go": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first update meta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PYSEC-2018-103"}, lookupIDs(t, dir, "PyPI", "ymlref")); diff != "" {
		t.Errorf("lookup after update (-want +got):\n%s", diff)
	}
	// The validators of each download are recorded for the next run.
	origins := map[string]vulndb.SourceMeta{}
	for _, src := range meta.Sources {
		origins[src.Origin] = src
	}
	for path, o := range s.objects {
		if path == "/ecosystems.txt" {
			continue
		}
		src, ok := origins[s.URL+path]
		if !ok {
			t.Errorf("no source with origin %s", s.URL+path)
			continue
		}
		if src.ETag != o.etag || src.LastModified != o.modified.Format(http.TimeFormat) {
			t.Errorf("source %s: validators %q %q, want %q and the object's Last-Modified", src.Name, src.ETag, src.LastModified, o.etag)
		}
	}
	if src := origins[s.URL+"/PyPI/all.zip"]; src.Name != "osv:PyPI/all.zip" {
		t.Errorf("PyPI source name %q, want osv:PyPI/all.zip", src.Name)
	}

	before := snapshot(t, dir)
	s.resetLog()
	meta2, rep2, err := Update(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep2.UpToDate {
		t.Errorf("second update not up to date: %+v", rep2)
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("an up-to-date update changed the DB dir (-before +after):\n%s", diff)
	}
	if meta2.Records != meta.Records {
		t.Errorf("second update meta: %d records, want %d", meta2.Records, meta.Records)
	}
	for _, r := range s.requests() {
		if r.URI == "/ecosystems.txt" {
			continue
		}
		if r.Status != 304 || r.IfNoneMatch != s.objects[r.URI].etag || r.IfModifiedSince == "" {
			t.Errorf("second update request %+v: want a conditional request answered 304", r)
		}
	}
}

func TestUpdateChangedETagRedownloadsThatSource(t *testing.T) {
	s, cfg := fixture(t)
	dir := t.TempDir()
	ctx := context.Background()
	if _, _, err := Update(ctx, dir, cfg); err != nil {
		t.Fatal(err)
	}
	s.put("/PyPI/all.zip", zipOf(t, "PyPI", "PYSEC-2018-103", "PYSEC-2021-342", "PYSEC-2023-95", "PYSEC-2024-55"))
	meta, rep, err := Update(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/PyPI/all.zip": FileDownloaded, "/Go/all.zip": FileNotModified,
		"/kev.json": FileNotModified, "/epss.csv.gz": FileNotModified}
	if diff := cmp.Diff(want, fileStatus(s, rep)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	got := map[string]int{"records": meta.Records, "kevs": meta.KEVs, "epss": meta.EPSSScores,
		"PyPI": meta.Ecosystems["PyPI"], "Go": meta.Ecosystems["Go"]}
	wantMeta := map[string]int{"records": 6, "kevs": 3, "epss": 4, "PyPI": 4, "Go": 2}
	if diff := cmp.Diff(wantMeta, got); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PYSEC-2024-55"}, lookupIDs(t, dir, "PyPI", "cipherbcrypt")); diff != "" {
		t.Errorf("new record lookup (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GO-2020-0001"}, lookupIDs(t, dir, "Go", "github.com/gin-gonic/gin")); diff != "" {
		t.Errorf("kept source lookup (-want +got):\n%s", diff)
	}
	for _, src := range meta.Sources {
		if src.Origin == s.URL+"/PyPI/all.zip" && src.ETag != s.objects["/PyPI/all.zip"].etag {
			t.Errorf("PyPI source ETag %q, want the new %q", src.ETag, s.objects["/PyPI/all.zip"].etag)
		}
	}
}

func TestUpdateResumesOrRestartsAfterDrop(t *testing.T) {
	tests := []struct {
		name        string
		noRanges    bool
		noETag      bool
		wantResumed int
		wantRange   bool // the second request carried Range and If-Range
	}{
		{name: "range-support-resumes", wantResumed: 1, wantRange: true},
		{name: "no-range-support-restarts", noRanges: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, cfg := fixture(t)
			s.noRanges = tc.noRanges
			cfg.Ecosystems = []string{"PyPI"}
			cfg.KEVURL, cfg.EPSSURL = Disabled, Disabled
			s.set("/PyPI/all.zip", func(o *object) { o.fault = faultDropOnce })
			dir := t.TempDir()
			meta, rep, err := Update(context.Background(), dir, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Records != 3 {
				t.Errorf("%d records, want 3", meta.Records)
			}
			f := rep.Files[0]
			if f.Attempts != 2 || f.Resumed != tc.wantResumed || f.Bytes != int64(len(s.objects["/PyPI/all.zip"].data)) {
				t.Errorf("file report %+v: want 2 attempts, %d resumed, %d bytes", f, tc.wantResumed, len(s.objects["/PyPI/all.zip"].data))
			}
			reqs := s.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests %+v, want 2", reqs)
			}
			half := len(s.objects["/PyPI/all.zip"].data) / 2
			gotRange := reqs[1].Range != "" && reqs[1].IfRange != ""
			if gotRange != tc.wantRange || (tc.wantRange && reqs[1].Range != "bytes="+strconv.Itoa(half)+"-") {
				t.Errorf("second request %+v: want Range=%v from byte %d", reqs[1], tc.wantRange, half)
			}
			if left := snapshotStaging(t, dir); len(left) != 0 {
				t.Errorf("staging left behind: %v", left)
			}
		})
	}
}

// snapshotStaging lists leftover staging directories in dir.
func snapshotStaging(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), stagingPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestUpdateFailureLeavesDBIntact(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, s *osvServer, cfg *Config)
		wantErr []string // substrings of the error
	}{
		{
			name: "always-dropping",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				s.put("/PyPI/all.zip", zipOf(t, "PyPI", "PYSEC-2024-55")).fault = faultDropAlways
			},
			wantErr: []string{`OSV ecosystem "PyPI"`, "/PyPI/all.zip", "giving up after 3 attempts", "connection closed after"},
		},
		{
			name: "content-length-mismatch",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				s.put("/Go/all.zip", zipOf(t, "Go", "GO-2020-0001")).fault = faultLongLength
			},
			wantErr: []string{"/Go/all.zip", "giving up after 3 attempts", "bytes"},
		},
		{
			name: "bad-x-goog-hash",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				o := s.put("/PyPI/all.zip", zipOf(t, "PyPI", "PYSEC-2024-55"))
				o.googHash = googHashOf([]byte("something else"))
			},
			wantErr: []string{"/PyPI/all.zip", "x-goog-hash declares"},
		},
		{
			name: "corrupt-zip",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				data := zipOf(t, "PyPI", "PYSEC-2024-55", "PYSEC-2018-103")
				data[60] ^= 0xff // inside the first entry's deflated data
				s.put("/PyPI/all.zip", data)
			},
			wantErr: []string{"/PyPI/all.zip", "not valid", `zip entry "PYSEC-2024-55.json"`},
		},
		{
			name: "not-a-zip",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				s.put("/Go/all.zip", []byte("<html>maintenance</html>"))
			},
			wantErr: []string{"/Go/all.zip", "not a zip archive"},
		},
		{
			name: "ecosystem-404",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				cfg.Ecosystems = []string{"PyPI", "Nope"}
			},
			wantErr: []string{`OSV ecosystem "Nope"`, "/Nope/all.zip", "404"},
		},
		{
			name: "kev-malformed",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				s.put("/kev.json", []byte(`{"catalogVersion":"x","dateReleased":"2025-08-25T17:04:19Z","count":2,"vulnerabilities":[]}`))
			},
			wantErr: []string{"KEV catalog", "count is 2 but vulnerabilities has 0"},
		},
		{
			name: "epss-truncated-gzip",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				gz := s.objects["/epss.csv.gz"].data
				s.put("/epss.csv.gz", gz[:len(gz)-6])
			},
			wantErr: []string{"EPSS scores", "unexpected EOF"},
		},
		{
			name: "server-error",
			change: func(t *testing.T, s *osvServer, cfg *Config) {
				s.set("/kev.json", func(o *object) { o.status = http.StatusServiceUnavailable })
			},
			wantErr: []string{"KEV catalog", "giving up after 3 attempts", "503"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, cfg := fixture(t)
			cfg.Retries = 2
			dir := t.TempDir()
			if _, _, err := Update(context.Background(), dir, cfg); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			tc.change(t, s, &cfg)
			_, _, err := Update(context.Background(), dir, cfg)
			if err == nil {
				t.Fatal("update succeeded, want an error")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("failed update changed the DB dir (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateCancelMidDownload(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := "no-previous-db"
		if existing {
			name = "previous-db"
		}
		t.Run(name, func(t *testing.T) {
			s, cfg := fixture(t)
			dir := t.TempDir()
			if existing {
				if _, _, err := Update(context.Background(), dir, cfg); err != nil {
					t.Fatal(err)
				}
				s.put("/Go/all.zip", zipOf(t, "Go", "GO-2020-0001"))
			}
			s.set("/Go/all.zip", func(o *object) { o.fault = faultStall })
			before := snapshot(t, dir)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-s.stalled
				cancel()
			}()
			_, _, err := Update(ctx, dir, cfg)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			t.Logf("error: %v", err)
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("cancelled update changed the DB dir (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateRecoversCorruptDB(t *testing.T) {
	_, cfg := fixture(t)
	dir := t.TempDir()
	if _, _, err := Update(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	for name := range snapshot(t, dir) {
		if !strings.HasSuffix(name, "/") {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("garbage that is no index"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := vulndb.Open(dir); !errors.Is(err, vulndb.ErrCorrupt) {
		t.Skipf("vulndb.Open on an overwritten index returned %v, not ErrCorrupt", err)
	}
	meta, rep, err := Update(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Recovered || rep.UpToDate || meta.Records != 5 {
		t.Errorf("recovery: report %+v, %d records; want Recovered and 5 records", rep, meta.Records)
	}
}

func TestUpdateProgressEvents(t *testing.T) {
	_, cfg := fixture(t)
	cfg.Ecosystems = []string{"Go"}
	cfg.KEVURL, cfg.EPSSURL = Disabled, Disabled
	var mu sync.Mutex
	var statuses []string
	cfg.Progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
			statuses = append(statuses, e.Status)
		}
	}
	dir := t.TempDir()
	if _, _, err := Update(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	want := []string{StatusDownloading, StatusVerifying, StatusImporting, StatusDone}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("event statuses (-want +got):\n%s", diff)
	}
	statuses = nil
	if _, _, err := Update(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{StatusNotModified}, statuses); diff != "" {
		t.Errorf("second run statuses (-want +got):\n%s", diff)
	}
}
