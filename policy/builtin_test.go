package policy

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestBuiltinRego runs the built-in rules' Rego tests (builtin/*_test.rego) with OPA's test
// runner, as `hallmark policy test` runs users' tests.
func TestBuiltinRego(t *testing.T) {
	var out bytes.Buffer
	sum, err := RunTests(context.Background(), &out, TestOptions{BuiltinTests: true, Verbose: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !sum.OK() {
		t.Fatalf("%+v\n%s", sum, out.String())
	}
	if sum.Pass < 60 {
		t.Errorf("only %d Rego tests passed; were tests dropped?\n%s", sum.Pass, out.String())
	}
	t.Logf("%+v", sum)
}

// TestBuiltinRulesHaveAllowAndDenyTests: every built-in rule package has a test module with at
// least one test_allow_… and one test_deny_… case.
func TestBuiltinRulesHaveAllowAndDenyTests(t *testing.T) {
	e, err := New(context.Background(), Options{Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{}
	for _, m := range builtinModules(true, true) {
		if strings.HasSuffix(m.Path, testFileSuffix) {
			tests[m.Path] = m.Source
		}
	}
	rules := e.Rules()
	if len(rules) != 11 {
		t.Errorf("%d built-in rules, want 11: %+v", len(rules), rules)
	}
	for _, r := range rules {
		name := strings.TrimPrefix(r.Package, "hallmark.rules.")
		src, ok := tests["embed:builtin/"+name+testFileSuffix]
		if !ok {
			t.Errorf("rule %s (%s) has no builtin/%s_test.rego", r.ID, r.Package, name)
			continue
		}
		for _, kind := range []string{"allow", "deny"} {
			if !regexp.MustCompile(`(?m)^test_` + kind + `_\w+ if`).MatchString(src) {
				t.Errorf("rule %s: no test_%s_… case", r.ID, kind)
			}
		}
		if r.Title == "" || r.Description == "" {
			t.Errorf("rule %s: METADATA title and description are required", r.ID)
		}
	}
}
