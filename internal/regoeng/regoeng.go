// Package regoeng is the one Rego engine hallmark's rooms share (misconfiguration checks and
// policy decisions): modules are parsed and compiled once, then a prepared query is evaluated
// many times, concurrently, against different inputs. It wraps OPA's Go library (Rego v1
// syntax); compile errors carry the module's file name and line.
package regoeng

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

var (
	// ErrCompile: a module does not parse or compile; the message names file:line.
	ErrCompile = errors.New("invalid Rego")
	// ErrEval: evaluation failed at run time (a built-in error, a conflict, a timeout).
	ErrEval = errors.New("Rego evaluation failed")
)

// Module is one Rego source file.
type Module struct {
	// Path names the module in errors (a file path, or embed:NAME for built-in modules).
	Path   string
	Source string
}

// Engine is a compiled query over a set of modules and a data document.
type Engine struct {
	pq    rego.PreparedEvalQuery
	query string
}

// Compile parses and compiles modules with data (the `data` document beside them, e.g. rule
// configuration) and prepares query (e.g. "data.hallmark.policy.decision"). Errors match
// ErrCompile and list every problem as file:line: message.
func Compile(ctx context.Context, query string, modules []Module, data map[string]any) (*Engine, error) {
	if data == nil {
		data = map[string]any{}
	}
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Store(inmem.NewFromObject(data)),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	}
	for _, m := range modules {
		opts = append(opts, rego.Module(m.Path, m.Source))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, describe(err))
	}
	return &Engine{pq: pq, query: query}, nil
}

// Eval evaluates the query against input (any JSON-like Go value) and returns the value of the
// query in each result (usually one; none when the query is undefined).
func (e *Engine) Eval(ctx context.Context, input any) ([]any, error) {
	rs, err := e.pq.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrEval, e.query, describe(err))
	}
	out := make([]any, 0, len(rs))
	for _, r := range rs {
		if len(r.Expressions) > 0 {
			out = append(out, r.Expressions[0].Value)
		}
	}
	return out, nil
}

// EvalJSON is Eval for an input already encoded as JSON: the document is decoded straight
// into OPA's value form, skipping the JSON round trip OPA makes of Go structs (EvalInput
// marshals and unmarshals them) — about a third of the cost of a decision on a large
// evidence document.
func (e *Engine) EvalJSON(ctx context.Context, input []byte) ([]any, error) {
	v, err := ast.ValueFromReader(bytes.NewReader(input))
	if err != nil {
		return nil, fmt.Errorf("%w: input: %v", ErrEval, err)
	}
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrEval, e.query, describe(err))
	}
	out := make([]any, 0, len(rs))
	for _, r := range rs {
		if len(r.Expressions) > 0 {
			out = append(out, r.Expressions[0].Value)
		}
	}
	return out, nil
}

// describe turns OPA's errors into "file:line: message" lines.
func describe(err error) string {
	var errs ast.Errors
	if errors.As(err, &errs) {
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
	return err.Error()
}
