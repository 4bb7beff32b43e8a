package deps

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// Gemfile.lock (and gems.locked).
//
// In the GEM, GIT and PATH sections, a spec line indented four spaces, "name (version)",
// is a package, and the lines indented six spaces below it, "name (constraint)", are its
// dependencies, resolved by name. The DEPENDENCIES section lists what the Gemfile asks for:
// those are direct. Gems of a PATH section whose remote is "." are the project's own
// gemspec (Root nodes). Versions drop the platform ("1.15.4-x86_64-linux" → "1.15.4"), as
// osv-scalibr's do, so a gem locked for several platforms is one node. The Gemfile's
// groups are not in the lock, so Dev is unknown.

func parseGemfile(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	b := newBuilder(path)
	byName := map[string]string{}
	type dep struct{ from, name string }
	var deps []dep
	var direct []string
	section, remote, cur := "", "", ""
	inSpecs := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(text, " ")
		if trimmed == "" {
			continue
		}
		indent := len(text) - len(trimmed)
		if indent == 0 {
			section, remote, cur, inSpecs = trimmed, "", "", false
			continue
		}
		switch section {
		case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
			switch {
			case indent == 2:
				inSpecs = trimmed == "specs:"
				if v, ok := strings.CutPrefix(trimmed, "remote: "); ok {
					remote = v
				}
			case !inSpecs:
			case indent == 4:
				name, version, ok := gemSpec(trimmed)
				if !ok {
					return nil, invalid(path, line, "bad spec %.60q, want \"name (version)\"", trimmed)
				}
				version, _, _ = strings.Cut(version, "-")
				cur = name + "@" + version
				b.add(Node{Key: cur, Name: name, Version: version, Root: section == "PATH" && remote == "."})
				byName[name] = cur
			case indent == 6 && cur != "":
				name, _, _ := gemSpec(trimmed)
				deps = append(deps, dep{cur, name})
			}
		case "DEPENDENCIES":
			b.directKnown = true
			name, _, _ := gemSpec(strings.TrimSuffix(trimmed, "!"))
			direct = append(direct, name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, invalid(path, 0, "%v", err)
	}
	for _, d := range deps {
		if to, ok := byName[d.name]; ok {
			b.edge(d.from, to)
		}
	}
	for _, name := range direct {
		if to, ok := byName[name]; ok {
			b.direct("", to, false)
		}
	}
	return b.build()
}

// gemSpec splits "name (version)" or "name (>= 1, < 2)"; the parenthesis is optional.
func gemSpec(s string) (name, version string, ok bool) {
	name, rest, found := strings.Cut(s, " ")
	if !found {
		return s, "", s != ""
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '(' || rest[len(rest)-1] != ')' {
		return name, "", false
	}
	return name, rest[1 : len(rest)-1], name != ""
}
