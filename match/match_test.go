package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// memSource is an in-memory advisory source keyed like vulndb's index.
type memSource struct {
	byKey map[string][]*vulndb.Advisory
	kev   map[string]*vulndb.KEV
	epss  map[string]*vulndb.EPSS
}

func newSource(advs ...*vulndb.Advisory) *memSource {
	s := &memSource{byKey: map[string][]*vulndb.Advisory{}, kev: map[string]*vulndb.KEV{}, epss: map[string]*vulndb.EPSS{}}
	for _, a := range advs {
		seen := map[string]bool{}
		for _, af := range a.Affected {
			k := af.Ecosystem + "\x00" + vulndb.NormalizeName(af.Ecosystem, af.Name)
			if !seen[k] {
				seen[k] = true
				s.byKey[k] = append(s.byKey[k], a)
			}
		}
	}
	return s
}

func (s *memSource) Lookup(eco, name string) ([]*vulndb.Advisory, error) {
	return s.byKey[eco+"\x00"+vulndb.NormalizeName(eco, name)], nil
}
func (s *memSource) KEV(c string) (*vulndb.KEV, bool)   { k, ok := s.kev[c]; return k, ok }
func (s *memSource) EPSS(c string) (*vulndb.EPSS, bool) { e, ok := s.epss[c]; return e, ok }

func ev(kv ...string) []vulndb.Event {
	var out []vulndb.Event
	for i := 0; i < len(kv); i += 2 {
		switch kv[i] {
		case "i":
			out = append(out, vulndb.Event{Introduced: kv[i+1]})
		case "f":
			out = append(out, vulndb.Event{Fixed: kv[i+1]})
		case "l":
			out = append(out, vulndb.Event{LastAffected: kv[i+1]})
		case "lim":
			out = append(out, vulndb.Event{Limit: kv[i+1]})
		}
	}
	return out
}

func TestAffects(t *testing.T) {
	tests := []struct {
		name      string
		eco       string
		version   string
		aff       vulndb.Affected
		want      bool
		wantFixed []string
	}{
		{"before_fix", "PyPI", "1.1.9", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "1.2.0")}}}, true, []string{"1.2.0"}},
		{"at_fix", "PyPI", "1.2.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "1.2.0")}}}, false, nil},
		{"pep440_equal_spelling", "PyPI", "1.2", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "1.2.0")}}}, false, nil},
		{"prerelease_before_fix", "PyPI", "1.2.0rc1", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "1.2.0")}}}, true, []string{"1.2.0"}},
		{"second_interval", "npm", "2.1.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "1.0.0", "f", "1.1.0", "i", "2.0.0", "f", "2.2.0")}}}, true, []string{"2.2.0"}},
		{"between_intervals", "npm", "1.5.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "1.0.0", "f", "1.1.0", "i", "2.0.0", "f", "2.2.0")}}}, false, nil},
		{"unsorted_events", "npm", "2.1.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("f", "2.2.0", "i", "2.0.0", "f", "1.1.0", "i", "1.0.0")}}}, true, []string{"2.2.0"}},
		{"before_introduced", "npm", "0.9.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "1.0.0", "f", "1.1.0")}}}, false, nil},
		{"last_affected_inclusive", "Maven", "1.4", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "l", "1.4")}}}, true, nil},
		{"after_last_affected", "Maven", "1.4.1", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "l", "1.4")}}}, false, nil},
		{"limit_above", "npm", "2.1.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "lim", "2.0.0")}}}, false, nil},
		{"limit_below", "npm", "1.9.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "lim", "2.0.0")}}}, true, nil},
		{"versions_list", "PyPI", "1.0.3", vulndb.Affected{Versions: []string{"1.0.1", "1.0.3"}}, true, nil},
		{"versions_list_miss", "PyPI", "1.0.2", vulndb.Affected{Versions: []string{"1.0.1", "1.0.3"}}, false, nil},
		{"git_range_ignored", "PyPI", "1.0.2", vulndb.Affected{Ranges: []vulndb.Range{{Type: "GIT", Events: ev("i", "0", "f", "abc123")}}}, false, nil},
		{"go_v_prefix", "Go", "v0.17.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "0.23.0")}}}, true, []string{"0.23.0"}},
		{"go_pseudo_version", "Go", "v0.0.0-20210226172049-e18ecbb05110", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "0.0.0-20220314234659-1baeb1ce4c0b")}}}, true, []string{"0.0.0-20220314234659-1baeb1ce4c0b"}},
		{"go_toolchain", "Go", "go1.21.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "1.20.14", "i", "1.21.0-0", "f", "1.21.7")}}}, true, []string{"1.21.7"}},
		{"debian_epoch", "Debian:12", "1:2.3-1", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "2.9-1")}}}, false, nil},
		{"debian_tilde", "Debian:12", "3.0.11-1~deb12u2", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "3.0.13-1~deb12u1")}}}, true, []string{"3.0.13-1~deb12u1"}},
		{"two_ranges_two_fixes", "Maven", "2.5", vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "2.0", "f", "2.6")}, {Type: "ECOSYSTEM", Events: ev("i", "0", "f", "2.7")}}}, true, []string{"2.6", "2.7"}},
		{"introduced_equals_fixed", "npm", "1.0.0", vulndb.Affected{Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "1.0.0", "f", "1.0.0")}}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cache := range []versionCache{nil, {}} {
				v, err := parseVersion(tt.eco, tt.version, cache)
				if err != nil {
					t.Fatal(err)
				}
				got, fixed := v.affects(&tt.aff)
				if got != tt.want || !cmp.Equal(fixed, tt.wantFixed) {
					t.Errorf("affects(%s %s, cache %v) = %v %v, want %v %v", tt.eco, tt.version, cache != nil, got, fixed, tt.want, tt.wantFixed)
				}
			}
		})
	}
}

func pkg(eco, name, version, purl string) *inventory.Package {
	return &inventory.Package{ID: "pkg-" + name, Ecosystem: eco, Name: name, Version: version, PURL: purl}
}

func TestMatchMergesAliases(t *testing.T) {
	ghsa := &vulndb.Advisory{ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"CVE-2024-0001"}, Summary: "from github",
		Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		Affected: []vulndb.Affected{{Ecosystem: "PyPI", Name: "Django", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "4.2.1")}}}}}
	pysec := &vulndb.Advisory{ID: "PYSEC-2024-1", Aliases: []string{"CVE-2024-0001"}, Summary: "from pypa",
		Affected: []vulndb.Affected{{Ecosystem: "PyPI", Name: "django", Versions: []string{"4.2.0"}}}}
	other := &vulndb.Advisory{ID: "PYSEC-2024-2", DatabaseSeverity: "MODERATE",
		Affected: []vulndb.Affected{{Ecosystem: "PyPI", Name: "django", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "4.0", "f", "4.2.3")}}}}}
	unrelated := &vulndb.Advisory{ID: "PYSEC-2024-3",
		Affected: []vulndb.Affected{{Ecosystem: "PyPI", Name: "django", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "5.0", "f", "5.0.1")}}}}}
	src := newSource(ghsa, pysec, other, unrelated)
	src.kev["CVE-2024-0001"] = &vulndb.KEV{CVE: "CVE-2024-0001", DateAdded: "2024-05-01"}
	src.epss["CVE-2024-0001"] = &vulndb.EPSS{Score: 0.5, Percentile: 0.97}
	inv := &inventory.Inventory{Packages: []*inventory.Package{pkg("PyPI", "Django", "4.2.0", "pkg:pypi/django@4.2.0")}}
	res, err := Match(inv, src)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID       string
		IDs      []string
		Level    string
		Fixed    []string
		Priority string
		Summary  string
	}
	var got []row
	for _, f := range res.Findings {
		got = append(got, row{f.ID, f.IDs, f.Severity.Level, f.Fixed, f.Priority.Label, f.Summary})
	}
	want := []row{
		{"PYSEC-2024-1", []string{"CVE-2024-0001", "GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"}, SeverityCritical, []string{"4.2.1"}, "P1", "from pypa"},
		{"PYSEC-2024-2", []string{"PYSEC-2024-2"}, SeverityMedium, []string{"4.2.3"}, "P4", ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if len(res.Upgrades) != 1 || res.Upgrades[0].To != "4.2.3" || res.Upgrades[0].Findings != 2 {
		t.Errorf("upgrades = %+v, want one to 4.2.3 fixing 2", res.Upgrades)
	}
	if res.Findings[0].KEV == nil || res.Findings[0].EPSS == nil || res.Findings[0].EPSSCVE != "CVE-2024-0001" {
		t.Errorf("KEV/EPSS not joined through the CVE alias: %+v", res.Findings[0])
	}
}

func TestSmallestUpgradeSkipsReintroduced(t *testing.T) {
	// A is fixed in 1.2.0; B was introduced in 1.2.0 and fixed in 1.2.5: 1.2.0 fixes A but
	// brings B, so the smallest version fixing both is 1.2.5.
	a := &vulndb.Advisory{ID: "GHSA-a", Affected: []vulndb.Affected{{Ecosystem: "npm", Name: "left-pad", Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "1.2.0")}}}}}
	b := &vulndb.Advisory{ID: "GHSA-b", Affected: []vulndb.Affected{{Ecosystem: "npm", Name: "left-pad", Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "1.1.0", "f", "1.1.5", "i", "1.2.0", "f", "1.2.5")}}}}}
	inv := &inventory.Inventory{Packages: []*inventory.Package{pkg("npm", "left-pad", "1.1.2", "pkg:npm/left-pad@1.1.2")}}
	res, err := Match(inv, newSource(a, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("got %d findings, want 2", len(res.Findings))
	}
	if got := res.Upgrades[0].To; got != "1.2.5" {
		t.Errorf("upgrade = %q, want 1.2.5", got)
	}
	// Suppressing B leaves only A: the upgrade becomes 1.2.0.
	for _, f := range res.Findings {
		if f.ID == "GHSA-b" {
			f.Suppression = &Suppression{Kind: "vex", Status: "not_affected"}
		}
	}
	res.Prioritize()
	if got := res.Upgrades[0].To; got != "1.2.0" {
		t.Errorf("upgrade after suppression = %q, want 1.2.0", got)
	}
}

func TestMatchOSSourcePackage(t *testing.T) {
	dsa := &vulndb.Advisory{ID: "DSA-5000-1", Aliases: []string{"CVE-2024-9999"},
		Affected: []vulndb.Affected{
			{Ecosystem: "Debian:11", Name: "openssl", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "1.1.1w-0+deb11u2")}}},
			{Ecosystem: "Debian:12", Name: "openssl", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "3.0.13-1~deb12u1")}}},
		}}
	p := pkg("Debian:12", "libssl3", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12")
	p.Source = &inventory.SourcePackage{Name: "openssl", Version: "3.0.11-1~deb12u2"}
	noeco := &inventory.Package{ID: "x", Name: "thing", Version: "1"}
	inv := &inventory.Inventory{Packages: []*inventory.Package{p, noeco}}
	res, err := Match(inv, newSource(dsa))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].ID != "DSA-5000-1" || !cmp.Equal(res.Findings[0].Fixed, []string{"3.0.13-1~deb12u1"}) {
		t.Fatalf("findings = %+v", res.Findings)
	}
	if res.Upgrades[0].To != "3.0.13-1~deb12u1" {
		t.Errorf("upgrade = %q", res.Upgrades[0].To)
	}
	if res.Unmatched[UnmatchedNoEcosystem] != 1 {
		t.Errorf("unmatched = %v, want the package without ecosystem counted", res.Unmatched)
	}
}

func TestScoreCVSS(t *testing.T) {
	tests := []struct {
		vec   string
		level string
		score float64
		ver   string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", SeverityCritical, 9.8, "3.1"},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N", SeverityMedium, 5.4, "3.0"},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", SeverityHigh, 7.5, "2.0"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", SeverityCritical, 9.3, "4.0"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", SeverityNone, 0, "3.1"},
	}
	for _, tt := range tests {
		got, ok := ScoreCVSS(tt.vec)
		if !ok || got.Level != tt.level || got.Score != tt.score || got.Version != tt.ver {
			t.Errorf("ScoreCVSS(%s) = %+v %v, want %s %.1f %s", tt.vec, got, ok, tt.level, tt.score, tt.ver)
		}
	}
	for _, bad := range []string{"", "CVSS:3.1/AV:X", "garbage", "CVSS:4.0/"} {
		if _, ok := ScoreCVSS(bad); ok {
			t.Errorf("ScoreCVSS(%q) accepted", bad)
		}
	}
}

func TestPriority(t *testing.T) {
	crit := Severity{Level: SeverityCritical, Score: 9.8, Version: "3.1", Source: "cvss"}
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{"kev", Finding{KEV: &vulndb.KEV{DateAdded: "2024-01-01"}, Severity: Severity{Level: SeverityLow}}, "P1"},
		{"kev_not_lowered", Finding{KEV: &vulndb.KEV{}, Reachability: ReachNotImported}, "P1"},
		{"epss_high", Finding{EPSS: &vulndb.EPSS{Score: 0.2}}, "P2"},
		{"critical", Finding{Severity: crit}, "P2"},
		{"critical_unreachable", Finding{Severity: crit, Reachability: ReachNotImported}, "P3"},
		{"high", Finding{Severity: Severity{Level: SeverityHigh}}, "P3"},
		{"epss_low", Finding{EPSS: &vulndb.EPSS{Score: 0.02}}, "P3"},
		{"medium", Finding{Severity: Severity{Level: SeverityMedium}}, "P4"},
		{"unknown", Finding{Severity: Severity{Level: SeverityUnknown}}, "P4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ComputePriority(&tt.f).Label; got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGoFixedVersionsKeepV(t *testing.T) {
	a := &vulndb.Advisory{ID: "GO-2023-0001", Affected: []vulndb.Affected{{Ecosystem: "Go", Name: "golang.org/x/net", Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "0.23.0")}}}}}
	s := &vulndb.Advisory{ID: "GO-2023-0002", Affected: []vulndb.Affected{{Ecosystem: "Go", Name: "stdlib", Ranges: []vulndb.Range{{Type: "SEMVER", Events: ev("i", "0", "f", "1.21.8")}}}}}
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		pkg("Go", "golang.org/x/net", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0"),
		pkg("Go", "stdlib", "1.21.0", "pkg:golang/stdlib@1.21.0"),
	}}
	res, err := Match(inv, newSource(a, s))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Package.Name] = f.Fixed[0]
	}
	for _, u := range res.Upgrades {
		got[u.Package.Name+" upgrade"] = u.To
	}
	want := map[string]string{"golang.org/x/net": "v0.23.0", "golang.org/x/net upgrade": "v0.23.0", "stdlib": "1.21.8", "stdlib upgrade": "1.21.8"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestMatchUpstreamQualifier(t *testing.T) {
	// syft records the source package of a deb only in the purl's "upstream" qualifier.
	dsa := &vulndb.Advisory{ID: "DSA-5000-1", Affected: []vulndb.Affected{
		{Ecosystem: "Debian:12", Name: "openssl", Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "3.0.13-1~deb12u1")}}}}}
	p := pkg("Debian:12", "libssl3", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl")
	res, err := Match(&inventory.Inventory{Packages: []*inventory.Package{p}}, newSource(dsa))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Upgrades[0].To != "3.0.13-1~deb12u1" {
		t.Fatalf("findings %+v upgrades %+v", res.Findings, res.Upgrades)
	}
}
