package match

import (
	"time"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// Result is what a scan found in one inventory.
type Result struct {
	// Subject is the scanned artifact.
	Subject inventory.Subject
	// Inventory is the inventory that was matched (packages, distro, errors).
	Inventory *inventory.Inventory
	// Findings are the vulnerabilities found, sorted by priority (see Sort). Suppressed
	// findings stay in the list with Suppression set, so outputs can show why.
	Findings []*Finding
	// Upgrades gives, per vulnerable package, the smallest upgrade that fixes all of its
	// (unsuppressed) findings.
	Upgrades []Upgrade
	// DB describes the advisory database used.
	DB DBInfo
	// Warnings are messages for the user (stale database, packages that could not be
	// matched, …). They never change the findings.
	Warnings []string
	// Unmatched counts packages that could not be looked up, by reason.
	Unmatched map[string]int
}

// DBInfo describes the database a result was computed with.
type DBInfo struct {
	Path    string
	BuiltAt time.Time
	// Sources are short descriptions, e.g. "osv:Go/all.zip (4291 records)".
	Sources []string
}

// Finding is one vulnerability in one package. Advisories that are aliases of each other
// (CVE-…, GHSA-…, GO-…, PYSEC-…) are merged into one finding that lists every id.
type Finding struct {
	// ID is the primary id: see PrimaryID for the rule.
	ID string
	// IDs are every id that names this vulnerability (matched records and their aliases),
	// sorted, including ID.
	IDs []string
	// Package is the affected package of the inventory.
	Package *inventory.Package
	// Advisories are the matched records.
	Advisories []*vulndb.Advisory
	// Summary is a one-line description.
	Summary string
	// Severity is the worst severity among the matched records.
	Severity Severity
	// Fixed are the versions that fix this vulnerability for the installed version, ascending.
	// Empty means no fix is known.
	Fixed []string
	// KEV is set when one of IDs is in the CISA KEV catalog.
	KEV *vulndb.KEV
	// EPSS is the highest EPSS score among the CVE ids, with that CVE in EPSSCVE.
	EPSS    *vulndb.EPSS
	EPSSCVE string
	// Reachability tells whether the vulnerable code is used; ReachUnknown when not analysed.
	Reachability Reachability
	// Symbols are the vulnerable symbols found to be used (for ReachCalled).
	Symbols []string
	// Priority orders findings for remediation (see ComputePriority).
	Priority Priority
	// Suppression is set when a VEX statement or an ignore rule suppresses the finding.
	Suppression *Suppression
}

// Severity levels, worst first.
const (
	SeverityCritical = "CRITICAL"
	SeverityHigh     = "HIGH"
	SeverityMedium   = "MEDIUM"
	SeverityLow      = "LOW"
	SeverityNone     = "NONE"
	SeverityUnknown  = "UNKNOWN"
)

// Severity is a finding's severity: the level, and the CVSS score and vector it came from
// when it came from one.
type Severity struct {
	// Level is one of the Severity* constants.
	Level string
	// Score is the CVSS base score (0–10); 0 with Vector empty when not from CVSS.
	Score float64
	// Vector is the CVSS vector string the score was computed from.
	Vector string
	// Version is "2.0", "3.0", "3.1" or "4.0" for CVSS; empty otherwise.
	Version string
	// Source tells where the level came from: "cvss" or "database".
	Source string
}

// Reachability of vulnerable code.
type Reachability string

// Reachability values.
const (
	ReachUnknown     Reachability = ""
	ReachCalled      Reachability = "called"
	ReachImported    Reachability = "imported"     // imported, no vulnerable symbol used
	ReachNotImported Reachability = "not-imported" // the vulnerable package is not used
)

// Priority is the remediation priority of a finding: Rank 1 is the most urgent.
type Priority struct {
	Rank   int    // 1..4
	Label  string // "P1".."P4"
	Reason string // why, e.g. "in CISA KEV", "EPSS 0.42", "CVSS 9.8"
}

// Suppression records why a finding is suppressed.
type Suppression struct {
	// Kind is "vex" or "ignore".
	Kind string
	// Status is the VEX status ("not_affected", "fixed") or "ignored".
	Status string
	// Justification is the VEX justification or the ignore rule's reason.
	Justification string
	// Statement is a free-text impact statement, when the VEX gives one.
	Statement string
	// Source is the file the statement or rule came from.
	Source string
	// Expires is the ignore rule's expiry date (ignore rules only).
	Expires time.Time
}

// Upgrade is the smallest version of a package that fixes all of its findings.
type Upgrade struct {
	Package *inventory.Package
	// To is the version to upgrade to; empty when no single version fixes them all.
	To string
	// Findings is the number of unsuppressed findings the upgrade fixes.
	Findings int
}
