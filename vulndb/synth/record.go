package synth

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// record mirrors the OSV JSON schema (only what the generator fills in).
type record struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty"`
	Aliases          []string       `json:"aliases,omitempty"`
	Related          []string       `json:"related,omitempty"`
	Upstream         []string       `json:"upstream,omitempty"`
	Summary          string         `json:"summary,omitempty"`
	Details          string         `json:"details,omitempty"`
	Severity         []severity     `json:"severity,omitempty"`
	Affected         []affected     `json:"affected"`
	References       []reference    `json:"references,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
}

type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type pkg struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

type affected struct {
	Package           pkg            `json:"package"`
	Severity          []severity     `json:"severity,omitempty"`
	Ranges            []rng          `json:"ranges,omitempty"`
	Versions          []string       `json:"versions,omitempty"`
	EcosystemSpecific map[string]any `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  map[string]any `json:"database_specific,omitempty"`
}

type rng struct {
	Type   string           `json:"type"`
	Repo   string           `json:"repo,omitempty"`
	Events []map[string]any `json:"events"`
}

// Release suffixes as the distributions spell them in "affected[].package.ecosystem".
var releases = map[string][]string{
	"Debian":  {"Debian:10", "Debian:11", "Debian:12", "Debian:13"},
	"Ubuntu":  {"Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS", "Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:16.04:LTS"},
	"Alpine":  {"Alpine:v3.17", "Alpine:v3.18", "Alpine:v3.19", "Alpine:v3.20", "Alpine:v3.21"},
	"SUSE":    {"SUSE:Linux Enterprise Server 15 SP5", "SUSE:Linux Enterprise Server 15 SP6", "SUSE:Linux Enterprise Desktop 15 SP6", "SUSE:Linux Enterprise Module for Basesystem 15 SP6"},
	"Red Hat": {"Red Hat:enterprise_linux:8::appstream", "Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::baseos"},
}

var purlType = map[string]string{"npm": "npm", "PyPI": "pypi", "Maven": "maven", "Go": "golang",
	"Packagist": "composer", "crates.io": "cargo", "RubyGems": "gem", "NuGet": "nuget", "Hex": "hex", "Pub": "pub",
	"Debian": "deb", "Ubuntu": "deb", "Alpine": "apk"}

const ghsaChars = "23456789cfghjmpqrvwx"

func (g *gen) ghsa() string {
	b := []byte("GHSA-xxxx-xxxx-xxxx")
	for i := range b {
		if b[i] == 'x' {
			b[i] = ghsaChars[g.r.IntN(len(ghsaChars))]
		}
	}
	return string(b)
}

func (g *gen) cve() string { return g.pool[g.r.IntN(len(g.pool))] }

func (g *gen) date(from, to int) time.Time {
	// from/to are years before Now.
	span := time.Duration(from-to) * 365 * 24 * time.Hour
	return g.opts.Now.Add(-time.Duration(to)*365*24*time.Hour - time.Duration(g.r.Int64N(int64(span))))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// semver returns a version like real ones: mostly x.y.z, some with pre-releases.
func (g *gen) semver() (maj, min, pat int) {
	return g.r.IntN(12), g.r.IntN(30), g.r.IntN(40)
}

func (g *gen) version(dir string) string {
	a, b, c := g.semver()
	v := fmt.Sprintf("%d.%d.%d", a, b, c)
	switch dir {
	case "Debian":
		return v + fmt.Sprintf("-%d+deb%du%d", 1+g.r.IntN(4), 10+g.r.IntN(4), 1+g.r.IntN(5))
	case "Ubuntu":
		return v + fmt.Sprintf("-%dubuntu0.%d", g.r.IntN(3), 1+g.r.IntN(9))
	case "Alpine":
		return v + fmt.Sprintf("-r%d", g.r.IntN(8))
	case "SUSE", "Red Hat":
		return v + fmt.Sprintf("-%d.%d.el9", 150000+g.r.IntN(999), g.r.IntN(9))
	case "PyPI":
		if g.r.IntN(10) == 0 {
			return fmt.Sprintf("%d.%d", a, b)
		}
	}
	// Go records write versions without the "v" of module versions, as the Go vulnerability
	// database's OSV export does.
	return v
}

var words = strings.Fields(`the a an of to in and or is was when with by for on via from that this which an attacker remote
local user could allow allows arbitrary code execution denial service memory corruption buffer overflow
out-of-bounds read write use-after-free null pointer dereference crafted input request header cookie path
traversal injection cross-site scripting request forgery improper validation of length parameter function
module package library version versions prior before fixed upgrade mitigation exploit vulnerability issue
causes crash leak sensitive information disclosure authentication bypass privilege escalation integer
signed unsigned parser decoder encoder handling certificate verification TLS HTTP server client`)

// text returns pseudo-English of about n bytes.
func (g *gen) text(n int) string {
	var b strings.Builder
	b.Grow(n + 16)
	start := true
	for b.Len() < n {
		w := words[g.r.IntN(len(words))]
		if start {
			w = strings.ToUpper(w[:1]) + w[1:]
			start = false
		}
		b.WriteString(w)
		switch {
		case g.r.IntN(14) == 0:
			b.WriteString(". ")
			start = true
		case g.r.IntN(40) == 0:
			b.WriteString(".\n\n")
			start = true
		default:
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String()) + "."
}

// detailLen draws a details length with the long tail real records show (median ≈ 350 bytes,
// some several kilobytes).
func (g *gen) detailLen() int {
	n := int(350 * math.Exp(g.r.NormFloat64()*0.9))
	return min(max(n, 40), 12000)
}

var cvss3 = [][]string{{"AV", "N", "A", "L", "P"}, {"AC", "L", "H"}, {"PR", "N", "L", "H"}, {"UI", "N", "R"},
	{"S", "U", "C"}, {"C", "N", "L", "H"}, {"I", "N", "L", "H"}, {"A", "N", "L", "H"}}
var cvss4 = [][]string{{"AV", "N", "A", "L", "P"}, {"AC", "L", "H"}, {"AT", "N", "P"}, {"PR", "N", "L", "H"},
	{"UI", "N", "P", "A"}, {"VC", "H", "L", "N"}, {"VI", "H", "L", "N"}, {"VA", "H", "L", "N"},
	{"SC", "H", "L", "N"}, {"SI", "H", "L", "N"}, {"SA", "H", "L", "N"}}

func (g *gen) vector(prefix string, metrics [][]string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, m := range metrics {
		fmt.Fprintf(&b, "/%s:%s", m[0], m[1+g.r.IntN(len(m)-1)])
	}
	return b.String()
}

func (g *gen) severities() []severity {
	switch x := g.r.IntN(10); {
	case x < 6:
		return []severity{{"CVSS_V3", g.vector("CVSS:3.1", cvss3)}}
	case x < 8:
		return []severity{{"CVSS_V3", g.vector("CVSS:3.1", cvss3)}, {"CVSS_V4", g.vector("CVSS:4.0", cvss4)}}
	case x < 9:
		return []severity{{"CVSS_V4", g.vector("CVSS:4.0", cvss4)}}
	}
	return nil
}

var dbSeverities = []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}

// ranges returns one to three ranges of introduced/fixed/last_affected events.
func (g *gen) ranges(typ, dir string) []rng {
	n := 1
	if g.r.IntN(6) == 0 {
		n += 1 + g.r.IntN(2)
	}
	out := make([]rng, n)
	for i := range out {
		ev := []map[string]any{{"introduced": "0"}}
		if i > 0 || g.r.IntN(4) == 0 {
			ev[0]["introduced"] = g.version(dir)
		}
		switch x := g.r.IntN(20); {
		case x < 16:
			ev = append(ev, map[string]any{"fixed": g.version(dir)})
		case x < 19:
			ev = append(ev, map[string]any{"last_affected": g.version(dir)})
		}
		out[i] = rng{Type: typ, Events: ev}
	}
	return out
}

func (g *gen) versions(dir string, max int) []string {
	if g.r.IntN(3) != 0 {
		return nil
	}
	n := 1 + g.r.IntN(max)
	vs := make([]string, n)
	for i := range vs {
		vs[i] = g.version(dir)
	}
	return vs
}

func (g *gen) refs(id string, cves []string, extra int) []reference {
	var out []reference
	for _, c := range cves {
		out = append(out, reference{"ADVISORY", "https://nvd.nist.gov/vuln/detail/" + c})
	}
	for range extra {
		switch g.r.IntN(4) {
		case 0:
			out = append(out, reference{"FIX", fmt.Sprintf("https://github.com/%s/%s/commit/%040x", g.word(1), g.word(1), g.r.Uint64())})
		case 1:
			out = append(out, reference{"REPORT", fmt.Sprintf("https://github.com/%s/%s/issues/%d", g.word(1), g.word(1), g.r.IntN(20000))})
		case 2:
			out = append(out, reference{"WEB", fmt.Sprintf("https://lists.%s.org/archives/%d/msg%05d.html", g.word(1), 2015+g.r.IntN(10), g.r.IntN(99999))})
		default:
			out = append(out, reference{"PACKAGE", fmt.Sprintf("https://github.com/%s/%s", g.word(1), g.word(1))})
		}
	}
	return out
}

func (g *gen) purl(dir, name string) string {
	t, ok := purlType[dir]
	if !ok {
		return ""
	}
	switch t {
	case "maven":
		return "pkg:maven/" + strings.Replace(name, ":", "/", 1)
	case "deb":
		return "pkg:deb/" + strings.ToLower(dir) + "/" + name
	case "apk":
		return "pkg:apk/alpine/" + name
	}
	return "pkg:" + t + "/" + name
}

// record builds one OSV record of the given id scheme; name forces the package name.
func (g *gen) record(kind, name string) *record {
	dir := g.ex.dir
	pub := g.date(12, 0)
	mod := pub.Add(time.Duration(g.r.Int64N(int64(400 * 24 * time.Hour))))
	if mod.After(g.opts.Now) {
		mod = g.opts.Now
	}
	r := &record{SchemaVersion: "1.6.0", Modified: stamp(mod), Published: stamp(pub)}
	eco := dir
	if name == "" {
		name = g.pick()
	}
	cves := []string{g.cve()}
	if g.r.IntN(8) == 0 {
		cves = append(cves, g.cve())
	}
	rangeType := "ECOSYSTEM"
	switch dir {
	case "npm", "Go", "crates.io", "Hex", "Pub", "Packagist", "NuGet":
		rangeType = "SEMVER"
	}
	switch kind {
	case "MAL":
		name = g.uniqueName() // malicious packages are almost all distinct names
		r.ID = fmt.Sprintf("MAL-%d-%d", pub.Year(), 1+g.r.IntN(99999))
		r.Summary = fmt.Sprintf("Malicious code in %s (%s)", name, dir)
		r.Details = "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis (" +
			fmt.Sprintf("%x", g.r.Uint64()) + ")\nThe OpenSSF Package Analysis project identified '" + name +
			"' @ " + g.version(dir) + " (" + dir + ") as malicious.\n\nIt is considered malicious because:\n\n- " + g.text(60+g.r.IntN(200)) + "\n"
		r.Aliases = nil
		cves = nil
		a := affected{Package: pkg{Ecosystem: eco, Name: name, PURL: g.purl(dir, name)},
			DatabaseSpecific: map[string]any{"malicious-packages-origins": []any{map[string]any{
				"source": "ossf-package-analysis", "sha256": fmt.Sprintf("%016x%016x%016x%016x", g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64()),
				"import_time": stamp(mod), "modified_time": stamp(mod)}}}}
		if g.r.IntN(2) == 0 {
			a.Ranges = []rng{{Type: "SEMVER", Events: []map[string]any{{"introduced": "0"}}}}
		} else {
			a.Versions = []string{g.version(dir)}
		}
		r.Affected = []affected{a}
		r.References = []reference{{"PACKAGE", "https://www.npmjs.com/package/" + name}}
		if dir == "PyPI" {
			r.References[0].URL = "https://pypi.org/project/" + name
		}
	case "GHSA":
		r.ID = g.ghsa()
		r.Aliases = cves
		r.Summary = g.text(30 + g.r.IntN(60))
		r.Details = g.text(g.detailLen())
		r.Severity = g.severities()
		r.Affected = []affected{{Package: pkg{Ecosystem: eco, Name: name, PURL: g.purl(dir, name)}, Ranges: g.ranges(rangeType, dir)}}
		if g.r.IntN(5) == 0 {
			r.Affected = append(r.Affected, affected{Package: pkg{Ecosystem: eco, Name: g.pick()}, Ranges: g.ranges(rangeType, dir)})
		}
		r.References = append(g.refs(r.ID, cves, 2+g.r.IntN(5)), reference{"ADVISORY", "https://github.com/advisories/" + r.ID})
		r.DatabaseSpecific = map[string]any{"severity": dbSeverities[g.r.IntN(4)], "cwe_ids": []string{fmt.Sprintf("CWE-%d", 20+g.r.IntN(900))},
			"github_reviewed": true, "github_reviewed_at": stamp(pub), "nvd_published_at": stamp(pub)}
	case "PYSEC", "GO", "RUSTSEC", "OSV":
		prefix := map[string]string{"PYSEC": "PYSEC", "GO": "GO", "RUSTSEC": "RUSTSEC", "OSV": "OSV"}[kind]
		r.ID = fmt.Sprintf("%s-%d-%d", prefix, pub.Year(), 1+g.r.IntN(4000))
		if kind == "GO" || kind == "RUSTSEC" {
			r.ID = fmt.Sprintf("%s-%d-%04d", prefix, pub.Year(), 1+g.r.IntN(4000))
		}
		r.Aliases = append(cves, g.ghsa())
		if kind == "OSV" {
			r.Aliases = nil
		}
		r.Summary = g.text(30 + g.r.IntN(50))
		r.Details = g.text(g.detailLen())
		a := affected{Package: pkg{Ecosystem: eco, Name: name, PURL: g.purl(dir, name)}, Ranges: g.ranges(rangeType, dir), Versions: g.versions(dir, 40)}
		switch kind {
		case "GO":
			imp := map[string]any{"path": name}
			if name == "stdlib" {
				imp["path"] = []string{"net/http", "crypto/tls", "archive/zip", "encoding/xml", "os/exec"}[g.r.IntN(5)]
			} else if g.r.IntN(2) == 0 {
				imp["path"] = name + "/" + g.word(1)
			}
			var syms []string
			for range 1 + g.r.IntN(6) {
				syms = append(syms, strings.ToUpper(g.word(1)[:1])+g.word(1))
			}
			imp["symbols"] = syms
			if g.r.IntN(10) == 0 {
				imp["goos"] = []string{"windows"}
			}
			a.EcosystemSpecific = map[string]any{"imports": []any{imp}}
			r.DatabaseSpecific = map[string]any{"url": "https://pkg.go.dev/vuln/" + r.ID, "review_status": "REVIEWED"}
		case "RUSTSEC":
			a.EcosystemSpecific = map[string]any{"affects": map[string]any{"functions": []string{name + "::" + g.word(1)}}}
			r.Severity = g.severities()
		case "OSV":
			a.Ranges = []rng{{Type: "GIT", Repo: "https://github.com/" + g.word(1) + "/" + name,
				Events: []map[string]any{{"introduced": fmt.Sprintf("%016x%016x%08x", g.r.Uint64(), g.r.Uint64(), g.r.Uint32())},
					{"fixed": fmt.Sprintf("%016x%016x%08x", g.r.Uint64(), g.r.Uint64(), g.r.Uint32())}}}}
			a.EcosystemSpecific = map[string]any{"severity": []string{"HIGH", "MEDIUM", "LOW"}[g.r.IntN(3)]}
		}
		r.Affected = []affected{a}
		r.References = g.refs(r.ID, cves, 1+g.r.IntN(6))
	case "DEBIAN-CVE", "UBUNTU-CVE", "ALPINE-CVE", "LINUX-CVE":
		prefix := strings.TrimSuffix(kind, "-CVE")
		if kind == "LINUX-CVE" {
			r.ID = cves[0]
		} else {
			r.ID = prefix + "-" + cves[0]
		}
		r.Upstream = cves
		r.Details = g.text(g.detailLen())
		for _, rel := range g.releases(dir) {
			a := affected{Package: pkg{Ecosystem: rel, Name: name, PURL: g.purl(dir, name)}, Ranges: g.ranges("ECOSYSTEM", dir)}
			if kind == "UBUNTU-CVE" {
				a.EcosystemSpecific = map[string]any{"binaries": []any{map[string]any{"binary_name": name, "binary_version": g.version(dir)}}}
			}
			r.Affected = append(r.Affected, a)
		}
		if kind == "UBUNTU-CVE" {
			r.Severity = append(r.Severity, severity{"Ubuntu", []string{"low", "medium", "high", "negligible"}[g.r.IntN(4)]})
			if g.r.IntN(2) == 0 {
				r.Severity = append(r.Severity, severity{"CVSS_V3", g.vector("CVSS:3.1", cvss3)})
			}
		}
		r.References = g.refs(r.ID, cves, g.r.IntN(4))
	case "DSA", "DLA":
		r.ID = fmt.Sprintf("%s-%d-%d", kind, 1000+g.r.IntN(5000), 1+g.r.IntN(3))
		r.Related = cves
		r.Summary = name + " - security update"
		r.Details = g.text(g.detailLen())
		for _, rel := range g.releases(dir)[:1] {
			r.Affected = append(r.Affected, affected{Package: pkg{Ecosystem: rel, Name: name, PURL: g.purl(dir, name)}, Ranges: g.ranges("ECOSYSTEM", dir)})
		}
		r.References = []reference{{"ADVISORY", "https://www.debian.org/security/" + strings.ToLower(r.ID)}}
	case "SUSE-SU", "RHSA":
		if kind == "SUSE-SU" {
			r.ID = fmt.Sprintf("SUSE-SU-%d:%d-%d", pub.Year(), 1+g.r.IntN(4999), 1+g.r.IntN(2))
		} else {
			r.ID = fmt.Sprintf("RHSA-%d:%d", pub.Year(), 1+g.r.IntN(9999))
		}
		r.Related = cves
		r.Summary = "Security update for " + name
		r.Details = g.text(g.detailLen())
		rels := g.releases(dir)
		// One record lists every binary package of the update, per product.
		pkgs := []string{name}
		for range g.r.IntN(6) {
			pkgs = append(pkgs, name+"-"+[]string{"devel", "doc", "libs", "debuginfo", "tools", "common"}[g.r.IntN(6)])
		}
		for _, rel := range rels {
			for _, p := range pkgs {
				r.Affected = append(r.Affected, affected{Package: pkg{Ecosystem: rel, Name: p},
					Ranges: []rng{{Type: "ECOSYSTEM", Events: []map[string]any{{"introduced": "0"}, {"fixed": g.version(dir)}}}}})
			}
		}
		r.Severity = []severity{{"CVSS_V3", g.vector("CVSS:3.1", cvss3)}}
		r.References = g.refs(r.ID, cves, 1+g.r.IntN(3))
	case "ASB":
		r.ID = fmt.Sprintf("ASB-A-%d", 100000000+g.r.IntN(199999999))
		r.Aliases = cves[:1]
		r.Summary = g.text(40)
		r.Affected = []affected{{Package: pkg{Ecosystem: "Android", Name: name},
			Versions:          []string{"12", "12L", "13", "14"}[:1+g.r.IntN(4)],
			EcosystemSpecific: map[string]any{"severity": []string{"High", "Critical", "Moderate"}[g.r.IntN(3)], "type": "EoP"}}}
		r.References = []reference{{"ADVISORY", "https://source.android.com/security/bulletin/" + pub.Format("2006-01-02")}}
	default:
		panic("synth: unknown kind " + kind)
	}
	if g.r.IntN(300) == 0 {
		r.Withdrawn = stamp(mod)
	}
	return r
}

func (g *gen) releases(dir string) []string {
	rels := releases[dir]
	if len(rels) == 0 {
		return []string{dir}
	}
	start := g.r.IntN(len(rels))
	n := 1 + g.r.IntN(len(rels)-start)
	return rels[start : start+n]
}
