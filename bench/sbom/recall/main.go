// Command recall compares the packages of two CycloneDX JSON SBOMs made from the same input,
// a reference (syft's) and a candidate (hallmark's), and prints the candidate's recall: the
// share of the reference's packages it also found. bench/sbom/run.sh runs it after each
// side-by-side run; see docs/bench.md.
//
// Packages are compared by purl, normalised to (type, namespace, name, version) — see key —
// and only for purl types both tools catalogue (-types). Every reference package the
// candidate lacks is listed with a guess at why (another version, another namespace, only
// the case differs, or not found) and where the reference found it, so each miss can be
// explained.
//
// With -summary it also writes one tab-separated line: reference packages, candidate
// packages, reference and candidate packages in scope, found by both, recall, and recall
// counting same-file matches (see fileRecall).
//
// Usage:
//
//	recall [-types npm,golang,...] [-summary FILE] [-max-extra N] REFERENCE.json CANDIDATE.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// defaultTypes are the purl types hallmark's extractors produce (inventory/list.go) that syft
// also catalogues. A type outside this list is reported as out of scope, with its counts,
// rather than silently dropped.
const defaultTypes = "apk,cargo,cocoapods,composer,conan,deb,gem,golang,hackage,hex,maven,npm,nuget,pub,pypi,rpm,swift,alpm,cran,conda"

func main() {
	types := flag.String("types", defaultTypes, "comma-separated purl types to compare")
	summary := flag.String("summary", "", "also write one tab-separated line of counts to this file")
	maxExtra := flag.Int("max-extra", 30, "list at most this many candidate-only packages (the rest are counted by type)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: recall [flags] REFERENCE.cdx.json CANDIDATE.cdx.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	ref, err := load(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	cand, err := load(flag.Arg(1))
	if err != nil {
		fail(err)
	}
	scope := map[string]bool{}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(strings.ToLower(t)); t != "" {
			scope[t] = true
		}
	}
	r := compare(ref, cand, scope)
	r.print(os.Stdout, *maxExtra)
	if *summary != "" {
		line := fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\n", len(ref.pkgs), len(cand.pkgs), r.refInScope, r.candInScope, r.both, r.recall(), r.fileRecall())
		if err := os.WriteFile(*summary, []byte(line), 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "recall:", err)
	os.Exit(1)
}

// key identifies a package across tools. Qualifiers (arch, distro, …) and subpath are
// dropped: tools disagree on them and they do not change which package was found.
type key struct{ typ, ns, name, version string }

func (k key) String() string {
	s := k.typ + ":"
	if k.ns != "" {
		s += k.ns + "/"
	}
	return s + k.name + "@" + k.version
}

// pkg is one distinct package of an SBOM with the first place it was found.
type pkg struct {
	purl     string
	location string
}

type sbom struct {
	file      string
	pkgs      map[key]pkg
	noPURL    int
	badPURL   []string
	byType    map[string]int
	duplicate int
}

// cdx is the part of a CycloneDX JSON document this program reads.
type cdx struct {
	Components []component `json:"components"`
}

type component struct {
	Name       string      `json:"name"`
	PURL       string      `json:"purl"`
	Components []component `json:"components"`
	Properties []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"properties"`
	Evidence struct {
		Occurrences []struct {
			Location string `json:"location"`
		} `json:"occurrences"`
	} `json:"evidence"`
}

func load(file string) (*sbom, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc cdx
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: not CycloneDX JSON: %w", file, err)
	}
	s := &sbom{file: file, pkgs: map[key]pkg{}, byType: map[string]int{}}
	var walk func([]component)
	walk = func(cs []component) {
		for _, c := range cs {
			s.add(c)
			walk(c.Components)
		}
	}
	walk(doc.Components)
	return s, nil
}

func (s *sbom) add(c component) {
	if c.PURL == "" {
		s.noPURL++
		return
	}
	k, err := normalise(c.PURL)
	if err != nil {
		s.badPURL = append(s.badPURL, c.PURL)
		return
	}
	if _, ok := s.pkgs[k]; ok {
		s.duplicate++
		return
	}
	s.pkgs[k] = pkg{purl: c.PURL, location: location(c)}
	s.byType[k.typ]++
}

// location returns where a tool says it found the component: CycloneDX evidence
// occurrences (hallmark) or syft's "syft:location:0:path" property.
func location(c component) string {
	if len(c.Evidence.Occurrences) > 0 {
		return c.Evidence.Occurrences[0].Location
	}
	for _, p := range c.Properties {
		if strings.HasSuffix(p.Name, ":location:0:path") || strings.HasSuffix(p.Name, ":location") {
			return p.Value
		}
	}
	return ""
}

// caseInsensitive are the ecosystems whose registries treat names case-insensitively (or
// require lower case), so "Newtonsoft.Json" and "newtonsoft.json" are one package.
var caseInsensitive = map[string]bool{
	"npm": true, "pypi": true, "nuget": true, "composer": true, "deb": true, "apk": true,
	"alpm": true, "cargo": true, "hex": true, "pub": true, "golang": true, "github": true,
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// normalise reduces a purl to the key two tools should agree on for the same package.
func normalise(s string) (key, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return key{}, err
	}
	k := key{typ: strings.ToLower(p.Type), ns: p.Namespace, name: p.Name, version: p.Version}
	if caseInsensitive[k.typ] {
		k.ns, k.name = strings.ToLower(k.ns), strings.ToLower(k.name)
	}
	q := p.Qualifiers.Map()
	switch k.typ {
	case "pypi":
		// PEP 503: names compare lower-cased with runs of "-", "_" and "." as one "-".
		k.name = pep503.ReplaceAllString(k.name, "-")
	case "golang":
		// Go versions are written "v1.2.3" in go.mod and build info but "1.2.3" by some
		// tools; the toolchain ("stdlib") is "go1.22.1" or "1.22.1".
		k.version = strings.TrimPrefix(k.version, "v")
		if k.name == "stdlib" || k.ns == "" && k.name == "go" {
			k.name, k.version = "stdlib", strings.TrimPrefix(k.version, "go")
		}
	case "deb", "rpm", "apk", "alpm":
		// The epoch is part of the version ("1:1.2.13") or an "epoch" qualifier; epoch 0
		// is the same as none.
		if e := q["epoch"]; e != "" && e != "0" && !strings.Contains(k.version, ":") {
			k.version = e + ":" + k.version
		}
		k.version = strings.TrimPrefix(k.version, "0:")
	}
	return k, nil
}

type miss struct {
	k      key
	p      pkg
	reason string
}

type result struct {
	ref, cand                 *sbom
	scope                     map[string]bool
	types                     []string // in-scope types seen in either SBOM
	refBy, candBy, bothBy     map[string]int
	refInScope, candInScope   int
	both                      int
	refOnly                   []miss
	candOnly                  []miss
	refOutScope, candOutScope map[string]int
}

func (r *result) recall() float64 {
	if r.refInScope == 0 {
		return 1
	}
	return float64(r.both) / float64(r.refInScope)
}

// fileRecall also counts as found a reference package whose file the candidate identified as
// another package of the same type (a jar named differently, say): the artifact was found,
// only its identity differs.
func (r *result) fileRecall() float64 {
	if r.refInScope == 0 {
		return 1
	}
	n := r.both
	for _, m := range r.refOnly {
		if strings.HasPrefix(m.reason, sameFile) {
			n++
		}
	}
	return float64(n) / float64(r.refInScope)
}

func compare(ref, cand *sbom, scope map[string]bool) *result {
	r := &result{
		ref: ref, cand: cand, scope: scope,
		refBy: map[string]int{}, candBy: map[string]int{}, bothBy: map[string]int{},
		refOutScope: map[string]int{}, candOutScope: map[string]int{},
	}
	seen := map[string]bool{}
	// Indexes of the candidate for explaining misses.
	byName := map[key][]key{} // (type, ns, name) → keys
	byNameNoNS := map[key][]key{}
	byFold := map[key][]key{}
	byLoc := map[key][]key{} // (type, location) → keys
	for k, p := range cand.pkgs {
		if p.location != "" {
			l := key{typ: k.typ, name: normLocation(p.location)}
			byLoc[l] = append(byLoc[l], k)
		}
		n := key{typ: k.typ, ns: k.ns, name: k.name}
		byName[n] = append(byName[n], k)
		byNameNoNS[key{typ: k.typ, name: k.name, version: k.version}] = append(byNameNoNS[key{typ: k.typ, name: k.name, version: k.version}], k)
		f := key{typ: k.typ, ns: strings.ToLower(k.ns), name: strings.ToLower(k.name), version: strings.ToLower(k.version)}
		byFold[f] = append(byFold[f], k)
	}
	for _, k := range sortedKeys(ref.pkgs) {
		if !scope[k.typ] {
			r.refOutScope[k.typ]++
			continue
		}
		seen[k.typ] = true
		r.refInScope++
		r.refBy[k.typ]++
		if _, ok := cand.pkgs[k]; ok {
			r.both++
			r.bothBy[k.typ]++
			continue
		}
		r.refOnly = append(r.refOnly, miss{k: k, p: ref.pkgs[k], reason: explain(k, ref.pkgs[k], byName, byNameNoNS, byFold, byLoc)})
	}
	for _, k := range sortedKeys(cand.pkgs) {
		if !scope[k.typ] {
			r.candOutScope[k.typ]++
			continue
		}
		seen[k.typ] = true
		r.candInScope++
		r.candBy[k.typ]++
		if _, ok := ref.pkgs[k]; !ok {
			r.candOnly = append(r.candOnly, miss{k: k, p: cand.pkgs[k]})
		}
	}
	r.types = slices.Sorted(maps.Keys(seen))
	return r
}

// explain says how the candidate's view of a missed package differs, when it has one.
func explain(k key, p pkg, byName, byNameNoNS, byFold, byLoc map[key][]key) string {
	if ks := byFold[key{typ: k.typ, ns: strings.ToLower(k.ns), name: strings.ToLower(k.name), version: strings.ToLower(k.version)}]; len(ks) > 0 {
		return "case differs: " + ks[0].String()
	}
	if ks := byName[key{typ: k.typ, ns: k.ns, name: k.name}]; len(ks) > 0 {
		vs := make([]string, 0, len(ks))
		for _, o := range ks {
			vs = append(vs, o.version)
		}
		slices.Sort(vs)
		return "other version: " + strings.Join(vs, ", ")
	}
	if ks := byNameNoNS[key{typ: k.typ, name: k.name, version: k.version}]; len(ks) > 0 {
		return "other namespace: " + ks[0].String()
	}
	if p.location != "" {
		if ks := byLoc[key{typ: k.typ, name: normLocation(p.location)}]; len(ks) > 0 {
			slices.SortFunc(ks, func(a, b key) int { return strings.Compare(a.String(), b.String()) })
			return sameFile + ks[0].String()
		}
	}
	return "not found"
}

const sameFile = "same file, other identity: "

// normLocation makes syft's "/usr/bin/x" and hallmark's "usr/bin/x" comparable.
func normLocation(l string) string {
	return strings.TrimPrefix(l, "/")
}

func sortedKeys(m map[key]pkg) []key {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b key) int { return strings.Compare(a.String(), b.String()) })
	return ks
}

func (r *result) print(w io.Writer, maxExtra int) {
	fmt.Fprintf(w, "reference %s: %d packages (%d duplicates merged, %d components without purl, %d unparsable purls)\n",
		r.ref.file, len(r.ref.pkgs), r.ref.duplicate, r.ref.noPURL, len(r.ref.badPURL))
	fmt.Fprintf(w, "candidate %s: %d packages (%d duplicates merged, %d components without purl, %d unparsable purls)\n",
		r.cand.file, len(r.cand.pkgs), r.cand.duplicate, r.cand.noPURL, len(r.cand.badPURL))
	for _, b := range r.ref.badPURL {
		fmt.Fprintf(w, "  reference purl not parsed: %s\n", b)
	}
	for _, b := range r.cand.badPURL {
		fmt.Fprintf(w, "  candidate purl not parsed: %s\n", b)
	}
	fmt.Fprintf(w, "\n%-10s %9s %9s %9s %8s\n", "type", "reference", "candidate", "both", "recall")
	for _, t := range r.types {
		rec := 1.0
		if r.refBy[t] > 0 {
			rec = float64(r.bothBy[t]) / float64(r.refBy[t])
		}
		fmt.Fprintf(w, "%-10s %9d %9d %9d %7.2f%%\n", t, r.refBy[t], r.candBy[t], r.bothBy[t], 100*rec)
	}
	fmt.Fprintf(w, "%-10s %9d %9d %9d %7.2f%%\n", "total", r.refInScope, r.candInScope, r.both, 100*r.recall())
	fmt.Fprintf(w, "recall counting files the candidate identified differently as found: %.2f%%\n", 100*r.fileRecall())
	fmt.Fprintf(w, "\nout of scope (not compared): reference %s; candidate %s\n", counts(r.refOutScope), counts(r.candOutScope))

	fmt.Fprintf(w, "\nreference-only packages (%d):\n", len(r.refOnly))
	for _, m := range r.refOnly {
		fmt.Fprintf(w, "  %-60s %-40s %s\n", m.k, m.reason, m.p.location)
	}
	byType := map[string]int{}
	for _, m := range r.candOnly {
		byType[m.k.typ]++
	}
	fmt.Fprintf(w, "\ncandidate-only packages (%d): %s\n", len(r.candOnly), counts(byType))
	for i, m := range r.candOnly {
		if i == maxExtra {
			fmt.Fprintf(w, "  … %d more\n", len(r.candOnly)-maxExtra)
			break
		}
		fmt.Fprintf(w, "  %-60s %s\n", m.k, m.p.location)
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", t, m[t]))
	}
	return strings.Join(parts, ", ")
}
