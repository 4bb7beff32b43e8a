package vex

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/match"
)

// ConfigFile is the name of the ignore file hallmark looks for at the scan root.
const ConfigFile = ".hallmark.yaml"

// ErrBadConfig is matched (errors.Is) by every error LoadConfig returns for a file that is not
// a valid ignore file; the message names file:line and the field. Fix the file.
var ErrBadConfig = errors.New("invalid hallmark config")

// Config is the part of .hallmark.yaml this room reads.
type Config struct {
	// Path is the file the config was read from; warnings and suppressions name it.
	Path   string
	Ignore []IgnoreRule
}

// IgnoreRule is an accepted risk: findings it matches are suppressed until it expires.
type IgnoreRule struct {
	// ID is any id or alias of the finding.
	ID string
	// Package is an optional purl narrowing the rule (version optional), canonicalised.
	Package string
	// Reason says why the finding is accepted; it is required so that every exception is
	// explained where the finding would have been reported.
	Reason string
	// Expires is when the rule stops applying: a YYYY-MM-DD date means 00:00 UTC that day.
	// It is required so that no exception is forever.
	Expires time.Time
	// Line is the rule's line in the file.
	Line int
}

var ruleKeys = []string{"id", "package", "reason", "expires"}

// LoadConfig reads an ignore file:
//
//	ignore:
//	  - id: CVE-2023-1234            # any id or alias of the finding
//	    package: pkg:pypi/django     # optional purl (version optional)
//	    reason: "not reachable: we never call X"
//	    expires: 2027-01-31          # YYYY-MM-DD or an RFC 3339 timestamp
//
// Unknown keys are errors (a misspelt key would otherwise widen or disable a rule), as are a
// missing id, reason or expiry, a bad date and a package that is not a purl. An empty file is an
// empty config.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(path, b)
}

func cfgErr(path string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", path, line, fmt.Sprintf(format, args...), ErrBadConfig)
}

func parseConfig(path string, b []byte) (*Config, error) {
	cfg := &Config{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return nil, fmt.Errorf("%s: %v: %w", path, strings.TrimPrefix(err.Error(), "yaml: "), ErrBadConfig)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, fmt.Errorf("%s: %v: %w", path, strings.TrimPrefix(err.Error(), "yaml: "), ErrBadConfig)
		}
		return nil, cfgErr(path, line, "a second YAML document; the file must hold one")
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, cfgErr(path, root.Line, "the file must be a mapping with an ignore list")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, cfgErr(path, k.Line, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		if k.Value != "ignore" {
			return nil, cfgErr(path, k.Line, "unknown key %q (known: ignore)", k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, cfgErr(path, v.Line, "ignore: want a list of rules")
		}
		for j, item := range v.Content {
			r, err := parseRule(path, fmt.Sprintf("ignore[%d]", j), item)
			if err != nil {
				return nil, err
			}
			cfg.Ignore = append(cfg.Ignore, r)
		}
	}
	return cfg, nil
}

func parseRule(path, field string, n *yaml.Node) (IgnoreRule, error) {
	r := IgnoreRule{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return r, cfgErr(path, n.Line, "%s: want a mapping with id, reason and expires", field)
	}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		known := false
		for _, rk := range ruleKeys {
			known = known || k.Value == rk
		}
		if !known {
			return r, cfgErr(path, k.Line, "%s: unknown key %q (known: %s)", field, k.Value, strings.Join(ruleKeys, ", "))
		}
		if vals[k.Value] != nil {
			return r, cfgErr(path, k.Line, "%s: duplicate key %q", field, k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return r, cfgErr(path, v.Line, "%s.%s: want a single value", field, k.Value)
		}
		if v.Tag == "!!null" {
			continue
		}
		vals[k.Value] = v
	}
	str := func(key string) string {
		if v := vals[key]; v != nil {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	lineOf := func(key string) int {
		if v := vals[key]; v != nil {
			return v.Line
		}
		return n.Line
	}
	if r.ID = str("id"); r.ID == "" {
		return r, cfgErr(path, lineOf("id"), "%s.id: missing; give the vulnerability id or alias to ignore", field)
	}
	if r.Reason = str("reason"); r.Reason == "" {
		return r, cfgErr(path, lineOf("reason"), "%s.reason: missing; say why %s is acceptable", field, r.ID)
	}
	if p := str("package"); p != "" {
		c, err := purl.Canonical(p)
		if err != nil {
			return r, cfgErr(path, lineOf("package"), "%s.package: %v", field, err)
		}
		r.Package = c
	}
	exp := str("expires")
	if exp == "" {
		return r, cfgErr(path, lineOf("expires"), "%s.expires: missing; give a date (YYYY-MM-DD) when the exception must be reviewed", field)
	}
	t, err := time.Parse(time.DateOnly, exp)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, exp); err != nil {
			return r, cfgErr(path, lineOf("expires"), "%s.expires: %q is not a date (YYYY-MM-DD) or an RFC 3339 timestamp", field, exp)
		}
	}
	r.Expires = t
	return r, nil
}

// ApplyIgnores suppresses the findings matched by unexpired rules (Suppression Kind "ignore",
// Status "ignored", Justification the rule's reason) and returns warnings for the user:
// one per expired rule (expired rules suppress nothing, so their findings are reported again)
// and one per rule that matches no finding. A rule matches a finding when its ID is one of the
// finding's IDs (case-insensitively) and, if it has a Package, that purl matches the finding's
// package purl as in Apply. Findings already suppressed by VEX keep that suppression; when
// several rules match, the first in the file wins. A rule expires at its Expires instant: on
// `expires: 2026-01-31` it no longer applies from 2026-01-31T00:00Z.
func ApplyIgnores(res *match.Result, cfg *Config, now time.Time) (warnings []string) {
	if res == nil || cfg == nil {
		return nil
	}
	cache := purlCache{}
	for _, r := range cfg.Ignore {
		var pattern purl.PURL
		hasPattern := false
		if r.Package != "" {
			u, err := purl.Parse(r.Package)
			if err != nil {
				// LoadConfig rejects these; a hand-built rule with a bad purl matches nothing.
				warnings = append(warnings, fmt.Sprintf("%s:%d: ignore rule for %s has an invalid package purl and matches nothing: %v", cfg.Path, r.Line, r.ID, err))
				continue
			}
			pattern, hasPattern = u, true
		}
		expired := !now.Before(r.Expires)
		matched := 0
		for _, f := range res.Findings {
			if f == nil || !containsFold(f.IDs, r.ID) && !strings.EqualFold(f.ID, r.ID) {
				continue
			}
			if hasPattern {
				pkg, ok := cache.parse(f.Package)
				if !ok || !purlMatches(pattern, pkg) {
					continue
				}
			}
			matched++
			if expired || f.Suppression != nil {
				continue
			}
			f.Suppression = &match.Suppression{
				Kind:          "ignore",
				Status:        "ignored",
				Justification: r.Reason,
				Source:        cfg.Path,
				Expires:       r.Expires,
			}
		}
		what := r.ID
		if r.Package != "" {
			what += " in " + r.Package
		}
		switch {
		case expired && matched == 1:
			warnings = append(warnings, fmt.Sprintf("%s:%d: ignore rule for %s expired on %s; the finding is reported again", cfg.Path, r.Line, what, dateString(r.Expires)))
		case expired && matched > 1:
			warnings = append(warnings, fmt.Sprintf("%s:%d: ignore rule for %s expired on %s; its %d findings are reported again", cfg.Path, r.Line, what, dateString(r.Expires), matched))
		case expired:
			warnings = append(warnings, fmt.Sprintf("%s:%d: ignore rule for %s expired on %s and matches no finding; remove it", cfg.Path, r.Line, what, dateString(r.Expires)))
		case matched == 0:
			warnings = append(warnings, fmt.Sprintf("%s:%d: ignore rule for %s matches no finding; remove it or correct its id or package", cfg.Path, r.Line, what))
		}
	}
	return warnings
}

// dateString shows an expiry as it is usually written: a date when it is midnight UTC.
func dateString(t time.Time) string {
	if u := t.UTC(); u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}
