package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/policy"
)

// A policy decision (policy.Decision) is rendered by WriteDecision rather than through
// Handler, as misconfiguration results are: it has no packages or advisories to stream. The
// SARIF output shares the scan formats' SARIF types.

// DecisionFormats are the formats WriteDecision accepts, in the order help text lists them.
var DecisionFormats = []string{"text", "json", "sarif", "junit"}

// DecisionOptions says how WriteDecision writes.
type DecisionOptions struct {
	// Format is one of DecisionFormats.
	Format string
	// ToolName and ToolVersion name the program in SARIF and JUnit output.
	ToolName, ToolVersion string
}

// WriteDecision writes d in opts.Format: a readable verdict (text), the decision document
// (json, docs/schema/decision-v1.json), SARIF 2.1.0, or JUnit XML.
func WriteDecision(w io.Writer, d *policy.Decision, opts DecisionOptions) error {
	var b bytes.Buffer
	var err error
	switch opts.Format {
	case "", "text":
		decisionText(&b, d)
	case "json":
		var out []byte
		out, err = encodeIndented(d)
		b.Write(out)
	case "sarif":
		var out []byte
		out, err = encodeIndented(decisionSARIF(d, opts))
		b.Write(out)
	case "junit":
		err = decisionJUnit(&b, d, opts)
	default:
		return fmt.Errorf("unknown decision format %q (want one of %s)", opts.Format, strings.Join(DecisionFormats, ", "))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

func decisionText(b *bytes.Buffer, d *policy.Decision) {
	verdict := "ALLOW"
	if !d.Allow {
		verdict = "DENY"
	}
	fmt.Fprintf(b, "%s  %s\n", verdict, d.Subject.Name)
	fmt.Fprintf(b, "      %s (%s)\n", d.Subject.Digest, d.Subject.Kind)
	if d.Error != "" {
		fmt.Fprintf(b, "\nThe policy failed to evaluate: %s\n", d.Error)
	}
	section := func(title, mark string, vs []policy.Violation) {
		if len(vs) == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s:\n", title)
		for _, v := range vs {
			fmt.Fprintf(b, "  %s %-8s %s: %s\n", mark, "["+v.Severity+"]", v.RuleID, v.Message)
			if v.Resource != "" && !strings.Contains(v.Message, v.Resource) {
				fmt.Fprintf(b, "    %-8s on: %s\n", "", v.Resource)
			}
			if v.Remediation != "" {
				fmt.Fprintf(b, "    %-8s fix: %s\n", "", v.Remediation)
			}
		}
	}
	section("Violations", "x", d.Violations)
	section("Warnings", "!", d.Warnings)
	enabled := 0
	for _, r := range d.Rules {
		if !r.Disabled {
			enabled++
		}
	}
	fmt.Fprintf(b, "\n%s, %s; %d rules of policy %s (%s), evaluated %s\n",
		nounCount(len(d.Violations), "violation"), nounCount(len(d.Warnings), "warning"), enabled,
		strings.Join(d.Policy.Sources, "+"), shortDigest(d.Policy.Digest), d.Time.Format(time.RFC3339))
}

// nounCount is "1 violation", "2 violations".
func nounCount(n int, what string) string {
	return strconv.Itoa(n) + " " + noun(n, what, what+"s")
}

func shortDigest(digest string) string {
	if len(digest) > 19 {
		return digest[:19] + "…"
	}
	return digest
}

func decisionSARIF(d *policy.Decision, opts DecisionOptions) *sarifLog {
	rules, index := ruleCatalogue(d)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: decisionTool(opts), Version: opts.ToolVersion, InformationURI: toolURI}},
		Invocations: []sarifInvocation{{
			ExecutionSuccessful: d.Error == "",
			EndTimeUTC:          d.Time.UTC().Format(time.RFC3339),
		}},
		Results: []sarifResult{},
		Properties: map[string]any{
			"allow":         d.Allow,
			"subject":       d.Subject.Name,
			"subjectDigest": d.Subject.Digest,
			"policyDigest":  d.Policy.Digest,
			"policySources": d.Policy.Sources,
		},
	}
	if d.Error != "" {
		run.Invocations[0].Notifications = []sarifNotification{{Level: "error", Message: sarifText{Text: "policy evaluation failed: " + d.Error}}}
	}
	for _, r := range rules {
		enabled := !r.Disabled
		sr := sarifRule{ID: r.ID, DefaultConfiguration: sarifConfig{Enabled: &enabled, Level: "error"}}
		if r.Title != "" {
			sr.ShortDescription = &sarifText{Text: r.Title}
		}
		if r.Description != "" {
			sr.FullDescription = &sarifText{Text: r.Description}
		}
		if r.Package != "" {
			sr.Properties = map[string]any{"package": r.Package, "builtin": r.Builtin}
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
	}
	add := func(v policy.Violation, level string) {
		text := v.Message
		if v.Remediation != "" {
			text += "\nFix: " + v.Remediation
		}
		res := sarifResult{
			RuleID: v.RuleID, RuleIndex: index[v.RuleID], Level: level,
			Message:    sarifText{Text: text},
			Locations:  []sarifLocation{decisionLocation(d.Subject, v.Resource)},
			Properties: map[string]any{"severity": v.Severity},
		}
		if v.Remediation != "" {
			res.Properties["remediation"] = v.Remediation
		}
		run.Results = append(run.Results, res)
	}
	for _, v := range d.Violations {
		add(v, "error")
	}
	for _, v := range d.Warnings {
		add(v, "warning")
	}
	return &sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// decisionLocation puts a result on the subject (a path for files and directories; the
// reference for images) and, when the resource is a file:line inside a directory subject, on
// that line.
func decisionLocation(s policy.Subject, resource string) sarifLocation {
	loc := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(s.Name)}}}
	if resource == "" || resource == s.Name {
		return loc
	}
	if file, line, ok := fileLine(resource); ok && s.Kind == policy.KindDir {
		loc.PhysicalLocation = &sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: artifactURI(strings.TrimSuffix(s.Name, "/") + "/" + file)},
			Region:           &sarifRegion{StartLine: line},
		}
		return loc
	}
	loc.LogicalLocations = []sarifLogical{{Name: resource, Kind: "resource"}}
	return loc
}

func fileLine(s string) (string, int, bool) {
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 || strings.Contains(s[:i], "://") || strings.HasPrefix(s, "pkg:") {
		return "", 0, false
	}
	return s[:i], n, true
}

// artifactURI turns a subject name into a URI reference: paths are escaped segment by segment;
// "registry:REF" stays a URI of scheme registry.
func artifactURI(name string) string {
	if strings.HasPrefix(name, "registry:") {
		return "registry:" + url.PathEscape(strings.TrimPrefix(name, "registry:"))
	}
	segs := strings.Split(strings.ReplaceAll(name, "\\", "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	if first, _, ok := strings.Cut(u, "/"); ok && strings.Contains(first, ":") || !ok && strings.Contains(u, ":") {
		u = "./" + u // a colon in the first segment would read as a scheme
	}
	return u
}

// ruleCatalogue lists the policy's rules plus any rule id a violation carries that the
// catalogue lacks (a user rule that names its own ids, the engine's policy-error).
func ruleCatalogue(d *policy.Decision) ([]policy.RuleInfo, map[string]int) {
	rules := slices.Clone(d.Rules)
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
	}
	for _, v := range slices.Concat(d.Violations, d.Warnings) {
		if _, ok := index[v.RuleID]; !ok {
			index[v.RuleID] = len(rules)
			rules = append(rules, policy.RuleInfo{ID: v.RuleID})
		}
	}
	return rules, index
}

// decisionTool defaults to "hallmark" without a version, unlike toolOf: a decision names the
// tool only as the caller gives it.
func decisionTool(o DecisionOptions) string {
	if o.ToolName == "" {
		return "hallmark"
	}
	return o.ToolName
}

// JUnit XML as Jenkins, GitLab and most CI systems read it: one test case per rule, failed by
// its violations, with warnings in system-out; a disabled rule is skipped.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Timestamp  string          `xml:"timestamp,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

func decisionJUnit(w io.Writer, d *policy.Decision, opts DecisionOptions) error {
	rules, _ := ruleCatalogue(d)
	suite := junitSuite{
		Name:      d.Subject.Name,
		Timestamp: d.Time.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"allow", strconv.FormatBool(d.Allow)},
			{"subject.digest", d.Subject.Digest},
			{"policy.sources", strings.Join(d.Policy.Sources, ",")},
			{"policy.digest", d.Policy.Digest},
			{"tool", strings.TrimSpace(decisionTool(opts) + " " + opts.ToolVersion)},
		},
	}
	byRule := func(vs []policy.Violation, id string) []policy.Violation {
		var out []policy.Violation
		for _, v := range vs {
			if v.RuleID == id {
				out = append(out, v)
			}
		}
		return out
	}
	for _, r := range rules {
		c := junitCase{Name: r.ID, ClassName: "hallmark.policy"}
		deny, warn := byRule(d.Violations, r.ID), byRule(d.Warnings, r.ID)
		switch {
		case r.ID == policy.RuleError && len(deny) > 0:
			c.Error = &junitProblem{Message: deny[0].Message, Type: "policy-error", Text: describeViolations(deny)}
			suite.Errors++
		case len(deny) > 0:
			c.Failure = &junitProblem{Message: fmt.Sprintf("%s: %s", nounCount(len(deny), "violation"), deny[0].Message), Type: deny[0].Severity, Text: describeViolations(deny)}
			suite.Failures++
		case r.Disabled:
			c.Skipped = &junitSkipped{Message: "disabled by the policy configuration"}
			suite.Skipped++
		}
		if len(warn) > 0 {
			c.SystemOut = "warnings:\n" + describeViolations(warn)
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	out := junitSuites{Name: "hallmark gate", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func describeViolations(vs []policy.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "[%s] %s\n", v.Severity, v.Message)
		if v.Resource != "" {
			fmt.Fprintf(&b, "  on: %s\n", v.Resource)
		}
		if v.Remediation != "" {
			fmt.Fprintf(&b, "  fix: %s\n", v.Remediation)
		}
	}
	return b.String()
}
