package match

import (
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// version is an installed version parsed once under its ecosystem's rules, so that every event
// of every candidate advisory is compared against the same parse.
type version struct {
	eco  string // base ecosystem ("PyPI", "Debian")
	raw  string // as installed, normalised for OSV ("v" dropped for Go)
	eval semantic.Version
	sem  semantic.Version // the same string parsed as SemVer, for SEMVER ranges; nil if not SemVer
	// cache holds parsed event versions for one matching run (nil: no caching): the same
	// events are compared with many installed and candidate versions, and parsing dominates.
	cache versionCache
}

// versionCache maps ecosystem, range type and version string to the parsed version (nil when
// it does not parse).
type versionCache map[string]semantic.Version

func parseVersion(ecosystem, raw string, cache versionCache) (*version, error) {
	base := vulndb.BaseEcosystem(ecosystem)
	raw = osvVersion(base, raw)
	v := &version{eco: base, raw: raw, cache: cache}
	var err error
	v.eval, err = safeParse(base, raw)
	if err != nil {
		return nil, err
	}
	v.sem, _ = safeParse("Go", raw) // semantic parses Go versions as SemVer 2.0
	return v, nil
}

// osvVersion writes an installed version the way OSV records write versions of that ecosystem:
// Go records drop the "v" (and the toolchain's "go" prefix).
func osvVersion(base, v string) string {
	if base == "Go" {
		v = strings.TrimPrefix(v, "go")
		v = strings.TrimPrefix(v, "v")
	}
	return v
}

// safeParse is parse with the panic guard of Compare: semantic parses untrusted strings.
func safeParse(eco, s string) (v semantic.Version, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, errParserPanic
		}
	}()
	return parse(eco, s)
}

// cmpTo compares the installed version with an event version of a range of type typ. ok is
// false when the event version cannot be compared (the event is then ignored, see affects).
func (v *version) cmpTo(typ, ev string) (c int, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c, ok = 0, false
		}
	}()
	self, eco := v.eval, v.eco
	if typ == "SEMVER" {
		if v.sem == nil {
			return 0, false
		}
		self, eco = v.sem, "Go" // SemVer 2.0, as semantic parses Go versions
	}
	pv := v.parsed(eco, ev)
	if pv == nil {
		return 0, false
	}
	c, err := self.Compare(pv)
	return c, err == nil
}

// affects reports whether the installed version is affected by one OSV "affected" entry, and
// the fixed versions that end the affected intervals containing it.
//
// OSV schema, "Evaluation": the version is affected if it is listed in "versions", or if any
// SEMVER/ECOSYSTEM range includes it. A range is walked in version order: "introduced" sets
// affected (introduced "0" is before every version), "fixed" at or below the version clears
// it, "last_affected" strictly below the version clears it. The state after the walk is the
// effect of the greatest event that fired, so instead of sorting every event we keep the
// greatest fired event; on a tie the clearing event wins (an interval [x, x) is empty).
// "limit" bounds the range from above: at or beyond every limit nothing is affected.
// GIT ranges name commits, which an installed package does not carry; such records rely on
// their "versions" list, which OSV generates from the git history.
func (v *version) affects(a *vulndb.Affected) (affected bool, fixed []string) {
	for _, listed := range a.Versions {
		if osvVersion(v.eco, listed) == v.raw {
			affected = true
			break
		}
	}
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue
		}
		in, fix := v.inRange(r)
		if in {
			affected = true
			if fix != "" {
				fixed = append(fixed, fix)
			}
		}
	}
	return affected, fixed
}

// inRange evaluates one range; fix is the smallest "fixed" event above the version (the end
// of the interval the version is in), "" when the interval has no fix.
func (v *version) inRange(r vulndb.Range) (in bool, fix string) {
	var (
		best      string // greatest fired event's version
		bestClear bool
		fired     bool
		limits    int
		belowLim  bool
	)
	// better reports whether an event at ev (clearing or not) supersedes the current best.
	better := func(ev string, clear bool) bool {
		if !fired {
			return true
		}
		if ev == "0" {
			return false
		}
		if best == "0" {
			return true
		}
		c, ok := compareEvents(v, r.Type, ev, best)
		if !ok {
			return false
		}
		return c > 0 || c == 0 && clear && !bestClear
	}
	for _, e := range r.Events {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" {
				if better("0", false) {
					best, bestClear, fired = "0", false, true
				}
				continue
			}
			if c, ok := v.cmpTo(r.Type, e.Introduced); ok && c >= 0 && better(e.Introduced, false) {
				best, bestClear, fired = e.Introduced, false, true
			}
		case e.Fixed != "":
			if c, ok := v.cmpTo(r.Type, e.Fixed); ok && c >= 0 && better(e.Fixed, true) {
				best, bestClear, fired = e.Fixed, true, true
			}
		case e.LastAffected != "":
			if c, ok := v.cmpTo(r.Type, e.LastAffected); ok && c > 0 && better(e.LastAffected, true) {
				best, bestClear, fired = e.LastAffected, true, true
			}
		case e.Limit != "":
			limits++
			if e.Limit == "*" {
				belowLim = true
			} else if c, ok := v.cmpTo(r.Type, e.Limit); ok && c < 0 {
				belowLim = true
			}
		}
	}
	in = fired && !bestClear && (limits == 0 || belowLim)
	if !in {
		return false, ""
	}
	// The interval ends at the smallest fixed event above the version.
	for _, e := range r.Events {
		if e.Fixed == "" {
			continue
		}
		if c, ok := v.cmpTo(r.Type, e.Fixed); !ok || c >= 0 {
			continue
		}
		if fix == "" {
			fix = e.Fixed
		} else if c, ok := compareEvents(v, r.Type, e.Fixed, fix); ok && c < 0 {
			fix = e.Fixed
		}
	}
	return true, fix
}

// compareEvents orders two event versions of a range, through the run's parse cache.
func compareEvents(v *version, typ, a, b string) (int, bool) {
	eco := v.eco
	if typ == "SEMVER" {
		eco = "Go" // SemVer 2.0, as semantic parses Go versions
	}
	pa, pb := v.parsed(eco, a), v.parsed(eco, b)
	if pa == nil || pb == nil {
		return 0, false
	}
	c, err := pa.Compare(pb)
	return c, err == nil
}

// parsed returns s parsed under eco, from the cache when there is one; nil if it does not parse.
func (v *version) parsed(eco, s string) semantic.Version {
	if v.cache == nil {
		pv, _ := safeParse(eco, s)
		return pv
	}
	key := eco + "\x00" + s
	pv, ok := v.cache[key]
	if !ok {
		pv, _ = safeParse(eco, s)
		v.cache[key] = pv
	}
	return pv
}
