package report

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/misconfig"
)

// Misconfiguration results are rendered by WriteMisconfig rather than through Handler: a
// Handler's messages are a vulnerability scan's (packages, advisories, upgrades), and a
// misconfiguration result has none of them. The formats share the scan formats' helpers
// (terminal-safe text, indentation, SARIF types) and conventions.

// MisconfigFormats are the formats WriteMisconfig accepts, in the order help text lists them.
var MisconfigFormats = []string{"table", "json", "sarif"}

// MisconfigSchemaVersion is the version of the misconfiguration JSON document
// (docs/schema/misconfig-v1.json) written by the json format and read by ReadMisconfigJSON.
const MisconfigSchemaVersion = "1"

// ErrBadMisconfigJSON is returned by ReadMisconfigJSON for input that is not a
// misconfiguration JSON document of a supported version; the message says what is wrong.
var ErrBadMisconfigJSON = errors.New("not a valid hallmark misconfiguration JSON document")

// WriteMisconfig renders res in opts.Format (table, json or sarif) to w. Width and Timestamp
// apply as for scan results; the other options are ignored.
func WriteMisconfig(w io.Writer, res *misconfig.Result, opts Options) error {
	if res == nil {
		return errors.New("report: nil misconfiguration result")
	}
	if opts.Width < 0 {
		return fmt.Errorf("report: negative table width %d", opts.Width)
	}
	for i, f := range res.Findings {
		if f.RuleID == "" || f.File == "" {
			return fmt.Errorf("report: misconfiguration findings[%d] has no rule or file", i)
		}
	}
	var out []byte
	var err error
	switch opts.Format {
	case "", "table":
		out = []byte(misconfigTable(res, cmp.Or(opts.Width, DefaultWidth)))
	case "json":
		out, err = encodeIndented(toMisconfigJSON(res, opts))
	case "sarif":
		out, err = encodeIndented(toMisconfigSARIF(res, opts))
	default:
		return fmt.Errorf("report: %w %q (valid: %s)", ErrFormat, opts.Format, strings.Join(MisconfigFormats, ", "))
	}
	if err != nil {
		return fmt.Errorf("report: misconfig %s: %w", opts.Format, err)
	}
	_, err = w.Write(out)
	return err
}

// ---- table

func misconfigTable(res *misconfig.Result, width int) string {
	t := &table{width: width}
	withFindings := 0
	t.line(fmt.Sprintf("Misconfiguration check of %d %s (%d %s)", len(res.Files), noun(len(res.Files), "file", "files"),
		res.Objects, noun(res.Objects, "object", "objects")))
	t.line("")
	file := ""
	for _, f := range res.Findings {
		if f.File != file {
			if file != "" {
				t.line("")
			}
			file = f.File
			withFindings++
			t.unbroken(clean(f.File))
		}
		// Severity, rule and line in columns; the object after them, or under them when the
		// line would be too long.
		head := "  " + pad(strings.ToUpper(f.Severity), 10) + pad(clean(f.RuleID), 12) + "line " + fmt.Sprint(f.Line)
		obj := objectLabel(f)
		switch {
		case obj == "":
			t.line(head)
		case width1(head)+2+width1(obj) <= t.width:
			t.line(head + "  " + obj)
		default:
			t.line(head)
			t.wrap(strings.Repeat(" ", 12), obj)
		}
		t.wrap(strings.Repeat(" ", 12), clean(f.Message))
		if f.Source != "" {
			t.wrap(strings.Repeat(" ", 12)+"from ", clean(f.Source))
		}
		t.wrap(strings.Repeat(" ", 12)+"fix: ", clean(f.Remediation))
	}
	if len(res.Findings) > 0 {
		t.line("")
	}
	if len(res.Findings) == 0 {
		t.line("No misconfigurations found.")
	} else {
		counts := res.Count()
		var parts []string
		for _, s := range misconfig.Severities {
			if n := counts[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		t.wrap("", fmt.Sprintf("%d %s in %d %s: %s", len(res.Findings), noun(len(res.Findings), "misconfiguration", "misconfigurations"),
			withFindings, noun(withFindings, "file", "files"), strings.Join(parts, ", ")))
	}
	if len(res.Errors) > 0 {
		t.wrap("", fmt.Sprintf("Partial result: %d %s could not be checked:", len(res.Errors), noun(len(res.Errors), "file", "files")))
		for _, e := range res.Errors {
			loc := e.File
			if e.Line > 0 {
				loc += ":" + strconv.Itoa(e.Line)
			}
			t.unbroken("  " + clean(loc))
			t.wrap("    ", clean(e.Message))
		}
	}
	if len(res.Skipped) > 0 {
		t.wrap("", fmt.Sprintf("Skipped %d %s with nothing to check:", len(res.Skipped), noun(len(res.Skipped), "path", "paths")))
		for _, s := range res.Skipped {
			t.unbroken("  " + clean(s.File))
			t.wrap("    ", clean(s.Reason))
		}
	}
	return t.b.String()
}

// unbroken writes s whole, over as many lines as it needs (a path is no use cut short).
func (t *table) unbroken(s string) {
	var b strings.Builder
	w := 0
	for _, r := range s {
		if rw := runeWidth(r); w+rw > t.width && w > 0 {
			t.line(b.String())
			b.Reset()
			w = 0
		}
		b.WriteRune(r)
		w += runeWidth(r)
	}
	t.line(b.String())
}

// objectLabel names what a finding is about: "Deployment shop/web, container app".
func objectLabel(f misconfig.Finding) string {
	name := f.Name
	if f.Namespace != "" && f.Kind != "Namespace" {
		name = f.Namespace + "/" + name
	}
	s := strings.TrimSpace(f.Kind + " " + name)
	if f.Kind == "Dockerfile" && f.Name != "" {
		s = "stage " + f.Name
	} else if f.Kind == "Dockerfile" {
		s = ""
	}
	if f.Container != "" {
		if s != "" {
			s += ", "
		}
		s += "container " + f.Container
	}
	return clean(s)
}

// ---- json

type (
	misconfigDoc struct {
		SchemaVersion string             `json:"schema_version"`
		Tool          *jsonTool          `json:"tool,omitempty"`
		CreatedAt     string             `json:"created_at,omitempty"`
		Files         []string           `json:"files"`
		Objects       int                `json:"objects"`
		Summary       map[string]int     `json:"summary"`
		Findings      []misconfigFinding `json:"findings"`
		Errors        []misconfigError   `json:"errors,omitempty"`
		Skipped       []misconfigSkipped `json:"skipped,omitempty"`
		Rules         []misconfigRule    `json:"rules"`
	}
	misconfigFinding struct {
		RuleID      string `json:"rule_id"`
		Title       string `json:"title"`
		Severity    string `json:"severity"`
		File        string `json:"file"`
		Line        int    `json:"line"`
		Kind        string `json:"kind,omitempty"`
		Name        string `json:"name,omitempty"`
		Namespace   string `json:"namespace,omitempty"`
		Container   string `json:"container,omitempty"`
		Source      string `json:"source,omitempty"`
		Message     string `json:"message"`
		Remediation string `json:"remediation"`
	}
	misconfigError struct {
		File    string `json:"file"`
		Line    int    `json:"line,omitempty"`
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	misconfigSkipped struct {
		File   string `json:"file"`
		Reason string `json:"reason"`
	}
	misconfigRule struct {
		ID          string   `json:"id"`
		Title       string   `json:"title"`
		Severity    string   `json:"severity"`
		Target      string   `json:"target"`
		Description string   `json:"description,omitempty"`
		Remediation string   `json:"remediation"`
		References  []string `json:"references,omitempty"`
	}
)

// errorKinds names the FileError sentinels in JSON; anything else is "io".
var errorKinds = []struct {
	name string
	err  error
}{
	{"malformed", misconfig.ErrMalformed},
	{"template", misconfig.ErrTemplate},
	{"unsupported", misconfig.ErrUnsupported},
	{"too-large", misconfig.ErrTooLarge},
}

func errorKindName(err error) string {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "io"
}

func toMisconfigJSON(res *misconfig.Result, opts Options) *misconfigDoc {
	name, ver := toolOf(opts)
	doc := &misconfigDoc{
		SchemaVersion: MisconfigSchemaVersion,
		Tool:          &jsonTool{Name: name, Version: ver},
		CreatedAt:     timeString(opts.Timestamp),
		Files:         append([]string{}, res.Files...),
		Objects:       res.Objects,
		Summary:       map[string]int{},
		Findings:      []misconfigFinding{},
		Rules:         []misconfigRule{},
	}
	for _, s := range misconfig.Severities {
		doc.Summary[s] = 0
	}
	for _, f := range res.Findings {
		doc.Summary[f.Severity]++
		doc.Findings = append(doc.Findings, misconfigFinding{RuleID: f.RuleID, Title: f.Title, Severity: f.Severity,
			File: f.File, Line: f.Line, Kind: f.Kind, Name: f.Name, Namespace: f.Namespace, Container: f.Container,
			Source: f.Source, Message: f.Message, Remediation: f.Remediation})
	}
	for _, e := range res.Errors {
		doc.Errors = append(doc.Errors, misconfigError{File: e.File, Line: e.Line, Kind: errorKindName(e.Err), Message: e.Message})
	}
	for _, s := range res.Skipped {
		doc.Skipped = append(doc.Skipped, misconfigSkipped{File: s.File, Reason: s.Reason})
	}
	for _, r := range res.Rules {
		doc.Rules = append(doc.Rules, misconfigRule{ID: r.ID, Title: r.Title, Severity: r.Severity, Target: r.Target,
			Description: r.Description, Remediation: r.Remediation, References: r.References})
	}
	return doc
}

// ReadMisconfigJSON reads a document written by WriteMisconfig's json format back into a
// Result, so that it can be rendered again or given to policy as evidence. It accepts only
// schema_version "1", refuses unknown fields, trailing data, unknown severities and error
// kinds, and findings without a rule, file or line; errors wrap ErrBadMisconfigJSON.
func ReadMisconfigJSON(r io.Reader) (*misconfig.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("report: reading misconfiguration JSON: %w", err)
	}
	if int64(len(data)) > maxJSONSize {
		return nil, fmt.Errorf("report: %w: larger than %d bytes", ErrBadMisconfigJSON, maxJSONSize)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("report: %w: %s", ErrBadMisconfigJSON, fmt.Sprintf(format, args...))
	}
	var doc misconfigDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, bad("%v", err)
	}
	if dec.More() {
		return nil, bad("trailing data after the document")
	}
	if doc.SchemaVersion != MisconfigSchemaVersion {
		return nil, bad("schema_version %q (want %q)", doc.SchemaVersion, MisconfigSchemaVersion)
	}
	if doc.Objects < 0 {
		return nil, bad("objects is negative")
	}
	res := &misconfig.Result{Files: doc.Files, Objects: doc.Objects}
	counts := map[string]int{}
	for i, f := range doc.Findings {
		switch {
		case f.RuleID == "" || f.File == "":
			return nil, bad("findings[%d]: rule_id and file are required", i)
		case f.Line < 1:
			return nil, bad("findings[%d]: line %d is not a line number", i, f.Line)
		case !slices.Contains(misconfig.Severities, f.Severity):
			return nil, bad("findings[%d]: unknown severity %q", i, f.Severity)
		}
		counts[f.Severity]++
		res.Findings = append(res.Findings, misconfig.Finding{RuleID: f.RuleID, Title: f.Title, Severity: f.Severity,
			File: f.File, Line: f.Line, Kind: f.Kind, Name: f.Name, Namespace: f.Namespace, Container: f.Container,
			Source: f.Source, Message: f.Message, Remediation: f.Remediation})
	}
	for s, n := range doc.Summary {
		if !slices.Contains(misconfig.Severities, s) || n != counts[s] {
			return nil, bad("summary %s: %d does not match the %d findings", s, n, counts[s])
		}
	}
	for i, e := range doc.Errors {
		var sentinel error
		for _, k := range errorKinds {
			if k.name == e.Kind {
				sentinel = k.err
			}
		}
		if sentinel == nil && e.Kind != "io" {
			return nil, bad("errors[%d]: unknown kind %q", i, e.Kind)
		}
		if e.File == "" || e.Line < 0 {
			return nil, bad("errors[%d]: file is required and line must not be negative", i)
		}
		if sentinel == nil {
			sentinel = errors.New(e.Message)
		}
		res.Errors = append(res.Errors, misconfig.FileError{File: e.File, Line: e.Line, Message: e.Message, Err: sentinel})
	}
	for _, s := range doc.Skipped {
		res.Skipped = append(res.Skipped, misconfig.Skipped{File: s.File, Reason: s.Reason})
	}
	for i, r := range doc.Rules {
		if r.ID == "" || !slices.Contains(misconfig.Severities, r.Severity) ||
			(r.Target != misconfig.TargetKubernetes && r.Target != misconfig.TargetDockerfile) {
			return nil, bad("rules[%d]: id, a known severity and a known target are required", i)
		}
		res.Rules = append(res.Rules, misconfig.Rule{ID: r.ID, Title: r.Title, Severity: r.Severity, Target: r.Target,
			Description: r.Description, Remediation: r.Remediation, References: r.References})
	}
	return res, nil
}

// ---- sarif

// securitySeverity is the number GitHub code scanning ranks alerts by ("security-severity":
// critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9).
var securitySeverity = map[string]string{
	misconfig.SeverityCritical: "9.5", misconfig.SeverityHigh: "8.0", misconfig.SeverityMedium: "5.5", misconfig.SeverityLow: "2.0",
}

func misconfigLevel(sev string) string {
	switch sev {
	case misconfig.SeverityCritical, misconfig.SeverityHigh:
		return "error"
	case misconfig.SeverityLow:
		return "note"
	}
	return "warning"
}

type sarifArtifactEntry struct {
	Location sarifArtifact `json:"location"`
}

// misconfigRun is a SARIF run with the artifacts list the scan format does not need.
type misconfigRun struct {
	Tool        sarifTool            `json:"tool"`
	Invocations []sarifInvocation    `json:"invocations"`
	Artifacts   []sarifArtifactEntry `json:"artifacts,omitempty"`
	Results     []sarifResult        `json:"results"`
}

type misconfigLog struct {
	Schema  string         `json:"$schema"`
	Version string         `json:"version"`
	Runs    []misconfigRun `json:"runs"`
}

func toMisconfigSARIF(res *misconfig.Result, opts Options) *misconfigLog {
	name, ver := toolOf(opts)
	run := misconfigRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: name, Version: ver, InformationURI: toolURI, Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: !res.Partial(), StartTimeUTC: timeString(opts.Timestamp)}},
		Results:     []sarifResult{},
	}
	index := map[string]int{}
	addRule := func(r misconfig.Rule) int {
		if i, ok := index[r.ID]; ok {
			return i
		}
		sr := sarifRule{
			ID:                   r.ID,
			ShortDescription:     &sarifText{Text: cmp.Or(r.Title, r.ID)},
			DefaultConfiguration: sarifConfig{Level: misconfigLevel(r.Severity)},
			Properties: map[string]any{
				"tags":              uniq([]string{"security", "misconfiguration", cmp.Or(r.Target, "configuration")}),
				"hallmarkSeverity":  r.Severity,
				"security-severity": securitySeverity[r.Severity],
			},
		}
		if r.Description != "" {
			sr.FullDescription = &sarifText{Text: r.Description}
		}
		help, md := cmp.Or(r.Title, r.ID), "**"+cmp.Or(r.Title, r.ID)+"**"
		if r.Description != "" {
			help += "\n\n" + r.Description
			md += "\n\n" + r.Description
		}
		if r.Remediation != "" {
			help += "\n\nFix: " + r.Remediation
			md += "\n\n**Fix:** " + r.Remediation
		}
		for _, ref := range r.References {
			help += "\n- " + ref
			md += "\n- <" + ref + ">"
		}
		sr.Help = &sarifMultiText{Text: help, Markdown: md}
		if len(r.References) > 0 {
			sr.HelpURI = r.References[0]
		}
		index[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
		return index[r.ID]
	}
	for _, r := range res.Rules {
		addRule(r)
	}
	for _, f := range res.Findings {
		i, ok := index[f.RuleID]
		if !ok {
			// A rule the result does not describe (a result assembled by hand): describe it
			// from the finding.
			i = addRule(misconfig.Rule{ID: f.RuleID, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation})
		}
		r := sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: i,
			Level:     misconfigLevel(f.Severity),
			Message:   sarifText{Text: cmp.Or(f.Message, f.Title)},
		}
		loc := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(f.File)}}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
		}
		if fq := logicalName(f); fq != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: fq, Kind: "resource"}}
		}
		r.Locations = []sarifLocation{loc}
		// Stable when lines move: the rule, the file, the object and what is wrong with it.
		sum := sha256.Sum256([]byte(strings.Join([]string{f.RuleID, f.File, f.Kind, f.Namespace, f.Name, f.Container, f.Message}, "\x00")))
		r.PartialFingerprints = map[string]string{fingerprintKey: hex.EncodeToString(sum[:16])}
		props := map[string]any{"severity": f.Severity}
		if f.Source != "" {
			props["helmSource"] = f.Source
		}
		if f.Remediation != "" {
			props["remediation"] = f.Remediation
		}
		r.Properties = props
		run.Results = append(run.Results, r)
	}
	inv := &run.Invocations[0]
	for _, e := range res.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: "could not check " + e.Error()}}
		ph := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(e.File)}}
		if e.Line > 0 {
			ph.Region = &sarifRegion{StartLine: e.Line}
		}
		n.Locations = []sarifLocation{{PhysicalLocation: ph}}
		inv.Notifications = append(inv.Notifications, n)
	}
	for _, s := range res.Skipped {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note",
			Message:   sarifText{Text: "skipped " + s.File + ": " + s.Reason},
			Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(s.File)}}}}})
	}
	for _, f := range res.Files {
		run.Artifacts = append(run.Artifacts, sarifArtifactEntry{Location: sarifArtifact{URI: fileURI(f)}})
	}
	return &misconfigLog{Schema: sarifSchema, Version: sarifVersion, Runs: []misconfigRun{run}}
}

// logicalName is Kind/namespace/name[/container], or the Dockerfile stage.
func logicalName(f misconfig.Finding) string {
	var parts []string
	for _, p := range []string{f.Kind, f.Namespace, f.Name, f.Container} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) <= 1 && f.Kind == "Dockerfile" {
		return ""
	}
	return strings.Join(parts, "/")
}
