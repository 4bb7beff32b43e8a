package misconfig

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzParseDockerfile: any input parses or fails with ErrMalformed, never panics, and what
// parses is consistent (lines in range and ordered, a stage per FROM, base stages earlier).
func FuzzParseDockerfile(f *testing.F) {
	for _, s := range []string{
		"FROM a:1\nRUN x \\\n  # c\n\n  y\nUSER 1\n",
		"# escape=`\nFROM a\nRUN a `\n b\n",
		"ARG B=x\nFROM $B AS one\nFROM one\nCOPY <<EOF /f\nbody\nEOF\n",
		"FROM a\nRUN <<-A <<B\n\tx\n\tA\ny\nB\n",
		"FROM a\nENV K=\"v \\\"q\\\"\" L='m n'\nARG T\n",
		"FROM a\nCMD [\"a\", \"b\"]\nONBUILD RUN x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := ParseDockerfile("Dockerfile", data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		n := strings.Count(string(data), "\n") + 1
		if len(df.Stages) == 0 {
			t.Fatal("parsed without a stage")
		}
		last := 0
		check := func(in Instruction) {
			if in.Line < 1 || in.EndLine < in.Line || in.EndLine > n || in.Line <= last {
				t.Fatalf("%s at lines %d-%d (previous %d, file has %d)", in.Cmd, in.Line, in.EndLine, last, n)
			}
			last = in.EndLine
			for _, h := range in.Heredocs {
				if h.Name == "" || h.Line <= in.Line || h.Line > in.EndLine+1 {
					t.Fatalf("heredoc %q at line %d of %s %d-%d", h.Name, h.Line, in.Cmd, in.Line, in.EndLine)
				}
			}
			_ = in.Pairs()
		}
		for _, a := range df.Args {
			check(a)
		}
		for i, st := range df.Stages {
			if st.Index != i || st.From.Cmd != "FROM" || st.BaseStage >= i {
				t.Fatalf("stage %d: %+v", i, st)
			}
			check(st.From)
			for _, in := range st.Instructions {
				check(in)
			}
		}
	})
}

// FuzzParseManifests: any input parses or fails with ErrMalformed or ErrTemplate, never
// panics, and every object is a Kubernetes object with lines inside the file.
func FuzzParseManifests(f *testing.F) {
	for _, s := range []string{
		privilegedPod,
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {hostPID: yes}\n",
		"---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: Pod\n---\n---\n",
		"b: &b {hostNetwork: true}\napiVersion: v1\nkind: Pod\nspec:\n  <<: *b\n",
		`{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ParseManifests("m.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTemplate) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrTemplate", err)
			}
			return
		}
		n := strings.Count(string(data), "\n") + 2 // yaml.v3 may point one past a missing final newline
		for _, o := range objs {
			if o.Kind == "" || o.APIVersion == "" || o.Value == nil {
				t.Fatalf("object %+v", o)
			}
			for p, l := range o.Lines {
				if l < 1 || l > n {
					t.Fatalf("%s at line %d of %d", p, l, n)
				}
			}
		}
	})
}

// FuzzCheck runs the rules over whatever parses: a rule must never fail at run time (a type
// it did not expect, a built-in error), whatever the manifest or Dockerfile holds.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		privilegedPod,
		"apiVersion: v1\nkind: Pod\nspec:\n  containers: {a: 1}\n  volumes: [{hostPath: 1}]\n  securityContext: {runAsUser: \"0\", seccompProfile: []}\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: 7\n        name: [x]\n        ports: [{hostPort: \"80\"}]\n        securityContext: {capabilities: {add: [1, SYS_ADMIN], drop: ALL}}\n",
		"apiVersion: v1\nkind: ServiceAccount\nautomountServiceAccountToken: false\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: [x]}\n",
	} {
		f.Add("m.yaml", []byte(s))
	}
	f.Add("Dockerfile", []byte("FROM a\nUSER \nENV PASSWORD\nADD http://x\nRUN curl x | sh\n"))
	s, err := New(context.Background(), Config{TrustedRegistries: []string{"registry.example.com"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name != "Dockerfile" {
			name = "m.yaml"
		}
		res, err := s.Check(context.Background(), []File{{Name: name, Data: data}}, nil)
		if err != nil {
			t.Fatalf("rules failed: %v", err)
		}
		for _, f := range res.Findings {
			if f.RuleID == "" || f.Line < 1 || f.File != name || f.Message == "" {
				t.Fatalf("finding %+v", f)
			}
		}
	})
}
