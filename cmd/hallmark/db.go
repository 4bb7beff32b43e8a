package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/vulndb"
	vulnupdate "github.com/hallmark-dev/hallmark/vulndb/update"
)

// dbFlags is the --db flag shared by db and scan.
type dbFlags struct{ dir string }

func (d *dbFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.dir, "db", "", "advisory database directory (default $HALLMARK_DB, else <user cache dir>/hallmark/db)")
}

// path resolves the database directory: --db, then $HALLMARK_DB, then the default.
func (d *dbFlags) path(e *env) (string, error) {
	if d.dir != "" {
		return d.dir, nil
	}
	if v := e.getenv("HALLMARK_DB"); v != "" {
		return v, nil
	}
	return vulndb.DefaultDir()
}

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local advisory database (OSV, CISA KEV, EPSS)",
		Long: `hallmark matches against a local advisory database, so scans work offline and take
milliseconds. Fill it from the network with "db update" or from files with "db import";
"db status" tells what it holds and how old it is.

The database lives in $HALLMARK_DB, else <user cache dir>/hallmark/db (on Linux
~/.cache/hallmark/db); --db overrides both.`,
		Example: `  hallmark db update
  hallmark db import osv/PyPI/all.zip osv/Go/all.zip known_exploited_vulnerabilities.json epss_scores.csv.gz
  hallmark db status --format json`,
	}
	cmd.AddCommand(newDBImportCmd(e), newDBUpdateCmd(e), newDBStatusCmd(e))
	return cmd
}

func newDBImportCmd(e *env) *cobra.Command {
	var (
		db      dbFlags
		replace bool
		format  string
	)
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV exports, the CISA KEV catalog and EPSS scores from files",
		Long: `Import advisory data from local files into the database, with no network.

Each PATH is one of:
  an OSV export zip        <ecosystem>/all.zip as OSV publishes it, or any zip of OSV JSON records
  a directory              of OSV JSON records (searched recursively), or a single OSV JSON file
  the CISA KEV catalog     known_exploited_vulnerabilities.json
  FIRST EPSS scores        epss_scores-YYYY-MM-DD.csv or .csv.gz

Importing a source again replaces what it contributed before; other sources are kept
(--replace drops them). Malformed records are skipped, named and counted ("db status").
A corrupt or unreadable file fails the whole import and leaves the database unchanged.`,
		Example: `  hallmark db import osv/Go/all.zip osv/PyPI/all.zip
  hallmark db import known_exploited_vulnerabilities.json epss_scores-current.csv.gz
  hallmark db import ./my-advisories/ --db ./ci-db`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s: want at least one PATH", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format, []string{"text", "json"}) {
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			dir, err := db.path(e)
			if err != nil {
				return err
			}
			inputs := make([]vulndb.Input, len(args))
			for i, a := range args {
				inputs[i] = vulndb.Input{Path: a}
			}
			now, err := timestamp(e)
			if err != nil {
				return err
			}
			opts := vulndb.BuildOptions{Replace: replace, Now: now}
			prog := e.progress()
			if prog != nil {
				opts.Progress = func(p vulndb.Progress) {
					if p.Done {
						prog("imported %s: %d records", p.Source, p.Records)
						return
					}
					prog("importing %s: %d records, %s", p.Source, p.Records, bytesProgress(p.Bytes, p.Total))
				}
			}
			start := time.Now()
			meta, err := vulndb.Build(cmd.Context(), dir, inputs, opts)
			if err != nil {
				return dbError(err)
			}
			return writeMeta(e.stdout, format, meta, now, time.Since(start))
		},
	}
	db.register(cmd)
	cmd.Flags().BoolVar(&replace, "replace", false, "drop every source not named on the command line")
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json")
	return cmd
}

func newDBUpdateCmd(e *env) *cobra.Command {
	var (
		db     dbFlags
		cfg    vulnupdate.Config
		format string
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the latest OSV exports, CISA KEV catalog and EPSS scores",
		Long: `Download advisory data and rebuild the database.

Requests are conditional (ETag / Last-Modified): unchanged files are not downloaded again,
and when nothing changed the database is not rebuilt. Every download is checked (length,
the server's MD5/CRC32C, zip CRCs) before import; interrupted downloads are resumed. Any
failure leaves the previous database exactly as it was.

--osv-url takes any server laid out like the OSV bucket: <base>/<ecosystem>/all.zip and
<base>/ecosystems.txt — a mirror, or a directory served over HTTP. Pass "-" as --kev-url or
--epss-url to skip that source.`,
		Example: `  hallmark db update
  hallmark db update --ecosystem PyPI --ecosystem npm --ecosystem Go
  hallmark db update --osv-url https://mirror.example.com/osv --epss-url -`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !validFormat(format, []string{"text", "json"}) {
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			dir, err := db.path(e)
			if err != nil {
				return err
			}
			if prog := e.progress(); prog != nil {
				last := map[string]int64{}
				cfg.Progress = func(ev vulnupdate.Event) {
					switch ev.Status {
					case "downloading":
						// One line per MiB downloaded is enough on a terminal log.
						if ev.Bytes-last[ev.URL] < 1<<20 && ev.Bytes != ev.Total {
							return
						}
						last[ev.URL] = ev.Bytes
						prog("downloading %s: %s", ev.URL, bytesProgress(ev.Bytes, ev.Total))
					case "retrying":
						prog("retrying %s: %v", ev.URL, ev.Err)
					default:
						prog("%s %s", ev.Status, ev.URL)
					}
				}
			}
			start := time.Now()
			meta, rep, err := vulnupdate.Update(cmd.Context(), dir, cfg)
			if err != nil {
				return dbError(err)
			}
			if rep.UpToDate && format == "text" {
				fmt.Fprintln(e.stdout, "advisory database is up to date (no source changed)")
			}
			return writeMeta(e.stdout, format, meta, time.Now(), time.Since(start))
		},
	}
	db.register(cmd)
	cmd.Flags().StringVar(&cfg.OSVBaseURL, "osv-url", vulnupdate.DefaultOSVBaseURL, "base URL of an OSV export bucket")
	cmd.Flags().StringArrayVar(&cfg.Ecosystems, "ecosystem", nil, "OSV ecosystem to download (repeatable; default every ecosystem the server lists)")
	cmd.Flags().StringVar(&cfg.KEVURL, "kev-url", vulnupdate.DefaultKEVURL, `CISA KEV catalog URL ("-" to skip)`)
	cmd.Flags().StringVar(&cfg.EPSSURL, "epss-url", vulnupdate.DefaultEPSSURL, `EPSS scores CSV URL ("-" to skip)`)
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json")
	return cmd
}

func newDBStatusCmd(e *env) *cobra.Command {
	var (
		db     dbFlags
		format string
		verify bool
		maxAge time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the advisory database holds and how old it is",
		Long: `Show the database's sources (where each came from, when, how many records, how many were
skipped as malformed and why), record counts per ecosystem, and its age. With --verify the
whole index file is checked against its SHA-256.

Exits 1 when the database is older than --max-age, so CI can refresh it.`,
		Example: `  hallmark db status
  hallmark db status --format json --verify`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !validFormat(format, []string{"text", "json"}) {
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			dir, err := db.path(e)
			if err != nil {
				return err
			}
			d, err := vulndb.Open(dir)
			if err != nil {
				return dbError(err)
			}
			defer d.Close()
			if verify {
				if err := d.Verify(); err != nil {
					return dbError(err)
				}
			}
			meta := d.Meta()
			now, err := timestamp(e)
			if err != nil {
				return err
			}
			if err := writeMeta(e.stdout, format, &meta, now, 0); err != nil {
				return err
			}
			if age := dbAge(&meta, now); maxAge > 0 && age > maxAge {
				return codedError{code: ExitNo, err: fmt.Errorf("the advisory database is %s old (more than --max-age %s): run \"hallmark db update\"", roundAge(age), maxAge)}
			}
			return nil
		},
	}
	db.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json")
	cmd.Flags().BoolVar(&verify, "verify", false, "check the whole index file against its checksum")
	cmd.Flags().DurationVar(&maxAge, "max-age", defaultMaxDBAge, "age beyond which the database counts as stale (exit 1)")
	return cmd
}

// defaultMaxDBAge is how old the database may be before scans warn.
const defaultMaxDBAge = 72 * time.Hour

// dbAge is the age of the oldest advisory source: a source that failed to refresh keeps its
// old import time, so one stale ecosystem makes the whole database count as stale.
func dbAge(m *vulndb.Meta, now time.Time) time.Duration {
	var oldest time.Time
	for _, s := range m.Sources {
		if s.Kind != "osv" {
			continue
		}
		if oldest.IsZero() || s.ImportedAt.Before(oldest) {
			oldest = s.ImportedAt
		}
	}
	if oldest.IsZero() {
		oldest = m.BuiltAt
	}
	return now.Sub(oldest)
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}

// dbError gives vulndb's errors their exit codes: bad input files are usage errors, a missing
// or corrupt database is an environment problem.
func dbError(err error) error {
	switch {
	case errors.Is(err, vulndb.ErrMalformed), errors.Is(err, vulnupdate.ErrConfig):
		return codedError{code: ExitUsage, err: err}
	case errors.Is(err, vulndb.ErrNoDB), errors.Is(err, vulndb.ErrCorrupt):
		return codedError{code: ExitInternal, err: err}
	}
	return err
}

func writeMeta(w io.Writer, format string, m *vulndb.Meta, now time.Time, took time.Duration) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(metaJSON(m))
	}
	fmt.Fprintf(w, "database: %s (%s, format %d)\n", m.Path, humanBytes(m.Size), m.Format)
	fmt.Fprintf(w, "built:    %s (%s ago)\n", m.BuiltAt.UTC().Format(time.RFC3339), roundAge(now.Sub(m.BuiltAt)))
	fmt.Fprintf(w, "records:  %d advisories for %d packages; %d KEV entries; %d EPSS scores\n", m.Records, m.Packages, m.KEVs, m.EPSSScores)
	if took > 0 {
		fmt.Fprintf(w, "took:     %s\n", took.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tRECORDS\tWITHDRAWN\tSKIPPED\tIMPORTED\tORIGIN")
	for _, s := range m.Sources {
		origin := s.Origin
		if origin == "" {
			origin = "(local file)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Name, s.Kind, s.Records, s.Withdrawn, s.Skipped, s.ImportedAt.UTC().Format("2006-01-02 15:04"), origin)
	}
	tw.Flush()
	for _, s := range m.Sources {
		for _, sk := range s.SkippedSamples {
			fmt.Fprintf(w, "skipped in %s: %s: %s\n", s.Name, sk.Entry, sk.Reason)
		}
		if n := s.Skipped - len(s.SkippedSamples); n > 0 {
			fmt.Fprintf(w, "skipped in %s: … and %d more\n", s.Name, n)
		}
	}
	fmt.Fprintln(w)
	ecos := make([]string, 0, len(m.Ecosystems))
	for k := range m.Ecosystems {
		ecos = append(ecos, k)
	}
	slices.Sort(ecos)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tRECORDS")
	for _, k := range ecos {
		fmt.Fprintf(tw, "%s\t%d\n", k, m.Ecosystems[k])
	}
	return tw.Flush()
}

// metaJSON is the documented JSON shape of db status/import/update (docs/commands/db-status.md).
func metaJSON(m *vulndb.Meta) any {
	type skip struct {
		Entry  string `json:"entry"`
		Reason string `json:"reason"`
	}
	type source struct {
		Name           string    `json:"name"`
		Kind           string    `json:"kind"`
		Origin         string    `json:"origin,omitempty"`
		SHA256         string    `json:"sha256,omitempty"`
		ImportedAt     time.Time `json:"imported_at"`
		Records        int       `json:"records"`
		Withdrawn      int       `json:"withdrawn"`
		Skipped        int       `json:"skipped"`
		SkippedSamples []skip    `json:"skipped_samples,omitempty"`
		ModelVersion   string    `json:"epss_model_version,omitempty"`
		ScoreDate      string    `json:"epss_score_date,omitempty"`
		CatalogVersion string    `json:"kev_catalog_version,omitempty"`
		Released       string    `json:"kev_released,omitempty"`
	}
	out := struct {
		SchemaVersion string         `json:"schema_version"`
		Path          string         `json:"path"`
		Size          int64          `json:"size"`
		Format        int            `json:"format"`
		BuiltAt       time.Time      `json:"built_at"`
		Records       int            `json:"records"`
		Packages      int            `json:"packages"`
		KEVs          int            `json:"kev_entries"`
		EPSSScores    int            `json:"epss_scores"`
		Ecosystems    map[string]int `json:"ecosystems"`
		Sources       []source       `json:"sources"`
	}{"1", m.Path, m.Size, m.Format, m.BuiltAt.UTC(), m.Records, m.Packages, m.KEVs, m.EPSSScores, m.Ecosystems, nil}
	for _, s := range m.Sources {
		var samples []skip
		for _, k := range s.SkippedSamples {
			samples = append(samples, skip{k.Entry, k.Reason})
		}
		out.Sources = append(out.Sources, source{s.Name, s.Kind, s.Origin, s.SHA256, s.ImportedAt.UTC(), s.Records, s.Withdrawn, s.Skipped, samples, s.ModelVersion, s.ScoreDate, s.CatalogVersion, s.Released})
	}
	return out
}

// progress returns a printf for progress lines on stderr, or nil when progress is off
// (--quiet, or stderr is not a terminal).
func (e *env) progress() func(format string, args ...any) {
	if e.quiet || !isTerminal(e.stderr) {
		return nil
	}
	return func(format string, args ...any) {
		fmt.Fprintf(e.stderr, "hallmark: "+format+"\n", args...)
	}
}

func bytesProgress(n, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%s of %s (%d%%)", humanBytes(n), humanBytes(total), n*100/total)
	}
	return humanBytes(n)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
