package match

import (
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// levelRank orders severity levels, worst first.
var levelRank = map[string]int{
	SeverityCritical: 5, SeverityHigh: 4, SeverityMedium: 3, SeverityLow: 2, SeverityNone: 1, SeverityUnknown: 0, "": 0,
}

// worse reports whether a is worse than b: higher level, then higher score.
func worse(a, b Severity) bool {
	ra, rb := levelRank[a.Level], levelRank[b.Level]
	if ra != rb {
		return ra > rb
	}
	return a.Score > b.Score
}

// severityOf rates one matched record for one affected entry. The entry's own severity comes
// before the record's (some databases rate per package); among CVSS vectors the most recent
// CVSS version wins (4.0, 3.1, 3.0, 2.0), since that is the one the publisher rated last. A
// record with no parseable vector falls back to the database's textual severity.
func severityOf(a *vulndb.Advisory, af *vulndb.Affected) Severity {
	var best Severity
	bestVer := ""
	for _, list := range [][]vulndb.Severity{af.Severity, a.Severity} {
		for _, s := range list {
			sev, ok := ScoreCVSS(s.Score)
			if !ok {
				continue
			}
			if bestVer == "" || sev.Version > bestVer {
				best, bestVer = sev, sev.Version
			}
		}
		if bestVer != "" {
			return best
		}
	}
	for _, label := range []string{af.DatabaseSeverity, a.DatabaseSeverity} {
		if l := levelOfLabel(label); l != "" {
			return Severity{Level: l, Source: "database"}
		}
	}
	for _, list := range [][]vulndb.Severity{af.Severity, a.Severity} {
		for _, s := range list {
			if l := levelOfLabel(s.Score); l != "" && !strings.HasPrefix(s.Type, "CVSS") {
				return Severity{Level: l, Source: "database"}
			}
		}
	}
	return Severity{Level: SeverityUnknown}
}

// ScoreCVSS parses a CVSS v2.0, v3.0, v3.1 or v4.0 base vector and returns its base score and
// the qualitative rating (CVSS v3.1 specification §5; v2.0 has no official rating, the NVD's
// Low 0–3.9 / Medium 4–6.9 / High 7–10 is used).
func ScoreCVSS(vector string) (Severity, bool) {
	vector = strings.TrimSpace(vector)
	var (
		score float64
		ver   string
	)
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score, ver = c.Score(), "4.0"
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score, ver = c.BaseScore(), "3.1"
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return Severity{}, false
		}
		score, ver = c.BaseScore(), "3.0"
	default:
		c, err := gocvss20.ParseVector(strings.TrimSuffix(strings.TrimPrefix(vector, "("), ")"))
		if err != nil {
			return Severity{}, false
		}
		score, ver = c.BaseScore(), "2.0"
	}
	return Severity{Level: levelOfScore(score, ver), Score: score, Vector: vector, Version: ver, Source: "cvss"}, true
}

func levelOfScore(s float64, ver string) string {
	if ver == "2.0" {
		switch {
		case s >= 7:
			return SeverityHigh
		case s >= 4:
			return SeverityMedium
		default:
			return SeverityLow
		}
	}
	switch {
	case s >= 9:
		return SeverityCritical
	case s >= 7:
		return SeverityHigh
	case s >= 4:
		return SeverityMedium
	case s > 0:
		return SeverityLow
	}
	return SeverityNone
}

// levelOfLabel maps the textual severities databases publish (GitHub "MODERATE", Red Hat
// "Important", Ubuntu "negligible", Debian "unimportant", …) onto the CVSS levels.
func levelOfLabel(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return SeverityCritical
	case "HIGH", "IMPORTANT":
		return SeverityHigh
	case "MEDIUM", "MODERATE":
		return SeverityMedium
	case "LOW", "NEGLIGIBLE", "UNIMPORTANT", "MINOR":
		return SeverityLow
	case "NONE":
		return SeverityNone
	}
	return ""
}

// ParseLevel reads a severity level as users type it (for --fail-on): "critical", "High", ….
func ParseLevel(s string) (string, bool) {
	l := levelOfLabel(s)
	return l, l != ""
}

// AtLeast reports whether level is at least threshold.
func AtLeast(level, threshold string) bool { return levelRank[level] >= levelRank[threshold] }
