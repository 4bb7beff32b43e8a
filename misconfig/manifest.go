package misconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Object is one Kubernetes object read from a manifest, with the line of every field.
type Object struct {
	// File is the manifest the object came from; Line is where the object starts.
	File string
	Line int
	// Document is the index of the YAML document in File (0-based, counting empty ones).
	Document int
	// Source is the template a Helm-rendered document came from (its "# Source:" comment).
	Source string

	APIVersion, Kind, Name, Namespace string
	// Value is the object as JSON-like Go values: map[string]any, []any, string, bool, nil,
	// and json-compatible numbers (int64, float64).
	Value map[string]any
	// Lines maps a JSON Pointer (RFC 6901) into Value to the line the field is written on:
	// "" is the object itself, "/spec/containers/0/image" an image.
	Lines map[string]int
}

// ParseManifests reads the Kubernetes objects of one YAML or JSON file: every document of a
// multi-document stream, and the items of List kinds (kind: List, or any kind ending in List
// with an items array). Documents that are empty, or that are not Kubernetes objects (no
// apiVersion and no kind: a Helm values file, a CI configuration), are skipped. Anything that
// does not parse, or an object with only one of apiVersion and kind among objects, is an error
// naming name:line that wraps ErrMalformed — or ErrTemplate when the file holds template
// actions ({{ … }}), the likely reason it does not parse.
func ParseManifests(name string, data []byte) ([]Object, error) {
	objs, err := parseManifests(name, data)
	if err != nil && bytes.Contains(data, []byte("{{")) && bytes.Contains(data, []byte("}}")) {
		// Template actions are fine inside valid YAML (alerting rules and notification
		// templates in ConfigMaps hold them); only when the file does not parse are they the
		// likely reason.
		fe := fileError(name, err)
		loc := name
		if fe.Line > 0 {
			loc = fmt.Sprintf("%s:%d", name, fe.Line)
		}
		return nil, fmt.Errorf("%s: %w: it does not parse and contains Go template actions ({{ … }}): render it first, e.g. helm template (%s)",
			loc, ErrTemplate, strings.TrimPrefix(fe.Message, ErrMalformed.Error()+": "))
	}
	return objs, err
}

func parseManifests(name string, data []byte) ([]Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Object
	c := &converter{file: name}
	for doc := 0; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %s", name, ErrMalformed, yamlError(err))
		}
		objs, err := c.document(&n, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	// A mapping with only one of apiVersion and kind is a broken object in a file of objects,
	// but in a file of none it is something else (a Helm Chart.yaml has an apiVersion).
	if c.half != nil && len(out) > 0 {
		return nil, c.half
	}
	return out, nil
}

// yamlError drops yaml.v3's "yaml: " prefix; its messages carry "line N:", except on the
// first line: yaml.v3 counts lines from 0 internally and leaves the line out when it is 0.
func yamlError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if !strings.HasPrefix(msg, "line ") {
		msg = "line 1: " + msg
	}
	return msg
}

// errHalf marks an object with only one of apiVersion and kind; it adds nothing to the message.
var errHalf = errorString("")

type errorString string

func (e errorString) Error() string { return string(e) }

// maxAliasNodes bounds the nodes one file reaches through aliases, counting every use, so
// that a "billion laughs" document cannot exhaust memory or time (the file size bounds the
// rest). Real manifests use aliases rarely, and for small fragments.
const maxAliasNodes = 100_000

// maxDepth bounds nesting (and alias recursion).
const maxDepth = 200

type converter struct {
	file       string
	aliasNodes int
	// aliasDepth > 0 while converting the target of an alias.
	aliasDepth int
	// half is the first top-level document with only one of apiVersion and kind.
	half error
}

func (c *converter) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %w: %s", c.file, line, ErrMalformed, fmt.Sprintf(format, args...))
}

func (c *converter) document(doc *yaml.Node, index int) ([]Object, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	lines := map[string]int{}
	v, err := c.value(root, "", lines, 0)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil // a scalar or a sequence: not a Kubernetes object
	}
	source := helmSource(doc, root)
	obj, isObj, err := c.object(m, lines, "", root.Line)
	if errors.Is(err, errHalf) {
		if c.half == nil {
			c.half = err
		}
		return nil, nil
	}
	if err != nil || !isObj {
		return nil, err
	}
	obj.Document, obj.Source = index, source
	items, isList := m["items"].([]any)
	if !isList || !strings.HasSuffix(obj.Kind, "List") {
		return []Object{obj}, nil
	}
	// A List: each item is an object of its own, with the lines under /items/i.
	out := make([]Object, 0, len(items))
	itemLines := splitItemLines(lines, len(items))
	for i, it := range items {
		im, ok := it.(map[string]any)
		prefix := "/items/" + strconv.Itoa(i)
		if !ok {
			return nil, c.errorf(lineAt(lines, prefix, root.Line), "%s item %d is not an object", obj.Kind, i)
		}
		sub := itemLines[i]
		o, isObj, err := c.object(im, sub, prefix, lineAt(lines, prefix, root.Line))
		if err != nil {
			return nil, err
		}
		if !isObj {
			return nil, c.errorf(lineAt(lines, prefix, root.Line), "%s item %d has no apiVersion and kind", obj.Kind, i)
		}
		o.Document, o.Source = index, source
		out = append(out, o)
	}
	return out, nil
}

// object checks the identifying fields of a Kubernetes object. isObj is false for a mapping
// that is not one (neither apiVersion nor kind).
func (c *converter) object(m map[string]any, lines map[string]int, prefix string, line int) (o Object, isObj bool, err error) {
	_, hasAPI := m["apiVersion"]
	_, hasKind := m["kind"]
	if !hasAPI && !hasKind {
		return Object{}, false, nil
	}
	api, ok1 := m["apiVersion"].(string)
	kind, ok2 := m["kind"].(string)
	switch {
	case !hasKind:
		return Object{}, false, fmt.Errorf("%w%w", c.errorf(line, "object%s has apiVersion but no kind", where(prefix)), errHalf)
	case !hasAPI:
		return Object{}, false, fmt.Errorf("%w%w", c.errorf(line, "object%s has kind but no apiVersion", where(prefix)), errHalf)
	case !ok1 || api == "":
		return Object{}, false, c.errorf(lineAt(lines, "/apiVersion", line), "apiVersion%s is not a non-empty string", where(prefix))
	case !ok2 || kind == "":
		return Object{}, false, c.errorf(lineAt(lines, "/kind", line), "kind%s is not a non-empty string", where(prefix))
	}
	o = Object{File: c.file, Line: line, APIVersion: api, Kind: kind, Value: m, Lines: lines}
	if md, ok := m["metadata"].(map[string]any); ok {
		o.Name, _ = md["name"].(string)
		if o.Name == "" {
			o.Name, _ = md["generateName"].(string)
		}
		o.Namespace, _ = md["namespace"].(string)
	}
	return o, true, nil
}

func where(prefix string) string {
	if prefix == "" {
		return ""
	}
	return " at " + prefix
}

func lineAt(lines map[string]int, ptr string, def int) int {
	if l, ok := lines[ptr]; ok {
		return l
	}
	return def
}

// splitItemLines re-roots the pointers under /items/i for each of n items, in one pass.
func splitItemLines(lines map[string]int, n int) []map[string]int {
	out := make([]map[string]int, n)
	for i := range out {
		out[i] = map[string]int{}
	}
	for k, l := range lines {
		rest, ok := strings.CutPrefix(k, "/items/")
		if !ok {
			continue
		}
		idx, tail, _ := strings.Cut(rest, "/")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= n {
			continue
		}
		if tail == "" && !strings.HasSuffix(rest, "/") {
			out[i][""] = l
		} else {
			out[i]["/"+tail] = l
		}
	}
	return out
}

// helmSource finds the "# Source: chart/templates/x.yaml" comment helm template writes above
// each document; yaml.v3 attaches it to the document or to the first key.
func helmSource(doc, root *yaml.Node) string {
	comments := []string{doc.HeadComment, root.HeadComment}
	if root.Kind == yaml.MappingNode && len(root.Content) > 0 {
		comments = append(comments, root.Content[0].HeadComment)
	}
	for _, c := range comments {
		for l := range strings.SplitSeq(c, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(l), "# Source:"); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// pointerEscape escapes one JSON Pointer reference token (RFC 6901 section 3).
func pointerEscape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// value converts a node to a JSON-like value, recording the line of each field under ptr.
func (c *converter) value(n *yaml.Node, ptr string, lines map[string]int, depth int) (any, error) {
	if c.aliasDepth > 0 {
		c.aliasNodes++
		if c.aliasNodes > maxAliasNodes {
			return nil, c.errorf(n.Line, "aliases expand to more than %d nodes: refusing to expand further", maxAliasNodes)
		}
	}
	if depth > maxDepth {
		return nil, c.errorf(n.Line, "nested deeper than %d levels", maxDepth)
	}
	if _, ok := lines[ptr]; !ok {
		lines[ptr] = n.Line
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n.Line, "unknown alias %q", n.Value)
		}
		c.aliasDepth++
		defer func() { c.aliasDepth-- }()
		return c.value(n.Alias, ptr, lines, depth+1)
	case yaml.ScalarNode:
		return scalar(n), nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			v, err := c.value(item, ptr+"/"+strconv.Itoa(i), lines, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, ptr, lines, depth)
	}
	return nil, c.errorf(n.Line, "unexpected YAML node kind %d", n.Kind)
}

func (c *converter) mapping(n *yaml.Node, ptr string, lines map[string]int, depth int) (map[string]any, error) {
	if len(n.Content)%2 != 0 {
		return nil, c.errorf(n.Line, "mapping with a key and no value")
	}
	out := make(map[string]any, len(n.Content)/2)
	keyLine := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.errorf(k.Line, "a mapping key is not a scalar")
		}
		key := k.Value
		if first, dup := keyLine[key]; dup {
			// The API server refuses duplicate fields; which one a tool keeps differs, so a
			// check could pass on the value that is not applied.
			return nil, c.errorf(k.Line, "duplicate key %q (first at line %d)", key, first)
		}
		keyLine[key] = k.Line
		p := ptr + "/" + pointerEscape(key)
		lines[p] = k.Line // the key's line: where the field is written
		val, err := c.value(v, p, lines, depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	// YAML 1.1 merge keys (<<: *base), which kubectl honours: explicit keys win, then earlier
	// merged mappings over later ones.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			sub := map[string]int{}
			mv, err := c.value(s, ptr, sub, depth+1)
			if err != nil {
				return nil, err
			}
			mm, ok := mv.(map[string]any)
			if !ok {
				return nil, c.errorf(s.Line, "merge key value is not a mapping")
			}
			added := map[string]bool{}
			for k, v := range mm {
				if _, exists := out[k]; !exists {
					out[k] = v
					added[pointerEscape(k)] = true
				}
			}
			for sp, sl := range sub {
				rest, ok := strings.CutPrefix(sp, ptr+"/")
				if !ok {
					continue
				}
				tok, _, _ := strings.Cut(rest, "/")
				if _, seen := lines[sp]; added[tok] && !seen {
					lines[sp] = sl
				}
			}
		}
	}
	return out, nil
}

// scalar resolves a scalar the way kubectl does. kubectl reads YAML through sigs.k8s.io/yaml,
// which follows YAML 1.1: unquoted yes/no/on/off/y/n are booleans there (yaml.v3 reads them as
// strings), so `privileged: yes` runs a privileged container and must be checked as true.
func scalar(n *yaml.Node) any {
	plain := n.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	case "!!str":
		if plain {
			switch n.Value {
			case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
				return true
			case "n", "N", "no", "No", "NO", "off", "Off", "OFF":
				return false
			}
		}
	}
	return n.Value
}
