package deps

import (
	"io"
	"strings"
)

// Alpine apk installed database: lib/apk/db/installed (also under var/ and usr/).
//
// Each stanza's P: (name) and V: (version) make a node keyed "name@version". D: lists the
// dependencies, space-separated: a package name with an optional version constraint
// ("musl>=1.2"), or a name from some package's p: (provides) line: "so:libc.musl-x86_64.so.1",
// "cmd:sh", "/bin/sh". A name resolves to the package itself, else to every package that
// provides it; "!name" is a conflict, not a dependency. Like dpkg's, the database has no
// root: nothing is direct and nothing is dev.

func matchAPK(p string) bool {
	p = cleanPath(p)
	return p == "lib/apk/db/installed" || p == "var/lib/apk/db/installed" || p == "usr/lib/apk/db/installed"
}

func parseAPK(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	b := newBuilder(path)
	byName := map[string]string{}
	provides := map[string][]string{}
	type pkg struct {
		key  string
		deps []string
	}
	var pkgs []pkg
	var cur map[string]string
	flush := func() {
		if cur == nil || cur["P"] == "" {
			cur = nil
			return
		}
		key := cur["P"] + "@" + cur["V"]
		if _, dup := b.nodes[key]; !dup {
			b.add(Node{Key: key, Name: cur["P"], Version: cur["V"]})
			byName[cur["P"]] = key
			for _, p := range strings.Fields(cur["p"]) {
				name := apkName(p)
				provides[name] = append(provides[name], key)
			}
			pkgs = append(pkgs, pkg{key, strings.Fields(cur["D"])})
		}
		cur = nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, invalid(path, i+1, "not a field: %.40q, want \"X:value\"", line)
		}
		if cur == nil {
			cur = map[string]string{}
		}
		// Only the first of a repeated letter counts; the fields read here are not
		// repeated (files list repeat R: and Z:).
		if _, ok := cur[line[:1]]; !ok {
			cur[line[:1]] = line[2:]
		}
	}
	flush()
	for _, p := range pkgs {
		for _, d := range p.deps {
			if strings.HasPrefix(d, "!") {
				continue
			}
			name := apkName(d)
			if to, ok := byName[name]; ok {
				b.edge(p.key, to)
				continue
			}
			for _, to := range provides[name] {
				b.edge(p.key, to)
			}
		}
	}
	return b.build()
}

// apkName strips a version constraint or provided version: "so:libz.so.1=1.3.1-r0" →
// "so:libz.so.1", "musl>=1.2" → "musl".
func apkName(s string) string {
	if i := strings.IndexAny(s, "=<>~"); i >= 0 {
		return s[:i]
	}
	return s
}
