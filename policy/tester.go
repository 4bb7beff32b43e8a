package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

// ErrNoTests: the modules hold no test rule (test_… in a *_test.rego file). Write some.
var ErrNoTests = errors.New("no policy tests found")

// TestOptions says which tests RunTests runs.
type TestOptions struct {
	// Modules are the user's modules, tests included (LoadModules with tests).
	Modules []regoeng.Module
	// Builtin compiles the built-in rules alongside, so tests can check how users' rules and
	// configuration combine with them; BuiltinTests also runs the built-in rules' own tests.
	Builtin, BuiltinTests bool
	// Config is the configuration data, as data.hallmark.config; nil means none.
	Config *Config
	// Verbose lists every test, not only failures and errors.
	Verbose bool
	// Timeout bounds each test; zero means 10 s.
	Timeout time.Duration
}

// TestSummary counts test outcomes.
type TestSummary struct {
	Pass, Fail, Error, Skip int
}

// OK reports whether every test that ran passed.
func (s TestSummary) OK() bool { return s.Fail == 0 && s.Error == 0 }

// RunTests runs the policy tests with OPA's test runner and writes a report to w in the
// manner of `opa test`: tests grouped by file, each PASS, FAIL or ERROR, a failure followed by
// the file:line and text of the expression that failed, an error by its message, then the
// totals.
// Modules that do not compile are ErrPolicy (and regoeng.ErrCompile) naming file:line.
func RunTests(ctx context.Context, w io.Writer, opts TestOptions) (TestSummary, error) {
	mods := builtinModules(opts.Builtin || opts.BuiltinTests, opts.BuiltinTests)
	mods = append(mods, opts.Modules...)
	parsed := make(map[string]*ast.Module, len(mods))
	popts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	var perrs ast.Errors
	for _, m := range mods {
		mod, err := ast.ParseModuleWithOpts(m.Path, m.Source, popts)
		if err != nil {
			var errs ast.Errors
			if errors.As(err, &errs) {
				perrs = append(perrs, errs...)
				continue
			}
			return TestSummary{}, fmt.Errorf("%w: %w: %s: %v", ErrPolicy, regoeng.ErrCompile, m.Path, err)
		}
		parsed[m.Path] = mod
	}
	if len(perrs) > 0 {
		return TestSummary{}, fmt.Errorf("%w: %w: %s", ErrPolicy, regoeng.ErrCompile, describeErrors(perrs))
	}
	cfg := map[string]any{}
	if opts.Config != nil {
		cfg = opts.Config.Data
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	r := tester.NewRunner().
		SetDefaultRegoVersion(ast.RegoV1).
		SetStore(inmem.NewFromObject(map[string]any{"hallmark": map[string]any{"config": cfg}})).
		RaiseBuiltinErrors(true).
		SetTimeout(timeout).
		EnableTracing(true). // FailedAt, the expression a failing test stopped at, needs the trace
		SetModules(parsed)
	ch, err := r.RunTests(ctx, nil)
	if err != nil {
		var errs ast.Errors
		if errors.As(err, &errs) {
			return TestSummary{}, fmt.Errorf("%w: %w: %s", ErrPolicy, regoeng.ErrCompile, describeErrors(errs))
		}
		return TestSummary{}, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	// Results arrive in any order (tests run in parallel); report them in file and line order,
	// so that the same tests always print the same report.
	var results []*tester.Result
	var sum TestSummary
	for res := range ch {
		switch {
		case res.Skip:
			sum.Skip++
		case res.Error != nil:
			sum.Error++
		case res.Fail:
			sum.Fail++
		default:
			sum.Pass++
		}
		results = append(results, res)
	}
	slices.SortFunc(results, func(a, b *tester.Result) int {
		af, bf, ar, br := "", "", 0, 0
		if a.Location != nil {
			af, ar = a.Location.File, a.Location.Row
		}
		if b.Location != nil {
			bf, br = b.Location.File, b.Location.Row
		}
		return cmp.Or(strings.Compare(af, bf), cmp.Compare(ar, br), strings.Compare(a.Name, b.Name))
	})
	report(w, results, sum, opts.Verbose)
	if sum == (TestSummary{}) {
		return sum, ErrNoTests
	}
	return sum, ctx.Err()
}

func describeErrors(errs ast.Errors) string {
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		loc := ""
		if e.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", e.Location.File, e.Location.Row)
		}
		lines = append(lines, loc+e.Message)
	}
	return strings.Join(lines, "; ")
}

// report writes the results, in file and line order.
func report(w io.Writer, results []*tester.Result, sum TestSummary, verbose bool) {
	lastFile := ""
	for _, r := range results {
		if r.Pass() && !verbose {
			continue
		}
		file := ""
		if r.Location != nil {
			file = r.Location.File
		}
		if file != lastFile {
			if lastFile != "" {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s:\n", file)
			lastFile = file
		}
		outcome := "PASS"
		switch {
		case r.Skip:
			outcome = "SKIPPED"
		case r.Error != nil:
			outcome = "ERROR"
		case r.Fail:
			outcome = "FAIL"
		}
		fmt.Fprintf(w, "  %s.%s: %s (%s)\n", r.Package, r.Name, outcome, r.Duration.Round(time.Microsecond))
		if r.Fail {
			if loc, text, ok := failedExpr(r.Trace); ok {
				fmt.Fprintf(w, "      %s: failed: %s\n", loc, text)
			}
		}
		if r.Error != nil {
			fmt.Fprintf(w, "      %v\n", r.Error)
		}
		if out := strings.TrimSpace(string(r.Output)); out != "" {
			for _, line := range strings.Split(out, "\n") {
				fmt.Fprintf(w, "      | %s\n", line)
			}
		}
	}
	total := sum.Pass + sum.Fail + sum.Error + sum.Skip
	if lastFile != "" {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, strings.Repeat("-", 80))
	fmt.Fprintf(w, "PASS: %d/%d\n", sum.Pass, total)
	if sum.Fail > 0 {
		fmt.Fprintf(w, "FAIL: %d/%d\n", sum.Fail, total)
	}
	if sum.Error > 0 {
		fmt.Fprintf(w, "ERROR: %d/%d\n", sum.Error, total)
	}
	if sum.Skip > 0 {
		fmt.Fprintf(w, "SKIPPED: %d/%d\n", sum.Skip, total)
	}
}

// failedExpr finds, as opa test does, the last expression of the test's own evaluation that
// failed (not an every, whose failing body expression is reported instead).
func failedExpr(trace []*topdown.Event) (loc, text string, ok bool) {
	for _, e := range slices.Backward(trace) {
		if e.Op != topdown.FailOp || e.Location == nil || e.QueryID == 0 {
			continue
		}
		if expr, isExpr := e.Node.(*ast.Expr); isExpr {
			if _, isEvery := expr.Terms.(*ast.Every); isEvery {
				continue
			}
		}
		text := strings.Join(strings.Fields(string(e.Location.Text)), " ")
		if text == "" {
			text = fmt.Sprint(e.Node)
		}
		return fmt.Sprintf("%s:%d", e.Location.File, e.Location.Row), text, true
	}
	return "", "", false
}
