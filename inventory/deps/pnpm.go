package deps

import (
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x.
//
// Nodes are the "packages" entries (5.x, 6.x) or "snapshots" entries (9.x), keyed as the
// file keys them without the leading "/": "name/1.0.0_peer@2.0.0" (5.x),
// "name@1.0.0(peer@2.0.0)" (6.x, 9.x), so one version installed against two peer sets is
// two nodes. The root's dependencies are those of importers["."] or, in files without
// importers, the top-level dependencies, devDependencies and optionalDependencies; the
// other importers are workspace members, whose dependencies are direct too ("link:"
// dependencies between members are not packages and are left out). Dev is the package's
// "dev" field in 5.x and 6.x; 9.x dropped it, so there it is derived from the importers'
// devDependencies.

type pnpmLock struct {
	LockfileVersion any                     `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter `yaml:"importers"`
	pnpmImporter    `yaml:",inline"`
	Packages        map[string]pnpmPackage `yaml:"packages"`
	Snapshots       map[string]pnpmPackage `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]pnpmDepRef `yaml:"dependencies"`
	DevDependencies      map[string]pnpmDepRef `yaml:"devDependencies"`
	OptionalDependencies map[string]pnpmDepRef `yaml:"optionalDependencies"`
}

// pnpmDepRef is an importer's dependency: a bare version (5.x) or {specifier, version}.
type pnpmDepRef string

func (d *pnpmDepRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*d = pnpmDepRef(n.Value)
		return nil
	}
	var v struct {
		Version string `yaml:"version"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	*d = pnpmDepRef(v.Version)
	return nil
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Dev                  *bool             `yaml:"dev"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

func parsePNPM(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock pnpmLock
	if err := decodeYAML(path, data, &lock); err != nil {
		return nil, err
	}
	if lock.LockfileVersion == nil {
		return nil, invalid(path, 0, "no lockfileVersion")
	}
	major := pnpmMajor(lock.LockfileVersion)
	pkgs := lock.Packages
	if major >= 9 {
		pkgs = lock.Snapshots
	}
	b := newBuilder(path)
	b.directKnown = true
	b.devFromRoots = major >= 9
	for key, p := range pkgs {
		k := pnpmKey(key)
		name, version := pnpmNameVersion(k, major)
		if p.Name != "" {
			name = p.Name
		}
		if p.Version != "" && major < 9 {
			version = p.Version
		}
		b.add(Node{Key: k, Name: name, Version: version, Dev: p.Dev != nil && *p.Dev})
	}
	for key, p := range pkgs {
		from := pnpmKey(key)
		for _, list := range []map[string]string{p.Dependencies, p.OptionalDependencies} {
			for name, ref := range list {
				if to, ok := pnpmRef(name, ref, major); ok {
					b.edge(from, to)
				}
			}
		}
	}
	importers := lock.Importers
	if importers == nil {
		importers = map[string]pnpmImporter{".": lock.pnpmImporter}
	}
	for _, imp := range importers {
		// Every importer is the project or one of its workspace members: all are the root.
		for i, list := range []map[string]pnpmDepRef{imp.Dependencies, imp.OptionalDependencies, imp.DevDependencies} {
			for name, ref := range list {
				if to, ok := pnpmRef(name, string(ref), major); ok {
					b.direct("", to, i == 2)
				}
			}
		}
	}
	return b.build()
}

// pnpmMajor reads lockfileVersion, a number (5.4) or a string ('6.0', '9.0').
func pnpmMajor(v any) int {
	s := strings.TrimSpace(strings.Trim(strings.TrimSpace(toString(v)), `'"`))
	s, _, _ = strings.Cut(s, ".")
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// pnpmKey drops the leading "/" of 5.x and 6.x package keys.
func pnpmKey(k string) string { return strings.TrimPrefix(k, "/") }

// pnpmNameVersion splits a package key: "@s/name/1.0.0_peer" (5.x) or
// "@s/name@1.0.0(peer@2)" (6.x, 9.x) → "@s/name", "1.0.0".
func pnpmNameVersion(k string, major int) (name, version string) {
	if major < 6 {
		i := strings.LastIndexByte(k, '/')
		if i < 0 {
			return k, ""
		}
		name, version = k[:i], k[i+1:]
		version, _, _ = strings.Cut(version, "_")
		return name, version
	}
	k, _, _ = strings.Cut(k, "(")
	if len(k) < 2 {
		return k, ""
	}
	i := strings.LastIndexByte(k[1:], '@')
	if i < 0 {
		return k, ""
	}
	return k[:i+1], k[i+2:]
}

// pnpmRef turns a dependency's reference into the key of the package it names: a bare
// version ("1.0.0", "1.0.0(peer@2)", "1.0.0_peer") is the dependency's own name at that
// version; an alias names the package itself ("/real/1.0.0", "/real@1.0.0", "real@1.0.0").
// "link:" references (workspace members, local folders) name no package.
func pnpmRef(name, ref string, major int) (string, bool) {
	switch {
	case ref == "" || strings.HasPrefix(ref, "link:"):
		return "", false
	case strings.HasPrefix(ref, "/"):
		return pnpmKey(ref), true
	}
	if major >= 9 {
		head, _, _ := strings.Cut(ref, "(")
		if len(head) > 1 && strings.Contains(head[1:], "@") {
			return ref, true // alias: "real@1.0.0"
		}
		return name + "@" + ref, true
	}
	if major >= 6 {
		return name + "@" + ref, true
	}
	return name + "/" + ref, true
}
