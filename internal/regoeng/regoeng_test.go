package regoeng

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCompileAndEval(t *testing.T) {
	e, err := Compile(context.Background(), "data.t.deny", []Module{{Path: "t.rego", Source: `package t
deny contains msg if {
	input.user == "root"
	msg := sprintf("runs as %s (limit %d)", [input.user, data.limit])
}`}}, map[string]any{"limit": 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Eval(context.Background(), map[string]any{"user": "root"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(strings.Join(toStrings(got[0]), ","), "runs as root (limit 3)") {
		t.Fatalf("got %v", got)
	}
	got, err = e.Eval(context.Background(), map[string]any{"user": "app"})
	if err != nil || len(toStrings(got[0])) != 0 {
		t.Fatalf("got %v %v", got, err)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCompileErrorNamesFileAndLine(t *testing.T) {
	_, err := Compile(context.Background(), "data.t.deny", []Module{{Path: "policies/bad.rego", Source: "package t\n\ndeny contains msg if {\n\tmsg := input.x +\n}\n"}}, nil)
	if !errors.Is(err, ErrCompile) || !strings.Contains(err.Error(), "policies/bad.rego:") {
		t.Fatalf("err = %v", err)
	}
}

func TestEvalErrorIsNamed(t *testing.T) {
	e, err := Compile(context.Background(), "data.t.x", []Module{{Path: "t.rego", Source: "package t\nx := 1 / input.n\n"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Eval(context.Background(), map[string]any{"n": 0}); !errors.Is(err, ErrEval) {
		t.Fatalf("err = %v", err)
	}
}

func TestEvalJSONMatchesEval(t *testing.T) {
	e, err := Compile(context.Background(), "data.t.out", []Module{{Path: "t.rego", Source: "package t\nout := {\"n\": count(input.items), \"first\": input.items[0].name}\n"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Eval(context.Background(), map[string]any{"items": []any{map[string]any{"name": "x"}, map[string]any{"name": "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.EvalJSON(context.Background(), []byte(`{"items":[{"name":"x"},{"name":"y"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("Eval %v, EvalJSON %v", a, b)
	}
	if _, err := e.EvalJSON(context.Background(), []byte(`{`)); !errors.Is(err, ErrEval) {
		t.Fatalf("bad JSON: %v", err)
	}
}
