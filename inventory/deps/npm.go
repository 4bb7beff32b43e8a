package deps

import (
	"encoding/json"
	"io"
	"path"
	"strings"
)

// npm package-lock.json and npm-shrinkwrap.json.
//
// Version 2 and 3 files have a "packages" map keyed by install path: "" is the root
// project, "node_modules/a/node_modules/b" an installed package, "packages/x" a workspace
// member, and {"link": true, "resolved": "packages/x"} entries the symlinks to members.
// Each dependency name is resolved as Node resolves require(): the nearest node_modules
// folder upward from the dependent's path. The root's dependencies, devDependencies,
// optionalDependencies and peerDependencies are direct, and so are those of workspace
// members (Root nodes). Dev is npm's own "dev": true.
//
// Version 1 files nest "dependencies" with "requires"; a nested entry's install path is
// its parent's plus "/node_modules/name", and the same resolution applies. An alias
// ("version": "npm:real@1.0.0") is reported under the real name, as osv-scalibr does.
// Version 1 files do not record the root's dependencies, so DirectKnown stays false.
//
// Install paths are refused beyond 4096 bytes or 256 segments, and a version 1 tree
// beyond 128 levels, so that resolution stays linear in the file's size.

// maxNPMDepth bounds the nesting of a version 1 "dependencies" tree. npm's own trees are
// rarely ten deep.
const maxNPMDepth = 128

func matchNPM(p string) bool {
	return matchBase("package-lock.json", "npm-shrinkwrap.json")(p) && !inNodeModules(p)
}

type npmLock struct {
	Packages     json.RawMessage `json:"packages"`
	Dependencies json.RawMessage `json:"dependencies"`
}

type npmPackage struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

type npmV1Dep struct {
	Version      string               `json:"version"`
	Dev          bool                 `json:"dev"`
	Requires     map[string]string    `json:"requires"`
	Dependencies map[string]*npmV1Dep `json:"dependencies"`
}

func parseNPM(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	// Fast path: one decoding pass straight into the typed maps. Only when that fails is the
	// file decoded again in two steps, for the precise error message of each part.
	var direct struct {
		Packages     map[string]*npmPackage `json:"packages"`
		Dependencies map[string]*npmV1Dep   `json:"dependencies"`
	}
	if json.Unmarshal(data, &direct) == nil {
		if direct.Packages != nil {
			return npmPackages(path, direct.Packages)
		}
		return npmV1(path, direct.Dependencies, len(data)+1<<20)
	}
	var lock npmLock
	if err := decodeJSON(path, data, &lock); err != nil {
		return nil, err
	}
	if !isJSONObject(lock.Packages) {
		return nil, invalid(path, 0, `"packages" is not an object`)
	}
	if !isJSONObject(lock.Dependencies) {
		return nil, invalid(path, 0, `"dependencies" is not an object`)
	}
	if len(lock.Packages) > 0 && string(lock.Packages) != "null" {
		var pkgs map[string]*npmPackage
		if err := decodeJSON(path, lock.Packages, &pkgs); err != nil {
			return nil, prefixErr(err, `"packages": `)
		}
		return npmPackages(path, pkgs)
	}
	var deps map[string]*npmV1Dep
	if len(lock.Dependencies) > 0 {
		if err := decodeJSON(path, lock.Dependencies, &deps); err != nil {
			return nil, prefixErr(err, `"dependencies": `)
		}
	}
	return npmV1(path, deps, len(data)+1<<20)
}

// prefixErr puts a location prefix in front of a formatError's message; the line numbers
// of a sub-document are not the file's, so they are dropped.
func prefixErr(err error, prefix string) error {
	if fe, ok := err.(*formatError); ok {
		return &formatError{path: fe.path, msg: prefix + fe.msg}
	}
	return err
}

// npmNameFromPath returns the package name an install path ends in:
// "node_modules/a/node_modules/@s/b" → "@s/b".
func npmNameFromPath(p string) string {
	if _, name, ok := npmSplit(p); ok {
		return name
	}
	return path.Base(p)
}

// npmSplit splits an install path into the folder whose node_modules holds it and the
// name it is installed under: "x/node_modules/@s/b" → "x", "@s/b". ok is false for a path
// outside node_modules (a workspace member).
func npmSplit(p string) (dir, name string, ok bool) {
	for end := len(p); end > 0; {
		i := strings.LastIndex(p[:end], "node_modules/")
		if i < 0 {
			return "", "", false
		}
		if i == 0 || p[i-1] == '/' {
			return strings.TrimSuffix(p[:i], "/"), p[i+len("node_modules/"):], true
		}
		end = i
	}
	return "", "", false
}

// Install paths longer than this are refused: no file system has them, and resolution
// costs grow with their length.
const (
	maxNPMPathLen      = 4096
	maxNPMPathSegments = 256
)

// npmTree resolves dependency names the way Node's require() does.
type npmTree struct {
	children map[string]map[string]string // folder → installed name → install path
}

func newNPMTree(paths func(yield func(string) bool)) *npmTree {
	t := &npmTree{children: map[string]map[string]string{}}
	for p := range paths {
		if dir, name, ok := npmSplit(p); ok {
			if t.children[dir] == nil {
				t.children[dir] = map[string]string{}
			}
			t.children[dir][name] = p
		}
	}
	return t
}

// scopes returns the node_modules folders a package at from can see, nearest first: its
// own, then each ancestor folder's (NODE_MODULES_PATHS in Node's module resolution).
func (t *npmTree) scopes(from string) []map[string]string {
	var out []map[string]string
	dir := from
	for {
		last := dir[strings.LastIndexByte(dir, '/')+1:]
		if m := t.children[dir]; m != nil && last != "node_modules" {
			out = append(out, m)
		}
		if dir == "" {
			return out
		}
		dir = dir[:max(strings.LastIndexByte(dir, '/'), 0)]
	}
}

func npmLookup(scopes []map[string]string, name string) (string, bool) {
	for _, m := range scopes {
		if p, ok := m[name]; ok {
			return p, true
		}
	}
	return "", false
}

func npmPackages(file string, pkgs map[string]*npmPackage) (*Graph, error) {
	b := newBuilder(file)
	b.directKnown = pkgs[""] != nil
	for p, pkg := range pkgs {
		if len(p) > maxNPMPathLen || strings.Count(p, "/") > maxNPMPathSegments {
			return nil, invalid(file, 0, "install path %.60q… is too long", p)
		}
		if p == "" || pkg == nil || pkg.Link {
			continue
		}
		name := pkg.Name
		if name == "" {
			name = npmNameFromPath(p)
		}
		b.add(Node{Key: p, Name: name, Version: pkg.Version, Dev: pkg.Dev, Root: !npmInstalled(p)})
	}
	// target follows links to workspace members and other local folders.
	target := func(p string) (string, bool) {
		pkg := pkgs[p]
		if pkg != nil && pkg.Link {
			t := path.Clean(pkg.Resolved)
			if pkgs[t] == nil || pkgs[t].Link {
				return "", false
			}
			return t, true
		}
		return p, pkg != nil
	}
	tree := newNPMTree(func(yield func(string) bool) {
		for p := range pkgs {
			if !yield(p) {
				return
			}
		}
	})
	for p, pkg := range pkgs {
		if pkg == nil || pkg.Link {
			continue
		}
		project := p == "" || !npmInstalled(p)
		lists := []map[string]string{pkg.Dependencies, pkg.OptionalDependencies, pkg.PeerDependencies}
		if project {
			lists = append(lists, pkg.DevDependencies)
		}
		scopes := tree.scopes(p)
		for i, list := range lists {
			for name := range list {
				to, ok := npmLookup(scopes, name)
				if !ok {
					continue
				}
				if to, ok = target(to); !ok {
					continue
				}
				if project {
					b.direct(p, to, i == 3)
				} else {
					b.edge(p, to)
				}
			}
		}
	}
	return b.build()
}

// npmInstalled reports whether an install path lies in a node_modules folder, as opposed
// to a workspace member or other local folder of the project.
func npmInstalled(p string) bool {
	return strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/")
}

func npmV1(file string, deps map[string]*npmV1Dep, budget int) (*Graph, error) {
	// Install paths repeat their parents' paths; budget bounds their total length so a
	// deep tree of long names cannot make them quadratic in the file's size.
	flat := map[string]*npmV1Dep{}
	var walk func(prefix string, deps map[string]*npmV1Dep, depth int) error
	walk = func(prefix string, deps map[string]*npmV1Dep, depth int) error {
		if depth > maxNPMDepth {
			return invalid(file, 0, `"dependencies" nested deeper than %d levels`, maxNPMDepth)
		}
		for name, d := range deps {
			if d == nil {
				continue
			}
			p := prefix + "node_modules/" + name
			if budget -= len(p); budget < 0 || len(p) > maxNPMPathLen {
				return invalid(file, 0, `"dependencies" nested paths are too long`)
			}
			flat[p] = d
			if err := walk(p+"/", d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", deps, 0); err != nil {
		return nil, err
	}
	b := newBuilder(file)
	for p, d := range flat {
		name, version := npmNameFromPath(p), d.Version
		// An alias records the real package: "npm:string-width@4.2.3".
		if rest, ok := strings.CutPrefix(version, "npm:"); ok {
			if i := strings.LastIndex(rest, "@"); i > 0 {
				name, version = rest[:i], rest[i+1:]
			}
		} else if strings.ContainsAny(version, ":/#") {
			version = "" // file:, git and tarball specs name no version (as osv-scalibr)
		}
		b.add(Node{Key: p, Name: name, Version: version, Dev: d.Dev})
	}
	tree := newNPMTree(func(yield func(string) bool) {
		for p := range flat {
			if !yield(p) {
				return
			}
		}
	})
	for p, d := range flat {
		scopes := tree.scopes(p)
		for name := range d.Requires {
			if to, ok := npmLookup(scopes, name); ok {
				b.edge(p, to)
			}
		}
	}
	return b.build()
}
