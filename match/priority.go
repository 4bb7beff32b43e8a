package match

import (
	"cmp"
	"fmt"
	"slices"
)

// ComputePriority ranks a finding for remediation (docs/scan.md, "Priority"):
//
//	P1  listed in CISA KEV (known to be exploited)
//	P2  EPSS ≥ 0.10, or severity CRITICAL
//	P3  EPSS ≥ 0.01, or severity HIGH
//	P4  everything else
//
// Known exploitation beats predicted exploitation, which beats impact. Go reachability then
// lowers a finding one rank (not below P4) when the vulnerable code is shown not to be used:
// its package is not imported, or no vulnerable symbol is called. KEV findings are never
// lowered: exploitation in the wild outweighs a static analysis that can miss reflection.
func ComputePriority(f *Finding) Priority {
	var p Priority
	epss := 0.0
	if f.EPSS != nil {
		epss = f.EPSS.Score
	}
	switch {
	case f.KEV != nil:
		p = Priority{Rank: 1, Reason: "in CISA KEV since " + f.KEV.DateAdded}
	case epss >= 0.10:
		p = Priority{Rank: 2, Reason: fmt.Sprintf("EPSS %.2f", epss)}
	case f.Severity.Level == SeverityCritical:
		p = Priority{Rank: 2, Reason: "severity critical" + scoreNote(f.Severity)}
	case epss >= 0.01:
		p = Priority{Rank: 3, Reason: fmt.Sprintf("EPSS %.2f", epss)}
	case f.Severity.Level == SeverityHigh:
		p = Priority{Rank: 3, Reason: "severity high" + scoreNote(f.Severity)}
	default:
		p = Priority{Rank: 4, Reason: "severity " + lower(f.Severity.Level) + scoreNote(f.Severity)}
	}
	if f.KEV == nil && p.Rank < 4 && (f.Reachability == ReachNotImported || f.Reachability == ReachImported) {
		p.Rank++
		p.Reason += "; vulnerable code " + map[Reachability]string{ReachNotImported: "not imported", ReachImported: "not called"}[f.Reachability]
	}
	p.Label = fmt.Sprintf("P%d", p.Rank)
	return p
}

func scoreNote(s Severity) string {
	if s.Source != "cvss" {
		return ""
	}
	return fmt.Sprintf(" (CVSS %s %.1f)", s.Version, s.Score)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Prioritize recomputes every finding's priority (after reachability was added), sorts the
// findings and recomputes the upgrades (after suppressions were applied).
func (r *Result) Prioritize() {
	for _, f := range r.Findings {
		f.Priority = ComputePriority(f)
	}
	r.Sort()
	r.ComputeUpgrades()
}

// Sort orders findings: unsuppressed first, then by priority rank, KEV, EPSS, CVSS score
// (highest first), then package and id, so the most urgent work is at the top.
func (r *Result) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b *Finding) int {
		if c := cmp.Compare(boolInt(a.Suppression != nil), boolInt(b.Suppression != nil)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Priority.Rank, b.Priority.Rank); c != 0 {
			return c
		}
		if c := cmp.Compare(boolInt(b.KEV != nil), boolInt(a.KEV != nil)); c != 0 {
			return c
		}
		if c := cmp.Compare(epssOf(b), epssOf(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(levelRank[b.Severity.Level], levelRank[a.Severity.Level]); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Severity.Score, a.Severity.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Package.PURL, b.Package.PURL); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Package.ID, b.Package.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func epssOf(f *Finding) float64 {
	if f.EPSS == nil {
		return 0
	}
	return f.EPSS.Score
}
