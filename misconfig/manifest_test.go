package misconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseFile(t *testing.T, name string) ([]Object, error) {
	t.Helper()
	path := filepath.Join("testdata", "parse", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ParseManifests(path, data)
}

// objSummary is what the parse tests compare: identity and where things are.
type objSummary struct {
	Kind, Name, Namespace, Source string
	Line, Document                int
}

func summarize(objs []Object) []objSummary {
	var out []objSummary
	for _, o := range objs {
		out = append(out, objSummary{Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, Source: o.Source, Line: o.Line, Document: o.Document})
	}
	return out
}

func TestParseManifests(t *testing.T) {
	for _, c := range []struct {
		file  string
		want  []objSummary
		lines map[string]int // spot checks in the last object
	}{
		{"multi-doc.yaml", []objSummary{
			{Kind: "ConfigMap", Name: "settings", Namespace: "apps", Line: 6, Document: 2},
			{Kind: "Pod", Name: "worker-", Line: 17, Document: 4},
		}, map[string]int{"": 17, "/spec/containers/0": 23, "/spec/containers/0/image": 24}},
		{"list.yaml", []objSummary{
			{Kind: "Service", Name: "web", Line: 4},
			{Kind: "Deployment", Name: "web", Line: 8},
		}, map[string]int{"": 8, "/spec/template/spec/containers/0/image": 17}},
		{"podlist.json", []objSummary{
			{Kind: "Pod", Name: "a", Namespace: "ns", Line: 5},
		}, map[string]int{"/spec/containers/0/securityContext/privileged": 11, "/metadata/namespace": 8}},
		{"helm-rendered.yaml", []objSummary{
			{Kind: "ServiceAccount", Name: "web", Source: "web/templates/serviceaccount.yaml", Line: 3, Document: 0},
			{Kind: "Deployment", Name: "web", Source: "web/templates/deployment.yaml", Line: 9, Document: 1},
		}, map[string]int{"/spec/template/spec/containers/0/securityContext/privileged": 20}},
		{"values.yaml", nil, nil},
		{"template-in-configmap.yaml", []objSummary{{Kind: "ConfigMap", Name: "notifications", Line: 1}}, map[string]int{"/data/template.app-sync": 5}},
		{"empty.yaml", nil, nil},
	} {
		t.Run(c.file, func(t *testing.T) {
			objs, err := parseFile(t, c.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, summarize(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if len(objs) == 0 {
				return
			}
			last := objs[len(objs)-1]
			for ptr, want := range c.lines {
				if got := last.Lines[ptr]; got != want {
					t.Errorf("line of %q = %d, want %d", ptr, got, want)
				}
			}
		})
	}
}

func TestParseManifestsErrors(t *testing.T) {
	for _, c := range []struct {
		name, file, src string
		want            error
		msg             string
	}{
		{name: "not-yaml", file: "not-yaml.yaml", want: ErrMalformed, msg: "testdata/parse/not-yaml.yaml: malformed file: line 6:"},
		{name: "template", file: "template.yaml", want: ErrTemplate, msg: "testdata/parse/template.yaml:4: unrendered template: it does not parse and contains Go template actions ({{ … }}): render it first, e.g. helm template (a mapping key is not a scalar)"},
		{name: "binary", file: "binary.yaml", want: ErrMalformed, msg: "binary.yaml"},
		{name: "duplicate-key", src: "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: false\n  hostPID: true\n", want: ErrMalformed,
			msg: `x.yaml:5: malformed file: duplicate key "hostPID" (first at line 4)`},
		{name: "kind-without-apiversion", src: "apiVersion: v1\nkind: Service\n---\nkind: Pod\nmetadata: {}\n", want: ErrMalformed, msg: "x.yaml:4: malformed file: object has kind but no apiVersion"},
		{name: "apiversion-without-kind", src: "---\napiVersion: v1\n---\napiVersion: v1\nkind: Pod\n", want: ErrMalformed, msg: "x.yaml:2: malformed file: object has apiVersion but no kind"},
		{name: "kind-not-string", src: "apiVersion: v1\nkind: [Pod]\n", want: ErrMalformed, msg: "x.yaml:2: malformed file: kind is not a non-empty string"},
		{name: "list-item-not-object", src: "apiVersion: v1\nkind: List\nitems:\n- 1\n", want: ErrMalformed, msg: "x.yaml:4: malformed file: List item 0 is not an object"},
		{name: "list-item-not-k8s", src: "apiVersion: v1\nkind: List\nitems:\n- a: 1\n", want: ErrMalformed, msg: "x.yaml:4: malformed file: List item 0 has no apiVersion and kind"},
		{name: "first-line", src: "a: b: c\n", want: ErrMalformed, msg: "x.yaml: malformed file: line 1: mapping values are not allowed in this context"},
		{name: "alias-bomb", src: billionLaughs(), want: ErrMalformed, msg: "aliases expand to more than"},
		{name: "unknown-alias", src: "apiVersion: v1\nkind: Pod\nspec: *nope\n", want: ErrMalformed, msg: "unknown anchor"},
		{name: "merge-not-mapping", src: "apiVersion: v1\nkind: Pod\nspec:\n  <<: 1\n", want: ErrMalformed, msg: "merge"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.file != "" {
				_, err = parseFile(t, c.file)
			} else {
				_, err = ParseManifests("x.yaml", []byte(c.src))
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %q, want it to contain %q", err, c.msg)
			}
		})
	}
}

// billionLaughs nests aliases so that expanding them would take 10^9 nodes.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("apiVersion: v1\nkind: Pod\nspec: *a8\n")
	return b.String()
}

func TestParseManifestsValues(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
base: &base
  hostPID: yes
  hostIPC: false
spec:
  <<: *base
  hostIPC: true
  quoted: "yes"
  tagged: !!str on
  octal: 0o17
  hex: 0x10
  float: 1.5
  null_value: ~
  big: 123456789012345678901234567890
`
	objs, err := ParseManifests("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	spec := objs[0].Value["spec"].(map[string]any)
	want := map[string]any{
		"hostPID": true, "hostIPC": true, "quoted": "yes", "tagged": "on", "octal": int64(15), "hex": int64(16),
		"float": 1.5, "null_value": nil, "big": 1.2345678901234568e+29,
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	lines := objs[0].Lines
	for ptr, want := range map[string]int{
		"/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod": 6,
		"/spec/hostPID": 8, // merged: where it is written
		"/spec/hostIPC": 12,
	} {
		if lines[ptr] != want {
			t.Errorf("line of %s = %d, want %d", ptr, lines[ptr], want)
		}
	}
}
