package report

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
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/policy"
)

// The decisions are evaluated by the real policy engine over the policy room's test
// evidence, so the output is tested on what the engine produces.
var (
	policyTestdata = filepath.Join("..", "policy", "testdata")
	// decisionTime is one hour after the evidence of good.json was generated.
	decisionTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
)

// decisionSchema is docs/schema/decision-v1.json, compiled with the evidence schema it refers to.
var decisionSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	const base = "https://raw.githubusercontent.com/hallmark-dev/hallmark/main/docs/schema/"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, n := range []string{"evidence-v1.json", "decision-v1.json"} {
		f, err := os.Open(filepath.Join("..", "docs", "schema", n))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(base+n, doc); err != nil {
			return nil, err
		}
	}
	return c.Compile(base + "decision-v1.json")
})

func loadEvidence(t *testing.T, name string) *policy.Evidence {
	t.Helper()
	f, err := os.Open(filepath.Join(policyTestdata, "evidence", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, err := policy.DecodeEvidence(f)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func newEngine(t *testing.T, opts policy.Options) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// decisions returns an allowing decision, a denying one with warnings, violations with
// file:line resources, and a failed evaluation.
func decisions(t *testing.T) map[string]*policy.Decision {
	t.Helper()
	cfg, err := policy.ParseConfig([]byte("disabled: [image-digest]"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, policy.Options{Builtin: true, Config: cfg})
	good := loadEvidence(t, "good.json")
	bad := loadEvidence(t, "good.json")
	bad.Signatures = nil
	bad.Provenance = nil
	bad.Findings[0].KEV = true
	bad.Misconfig = []policy.MisconfigResult{{RuleID: "DF-ROOT", Severity: "high", Message: "runs as root", File: "Dockerfile", Line: 7}}
	dir := loadEvidence(t, "minimal.json")
	dir.Subject = policy.Subject{Name: "src/my app", Digest: dir.Subject.Digest, Kind: policy.KindDir}
	dir.Misconfig = bad.Misconfig
	mods, err := policy.LoadModules(filepath.Join(policyTestdata, "policies", "runtime-error"), false)
	if err != nil {
		t.Fatal(err)
	}
	broken := newEngine(t, policy.Options{Builtin: true, Modules: mods})
	return map[string]*policy.Decision{
		"allow":  e.Evaluate(context.Background(), good, decisionTime),
		"deny":   e.Evaluate(context.Background(), bad, decisionTime),
		"dir":    e.Evaluate(context.Background(), dir, decisionTime),
		"broken": broken.Evaluate(context.Background(), loadEvidence(t, "minimal.json"), decisionTime),
	}
}

func writeDecision(t *testing.T, d *policy.Decision, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDecision(&b, d, DecisionOptions{Format: format, ToolName: "hallmark", ToolVersion: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteDecisionJSON(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := writeDecision(t, d, "json")
			if err := validateWith(t, decisionSchema, out); err != nil {
				t.Errorf("%v\n%s", err, out)
			}
			var back policy.Decision
			if err := json.Unmarshal(out, &back); err != nil || back.Allow != d.Allow || len(back.Violations) != len(d.Violations) {
				t.Errorf("round trip: %v %+v", err, back)
			}
		})
	}
}

func TestWriteDecisionSARIF(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := writeDecision(t, d, "sarif")
			if err := validateWith(t, sarifSchemaC, out); err != nil {
				t.Errorf("SARIF output is not valid: %v\n%s", err, out)
			}
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

// TestDecisionLocation pins where a violation's resource puts a SARIF result: on a line of a
// file inside a directory subject, else on the subject with the resource as a logical location.
func TestDecisionLocation(t *testing.T) {
	dir := policy.Subject{Name: "c:/x y/z%", Kind: policy.KindDir}
	image := policy.Subject{Name: "registry:ghcr.io/a/b:1@sha256:ab", Kind: policy.KindImage}
	phys := func(uri string, line int) *sarifPhysical {
		p := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
		if line > 0 {
			p.Region = &sarifRegion{StartLine: line}
		}
		return p
	}
	tests := []struct {
		name     string
		subject  policy.Subject
		resource string
		want     sarifLocation
	}{
		{"dir-file-line", dir, "Dockerfile:3", sarifLocation{PhysicalLocation: phys("./c:/x%20y/z%25/Dockerfile", 3)}},
		{"dir-trailing-slash", policy.Subject{Name: "src/", Kind: policy.KindDir}, "a/b.yaml:12", sarifLocation{PhysicalLocation: phys("src/a/b.yaml", 12)}},
		{"dir-subject-itself", dir, dir.Name, sarifLocation{PhysicalLocation: phys("./c:/x%20y/z%25", 0)}},
		{"dir-line-zero", dir, "weird:0", sarifLocation{PhysicalLocation: phys("./c:/x%20y/z%25", 0), LogicalLocations: []sarifLogical{{Name: "weird:0", Kind: "resource"}}}},
		{"dir-url", dir, "https://e.com/a:80", sarifLocation{PhysicalLocation: phys("./c:/x%20y/z%25", 0), LogicalLocations: []sarifLogical{{Name: "https://e.com/a:80", Kind: "resource"}}}},
		{"dir-purl", dir, "pkg:pypi/x@1:2", sarifLocation{PhysicalLocation: phys("./c:/x%20y/z%25", 0), LogicalLocations: []sarifLogical{{Name: "pkg:pypi/x@1:2", Kind: "resource"}}}},
		{"image-file-line", image, "Dockerfile:3", sarifLocation{PhysicalLocation: phys("registry:ghcr.io%2Fa%2Fb:1@sha256:ab", 0), LogicalLocations: []sarifLogical{{Name: "Dockerfile:3", Kind: "resource"}}}},
		{"file-colon", policy.Subject{Name: "a:b", Kind: policy.KindFile}, "", sarifLocation{PhysicalLocation: phys("./a:b", 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, decisionLocation(tc.subject, tc.resource)); diff != "" {
				t.Errorf("decisionLocation(%+v, %q) (-want +got):\n%s", tc.subject, tc.resource, diff)
			}
		})
	}
}

func TestWriteDecisionJUnit(t *testing.T) {
	for name, d := range decisions(t) {
		t.Run(name, func(t *testing.T) {
			out := writeDecision(t, d, "junit")
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
	allow := string(writeDecision(t, ds["allow"], "text"))
	deny := string(writeDecision(t, ds["deny"], "text"))
	broken := string(writeDecision(t, ds["broken"], "text"))
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
	if err := WriteDecision(io.Discard, ds["allow"], DecisionOptions{Format: "yaml"}); err == nil {
		t.Error("unknown format accepted")
	}
}
