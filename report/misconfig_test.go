package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/misconfig"
)

// misconfigResult is a fixture with every kind of content: Kubernetes and Dockerfile
// findings at each severity, a Helm source, a finding about a namespace, errors of each kind,
// skipped paths and the rules that ran.
func misconfigResult() *misconfig.Result {
	return &misconfig.Result{
		Files:   []string{"deploy/app.yaml", "deploy/rendered.yaml", "Dockerfile"},
		Objects: 7,
		Findings: []misconfig.Finding{
			{RuleID: "HM-DF-001", Title: "Image runs as root", Severity: "high", File: "Dockerfile", Line: 9, Kind: "Dockerfile",
				Message:     "the final stage never sets USER, so the container runs as root (unless the base image sets a user)",
				Remediation: "Create an unprivileged user and end the final stage with USER <name or UID> (e.g. USER 65532:65532)."},
			{RuleID: "HM-DF-003", Title: "Base image not pinned by digest", Severity: "low", File: "Dockerfile", Line: 1, Kind: "Dockerfile", Name: "build",
				Message: "FROM golang:1.26 is pinned by tag, not by digest", Remediation: "Pin the base image by digest: FROM name:tag@sha256:…."},
			{RuleID: "HM-K8S-001", Title: "Privileged container", Severity: "critical", File: "deploy/app.yaml", Line: 24,
				Kind: "Deployment", Name: "web", Namespace: "shop", Container: "app",
				Message:     `container "app" is privileged: it has every capability and all host devices`,
				Remediation: "Remove securityContext.privileged (or set it to false); grant only the specific capabilities the workload needs."},
			{RuleID: "HM-K8S-020", Title: "Namespace without a NetworkPolicy", Severity: "medium", File: "deploy/app.yaml", Line: 1,
				Kind: "Namespace", Name: "shop", Namespace: "shop", Message: `namespace "shop" has no NetworkPolicy among the objects checked`,
				Remediation: "Add a NetworkPolicy to the namespace, starting with a default deny of ingress and egress, then allow what is needed."},
			{RuleID: "HM-K8S-006", Title: "Dangerous capability added", Severity: "high", File: "deploy/rendered.yaml", Line: 40,
				Kind: "DaemonSet", Name: "agent", Namespace: "kube-system", Container: "agent\x1b[31m", Source: "agent/templates/daemonset.yaml",
				Message:     `container "agent" adds the dangerous capability SYS_ADMIN`,
				Remediation: "Remove the capability from securityContext.capabilities.add."},
		},
		Errors: []misconfig.FileError{
			{File: "chart/templates/x.yaml", Message: "unrendered template: it contains Go template actions ({{ … }}): render it first, e.g. helm template", Err: misconfig.ErrTemplate},
			{File: "deploy/broken.yaml", Line: 7, Message: "malformed file: did not find expected key", Err: misconfig.ErrMalformed},
			{File: "unreadable.yaml", Message: "open unreadable.yaml: permission denied", Err: os.ErrPermission},
		},
		Skipped: []misconfig.Skipped{{File: "chart/values.yaml", Reason: "no Kubernetes objects"}},
		Rules: []misconfig.Rule{
			{ID: "HM-DF-001", Title: "Image runs as root", Severity: "high", Target: "dockerfile", Description: "A container runs as the last USER of the final stage.",
				Remediation: "Create an unprivileged user and end the final stage with USER <name or UID> (e.g. USER 65532:65532).", References: []string{"https://docs.docker.com/build/building/best-practices/"}},
			{ID: "HM-DF-003", Title: "Base image not pinned by digest", Severity: "low", Target: "dockerfile", Remediation: "Pin the base image by digest: FROM name:tag@sha256:…."},
			{ID: "HM-K8S-001", Title: "Privileged container", Severity: "critical", Target: "kubernetes", Description: "A privileged container has every Linux capability.",
				Remediation: "Remove securityContext.privileged (or set it to false); grant only the specific capabilities the workload needs.",
				References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"}},
			{ID: "HM-K8S-020", Title: "Namespace without a NetworkPolicy", Severity: "medium", Target: "kubernetes",
				Remediation: "Add a NetworkPolicy to the namespace, starting with a default deny of ingress and egress, then allow what is needed."},
		},
	}
}

func misconfigCases() []struct {
	name string
	res  func() *misconfig.Result
	opts Options
} {
	narrow := baseOpts("table")
	narrow.Width = 60
	return []struct {
		name string
		res  func() *misconfig.Result
		opts Options
	}{
		{"misconfig.txt", misconfigResult, baseOpts("table")},
		{"misconfig-60.txt", misconfigResult, narrow},
		{"misconfig.json", misconfigResult, baseOpts("json")},
		{"misconfig.sarif", misconfigResult, baseOpts("sarif")},
		{"misconfig-empty.txt", func() *misconfig.Result { return &misconfig.Result{} }, baseOpts("table")},
		{"misconfig-empty.json", func() *misconfig.Result { return &misconfig.Result{} }, baseOpts("json")},
		{"misconfig-empty.sarif", func() *misconfig.Result { return &misconfig.Result{} }, baseOpts("sarif")},
	}
}

// TestMisconfigGolden renders the fixtures and compares with testdata/golden (go test -update
// rewrites them); the structured formats are also validated against their schemas.
func TestMisconfigGolden(t *testing.T) {
	for _, c := range misconfigCases() {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteMisconfig(&buf, c.res(), c.opts); err != nil {
				t.Fatal(err)
			}
			switch c.opts.Format {
			case "json":
				if err := validateWith(t, misconfigSchema, buf.Bytes()); err != nil {
					t.Errorf("not valid against docs/schema/misconfig-v1.json: %v", err)
				}
			case "sarif":
				if err := validateWith(t, sarifSchemaC, buf.Bytes()); err != nil {
					t.Errorf("not valid SARIF 2.1.0: %v", err)
				}
			case "table":
				for i, l := range strings.Split(buf.String(), "\n") {
					if w := width1(l); w > c.opts.Width && c.opts.Width > 0 || w > DefaultWidth && c.opts.Width == 0 {
						t.Errorf("line %d is %d columns wide: %q", i+1, w, l)
					}
					if strings.ContainsRune(l, '\x1b') {
						t.Errorf("line %d has an escape character", i+1)
					}
				}
			}
			golden := filepath.Join("testdata", "golden", c.name)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got):\n%s", c.name, diff)
			}
		})
	}
}

var misconfigSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(filepath.Join("..", "docs", "schema", "misconfig-v1.json"), "https://raw.githubusercontent.com/hallmark-dev/hallmark/main/docs/schema/misconfig-v1.json")
})

// TestMisconfigSchemaRejects makes sure the schema is not vacuous.
func TestMisconfigSchemaRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMisconfig(&buf, misconfigResult(), baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	for name, edit := range map[string][2]string{
		"version":       {`"schema_version": "1"`, `"schema_version": "2"`},
		"severity":      {`"severity": "critical"`, `"severity": "CRITICAL"`},
		"unknown-field": {`"rule_id": "HM-K8S-001"`, `"rule": "x", "rule_id": "HM-K8S-001"`},
		"line-zero":     {`"line": 24`, `"line": 0`},
		"error-kind":    {`"kind": "template"`, `"kind": "weird"`},
	} {
		bad := strings.Replace(good, edit[0], edit[1], 1)
		if bad == good {
			t.Fatalf("%s: edit did not apply", name)
		}
		if err := validateWith(t, misconfigSchema, []byte(bad)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

// TestMisconfigJSONRoundTrip: a document read back renders byte for byte the same, in every
// format, and keeps what errors.Is needs.
func TestMisconfigJSONRoundTrip(t *testing.T) {
	for _, format := range MisconfigFormats {
		var first bytes.Buffer
		if err := WriteMisconfig(&first, misconfigResult(), baseOpts("json")); err != nil {
			t.Fatal(err)
		}
		back, err := ReadMisconfigJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if err := WriteMisconfig(&a, misconfigResult(), baseOpts(format)); err != nil {
			t.Fatal(err)
		}
		if err := WriteMisconfig(&b, back, baseOpts(format)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a.String(), b.String()); diff != "" {
			t.Errorf("%s of the read-back result differs (-original +read back):\n%s", format, diff)
		}
		if !errors.Is(back.Errors[0], misconfig.ErrTemplate) || !errors.Is(back.Errors[1], misconfig.ErrMalformed) {
			t.Errorf("error kinds lost: %v", back.Errors)
		}
	}
}

func TestReadMisconfigJSONErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":         ``,
		"version":       `{"schema_version":"2","files":[],"objects":0,"summary":{},"findings":[],"rules":[]}`,
		"unknown-field": `{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[],"rules":[],"extra":1}`,
		"trailing":      `{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[],"rules":[]} {}`,
		"no-line":       `{"schema_version":"1","files":[],"objects":0,"summary":{"low":1},"findings":[{"rule_id":"X","title":"","severity":"low","file":"f","line":0,"message":"","remediation":""}],"rules":[]}`,
		"bad-severity":  `{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[{"rule_id":"X","title":"","severity":"severe","file":"f","line":1,"message":"","remediation":""}],"rules":[]}`,
		"summary":       `{"schema_version":"1","files":[],"objects":0,"summary":{"high":3},"findings":[],"rules":[]}`,
		"error-kind":    `{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[],"errors":[{"file":"f","kind":"x","message":"m"}],"rules":[]}`,
		"rule-target":   `{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[],"rules":[{"id":"X","title":"t","severity":"low","target":"helm","remediation":"r"}]}`,
	} {
		if _, err := ReadMisconfigJSON(strings.NewReader(doc)); !errors.Is(err, ErrBadMisconfigJSON) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestWriteMisconfigErrors(t *testing.T) {
	if err := WriteMisconfig(&bytes.Buffer{}, misconfigResult(), Options{Format: "html"}); !errors.Is(err, ErrFormat) ||
		!strings.Contains(err.Error(), "valid: table, json, sarif") {
		t.Errorf("unknown format: %v", err)
	}
	if err := WriteMisconfig(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("nil result accepted")
	}
	r := misconfigResult()
	r.Findings[0].File = ""
	if err := WriteMisconfig(&bytes.Buffer{}, r, Options{Format: "sarif"}); err == nil {
		t.Error("finding without a file accepted")
	}
}

// FuzzReadMisconfigJSON: ReadMisconfigJSON never panics, and what it accepts renders in every
// format and survives another round trip byte for byte.
func FuzzReadMisconfigJSON(f *testing.F) {
	// Small seeds: the fuzzer's input minimisation crawls on large documents.
	f.Add([]byte(`{"schema_version":"1","files":[],"objects":0,"summary":{},"findings":[],"rules":[]}`))
	f.Add([]byte(`{"schema_version":"1","files":["a.yaml"],"objects":1,"summary":{"high":1},"findings":[{"rule_id":"R","title":"t","severity":"high","file":"a.yaml","line":2,"kind":"Pod","name":"p","container":"c","message":"m","remediation":"r"}],"errors":[{"file":"b.yaml","line":1,"kind":"malformed","message":"x"}],"skipped":[{"file":"v.yaml","reason":"no"}],"rules":[{"id":"R","title":"t","severity":"high","target":"kubernetes","remediation":"r","references":["https://x"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadMisconfigJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range MisconfigFormats {
			if err := WriteMisconfig(&bytes.Buffer{}, res, Options{Format: format}); err != nil {
				t.Fatalf("accepted document does not render as %s: %v", format, err)
			}
		}
		var first, second bytes.Buffer
		if err := WriteMisconfig(&first, res, Options{Format: "json", ToolName: "t", ToolVersion: "v"}); err != nil {
			t.Fatal(err)
		}
		back, err := ReadMisconfigJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("rendered JSON is not accepted: %v\n%s", err, first.Bytes())
		}
		if err := WriteMisconfig(&second, back, Options{Format: "json", ToolName: "t", ToolVersion: "v"}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip is not stable:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// TestMisconfigTableLongPath: a path wider than the table is written whole, over several
// lines, never cut.
func TestMisconfigTableLongPath(t *testing.T) {
	long := strings.Repeat("very-long-directory-name/", 6) + "deployment.yaml"
	res := &misconfig.Result{Files: []string{long}, Objects: 1, Findings: []misconfig.Finding{
		{RuleID: "HM-K8S-001", Title: "Privileged container", Severity: "critical", File: long, Line: 3, Message: "m", Remediation: "r"}}}
	var buf bytes.Buffer
	if err := WriteMisconfig(&buf, res, Options{Format: "table", Width: 40}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if width1(l) > 40 {
			t.Errorf("line wider than 40: %q", l)
		}
	}
	if !strings.Contains(strings.ReplaceAll(buf.String(), "\n", ""), long) {
		t.Errorf("the path is not written whole:\n%s", buf.String())
	}
}
