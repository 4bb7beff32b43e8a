package misconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (path → content) under a temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const privilegedPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: {privileged: true}\n"

func TestScanWalk(t *testing.T) {
	root := writeTree(t, map[string]string{
		"deploy/pod.yaml":                     privilegedPod,
		"deploy/pod.json":                     `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"hostPID": true}}`,
		"deploy/broken.yml":                   "a: [\n",
		"deploy/values.yaml":                  "replicas: 1\n",
		"Dockerfile":                          "FROM alpine:3.20\n",
		"build/api.Dockerfile":                "FROM alpine:3.20\nUSER 1\n",
		"build/Containerfile":                 "FROM alpine:3.20\nNOTANINSTRUCTION\n",
		"chart/Chart.yaml":                    "apiVersion: v2\nname: c\n",
		"chart/templates/deployment.yaml":     "kind: {{ .Values.kind }}\n",
		"node_modules/x/pod.yaml":             privilegedPod,
		".git/config.yaml":                    privilegedPod,
		"vendor-skip/pod.yaml":                privilegedPod,
		"README.md":                           "# not checked\n",
		"deploy/nested/really/deep/svc.yaml":  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
		"docs/examples/ignored-by-name.yaml":  privilegedPod,
		"docs/examples/ignored-by-name2.yaml": privilegedPod,
	})
	if err := os.Symlink(filepath.Join(root, "deploy", "pod.yaml"), filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), Config{Skip: []string{"vendor-skip/**", "ignored-by-*.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), []string{root})
	if err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string { r, _ := filepath.Rel(root, p); return filepath.ToSlash(r) }
	var files []string
	for _, f := range res.Files {
		files = append(files, rel(f))
	}
	if diff := cmp.Diff([]string{"Dockerfile", "build/api.Dockerfile", "deploy/nested/really/deep/svc.yaml", "deploy/pod.json", "deploy/pod.yaml"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, rel(e.File)+":"+itoa(e.Line)+" "+errorName(e.Err))
	}
	if diff := cmp.Diff([]string{"build/Containerfile:2 malformed", "deploy/broken.yml:1 malformed"}, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	var skipped []string
	for _, sk := range res.Skipped {
		skipped = append(skipped, rel(sk.File))
	}
	if diff := cmp.Diff([]string{"chart/Chart.yaml", "chart/templates", "deploy/values.yaml", "docs/examples/ignored-by-name.yaml", "docs/examples/ignored-by-name2.yaml", "link.yaml", "vendor-skip"}, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, rel(f.File)+":"+itoa(f.Line)+" "+f.RuleID)
	}
	for _, want := range []string{"deploy/pod.yaml:8 HM-K8S-001", "deploy/pod.json:1 HM-K8S-009", "Dockerfile:1 HM-DF-001"} {
		if !slices.Contains(rules, want) {
			t.Errorf("no finding %s in %v", want, rules)
		}
	}
	if res.Objects != 5 || !res.Partial() {
		t.Errorf("objects %d partial %v", res.Objects, res.Partial())
	}
}

func errorName(err error) string {
	switch {
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrTemplate):
		return "template"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrTooLarge):
		return "too-large"
	}
	return "other: " + err.Error()
}

func TestScanExplicitFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"values.yaml": "replicas: 1\n",
		"empty.yaml":  "",
		"notes.txt":   "hello\n",
		"pod.yaml":    privilegedPod,
	})
	s := scannerFor(t, "")
	res, err := s.Scan(context.Background(), []string{
		filepath.Join(root, "values.yaml"), filepath.Join(root, "empty.yaml"), filepath.Join(root, "notes.txt"),
		filepath.Join(root, "pod.yaml"), filepath.Join(root, "pod.yaml"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, filepath.Base(e.File)+" "+errorName(e.Err))
	}
	if diff := cmp.Diff([]string{"empty.yaml unsupported", "notes.txt unsupported", "values.yaml unsupported"}, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(res.Files) != 1 || len(res.Findings) == 0 {
		t.Errorf("files %v, %d findings", res.Files, len(res.Findings))
	}
	for _, e := range res.Errors {
		if !strings.HasPrefix(e.Error(), e.File+": ") {
			t.Errorf("error %q does not start with the file", e.Error())
		}
	}
}

func TestScanMissingPath(t *testing.T) {
	_, err := Scan(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}, Config{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scannerFor(t, "").Scan(ctx, []string{"testdata/real"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestScanTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res, err := scannerFor(t, "").Scan(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrTooLarge) {
		t.Fatalf("errors %v", res.Errors)
	}
}

func TestConfig(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(`
disabled_rules: [HM-K8S-013, HM-K8S-014]
severity:
  HM-K8S-001: low
  HM-DF-007: high
trusted_registries: [registry.example.com]
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Check(context.Background(), []File{{Name: "p.yaml", Data: []byte(privilegedPod)}, {Name: "Dockerfile", Data: []byte("FROM debian:12\nRUN apt-get install -y x\nUSER 1\n")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.RuleID] = f.Severity
	}
	if got["HM-K8S-001"] != "low" || got["HM-DF-007"] != "high" {
		t.Errorf("severity overrides not applied: %v", got)
	}
	if _, ok := got["HM-K8S-013"]; ok {
		t.Error("disabled rule HM-K8S-013 reported")
	}
	if _, ok := got["HM-K8S-019"]; !ok {
		t.Error("image x (Docker Hub) not reported with an allow-list that does not name it")
	}
	for _, r := range res.Rules {
		if r.ID == "HM-K8S-013" || r.ID == "HM-K8S-014" {
			t.Errorf("disabled rule %s listed in Rules", r.ID)
		}
		if r.ID == "HM-K8S-001" && r.Severity != "low" {
			t.Errorf("Rules shows %s at %s", r.ID, r.Severity)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ name, src, msg string }{
		{"unknown-field", "disable: [HM-K8S-001]\n", "field disable not found"},
		{"unknown-rule", "disabled_rules: [HM-K8S-999]\n", `disabled_rules: unknown rule "HM-K8S-999"`},
		{"bad-severity", "severity: {HM-K8S-001: severe}\n", `"severe" is not one of critical, high, medium, low`},
		{"unknown-rule-severity", "severity: {NOPE: low}\n", `severity: unknown rule "NOPE"`},
		{"bad-registry", "trusted_registries: [\"\", \"a b\"]\n", "trusted_registries"},
		{"bad-glob", "skip: [\"[\"]\n", "skip"},
		{"not-yaml", "severity: [\n", "c.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.yaml", []byte(c.src))
			if err == nil {
				_, err = New(context.Background(), cfg)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, c.msg)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, ErrConfig) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing config: %v", err)
	}
}

// TestRulesDocumented keeps docs/misconfig.md in step with the rules: every rule is listed
// with its default severity.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "misconfig.md"))
	if err != nil {
		t.Skipf("docs/misconfig.md not readable: %v", err)
	}
	rules, err := BuiltinRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.Contains(string(doc), "| "+r.ID+" | "+r.Severity+" |") {
			t.Errorf("docs/misconfig.md does not list %s with severity %s", r.ID, r.Severity)
		}
	}
}
