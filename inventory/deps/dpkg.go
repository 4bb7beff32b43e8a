package deps

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
)

// dpkg status database: var/lib/dpkg/status, the distroless var/lib/dpkg/status.d/*
// files (one per package, without Status fields) and opkg's usr/lib/opkg/status.
//
// Installed packages are nodes keyed "name:arch" (dpkg's own name for an installed
// instance; "name" when there is no Architecture field). A stanza whose Status is not
// "… … installed" is left out. Depends and Pre-Depends are the edges: in each
// comma-separated item, the first of the "a | b" alternatives that is installed wins;
// an alternative names a package (preferring the dependent's architecture, then "all"),
// or else a virtual package, whose every installed provider (Provides) gets an edge.
// Version constraints are not checked (the database is consistent by construction) and
// ":any"/":native" qualifiers only narrow the architecture. A package database has no
// root, so nothing is direct and nothing is dev. A status.d file holds one package, so its
// dependencies resolve only when the caller joins the files into one reader.

func matchDpkg(p string) bool {
	p = cleanPath(p)
	return p == "var/lib/dpkg/status" || p == "usr/lib/opkg/status" ||
		(strings.HasPrefix(p, "var/lib/dpkg/status.d/") && !strings.HasSuffix(p, ".md5sums"))
}

// controlStanza is one paragraph of a deb822 control file: field name → value, with
// continuation lines joined by "\n".
type controlStanza struct {
	fields map[string]string
	line   int
}

// readControl splits a deb822 file into stanzas. A line that neither continues a field
// nor starts one ("Name: value") is an error.
func readControl(path string, data []byte) ([]controlStanza, error) {
	var out []controlStanza
	var cur *controlStanza
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			cur, last = nil, ""
			continue
		}
		if text[0] == '#' {
			continue
		}
		if text[0] == ' ' || text[0] == '\t' {
			if cur == nil || last == "" {
				return nil, invalid(path, line, "continuation line outside a field")
			}
			cur.fields[last] += "\n" + strings.TrimSpace(text)
			continue
		}
		name, value, ok := strings.Cut(text, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, invalid(path, line, "not a field: %.40q", text)
		}
		if cur == nil {
			out = append(out, controlStanza{fields: map[string]string{}, line: line})
			cur = &out[len(out)-1]
		}
		last = name
		cur.fields[name] = strings.TrimSpace(value)
	}
	if err := sc.Err(); err != nil {
		return nil, invalid(path, 0, "%v", err)
	}
	return out, nil
}

type dpkgInstance struct {
	key, arch string
}

func parseDpkg(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	stanzas, err := readControl(path, data)
	if err != nil {
		return nil, err
	}
	b := newBuilder(path)
	byName := map[string][]dpkgInstance{}
	provides := map[string][]dpkgInstance{}
	type pkg struct {
		inst dpkgInstance
		deps string
	}
	var pkgs []pkg
	for _, s := range stanzas {
		f := s.fields
		name := f["Package"]
		if name == "" {
			continue
		}
		if st, ok := f["Status"]; ok {
			words := strings.Fields(st)
			if len(words) != 3 || words[2] != "installed" {
				continue
			}
		}
		arch := f["Architecture"]
		key := name
		if arch != "" {
			key += ":" + arch
		}
		if _, dup := b.nodes[key]; dup {
			continue
		}
		b.add(Node{Key: key, Name: name, Version: f["Version"]})
		inst := dpkgInstance{key, arch}
		byName[name] = append(byName[name], inst)
		for _, p := range splitList(f["Provides"], ",") {
			pn, _ := dpkgRelation(p)
			provides[pn] = append(provides[pn], inst)
		}
		pkgs = append(pkgs, pkg{inst, strings.Join([]string{f["Pre-Depends"], f["Depends"]}, ",")})
	}
	for _, p := range pkgs {
		for _, item := range splitList(p.deps, ",") {
			for _, alt := range splitList(item, "|") {
				name, qual := dpkgRelation(alt)
				if inst, ok := dpkgPick(byName[name], qual, p.inst.arch); ok {
					b.edge(p.inst.key, inst.key)
					break
				}
				if provs := provides[name]; len(provs) > 0 {
					for _, inst := range provs {
						b.edge(p.inst.key, inst.key)
					}
					break
				}
			}
		}
	}
	return b.build()
}

// splitList splits s on sep, trimming and dropping empty items.
func splitList(s, sep string) []string {
	var out []string
	for _, x := range strings.Split(s, sep) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// dpkgRelation reads "name:qual (>= 1.0)" → "name", "qual".
func dpkgRelation(s string) (name, qual string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " (\t\n["); i >= 0 {
		s = s[:i]
	}
	name, qual, _ = strings.Cut(s, ":")
	return name, qual
}

// dpkgPick chooses among the installed instances of a package name: the one of the
// qualifier's architecture, else of the dependent's, else "all", else the first.
func dpkgPick(insts []dpkgInstance, qual, arch string) (dpkgInstance, bool) {
	if len(insts) == 0 {
		return dpkgInstance{}, false
	}
	if qual != "" && qual != "any" && qual != "native" {
		i := slices.IndexFunc(insts, func(d dpkgInstance) bool { return d.arch == qual })
		if i < 0 {
			return dpkgInstance{}, false
		}
		return insts[i], true
	}
	for _, want := range []string{arch, "all"} {
		if i := slices.IndexFunc(insts, func(d dpkgInstance) bool { return d.arch == want }); i >= 0 {
			return insts[i], true
		}
	}
	return insts[0], true
}
