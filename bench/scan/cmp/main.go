// Command cmp compares what `hallmark scan --format json` and `osv-scanner --format json` found
// on the same input with the same advisory data. It reduces both outputs to the set of
// (package, version, vulnerability) where a vulnerability is a group of ids that name it (the
// record ids and their aliases), prints the matches, the findings only one tool reported and
// the vulnerabilities the tools grouped differently, and exits 1 when a difference is not
// explained in the known-differences file. With only -osv-scanner it summarises that output.
//
// Usage:
//
//	cmp -fixture NAME [-hallmark H.json] -osv-scanner O.json [-known FILE] [-v]
//
// Exit codes: 0 no unexplained difference, 1 unexplained differences, 2 bad usage or input.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/hallmark-dev/hallmark/vulndb"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cmp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fixture := fs.String("fixture", "", "fixture name, used in the report and to select known differences")
	hallmarkFile := fs.String("hallmark", "", "hallmark scan --format json output")
	osvFile := fs.String("osv-scanner", "", "osv-scanner --format json output")
	knownFile := fs.String("known", "", "known-differences file (see bench/scan/known-differences.txt)")
	verbose := fs.Bool("v", false, "also list every matched vulnerability")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *fixture == "" || *osvFile == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: cmp -fixture NAME [-hallmark H.json] -osv-scanner O.json [-known FILE] [-v]")
		return 2
	}
	osv, err := readFile(*osvFile, parseOSVScanner)
	if err != nil {
		fmt.Fprintf(stderr, "cmp: %v\n", err)
		return 2
	}
	if *hallmarkFile == "" {
		summarize(stdout, *fixture, osv)
		return 0
	}
	hm, err := readFile(*hallmarkFile, parseHallmark)
	if err != nil {
		fmt.Fprintf(stderr, "cmp: %v\n", err)
		return 2
	}
	var known []knownDiff
	if *knownFile != "" {
		if known, err = readKnown(*knownFile); err != nil {
			fmt.Fprintf(stderr, "cmp: %v\n", err)
			return 2
		}
	}
	comps := compare(hm, osv)
	if unexplained := report(stdout, *fixture, comps, known, *verbose); unexplained > 0 {
		return 1
	}
	return 0
}

func readFile(name string, parse func(io.Reader) (scan, error)) (scan, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// pkgKey identifies a package version the way both tools can agree on: the OSV ecosystem,
// the name in vulndb's lookup form and the version as the lockfile gives it.
type pkgKey struct {
	Ecosystem, Name, Version string
}

func (k pkgKey) String() string { return k.Ecosystem + "/" + k.Name + "@" + k.Version }

func newKey(ecosystem, name, version string) pkgKey {
	if ecosystem == "Go" {
		// Go tooling writes "v1.2.3"; OSV and scalibr drop the "v".
		version = strings.TrimPrefix(version, "v")
	}
	return pkgKey{ecosystem, vulndb.NormalizeName(ecosystem, name), version}
}

// scan is one tool's answer: per package version, its vulnerabilities, each a sorted set of
// ids (record ids and aliases). Primary ids are kept for display.
type scan map[pkgKey][]group

type group struct {
	Primary string
	IDs     []string
}

func (s scan) add(k pkgKey, primary string, ids []string) {
	set := append([]string{primary}, ids...)
	set = slices.DeleteFunc(set, func(id string) bool { return id == "" })
	slices.Sort(set)
	set = slices.Compact(set)
	s[k] = append(s[k], group{Primary: primary, IDs: set})
}

// hallmarkOutput is the part of `hallmark scan --format json` that is compared.
type hallmarkOutput struct {
	Findings *[]struct {
		ID      string   `json:"id"`
		IDs     []string `json:"ids"`
		Package *struct {
			Name      string `json:"name"`
			Version   string `json:"version"`
			Ecosystem string `json:"ecosystem"`
			PURL      string `json:"purl"`
		} `json:"package"`
	} `json:"findings"`
}

func parseHallmark(r io.Reader) (scan, error) {
	var out hallmarkOutput
	if err := decodeOne(r, &out); err != nil {
		return nil, err
	}
	if out.Findings == nil {
		return nil, errors.New("not hallmark scan JSON: no top-level \"findings\"")
	}
	s := scan{}
	for i, f := range *out.Findings {
		if f.Package == nil || f.Package.Name == "" {
			return nil, fmt.Errorf("findings[%d]: package.name missing", i)
		}
		eco := f.Package.Ecosystem
		if eco == "" {
			eco = ecosystemOfPURL(f.Package.PURL)
		}
		if eco == "" {
			return nil, fmt.Errorf("findings[%d] (%s): package.ecosystem missing and no purl to derive it from", i, f.Package.Name)
		}
		if f.ID == "" && len(f.IDs) == 0 {
			return nil, fmt.Errorf("findings[%d] (%s): no id and no ids", i, f.Package.Name)
		}
		primary := f.ID
		if primary == "" {
			primary = f.IDs[0]
		}
		s.add(newKey(eco, f.Package.Name, f.Package.Version), primary, f.IDs)
	}
	return s, nil
}

// purlTypes maps purl types to OSV ecosystems, for findings that carry only a purl.
var purlTypes = map[string]string{
	"golang": "Go", "pypi": "PyPI", "npm": "npm", "maven": "Maven", "cargo": "crates.io",
	"gem": "RubyGems", "nuget": "NuGet", "composer": "Packagist", "hex": "Hex", "pub": "Pub",
}

func ecosystemOfPURL(purl string) string {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return ""
	}
	typ, _, _ := strings.Cut(rest, "/")
	return purlTypes[strings.ToLower(typ)]
}

// osvOutput is the part of osv-scanner's JSON output (v2) that is compared.
type osvOutput struct {
	Results *[]struct {
		Source struct {
			Path string `json:"path"`
		} `json:"source"`
		Packages []struct {
			Package struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Ecosystem string `json:"ecosystem"`
			} `json:"package"`
			Vulnerabilities []struct {
				ID      string   `json:"id"`
				Aliases []string `json:"aliases"`
			} `json:"vulnerabilities"`
			Groups []struct {
				IDs     []string `json:"ids"`
				Aliases []string `json:"aliases"`
			} `json:"groups"`
		} `json:"packages"`
	} `json:"results"`
}

func parseOSVScanner(r io.Reader) (scan, error) {
	var out osvOutput
	if err := decodeOne(r, &out); err != nil {
		return nil, err
	}
	if out.Results == nil {
		return nil, errors.New("not osv-scanner JSON: no top-level \"results\"")
	}
	s := scan{}
	for i, res := range *out.Results {
		for j, p := range res.Packages {
			where := fmt.Sprintf("results[%d].packages[%d]", i, j)
			if p.Package.Name == "" || p.Package.Ecosystem == "" {
				return nil, fmt.Errorf("%s: package name or ecosystem missing", where)
			}
			k := newKey(p.Package.Ecosystem, p.Package.Name, p.Package.Version)
			// Every reported record must be in a group, or comparing groups would silently
			// drop it.
			grouped := map[string]bool{}
			for g, grp := range p.Groups {
				if len(grp.IDs) == 0 {
					return nil, fmt.Errorf("%s.groups[%d]: no ids", where, g)
				}
				for _, id := range grp.IDs {
					grouped[id] = true
				}
				s.add(k, grp.IDs[0], append(slices.Clone(grp.IDs), grp.Aliases...))
			}
			for v, vuln := range p.Vulnerabilities {
				if vuln.ID == "" {
					return nil, fmt.Errorf("%s.vulnerabilities[%d]: no id", where, v)
				}
				if !grouped[vuln.ID] {
					return nil, fmt.Errorf("%s (%s): vulnerability %s is in no group", where, k, vuln.ID)
				}
			}
		}
	}
	return s, nil
}

// decodeOne decodes exactly one JSON value: trailing data means the file is not what it
// claims to be.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: data after the top-level value")
	}
	return nil
}

// Component kinds.
const (
	kindMatch        = "match"
	kindOnlyHallmark = "only-hallmark"
	kindOnlyOSV      = "only-osv-scanner"
	kindGrouping     = "grouping" // both found it, but split or merged the ids differently
)

// component is one vulnerability of one package: the groups of both tools that share ids.
type component struct {
	Kind     string
	Package  pkgKey
	Hallmark []group
	OSV      []group
	IDs      []string
}

// compare joins, per package, the groups of both tools that share an id (transitively) into
// components and classifies each.
func compare(hm, osv scan) []component {
	keys := map[pkgKey]bool{}
	for k := range hm {
		keys[k] = true
	}
	for k := range osv {
		keys[k] = true
	}
	var out []component
	for k := range keys {
		out = append(out, components(k, hm[k], osv[k])...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package.String() < out[j].Package.String()
		}
		return out[i].IDs[0] < out[j].IDs[0]
	})
	return out
}

func components(k pkgKey, hm, osv []group) []component {
	all := append(slices.Clone(hm), osv...)
	parent := make([]int, len(all))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	owner := map[string]int{}
	for i, g := range all {
		for _, id := range g.IDs {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := map[int]*component{}
	var roots []int
	for i, g := range all {
		r := find(i)
		c := byRoot[r]
		if c == nil {
			c = &component{Package: k}
			byRoot[r] = c
			roots = append(roots, r)
		}
		if i < len(hm) {
			c.Hallmark = append(c.Hallmark, g)
		} else {
			c.OSV = append(c.OSV, g)
		}
		c.IDs = append(c.IDs, g.IDs...)
	}
	out := make([]component, 0, len(roots))
	for _, r := range roots {
		c := byRoot[r]
		slices.Sort(c.IDs)
		c.IDs = slices.Compact(c.IDs)
		switch {
		case len(c.OSV) == 0:
			c.Kind = kindOnlyHallmark
		case len(c.Hallmark) == 0:
			c.Kind = kindOnlyOSV
		case len(c.Hallmark) == 1 && len(c.OSV) == 1:
			c.Kind = kindMatch
		default:
			c.Kind = kindGrouping
		}
		out = append(out, *c)
	}
	return out
}

// primaries lists the primary ids of a component's groups, hallmark's first.
func (c component) primaries() string {
	var ids []string
	for _, g := range append(slices.Clone(c.Hallmark), c.OSV...) {
		if !slices.Contains(ids, g.Primary) {
			ids = append(ids, g.Primary)
		}
	}
	return strings.Join(ids, ",")
}

// report prints the comparison and returns the number of unexplained differences.
func report(w io.Writer, fixture string, comps []component, known []knownDiff, verbose bool) int {
	counts := map[string]int{}
	hmPkgs, osvPkgs := map[pkgKey]bool{}, map[pkgKey]bool{}
	var lines []string
	unexplained := 0
	type batch struct {
		kind string
		pkg  pkgKey
		note string
	}
	batches := map[batch]int{}
	var batchOrder []batch
	for _, c := range comps {
		counts[c.Kind]++
		if len(c.Hallmark) > 0 {
			hmPkgs[c.Package] = true
		}
		if len(c.OSV) > 0 {
			osvPkgs[c.Package] = true
		}
		if c.Kind == kindMatch {
			if verbose {
				lines = append(lines, fmt.Sprintf("  %-17s %s %s", c.Kind, c.Package, c.primaries()))
			}
			continue
		}
		note := "UNEXPLAINED"
		if kd, ok := explain(known, fixture, c); ok {
			note = "known: " + kd.Reason
			if !verbose {
				// Explained differences come in batches (a package, a reason): one line each.
				b := batch{c.Kind, c.Package, note}
				if batches[b] == 0 {
					batchOrder = append(batchOrder, b)
				}
				batches[b]++
				continue
			}
		} else {
			unexplained++
		}
		detail := c.primaries()
		if c.Kind == kindGrouping {
			detail = fmt.Sprintf("hallmark %s | osv-scanner %s", groupsString(c.Hallmark), groupsString(c.OSV))
		}
		lines = append(lines, fmt.Sprintf("  %-17s %s %s  [%s]", c.Kind, c.Package, detail, note))
	}
	fmt.Fprintf(w, "fixture %s: hallmark %d vulnerable packages, osv-scanner %d\n", fixture, len(hmPkgs), len(osvPkgs))
	fmt.Fprintf(w, "  matched %d, only-hallmark %d, only-osv-scanner %d, grouped differently %d; unexplained %d\n",
		counts[kindMatch], counts[kindOnlyHallmark], counts[kindOnlyOSV], counts[kindGrouping], unexplained)
	for _, b := range batchOrder {
		fmt.Fprintf(w, "  %-17s %s %d vulnerabilities  [%s]\n", b.kind, b.pkg, batches[b], b.note)
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return unexplained
}

func groupsString(gs []group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, "{"+strings.Join(g.IDs, ",")+"}")
	}
	return strings.Join(parts, " ")
}

// summarize prints one tool's findings when there is nothing to compare them with yet.
func summarize(w io.Writer, fixture string, s scan) {
	keys := make([]pkgKey, 0, len(s))
	n := 0
	for k, gs := range s {
		keys = append(keys, k)
		n += len(gs)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	fmt.Fprintf(w, "fixture %s: osv-scanner %d vulnerable packages, %d vulnerabilities (id groups)\n", fixture, len(keys), n)
	for _, k := range keys {
		var ids []string
		for _, g := range s[k] {
			ids = append(ids, g.Primary)
		}
		slices.Sort(ids)
		fmt.Fprintf(w, "  %s %d: %s\n", k, len(ids), strings.Join(ids, " "))
	}
}
