package deps

import (
	"encoding/json"
	"io"
	"strings"
)

// NuGet packages.lock.json.
//
// Packages are listed per target framework; the same name and resolved version in several
// frameworks is one node, keyed "name@version". "type": "Direct" marks a direct
// dependency, and so does "Project", a reference to another project of the solution (a
// node without version); "Transitive" and "CentralTransitive" ones are transitive. The
// file's own classification is kept: what a referenced project brings in stays transitive,
// as NuGet says. Each package's
// "dependencies" names (case-insensitive, as NuGet's are) resolve to the package of that
// name in the same framework. NuGet records no dev dependencies.

type nugetLock struct {
	Dependencies json.RawMessage `json:"dependencies"`
}

type nugetPackage struct {
	Type         string            `json:"type"`
	Resolved     string            `json:"resolved"`
	Dependencies map[string]string `json:"dependencies"`
}

func parseNuGet(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock nugetLock
	if err := decodeJSON(path, data, &lock); err != nil {
		return nil, err
	}
	if !isJSONObject(lock.Dependencies) {
		return nil, invalid(path, 0, `"dependencies" is not an object`)
	}
	var frameworks map[string]map[string]nugetPackage
	if len(lock.Dependencies) > 0 {
		if err := decodeJSON(path, lock.Dependencies, &frameworks); err != nil {
			return nil, prefixErr(err, `"dependencies": `)
		}
	}
	b := newBuilder(path)
	b.directKnown = len(frameworks) > 0
	for _, pkgs := range frameworks {
		key := func(name string, p nugetPackage) string { return name + "@" + p.Resolved }
		byName := map[string]string{}
		for name, p := range pkgs {
			k := key(name, p)
			b.add(Node{Key: k, Name: name, Version: p.Resolved})
			byName[strings.ToLower(name)] = k
			if strings.EqualFold(p.Type, "Direct") || strings.EqualFold(p.Type, "Project") {
				b.direct("", k, false)
			}
		}
		for name, p := range pkgs {
			for dep := range p.Dependencies {
				if to, ok := byName[strings.ToLower(dep)]; ok {
					b.edge(key(name, p), to)
				}
			}
		}
	}
	return b.build()
}
