package policy

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
)

// Errors of loading policies and configuration, matched with errors.Is.
var (
	// ErrPolicyDir: the policy directory cannot be read, holds no module, or a module is too
	// large. Fix the path or the files.
	ErrPolicyDir = errors.New("unusable policy directory")
	// ErrConfig: the configuration file does not parse, or a built-in rule's section has an
	// unknown key or a value of the wrong type. The message names the key.
	ErrConfig = errors.New("invalid policy configuration")
)

// Limits on what a policy directory and configuration may hold.
const (
	maxModuleSize  = 1 << 20
	maxModules     = 1000
	maxConfigSize  = 4 << 20
	testFileSuffix = "_test.rego"
)

//go:embed builtin/*.rego
var builtinFS embed.FS

// libFile is the library module (package hallmark.lib): always loaded, so that users' rules
// can use its helpers even without the built-in rules.
const libFile = "builtin/lib.rego"

// builtinModules returns the embedded modules: the library, the rules when rules is set, and
// their tests when tests is set.
func builtinModules(rules, tests bool) []regoeng.Module {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var out []regoeng.Module
	for _, e := range entries {
		p := path.Join("builtin", e.Name())
		isTest := strings.HasSuffix(p, testFileSuffix)
		if p != libFile && (!rules || isTest && !tests) {
			continue
		}
		b, err := builtinFS.ReadFile(p)
		if err != nil {
			panic(err)
		}
		out = append(out, regoeng.Module{Path: "embed:" + p, Source: string(b)})
	}
	return out
}

// LoadModules reads the Rego modules (*.rego) under dir, recursively, sorted by path. Test
// modules (*_test.rego) are included only with tests: they are for `hallmark policy test`, not
// for decisions.
func LoadModules(dir string, tests bool) ([]regoeng.Module, error) {
	var out []regoeng.Module
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != dir && (strings.HasPrefix(n, ".") || n == "testdata") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".rego") || !d.Type().IsRegular() {
			return nil
		}
		if strings.HasSuffix(p, testFileSuffix) && !tests {
			return nil
		}
		if len(out) == maxModules {
			return fmt.Errorf("%w: %s: more than %d modules", ErrPolicyDir, dir, maxModules)
		}
		b, err := readLimited(p, maxModuleSize)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrPolicyDir, err)
		}
		out = append(out, regoeng.Module{Path: p, Source: string(b)})
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrPolicyDir) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrPolicyDir, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s holds no .rego module", ErrPolicyDir, dir)
	}
	slices.SortFunc(out, func(a, b regoeng.Module) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func readLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d KiB", p, limit>>10)
	}
	return b, nil
}

// Config is the policy configuration (--config): the data the rules read as
// data.hallmark.config, and the two settings the engine itself reads from it.
type Config struct {
	// Data is the whole document.
	Data map[string]any
	// Disabled lists rule ids whose violations and warnings are dropped ("disabled").
	Disabled []string
	// OnError is what a policy that fails at run time decides: OnErrorDeny (the default) or
	// OnErrorAllowUnsafe ("on_error").
	OnError string
}

// What a run-time policy failure decides.
const (
	// OnErrorDeny denies, naming the failure: fail-closed.
	OnErrorDeny = "deny"
	// OnErrorAllowUnsafe allows with the failure as a warning: fail-open. A policy bug then
	// lets everything through; choose it only where availability beats enforcement.
	OnErrorAllowUnsafe = "allow"
)

// LoadConfig reads a configuration file (YAML or JSON).
func LoadConfig(p string) (*Config, error) {
	b, err := readLimited(p, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return c, nil
}

// ParseConfig parses a configuration document (YAML or JSON) and checks the sections of the
// built-in rules: every key must be one the rule knows, with a value of the same type as its
// default, so that a typo is an error rather than a silently ignored setting.
func ParseConfig(b []byte) (*Config, error) {
	var raw any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrConfig)
	}
	if raw == nil {
		raw = map[string]any{}
	}
	v, err := jsonValue(raw, "")
	if err != nil {
		return nil, err
	}
	data, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the document is %s, want a mapping", ErrConfig, kindOf(v))
	}
	c := &Config{Data: data, OnError: OnErrorDeny}
	if d, ok := data["disabled"]; ok {
		list, ok := d.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: disabled: want a list of rule ids, got %s", ErrConfig, kindOf(d))
		}
		for i, x := range list {
			s, ok := x.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%w: disabled[%d]: want a rule id", ErrConfig, i)
			}
			c.Disabled = append(c.Disabled, s)
		}
	}
	if oe, ok := data["on_error"]; ok {
		switch oe {
		case OnErrorDeny, OnErrorAllowUnsafe:
			c.OnError = oe.(string)
		default:
			return nil, fmt.Errorf("%w: on_error %v: want %q or %q", ErrConfig, oe, OnErrorDeny, OnErrorAllowUnsafe)
		}
	}
	if err := checkSections(data, builtinDefaults()); err != nil {
		return nil, err
	}
	return c, nil
}

// jsonValue turns a decoded YAML value into the JSON data model Rego sees: string-keyed
// objects, float64 numbers, and timestamps as RFC 3339 strings (YAML reads an unquoted date as
// a timestamp; the rules parse dates themselves).
func jsonValue(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := jsonValue(e, join(at, k))
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s: key %v is not a string", ErrConfig, orRoot(at), k)
			}
			c, err := jsonValue(e, join(at, ks))
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := jsonValue(e, fmt.Sprintf("%s[%d]", orRoot(at), i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02"), nil
		}
		return x.Format(time.RFC3339Nano), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float64, string, bool, nil:
		return x, nil
	}
	return nil, fmt.Errorf("%w: %s: unsupported value %T", ErrConfig, orRoot(at), v)
}

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func orRoot(at string) string {
	if at == "" {
		return "(root)"
	}
	return at
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// checkSections checks the configuration of the built-in rules against their defaults.
func checkSections(data map[string]any, defaults map[string]any) error {
	for section, dv := range defaults {
		cv, ok := data[section]
		if !ok {
			continue
		}
		cm, ok := cv.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s: want a mapping, got %s", ErrConfig, section, kindOf(cv))
		}
		dm := dv.(map[string]any)
		for k, v := range cm {
			d, known := dm[k]
			if !known {
				return fmt.Errorf("%w: %s.%s: unknown setting (known: %s)", ErrConfig, section, k, strings.Join(sortedKeys(dm), ", "))
			}
			if kindOf(v) != kindOf(d) {
				return fmt.Errorf("%w: %s.%s: want %s, got %s", ErrConfig, section, k, kindOf(d), kindOf(v))
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// builtinDefaults reads the defaults object of the library module: its one source of truth.
var builtinDefaults = onceValue(func() map[string]any {
	src, err := builtinFS.ReadFile(libFile)
	if err != nil {
		panic(err)
	}
	v, err := evalConstant(string(src), "defaults")
	if err == nil {
		v, err = jsonRoundTrip(v) // numbers as float64, like the configuration's
	}
	if err != nil {
		panic(fmt.Sprintf("built-in library defaults: %v", err))
	}
	return v.(map[string]any)
})

// jsonRoundTrip converts a Go value to the JSON data model.
func jsonRoundTrip(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}
