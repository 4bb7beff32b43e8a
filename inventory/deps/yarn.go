package deps

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yarn.lock, both formats.
//
// Classic (v1) files are yarn's own indented format. Each entry is headed by the
// descriptors ("name@range") that resolved to it and lists its dependencies as name and
// range; an edge goes to the entry whose header lists "name@range". Classic files do not
// record the root's dependencies: DirectKnown stays false, and Dev is unknown.
//
// Berry (v2+) files are YAML with a __metadata entry; dependency ranges carry a protocol
// ("npm:^1.0.0"), and a "workspace:" resolution is a workspace: "@workspace:." is the root,
// whose dependencies are direct, and the other workspaces are Root nodes. Berry merges
// devDependencies into dependencies, so Dev is unknown.
//
// Aliases ("alias@npm:real@^1") are reported under the real package's name, as osv-scalibr
// does. Nodes are keyed "name@version".

func parseYarn(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	if yarnIsBerry(data) {
		return parseYarnBerry(path, data)
	}
	return parseYarnClassic(path, data)
}

// yarnIsBerry reports whether a top-level __metadata key is present.
func yarnIsBerry(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("__metadata:")) || bytes.HasPrefix(line, []byte(`"__metadata":`)) {
			return true
		}
	}
	return false
}

// yarnSplitDescriptor splits "name@range" (name may be "@scope/name").
func yarnSplitDescriptor(d string) (name, rng string) {
	if len(d) < 2 {
		return d, ""
	}
	i := strings.IndexByte(d[1:], '@')
	if i < 0 {
		return d, ""
	}
	return d[:i+1], d[i+2:]
}

// yarnRealName returns the package a descriptor installs: the alias target for
// "alias@npm:real@range", else the descriptor's own name.
func yarnRealName(d string) string {
	name, rng := yarnSplitDescriptor(d)
	if rest, ok := strings.CutPrefix(rng, "npm:"); ok && strings.Contains(rest[min(1, len(rest)):], "@") {
		real, _ := yarnSplitDescriptor(rest)
		return real
	}
	return name
}

type yarnEntry struct {
	descriptors []string
	name        string
	version     string
	deps        []string // dependency descriptors, "name@range"
	workspace   string   // the "workspace:" path, berry only
}

// yarnGraph links entries by descriptor.
func yarnGraph(path string, entries []*yarnEntry, directKnown bool) (*Graph, error) {
	b := newBuilder(path)
	b.directKnown = directKnown
	byDesc := map[string]string{}
	keys := make([]string, len(entries))
	for i, e := range entries {
		switch {
		case e.workspace == ".":
			keys[i] = ""
		case e.workspace != "":
			keys[i] = e.name + "@workspace:" + e.workspace
			b.add(Node{Key: keys[i], Name: e.name, Version: e.version, Root: true})
		default:
			keys[i] = e.name + "@" + e.version
			b.add(Node{Key: keys[i], Name: e.name, Version: e.version})
		}
		for _, d := range e.descriptors {
			byDesc[d] = keys[i]
		}
	}
	for i, e := range entries {
		for _, d := range e.deps {
			to, ok := byDesc[d]
			if !ok {
				// Berry files before lockfile version 6 write ranges without "npm:".
				name, rng := yarnSplitDescriptor(d)
				to, ok = byDesc[name+"@npm:"+rng]
			}
			if !ok || to == "" {
				continue
			}
			if keys[i] == "" || e.workspace != "" {
				b.direct(keys[i], to, false)
			} else {
				b.edge(keys[i], to)
			}
		}
	}
	return b.build()
}

func parseYarnClassic(path string, data []byte) (*Graph, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(text, " ")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		indent := len(text) - len(trimmed)
		switch {
		case indent == 0:
			if !strings.HasSuffix(trimmed, ":") {
				return nil, invalid(path, line, "entry header does not end in \":\": %.40q", trimmed)
			}
			descs, err := yarnFields(strings.TrimSuffix(trimmed, ":"), true)
			if err != nil || len(descs) == 0 {
				return nil, invalid(path, line, "bad entry header: %.40q", trimmed)
			}
			cur = &yarnEntry{descriptors: descs, name: yarnRealName(descs[0])}
			entries = append(entries, cur)
			section = ""
		case cur == nil:
			return nil, invalid(path, line, "indented line outside an entry")
		case indent <= 2:
			f, err := yarnFields(trimmed, false)
			if err != nil || len(f) == 0 {
				return nil, invalid(path, line, "bad field: %.40q", trimmed)
			}
			section = ""
			if len(f) == 1 && strings.HasSuffix(f[0], ":") {
				section = strings.TrimSuffix(f[0], ":")
			} else if len(f) == 2 && f[0] == "version" {
				cur.version = f[1]
			}
		default:
			if section != "dependencies" && section != "optionalDependencies" {
				continue
			}
			f, err := yarnFields(trimmed, false)
			if err != nil || len(f) != 2 {
				return nil, invalid(path, line, "bad dependency: %.40q", trimmed)
			}
			cur.deps = append(cur.deps, f[0]+"@"+f[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, invalid(path, 0, "%v", err)
	}
	return yarnGraph(path, entries, false)
}

// yarnFields splits a classic line into its words: space-separated, or comma-separated in
// a header, each either bare or a double-quoted string with JSON escapes. A bare word may
// end in ":" (a section name).
func yarnFields(s string, header bool) ([]string, error) {
	var out []string
	for s != "" {
		var word string
		if s[0] == '"' {
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, strconv.ErrSyntax
			}
			w, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return nil, err
			}
			word, s = w, s[end+1:]
			if !header && strings.HasPrefix(s, ":") {
				word, s = word+":", s[1:]
			}
		} else {
			sep := " "
			if header {
				sep = ","
			}
			i := strings.Index(s, sep)
			if i < 0 {
				i = len(s)
			}
			word, s = s[:i], s[i:]
		}
		out = append(out, strings.TrimSpace(word))
		s = strings.TrimLeft(s, " ")
		if header {
			s = strings.TrimLeft(strings.TrimPrefix(s, ","), " ")
		}
	}
	return out, nil
}

type yarnBerryEntry struct {
	Version      string            `yaml:"version"`
	Resolution   string            `yaml:"resolution"`
	Dependencies map[string]string `yaml:"dependencies"`
}

func parseYarnBerry(path string, data []byte) (*Graph, error) {
	var doc map[string]yaml.Node
	if err := decodeYAML(path, data, &doc); err != nil {
		return nil, err
	}
	var entries []*yarnEntry
	rootFound := false
	for key, node := range doc {
		if key == "__metadata" {
			continue
		}
		var be yarnBerryEntry
		if err := node.Decode(&be); err != nil {
			return nil, invalid(path, node.Line, "entry %.60q: %s", key, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		e := &yarnEntry{version: be.Version}
		for _, d := range strings.Split(key, ",") {
			if d = strings.TrimSpace(d); d != "" {
				e.descriptors = append(e.descriptors, d)
			}
		}
		res := be.Resolution
		if res == "" && len(e.descriptors) > 0 {
			res = e.descriptors[0]
		}
		e.name = yarnRealName(res)
		if _, rng := yarnSplitDescriptor(res); strings.HasPrefix(rng, "workspace:") {
			e.workspace = strings.TrimPrefix(rng, "workspace:")
			if e.workspace == "" {
				e.workspace = "."
			}
			rootFound = rootFound || e.workspace == "."
		}
		for name, rng := range be.Dependencies {
			e.deps = append(e.deps, name+"@"+rng)
		}
		entries = append(entries, e)
	}
	return yarnGraph(path, entries, rootFound)
}
