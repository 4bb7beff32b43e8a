package match

import (
	"errors"
	"testing"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// fuzzEcosystems are the ecosystems FuzzCompare draws from: one name per
// distinct parser in osv-scalibr's semantic package, plus a suffixed name.
var fuzzEcosystems = []string{
	"npm", "Go", "crates.io", "Hex", "PyPI", "Maven", "RubyGems", "NuGet",
	"Packagist", "Debian", "Ubuntu:22.04", "Alpine:v3.20", "Red Hat",
	"CRAN", "Hackage", "Pub",
}

// FuzzCompare checks that Compare never panics, that a parsable version
// equals itself, and that ordering is antisymmetric.
func FuzzCompare(f *testing.F) {
	seeds := []struct {
		eco  uint8
		a, b string
	}{
		{0, "1.0.0-alpha.1", "1.0.0"},
		{1, "v1.2.3", "v1.10.0"},
		{4, "1!2.0.post1.dev3", "2.0rc1"},
		{5, "1.0-SNAPSHOT", "1.0.RELEASE"},
		{6, "1.0.a.1", "1.0"},
		{7, "1.0.0-beta+build", "1.0.0.0"},
		{8, "v1.0.0-p1", "1.0.0-RC2"},
		{9, "1:1.2~rc1-1+deb12u1", "1.2-1"},
		{11, "1.2.3_alpha2-r1", "1.2.3a"},
		{12, "1.0-1.el9_2", "1.0~rc1-1"},
		{13, "1.0-2", "1.0.1"},
		{14, "1.2.3.4", "1.2.3"},
		{15, "1.0.0-dev.1+b", "1.0.0"},
		{3, "", ""},
	}
	for _, s := range seeds {
		f.Add(s.eco, s.a, s.b)
	}
	f.Fuzz(func(t *testing.T, eco uint8, a, b string) {
		e := fuzzEcosystems[int(eco)%len(fuzzEcosystems)]

		ab, errAB := Compare(e, a, b)
		ba, errBA := Compare(e, b, a)
		for _, err := range []error{errAB, errBA} {
			if errors.Is(err, errParserPanic) {
				t.Fatalf("semantic panicked (recovered by Compare): %v", err)
			}
			if err != nil && !errors.Is(err, ErrInvalidVersion) {
				t.Fatalf("Compare(%q, %q, %q): error %v does not wrap ErrInvalidVersion", e, a, b, err)
			}
		}
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("Compare(%q, %q, %q) error %v, but reversed error %v", e, a, b, errAB, errBA)
		}
		if errAB == nil && ab != -ba {
			t.Errorf("Compare(%q, %q, %q) = %d but reversed = %d", e, a, b, ab, ba)
		}
		for _, v := range []string{a, b} {
			if c, err := Compare(e, v, v); err == nil && c != 0 {
				t.Errorf("Compare(%q, %q, %q) = %d, want 0", e, v, v, c)
			}
		}
	})
}

// FuzzAffects checks that evaluating OSV ranges never panics on hostile versions and events,
// and that the per-run parse cache never changes a verdict.
func FuzzAffects(f *testing.F) {
	f.Add(uint8(4), "1.2.0", "0", "1.3.0", "", "1.2.0")
	f.Add(uint8(1), "v0.17.0", "0", "0.23.0", "", "")
	f.Add(uint8(9), "1:1.2-1", "1:1.0-1", "", "1:1.2-1", "")
	f.Add(uint8(0), "2.1.0", "2.0.0", "2.2.0", "", "*")
	f.Fuzz(func(t *testing.T, eco uint8, installed, intro, fixed, last, limit string) {
		e := fuzzEcosystems[int(eco)%len(fuzzEcosystems)]
		v, err := parseVersion(e, installed, nil)
		if err != nil {
			return
		}
		cached, _ := parseVersion(e, installed, versionCache{})
		var events []vulndb.Event
		for _, ev := range []vulndb.Event{{Introduced: intro}, {Fixed: fixed}, {LastAffected: last}, {Limit: limit}} {
			if ev != (vulndb.Event{}) {
				events = append(events, ev)
			}
		}
		for _, typ := range []string{"SEMVER", "ECOSYSTEM"} {
			af := &vulndb.Affected{Ecosystem: e, Ranges: []vulndb.Range{{Type: typ, Events: events}}}
			a1, f1 := v.affects(af)
			a2, f2 := cached.affects(af)
			if a1 != a2 || len(f1) != len(f2) {
				t.Errorf("%s %q %v: cached evaluation differs: %v %v vs %v %v", e, installed, events, a1, f1, a2, f2)
			}
		}
	})
}
