package policy

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

// ErrPolicy: the policy does not compile (the message names file:line), or its rules break
// the documented shape. Fix the policy; nothing was decided.
var ErrPolicy = errors.New("invalid policy")

// DecisionSchemaVersion is the version of the decision document (docs/schema/decision-v1.json).
const DecisionSchemaVersion = "1"

// rulesRoot is the package under which rules contribute deny and warn sets.
var rulesRoot = []string{"hallmark", "rules"}

// Rule ids the engine itself reports.
const (
	// RuleError is the id of the violation (or warning) a run-time policy failure produces.
	RuleError = "policy-error"
)

// Options says what an engine is compiled from.
type Options struct {
	// Builtin includes the built-in rules. The library package data.hallmark.lib is always
	// included, so users' rules can use its helpers either way.
	Builtin bool
	// Modules are users' modules (LoadModules), compiled with the built-in ones: they add rules
	// and may use the library.
	Modules []regoeng.Module
	// Config is the configuration (LoadConfig); nil means the defaults.
	Config *Config
	// Sources describe where the policy came from, e.g. ["builtin", "./policies"], for
	// decisions and verification summaries.
	Sources []string
}

// RuleInfo describes one rule of the compiled policy.
type RuleInfo struct {
	// ID is the rule id violations carry: the package's METADATA custom.id, else the package
	// path below hallmark.rules ("org.no_latest").
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Package is the Rego package, e.g. "hallmark.rules.vuln_kev".
	Package string `json:"package"`
	// Builtin is true for the embedded rules.
	Builtin bool `json:"builtin"`
	// Disabled is true when the configuration disables the rule.
	Disabled bool `json:"disabled"`
}

// Engine is a compiled policy: build it once with New, evaluate it many times, concurrently.
type Engine struct {
	eng      *regoeng.Engine
	rules    []RuleInfo
	pkgs     []rulePackage
	slots    []slot
	disabled map[string]bool
	onError  string
	info     PolicyInfo
}

type rulePackage struct {
	path       []string // below data, e.g. hallmark rules vuln_kev
	id         string   // the default rule id of its violations
	deny, warn bool     // which sets the package defines
}

// slot is what one element of the query's result array is.
type slot struct {
	pkg  int
	kind string // deny or warn
}

// PolicyInfo identifies a compiled policy: where it came from, and a digest of its modules and
// configuration.
type PolicyInfo struct {
	Sources []string `json:"sources"`
	// Digest is "sha256:<hex>" over every module (path and source, in path order) and the
	// configuration: the same policy always has the same digest.
	Digest string `json:"digest"`
}

// New compiles a policy. Errors match ErrPolicy and, for Rego that does not compile,
// regoeng.ErrCompile with file:line.
func New(ctx context.Context, opts Options) (*Engine, error) {
	mods := builtinModules(opts.Builtin, false)
	mods = append(mods, opts.Modules...)
	cfg := opts.Config
	if cfg == nil {
		cfg = &Config{Data: map[string]any{}, OnError: OnErrorDeny}
	}
	e := &Engine{disabled: map[string]bool{}, onError: cfg.OnError}
	for _, id := range cfg.Disabled {
		e.disabled[id] = true
	}
	if e.onError == "" {
		e.onError = OnErrorDeny
	}
	if err := e.catalogue(mods); err != nil {
		return nil, err
	}
	data := map[string]any{"hallmark": map[string]any{"config": cfg.Data}}
	re, err := regoeng.Compile(ctx, e.query(), mods, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	e.eng = re
	e.info = PolicyInfo{Sources: slices.Clone(opts.Sources), Digest: policyDigest(mods, cfg.Data)}
	if len(e.info.Sources) == 0 {
		e.info.Sources = []string{"builtin"}
	}
	return e, nil
}

// catalogue parses the modules, lists the rule packages (under hallmark.rules) with their ids
// and metadata, and checks that what they call deny and warn are sets.
func (e *Engine) catalogue(mods []regoeng.Module) error {
	popts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	var perrs ast.Errors
	ids := map[string]string{}
	byPkg := map[string]int{}
	for _, m := range mods {
		mod, err := ast.ParseModuleWithOpts(m.Path, m.Source, popts)
		if err != nil {
			var errs ast.Errors
			if errors.As(err, &errs) {
				perrs = append(perrs, errs...)
				continue
			}
			return fmt.Errorf("%w: %w: %s: %v", ErrPolicy, regoeng.ErrCompile, m.Path, err)
		}
		path, ok := packagePath(mod)
		if !ok || len(path) <= len(rulesRoot) || !slices.Equal(path[:len(rulesRoot)], rulesRoot) {
			continue
		}
		pkg := strings.Join(path, ".")
		i, seen := byPkg[pkg]
		if !seen {
			i = len(e.pkgs)
			byPkg[pkg] = i
			e.pkgs = append(e.pkgs, rulePackage{path: path, id: strings.Join(path[len(rulesRoot):], ".")})
			e.rules = append(e.rules, RuleInfo{ID: e.pkgs[i].id, Package: pkg, Builtin: strings.HasPrefix(m.Path, "embed:")})
		}
		for _, a := range mod.Annotations {
			if a.Scope != "package" {
				continue
			}
			e.rules[i].Title, e.rules[i].Description = a.Title, strings.TrimSpace(a.Description)
			if id, ok := a.Custom["id"].(string); ok && id != "" {
				e.rules[i].ID, e.pkgs[i].id = id, id
			}
		}
		for _, r := range mod.Rules {
			ref := r.Head.Ref()
			if len(ref) == 0 {
				continue
			}
			name, ok := ref[0].Value.(ast.Var)
			if !ok || (name != "deny" && name != "warn") {
				continue
			}
			if len(ref) != 1 || len(r.Head.Args) > 0 || r.Head.RuleKind() != ast.MultiValue {
				loc := m.Path
				if r.Location != nil {
					loc = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
				}
				return fmt.Errorf("%w: %s: %s.%s must be a set of violations (%s contains … if …)", ErrPolicy, loc, pkg, name, name)
			}
			if name == "deny" {
				e.pkgs[i].deny = true
			} else {
				e.pkgs[i].warn = true
			}
		}
	}
	if len(perrs) > 0 {
		return fmt.Errorf("%w: %w: %s", ErrPolicy, regoeng.ErrCompile, describeErrors(perrs))
	}
	for i, r := range e.rules {
		if prev, dup := ids[r.ID]; dup {
			return fmt.Errorf("%w: rule id %q is used by packages %s and %s", ErrPolicy, r.ID, prev, r.Package)
		}
		ids[r.ID] = r.Package
		e.rules[i].Disabled = e.disabled[r.ID]
	}
	slices.SortFunc(e.rules, func(a, b RuleInfo) int { return strings.Compare(a.ID, b.ID) })
	return nil
}

// query references exactly the deny and warn sets of every rule package, so that evaluation
// computes them and whatever they depend on, and nothing else (a package's other rules are
// evaluated only when a deny or warn rule needs them).
func (e *Engine) query() string {
	var refs []string
	e.slots = e.slots[:0]
	for i, p := range e.pkgs {
		for _, kind := range []string{"deny", "warn"} {
			if kind == "deny" && !p.deny || kind == "warn" && !p.warn {
				continue
			}
			var b strings.Builder
			b.WriteString("data")
			for _, seg := range append(slices.Clone(p.path), kind) {
				b.WriteString("[")
				b.WriteString(strconv.Quote(seg))
				b.WriteString("]")
			}
			refs = append(refs, b.String())
			e.slots = append(e.slots, slot{pkg: i, kind: kind})
		}
	}
	return "[" + strings.Join(refs, ", ") + "]"
}

func packagePath(m *ast.Module) ([]string, bool) {
	var out []string
	for i, t := range m.Package.Path {
		if i == 0 {
			continue // data
		}
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

func policyDigest(mods []regoeng.Module, data map[string]any) string {
	// Module sources only, in a content order: the paths a policy was loaded from (./policies
	// in CI, /etc/hallmark/policies in the cluster) do not change what it decides, and must not
	// change its digest, or the admission webhook would ignore the gate's summaries.
	sums := make([]string, 0, len(mods))
	for _, m := range mods {
		sum := sha256.Sum256([]byte(m.Source))
		sums = append(sums, hex.EncodeToString(sum[:]))
	}
	slices.Sort(sums)
	h := sha256.New()
	for _, s := range sums {
		fmt.Fprintf(h, "%s\n", s)
	}
	b, _ := json.Marshal(data) // maps marshal with sorted keys: deterministic
	h.Write(b)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Rules lists the rules of the policy, sorted by id.
func (e *Engine) Rules() []RuleInfo { return slices.Clone(e.rules) }

// Info identifies the policy.
func (e *Engine) Info() PolicyInfo { return e.info }

// Decision is the outcome of evaluating a policy over evidence.
type Decision struct {
	SchemaVersion string `json:"schema_version"`
	// Allow is true when no rule denied (and evaluation succeeded, or failed open).
	Allow   bool       `json:"allow"`
	Subject Subject    `json:"subject"`
	Policy  PolicyInfo `json:"policy"`
	Time    time.Time  `json:"evaluated_at"`
	Rules   []RuleInfo `json:"-"`
	// Violations are the reasons for denial, worst first; Warnings do not deny.
	Violations []Violation `json:"violations"`
	Warnings   []Violation `json:"warnings"`
	// Error is set when evaluation failed at run time: the decision then denies (fail-closed)
	// or, with on_error "allow", allows with a warning.
	Error string `json:"error,omitempty"`
}

// Violation is one reason a rule gives.
type Violation struct {
	RuleID      string `json:"rule_id"`
	Message     string `json:"message"`
	Severity    string `json:"severity"`
	Remediation string `json:"remediation,omitempty"`
	// Resource is what the violation is about: a package purl, an image reference, a file:line.
	Resource string `json:"resource,omitempty"`
}

// Evaluate decides on ev at time now (the decision time rules compare ages and expiry dates
// with). It never returns an error: a policy that fails at run time (a built-in error, a
// conflict, a rule contributing something that is not a violation, a cancelled context) yields
// a decision whose Error says why, denying unless the configuration chose
// OnErrorAllowUnsafe.
func (e *Engine) Evaluate(ctx context.Context, ev *Evidence, now time.Time) *Decision {
	d := &Decision{
		SchemaVersion: DecisionSchemaVersion,
		Subject:       Subject{Name: ev.Subject.Name, Digest: ev.Subject.Digest, Kind: ev.Subject.Kind, Image: ev.Subject.Image},
		Policy:        e.info,
		Time:          now.UTC(),
		Rules:         e.rules,
		Violations:    []Violation{},
		Warnings:      []Violation{},
	}
	deny, warn, err := e.eval(ctx, ev, now)
	if err != nil {
		d.Error = err.Error()
		v := Violation{
			RuleID:      RuleError,
			Message:     "policy evaluation failed: " + err.Error(),
			Severity:    SeverityCritical,
			Remediation: "fix the policy or its configuration (hallmark policy test); until then the decision fails closed",
		}
		if e.onError == OnErrorAllowUnsafe {
			v.Remediation = "fix the policy or its configuration (hallmark policy test); on_error is \"allow\", so nothing is being enforced"
			d.Allow = true
			d.Warnings = append(d.Warnings, v)
		} else {
			d.Violations = append(d.Violations, v)
		}
		return d
	}
	d.Violations, d.Warnings = deny, warn
	d.Allow = len(deny) == 0
	return d
}

// input is the Rego input document: the evidence with the decision time.
type input struct {
	*Evidence
	Now string `json:"now"`
}

func (e *Engine) eval(ctx context.Context, ev *Evidence, now time.Time) (deny, warn []Violation, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("not evaluated: %w", err)
	}
	doc, err := json.Marshal(input{Evidence: ev.normalized(), Now: now.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: encoding the evidence: %v", ErrPolicy, err)
	}
	res, err := e.eng.EvalJSON(ctx, doc)
	if err != nil {
		return nil, nil, err
	}
	if len(res) != 1 {
		return nil, nil, fmt.Errorf("%w: the policy query is undefined", ErrPolicy)
	}
	sets, ok := res[0].([]any)
	if !ok || len(sets) != len(e.slots) {
		return nil, nil, fmt.Errorf("%w: the policy query returned %T", ErrPolicy, res[0])
	}
	deny, warn = []Violation{}, []Violation{}
	for i, sl := range e.slots {
		vs, err := violations(sets[i], sl.kind, e.pkgs[sl.pkg])
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			if e.disabled[v.RuleID] {
				continue
			}
			if sl.kind == "deny" {
				deny = append(deny, v)
			} else {
				warn = append(warn, v)
			}
		}
	}
	return sortViolations(deny), sortViolations(warn), nil
}

// violations reads a package's deny or warn set. Its members are strings (the message) or
// objects with msg (or message) and optional rule_id, severity, remediation and resource.
func violations(raw any, kind string, p rulePackage) ([]Violation, error) {
	pkg := strings.Join(p.path, ".")
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s.%s must be a set (deny contains … if …), not %s", ErrPolicy, pkg, kind, kindOf(raw))
	}
	def := SeverityHigh
	if kind == "warn" {
		def = SeverityLow
	}
	out := make([]Violation, 0, len(list))
	for _, x := range list {
		v := Violation{RuleID: p.id, Severity: def}
		switch m := x.(type) {
		case string:
			v.Message = m
		case map[string]any:
			var err error
			if v, err = violationObject(m, v); err != nil {
				return nil, fmt.Errorf("%w: %s.%s: %v", ErrPolicy, pkg, kind, err)
			}
		default:
			return nil, fmt.Errorf("%w: %s.%s contains %s: want a message or an object with msg", ErrPolicy, pkg, kind, kindOf(x))
		}
		if v.Message == "" {
			return nil, fmt.Errorf("%w: %s.%s contains a violation without a message", ErrPolicy, pkg, kind)
		}
		out = append(out, v)
	}
	return out, nil
}

func violationObject(m map[string]any, v Violation) (Violation, error) {
	str := func(keys ...string) (string, error) {
		for _, k := range keys {
			if x, ok := m[k]; ok {
				s, ok := x.(string)
				if !ok {
					return "", fmt.Errorf("%s is %s, want a string", k, kindOf(x))
				}
				return s, nil
			}
		}
		return "", nil
	}
	var err error
	if v.Message, err = str("msg", "message"); err != nil {
		return v, err
	}
	if id, err := str("rule_id", "id"); err != nil {
		return v, err
	} else if id != "" {
		v.RuleID = id
	}
	if s, err := str("severity"); err != nil {
		return v, err
	} else if s != "" {
		v.Severity = strings.ToLower(s)
	}
	if v.Remediation, err = str("remediation"); err != nil {
		return v, err
	}
	if v.Resource, err = str("resource"); err != nil {
		return v, err
	}
	return v, nil
}

var severityOrder = map[string]int{SeverityCritical: 0, SeverityHigh: 1, SeverityMedium: 2, SeverityLow: 3}

func sevRank(s string) int {
	if r, ok := severityOrder[s]; ok {
		return r
	}
	return 4
}

// sortViolations orders worst first, then by rule, resource and message, and drops exact
// duplicates (two packages may contribute the same violation).
func sortViolations(vs []Violation) []Violation {
	slices.SortFunc(vs, func(a, b Violation) int {
		return cmp.Or(
			cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)),
			strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(a.Resource, b.Resource),
			strings.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(vs)
}

// evalConstant reads the value of a constant rule (name := literal) of a module without
// evaluating anything.
func evalConstant(src, name string) (any, error) {
	mod, err := ast.ParseModuleWithOpts("lib.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, err
	}
	for _, r := range mod.Rules {
		if r.Head.Name.String() == name && r.Head.Value != nil {
			return ast.JSON(r.Head.Value.Value)
		}
	}
	return nil, fmt.Errorf("no constant %s", name)
}

func onceValue[T any](f func() T) func() T { return sync.OnceValue(f) }
