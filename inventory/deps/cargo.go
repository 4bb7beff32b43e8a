package deps

import (
	"io"
	"strings"
)

// Cargo.lock, versions 1 to 4.
//
// Each [[package]] is a node keyed "name@version" (with " (source)" appended when two
// sources give the same name and version). A dependency is written "name" when the name is
// unique in the file, "name version" when it is not, and "name version (source)" in
// version 1; each resolves to the one package it names. Packages without a source are the
// workspace's own crates (and local path crates): they are Root nodes, and what they depend
// on is direct. Cargo.lock does not separate dev-dependencies, so Dev is unknown.

type cargoLock struct {
	Package []cargoPackage `toml:"package"`
}

type cargoPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Dependencies []string `toml:"dependencies"`
}

func parseCargo(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock cargoLock
	if err := decodeTOML(path, data, &lock); err != nil {
		return nil, err
	}
	b := newBuilder(path)
	seen := map[string]int{}
	for _, p := range lock.Package {
		seen[p.Name+"@"+p.Version]++
	}
	keys := make([]string, len(lock.Package))
	byName := map[string][]int{}
	hasRoot := false
	for i, p := range lock.Package {
		keys[i] = p.Name + "@" + p.Version
		if seen[keys[i]] > 1 {
			keys[i] += " (" + p.Source + ")"
		}
		byName[p.Name] = append(byName[p.Name], i)
		b.add(Node{Key: keys[i], Name: p.Name, Version: p.Version, Root: p.Source == ""})
		hasRoot = hasRoot || p.Source == ""
	}
	b.directKnown = hasRoot
	for i, p := range lock.Package {
		for _, d := range p.Dependencies {
			name, rest, _ := strings.Cut(strings.TrimSpace(d), " ")
			version, source, _ := strings.Cut(rest, " ")
			source = strings.TrimSuffix(strings.TrimPrefix(source, "("), ")")
			var match []int
			for _, j := range byName[name] {
				q := lock.Package[j]
				if (version == "" || q.Version == version) && (source == "" || q.Source == source) {
					match = append(match, j)
				}
			}
			if len(match) == 1 {
				b.edge(keys[i], keys[match[0]])
			}
		}
	}
	return b.build()
}
