package deps

import (
	"cmp"
	"slices"
)

// builder collects nodes and edges while a parser reads, then settles the invariants of
// Graph in one place (see build).
type builder struct {
	path  string // for errors
	nodes map[string]*Node
	edges map[Edge]bool
	// directKnown: the file records the root's dependencies.
	directKnown bool
	// devFromRoots: the file records dev-ness only on the root's edges, so Dev is derived
	// by reachability (see build). The per-node Dev set by the parser is then ignored.
	devFromRoots bool
	// devEdge marks root (or Root node) edges that come from a dev dependency list.
	devEdge map[Edge]bool
	// full is set once maxEdges edges are recorded; build then fails.
	full bool
}

// maxEdges bounds the edges one file may record. Real lockfiles have tens of thousands; a
// hostile file in which every package depends on a name that every other package provides
// would otherwise take memory quadratic in its size.
const maxEdges = 1 << 20

func newBuilder(path string) *builder {
	return &builder{path: path, nodes: map[string]*Node{}, edges: map[Edge]bool{}, devEdge: map[Edge]bool{}}
}

// add inserts n unless a node with its key exists, and returns the node under that key.
func (b *builder) add(n Node) *Node {
	if old, ok := b.nodes[n.Key]; ok {
		return old
	}
	p := &n
	b.nodes[n.Key] = p
	return p
}

// edge records that from depends on to; from == "" is the root project.
func (b *builder) edge(from, to string) {
	e := Edge{From: from, To: to}
	if b.edges[e] {
		return
	}
	if len(b.edges) >= maxEdges {
		b.full = true
		return
	}
	b.edges[e] = true
}

// direct records that the root (from == "") or a Root node depends on to, from a dev
// dependency list when dev is set. A dependency listed as both is not dev.
func (b *builder) direct(from, to string, dev bool) {
	e := Edge{From: from, To: to}
	if !b.edges[e] {
		if len(b.edges) >= maxEdges {
			b.full = true
			return
		}
		b.edges[e] = true
		b.devEdge[e] = dev
		return
	}
	b.devEdge[e] = b.devEdge[e] && dev
}

// build settles the graph:
//   - edges to unknown nodes, from unknown nodes and to self are dropped;
//   - Root nodes are never Direct; what a Root node depends on is Direct, so the root gets
//     an edge to it, and the root's own edges to Root nodes are dropped;
//   - Direct is exactly "the root has an edge to it"; DirectKnown is set on every non-Root
//     node when the file records the root's dependencies;
//   - with devFromRoots, Dev is "reachable from a dev edge of the root and not from a
//     non-dev one";
//   - nodes are sorted by Key, edges by (From, To).
func (b *builder) build() (*Graph, error) {
	if b.full {
		return nil, invalid(b.path, 0, "more than %d dependency edges", maxEdges)
	}
	isRoot := func(k string) bool { n := b.nodes[k]; return n != nil && n.Root }
	edges := map[Edge]bool{}
	prodSeed, devSeed := map[string]bool{}, map[string]bool{}
	for e := range b.edges {
		if b.nodes[e.To] == nil || e.From == e.To || (e.From != "" && b.nodes[e.From] == nil) {
			continue
		}
		fromRoot := e.From == "" || isRoot(e.From)
		if fromRoot && isRoot(e.To) {
			if e.From != "" {
				edges[e] = true // one workspace member using another
			}
			continue
		}
		edges[e] = true
		if fromRoot {
			edges[Edge{To: e.To}] = true
			if b.devEdge[e] {
				devSeed[e.To] = true
			} else {
				prodSeed[e.To] = true
			}
		}
	}

	g := &Graph{}
	for _, n := range b.nodes {
		n.Direct = !n.Root && edges[Edge{To: n.Key}]
		n.DirectKnown = !n.Root && b.directKnown
	}
	if b.devFromRoots {
		out := map[string][]string{}
		for e := range edges {
			if e.From != "" && !isRoot(e.To) {
				out[e.From] = append(out[e.From], e.To)
			}
		}
		prod := reach(out, prodSeed)
		dev := reach(out, devSeed)
		for k, n := range b.nodes {
			n.Dev = dev[k] && !prod[k]
		}
	}
	for _, n := range b.nodes {
		g.Nodes = append(g.Nodes, *n)
	}
	for e := range edges {
		g.Edges = append(g.Edges, e)
	}
	slices.SortFunc(g.Nodes, func(a, b Node) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return g, nil
}

// reach returns every node reachable from seeds (seeds included).
func reach(out map[string][]string, seeds map[string]bool) map[string]bool {
	seen := map[string]bool{}
	var stack []string
	for k := range seeds {
		seen[k] = true
		stack = append(stack, k)
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range out[k] {
			if !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	return seen
}
