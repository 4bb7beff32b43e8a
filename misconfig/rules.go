package misconfig

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

// The rules, one Rego file per target, plus the module that gathers their results. Each rule
// states its metadata next to its logic in the file's `rules` object.
//
//go:embed rules/*.rego
var ruleFS embed.FS

const (
	resultsQuery  = "data.hallmark.misconfig.results"
	metadataQuery = "data.hallmark.misconfig.rules"
)

func modules() ([]regoeng.Module, error) {
	names, err := fs.Glob(ruleFS, "rules/*.rego")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	mods := make([]regoeng.Module, 0, len(names))
	for _, n := range names {
		b, err := ruleFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		mods = append(mods, regoeng.Module{Path: "embed:" + n, Source: string(b)})
	}
	return mods, nil
}

// Scanner checks manifests and Dockerfiles with the rules compiled once for one Config. It is
// safe for concurrent use.
type Scanner struct {
	cfg      Config
	engine   *regoeng.Engine
	rules    map[string]Rule
	disabled map[string]bool
}

// New compiles the built-in rules for cfg. It fails with ErrConfig when cfg names an unknown
// rule or severity.
func New(ctx context.Context, cfg Config) (*Scanner, error) {
	mods, err := modules()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	rules, err := loadRules(ctx, mods)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(rules); err != nil {
		return nil, err
	}
	trusted := make([]any, 0, len(cfg.TrustedRegistries))
	for _, r := range cfg.TrustedRegistries {
		trusted = append(trusted, normalizeRegistryPrefix(r))
	}
	data := map[string]any{"config": map[string]any{"trusted_registries": trusted}}
	eng, err := regoeng.Compile(ctx, resultsQuery, mods, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	s := &Scanner{cfg: cfg, engine: eng, rules: rules, disabled: map[string]bool{}}
	for _, id := range cfg.Disabled {
		s.disabled[id] = true
	}
	for id, sev := range cfg.Severity {
		r := s.rules[id]
		r.Severity = sev
		s.rules[id] = r
	}
	return s, nil
}

// normalizeRegistryPrefix lower-cases a trusted registry and spells Docker Hub one way, as the
// rules do for image references.
func normalizeRegistryPrefix(r string) string {
	r = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r)), "/")
	for _, hub := range []string{"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"} {
		if r == hub || strings.HasPrefix(r, hub+"/") {
			return "docker.io" + r[len(hub):]
		}
	}
	return r
}

// Rules returns the rules that run, ordered by ID, with their configured severity.
func (s *Scanner) Rules() []Rule {
	out := make([]Rule, 0, len(s.rules))
	for id, r := range s.rules {
		if !s.disabled[id] {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// BuiltinRules returns every built-in rule with its default severity, ordered by ID.
func BuiltinRules(ctx context.Context) ([]Rule, error) {
	mods, err := modules()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	m, err := loadRules(ctx, mods)
	if err != nil {
		return nil, err
	}
	out := make([]Rule, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func loadRules(ctx context.Context, mods []regoeng.Module) (map[string]Rule, error) {
	eng, err := regoeng.Compile(ctx, metadataQuery, mods, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	vals, err := eng.Eval(ctx, map[string]any{})
	if err != nil || len(vals) != 1 {
		return nil, fmt.Errorf("%w: reading rule metadata: %v", ErrRules, err)
	}
	var raw map[string]struct {
		Title       string   `json:"title"`
		Severity    string   `json:"severity"`
		Target      string   `json:"target"`
		Description string   `json:"description"`
		Remediation string   `json:"remediation"`
		References  []string `json:"references"`
	}
	if err := roundTrip(vals[0], &raw); err != nil {
		return nil, fmt.Errorf("%w: rule metadata: %w", ErrRules, err)
	}
	rules := make(map[string]Rule, len(raw))
	for id, r := range raw {
		if r.Title == "" || r.Remediation == "" || !slices.Contains(Severities, r.Severity) ||
			(r.Target != TargetKubernetes && r.Target != TargetDockerfile) {
			return nil, fmt.Errorf("%w: rule %s: incomplete metadata", ErrRules, id)
		}
		rules[id] = Rule{ID: id, Title: r.Title, Severity: r.Severity, Target: r.Target,
			Description: r.Description, Remediation: r.Remediation, References: r.References}
	}
	return rules, nil
}

func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// rawFinding is what a rule reports: which rule, about which object (index into the input)
// or Dockerfile, where, and what.
type rawFinding struct {
	Rule   string `json:"rule"`
	Target string `json:"target"`
	Index  int    `json:"index"`
	Line   int    `json:"line"`
	// Path is the field a Kubernetes result is about (object keys and array indices).
	Path      []any  `json:"path"`
	Container string `json:"container"`
	Message   string `json:"message"`
	// Kind, Name and Namespace override the object's, for findings about something else
	// (a namespace without a NetworkPolicy).
	Kind      *string `json:"kind"`
	Name      *string `json:"name"`
	Namespace *string `json:"namespace"`
	// Once groups results of which only one is kept: the lowest Rank, then the lowest Index
	// (a rule offers every object a finding could be reported at; grouping in Rego would
	// cost a pass over all objects per group).
	Once string `json:"once"`
	Rank int    `json:"rank"`
}

// eval runs the rules over all objects at once (some rules look across documents: a
// namespace's NetworkPolicies, a pod's ServiceAccount) and over each Dockerfile.
func (s *Scanner) eval(ctx context.Context, objs []Object, dfs []*Dockerfile) ([]Finding, error) {
	if len(objs) == 0 && len(dfs) == 0 {
		return nil, nil
	}
	input := map[string]any{
		"objects":     objectsInput(objs),
		"dockerfiles": dockerfilesInput(dfs),
	}
	vals, err := s.engine.Eval(ctx, input)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", ErrRules, err)
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("%w: %s is undefined", ErrRules, resultsQuery)
	}
	var raws []rawFinding
	if err := roundTrip(vals[0], &raws); err != nil {
		return nil, fmt.Errorf("%w: results: %w", ErrRules, err)
	}
	raws = keepOnce(raws)
	out := make([]Finding, 0, len(raws))
	for _, r := range raws {
		rule, ok := s.rules[r.Rule]
		if !ok {
			return nil, fmt.Errorf("%w: a result names rule %q, which has no metadata", ErrRules, r.Rule)
		}
		if s.disabled[r.Rule] {
			continue
		}
		f := Finding{RuleID: rule.ID, Title: rule.Title, Severity: rule.Severity, Line: r.Line,
			Container: r.Container, Message: r.Message, Remediation: rule.Remediation}
		switch r.Target {
		case TargetKubernetes:
			if r.Index < 0 || r.Index >= len(objs) {
				return nil, fmt.Errorf("%w: rule %s names object %d of %d", ErrRules, r.Rule, r.Index, len(objs))
			}
			o := objs[r.Index]
			f.File, f.Kind, f.Name, f.Namespace, f.Source = o.File, o.Kind, o.Name, o.Namespace, o.Source
			f.Line = o.lineOf(r.Path)
		case TargetDockerfile:
			if r.Index < 0 || r.Index >= len(dfs) {
				return nil, fmt.Errorf("%w: rule %s names Dockerfile %d of %d", ErrRules, r.Rule, r.Index, len(dfs))
			}
			f.File, f.Kind = dfs[r.Index].File, "Dockerfile"
		default:
			return nil, fmt.Errorf("%w: rule %s reports unknown target %q", ErrRules, r.Rule, r.Target)
		}
		if r.Kind != nil {
			f.Kind = *r.Kind
		}
		if r.Name != nil {
			f.Name = *r.Name
		}
		if r.Namespace != nil {
			f.Namespace = *r.Namespace
		}
		out = append(out, f)
	}
	return out, nil
}

// keepOnce keeps, of the results that share a Once key, the one with the lowest Rank and
// then Index.
func keepOnce(raws []rawFinding) []rawFinding {
	best := map[string]int{}
	out := raws[:0]
	for _, r := range raws {
		if r.Once == "" {
			out = append(out, r)
			continue
		}
		if j, ok := best[r.Once]; ok {
			if b := out[j]; r.Rank < b.Rank || r.Rank == b.Rank && r.Index < b.Index {
				out[j] = r
			}
			continue
		}
		best[r.Once] = len(out)
		out = append(out, r)
	}
	return out
}

// objectsInput is the rules' view of the objects: identity and the object.
func objectsInput(objs []Object) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = map[string]any{
			"api_version": o.APIVersion, "kind": o.Kind, "name": o.Name, "namespace": o.Namespace,
			"object": o.Value,
		}
	}
	return out
}

// lineOf is the line of the field at path, or of its nearest enclosing field that is written
// in the file (a missing field is reported where it belongs), or of the object.
func (o *Object) lineOf(path []any) int {
	ptrs := make([]string, 0, len(path)+1)
	var b strings.Builder
	ptrs = append(ptrs, "")
	for _, p := range path {
		b.WriteByte('/')
		switch v := p.(type) {
		case string:
			b.WriteString(pointerEscape(v))
		default:
			fmt.Fprint(&b, v) // array indices arrive as json.Number
		}
		ptrs = append(ptrs, b.String())
	}
	for k := len(ptrs) - 1; k >= 0; k-- {
		if l, ok := o.Lines[ptrs[k]]; ok {
			return l
		}
	}
	return o.Line
}

// dockerfilesInput is the rules' view of Dockerfiles: stages with their chain of base stages,
// and each instruction with its words, key/value pairs and the shell text it runs.
func dockerfilesInput(dfs []*Dockerfile) []any {
	out := make([]any, len(dfs))
	for i, df := range dfs {
		stages := make([]any, len(df.Stages))
		for j, st := range df.Stages {
			// chain: this stage, then the stage it is built on, and so on (a USER set in a
			// base stage carries over).
			chain := []any{j}
			for k, n := st.BaseStage, 0; k >= 0 && k < j && n < len(df.Stages); k, n = df.Stages[k].BaseStage, n+1 {
				chain = append(chain, k)
			}
			ins := make([]any, len(st.Instructions))
			for k := range st.Instructions {
				ins[k] = instructionInput(&st.Instructions[k])
			}
			stages[j] = map[string]any{
				"index": j, "name": st.Name, "line": st.From.Line, "image": st.Image, "unresolved": st.Unresolved,
				"base_stage": st.BaseStage, "chain": chain, "flags": strs(st.From.Flags), "instructions": ins,
			}
		}
		out[i] = map[string]any{"file": df.File, "stages": stages}
	}
	return out
}

func instructionInput(in *Instruction) map[string]any {
	m := map[string]any{
		"cmd": in.Cmd, "line": in.Line, "end_line": in.EndLine, "flags": strs(in.Flags),
		"text": in.Text, "json": in.JSON, "args": strs(in.Args),
	}
	if kv := in.Pairs(); kv != nil {
		pairs := make([]any, len(kv))
		for i, p := range kv {
			pairs[i] = map[string]any{"key": p.Key, "value": p.Value, "has_value": p.HasValue}
		}
		m["pairs"] = pairs
	}
	if in.Cmd == "RUN" {
		// The shell text the RUN executes: the command and its heredoc bodies.
		var b strings.Builder
		if in.JSON {
			b.WriteString(strings.Join(in.Args, " "))
		} else {
			b.WriteString(in.Text)
		}
		for _, h := range in.Heredocs {
			b.WriteString("\n")
			b.WriteString(h.Body)
		}
		m["shell"] = b.String()
	}
	return m
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// pathMatchCheck validates a glob pattern.
func pathMatchCheck(p string) (bool, error) {
	return path.Match(strings.TrimSuffix(p, "/**"), "")
}
