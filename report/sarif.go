package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/match"
)

// SARIF 2.1.0 (OASIS Standard with Errata 01), the subset hallmark writes.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	toolURI      = "https://github.com/hallmark-dev/hallmark"
	// fingerprintKey versions the partial fingerprint, so a future change of what it hashes
	// does not make code-scanning UIs see every alert as new and old at once.
	fingerprintKey = "hallmarkFinding/v1"
)

type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
		Properties  map[string]any    `json:"properties,omitempty"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		ShortDescription     *sarifText      `json:"shortDescription,omitempty"`
		FullDescription      *sarifText      `json:"fullDescription,omitempty"`
		Help                 *sarifMultiText `json:"help,omitempty"`
		HelpURI              string          `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfig     `json:"defaultConfiguration"`
		Properties           map[string]any  `json:"properties,omitempty"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifMultiText struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	sarifConfig struct {
		// Enabled is set by decision output only (a rule the policy configuration disables);
		// nil leaves it out.
		Enabled *bool  `json:"enabled,omitempty"`
		Level   string `json:"level"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool                `json:"executionSuccessful"`
		StartTimeUTC        string              `json:"startTimeUtc,omitempty"`
		EndTimeUTC          string              `json:"endTimeUtc,omitempty"`
		Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifText          `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"` // scan and misconfig results always set it
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          map[string]any     `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifLogical struct {
		Name               string `json:"name,omitempty"`               // decision output
		FullyQualifiedName string `json:"fullyQualifiedName,omitempty"` // scan and misconfig output
		Kind               string `json:"kind"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification,omitempty"`
	}
)

type sarifHandler struct {
	collector
	w    io.Writer
	opts Options
}

func (h *sarifHandler) Flush() error {
	res, err := h.flush()
	if err != nil {
		return err
	}
	b, err := encodeIndented(toSARIF(res, h.opts))
	if err != nil {
		return fmt.Errorf("report: sarif: %w", err)
	}
	_, err = h.w.Write(b)
	return err
}

// sarifLevel maps a severity level to a SARIF result level, as code-scanning UIs expect:
// error blocks, warning asks for attention, note informs.
func sarifLevel(level string) string {
	switch level {
	case match.SeverityCritical, match.SeverityHigh:
		return "error"
	case match.SeverityLow, match.SeverityNone:
		return "note"
	}
	return "warning" // MEDIUM, and UNKNOWN: not knowing is no reason to hide it
}

func toSARIF(res *match.Result, opts Options) *sarifLog {
	name, ver := toolOf(opts)
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: name, Version: ver, InformationURI: toolURI, Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true, StartTimeUTC: timeString(opts.Timestamp)}},
		Results:     []sarifResult{},
	}
	rules := map[string]int{}
	for _, f := range res.Findings {
		i, ok := rules[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			rules[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(f))
		} else if r := &run.Tool.Driver.Rules[i]; severityRank(f.Severity.Level) < severityRank(levelOfRule(r)) {
			// One id, several packages: the rule carries the worst severity seen.
			*r = sarifRuleFor(f)
		}
		run.Results = append(run.Results, sarifResultFor(f, i))
	}
	inv := &run.Invocations[0]
	if res.Inventory != nil {
		for _, e := range res.Inventory.Errors {
			n := sarifNotification{Level: "error", Message: sarifText{Text: "could not read " + cmp.Or(e.Path, ".") + ": " + e.Message}}
			if e.Path != "" {
				n.Locations = []sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(e.Path)}}}}
			}
			inv.Notifications = append(inv.Notifications, n)
		}
	}
	reasons := make([]string, 0, len(res.Unmatched))
	for r := range res.Unmatched {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning",
			Message: sarifText{Text: fmt.Sprintf("%d %s not checked: %s", res.Unmatched[r], noun(res.Unmatched[r], "package", "packages"), r)}})
	}
	for _, w := range res.Warnings {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: w}})
	}
	props := map[string]any{}
	if s := res.Subject; s.Name != "" || s.Digest != "" {
		props["subject"] = map[string]string{"kind": s.Kind, "name": s.Name, "digest": s.Digest}
	}
	if !res.DB.BuiltAt.IsZero() {
		props["advisoryDatabaseBuiltAt"] = timeString(res.DB.BuiltAt)
	}
	if len(res.DB.Sources) > 0 {
		props["advisorySources"] = res.DB.Sources
	}
	if len(props) > 0 {
		run.Properties = props
	}
	return &sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

func levelOfRule(r *sarifRule) string {
	l, _ := r.Properties["hallmarkSeverity"].(string)
	return l
}

func sarifRuleFor(f *match.Finding) sarifRule {
	level := cmp.Or(f.Severity.Level, match.SeverityUnknown)
	short := f.Summary
	if short == "" {
		short = "Vulnerability " + f.ID
	}
	r := sarifRule{
		ID:                   f.ID,
		ShortDescription:     &sarifText{Text: short},
		HelpURI:              advisoryURL(f.ID),
		DefaultConfiguration: sarifConfig{Level: sarifLevel(level)},
		Properties: map[string]any{
			"tags":             uniq(append([]string{"security", "vulnerability"}, f.IDs...)),
			"hallmarkSeverity": level,
		},
	}
	if f.Severity.Vector != "" || f.Severity.Score > 0 {
		// GitHub code scanning reads this property (a number as a string) to rank alerts.
		r.Properties["security-severity"] = strconv.FormatFloat(f.Severity.Score, 'f', 1, 64)
	}
	if d := details(f); d != "" && d != f.Summary {
		r.FullDescription = &sarifText{Text: d}
	}
	r.Help = &sarifMultiText{Text: helpText(f, false), Markdown: helpText(f, true)}
	return r
}

// details is the longest description the matched records give.
func details(f *match.Finding) string {
	d := ""
	for _, a := range f.Advisories {
		if a != nil && len(a.Details) > len(d) {
			d = a.Details
		}
	}
	return d
}

func helpText(f *match.Finding, markdown bool) string {
	var b strings.Builder
	title := cmp.Or(f.Summary, f.ID)
	if markdown {
		fmt.Fprintf(&b, "**%s**\n\n", title)
	} else {
		fmt.Fprintf(&b, "%s\n\n", title)
	}
	if d := details(f); d != "" && d != f.Summary {
		b.WriteString(strings.TrimSpace(d) + "\n\n")
	}
	fmt.Fprintf(&b, "Identifiers: %s\n", strings.Join(f.IDs, ", "))
	if len(f.Fixed) > 0 {
		fmt.Fprintf(&b, "Fixed in: %s\n", strings.Join(f.Fixed, ", "))
	} else {
		b.WriteString("Fixed in: no fix known\n")
	}
	seen := map[string]bool{}
	var refs []string
	for _, a := range f.Advisories {
		if a == nil {
			continue
		}
		for _, r := range a.References {
			if !seen[r.URL] {
				seen[r.URL] = true
				refs = append(refs, r.URL)
			}
		}
	}
	if len(refs) > 0 {
		b.WriteString("\nReferences:\n")
		for _, u := range refs {
			if markdown {
				fmt.Fprintf(&b, "- <%s>\n", u)
			} else {
				fmt.Fprintf(&b, "- %s\n", u)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func sarifResultFor(f *match.Finding, ruleIndex int) sarifResult {
	p := f.Package
	pkg := p.Name
	if p.Version != "" {
		pkg += "@" + p.Version
	}
	msg := fmt.Sprintf("%s is affected by %s", pkg, f.ID)
	if sum := strings.Join(strings.Fields(f.Summary), " "); sum != "" {
		msg += ": " + strings.TrimRight(sum, ".")
	}
	if len(f.Fixed) > 0 {
		msg += ". Fixed in " + strings.Join(f.Fixed, ", ") + "."
	} else {
		msg += ". No fix is known."
	}
	r := sarifResult{
		RuleID:    f.ID,
		RuleIndex: ruleIndex,
		Level:     sarifLevel(cmp.Or(f.Severity.Level, match.SeverityUnknown)),
		Message:   sarifText{Text: msg},
	}
	var loc sarifLocation
	path := ""
	if len(p.Locations) > 0 && p.Locations[0].Path != "" {
		l := p.Locations[0]
		path = l.Path
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(l.Path)}}
		if l.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line}
		}
	}
	if p.PURL != "" {
		loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: p.PURL, Kind: "package"}}
	}
	if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
		r.Locations = []sarifLocation{loc}
	}
	// Stable across rescans of the same dependency, so code-scanning UIs track one alert.
	sum := sha256.Sum256([]byte(f.ID + "\x00" + cmp.Or(p.PURL, p.Ecosystem+"/"+p.Name+"@"+p.Version) + "\x00" + path))
	r.PartialFingerprints = map[string]string{fingerprintKey: hex.EncodeToString(sum[:16])}
	if s := f.Suppression; s != nil {
		just := s.Status
		if s.Justification != "" {
			just += ": " + s.Justification
		}
		if s.Statement != "" {
			just += " (" + s.Statement + ")"
		}
		if s.Source != "" {
			just += " [" + s.Source + "]"
		}
		if !s.Expires.IsZero() {
			just += " until " + s.Expires.UTC().Format("2006-01-02")
		}
		// "external": the decision lives outside the analysed files (a VEX document or an
		// ignore file), and hallmark applied it.
		r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: just}}
	}
	props := map[string]any{}
	if f.Priority.Label != "" {
		props["priority"] = f.Priority.Label
		props["priorityReason"] = f.Priority.Reason
	}
	if f.KEV != nil {
		props["kev"] = true
		props["kevDateAdded"] = f.KEV.DateAdded
	}
	if f.EPSS != nil {
		props["epss"] = f.EPSS.Score
		props["epssPercentile"] = f.EPSS.Percentile
	}
	if f.Reachability != match.ReachUnknown {
		props["reachability"] = string(f.Reachability)
	}
	if len(f.Fixed) > 0 {
		props["fixedVersions"] = f.Fixed
	}
	if len(props) > 0 {
		r.Properties = props
	}
	return r
}

// fileURI turns an artifact-relative slash path into a relative URI reference, escaping what
// a URI cannot hold (spaces, "%", a colon in the first segment that would read as a scheme).
func fileURI(p string) string {
	return (&url.URL{Path: p}).String()
}

// uniq drops repeated strings, keeping the first of each (SARIF tags must be unique).
func uniq(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
