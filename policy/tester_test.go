package policy

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

func TestRunTestsUserDir(t *testing.T) {
	run := func(dir string, builtin bool) (TestSummary, string, error) {
		mods, err := LoadModules(filepath.Join("testdata", "policies", dir), true)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sum, err := RunTests(context.Background(), &out, TestOptions{Modules: mods, Builtin: builtin, Verbose: true})
		return sum, out.String(), err
	}
	sum, out, err := run("org", true)
	if err != nil || !sum.OK() || sum.Pass != 4 {
		t.Fatalf("org: %+v %v\n%s", sum, err, out)
	}
	for _, want := range []string{filepath.Join("testdata", "policies", "org", "org_test.rego") + ":\n", "  data.hallmark.rules_test.org.test_deny_root: PASS", "PASS: 4/4"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	sum, out, err = run("failing-tests", false)
	if err != nil || sum.OK() || sum.Fail != 1 || sum.Pass != 1 {
		t.Fatalf("failing-tests: %+v %v\n%s", sum, err, out)
	}
	for _, want := range []string{"test_allow_three: FAIL", "rule_test.rego:11: failed: count(limit.deny) == 0 with input as", "PASS: 1/2", "FAIL: 1/2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	sum, out, err = run("runtime-error", false)
	if err != nil || sum.OK() || sum.Error != 1 || !strings.Contains(out, "test_deny_empty_inventory: ERROR") || !strings.Contains(out, "divide by zero") {
		t.Errorf("runtime-error: %+v %v\n%s", sum, err, out)
	}

	if _, _, err := run("no-tests", false); !errors.Is(err, ErrNoTests) {
		t.Errorf("no-tests: %v", err)
	}
	_, _, err = run("bad-syntax", false)
	if !errors.Is(err, regoeng.ErrCompile) || !strings.Contains(err.Error(), "bad.rego:5") {
		t.Errorf("bad-syntax: %v", err)
	}
}
