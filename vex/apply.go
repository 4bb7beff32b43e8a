package vex

import (
	"strings"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

// Apply marks the findings of res that the statements say are not a problem, and returns how
// many it marked. A statement applies to a finding when its vulnerability id or one of its
// aliases is one of the finding's IDs (compared case-insensitively) and one of its products
// matches:
//
//   - the product's purl matches the finding's package purl (see purlMatches), when the product
//     lists no subcomponents; or
//   - the product is the scanned subject (its digest equals res.Subject.Digest, or its purl
//     matches res.Subject.PURL), and it lists no subcomponents or one of them matches the
//     package purl.
//
// Of the statements that apply to a finding, the one with the latest Timestamp wins (OpenVEX:
// a later statement supersedes an earlier one); on equal timestamps the one later in stmts
// wins. When the winner says not_affected or fixed the finding's Suppression is set (replacing
// an ignore rule's, since a VEX statement is a claim about the product, not a time-limited
// exception); affected and under_investigation never suppress. Pass every statement in one
// call: statements given to separate calls are not weighed against each other.
func Apply(res *match.Result, stmts []Statement) int {
	if res == nil || len(stmts) == 0 {
		return 0
	}
	ps := prepare(stmts)
	byID := map[string][]int{}
	for i, s := range stmts {
		for _, id := range append([]string{s.VulnID}, s.Aliases...) {
			k := strings.ToUpper(id)
			if l := byID[k]; len(l) == 0 || l[len(l)-1] != i {
				byID[k] = append(byID[k], i)
			}
		}
	}
	subj := subjectOf(res.Subject)
	cache := purlCache{}
	n := 0
	for _, f := range res.Findings {
		if f == nil {
			continue
		}
		pkg, hasPkg := cache.parse(f.Package)
		best := -1
		for _, id := range f.IDs {
			for _, i := range byID[strings.ToUpper(id)] {
				if best >= 0 && (stmts[i].Timestamp.Before(stmts[best].Timestamp) || i < best && stmts[i].Timestamp.Equal(stmts[best].Timestamp)) {
					continue
				}
				if ps[i].matches(subj, pkg, hasPkg) {
					best = i
				}
			}
		}
		if best < 0 {
			continue
		}
		s := stmts[best]
		if s.Status != StatusNotAffected && s.Status != StatusFixed {
			continue
		}
		f.Suppression = &match.Suppression{
			Kind:          "vex",
			Status:        s.Status,
			Justification: s.Justification,
			Statement:     s.ImpactStatement,
			Source:        s.Source,
		}
		n++
	}
	return n
}

// preparedProduct is a Product with its purls parsed once.
type preparedProduct struct {
	purl    purl.PURL
	hasPURL bool
	digest  string
	subs    []purl.PURL
	// nSubs counts every subcomponent, including those that are not purls: a product whose
	// subcomponents are all unparseable must still not widen to the whole product.
	nSubs int
}

type preparedStatement []preparedProduct

func prepare(stmts []Statement) []preparedStatement {
	out := make([]preparedStatement, len(stmts))
	for i, s := range stmts {
		for _, p := range s.Products {
			pp := preparedProduct{digest: strings.ToLower(p.Digest), nSubs: len(p.Subcomponents)}
			if p.PURL != "" {
				if u, err := purl.Parse(p.PURL); err == nil {
					pp.purl, pp.hasPURL = u, true
				}
			}
			for _, sc := range p.Subcomponents {
				if u, err := purl.Parse(sc); err == nil {
					pp.subs = append(pp.subs, u)
				}
			}
			out[i] = append(out[i], pp)
		}
	}
	return out
}

type subject struct {
	digest  string
	purl    purl.PURL
	hasPURL bool
}

func subjectOf(s inventory.Subject) subject {
	out := subject{digest: strings.ToLower(s.Digest)}
	if s.PURL != "" {
		if u, err := purl.Parse(s.PURL); err == nil {
			out.purl, out.hasPURL = u, true
		}
	}
	return out
}

func (ps preparedStatement) matches(subj subject, pkg purl.PURL, hasPkg bool) bool {
	for _, p := range ps {
		if p.nSubs == 0 && p.hasPURL && hasPkg && purlMatches(p.purl, pkg) {
			return true
		}
		isSubject := p.digest != "" && p.digest == subj.digest ||
			p.hasPURL && subj.hasPURL && purlMatches(p.purl, subj.purl)
		if !isSubject {
			continue
		}
		if p.nSubs == 0 {
			return true
		}
		if !hasPkg {
			continue
		}
		for _, sc := range p.subs {
			if purlMatches(sc, pkg) {
				return true
			}
		}
	}
	return false
}

// purlMatches reports whether the purl pattern p (from a VEX product) names the package purl
// q: same type, namespace and name; the same version unless p has none (then every version
// matches); qualifiers compared only where both carry the same key (so "arch=amd64" in a
// statement does not stop it matching a package whose purl records no arch); subpaths
// compared only when both have one.
func purlMatches(p, q purl.PURL) bool {
	if p.Type != q.Type || p.Namespace != q.Namespace || p.Name != q.Name {
		return false
	}
	if p.Version != "" && p.Version != q.Version {
		return false
	}
	if p.Subpath != "" && q.Subpath != "" && p.Subpath != q.Subpath {
		return false
	}
	for _, a := range p.Qualifiers {
		if v := q.Qualifier(a.Key); v != "" && v != a.Value {
			return false
		}
	}
	return true
}

// purlCache parses each package purl once per call.
type purlCache map[string]*purl.PURL

func (c purlCache) parse(p *inventory.Package) (purl.PURL, bool) {
	if p == nil || p.PURL == "" {
		return purl.PURL{}, false
	}
	u, ok := c[p.PURL]
	if !ok {
		if v, err := purl.Parse(p.PURL); err == nil {
			u = &v
		}
		c[p.PURL] = u
	}
	if u == nil {
		return purl.PURL{}, false
	}
	return *u, true
}
