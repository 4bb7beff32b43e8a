// Package update is the engine of `hallmark db update`: it downloads the OSV per-ecosystem
// exports, the CISA KEV catalog and the FIRST EPSS scores, verifies every byte it received
// (length, server-declared hashes, archive checksums, parseability), and only then hands the
// files to vulndb.Build. Downloads are conditional on the validators recorded in the current
// database, resume after a dropped connection where the server allows it, and never leave
// the previous database changed when anything fails.
package update

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// Default source URLs.
const (
	DefaultOSVBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEVURL     = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL    = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

// Disabled, as KEVURL or EPSSURL, skips that source.
const Disabled = "-"

// ErrConfig is wrapped by Update's error when the Config itself is invalid (a URL that is not
// absolute http(s), an ecosystem name that cannot be one): fix the flags, retrying won't help.
var ErrConfig = errors.New("invalid update configuration")

// Config says where to download from and how hard to try. The zero value downloads every OSV
// ecosystem, KEV and EPSS from their public locations.
type Config struct {
	// OSVBaseURL is the root of an OSV export bucket laid out as <base>/<ecosystem>/all.zip
	// and <base>/ecosystems.txt. Default DefaultOSVBaseURL.
	OSVBaseURL string
	// Ecosystems to download; empty means every ecosystem listed in <base>/ecosystems.txt
	// except the release-scoped ones ("Debian:12"), whose records the base export already holds.
	Ecosystems []string
	// KEVURL is the CISA KEV catalog JSON; default DefaultKEVURL; Disabled skips it.
	KEVURL string
	// EPSSURL is the EPSS scores CSV (gzip or plain); default DefaultEPSSURL; Disabled skips it.
	EPSSURL string
	// Client does the requests; nil uses a client with connect, TLS and header timeouts.
	Client *http.Client
	// Progress receives events; calls are serialised, so it need not be safe for concurrent use.
	Progress func(Event)
	// Retries is how many times one file is tried again after a failed attempt; 0 means 3,
	// negative means never.
	Retries int
	// RetryWait is the pause before the first retry, doubled for each further one (capped at
	// 30 s); 0 means 1 s.
	RetryWait time.Duration
	// StallTimeout aborts an attempt that receives no data for this long; 0 means 60 s.
	StallTimeout time.Duration
	// Parallel is how many files are downloaded at once; 0 means 4.
	Parallel int
}

// Event reports progress on one URL. Status is one of "downloading", "not-modified",
// "retrying" (Err says why), "verifying", "importing" or "done". Total is -1 when unknown.
type Event struct {
	URL          string
	Bytes, Total int64
	Status       string
	Err          error
}

// Event statuses.
const (
	StatusDownloading = "downloading"
	StatusNotModified = "not-modified"
	StatusRetrying    = "retrying"
	StatusVerifying   = "verifying"
	StatusImporting   = "importing"
	StatusDone        = "done"
)

// Report tells what an update did.
type Report struct {
	// UpToDate is true when every source answered "not modified": the database was not rebuilt.
	UpToDate bool
	// Recovered is true when the previous database was corrupt and was rebuilt from this
	// update's downloads alone.
	Recovered bool
	// Files lists one entry per URL, in the order they were requested.
	Files    []File
	Duration time.Duration
}

// File is the outcome for one URL.
type File struct {
	URL    string
	Source string // vulndb source name, e.g. "osv:PyPI/all.zip"
	// Status is "downloaded" or "not-modified".
	Status string
	Bytes  int64
	// Attempts counts requests made for the file; Resumed counts those that continued a
	// partial download with a Range request.
	Attempts, Resumed  int
	ETag, LastModified string
}

// File statuses.
const (
	FileDownloaded  = "downloaded"
	FileNotModified = "not-modified"
)

const (
	defaultRetries      = 3
	defaultRetryWait    = time.Second
	maxRetryWait        = 30 * time.Second
	defaultStallTimeout = 60 * time.Second
	defaultParallel     = 4
)

// withDefaults validates cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.OSVBaseURL == "" {
		cfg.OSVBaseURL = DefaultOSVBaseURL
	}
	cfg.OSVBaseURL = strings.TrimRight(cfg.OSVBaseURL, "/")
	if err := checkURL("OSV base URL", cfg.OSVBaseURL); err != nil {
		return cfg, err
	}
	if cfg.KEVURL == "" {
		cfg.KEVURL = DefaultKEVURL
	}
	if cfg.KEVURL != Disabled {
		if err := checkURL("KEV URL", cfg.KEVURL); err != nil {
			return cfg, err
		}
	}
	if cfg.EPSSURL == "" {
		cfg.EPSSURL = DefaultEPSSURL
	}
	if cfg.EPSSURL != Disabled {
		if err := checkURL("EPSS URL", cfg.EPSSURL); err != nil {
			return cfg, err
		}
	}
	seen := map[string]bool{}
	ecos := make([]string, 0, len(cfg.Ecosystems))
	for _, e := range cfg.Ecosystems {
		if err := checkEcosystem(e); err != nil {
			return cfg, fmt.Errorf("update: ecosystem %q: %w", e, err)
		}
		if !seen[e] {
			seen[e] = true
			ecos = append(ecos, e)
		}
	}
	cfg.Ecosystems = ecos
	switch {
	case cfg.Retries == 0:
		cfg.Retries = defaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.RetryWait < 0 || cfg.StallTimeout < 0 || cfg.Parallel < 0 {
		return cfg, errors.New("update: RetryWait, StallTimeout and Parallel must not be negative")
	}
	if cfg.RetryWait == 0 {
		cfg.RetryWait = defaultRetryWait
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = defaultStallTimeout
	}
	if cfg.Parallel == 0 {
		cfg.Parallel = defaultParallel
	}
	if cfg.Client == nil {
		cfg.Client = defaultClient(cfg.Parallel)
	}
	return cfg, nil
}

func checkURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("update: %s %q: %w", what, s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("update: %s %q: want an absolute http(s) URL", what, s)
	}
	return nil
}

// defaultClient bounds every phase that can hang before the body flows; the body itself is
// guarded by the stall watchdog, since a whole-request timeout would kill large downloads.
func defaultClient(parallel int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   parallel,
		ForceAttemptHTTP2:     true,
	}}
}

// job is one file to download.
type job struct {
	url   string
	kind  string // "osv", "kev", "epss"; "list" for ecosystems.txt
	name  string // vulndb source name
	label string // what the file is, for error messages
	file  string // staging file name
	// validators recorded for url in the current database; empty when none.
	etag, lastModified string
}

// updater carries one Update call's settings.
type updater struct {
	cfg Config
	mu  sync.Mutex // serialises cfg.Progress
}

func (u *updater) emit(e Event) {
	if u.cfg.Progress == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cfg.Progress(e)
}

// Update downloads what changed since the last update into a staging directory inside dir,
// verifies it, and rebuilds the database in dir with vulndb.Build. Sources that answer
// "not modified" are kept from the current database; when all do, nothing is rebuilt and
// Report.UpToDate is set. On any error the previous database is left exactly as it was.
func Update(ctx context.Context, dir string, cfg Config) (*vulndb.Meta, Report, error) {
	start := time.Now()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, Report{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	u := &updater{cfg: cfg}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Report{}, fmt.Errorf("update: %w", err)
	}
	prev, corrupt, err := currentMeta(dir)
	if err != nil {
		return nil, Report{}, err
	}
	removeStaleStaging(dir, start)
	staging, err := os.MkdirTemp(dir, stagingPrefix)
	if err != nil {
		return nil, Report{}, fmt.Errorf("update: creating staging directory: %w", err)
	}
	defer os.RemoveAll(staging)

	jobs, err := u.plan(ctx, staging, prev)
	if err != nil {
		return nil, Report{}, err
	}
	results := make([]fetched, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Parallel)
	for i, j := range jobs {
		g.Go(func() error {
			r, err := u.fetch(gctx, j, filepath.Join(staging, j.file))
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		// errgroup cancels the others after the first failure; report the caller's
		// cancellation as such rather than whichever download noticed it first.
		if ctx.Err() != nil {
			return nil, Report{}, fmt.Errorf("update: %w", context.Cause(ctx))
		}
		return nil, Report{}, err
	}

	rep := Report{Recovered: corrupt}
	var inputs []vulndb.Input
	urlOf := map[string]string{}
	for i, j := range jobs {
		r := results[i]
		urlOf[j.name] = j.url
		f := File{URL: j.url, Source: j.name, Bytes: r.bytes, Attempts: r.attempts, Resumed: r.resumed,
			ETag: r.etag, LastModified: r.lastModified, Status: FileDownloaded}
		if r.notModified {
			f.Status = FileNotModified
			f.ETag, f.LastModified = j.etag, j.lastModified
		} else {
			inputs = append(inputs, vulndb.Input{Path: r.path, Kind: j.kind, Name: j.name,
				Origin: j.url, ETag: r.etag, LastModified: r.lastModified})
		}
		rep.Files = append(rep.Files, f)
	}
	if len(inputs) == 0 && prev != nil {
		rep.UpToDate = true
		rep.Duration = time.Since(start)
		m := *prev
		return &m, rep, nil
	}
	for _, in := range inputs {
		u.emit(Event{URL: in.Origin, Total: -1, Status: StatusImporting})
	}
	meta, err := vulndb.Build(ctx, dir, inputs, vulndb.BuildOptions{
		// A corrupt index cannot be read back to keep its other sources, so rebuild from
		// what was just downloaded.
		Replace: corrupt,
		Progress: func(p vulndb.Progress) {
			if origin, ok := urlOf[p.Source]; ok && !p.Done {
				u.emit(Event{URL: origin, Bytes: p.Bytes, Total: p.Total, Status: StatusImporting})
			}
		},
	})
	if err != nil {
		return nil, Report{}, fmt.Errorf("update: building the database from the downloads: %w", err)
	}
	for _, in := range inputs {
		u.emit(Event{URL: in.Origin, Total: -1, Status: StatusDone})
	}
	rep.Duration = time.Since(start)
	return meta, rep, nil
}

// currentMeta returns the metadata of the database in dir: nil when there is none, and
// corrupt=true when the index is damaged (the update then rebuilds it from scratch).
func currentMeta(dir string) (meta *vulndb.Meta, corrupt bool, err error) {
	db, err := vulndb.Open(dir)
	switch {
	case errors.Is(err, vulndb.ErrNoDB):
		return nil, false, nil
	case errors.Is(err, vulndb.ErrCorrupt):
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("update: reading the current database: %w", err)
	}
	m := db.Meta()
	if err := db.Close(); err != nil {
		return nil, false, fmt.Errorf("update: closing the current database: %w", err)
	}
	return &m, false, nil
}

const stagingPrefix = ".staging-"

// removeStaleStaging deletes staging directories a killed update left behind. Only old ones
// go, so that an update running concurrently in the same dir keeps its files.
func removeStaleStaging(dir string, now time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// plan lists the files to download, with the validators the current database recorded.
func (u *updater) plan(ctx context.Context, staging string, prev *vulndb.Meta) ([]job, error) {
	ecos := u.cfg.Ecosystems
	if len(ecos) == 0 {
		list := job{url: u.cfg.OSVBaseURL + "/ecosystems.txt", kind: kindList,
			label: "OSV ecosystem list", file: "ecosystems.txt"}
		r, err := u.fetch(ctx, list, filepath.Join(staging, list.file))
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(r.path)
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		if ecos, err = parseEcosystems(data); err != nil {
			return nil, fmt.Errorf("update: %s: %w", list.url, err)
		}
	}
	var jobs []job
	for i, e := range ecos {
		jobs = append(jobs, job{
			url:   u.cfg.OSVBaseURL + "/" + url.PathEscape(e) + "/all.zip",
			kind:  "osv",
			name:  "osv:" + e + "/all.zip",
			label: fmt.Sprintf("OSV ecosystem %q", e),
			file:  fmt.Sprintf("%03d-%s-all.zip", i, safeFileName(e)),
		})
	}
	if u.cfg.KEVURL != Disabled {
		jobs = append(jobs, job{url: u.cfg.KEVURL, kind: "kev", name: "kev", label: "KEV catalog", file: "kev.json"})
	}
	if u.cfg.EPSSURL != Disabled {
		jobs = append(jobs, job{url: u.cfg.EPSSURL, kind: "epss", name: "epss", label: "EPSS scores", file: "epss.csv"})
	}
	if prev != nil {
		for i := range jobs {
			for _, s := range prev.Sources {
				if s.Origin == jobs[i].url {
					jobs[i].etag, jobs[i].lastModified = s.ETag, s.LastModified
				}
			}
		}
	}
	return jobs, nil
}

// safeFileName keeps letters, digits, '.', '-' and '_' so that any ecosystem name makes a
// harmless staging file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
