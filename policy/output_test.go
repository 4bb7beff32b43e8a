package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchemaPath finds the official SARIF 2.1.0 schema: the copy the report room keeps, or
// the shared test data.
func sarifSchemaPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{
		filepath.Join("..", "report", "testdata", "schema", "sarif-schema-2.1.0.json"),
		filepath.Join("..", "..", "shared", "testdata", "sarif", "schema", "sarif-schema-2.1.0.json"),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("SARIF 2.1.0 schema not available (report/testdata/schema or ../shared/testdata/sarif)")
	return ""
}

func validateSARIF(t *testing.T, doc []byte) {
	t.Helper()
	p := sarifSchemaPath(t)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("file:///sarif-schema-2.1.0.json", s); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("SARIF output is not valid against %s: %v\n%s", p, err, doc)
	}
}

// decisions returns an allowing decision, a denying one with warnings, violations with
// file:line resources, and a failed evaluation.
func decisions(t *testing.T) map[string]*Decision {
	e := newEngine(t, Options{Builtin: true, Config: config(t, "disabled: [image-digest]")})
	good := loadEvidence(t, "good.json")
	bad := loadEvidence(t, "good.json")
	bad.Signatures = nil
	bad.Provenance = nil
	bad.Findings[0].KEV = true
	bad.Misconfig = []MisconfigResult{{RuleID: "DF-ROOT", Severity: "high", Message: "runs as root", File: "Dockerfile", Line: 7}}
	dir := loadEvidence(t, "minimal.json")
	dir.Subject = Subject{Name: "src/my app", Digest: dir.Subject.Digest, Kind: KindDir}
	dir.Misconfig = bad.Misconfig
	mods, err := LoadModules(filepath.Join("testdata", "policies", "runtime-error"), false)
	if err != nil {
		t.Fatal(err)
	}
	broken := newEngine(t, Options{Builtin: true, Modules: mods})
	return map[string]*Decision{
		"allow":  e.Evaluate(context.Background(), good, decisionTime),
		"deny":   e.Evaluate(context.Background(), bad, decisionTime),
		"dir":    e.Evaluate(context.Background(), dir, decisionTime),
		"broken": broken.Evaluate(context.Background(), loadEvidence(t, "minimal.json"), decisionTime),
	}
}

func write(t *testing.T, d *Decision, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDecision(&b, d, WriteOptions{Format: format, ToolName: "hallmark", ToolVersion: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteDecisionJSON(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := write(t, d, "json")
			if err := validate(t, "decision-v1.json", out); err != nil {
				t.Errorf("%v\n%s", err, out)
			}
			var back Decision
			if err := json.Unmarshal(out, &back); err != nil || back.Allow != d.Allow || len(back.Violations) != len(d.Violations) {
				t.Errorf("round trip: %v %+v", err, back)
			}
		})
	}
}

func TestWriteDecisionSARIF(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := write(t, d, "sarif")
			validateSARIF(t, out)
			var log struct {
				Runs []struct {
					Tool struct {
						Driver struct {
							Rules []struct{ ID string }
						}
					}
					Invocations []struct{ ExecutionSuccessful bool }
					Results     []struct {
						RuleID    string
						RuleIndex int
						Level     string
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI string }
								Region           *struct{ StartLine int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(out, &log); err != nil {
				t.Fatal(err)
			}
			run := log.Runs[0]
			if len(run.Results) != len(d.Violations)+len(d.Warnings) || run.Invocations[0].ExecutionSuccessful != (d.Error == "") {
				t.Errorf("%d results for %d violations and %d warnings", len(run.Results), len(d.Violations), len(d.Warnings))
			}
			for _, r := range run.Results {
				if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
					t.Errorf("result %s points at rule %d = %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
				}
			}
			if name == "dir" {
				pl := run.Results[0].Locations[0].PhysicalLocation
				if pl.ArtifactLocation.URI != "src/my%20app/Dockerfile" || pl.Region == nil || pl.Region.StartLine != 7 {
					t.Errorf("misconfig result location = %+v", pl)
				}
			}
		})
	}
}

func TestWriteDecisionJUnit(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := write(t, d, "junit")
			var doc junitSuites
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatalf("not well-formed XML: %v\n%s", err, out)
			}
			// Every token parses (well-formedness beyond what Unmarshal needs).
			dec := xml.NewDecoder(bytes.NewReader(out))
			for {
				if _, err := dec.Token(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatalf("token: %v", err)
				}
			}
			s := doc.Suites[0]
			if s.Tests != len(s.Cases) || doc.Failures != s.Failures {
				t.Errorf("counts: %+v", doc)
			}
			failing := map[string]bool{}
			for _, v := range d.Violations {
				failing[v.RuleID] = true
			}
			if s.Failures+s.Errors != len(failing) {
				t.Errorf("%d failures + %d errors for violated rules %v", s.Failures, s.Errors, failing)
			}
			if name == "allow" && s.Skipped != 1 {
				t.Errorf("the disabled rule is not skipped: %+v", s.Cases)
			}
			if name == "broken" && s.Errors != 1 {
				t.Errorf("a failed evaluation is not an error case: %s", out)
			}
		})
	}
}

func TestWriteDecisionText(t *testing.T) {
	ds := decisions(t)
	allow := string(write(t, ds["allow"], "text"))
	deny := string(write(t, ds["deny"], "text"))
	broken := string(write(t, ds["broken"], "text"))
	for _, want := range []string{"ALLOW  registry:ghcr.io/acme/app@sha256:", "0 violations, 0 warnings; 10 rules of policy builtin"} {
		if !strings.Contains(allow, want) {
			t.Errorf("allow output lacks %q:\n%s", want, allow)
		}
	}
	for _, want := range []string{"DENY  ", "Violations:\n  x [critical] vuln-kev: CVE-2018-18074", "x [high]   signature-trusted:", "fix: ", "Warnings:\n  ! [low]    provenance-trusted", "on: Dockerfile:7"} {
		if !strings.Contains(deny, want) {
			t.Errorf("deny output lacks %q:\n%s", want, deny)
		}
	}
	if !strings.Contains(broken, "The policy failed to evaluate:") || !strings.Contains(broken, "policy-error") {
		t.Errorf("broken output:\n%s", broken)
	}
	if err := WriteDecision(io.Discard, ds["allow"], WriteOptions{Format: "yaml"}); err == nil {
		t.Error("unknown format accepted")
	}
}
