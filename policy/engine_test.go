package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

// decisionTime is one hour after testdata/evidence/good.json was generated.
var decisionTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func loadEvidence(t testing.TB, name string) *Evidence {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "evidence", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, err := DecodeEvidence(f)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func config(t testing.TB, yaml string) *Config {
	t.Helper()
	c, err := ParseConfig([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ids(vs []Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.RuleID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func mustImage(t testing.TB, ref string) *ImageRef {
	t.Helper()
	im, err := ParseImageRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	return &im
}

// TestBuiltinRules evaluates each built-in rule through the engine, from Go, with an allow and
// a deny case: the evidence of testdata/evidence/good.json passes them all, and each case
// changes one thing.
func TestBuiltinRules(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		mutate   func(*Evidence)
		now      time.Duration // after decisionTime
		wantDeny []string
		wantWarn []string
	}{
		{name: "good", wantDeny: []string{}, wantWarn: []string{}},
		{name: "vuln-fixable-threshold", config: "vulnerabilities: {severity: medium}", wantDeny: []string{"vuln-fixable"}, wantWarn: []string{}},
		{name: "vuln-fixable-exempted", config: "vulnerabilities: {severity: medium, exemptions: [{id: PYSEC-2018-28, expires: 2024-06-02}]}", wantDeny: []string{}, wantWarn: []string{}},
		{name: "vuln-fixable-suppression-lifted", mutate: func(ev *Evidence) { ev.Findings[1].Suppressed = false }, wantDeny: []string{"vuln-fixable"}, wantWarn: []string{}},
		{name: "vuln-kev", mutate: func(ev *Evidence) { ev.Findings[0].KEV = true }, wantDeny: []string{"vuln-kev"}, wantWarn: []string{}},
		{name: "signature-missing", mutate: func(ev *Evidence) { ev.Signatures = nil }, wantDeny: []string{"signature-trusted"}, wantWarn: []string{}},
		{name: "signature-untrusted-key", config: `signatures: {trusted_key_ids: ["sha256:00"]}`, wantDeny: []string{"signature-trusted"}, wantWarn: []string{}},
		{name: "provenance-untrusted-builder", config: "provenance: {required: true, trusted_builders: [https://builder.example]}", wantDeny: []string{"provenance-trusted"}, wantWarn: []string{}},
		{name: "provenance-missing-warns", mutate: func(ev *Evidence) { ev.Provenance = nil }, wantDeny: []string{}, wantWarn: []string{"provenance-trusted"}},
		{name: "image-docker-hub", mutate: func(ev *Evidence) { ev.Subject.Image = mustImage(t, "alpine@"+ev.Subject.Digest) }, wantDeny: []string{"image-registry"}, wantWarn: []string{}},
		{name: "image-registry-not-approved", config: "registries: {allowed: [registry.example.com]}", wantDeny: []string{"image-registry"}, wantWarn: []string{}},
		{name: "image-by-tag", mutate: func(ev *Evidence) { ev.Subject.Image = mustImage(t, "ghcr.io/acme/app:1.0") }, wantDeny: []string{"image-digest"}, wantWarn: []string{}},
		{name: "sbom-missing", mutate: func(ev *Evidence) { ev.SBOM = SBOM{} }, wantDeny: []string{"sbom-present"}, wantWarn: []string{}},
		{name: "sbom-ntia-warn", mutate: func(ev *Evidence) { ev.SBOM.Components[0].Supplier = false }, wantDeny: []string{}, wantWarn: []string{"sbom-ntia"}},
		{name: "sbom-ntia-deny", config: "sbom: {ntia: deny}", mutate: func(ev *Evidence) { ev.SBOM.Author = "" }, wantDeny: []string{"sbom-ntia"}, wantWarn: []string{}},
		{name: "license-denied", config: "licenses: {denied: [Apache-2.0]}", wantDeny: []string{"license"}, wantWarn: []string{}},
		{name: "license-allowed", config: "licenses: {allowed: [MIT, Apache-2.0]}", wantDeny: []string{}, wantWarn: []string{}},
		{name: "evidence-stale", now: 48 * time.Hour, wantDeny: []string{"evidence-age"}, wantWarn: []string{}},
		{name: "misconfig-high", mutate: func(ev *Evidence) {
			ev.Misconfig = []MisconfigResult{{RuleID: "KSV-PRIVILEGED", Severity: "high", Message: "privileged container", File: "deploy.yaml", Line: 3}}
		}, wantDeny: []string{"misconfig"}, wantWarn: []string{}},
		{name: "disabled-by-config", config: "disabled: [signature-trusted]", mutate: func(ev *Evidence) { ev.Signatures = nil }, wantDeny: []string{}, wantWarn: []string{}},
		{name: "strict-config-file", config: "@strict.yaml", wantDeny: []string{}, wantWarn: []string{}},
		{name: "strict-config-file-expired", config: "@strict.yaml", now: 31 * 24 * time.Hour, mutate: func(ev *Evidence) {
			ev.GeneratedAt = decisionTime.Add(31 * 24 * time.Hour)
		}, wantDeny: []string{"vuln-fixable"}, wantWarn: []string{"vuln-fixable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cfg *Config
			switch {
			case strings.HasPrefix(tc.config, "@"):
				c, err := LoadConfig(filepath.Join("testdata", "config", tc.config[1:]))
				if err != nil {
					t.Fatal(err)
				}
				cfg = c
			case tc.config != "":
				cfg = config(t, tc.config)
			}
			e := newEngine(t, Options{Builtin: true, Config: cfg})
			ev := loadEvidence(t, "good.json")
			if tc.mutate != nil {
				tc.mutate(ev)
			}
			d := e.Evaluate(context.Background(), ev, decisionTime.Add(tc.now))
			if d.Error != "" {
				t.Fatalf("evaluation failed: %s", d.Error)
			}
			if diff := cmp.Diff(tc.wantDeny, ids(d.Violations)); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%+v", diff, d.Violations)
			}
			if diff := cmp.Diff(tc.wantWarn, ids(d.Warnings)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\n%+v", diff, d.Warnings)
			}
			if d.Allow != (len(tc.wantDeny) == 0) {
				t.Errorf("allow = %v with violations %v", d.Allow, d.Violations)
			}
			for _, v := range slices.Concat(d.Violations, d.Warnings) {
				if v.Message == "" || v.Severity == "" || v.Remediation == "" {
					t.Errorf("incomplete violation %+v", v)
				}
			}
		})
	}
}

func TestUserRulesBesideBuiltin(t *testing.T) {
	mods, err := LoadModules(filepath.Join("testdata", "policies", "org"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 2 {
		t.Fatalf("loaded %d modules, want 2 (tests excluded): %v", len(mods), mods)
	}
	e := newEngine(t, Options{Builtin: true, Modules: mods, Sources: []string{"builtin", "testdata/policies/org"}})
	ev := loadEvidence(t, "good.json")
	ev.ImageConfig.User = ""
	d := e.Evaluate(context.Background(), ev, decisionTime)
	want := []Violation{
		{RuleID: "org-nonroot", Message: "the image runs as root", Severity: "high", Remediation: "set USER in the Dockerfile", Resource: ev.Subject.Name},
		{RuleID: "org.labels", Message: "the image has no org.opencontainers.image.source label", Severity: "high"},
	}
	if diff := cmp.Diff(want, d.Violations); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Violation{{RuleID: "org.labels", Message: "the image has no description label", Severity: "low"}}, d.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	var got []string
	for _, r := range e.Rules() {
		if !r.Builtin {
			got = append(got, r.ID+"="+r.Package)
		}
	}
	if diff := cmp.Diff([]string{"org-nonroot=hallmark.rules.org.nonroot", "org.labels=hallmark.rules.org.labels"}, got); diff != "" {
		t.Errorf("user rules (-want +got):\n%s", diff)
	}

	// Disabling works for user rules too, and only the user's modules without the built-in
	// rules still have the library.
	e = newEngine(t, Options{Modules: mods, Config: config(t, "disabled: [org.labels]")})
	d = e.Evaluate(context.Background(), ev, decisionTime)
	if diff := cmp.Diff([]string{"org-nonroot"}, ids(d.Violations)); diff != "" {
		t.Errorf("without builtin, org.labels disabled (-want +got):\n%s", diff)
	}
	if len(e.Rules()) != 2 {
		t.Errorf("rules without builtin: %+v", e.Rules())
	}
}

func TestCompileErrorNamesFileAndLine(t *testing.T) {
	mods, err := LoadModules(filepath.Join("testdata", "policies", "bad-syntax"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{Builtin: true, Modules: mods})
	if !errors.Is(err, ErrPolicy) || !errors.Is(err, regoeng.ErrCompile) {
		t.Fatalf("err = %v, want ErrPolicy and regoeng.ErrCompile", err)
	}
	if want := filepath.Join("testdata", "policies", "bad-syntax", "bad.rego") + ":5"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to name %s", err, want)
	}
}

func TestRuntimeErrorFailsClosed(t *testing.T) {
	for _, dir := range []string{"runtime-error", "wrong-member"} {
		t.Run(dir, func(t *testing.T) {
			mods, err := LoadModules(filepath.Join("testdata", "policies", dir), false)
			if err != nil {
				t.Fatal(err)
			}
			ev := loadEvidence(t, "minimal.json")
			d := newEngine(t, Options{Builtin: true, Modules: mods}).Evaluate(context.Background(), ev, decisionTime)
			if d.Allow || d.Error == "" || len(d.Violations) != 1 || d.Violations[0].RuleID != RuleError || d.Violations[0].Severity != SeverityCritical {
				t.Fatalf("fail-closed decision = %+v", d)
			}
			t.Log(d.Violations[0].Message)

			d = newEngine(t, Options{Builtin: true, Modules: mods, Config: config(t, "on_error: allow")}).Evaluate(context.Background(), ev, decisionTime)
			if !d.Allow || d.Error == "" || len(d.Violations) != 0 || len(d.Warnings) != 1 || d.Warnings[0].RuleID != RuleError {
				t.Fatalf("fail-open decision = %+v", d)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		d := newEngine(t, Options{Builtin: true}).Evaluate(ctx, loadEvidence(t, "good.json"), decisionTime)
		if d.Allow || d.Error == "" {
			t.Fatalf("decision under a cancelled context = %+v", d)
		}
	})
}

func TestWrongShapeRejectedAtCompile(t *testing.T) {
	mods, err := LoadModules(filepath.Join("testdata", "policies", "wrong-shape"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{Builtin: true, Modules: mods})
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "shape.rego:4: hallmark.rules.shape.deny must be a set") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown-key", "vulnerabilities: {severty: high}", "vulnerabilities.severty: unknown setting"},
		{"wrong-type", "registries: {allowed: ghcr.io}", "registries.allowed: want a list, got a string"},
		{"section-not-mapping", "sbom: yes", "sbom: want a mapping"},
		{"on-error", "on_error: ignore", `on_error ignore: want "deny" or "allow"`},
		{"disabled-not-list", "disabled: vuln-kev", "disabled: want a list"},
		{"not-mapping", "- a\n- b\n", "want a mapping"},
		{"two-documents", "a: 1\n---\nb: 2\n", "more than one YAML document"},
		{"bad-yaml", "a: [1, 2\n", "yaml"},
		{"non-string-key", "1: a\n", "key 1 is not a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.doc))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
	for _, f := range []string{"typo.yaml", "wrong-type.yaml"} {
		if _, err := LoadConfig(filepath.Join("testdata", "config", f)); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), f) {
			t.Errorf("%s: err = %v", f, err)
		}
	}
	c, err := ParseConfig([]byte("vulnerabilities:\n  exemptions:\n    - {id: CVE-1, expires: 2024-07-01}\n    - {id: CVE-2, expires: 2024-07-01T10:00:00Z}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ex := c.Data["vulnerabilities"].(map[string]any)["exemptions"].([]any)
	if got := []any{ex[0].(map[string]any)["expires"], ex[1].(map[string]any)["expires"]}; !cmp.Equal(got, []any{"2024-07-01", "2024-07-01T10:00:00Z"}) {
		t.Errorf("YAML timestamps read as %v, want RFC 3339 strings", got)
	}
}

func TestLoadModulesErrors(t *testing.T) {
	if _, err := LoadModules(filepath.Join("testdata", "no-such-dir"), false); !errors.Is(err, ErrPolicyDir) {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := LoadModules(filepath.Join("testdata", "config"), false); !errors.Is(err, ErrPolicyDir) || !strings.Contains(err.Error(), "no .rego module") {
		t.Errorf("dir without modules: %v", err)
	}
}

func TestDuplicateRuleIDRejected(t *testing.T) {
	mod := regoeng.Module{Path: "dup.rego", Source: "# METADATA\n# custom:\n#   id: vuln-kev\npackage hallmark.rules.mine\n\ndeny contains \"x\" if false\n"}
	_, err := New(context.Background(), Options{Builtin: true, Modules: []regoeng.Module{mod}})
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), `rule id "vuln-kev"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestPolicyDigest(t *testing.T) {
	a := newEngine(t, Options{Builtin: true}).Info().Digest
	b := newEngine(t, Options{Builtin: true}).Info().Digest
	c := newEngine(t, Options{Builtin: true, Config: config(t, "evidence: {max_age_hours: 1}")}).Info().Digest
	if a != b || a == c || !strings.HasPrefix(a, "sha256:") || len(a) != 71 {
		t.Errorf("digests %s %s %s", a, b, c)
	}
}

// TestConcurrentEvaluate evaluates one engine from many goroutines (run with -race).
func TestConcurrentEvaluate(t *testing.T) {
	e := newEngine(t, Options{Builtin: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ev := loadEvidence(t, "good.json")
			if i%2 == 1 {
				ev.Signatures = nil
			}
			d := e.Evaluate(context.Background(), ev, decisionTime)
			if d.Allow != (i%2 == 0) {
				t.Errorf("goroutine %d: %+v", i, d)
			}
		})
	}
	wg.Wait()
}

// TestPolicyDigestIgnoresPaths: the same policy loaded from two directories has one digest
// (the webhook matches the gate's summaries by it); a change of source or data changes it.
func TestPolicyDigestIgnoresPaths(t *testing.T) {
	a := []regoeng.Module{{Path: "/ci/policies/x.rego", Source: "package x\n"}, {Path: "/ci/policies/y.rego", Source: "package y\n"}}
	b := []regoeng.Module{{Path: "/etc/hallmark/y.rego", Source: "package y\n"}, {Path: "/etc/hallmark/x.rego", Source: "package x\n"}}
	if policyDigest(a, nil) != policyDigest(b, nil) {
		t.Fatal("the digest depends on where the modules were loaded from")
	}
	c := []regoeng.Module{{Path: "/ci/policies/x.rego", Source: "package x\n\n"}, {Path: "/ci/policies/y.rego", Source: "package y\n"}}
	if policyDigest(a, nil) == policyDigest(c, nil) {
		t.Fatal("a source change kept the digest")
	}
	if policyDigest(a, nil) == policyDigest(a, map[string]any{"k": 1}) {
		t.Fatal("a data change kept the digest")
	}
}
