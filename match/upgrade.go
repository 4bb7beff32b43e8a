package match

import (
	"cmp"
	"slices"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// ComputeUpgrades fills r.Upgrades: for every package with unsuppressed findings, the smallest
// version that fixes all of them. The candidates are the findings' fixed versions above the
// installed one, tried in ascending order; a candidate wins when none of the package's matched
// records (every range and versions list, not just the fix events) still affects it. A
// candidate that fixes one finding but is inside another's affected range is skipped, which is
// why the answer can be larger than every single finding's first fix.
func (r *Result) ComputeUpgrades() {
	r.Upgrades = nil
	var distro *inventory.Distro
	if r.Inventory != nil {
		distro = r.Inventory.Distro
	}
	byPkg := map[*inventory.Package][]*Finding{}
	var order []*inventory.Package
	for _, f := range r.Findings {
		if f.Suppression != nil {
			continue
		}
		if _, ok := byPkg[f.Package]; !ok {
			order = append(order, f.Package)
		}
		byPkg[f.Package] = append(byPkg[f.Package], f)
	}
	versions := versionCache{}
	for _, p := range order {
		fs := byPkg[p]
		u := Upgrade{Package: p, Findings: len(fs)}
		qs, reason := queries(p, distro)
		if reason == "" {
			u.To = smallestUpgrade(qs, fs, versions)
		}
		r.Upgrades = append(r.Upgrades, u)
	}
	slices.SortFunc(r.Upgrades, func(a, b Upgrade) int {
		if c := cmp.Compare(a.Package.PURL, b.Package.PURL); c != 0 {
			return c
		}
		return cmp.Compare(a.Package.ID, b.Package.ID)
	})
}

func smallestUpgrade(qs []query, fs []*Finding, versions versionCache) string {
	q := qs[0]
	installed, err := parseVersion(q.eco, q.version, versions)
	if err != nil {
		return ""
	}
	// Candidates: every fix event of the matched entries above the installed version (not only
	// the end of the interval the installed version is in: a later interval may begin at that
	// fix).
	var cands []string
	seen := map[string]bool{}
	for _, f := range fs {
		if len(f.Fixed) == 0 {
			return "" // one finding has no fix: no version fixes them all
		}
		for _, a := range f.Advisories {
			for i := range a.Affected {
				af := &a.Affected[i]
				if !queried(qs, af) {
					continue
				}
				for _, r := range af.Ranges {
					if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
						continue // GIT fixes are commits, not versions one can upgrade to
					}
					for _, e := range r.Events {
						if e.Fixed == "" || seen[e.Fixed] {
							continue
						}
						if c, ok := installed.cmpTo(r.Type, e.Fixed); ok && c < 0 {
							seen[e.Fixed] = true
							cands = append(cands, e.Fixed)
						}
					}
				}
			}
		}
	}
	sortVersions(vulndb.BaseEcosystem(q.eco), cands)
	for _, c := range cands {
		v, err := parseVersion(q.eco, c, versions)
		if err != nil {
			continue
		}
		if !stillAffected(v, qs, fs) {
			return asInstalled(v.eco, q.version, c)
		}
	}
	return ""
}

func stillAffected(v *version, qs []query, fs []*Finding) bool {
	for _, f := range fs {
		for _, a := range f.Advisories {
			for i := range a.Affected {
				af := &a.Affected[i]
				if !queried(qs, af) {
					continue
				}
				if ok, _ := v.affects(af); ok {
					return true
				}
			}
		}
	}
	return false
}

// queried reports whether an affected entry is one the package's queries looked up.
func queried(qs []query, af *vulndb.Affected) bool {
	return slices.ContainsFunc(qs, func(q query) bool {
		return q.eco == af.Ecosystem && vulndb.NormalizeName(af.Ecosystem, af.Name) == vulndb.NormalizeName(q.eco, q.name)
	})
}
