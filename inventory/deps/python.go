package deps

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// pep503 normalises a Python project name for comparison: lowercase, with runs of "-",
// "_" and "." replaced by one "-" (PEP 503, "Normalized Names").
func pep503(name string) string {
	var sb strings.Builder
	sep := false
	for _, c := range strings.ToLower(strings.TrimSpace(name)) {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && sb.Len() > 0 {
			sb.WriteByte('-')
		}
		sep = false
		sb.WriteRune(c)
	}
	return sb.String()
}

// poetry.lock.
//
// Each [[package]] is a node keyed "name@version"; the keys of [package.dependencies]
// resolve by normalised name. Poetry does not record the root project's dependencies, so
// DirectKnown stays false. Dev is "category = dev" (Poetry before 1.2) or a "groups" list
// without "main" (Poetry 2), matching osv-scalibr's dependency groups.

type poetryLock struct {
	Package []poetryPackage `toml:"package"`
}

type poetryPackage struct {
	Name         string         `toml:"name"`
	Version      string         `toml:"version"`
	Category     string         `toml:"category"`
	Groups       []string       `toml:"groups"`
	Optional     bool           `toml:"optional"`
	Dependencies map[string]any `toml:"dependencies"`
}

func parsePoetry(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock poetryLock
	if err := decodeTOML(path, data, &lock); err != nil {
		return nil, err
	}
	b := newBuilder(path)
	byName := map[string][]string{}
	for _, p := range lock.Package {
		key := p.Name + "@" + p.Version
		dev := p.Category == "dev" || (p.Groups != nil && !slices.Contains(p.Groups, "main"))
		b.add(Node{Key: key, Name: p.Name, Version: p.Version, Dev: dev && !p.Optional})
		byName[pep503(p.Name)] = append(byName[pep503(p.Name)], key)
	}
	for _, p := range lock.Package {
		for name := range p.Dependencies {
			for _, to := range byName[pep503(name)] {
				b.edge(p.Name+"@"+p.Version, to)
			}
		}
	}
	return b.build()
}

// uv.lock.
//
// Each [[package]] is a node keyed "name@version". A package whose source is editable or
// virtual is the project or a workspace member (a Root node); the rest of the file lists
// what they depend on in "dependencies", "optional-dependencies" (extras) and
// "dev-dependencies" (groups), so DirectKnown is set and Dev is derived: a package is dev
// when only a Root's dev-dependencies lead to it. A dependency names a package by
// normalised name, plus version and source when the lock holds several of that name.

type uvLock struct {
	Package []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name                 string                    `toml:"name"`
	Version              string                    `toml:"version"`
	Source               map[string]any            `toml:"source"`
	Dependencies         []uvDependency            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDependency `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDependency `toml:"dev-dependencies"`
}

type uvDependency struct {
	Name    string         `toml:"name"`
	Version string         `toml:"version"`
	Source  map[string]any `toml:"source"`
}

func parseUV(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock uvLock
	if err := decodeTOML(path, data, &lock); err != nil {
		return nil, err
	}
	b := newBuilder(path)
	b.devFromRoots = true
	byName := map[string][]int{}
	key := func(p uvPackage) string { return p.Name + "@" + p.Version }
	for i, p := range lock.Package {
		_, editable := p.Source["editable"]
		_, virtual := p.Source["virtual"]
		root := editable || virtual
		b.directKnown = b.directKnown || root
		b.add(Node{Key: key(p), Name: p.Name, Version: p.Version, Root: root})
		byName[pep503(p.Name)] = append(byName[pep503(p.Name)], i)
	}
	resolve := func(d uvDependency) []string {
		var out []string
		for _, j := range byName[pep503(d.Name)] {
			q := lock.Package[j]
			if (d.Version == "" || d.Version == q.Version) && (d.Source == nil || sameSource(d.Source, q.Source)) {
				out = append(out, key(q))
			}
		}
		return out
	}
	for _, p := range lock.Package {
		from := key(p)
		link := func(list []uvDependency, dev bool) {
			for _, d := range list {
				for _, to := range resolve(d) {
					b.direct(from, to, dev) // an ordinary edge unless from is a Root node
				}
			}
		}
		link(p.Dependencies, false)
		for _, list := range p.OptionalDependencies {
			link(list, false)
		}
		for _, list := range p.DevDependencies {
			link(list, true)
		}
	}
	return b.build()
}

// sameSource compares two uv source tables by their JSON form.
func sameSource(a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// Pipfile.lock.
//
// "default" packages are nodes, "develop" packages are dev nodes (a package in both is
// not dev). The file records neither edges nor which packages the Pipfile asked for.
// Versions drop the "==" pin.

type pipfileLock struct {
	Default json.RawMessage `json:"default"`
	Develop json.RawMessage `json:"develop"`
}

type pipfilePackage struct {
	Version string `json:"version"`
}

func parsePipfile(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock pipfileLock
	if err := decodeJSON(path, data, &lock); err != nil {
		return nil, err
	}
	b := newBuilder(path)
	for _, sec := range []struct {
		name string
		raw  json.RawMessage
		dev  bool
	}{{"default", lock.Default, false}, {"develop", lock.Develop, true}} {
		if !isJSONObject(sec.raw) {
			return nil, invalid(path, 0, "%q is not an object", sec.name)
		}
		var pkgs map[string]pipfilePackage
		if len(sec.raw) > 0 {
			if err := decodeJSON(path, sec.raw, &pkgs); err != nil {
				return nil, prefixErr(err, `"`+sec.name+`": `)
			}
		}
		for name, p := range pkgs {
			v := strings.TrimPrefix(strings.TrimPrefix(p.Version, "=="), "=")
			n := b.add(Node{Key: name + "@" + v, Name: name, Version: v, Dev: sec.dev})
			n.Dev = n.Dev && sec.dev
		}
	}
	return b.build()
}
