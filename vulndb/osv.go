package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lean mirrors of the OSV schema: only the fields hallmark keeps, so encoding/json skips the
// rest (credits, database_specific bodies, …) without allocating them.
type osvRecord struct {
	ID               string        `json:"id"`
	Aliases          []string      `json:"aliases"`
	Summary          string        `json:"summary"`
	Details          string        `json:"details"`
	Published        string        `json:"published"`
	Modified         string        `json:"modified"`
	Withdrawn        string        `json:"withdrawn"`
	Severity         []Severity    `json:"severity"`
	DatabaseSpecific osvDBSpecific `json:"database_specific"`
	References       []Reference   `json:"references"`
	Affected         []osvAffected `json:"affected"`
}

// osvDBSpecific keeps only database_specific.severity, which is a string in GHSA, PyPA and
// others; any other shape is ignored rather than failing the record.
type osvDBSpecific struct {
	Severity json.RawMessage `json:"severity"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Ranges           []osvRange    `json:"ranges"`
	Versions         []string      `json:"versions"`
	Severity         []Severity    `json:"severity"`
	DatabaseSpecific osvDBSpecific `json:"database_specific"`
	EcosystemSpec    struct {
		Imports json.RawMessage `json:"imports"`
	} `json:"ecosystem_specific"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

// errWithdrawn marks a record that is withdrawn as of the build time: counted, not stored.
var errWithdrawn = errors.New("withdrawn")

// parseOSV decodes one OSV JSON record and converts it. It returns errWithdrawn for records
// withdrawn at or before now, and a descriptive error for malformed records.
func parseOSV(data []byte, now time.Time) (*Advisory, error) {
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if strings.TrimSpace(r.ID) == "" {
		return nil, errors.New(`missing "id"`)
	}
	if r.Withdrawn != "" {
		w, err := parseOSVTime(r.Withdrawn)
		if err != nil {
			return nil, fmt.Errorf(`%s: "withdrawn": %w`, r.ID, err)
		}
		if !w.After(now) {
			return nil, errWithdrawn
		}
	}
	a := &Advisory{
		ID:               r.ID,
		Aliases:          nonEmpty(r.Aliases),
		Summary:          r.Summary,
		Details:          r.Details,
		Severity:         nonEmpty(r.Severity),
		DatabaseSeverity: dbSeverity(r.DatabaseSpecific),
		References:       nonEmpty(r.References),
	}
	var err error
	if r.Published != "" {
		if a.Published, err = parseOSVTime(r.Published); err != nil {
			return nil, fmt.Errorf(`%s: "published": %w`, r.ID, err)
		}
	}
	if r.Modified != "" {
		if a.Modified, err = parseOSVTime(r.Modified); err != nil {
			return nil, fmt.Errorf(`%s: "modified": %w`, r.ID, err)
		}
	}
	for i, s := range r.Severity {
		if s.Type == "" || s.Score == "" {
			return nil, fmt.Errorf("%s: severity[%d]: type and score are required", r.ID, i)
		}
	}
	a.Affected = make([]Affected, 0, len(r.Affected))
	for i := range r.Affected {
		ra := &r.Affected[i]
		if strings.TrimSpace(ra.Package.Ecosystem) == "" || strings.TrimSpace(ra.Package.Name) == "" {
			return nil, fmt.Errorf("%s: affected[%d]: package name and ecosystem are required", r.ID, i)
		}
		af := Affected{
			Ecosystem:        ra.Package.Ecosystem,
			Name:             ra.Package.Name,
			PURL:             ra.Package.PURL,
			Versions:         nonEmpty(ra.Versions),
			Severity:         nonEmpty(ra.Severity),
			DatabaseSeverity: dbSeverity(ra.DatabaseSpecific),
		}
		for j, rr := range ra.Ranges {
			if rr.Type == "" {
				return nil, fmt.Errorf("%s: affected[%d].ranges[%d]: missing type", r.ID, i, j)
			}
			rng := Range{Type: rr.Type, Events: make([]Event, len(rr.Events))}
			for k, ev := range rr.Events {
				n := 0
				for _, p := range []*string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
					if p != nil {
						n++
						if *p == "" {
							n = -100
						}
					}
				}
				if n != 1 {
					return nil, fmt.Errorf("%s: affected[%d].ranges[%d].events[%d]: want exactly one non-empty field of introduced, fixed, last_affected, limit", r.ID, i, j, k)
				}
				rng.Events[k] = Event{Introduced: deref(ev.Introduced), Fixed: deref(ev.Fixed), LastAffected: deref(ev.LastAffected), Limit: deref(ev.Limit)}
			}
			af.Ranges = append(af.Ranges, rng)
		}
		if imp := ra.EcosystemSpec.Imports; len(imp) > 0 && !bytes.Equal(imp, []byte("null")) {
			if err := json.Unmarshal(imp, &af.Imports); err != nil {
				// Only the Go database defines ecosystem_specific.imports; elsewhere an
				// unexpected shape is not ours to judge.
				if BaseEcosystem(af.Ecosystem) == "Go" {
					return nil, fmt.Errorf("%s: affected[%d].ecosystem_specific.imports: %v", r.ID, i, err)
				}
				af.Imports = nil
			}
			af.Imports = nonEmpty(af.Imports)
			for j, im := range af.Imports {
				af.Imports[j].Symbols = nonEmpty(im.Symbols)
				af.Imports[j].GOOS = nonEmpty(im.GOOS)
				af.Imports[j].GOARCH = nonEmpty(im.GOARCH)
				if im.Path == "" && BaseEcosystem(af.Ecosystem) == "Go" {
					return nil, fmt.Errorf("%s: affected[%d].ecosystem_specific.imports[%d]: missing path", r.ID, i, j)
				}
			}
		}
		a.Affected = append(a.Affected, af)
	}
	for i, ref := range a.References {
		if ref.URL == "" {
			return nil, fmt.Errorf("%s: references[%d]: missing url", r.ID, i)
		}
	}
	return a, nil
}

// parseOSVTime parses an OSV timestamp (RFC 3339, UTC per the schema; offsets are accepted and
// converted).
func parseOSVTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 time: %q", s)
	}
	return t.UTC(), nil
}

func dbSeverity(d osvDBSpecific) string {
	var s string
	if len(d.Severity) == 0 || json.Unmarshal(d.Severity, &s) != nil {
		return ""
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// nonEmpty maps empty lists to nil, so a record reads back exactly as it was parsed.
func nonEmpty[T any](ss []T) []T {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

// keys returns the distinct index keys of a: ecosystem + "\x00" + normalised name per affected
// entry, in first-seen order.
func (a *Advisory) keys() []string {
	out := make([]string, 0, len(a.Affected))
	for i := range a.Affected {
		k := indexKey(a.Affected[i].Ecosystem, a.Affected[i].Name)
		dup := false
		for _, o := range out {
			if o == k {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	return out
}

func indexKey(ecosystem, name string) string {
	return ecosystem + "\x00" + NormalizeName(ecosystem, name)
}
