package deps

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parserNamed returns the parser with the given name from Parsers.
func parserNamed(t testing.TB, name string) Parser {
	t.Helper()
	for _, p := range Parsers() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no parser %q", name)
	return Parser{}
}

// checkGraph verifies the invariants Graph documents, whatever the input was.
func checkGraph(t testing.TB, g *Graph) {
	t.Helper()
	if g == nil {
		t.Fatal("nil graph without error")
	}
	nodes := map[string]Node{}
	for i, n := range g.Nodes {
		if _, dup := nodes[n.Key]; dup {
			t.Errorf("duplicate node key %q", n.Key)
		}
		nodes[n.Key] = n
		if i > 0 && g.Nodes[i-1].Key >= n.Key {
			t.Errorf("nodes not sorted at %q", n.Key)
		}
		if n.Root && (n.Direct || n.DirectKnown) {
			t.Errorf("Root node %q is marked direct", n.Key)
		}
	}
	rootEdge := map[string]bool{}
	for i, e := range g.Edges {
		if i > 0 && !(g.Edges[i-1].From < e.From || (g.Edges[i-1].From == e.From && g.Edges[i-1].To < e.To)) {
			t.Errorf("edges not sorted or not unique at %v", e)
		}
		if _, ok := nodes[e.To]; !ok {
			t.Errorf("edge %v to unknown node", e)
		}
		if _, ok := nodes[e.From]; !ok && e.From != "" {
			t.Errorf("edge %v from unknown node", e)
		}
		if e.From == e.To {
			t.Errorf("self edge %v", e)
		}
		if e.From == "" {
			rootEdge[e.To] = true
		}
	}
	for _, n := range g.Nodes {
		if n.Direct != rootEdge[n.Key] {
			t.Errorf("node %q: Direct = %v, root edge = %v", n.Key, n.Direct, rootEdge[n.Key])
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		parser string
		file   string // under testdata/
		want   *Graph
	}{
		{
			parser: "npm/package-lock",
			file:   "npm/v1.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/ansi-regex", Name: "ansi-regex", Version: "5.0.1"},
					{Key: "node_modules/debug", Name: "debug", Version: "2.6.9"},
					{Key: "node_modules/debug/node_modules/ms", Name: "ms", Version: "2.0.0"},
					{Key: "node_modules/emoji-regex", Name: "emoji-regex", Version: "8.0.0"},
					{Key: "node_modules/is-fullwidth-code-point", Name: "is-fullwidth-code-point", Version: "3.0.0"},
					{Key: "node_modules/is-number", Name: "is-number", Version: "7.0.0"},
					{Key: "node_modules/ms", Name: "ms", Version: "2.1.3"},
					{Key: "node_modules/once", Name: "once", Version: "1.4.0", Dev: true},
					{Key: "node_modules/string-width-cjs", Name: "string-width", Version: "4.2.3"},
					{Key: "node_modules/strip-ansi", Name: "strip-ansi", Version: "6.0.1"},
					{Key: "node_modules/wrappy", Name: "wrappy", Version: "1.0.2", Dev: true},
				},
				Edges: []Edge{
					{"node_modules/debug", "node_modules/debug/node_modules/ms"},
					{"node_modules/once", "node_modules/wrappy"},
					{"node_modules/string-width-cjs", "node_modules/emoji-regex"},
					{"node_modules/string-width-cjs", "node_modules/is-fullwidth-code-point"},
					{"node_modules/string-width-cjs", "node_modules/strip-ansi"},
					{"node_modules/strip-ansi", "node_modules/ansi-regex"},
				},
			},
		},
		{
			parser: "npm/package-lock",
			file:   "npm/v2.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/ansi-regex", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "node_modules/debug", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "node_modules/debug/node_modules/ms", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "node_modules/emoji-regex", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "node_modules/is-fullwidth-code-point", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "node_modules/is-number", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "node_modules/ms", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "node_modules/once", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true, Dev: true},
					{Key: "node_modules/string-width-cjs", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "node_modules/strip-ansi", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "node_modules/wrappy", Name: "wrappy", Version: "1.0.2", DirectKnown: true, Dev: true},
				},
				Edges: []Edge{
					{"", "node_modules/debug"},
					{"", "node_modules/is-number"},
					{"", "node_modules/ms"},
					{"", "node_modules/once"},
					{"", "node_modules/string-width-cjs"},
					{"node_modules/debug", "node_modules/debug/node_modules/ms"},
					{"node_modules/once", "node_modules/wrappy"},
					{"node_modules/string-width-cjs", "node_modules/emoji-regex"},
					{"node_modules/string-width-cjs", "node_modules/is-fullwidth-code-point"},
					{"node_modules/string-width-cjs", "node_modules/strip-ansi"},
					{"node_modules/strip-ansi", "node_modules/ansi-regex"},
				},
			},
		},
		{
			parser: "npm/package-lock",
			file:   "npm/v3.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/ansi-regex", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "node_modules/debug", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "node_modules/debug/node_modules/ms", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "node_modules/emoji-regex", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "node_modules/is-fullwidth-code-point", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "node_modules/is-number", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "node_modules/ms", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "node_modules/once", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true, Dev: true},
					{Key: "node_modules/string-width-cjs", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "node_modules/strip-ansi", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "node_modules/wrappy", Name: "wrappy", Version: "1.0.2", DirectKnown: true, Dev: true},
				},
				Edges: []Edge{
					{"", "node_modules/debug"},
					{"", "node_modules/is-number"},
					{"", "node_modules/ms"},
					{"", "node_modules/once"},
					{"", "node_modules/string-width-cjs"},
					{"node_modules/debug", "node_modules/debug/node_modules/ms"},
					{"node_modules/once", "node_modules/wrappy"},
					{"node_modules/string-width-cjs", "node_modules/emoji-regex"},
					{"node_modules/string-width-cjs", "node_modules/is-fullwidth-code-point"},
					{"node_modules/string-width-cjs", "node_modules/strip-ansi"},
					{"node_modules/strip-ansi", "node_modules/ansi-regex"},
				},
			},
		},
		{
			parser: "npm/package-lock",
			file:   "npm/v3-workspaces.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/debug", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "node_modules/debug/node_modules/ms", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "node_modules/ms", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "node_modules/wrappy", Name: "wrappy", Version: "1.0.2", Direct: true, DirectKnown: true},
					{Key: "packages/a", Name: "@demo/a", Version: "1.2.0", Root: true},
					{Key: "packages/b", Name: "@demo/b", Version: "0.3.0", Root: true},
					{Key: "packages/b/node_modules/ms", Name: "ms", Version: "2.0.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "node_modules/debug"},
					{"", "node_modules/ms"},
					{"", "node_modules/wrappy"},
					{"", "packages/b/node_modules/ms"},
					{"node_modules/debug", "node_modules/debug/node_modules/ms"},
					{"packages/a", "node_modules/debug"},
					{"packages/a", "packages/b"},
					{"packages/b", "node_modules/wrappy"},
					{"packages/b", "packages/b/node_modules/ms"},
				},
			},
		},
		{
			parser: "npm/package-lock",
			file:   "npm/shrinkwrap.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/once", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true},
					{Key: "node_modules/wrappy", Name: "wrappy", Version: "1.0.2", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "node_modules/once"},
					{"node_modules/once", "node_modules/wrappy"},
				},
			},
		},
		{
			parser: "npm/yarn-lock",
			file:   "yarn/v1.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex@5.0.1", Name: "ansi-regex", Version: "5.0.1"},
					{Key: "debug@2.6.9", Name: "debug", Version: "2.6.9"},
					{Key: "emoji-regex@8.0.0", Name: "emoji-regex", Version: "8.0.0"},
					{Key: "is-fullwidth-code-point@3.0.0", Name: "is-fullwidth-code-point", Version: "3.0.0"},
					{Key: "is-number@7.0.0", Name: "is-number", Version: "7.0.0"},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0"},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3"},
					{Key: "once@1.4.0", Name: "once", Version: "1.4.0"},
					{Key: "string-width@4.2.3", Name: "string-width", Version: "4.2.3"},
					{Key: "strip-ansi@6.0.1", Name: "strip-ansi", Version: "6.0.1"},
					{Key: "wrappy@1.0.2", Name: "wrappy", Version: "1.0.2"},
				},
				Edges: []Edge{
					{"debug@2.6.9", "ms@2.0.0"},
					{"once@1.4.0", "wrappy@1.0.2"},
					{"string-width@4.2.3", "emoji-regex@8.0.0"},
					{"string-width@4.2.3", "is-fullwidth-code-point@3.0.0"},
					{"string-width@4.2.3", "strip-ansi@6.0.1"},
					{"strip-ansi@6.0.1", "ansi-regex@5.0.1"},
				},
			},
		},
		{
			parser: "npm/yarn-lock",
			file:   "yarn/berry.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex@5.0.1", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "debug@2.6.9", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "emoji-regex@8.0.0", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "is-fullwidth-code-point@3.0.0", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "is-number@7.0.0", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "once@1.4.0", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true},
					{Key: "string-width@4.2.3", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "strip-ansi@6.0.1", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "wrappy@1.0.2", Name: "wrappy", Version: "1.0.2", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "debug@2.6.9"},
					{"", "is-number@7.0.0"},
					{"", "ms@2.1.3"},
					{"", "once@1.4.0"},
					{"", "string-width@4.2.3"},
					{"debug@2.6.9", "ms@2.0.0"},
					{"once@1.4.0", "wrappy@1.0.2"},
					{"string-width@4.2.3", "emoji-regex@8.0.0"},
					{"string-width@4.2.3", "is-fullwidth-code-point@3.0.0"},
					{"string-width@4.2.3", "strip-ansi@6.0.1"},
					{"strip-ansi@6.0.1", "ansi-regex@5.0.1"},
				},
			},
		},
		{
			parser: "npm/yarn-lock",
			file:   "yarn/berry-workspaces.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "@demo/a@workspace:packages/a", Name: "@demo/a", Version: "0.0.0-use.local", Root: true},
					{Key: "@demo/b@workspace:packages/b", Name: "@demo/b", Version: "0.0.0-use.local", Root: true},
					{Key: "js-tokens@4.0.0", Name: "js-tokens", Version: "4.0.0", DirectKnown: true},
					{Key: "loose-envify@1.4.0", Name: "loose-envify", Version: "1.4.0", DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "react@18.3.1", Name: "react", Version: "18.3.1", Direct: true, DirectKnown: true},
					{Key: "use-sync-external-store@1.2.0", Name: "use-sync-external-store", Version: "1.2.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "ms@2.0.0"},
					{"", "ms@2.1.3"},
					{"", "react@18.3.1"},
					{"", "use-sync-external-store@1.2.0"},
					{"@demo/a@workspace:packages/a", "@demo/b@workspace:packages/b"},
					{"@demo/a@workspace:packages/a", "react@18.3.1"},
					{"@demo/a@workspace:packages/a", "use-sync-external-store@1.2.0"},
					{"@demo/b@workspace:packages/b", "ms@2.0.0"},
					{"loose-envify@1.4.0", "js-tokens@4.0.0"},
					{"react@18.3.1", "loose-envify@1.4.0"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v5.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex/5.0.1", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "debug/2.6.9", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "emoji-regex/8.0.0", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "is-fullwidth-code-point/3.0.0", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "is-number/7.0.0", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "ms/2.0.0", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "ms/2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "once/1.4.0", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true, Dev: true},
					{Key: "string-width/4.2.3", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "strip-ansi/6.0.1", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "wrappy/1.0.2", Name: "wrappy", Version: "1.0.2", DirectKnown: true, Dev: true},
				},
				Edges: []Edge{
					{"", "debug/2.6.9"},
					{"", "is-number/7.0.0"},
					{"", "ms/2.1.3"},
					{"", "once/1.4.0"},
					{"", "string-width/4.2.3"},
					{"debug/2.6.9", "ms/2.0.0"},
					{"once/1.4.0", "wrappy/1.0.2"},
					{"string-width/4.2.3", "emoji-regex/8.0.0"},
					{"string-width/4.2.3", "is-fullwidth-code-point/3.0.0"},
					{"string-width/4.2.3", "strip-ansi/6.0.1"},
					{"strip-ansi/6.0.1", "ansi-regex/5.0.1"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v5-workspaces.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "js-tokens/4.0.0", Name: "js-tokens", Version: "4.0.0", DirectKnown: true},
					{Key: "loose-envify/1.4.0", Name: "loose-envify", Version: "1.4.0", DirectKnown: true},
					{Key: "ms/2.0.0", Name: "ms", Version: "2.0.0", Direct: true, DirectKnown: true},
					{Key: "ms/2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "react/18.3.1", Name: "react", Version: "18.3.1", Direct: true, DirectKnown: true},
					{Key: "use-sync-external-store/1.2.0_react@18.3.1", Name: "use-sync-external-store", Version: "1.2.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "ms/2.0.0"},
					{"", "ms/2.1.3"},
					{"", "react/18.3.1"},
					{"", "use-sync-external-store/1.2.0_react@18.3.1"},
					{"loose-envify/1.4.0", "js-tokens/4.0.0"},
					{"react/18.3.1", "loose-envify/1.4.0"},
					{"use-sync-external-store/1.2.0_react@18.3.1", "react/18.3.1"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v6.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex@5.0.1", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "debug@2.6.9", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "emoji-regex@8.0.0", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "is-fullwidth-code-point@3.0.0", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "is-number@7.0.0", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "once@1.4.0", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true, Dev: true},
					{Key: "string-width@4.2.3", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "strip-ansi@6.0.1", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "wrappy@1.0.2", Name: "wrappy", Version: "1.0.2", DirectKnown: true, Dev: true},
				},
				Edges: []Edge{
					{"", "debug@2.6.9"},
					{"", "is-number@7.0.0"},
					{"", "ms@2.1.3"},
					{"", "once@1.4.0"},
					{"", "string-width@4.2.3"},
					{"debug@2.6.9", "ms@2.0.0"},
					{"once@1.4.0", "wrappy@1.0.2"},
					{"string-width@4.2.3", "emoji-regex@8.0.0"},
					{"string-width@4.2.3", "is-fullwidth-code-point@3.0.0"},
					{"string-width@4.2.3", "strip-ansi@6.0.1"},
					{"strip-ansi@6.0.1", "ansi-regex@5.0.1"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v6-workspaces.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "js-tokens@4.0.0", Name: "js-tokens", Version: "4.0.0", DirectKnown: true},
					{Key: "loose-envify@1.4.0", Name: "loose-envify", Version: "1.4.0", DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "react@18.3.1", Name: "react", Version: "18.3.1", Direct: true, DirectKnown: true},
					{Key: "use-sync-external-store@1.2.0(react@18.3.1)", Name: "use-sync-external-store", Version: "1.2.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "ms@2.0.0"},
					{"", "ms@2.1.3"},
					{"", "react@18.3.1"},
					{"", "use-sync-external-store@1.2.0(react@18.3.1)"},
					{"loose-envify@1.4.0", "js-tokens@4.0.0"},
					{"react@18.3.1", "loose-envify@1.4.0"},
					{"use-sync-external-store@1.2.0(react@18.3.1)", "react@18.3.1"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v9.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex@5.0.1", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "debug@2.6.9", Name: "debug", Version: "2.6.9", Direct: true, DirectKnown: true},
					{Key: "emoji-regex@8.0.0", Name: "emoji-regex", Version: "8.0.0", DirectKnown: true},
					{Key: "is-fullwidth-code-point@3.0.0", Name: "is-fullwidth-code-point", Version: "3.0.0", DirectKnown: true},
					{Key: "is-number@7.0.0", Name: "is-number", Version: "7.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true},
					{Key: "once@1.4.0", Name: "once", Version: "1.4.0", Direct: true, DirectKnown: true, Dev: true},
					{Key: "string-width@4.2.3", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "strip-ansi@6.0.1", Name: "strip-ansi", Version: "6.0.1", DirectKnown: true},
					{Key: "wrappy@1.0.2", Name: "wrappy", Version: "1.0.2", DirectKnown: true, Dev: true},
				},
				Edges: []Edge{
					{"", "debug@2.6.9"},
					{"", "is-number@7.0.0"},
					{"", "ms@2.1.3"},
					{"", "once@1.4.0"},
					{"", "string-width@4.2.3"},
					{"debug@2.6.9", "ms@2.0.0"},
					{"once@1.4.0", "wrappy@1.0.2"},
					{"string-width@4.2.3", "emoji-regex@8.0.0"},
					{"string-width@4.2.3", "is-fullwidth-code-point@3.0.0"},
					{"string-width@4.2.3", "strip-ansi@6.0.1"},
					{"strip-ansi@6.0.1", "ansi-regex@5.0.1"},
				},
			},
		},
		{
			parser: "npm/pnpm-lock",
			file:   "pnpm/v9-workspaces.yaml",
			want: &Graph{
				Nodes: []Node{
					{Key: "js-tokens@4.0.0", Name: "js-tokens", Version: "4.0.0", DirectKnown: true},
					{Key: "loose-envify@1.4.0", Name: "loose-envify", Version: "1.4.0", DirectKnown: true},
					{Key: "ms@2.0.0", Name: "ms", Version: "2.0.0", Direct: true, DirectKnown: true},
					{Key: "ms@2.1.3", Name: "ms", Version: "2.1.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "react@18.3.1", Name: "react", Version: "18.3.1", Direct: true, DirectKnown: true},
					{Key: "use-sync-external-store@1.2.0(react@18.3.1)", Name: "use-sync-external-store", Version: "1.2.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "ms@2.0.0"},
					{"", "ms@2.1.3"},
					{"", "react@18.3.1"},
					{"", "use-sync-external-store@1.2.0(react@18.3.1)"},
					{"loose-envify@1.4.0", "js-tokens@4.0.0"},
					{"react@18.3.1", "loose-envify@1.4.0"},
					{"use-sync-external-store@1.2.0(react@18.3.1)", "react@18.3.1"},
				},
			},
		},
		{
			parser: "go/go-mod",
			file:   "gomod/tidy.mod",
			want: &Graph{
				Nodes: []Node{
					{Key: "github.com/google/go-cmp@0.6.0", Name: "github.com/google/go-cmp", Version: "0.6.0", Direct: true, DirectKnown: true},
					{Key: "golang.org/x/mod@0.42.0", Name: "golang.org/x/mod", Version: "0.42.0", DirectKnown: true},
					{Key: "golang.org/x/sync@0.24.0", Name: "golang.org/x/sync", Version: "0.24.0", DirectKnown: true},
					{Key: "golang.org/x/tools@0.52.0", Name: "golang.org/x/tools", Version: "0.52.0", Direct: true, DirectKnown: true},
					{Key: "stdlib@1.26.0", Name: "stdlib", Version: "1.26.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "github.com/google/go-cmp@0.6.0"},
					{"", "golang.org/x/tools@0.52.0"},
					{"", "stdlib@1.26.0"},
				},
			},
		},
		{
			parser: "rust/cargo-lock",
			file:   "cargo/v1.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "cfg-if@0.1.10", Name: "cfg-if", Version: "0.1.10", DirectKnown: true},
					{Key: "log@0.4.8", Name: "log", Version: "0.4.8", Direct: true, DirectKnown: true},
					{Key: "oldapp@0.2.0", Name: "oldapp", Version: "0.2.0", Root: true},
				},
				Edges: []Edge{
					{"", "log@0.4.8"},
					{"log@0.4.8", "cfg-if@0.1.10"},
					{"oldapp@0.2.0", "log@0.4.8"},
				},
			},
		},
		{
			parser: "rust/cargo-lock",
			file:   "cargo/v3.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "anyhow@1.0.81", Name: "anyhow", Version: "1.0.81", Direct: true, DirectKnown: true},
					{Key: "bitflags@1.3.2", Name: "bitflags", Version: "1.3.2", Direct: true, DirectKnown: true},
					{Key: "bitflags@2.5.0", Name: "bitflags", Version: "2.5.0", Direct: true, DirectKnown: true},
					{Key: "demo-core@0.1.0", Name: "demo-core", Version: "0.1.0", Root: true},
					{Key: "demo@0.1.0", Name: "demo", Version: "0.1.0", Root: true},
					{Key: "itoa@1.0.10", Name: "itoa", Version: "1.0.10", DirectKnown: true},
					{Key: "proc-macro2@1.0.79", Name: "proc-macro2", Version: "1.0.79", DirectKnown: true},
					{Key: "quote@1.0.35", Name: "quote", Version: "1.0.35", DirectKnown: true},
					{Key: "ryu@1.0.17", Name: "ryu", Version: "1.0.17", DirectKnown: true},
					{Key: "serde@1.0.197", Name: "serde", Version: "1.0.197", Direct: true, DirectKnown: true},
					{Key: "serde_derive@1.0.197", Name: "serde_derive", Version: "1.0.197", DirectKnown: true},
					{Key: "serde_json@1.0.114", Name: "serde_json", Version: "1.0.114", Direct: true, DirectKnown: true},
					{Key: "syn@2.0.53", Name: "syn", Version: "2.0.53", DirectKnown: true},
					{Key: "unicode-ident@1.0.12", Name: "unicode-ident", Version: "1.0.12", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "anyhow@1.0.81"},
					{"", "bitflags@1.3.2"},
					{"", "bitflags@2.5.0"},
					{"", "serde@1.0.197"},
					{"", "serde_json@1.0.114"},
					{"demo-core@0.1.0", "bitflags@1.3.2"},
					{"demo-core@0.1.0", "serde@1.0.197"},
					{"demo@0.1.0", "anyhow@1.0.81"},
					{"demo@0.1.0", "bitflags@2.5.0"},
					{"demo@0.1.0", "demo-core@0.1.0"},
					{"demo@0.1.0", "serde@1.0.197"},
					{"demo@0.1.0", "serde_json@1.0.114"},
					{"proc-macro2@1.0.79", "unicode-ident@1.0.12"},
					{"quote@1.0.35", "proc-macro2@1.0.79"},
					{"serde@1.0.197", "serde_derive@1.0.197"},
					{"serde_derive@1.0.197", "proc-macro2@1.0.79"},
					{"serde_derive@1.0.197", "quote@1.0.35"},
					{"serde_derive@1.0.197", "syn@2.0.53"},
					{"serde_json@1.0.114", "itoa@1.0.10"},
					{"serde_json@1.0.114", "ryu@1.0.17"},
					{"serde_json@1.0.114", "serde@1.0.197"},
					{"syn@2.0.53", "proc-macro2@1.0.79"},
					{"syn@2.0.53", "quote@1.0.35"},
					{"syn@2.0.53", "unicode-ident@1.0.12"},
				},
			},
		},
		{
			parser: "rust/cargo-lock",
			file:   "cargo/v4-git.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "gitdep@0.1.0", Name: "gitdep", Version: "0.1.0", Root: true},
					{Key: "regex-syntax@0.8.2 (git+https://github.com/rust-lang/regex?rev=a1f8c3e#a1f8c3e0a7dfb3e4b0b6b1c3e5d7f9a2b4c6d8e0)", Name: "regex-syntax", Version: "0.8.2", Direct: true, DirectKnown: true},
					{Key: "regex-syntax@0.8.2 (registry+https://github.com/rust-lang/crates.io-index)", Name: "regex-syntax", Version: "0.8.2", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "regex-syntax@0.8.2 (git+https://github.com/rust-lang/regex?rev=a1f8c3e#a1f8c3e0a7dfb3e4b0b6b1c3e5d7f9a2b4c6d8e0)"},
					{"", "regex-syntax@0.8.2 (registry+https://github.com/rust-lang/crates.io-index)"},
					{"gitdep@0.1.0", "regex-syntax@0.8.2 (git+https://github.com/rust-lang/regex?rev=a1f8c3e#a1f8c3e0a7dfb3e4b0b6b1c3e5d7f9a2b4c6d8e0)"},
					{"gitdep@0.1.0", "regex-syntax@0.8.2 (registry+https://github.com/rust-lang/crates.io-index)"},
				},
			},
		},
		{
			parser: "python/poetry-lock",
			file:   "poetry/v1.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "click@8.0.4", Name: "click", Version: "8.0.4"},
					{Key: "colorama@0.4.4", Name: "colorama", Version: "0.4.4"},
					{Key: "flask@2.0.3", Name: "flask", Version: "2.0.3"},
					{Key: "iniconfig@1.1.1", Name: "iniconfig", Version: "1.1.1", Dev: true},
					{Key: "itsdangerous@2.0.1", Name: "itsdangerous", Version: "2.0.1"},
					{Key: "jinja2@3.0.3", Name: "jinja2", Version: "3.0.3"},
					{Key: "markupsafe@2.0.1", Name: "markupsafe", Version: "2.0.1"},
					{Key: "werkzeug@2.0.3", Name: "werkzeug", Version: "2.0.3"},
				},
				Edges: []Edge{
					{"click@8.0.4", "colorama@0.4.4"},
					{"flask@2.0.3", "click@8.0.4"},
					{"flask@2.0.3", "itsdangerous@2.0.1"},
					{"flask@2.0.3", "jinja2@3.0.3"},
					{"flask@2.0.3", "werkzeug@2.0.3"},
					{"jinja2@3.0.3", "markupsafe@2.0.1"},
				},
			},
		},
		{
			parser: "python/poetry-lock",
			file:   "poetry/v2.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "certifi@2024.8.30", Name: "certifi", Version: "2024.8.30"},
					{Key: "charset-normalizer@3.4.0", Name: "charset-normalizer", Version: "3.4.0"},
					{Key: "colorama@0.4.6", Name: "colorama", Version: "0.4.6", Dev: true},
					{Key: "idna@3.10", Name: "idna", Version: "3.10"},
					{Key: "iniconfig@2.0.0", Name: "iniconfig", Version: "2.0.0", Dev: true},
					{Key: "packaging@24.1", Name: "packaging", Version: "24.1", Dev: true},
					{Key: "pluggy@1.5.0", Name: "pluggy", Version: "1.5.0", Dev: true},
					{Key: "pytest@8.3.3", Name: "pytest", Version: "8.3.3", Dev: true},
					{Key: "requests@2.32.3", Name: "requests", Version: "2.32.3"},
					{Key: "urllib3@2.2.3", Name: "urllib3", Version: "2.2.3"},
				},
				Edges: []Edge{
					{"pytest@8.3.3", "colorama@0.4.6"},
					{"pytest@8.3.3", "iniconfig@2.0.0"},
					{"pytest@8.3.3", "packaging@24.1"},
					{"pytest@8.3.3", "pluggy@1.5.0"},
					{"requests@2.32.3", "certifi@2024.8.30"},
					{"requests@2.32.3", "charset-normalizer@3.4.0"},
					{"requests@2.32.3", "idna@3.10"},
					{"requests@2.32.3", "urllib3@2.2.3"},
				},
			},
		},
		{
			parser: "python/uv-lock",
			file:   "uv/editable.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "anyio@4.6.2.post1", Name: "anyio", Version: "4.6.2.post1", DirectKnown: true},
					{Key: "certifi@2024.8.30", Name: "certifi", Version: "2024.8.30", DirectKnown: true},
					{Key: "click@8.1.7", Name: "click", Version: "8.1.7", Direct: true, DirectKnown: true},
					{Key: "colorama@0.4.6", Name: "colorama", Version: "0.4.6", DirectKnown: true},
					{Key: "demo@0.1.0", Name: "demo", Version: "0.1.0", Root: true},
					{Key: "h11@0.14.0", Name: "h11", Version: "0.14.0", DirectKnown: true},
					{Key: "httpcore@1.0.6", Name: "httpcore", Version: "1.0.6", DirectKnown: true},
					{Key: "httpx@0.27.2", Name: "httpx", Version: "0.27.2", Direct: true, DirectKnown: true},
					{Key: "idna@3.10", Name: "idna", Version: "3.10", DirectKnown: true},
					{Key: "iniconfig@2.0.0", Name: "iniconfig", Version: "2.0.0", DirectKnown: true, Dev: true},
					{Key: "packaging@24.1", Name: "packaging", Version: "24.1", DirectKnown: true, Dev: true},
					{Key: "pluggy@1.5.0", Name: "pluggy", Version: "1.5.0", DirectKnown: true, Dev: true},
					{Key: "pytest@8.3.3", Name: "pytest", Version: "8.3.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "sniffio@1.3.1", Name: "sniffio", Version: "1.3.1", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "click@8.1.7"},
					{"", "httpx@0.27.2"},
					{"", "pytest@8.3.3"},
					{"anyio@4.6.2.post1", "idna@3.10"},
					{"anyio@4.6.2.post1", "sniffio@1.3.1"},
					{"click@8.1.7", "colorama@0.4.6"},
					{"demo@0.1.0", "click@8.1.7"},
					{"demo@0.1.0", "httpx@0.27.2"},
					{"demo@0.1.0", "pytest@8.3.3"},
					{"httpcore@1.0.6", "certifi@2024.8.30"},
					{"httpcore@1.0.6", "h11@0.14.0"},
					{"httpx@0.27.2", "anyio@4.6.2.post1"},
					{"httpx@0.27.2", "certifi@2024.8.30"},
					{"httpx@0.27.2", "httpcore@1.0.6"},
					{"httpx@0.27.2", "idna@3.10"},
					{"httpx@0.27.2", "sniffio@1.3.1"},
					{"pytest@8.3.3", "colorama@0.4.6"},
					{"pytest@8.3.3", "iniconfig@2.0.0"},
					{"pytest@8.3.3", "packaging@24.1"},
					{"pytest@8.3.3", "pluggy@1.5.0"},
				},
			},
		},
		{
			parser: "python/uv-lock",
			file:   "uv/virtual-fork.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "numpy@2.0.2", Name: "numpy", Version: "2.0.2", Direct: true, DirectKnown: true},
					{Key: "numpy@2.2.1", Name: "numpy", Version: "2.2.1", Direct: true, DirectKnown: true},
					{Key: "tool@0.1.0", Name: "tool", Version: "0.1.0", Root: true},
					{Key: "typing-extensions@4.12.2", Name: "typing-extensions", Version: "4.12.2", Direct: true, DirectKnown: true},
					{Key: "workspace-root@0.1.0", Name: "workspace-root", Version: "0.1.0", Root: true},
				},
				Edges: []Edge{
					{"", "numpy@2.0.2"},
					{"", "numpy@2.2.1"},
					{"", "typing-extensions@4.12.2"},
					{"tool@0.1.0", "typing-extensions@4.12.2"},
					{"workspace-root@0.1.0", "numpy@2.0.2"},
					{"workspace-root@0.1.0", "numpy@2.2.1"},
					{"workspace-root@0.1.0", "tool@0.1.0"},
				},
			},
		},
		{
			parser: "python/pipfile-lock",
			file:   "pipfile/default-develop.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "certifi@2024.8.30", Name: "certifi", Version: "2024.8.30"},
					{Key: "idna@3.10", Name: "idna", Version: "3.10"},
					{Key: "iniconfig@2.0.0", Name: "iniconfig", Version: "2.0.0", Dev: true},
					{Key: "mylib@", Name: "mylib", Version: ""},
					{Key: "pytest@8.3.3", Name: "pytest", Version: "8.3.3", Dev: true},
					{Key: "requests@2.32.3", Name: "requests", Version: "2.32.3"},
					{Key: "urllib3@2.2.3", Name: "urllib3", Version: "2.2.3"},
				},
			},
		},
		{
			parser: "python/requirements",
			file:   "requirements/mixed.txt",
			want: &Graph{
				Nodes: []Node{
					{Key: "Django@4.2.0", Name: "Django", Version: "4.2.0", Direct: true, DirectKnown: true},
					{Key: "PyYAML@6.0.1", Name: "PyYAML", Version: "6.0.1", Direct: true, DirectKnown: true},
					{Key: "flask@", Name: "flask", Version: "", Direct: true, DirectKnown: true},
					{Key: "gunicorn@", Name: "gunicorn", Version: "", Direct: true, DirectKnown: true},
					{Key: "numpy@1.26.4", Name: "numpy", Version: "1.26.4", Direct: true, DirectKnown: true},
					{Key: "requests@2.32.3", Name: "requests", Version: "2.32.3", Direct: true, DirectKnown: true},
					{Key: "typing_extensions@4.0", Name: "typing_extensions", Version: "4.0", Direct: true, DirectKnown: true},
					{Key: "urllib3@1.21.1", Name: "urllib3", Version: "1.21.1", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "Django@4.2.0"},
					{"", "PyYAML@6.0.1"},
					{"", "flask@"},
					{"", "gunicorn@"},
					{"", "numpy@1.26.4"},
					{"", "requests@2.32.3"},
					{"", "typing_extensions@4.0"},
					{"", "urllib3@1.21.1"},
				},
			},
		},
		{
			parser: "php/composer-lock",
			file:   "composer/lock.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "guzzlehttp/guzzle@7.9.2", Name: "guzzlehttp/guzzle", Version: "7.9.2"},
					{Key: "guzzlehttp/promises@2.0.3", Name: "guzzlehttp/promises", Version: "2.0.3"},
					{Key: "guzzlehttp/psr7@2.7.0", Name: "guzzlehttp/psr7", Version: "2.7.0"},
					{Key: "hamcrest/hamcrest-php@v2.0.1", Name: "hamcrest/hamcrest-php", Version: "v2.0.1", Dev: true},
					{Key: "mockery/mockery@1.6.12", Name: "mockery/mockery", Version: "1.6.12", Dev: true},
					{Key: "monolog/monolog@3.7.0", Name: "monolog/monolog", Version: "3.7.0"},
					{Key: "psr/http-client@1.0.3", Name: "psr/http-client", Version: "1.0.3"},
					{Key: "psr/http-factory@1.1.0", Name: "psr/http-factory", Version: "1.1.0"},
					{Key: "psr/http-message@2.0", Name: "psr/http-message", Version: "2.0"},
					{Key: "psr/log@3.0.2", Name: "psr/log", Version: "3.0.2"},
					{Key: "ralouphie/getallheaders@3.0.3", Name: "ralouphie/getallheaders", Version: "3.0.3"},
					{Key: "symfony/deprecation-contracts@v3.5.0", Name: "symfony/deprecation-contracts", Version: "v3.5.0"},
				},
				Edges: []Edge{
					{"guzzlehttp/guzzle@7.9.2", "guzzlehttp/promises@2.0.3"},
					{"guzzlehttp/guzzle@7.9.2", "guzzlehttp/psr7@2.7.0"},
					{"guzzlehttp/guzzle@7.9.2", "psr/http-client@1.0.3"},
					{"guzzlehttp/guzzle@7.9.2", "symfony/deprecation-contracts@v3.5.0"},
					{"guzzlehttp/psr7@2.7.0", "psr/http-factory@1.1.0"},
					{"guzzlehttp/psr7@2.7.0", "psr/http-message@2.0"},
					{"guzzlehttp/psr7@2.7.0", "ralouphie/getallheaders@3.0.3"},
					{"mockery/mockery@1.6.12", "hamcrest/hamcrest-php@v2.0.1"},
					{"monolog/monolog@3.7.0", "psr/log@3.0.2"},
					{"psr/http-client@1.0.3", "psr/http-message@2.0"},
					{"psr/http-factory@1.1.0", "psr/http-message@2.0"},
				},
			},
		},
		{
			parser: "ruby/gemfile-lock",
			file:   "gemfile/sections.lock",
			want: &Graph{
				Nodes: []Node{
					{Key: "demo_app@0.1.0", Name: "demo_app", Version: "0.1.0", Root: true},
					{Key: "diff-lcs@1.5.1", Name: "diff-lcs", Version: "1.5.1", DirectKnown: true},
					{Key: "mini_portile2@2.8.7", Name: "mini_portile2", Version: "2.8.7", DirectKnown: true},
					{Key: "nokogiri@1.16.7", Name: "nokogiri", Version: "1.16.7", Direct: true, DirectKnown: true},
					{Key: "racc@1.8.1", Name: "racc", Version: "1.8.1", DirectKnown: true},
					{Key: "rack@3.1.8", Name: "rack", Version: "3.1.8", Direct: true, DirectKnown: true},
					{Key: "rake@13.2.1", Name: "rake", Version: "13.2.1", Direct: true, DirectKnown: true},
					{Key: "rspec-core@3.13.2", Name: "rspec-core", Version: "3.13.2", DirectKnown: true},
					{Key: "rspec-expectations@3.13.3", Name: "rspec-expectations", Version: "3.13.3", DirectKnown: true},
					{Key: "rspec-mocks@3.13.2", Name: "rspec-mocks", Version: "3.13.2", DirectKnown: true},
					{Key: "rspec-support@3.13.1", Name: "rspec-support", Version: "3.13.1", DirectKnown: true},
					{Key: "rspec@3.13.0", Name: "rspec", Version: "3.13.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "nokogiri@1.16.7"},
					{"", "rack@3.1.8"},
					{"", "rake@13.2.1"},
					{"", "rspec@3.13.0"},
					{"demo_app@0.1.0", "nokogiri@1.16.7"},
					{"demo_app@0.1.0", "rack@3.1.8"},
					{"nokogiri@1.16.7", "mini_portile2@2.8.7"},
					{"nokogiri@1.16.7", "racc@1.8.1"},
					{"rspec-core@3.13.2", "rspec-support@3.13.1"},
					{"rspec-expectations@3.13.3", "diff-lcs@1.5.1"},
					{"rspec-expectations@3.13.3", "rspec-support@3.13.1"},
					{"rspec-mocks@3.13.2", "diff-lcs@1.5.1"},
					{"rspec-mocks@3.13.2", "rspec-support@3.13.1"},
					{"rspec@3.13.0", "rspec-core@3.13.2"},
					{"rspec@3.13.0", "rspec-expectations@3.13.3"},
					{"rspec@3.13.0", "rspec-mocks@3.13.2"},
				},
			},
		},
		{
			parser: "dotnet/packages-lock",
			file:   "nuget/two-frameworks.json",
			want: &Graph{
				Nodes: []Node{
					{Key: "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0", Name: "Microsoft.Extensions.DependencyInjection.Abstractions", Version: "8.0.0", DirectKnown: true},
					{Key: "Microsoft.Extensions.DependencyInjection@8.0.0", Name: "Microsoft.Extensions.DependencyInjection", Version: "8.0.0", DirectKnown: true},
					{Key: "Microsoft.Extensions.Logging.Abstractions@8.0.0", Name: "Microsoft.Extensions.Logging.Abstractions", Version: "8.0.0", DirectKnown: true},
					{Key: "Microsoft.Extensions.Logging@8.0.0", Name: "Microsoft.Extensions.Logging", Version: "8.0.0", Direct: true, DirectKnown: true},
					{Key: "Microsoft.Extensions.Options@8.0.0", Name: "Microsoft.Extensions.Options", Version: "8.0.0", DirectKnown: true},
					{Key: "Microsoft.Extensions.Primitives@8.0.0", Name: "Microsoft.Extensions.Primitives", Version: "8.0.0", DirectKnown: true},
					{Key: "Newtonsoft.Json@13.0.3", Name: "Newtonsoft.Json", Version: "13.0.3", Direct: true, DirectKnown: true},
					{Key: "System.Text.Json@6.0.10", Name: "System.Text.Json", Version: "6.0.10", DirectKnown: true},
					{Key: "demo.core@", Name: "demo.core", Version: "", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "Microsoft.Extensions.Logging@8.0.0"},
					{"", "Newtonsoft.Json@13.0.3"},
					{"", "demo.core@"},
					{"Microsoft.Extensions.DependencyInjection@8.0.0", "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0"},
					{"Microsoft.Extensions.Logging.Abstractions@8.0.0", "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0"},
					{"Microsoft.Extensions.Logging@8.0.0", "Microsoft.Extensions.DependencyInjection@8.0.0"},
					{"Microsoft.Extensions.Logging@8.0.0", "Microsoft.Extensions.Logging.Abstractions@8.0.0"},
					{"Microsoft.Extensions.Logging@8.0.0", "Microsoft.Extensions.Options@8.0.0"},
					{"Microsoft.Extensions.Options@8.0.0", "Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0"},
					{"Microsoft.Extensions.Options@8.0.0", "Microsoft.Extensions.Primitives@8.0.0"},
					{"demo.core@", "Newtonsoft.Json@13.0.3"},
				},
			},
		},
		{
			parser: "java/pom-xml",
			file:   "maven/pom.xml",
			want: &Graph{
				Nodes: []Node{
					{Key: "com.example:demo-util@1.4.0", Name: "com.example:demo-util", Version: "1.4.0", Direct: true, DirectKnown: true},
					{Key: "com.fasterxml.jackson.core:jackson-databind@2.17.2", Name: "com.fasterxml.jackson.core:jackson-databind", Version: "2.17.2", Direct: true, DirectKnown: true},
					{Key: "com.google.guava:guava@33.2.1-jre", Name: "com.google.guava:guava", Version: "33.2.1-jre", Direct: true, DirectKnown: true},
					{Key: "org.apache.commons:commons-lang3@", Name: "org.apache.commons:commons-lang3", Version: "", Direct: true, DirectKnown: true},
					{Key: "org.junit.jupiter:junit-jupiter@5.10.3", Name: "org.junit.jupiter:junit-jupiter", Version: "5.10.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "org.slf4j:slf4j-api@2.0.13", Name: "org.slf4j:slf4j-api", Version: "2.0.13", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{
					{"", "com.example:demo-util@1.4.0"},
					{"", "com.fasterxml.jackson.core:jackson-databind@2.17.2"},
					{"", "com.google.guava:guava@33.2.1-jre"},
					{"", "org.apache.commons:commons-lang3@"},
					{"", "org.junit.jupiter:junit-jupiter@5.10.3"},
					{"", "org.slf4j:slf4j-api@2.0.13"},
				},
			},
		},
		{
			parser: "os/dpkg",
			file:   "dpkg/status",
			want: &Graph{
				Nodes: []Node{
					{Key: "base-files:amd64", Name: "base-files", Version: "12.4+deb12u11"},
					{Key: "bash:amd64", Name: "bash", Version: "5.2.15-2+b8"},
					{Key: "ca-certificates:all", Name: "ca-certificates", Version: "20230311+deb12u1"},
					{Key: "debconf:all", Name: "debconf", Version: "1.5.82"},
					{Key: "debianutils:amd64", Name: "debianutils", Version: "5.7-0.5~deb12u1"},
					{Key: "dpkg:amd64", Name: "dpkg", Version: "1.21.22"},
					{Key: "gawk:amd64", Name: "gawk", Version: "1:5.2.1-2"},
					{Key: "gcc-12-base:amd64", Name: "gcc-12-base", Version: "12.2.0-14+deb12u1"},
					{Key: "libacl1:amd64", Name: "libacl1", Version: "2.3.1-3"},
					{Key: "libbz2-1.0:amd64", Name: "libbz2-1.0", Version: "1.0.8-5+b1"},
					{Key: "libc6:amd64", Name: "libc6", Version: "2.36-9+deb12u14"},
					{Key: "libgcc-s1:amd64", Name: "libgcc-s1", Version: "12.2.0-14+deb12u1"},
					{Key: "libgmp10:amd64", Name: "libgmp10", Version: "2:6.2.1+dfsg1-1.1"},
					{Key: "liblzma5:amd64", Name: "liblzma5", Version: "5.4.1-1"},
					{Key: "libmd0:amd64", Name: "libmd0", Version: "1.0.4-2"},
					{Key: "libmpfr6:amd64", Name: "libmpfr6", Version: "4.2.0-1"},
					{Key: "libpcre2-8-0:amd64", Name: "libpcre2-8-0", Version: "10.42-1"},
					{Key: "libreadline8:amd64", Name: "libreadline8", Version: "8.2-1.3"},
					{Key: "libselinux1:amd64", Name: "libselinux1", Version: "3.4-1+b6"},
					{Key: "libsigsegv2:amd64", Name: "libsigsegv2", Version: "2.14-1"},
					{Key: "libssl3:amd64", Name: "libssl3", Version: "3.0.19-1~deb12u2"},
					{Key: "libtinfo6:amd64", Name: "libtinfo6", Version: "6.4-4"},
					{Key: "libzstd1:amd64", Name: "libzstd1", Version: "1.5.4+dfsg2-5"},
					{Key: "mawk:amd64", Name: "mawk", Version: "1.3.4.20200120-3.1"},
					{Key: "openssl:amd64", Name: "openssl", Version: "3.0.19-1~deb12u2"},
					{Key: "readline-common:all", Name: "readline-common", Version: "8.2-1.3"},
					{Key: "tar:amd64", Name: "tar", Version: "1.34+dfsg-1.2+deb12u1"},
					{Key: "zlib1g:amd64", Name: "zlib1g", Version: "1:1.2.13.dfsg-1"},
				},
				Edges: []Edge{
					{"base-files:amd64", "gawk:amd64"},
					{"base-files:amd64", "mawk:amd64"},
					{"bash:amd64", "base-files:amd64"},
					{"bash:amd64", "debianutils:amd64"},
					{"bash:amd64", "libc6:amd64"},
					{"bash:amd64", "libtinfo6:amd64"},
					{"ca-certificates:all", "debconf:all"},
					{"ca-certificates:all", "openssl:amd64"},
					{"debianutils:amd64", "libc6:amd64"},
					{"dpkg:amd64", "libbz2-1.0:amd64"},
					{"dpkg:amd64", "libc6:amd64"},
					{"dpkg:amd64", "liblzma5:amd64"},
					{"dpkg:amd64", "libmd0:amd64"},
					{"dpkg:amd64", "libselinux1:amd64"},
					{"dpkg:amd64", "libzstd1:amd64"},
					{"dpkg:amd64", "tar:amd64"},
					{"dpkg:amd64", "zlib1g:amd64"},
					{"gawk:amd64", "libc6:amd64"},
					{"gawk:amd64", "libgmp10:amd64"},
					{"gawk:amd64", "libmpfr6:amd64"},
					{"gawk:amd64", "libreadline8:amd64"},
					{"gawk:amd64", "libsigsegv2:amd64"},
					{"libacl1:amd64", "libc6:amd64"},
					{"libbz2-1.0:amd64", "libc6:amd64"},
					{"libc6:amd64", "libgcc-s1:amd64"},
					{"libgcc-s1:amd64", "gcc-12-base:amd64"},
					{"libgcc-s1:amd64", "libc6:amd64"},
					{"libgmp10:amd64", "libc6:amd64"},
					{"liblzma5:amd64", "libc6:amd64"},
					{"libmd0:amd64", "libc6:amd64"},
					{"libmpfr6:amd64", "libc6:amd64"},
					{"libmpfr6:amd64", "libgmp10:amd64"},
					{"libpcre2-8-0:amd64", "libc6:amd64"},
					{"libreadline8:amd64", "libc6:amd64"},
					{"libreadline8:amd64", "libtinfo6:amd64"},
					{"libreadline8:amd64", "readline-common:all"},
					{"libselinux1:amd64", "libc6:amd64"},
					{"libselinux1:amd64", "libpcre2-8-0:amd64"},
					{"libsigsegv2:amd64", "libc6:amd64"},
					{"libssl3:amd64", "libc6:amd64"},
					{"libtinfo6:amd64", "libc6:amd64"},
					{"libzstd1:amd64", "libc6:amd64"},
					{"mawk:amd64", "libc6:amd64"},
					{"openssl:amd64", "libc6:amd64"},
					{"openssl:amd64", "libssl3:amd64"},
					{"readline-common:all", "dpkg:amd64"},
					{"tar:amd64", "libacl1:amd64"},
					{"tar:amd64", "libc6:amd64"},
					{"tar:amd64", "libselinux1:amd64"},
					{"zlib1g:amd64", "libc6:amd64"},
				},
			},
		},
		{
			parser: "os/dpkg",
			file:   "dpkg/status-multiarch",
			want: &Graph{
				Nodes: []Node{
					{Key: "gcc-12-base:amd64", Name: "gcc-12-base", Version: "12.2.0-14+deb12u1"},
					{Key: "libc6:amd64", Name: "libc6", Version: "2.36-9+deb12u14"},
					{Key: "libc6:i386", Name: "libc6", Version: "2.36-9+deb12u14"},
					{Key: "libdpkg-perl:all", Name: "libdpkg-perl", Version: "1.21.22"},
					{Key: "libgcc-s1:amd64", Name: "libgcc-s1", Version: "12.2.0-14+deb12u1"},
					{Key: "libgcc-s1:i386", Name: "libgcc-s1", Version: "12.2.0-14+deb12u1"},
					{Key: "perl-base:amd64", Name: "perl-base", Version: "5.36.0-7+deb12u2"},
					{Key: "tzdata:all", Name: "tzdata", Version: "2024a-0+deb12u1"},
				},
				Edges: []Edge{
					{"libc6:amd64", "libgcc-s1:amd64"},
					{"libc6:i386", "libgcc-s1:i386"},
					{"libdpkg-perl:all", "perl-base:amd64"},
					{"libgcc-s1:amd64", "gcc-12-base:amd64"},
					{"libgcc-s1:amd64", "libc6:amd64"},
					{"libgcc-s1:i386", "gcc-12-base:amd64"},
					{"libgcc-s1:i386", "libc6:i386"},
					{"perl-base:amd64", "libc6:amd64"},
				},
			},
		},
		{
			parser: "os/apk",
			file:   "apk/installed",
			want: &Graph{
				Nodes: []Node{
					{Key: "alpine-baselayout-data@3.6.5-r0", Name: "alpine-baselayout-data", Version: "3.6.5-r0"},
					{Key: "alpine-baselayout@3.6.5-r0", Name: "alpine-baselayout", Version: "3.6.5-r0"},
					{Key: "alpine-keys@2.4-r1", Name: "alpine-keys", Version: "2.4-r1"},
					{Key: "apk-tools@2.14.4-r1", Name: "apk-tools", Version: "2.14.4-r1"},
					{Key: "busybox-binsh@1.36.1-r29", Name: "busybox-binsh", Version: "1.36.1-r29"},
					{Key: "busybox@1.36.1-r29", Name: "busybox", Version: "1.36.1-r29"},
					{Key: "ca-certificates-bundle@20240705-r0", Name: "ca-certificates-bundle", Version: "20240705-r0"},
					{Key: "libcrypto3@3.3.2-r0", Name: "libcrypto3", Version: "3.3.2-r0"},
					{Key: "libssl3@3.3.2-r0", Name: "libssl3", Version: "3.3.2-r0"},
					{Key: "musl-utils@1.2.5-r0", Name: "musl-utils", Version: "1.2.5-r0"},
					{Key: "musl@1.2.5-r0", Name: "musl", Version: "1.2.5-r0"},
					{Key: "scanelf@1.3.7-r2", Name: "scanelf", Version: "1.3.7-r2"},
					{Key: "ssl_client@1.36.1-r29", Name: "ssl_client", Version: "1.36.1-r29"},
					{Key: "zlib@1.3.1-r1", Name: "zlib", Version: "1.3.1-r1"},
				},
				Edges: []Edge{
					{"alpine-baselayout@3.6.5-r0", "alpine-baselayout-data@3.6.5-r0"},
					{"alpine-baselayout@3.6.5-r0", "busybox-binsh@1.36.1-r29"},
					{"apk-tools@2.14.4-r1", "ca-certificates-bundle@20240705-r0"},
					{"apk-tools@2.14.4-r1", "libcrypto3@3.3.2-r0"},
					{"apk-tools@2.14.4-r1", "libssl3@3.3.2-r0"},
					{"apk-tools@2.14.4-r1", "musl@1.2.5-r0"},
					{"apk-tools@2.14.4-r1", "zlib@1.3.1-r1"},
					{"busybox-binsh@1.36.1-r29", "busybox@1.36.1-r29"},
					{"busybox@1.36.1-r29", "musl@1.2.5-r0"},
					{"libcrypto3@3.3.2-r0", "musl@1.2.5-r0"},
					{"libssl3@3.3.2-r0", "libcrypto3@3.3.2-r0"},
					{"libssl3@3.3.2-r0", "musl@1.2.5-r0"},
					{"musl-utils@1.2.5-r0", "musl@1.2.5-r0"},
					{"musl-utils@1.2.5-r0", "scanelf@1.3.7-r2"},
					{"scanelf@1.3.7-r2", "musl@1.2.5-r0"},
					{"ssl_client@1.36.1-r29", "libcrypto3@3.3.2-r0"},
					{"ssl_client@1.36.1-r29", "libssl3@3.3.2-r0"},
					{"ssl_client@1.36.1-r29", "musl@1.2.5-r0"},
					{"zlib@1.3.1-r1", "musl@1.2.5-r0"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, filepath.Ext(tc.file)), func(t *testing.T) {
			p := parserNamed(t, tc.parser)
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := p.Parse(tc.file, f)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkGraph(t, got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

func TestForPath(t *testing.T) {
	tests := []struct {
		path string
		want string // parser name, "" for none
	}{
		{"package-lock.json", "npm/package-lock"},
		{"web/npm-shrinkwrap.json", "npm/package-lock"},
		{"node_modules/a/package-lock.json", ""},
		{`app\yarn.lock`, "npm/yarn-lock"},
		{"node_modules/x/yarn.lock", "npm/yarn-lock"},
		{"pnpm-lock.yaml", "npm/pnpm-lock"},
		{"go.mod", "go/go-mod"},
		{"crates/Cargo.lock", "rust/cargo-lock"},
		{"poetry.lock", "python/poetry-lock"},
		{"uv.lock", "python/uv-lock"},
		{"Pipfile.lock", "python/pipfile-lock"},
		{"requirements.txt", "python/requirements"},
		{"requirements/dev-requirements.txt", "python/requirements"},
		{"requirements.in", ""},
		{"composer.lock", "php/composer-lock"},
		{"Gemfile.lock", "ruby/gemfile-lock"},
		{"gems.locked", "ruby/gemfile-lock"},
		{"src/App/packages.lock.json", "dotnet/packages-lock"},
		{"pom.xml", "java/pom-xml"},
		{"var/lib/dpkg/status", "os/dpkg"},
		{"/var/lib/dpkg/status", "os/dpkg"},
		{"var/lib/dpkg/status.d/base-files", "os/dpkg"},
		{"var/lib/dpkg/status.d/base-files.md5sums", ""},
		{"usr/lib/opkg/status", "os/dpkg"},
		{"lib/apk/db/installed", "os/apk"},
		{"srv/lib/apk/db/installed", ""},
		{"README.md", ""},
	}
	for _, tc := range tests {
		t.Run(strings.NewReplacer("/", "_", `\`, "_").Replace(tc.path), func(t *testing.T) {
			p, ok := ForPath(tc.path)
			if got := map[bool]string{true: p.Name}[ok]; got != tc.want {
				t.Errorf("ForPath(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestParsersListed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Parsers() {
		if p.Name == "" || p.Version == 0 || p.Match == nil || p.Parse == nil {
			t.Errorf("parser %+v is incomplete", p)
		}
		if seen[p.Name] {
			t.Errorf("parser %q listed twice", p.Name)
		}
		seen[p.Name] = true
	}
}

// TestParseInline covers behaviour the real files above do not show, with inputs small
// enough to read in place.
func TestParseInline(t *testing.T) {
	tests := []struct {
		name   string
		parser string
		input  string
		want   *Graph
	}{
		{
			name:   "npm-missing-dependency-is-skipped",
			parser: "npm/package-lock",
			input: `{"lockfileVersion": 3, "packages": {
				"": {"dependencies": {"a": "1", "gone": "1"}},
				"node_modules/a": {"version": "1.0.0", "dependencies": {"b": "1", "fsevents": "2"}},
				"node_modules/a/node_modules/b": {"version": "1.0.0", "peerDependencies": {"a": "1"}}}}`,
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/a", Name: "a", Version: "1.0.0", Direct: true, DirectKnown: true},
					{Key: "node_modules/a/node_modules/b", Name: "b", Version: "1.0.0", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "node_modules/a"},
					{"node_modules/a", "node_modules/a/node_modules/b"},
					{"node_modules/a/node_modules/b", "node_modules/a"},
				},
			},
		},
		{
			name:   "npm-v1-resolves-upward",
			parser: "npm/package-lock",
			input: `{"lockfileVersion": 1, "dependencies": {
				"a": {"version": "1.0.0", "requires": {"c": "^1"}, "dependencies": {
					"b": {"version": "2.0.0", "requires": {"c": "^1", "d": "1"}}}},
				"c": {"version": "1.1.0", "dev": true},
				"local": {"version": "file:../local"}}}`,
			want: &Graph{
				Nodes: []Node{
					{Key: "node_modules/a", Name: "a", Version: "1.0.0"},
					{Key: "node_modules/a/node_modules/b", Name: "b", Version: "2.0.0"},
					{Key: "node_modules/c", Name: "c", Version: "1.1.0", Dev: true},
					{Key: "node_modules/local", Name: "local"},
				},
				Edges: []Edge{
					{"node_modules/a", "node_modules/c"},
					{"node_modules/a/node_modules/b", "node_modules/c"},
				},
			},
		},
		{
			name:   "yarn-berry-ranges-without-protocol",
			parser: "npm/yarn-lock",
			input: "__metadata:\n  version: 4\n\n" +
				"\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    left-pad: ^1.3.0\n    missing: ^1.0.0\n\n" +
				"\"left-pad@npm:^1.3.0\":\n  version: 1.3.0\n  resolution: \"left-pad@npm:1.3.0\"\n",
			want: &Graph{
				Nodes: []Node{{Key: "left-pad@1.3.0", Name: "left-pad", Version: "1.3.0", Direct: true, DirectKnown: true}},
				Edges: []Edge{{"", "left-pad@1.3.0"}},
			},
		},
		{
			name:   "pnpm-v9-alias-and-dev-propagation",
			parser: "npm/pnpm-lock",
			input: `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      sw:
        specifier: npm:string-width@^4
        version: string-width@4.2.3
    devDependencies:
      ts:
        specifier: ^5
        version: 5.6.3
      local:
        specifier: link:../local
        version: link:../local
snapshots:
  string-width@4.2.3:
    dependencies:
      ansi: ansi-regex@5.0.1
  typescript@5.6.3: {}
  ts@5.6.3:
    dependencies:
      ansi: ansi-regex@5.0.1
      helper: 1.0.0
  helper@1.0.0: {}
  ansi-regex@5.0.1: {}
`,
			want: &Graph{
				Nodes: []Node{
					{Key: "ansi-regex@5.0.1", Name: "ansi-regex", Version: "5.0.1", DirectKnown: true},
					{Key: "helper@1.0.0", Name: "helper", Version: "1.0.0", DirectKnown: true, Dev: true},
					{Key: "string-width@4.2.3", Name: "string-width", Version: "4.2.3", Direct: true, DirectKnown: true},
					{Key: "ts@5.6.3", Name: "ts", Version: "5.6.3", Direct: true, DirectKnown: true, Dev: true},
					{Key: "typescript@5.6.3", Name: "typescript", Version: "5.6.3", DirectKnown: true},
				},
				Edges: []Edge{
					{"", "string-width@4.2.3"},
					{"", "ts@5.6.3"},
					{"string-width@4.2.3", "ansi-regex@5.0.1"},
					{"ts@5.6.3", "ansi-regex@5.0.1"},
					{"ts@5.6.3", "helper@1.0.0"},
				},
			},
		},
		{
			name:   "go-mod-replace-exact-wins",
			parser: "go/go-mod",
			input: `module example.com/m

go 1.22
toolchain go1.23.4

require (
	example.com/a v1.0.0
	example.com/b v1.2.0 // indirect
)

replace example.com/a => example.com/fork v0.1.0
replace example.com/a v1.0.0 => ../a
`,
			want: &Graph{
				Nodes: []Node{
					{Key: "../a@", Name: "../a", DirectKnown: true, Direct: true},
					{Key: "example.com/b@1.2.0", Name: "example.com/b", Version: "1.2.0", DirectKnown: true},
					{Key: "stdlib@1.23.4", Name: "stdlib", Version: "1.23.4", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{{"", "../a@"}, {"", "stdlib@1.23.4"}},
			},
		},
		{
			name:   "dpkg-status-d-without-status",
			parser: "os/dpkg",
			input:  "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
			want:   &Graph{Nodes: []Node{{Key: "base-files:amd64", Name: "base-files", Version: "12.4+deb12u5"}}},
		},
		{
			name:   "apk-conflicts-are-not-dependencies",
			parser: "os/apk",
			input:  "P:a\nV:1-r0\nD:!b c>=2 so:libx.so.1\n\nP:b\nV:1-r0\n\nP:c\nV:2-r0\np:so:libx.so.1=1\n",
			want: &Graph{
				Nodes: []Node{
					{Key: "a@1-r0", Name: "a", Version: "1-r0"},
					{Key: "b@1-r0", Name: "b", Version: "1-r0"},
					{Key: "c@2-r0", Name: "c", Version: "2-r0"},
				},
				Edges: []Edge{{"a@1-r0", "c@2-r0"}},
			},
		},
		{
			name:   "requirements-continuation-and-comment",
			parser: "python/requirements",
			input:  "# only comments\n\nattrs==23.2.0 \\\n  ; python_version >= '3.8' # trailing\nzope.interface >= 6.0\n-r other.txt\n",
			want: &Graph{
				Nodes: []Node{
					{Key: "attrs@23.2.0", Name: "attrs", Version: "23.2.0", Direct: true, DirectKnown: true},
					{Key: "zope.interface@6.0", Name: "zope.interface", Version: "6.0", Direct: true, DirectKnown: true},
				},
				Edges: []Edge{{"", "attrs@23.2.0"}, {"", "zope.interface@6.0"}},
			},
		},
		{
			name:   "toml-brackets-in-strings-are-not-nesting",
			parser: "rust/cargo-lock",
			input: "# [[[[ a comment\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nnote = \"" + strings.Repeat("[", 100) + "\"\n" +
				"long = \"\"\"\n" + strings.Repeat("{", 100) + "\n\"\"\"\nlit = '''" + strings.Repeat("[", 100) + "'''\n",
			want: &Graph{Nodes: []Node{{Key: "a@1.0.0", Name: "a", Version: "1.0.0", Root: true}}},
		},
		{
			name:   "empty-file",
			parser: "python/requirements",
			input:  "",
			want:   &Graph{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parserNamed(t, tc.parser).Parse(tc.name, strings.NewReader(tc.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkGraph(t, got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		parser  string
		input   string
		wantMsg string // the error must contain this
	}{
		{"npm-not-json", "npm/package-lock", "{\n  \"packages\": [\n", "package-lock.json:"},
		{"npm-packages-not-object", "npm/package-lock", `{"packages": []}`, `package-lock.json: "packages" is not an object`},
		{"npm-entry-wrong-type", "npm/package-lock", `{"packages": {"node_modules/a": {"version": 1}}}`, `"packages": "version": got JSON number, want a string`},
		{"npm-v1-too-deep", "npm/package-lock", `{"dependencies":` + strings.Repeat(`{"a":{"dependencies":`, 200) + "{}" + strings.Repeat("}}", 200) + "}", "nested deeper than 128 levels"},
		{"yarn-classic-bad-header", "npm/yarn-lock", "# yarn lockfile v1\n\nleft-pad@^1.3.0\n  version \"1.3.0\"\n", "package-lock.json:3: entry header"},
		{"yarn-classic-unterminated-quote", "npm/yarn-lock", "\"left-pad@^1.3.0:\n", "package-lock.json:1: bad entry header"},
		{"yarn-berry-bad-entry", "npm/yarn-lock", "__metadata:\n  version: 8\n\"a@npm:1\":\n  dependencies: [1]\n", "package-lock.json:4: entry"},
		{"pnpm-no-version", "npm/pnpm-lock", "packages: {}\n", "no lockfileVersion"},
		{"pnpm-bad-yaml", "npm/pnpm-lock", "lockfileVersion: '9.0'\nimporters: [\n", "not valid YAML"},
		{"gomod-bad", "go/go-mod", "module m\nrequire (\n\tfoo\n)\n", "package-lock.json:3:"},
		{"cargo-bad-toml", "rust/cargo-lock", "[[package]]\nname = \n", "package-lock.json:2: not valid TOML"},
		{"cargo-too-deep", "rust/cargo-lock", "x = " + strings.Repeat("[", 100000), "nested deeper than 64 levels"},
		{"cargo-too-deep-after-multiline-string", "rust/cargo-lock", `x = ["""a"""", ` + strings.Repeat("[", 100), "nested deeper than 64 levels"},
		{"poetry-wrong-type", "python/poetry-lock", "[[package]]\nname = 3\n", "not valid TOML"},
		{"pipfile-default-not-object", "python/pipfile-lock", `{"default": []}`, `"default" is not an object`},
		{"composer-packages-not-array", "php/composer-lock", `{"packages": {}}`, `"packages": got JSON object, want an array`},
		{"gemfile-bad-spec", "ruby/gemfile-lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 3.0\n", "package-lock.json:4: bad spec"},
		{"gemfile-lone-parenthesis", "ruby/gemfile-lock", "GEM\n  specs:\n    rack (\n", "package-lock.json:3: bad spec"},
		{"nuget-not-object", "dotnet/packages-lock", `{"dependencies": "x"}`, `"dependencies" is not an object`},
		{"pom-not-xml", "java/pom-xml", "<project><dependencies>\n<dependency></project>", "package-lock.json:2: not valid XML"},
		{"dpkg-stray-line", "os/dpkg", "Package: a\nVersion: 1\nnot a field\n", "package-lock.json:3: not a field"},
		{"dpkg-continuation-first", "os/dpkg", " orphan continuation\n", "package-lock.json:1: continuation"},
		{"apk-bad-line", "os/apk", "P:a\nversion 1\n", "package-lock.json:2: not a field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := parserNamed(t, tc.parser).Parse("package-lock.json", strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Parse = %+v, want error", g)
			}
			if g != nil {
				t.Errorf("Parse returned a graph with error %v", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestTooLarge(t *testing.T) {
	for _, p := range Parsers() {
		t.Run(strings.ReplaceAll(p.Name, "/", "_"), func(t *testing.T) {
			_, err := p.Parse("big", io.LimitReader(zeros{}, MaxFileSize+1))
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("Parse(MaxFileSize+1 bytes) error = %v, want ErrTooLarge", err)
			}
		})
	}
}

// TestNoPanicOnSeeds runs every parser on every testdata file: a parser given another
// format's file must fail cleanly or return a well-formed graph.
func TestNoPanicOnSeeds(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		for _, p := range Parsers() {
			g, err := p.Parse(f, bytes.NewReader(data))
			if err != nil {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), f) {
					t.Errorf("%s on %s: error %v does not name the file or is not ErrInvalid", p.Name, f, err)
				}
				continue
			}
			checkGraph(t, g)
		}
	}
}
