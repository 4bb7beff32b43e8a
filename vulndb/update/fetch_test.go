package update

import (
	"archive/zip"
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/vulndb"
)

func TestPlanEscapesEcosystemsAndFindsValidators(t *testing.T) {
	cfg, err := Config{
		OSVBaseURL: "https://osv.example/bucket/",
		Ecosystems: []string{"Rocky Linux", "GitHub Actions", "PyPI", "PyPI"},
		KEVURL:     "https://kev.example/kev.json",
		EPSSURL:    Disabled,
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	prev := &vulndb.Meta{Sources: []vulndb.SourceMeta{
		{Name: "osv:PyPI/all.zip", Origin: "https://osv.example/bucket/PyPI/all.zip", ETag: `"abc"`, LastModified: "Mon, 25 Aug 2025 10:00:00 GMT"},
		{Name: "local", Origin: ""},
	}}
	jobs, err := (&updater{cfg: cfg}).plan(context.Background(), t.TempDir(), prev)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ URL, Name, Kind, File, ETag, LastModified string }
	var got []row
	for _, j := range jobs {
		got = append(got, row{j.url, j.name, j.kind, j.file, j.etag, j.lastModified})
	}
	want := []row{
		{"https://osv.example/bucket/Rocky%20Linux/all.zip", "osv:Rocky Linux/all.zip", "osv", "000-Rocky_Linux-all.zip", "", ""},
		{"https://osv.example/bucket/GitHub%20Actions/all.zip", "osv:GitHub Actions/all.zip", "osv", "001-GitHub_Actions-all.zip", "", ""},
		{"https://osv.example/bucket/PyPI/all.zip", "osv:PyPI/all.zip", "osv", "002-PyPI-all.zip", `"abc"`, "Mon, 25 Aug 2025 10:00:00 GMT"},
		{"https://kev.example/kev.json", "kev", "kev", "kev.json", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "relative-base", cfg: Config{OSVBaseURL: "osv/bucket"}, wantErr: "absolute http(s) URL"},
		{name: "ftp-kev", cfg: Config{KEVURL: "ftp://x/kev.json"}, wantErr: "KEV URL"},
		{name: "slash-ecosystem", cfg: Config{Ecosystems: []string{"../etc"}}, wantErr: "slash"},
		{name: "empty-ecosystem", cfg: Config{Ecosystems: []string{""}}, wantErr: "empty ecosystem"},
		{name: "negative-wait", cfg: Config{RetryWait: -time.Second}, wantErr: "must not be negative"},
		{name: "defaults", cfg: Config{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cfg.withDefaults()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.OSVBaseURL != DefaultOSVBaseURL || got.KEVURL != DefaultKEVURL || got.EPSSURL != DefaultEPSSURL ||
					got.Retries != 3 || got.Client == nil || got.Parallel != 4 {
					t.Errorf("defaults not applied: %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// bigZip is a zip with one stored (incompressible) entry of n bytes, so that the download
// spans many progress intervals.
func bigZip(t testing.TB, n int) []byte {
	t.Helper()
	data := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(data)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "blob.json", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchProgressAndResumeHash(t *testing.T) {
	s := newOSVServer(t)
	data := bigZip(t, 3<<20)
	s.put("/Big/all.zip", data).fault = faultDropOnce
	var mu sync.Mutex
	var events []Event
	cfg, err := Config{OSVBaseURL: s.URL, RetryWait: time.Millisecond,
		Progress: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	u := &updater{cfg: cfg}
	j := job{url: s.URL + "/Big/all.zip", kind: "osv", label: "big"}
	path := filepath.Join(t.TempDir(), "big.zip")
	res, err := u.fetch(context.Background(), j, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || res.resumed != 1 || res.attempts != 2 {
		t.Errorf("resumed download: %d bytes (equal=%v), %d attempts, %d resumed; want %d bytes, 2 attempts, 1 resumed",
			len(got), bytes.Equal(got, data), res.attempts, res.resumed, len(data))
	}
	var last int64 = -1
	var statuses []string
	for _, e := range events {
		if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
			statuses = append(statuses, e.Status)
		}
		if e.Status != StatusDownloading {
			continue
		}
		if last >= 0 && e.Bytes-last > progressEvery {
			t.Errorf("progress gap of %d bytes (from %d to %d), want at most %d", e.Bytes-last, last, e.Bytes, progressEvery)
		}
		if e.Total != int64(len(data)) {
			t.Errorf("event total %d, want %d", e.Total, len(data))
		}
		last = e.Bytes
	}
	wantStatuses := []string{StatusDownloading, StatusRetrying, StatusDownloading, StatusVerifying}
	if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if int64(len(data))-last > progressEvery {
		t.Errorf("last progress event at %d of %d bytes", last, len(data))
	}
}

func TestFetchStallTimesOut(t *testing.T) {
	s := newOSVServer(t)
	s.put("/Slow/all.zip", bigZip(t, 1<<10)).fault = faultStall
	cfg, err := Config{OSVBaseURL: s.URL, Retries: -1, StallTimeout: 200 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&updater{cfg: cfg}).fetch(context.Background(), job{url: s.URL + "/Slow/all.zip", kind: "osv", label: "slow"},
		filepath.Join(t.TempDir(), "slow.zip"))
	if err == nil || !strings.Contains(err.Error(), "no data for 200ms") || !strings.Contains(err.Error(), "giving up after 1 attempt:") {
		t.Errorf("error %v, want a stall after one attempt", err)
	}
}

func TestFetchUntrustedCertificateIsNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	cfg, err := Config{OSVBaseURL: srv.URL, RetryWait: time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&updater{cfg: cfg}).fetch(context.Background(), job{url: srv.URL + "/PyPI/all.zip", kind: "osv", label: "tls"},
		filepath.Join(t.TempDir(), "x.zip"))
	if err == nil || !strings.Contains(err.Error(), "certificate") || res.attempts != 1 {
		t.Errorf("error %v after %d attempts, want a certificate error after 1", err, res.attempts)
	}
}
