package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// Source is where matching reads advisories from; *vulndb.DB is one. Matching does no other
// I/O.
type Source interface {
	Lookup(ecosystem, name string) ([]*vulndb.Advisory, error)
	KEV(cve string) (*vulndb.KEV, bool)
	EPSS(cve string) (*vulndb.EPSS, bool)
}

// Reasons a package is not looked up, counted in Result.Unmatched.
const (
	UnmatchedNoEcosystem      = "no ecosystem (no purl, or a purl type without OSV advisories)"
	UnmatchedNoVersion        = "no version"
	UnmatchedInvalidVersion   = "version not valid for its ecosystem"
	UnmatchedUnknownEcosystem = "ecosystem without a known version ordering"
)

// Match finds the advisories that affect the packages of inv. Findings are merged across
// aliases, enriched (severity, KEV, EPSS, fixes), prioritised and sorted; Upgrades are
// computed. An error means the advisory source failed; packages that cannot be matched are
// counted in Result.Unmatched, never silently dropped.
func Match(inv *inventory.Inventory, src Source) (*Result, error) {
	res := &Result{Subject: inv.Subject, Inventory: inv, Unmatched: map[string]int{}}
	cache := map[string][]*vulndb.Advisory{}
	versions := versionCache{}
	for _, p := range inv.Packages {
		qs, reason := queries(p, inv.Distro)
		if reason != "" {
			res.Unmatched[reason]++
			continue
		}
		var hits []hit
		invalid := false
		for _, q := range qs {
			key := q.eco + "\x00" + q.name
			advs, ok := cache[key]
			if !ok {
				var err error
				advs, err = src.Lookup(q.eco, q.name)
				if err != nil {
					return nil, fmt.Errorf("looking up %s %s: %w", q.eco, q.name, err)
				}
				cache[key] = advs
			}
			if len(advs) == 0 {
				continue
			}
			v, err := parseVersion(q.eco, q.version, versions)
			if err != nil {
				invalid = true
				continue
			}
			norm := vulndb.NormalizeName(q.eco, q.name)
			for _, a := range advs {
				for i := range a.Affected {
					af := &a.Affected[i]
					if af.Ecosystem != q.eco || vulndb.NormalizeName(af.Ecosystem, af.Name) != norm {
						continue
					}
					if ok, fixed := v.affects(af); ok {
						hits = append(hits, hit{adv: a, aff: af, fixed: fixed, v: v})
					}
				}
			}
		}
		if invalid && len(hits) == 0 {
			res.Unmatched[UnmatchedInvalidVersion]++ // once per package, however many queries
		}
		res.Findings = append(res.Findings, merge(p, hits, src)...)
	}
	res.Sort()
	res.ComputeUpgrades()
	return res, nil
}

type query struct{ eco, name, version string }

// queries says under which (ecosystem, name, version) advisories for p are filed.
func queries(p *inventory.Package, distro *inventory.Distro) ([]query, string) {
	eco := p.Ecosystem
	if eco == "" && p.PURL != "" {
		eco = inventory.EcosystemOf(p.PURL, distro)
	}
	if eco == "" {
		return nil, UnmatchedNoEcosystem
	}
	if p.Version == "" || p.Version == "(devel)" {
		return nil, UnmatchedNoVersion
	}
	if _, err := parse(vulndb.BaseEcosystem(eco), "0"); err != nil {
		return nil, UnmatchedUnknownEcosystem
	}
	q := query{eco: eco, name: p.Name, version: p.Version}
	switch vulndb.BaseEcosystem(eco) {
	case "Debian", "Ubuntu", "Alpine":
		// Debian's, Ubuntu's and Alpine's trackers file advisories against the source package
		// (e.g. "openssl" for libssl3), with source versions.
		if p.Source != nil && p.Source.Name != "" {
			q.name = p.Source.Name
			if p.Source.Version != "" {
				q.version = p.Source.Version
			}
		} else if name, version := upstream(p.PURL); name != "" {
			// SBOMs from other tools may carry the source package only in the purl's
			// "upstream" qualifier ("openssl" or "openssl@3.0.11-1").
			q.name = name
			if version != "" {
				q.version = version
			}
		}
	case "Maven":
		if !strings.Contains(q.name, ":") {
			if g := mavenGroup(p.PURL); g != "" {
				q.name = g + ":" + q.name
			}
		}
	}
	qs := []query{q}
	if b := vulndb.BaseEcosystem(eco); b == "Ubuntu" && strings.Count(eco, ":") == 1 {
		// Ubuntu's OSV records name the release with its support level ("Ubuntu:22.04:LTS").
		l := q
		l.eco = eco + ":LTS"
		qs = append(qs, l)
	}
	return qs, ""
}

func upstream(p string) (name, version string) {
	u, err := purl.Parse(p)
	if err != nil {
		return "", ""
	}
	name, version, _ = strings.Cut(u.Qualifier("upstream"), "@")
	return name, version
}

func mavenGroup(p string) string {
	u, err := purl.Parse(p)
	if err != nil || u.Type != "maven" {
		return ""
	}
	return u.Namespace
}

// hit is one affected entry that includes the installed version.
type hit struct {
	adv   *vulndb.Advisory
	aff   *vulndb.Affected
	fixed []string
	v     *version
}

// merge turns the hits for one package into findings, one per group of records that name each
// other as aliases.
func merge(p *inventory.Package, hits []hit, src Source) []*Finding {
	if len(hits) == 0 {
		return nil
	}
	// Union-find over record ids and aliases.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	add := func(x string) {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
	}
	for _, h := range hits {
		add(h.adv.ID)
		for _, al := range h.adv.Aliases {
			add(al)
			union(h.adv.ID, al)
		}
	}
	groups := map[string][]hit{}
	var roots []string
	for _, h := range hits {
		r := find(h.adv.ID)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], h)
	}
	var out []*Finding
	for _, r := range roots {
		out = append(out, finding(p, groups[r], src))
	}
	return out
}

func finding(p *inventory.Package, hs []hit, src Source) *Finding {
	f := &Finding{Package: p}
	ids := map[string]bool{}
	var recIDs []string
	fixed := map[string]bool{}
	for _, h := range hs {
		if !slices.Contains(f.Advisories, h.adv) {
			f.Advisories = append(f.Advisories, h.adv)
			recIDs = append(recIDs, h.adv.ID)
		}
		ids[h.adv.ID] = true
		for _, a := range h.adv.Aliases {
			ids[a] = true
		}
		for _, x := range h.fixed {
			fixed[x] = true
		}
		if s := severityOf(h.adv, h.aff); worse(s, f.Severity) {
			f.Severity = s
		}
	}
	slices.SortFunc(f.Advisories, func(a, b *vulndb.Advisory) int { return cmp.Compare(a.ID, b.ID) })
	for id := range ids {
		f.IDs = append(f.IDs, id)
	}
	slices.Sort(f.IDs)
	f.ID = PrimaryID(recIDs)
	for _, a := range f.Advisories {
		if a.ID == f.ID && a.Summary != "" {
			f.Summary = a.Summary
		}
	}
	if f.Summary == "" {
		for _, a := range f.Advisories {
			if a.Summary != "" {
				f.Summary = a.Summary
				break
			}
		}
	}
	if f.Severity.Level == "" {
		f.Severity.Level = SeverityUnknown
	}
	v := hs[0].v
	for x := range fixed {
		f.Fixed = append(f.Fixed, x)
	}
	sortVersions(v.eco, f.Fixed)
	for i, x := range f.Fixed {
		f.Fixed[i] = asInstalled(v.eco, p.Version, x)
	}
	for _, id := range f.IDs {
		if !strings.HasPrefix(id, "CVE-") {
			continue
		}
		if k, ok := src.KEV(id); ok && (f.KEV == nil || k.DateAdded < f.KEV.DateAdded) {
			f.KEV = k
		}
		if e, ok := src.EPSS(id); ok && (f.EPSS == nil || e.Score > f.EPSS.Score) {
			f.EPSS, f.EPSSCVE = e, id
		}
	}
	f.Priority = ComputePriority(f)
	return f
}

// PrimaryID chooses the id a merged finding is shown under, among the ids of the records that
// matched (not their aliases): the ecosystem's own database first (GO-, PYSEC-, RUSTSEC-, …,
// and OS trackers' ids), then GitHub's GHSA-, then CVE-; ties by smallest id.
func PrimaryID(ids []string) string {
	rank := func(id string) int {
		switch {
		case strings.HasPrefix(id, "CVE-"):
			return 2
		case strings.HasPrefix(id, "GHSA-"):
			return 1
		}
		return 0
	}
	best := ""
	for _, id := range ids {
		if best == "" || rank(id) < rank(best) || rank(id) == rank(best) && id < best {
			best = id
		}
	}
	return best
}

// asInstalled writes an OSV version the way the installed version is written: Go modules
// carry a "v" prefix that OSV records drop, and "go get m@0.23.0" would not work.
func asInstalled(base, installed, v string) string {
	if base == "Go" && strings.HasPrefix(installed, "v") && !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

func sortVersions(eco string, vs []string) {
	slices.SortFunc(vs, func(a, b string) int {
		if c, err := Compare(eco, a, b); err == nil && c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}
