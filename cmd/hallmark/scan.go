package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/match/reach"
	"github.com/hallmark-dev/hallmark/report"
	"github.com/hallmark-dev/hallmark/source"
	"github.com/hallmark-dev/hallmark/vex"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// scanFlags are the options of `hallmark scan`.
type scanFlags struct {
	db                       dbFlags
	format, output, platform string
	failOn                   string
	kev, onlyFixable         bool
	reachable                bool
	vexFiles                 []string
	config                   string
	maxAge                   time.Duration
	allowPartial             bool
	showSuppressed           bool
	noReach                  bool
	author                   string
	att                      attestFlags
}

func newScanCmd(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan TARGET",
		Short: "Find known vulnerabilities in a directory, file, image or SBOM",
		Long: `Inventory TARGET (as "hallmark sbom" does, or read it if it is an SBOM from any tool) and
match every package against the local advisory database (see "hallmark db").

Findings that are aliases of each other (CVE, GHSA, GO-, PYSEC-, …) are merged into one.
Each finding carries its severity (CVSS v2/v3/v4 or the publisher's rating), whether it
is in CISA's Known Exploited Vulnerabilities catalog, its EPSS score, the versions that
fix it, and a priority P1–P4 (docs/scan.md). For Go binaries and modules, each finding
says whether the vulnerable code is called, only imported, or not imported.

VEX documents (--vex: OpenVEX, CycloneDX VEX, CSAF VEX) and the ignore list in
.hallmark.yaml (at the scanned directory, or --config) suppress findings; suppressed
findings are kept, with the reason, in json, sarif, cyclonedx-json and openvex output.

Exit codes: 0 no finding at or above --fail-on (or no --fail-on); 1 a finding at or above
--fail-on; 2 bad usage or input (including a partial inventory without --allow-partial);
3 environment error (e.g. no advisory database).`,
		Example: `  hallmark scan .
  hallmark scan package-lock.json --fail-on high
  hallmark scan image.tar --format sarif --output scan.sarif
  hallmark scan bom.cdx.json --format json --only-fixable
  hallmark scan ./app --kev --vex app.openvex.json
  hallmark scan ./bin/server --reachable`,
		Args: exactArgs(1, "TARGET"),
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd.Context(), e, &f, args[0]) },
	}
	f.db.register(cmd)
	cmd.Flags().StringVarP(&f.format, "format", "f", "table", "output format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write to FILE instead of stdout (written atomically)")
	cmd.Flags().StringVar(&f.platform, "platform", "", "image platform to pick from a multi-platform index, os/arch[/variant]")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding has this severity or worse: critical, high, medium, low")
	cmd.Flags().BoolVar(&f.kev, "kev", false, "report only findings in the CISA Known Exploited Vulnerabilities catalog")
	cmd.Flags().BoolVar(&f.onlyFixable, "only-fixable", false, "report only findings with a fixed version")
	cmd.Flags().BoolVar(&f.reachable, "reachable", false, "drop Go findings whose vulnerable code is shown not to be called")
	cmd.Flags().BoolVar(&f.noReach, "no-reachability", false, "skip the Go reachability analysis")
	cmd.Flags().StringArrayVar(&f.vexFiles, "vex", nil, "VEX document to apply: OpenVEX, CycloneDX VEX or CSAF VEX (repeatable)")
	cmd.Flags().StringVar(&f.config, "config", "", "ignore list file (default .hallmark.yaml in the scanned directory, if present)")
	cmd.Flags().DurationVar(&f.maxAge, "max-db-age", defaultMaxDBAge, "warn when the advisory database is older than this")
	cmd.Flags().BoolVar(&f.allowPartial, "allow-partial", false, "exit 0 even when some files could not be read (they are still listed)")
	cmd.Flags().BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings in the table output")
	f.att.register(cmd)
	cmd.Flags().StringVar(&f.author, "author", "", "author of the OpenVEX document (--format openvex), e.g. \"ACME Security <psirt@acme.example>\"")
	return cmd
}

func runScan(ctx context.Context, e *env, f *scanFlags, target string) error {
	started := time.Now()
	if !validFormat(f.format, report.Formats) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(report.Formats, ", "))}
	}
	if err := f.att.check(target, f.output, f.format, scanPredicateType(f.format)); err != nil {
		return err
	}
	threshold := ""
	if f.failOn != "" {
		l, ok := match.ParseLevel(f.failOn)
		if !ok {
			return usageError{fmt.Errorf("--fail-on %q: want critical, high, medium or low", f.failOn)}
		}
		threshold = l
	}
	ts, err := timestamp(e)
	if err != nil {
		return err
	}
	// Read every user-supplied policy input before the (slower) scan, so a typo fails fast.
	var stmts []vex.Statement
	for _, p := range f.vexFiles {
		s, err := vex.Load(p)
		if err != nil {
			return codedError{code: ExitUsage, err: err}
		}
		stmts = append(stmts, s...)
	}
	cfgPath := f.config
	if cfgPath == "" {
		if fi, err := os.Stat(target); err == nil && fi.IsDir() {
			if p := filepath.Join(target, ".hallmark.yaml"); fileExists(p) {
				cfgPath = p
			}
		}
	}
	var cfg *vex.Config
	if cfgPath != "" {
		if cfg, err = vex.LoadConfig(cfgPath); err != nil {
			return codedError{code: ExitUsage, err: err}
		}
	}
	dir, err := f.db.path(e)
	if err != nil {
		return err
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		return dbError(err)
	}
	defer db.Close()

	art, inv, err := loadArtifact(ctx, e, target, source.Options{Platform: f.platform})
	if err != nil {
		return err
	}
	if art != nil {
		defer art.Close()
	}
	res, err := match.Match(inv, db)
	if err != nil {
		return dbError(err)
	}
	meta := db.Meta()
	res.DB = match.DBInfo{Path: meta.Path, BuiltAt: meta.BuiltAt}
	for _, s := range meta.Sources {
		res.DB.Sources = append(res.DB.Sources, fmt.Sprintf("%s (%d records, imported %s)", s.Name, s.Records, s.ImportedAt.UTC().Format("2006-01-02")))
	}
	if age := dbAge(&meta, ts); f.maxAge > 0 && age > f.maxAge {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the advisory database is %s old (more than %s): run \"hallmark db update\"", roundAge(age), f.maxAge))
	}
	if !f.noReach {
		if fsys, err := artifactFS(ctx, art, res); err != nil {
			res.Warnings = append(res.Warnings, "reachability not analysed: "+err.Error())
		} else if fsys != nil {
			if err := reach.Annotate(ctx, fsys, res); err != nil {
				res.Warnings = append(res.Warnings, "reachability analysis incomplete: "+err.Error())
			}
		}
	}
	if len(stmts) > 0 {
		vex.Apply(res, stmts)
	}
	if cfg != nil {
		res.Warnings = append(res.Warnings, vex.ApplyIgnores(res, cfg, ts)...)
	}
	filter(res, f)
	res.Prioritize()
	unmatchedWarnings(res)

	var doc bytes.Buffer
	err = writeOutput(f.output, e.stdout, func(w io.Writer) error {
		if f.att.on {
			w = io.MultiWriter(w, &doc) // the predicate is exactly what was written
		}
		return report.Write(w, res, report.Options{
			Format: f.format, ToolName: version.Name, ToolVersion: version.String(), Timestamp: ts,
			ShowSuppressed: f.showSuppressed, Author: f.author,
		})
	})
	if errors.Is(err, vex.ErrNoFindings) {
		// OpenVEX needs at least one statement: with no finding there is nothing to state.
		fmt.Fprintln(e.stderr, "hallmark: no findings, so no OpenVEX document was written (it needs at least one statement)")
		err = nil
	}
	if err != nil {
		return err
	}
	if f.format != "table" {
		// The table shows warnings itself; other formats carry them in the document, and the
		// user also sees them here.
		for _, w := range res.Warnings {
			fmt.Fprintf(e.stderr, "hallmark: warning: %s\n", w)
		}
	}
	if f.att.on && doc.Len() == 0 {
		fmt.Fprintln(e.stderr, "hallmark: nothing was written, so nothing was attested")
	} else if f.att.on {
		predicate := doc.Bytes()
		if f.format == "json" {
			if predicate, err = vulnPredicate(predicate, meta.BuiltAt, started, time.Now()); err != nil {
				return err
			}
		}
		if err := f.att.sign(ctx, e, res.Subject, scanPredicateType(f.format), predicate); err != nil {
			return err
		}
	}
	if len(inv.Packages) > 0 && res.Unmatched != nil && sum(res.Unmatched) == len(inv.Packages) {
		return codedError{code: ExitUsage, err: fmt.Errorf("none of the %d packages could be matched against advisories (%s)", len(inv.Packages), reasons(res.Unmatched))}
	}
	if err := partialResult(e, inv, f.allowPartial); err != nil {
		return err
	}
	if threshold != "" {
		n := 0
		for _, fd := range res.Findings {
			if fd.Suppression == nil && match.AtLeast(fd.Severity.Level, threshold) {
				n++
			}
		}
		if n > 0 {
			return codedError{code: ExitNo, err: fmt.Errorf("%d finding(s) with severity %s or worse", n, strings.ToLower(threshold))}
		}
	}
	return nil
}

// artifactFS is the filesystem package locations are relative to. For an image, the layers
// are read a second time, keeping only the files of Go findings that reachability can use
// (binaries, go.mod), and only when there are such findings.
func artifactFS(ctx context.Context, art *source.Artifact, res *match.Result) (fs.FS, error) {
	if art == nil {
		return nil, nil
	}
	switch art.Kind {
	case source.KindDirectory:
		return os.DirFS(art.Path), nil
	case source.KindFile:
		return os.DirFS(filepath.Dir(art.Path)), nil
	case source.KindImage:
		want := map[string]bool{}
		for _, fd := range res.Findings {
			if fd.Package.Ecosystem != "Go" || len(fd.Package.Locations) == 0 {
				continue
			}
			for _, a := range fd.Advisories {
				for _, af := range a.Affected {
					if len(af.Imports) > 0 {
						want[fd.Package.Locations[0].Path] = true
					}
				}
			}
		}
		if len(want) == 0 || art.Image == nil {
			return nil, nil
		}
		return art.Image.Squash(ctx, source.SquashOptions{Want: func(p string, _ fs.FileInfo) bool { return want[p] }})
	}
	return nil, nil
}

// scanPredicateType is the attestation predicate type of a scan output format, "" if none.
func scanPredicateType(format string) string {
	switch format {
	case "json":
		return "https://cosign.sigstore.dev/attestation/vuln/v1"
	case "cyclonedx-json":
		return "https://cyclonedx.org/bom"
	case "openvex":
		return "https://openvex.dev/ns"
	}
	return ""
}

// filter applies --kev, --only-fixable and --reachable: findings outside them are dropped
// from the output and from --fail-on (Prioritize then recomputes the upgrades).
func filter(res *match.Result, f *scanFlags) {
	if !f.kev && !f.onlyFixable && !f.reachable {
		return
	}
	res.Findings = slices.DeleteFunc(res.Findings, func(fd *match.Finding) bool {
		return f.kev && fd.KEV == nil ||
			f.onlyFixable && len(fd.Fixed) == 0 ||
			f.reachable && (fd.Reachability == match.ReachNotImported || fd.Reachability == match.ReachImported)
	})
}

func unmatchedWarnings(res *match.Result) {
	for _, r := range sortedKeys(res.Unmatched) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d package(s) not matched: %s", res.Unmatched[r], r))
	}
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func reasons(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d: %s", m[k], k))
	}
	return strings.Join(parts, "; ")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
