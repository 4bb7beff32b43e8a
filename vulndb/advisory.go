// Package vulndb is hallmark's advisory database: it imports OSV exports, the CISA KEV catalog
// and FIRST EPSS scores, keeps them in one local index file, and answers lookups by
// (ecosystem, normalised package name) without reading unrelated records.
//
// The index format is described in docs/design/vulndb.md.
package vulndb

import (
	"strings"
	"time"
)

// Advisory is an OSV record as hallmark keeps it: everything matching, enrichment and the
// outputs need, nothing more. Withdrawn records are never stored.
type Advisory struct {
	ID        string    `json:"id"`
	Aliases   []string  `json:"aliases,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Details   string    `json:"details,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`
	// Severity lists the record's severity entries as published (type + vector or label).
	Severity []Severity `json:"severity,omitempty"`
	// DatabaseSeverity is the textual severity the publishing database gives in
	// database_specific.severity ("HIGH", "MODERATE", …), upper-cased, empty when absent.
	DatabaseSeverity string      `json:"database_severity,omitempty"`
	References       []Reference `json:"references,omitempty"`
	Affected         []Affected  `json:"affected"`
	// Source names the import source the record came from (e.g. "osv:PyPI/all.zip").
	Source string `json:"source,omitempty"`
}

// Severity is one OSV severity entry: Type is CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, …; Score is
// the vector string (or the label for non-CVSS types).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Reference is a link from the record.
type Reference struct {
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

// Affected is one entry of an OSV record's "affected" list.
type Affected struct {
	// Ecosystem is the OSV ecosystem exactly as the record gives it ("PyPI", "Debian:12").
	Ecosystem string `json:"ecosystem"`
	// Name is the package name as the record gives it.
	Name     string   `json:"name"`
	PURL     string   `json:"purl,omitempty"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
	// Severity is the per-package severity some databases give instead of a record-level one.
	Severity []Severity `json:"severity,omitempty"`
	// DatabaseSeverity is database_specific.severity of this entry, upper-cased.
	DatabaseSeverity string `json:"database_severity,omitempty"`
	// Imports are the vulnerable packages and symbols (Go: ecosystem_specific.imports).
	Imports []Import `json:"imports,omitempty"`
}

// Range is an OSV range: Type is SEMVER, ECOSYSTEM or GIT.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Import is a vulnerable package (import path) and, when known, its vulnerable symbols.
type Import struct {
	Path    string   `json:"path"`
	Symbols []string `json:"symbols,omitempty"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
}

// KEV is an entry of the CISA Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE             string `json:"cve"`
	VendorProject   string `json:"vendor_project,omitempty"`
	Product         string `json:"product,omitempty"`
	Name            string `json:"name,omitempty"`
	DateAdded       string `json:"date_added"` // YYYY-MM-DD
	DueDate         string `json:"due_date,omitempty"`
	RequiredAction  string `json:"required_action,omitempty"`
	KnownRansomware string `json:"known_ransomware,omitempty"` // "Known" / "Unknown"
}

// EPSS is a FIRST EPSS score for one CVE.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// BaseEcosystem returns the ecosystem without its release suffix: "Debian:12" → "Debian".
func BaseEcosystem(eco string) string {
	b, _, _ := strings.Cut(eco, ":")
	return b
}

// NormalizeName returns the lookup key form of a package name in an OSV ecosystem, so that
// the names lockfiles, SBOMs and advisories spell differently meet:
//
//   - PyPI: PEP 503 — lower case, every run of "-", "_" and "." becomes one "-".
//   - Maven: "group:artifact", trimmed (Maven coordinates are case-sensitive and kept so).
//   - Go: the module path as is (module paths are case-sensitive).
//   - NuGet, Packagist, crates.io, Hex, Pub, npm: lower case (their registries treat names
//     case-insensitively; crates.io also treats "-" and "_" alike).
//   - everything else: unchanged.
func NormalizeName(ecosystem, name string) string {
	name = strings.TrimSpace(name)
	switch BaseEcosystem(ecosystem) {
	case "PyPI":
		var b strings.Builder
		b.Grow(len(name))
		sep := false
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '-' || c == '_' || c == '.' {
				sep = true
				continue
			}
			if sep {
				b.WriteByte('-')
			}
			sep = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		if sep {
			b.WriteByte('-')
		}
		return b.String()
	case "crates.io":
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case "NuGet", "Packagist", "Hex", "Pub", "npm":
		return strings.ToLower(name)
	}
	return name
}
