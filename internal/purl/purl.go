// Package purl is hallmark's Package URL (purl) handling. Every room that
// names a package — inventory when it finds one, sbom when it writes one,
// vulndb and match when they look one up, vex and policy when they refer to
// one — builds, canonicalises and compares purls here, so a package has one
// spelling across the whole loop.
//
// The rules are those of the purl specification (ECMA-427, 2nd edition draft)
// and the per-type definitions of github.com/package-url/purl-spec, and the
// package is tested against that repository's conformance suite (testdata/).
package purl

// Why not github.com/package-url/packageurl-go: v0.1.7 passes most of the
// suite, but it lowercases golang namespaces and names (Go module paths are
// case-sensitive, so lookups by the lowered path fail), accepts '+' and a
// leading '.', '-' or '+' in types and a leading '.', '-' or '_' in
// qualifier keys, does not enforce the per-type namespace requirements
// (pkg:maven/io, pkg:cargo/a/b), turns an encoded '/' in a namespace or
// subpath segment into a separator instead of rejecting it, and does not
// lowercase hex, luarocks or oci components. Its parser loses the
// information needed to undo the golang lowercasing, so a fix-up layer on
// top of it cannot work; the spec's parse and build procedures are short, so
// hallmark implements them directly.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// PURL is a parsed, normalised Package URL. Values returned by Parse and New
// are canonical: String renders them in the spec's canonical form, so
// comparing String forms compares purls (use WithoutQualifiers first to
// ignore arch, distro and the like).
type PURL struct {
	Type      string // lowercase, e.g. "npm"
	Namespace string // decoded, segments joined with '/'; "" if none
	Name      string // decoded
	Version   string // decoded; "" if none
	// Qualifiers are sorted by key; keys are unique and lowercase, values
	// are decoded and never empty.
	Qualifiers []Qualifier
	Subpath    string // decoded, segments joined with '/'; "" if none
}

// Qualifier is one key=value pair of a PURL's qualifiers.
type Qualifier struct {
	Key, Value string
}

// ErrInvalid is matched (with errors.Is) by every error Parse, New and
// Canonical return: the input is not a valid purl and retrying will not help.
// Use errors.As with *Error to learn which component is wrong.
var ErrInvalid = errors.New("invalid purl")

// Error describes why a purl is invalid.
type Error struct {
	// Input is the string given to Parse, or for New an unencoded sketch
	// of the components it was given.
	Input string
	// Component is the part at fault: "scheme", "type", "namespace",
	// "name", "version", "qualifiers" or "subpath".
	Component string
	// Msg says what is wrong, e.g. "name is required".
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("purl %q: %s", e.Input, e.Msg) }

// Unwrap makes every *Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

func errorf(input, component, format string, args ...any) error {
	return &Error{Input: input, Component: component, Msg: fmt.Sprintf(format, args...)}
}

// parts holds decoded but not yet normalised components, as produced by the
// parse procedure (Parse) or taken from the caller (New). Both then share
// finish, so a purl built from parts and one parsed from its string agree.
type parts struct {
	typ        string
	namespace  []string // segments, none empty
	name       string
	version    string
	qualifiers []Qualifier // keys lowercased, in input order, empty values dropped
	subpath    []string    // segments, none empty, ".", ".."
}

// Parse parses s following the spec's "How to parse a purl string into its
// components" procedure, then applies the per-type rules of the purl-spec
// type definitions (lowercasing case-insensitive components, required and
// prohibited namespaces, required qualifiers, ...). It accepts some
// non-canonical input (an upper-case scheme, type or qualifier key, slashes
// after "pkg:", unencoded characters that canonical form encodes); use
// String or Canonical for the canonical form.
func Parse(s string) (PURL, error) {
	p, err := parse(s)
	if err != nil {
		return PURL{}, err
	}
	// purl-spec is moving from lowercasing upper-case qualifier keys to rejecting them
	// (purl-spec PR #951). At the pinned suite commit the gem and rpm tests reject them while
	// maven's still lowercase them; Parse follows each type's tests, and Canonical stays
	// lenient so that real-world purls from other tools still normalise.
	if rules[p.Type].strictQualifierKeys {
		if k, ok := upperQualifierKey(s); ok {
			return PURL{}, errorf(s, "qualifiers", "qualifier key %q must be lowercase for type %q", k, p.Type)
		}
	}
	return p, nil
}

// upperQualifierKey returns the first qualifier key of s that has an upper-case letter.
func upperQualifierKey(s string) (string, bool) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	_, q, ok := strings.Cut(s, "?")
	if !ok {
		return "", false
	}
	for pair := range strings.SplitSeq(q, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if lowerASCII(k) != k {
			return k, true
		}
	}
	return "", false
}

func parse(s string) (PURL, error) {
	var p parts
	rest := s

	// Split once from the right on '#': the right side is the subpath.
	if i := strings.LastIndexByte(rest, '#'); i >= 0 {
		sub := rest[i+1:]
		rest = rest[:i]
		for seg := range strings.SplitSeq(sub, "/") {
			d, err := decode(s, "subpath", seg)
			if err != nil {
				return PURL{}, err
			}
			// Discard empty, '.' and '..' segments; a decoded segment
			// must not contain '/'.
			if d == "" || d == "." || d == ".." {
				continue
			}
			if strings.Contains(d, "/") {
				return PURL{}, errorf(s, "subpath", "subpath segment %q contains '/'", d)
			}
			p.subpath = append(p.subpath, d)
		}
	}

	// Split once from the right on '?': the right side is the qualifiers.
	if i := strings.LastIndexByte(rest, '?'); i >= 0 {
		q := rest[i+1:]
		rest = rest[:i]
		for pair := range strings.SplitSeq(q, "&") {
			if pair == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				return PURL{}, errorf(s, "qualifiers", "qualifier %q has no '=' between key and value", pair)
			}
			// The key is the lowercase left side, the value the
			// percent-decoded right side. (The suite's required gem
			// and rpm parse cases want upper-case keys rejected
			// instead; see TestSpecSuite.)
			k = lowerASCII(k)
			if err := checkKey(s, k); err != nil {
				return PURL{}, err
			}
			d, err := decode(s, "qualifiers", v)
			if err != nil {
				return PURL{}, err
			}
			if d == "" {
				continue // an empty value is the same as no pair
			}
			p.qualifiers = append(p.qualifiers, Qualifier{Key: k, Value: d})
		}
	}

	// Split once from the left on ':': the left side is the scheme.
	scheme, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return PURL{}, errorf(s, "scheme", `scheme "pkg:" is required`)
	}
	if lowerASCII(scheme) != "pkg" {
		return PURL{}, errorf(s, "scheme", `scheme is %q, want "pkg"`, scheme)
	}

	// Strip leading '/' ("pkg://npm/..." is accepted); split once from the
	// left on '/': the left side is the type.
	rest = strings.TrimLeft(rest, "/")
	typ, rest, _ := strings.Cut(rest, "/")
	if err := checkType(s, typ); err != nil {
		return PURL{}, err
	}
	p.typ = lowerASCII(typ)

	// Slashes at either end of the path are not significant
	// ("pkg:npm/foo/" is "pkg:npm/foo").
	rest = strings.Trim(rest, "/")

	// Split once from the right on '@': the right side is the version.
	// Only an '@' after the last '/' counts: a version cannot contain an
	// unencoded '/', and this lets "pkg:npm/@babel/core" (an unencoded npm
	// scope) parse as namespace "@babel", which the spec's plain rightmost
	// split would turn into version "babel/core".
	if at := strings.LastIndexByte(rest, '@'); at > strings.LastIndexByte(rest, '/') {
		v, err := decode(s, "version", rest[at+1:])
		if err != nil {
			return PURL{}, err
		}
		p.version = v
		rest = rest[:at]
	}

	// Split once from the right on '/': the right side is the name. A '/'
	// right before the '@' leaves it empty, so "pkg:swift/github.com/x/@1"
	// has no name (the swift suite requires that; the 2nd edition no
	// longer calls trailing slashes of the name insignificant).
	slash := strings.LastIndexByte(rest, '/')
	name, err := decode(s, "name", rest[slash+1:])
	if err != nil {
		return PURL{}, err
	}
	if name == "" {
		return PURL{}, errorf(s, "name", "name is required")
	}
	p.name = name

	// The left side is the namespace: discard empty segments, decode the
	// others, which must not contain '/'.
	if slash >= 0 {
		for seg := range strings.SplitSeq(rest[:slash], "/") {
			if seg == "" {
				continue
			}
			d, err := decode(s, "namespace", seg)
			if err != nil {
				return PURL{}, err
			}
			p.namespace = append(p.namespace, d)
		}
	}
	nameSegs := []string{p.name}
	if rules[p.typ].namePath && len(p.namespace) > 1 {
		// The name is a path (git): only the first segment is the
		// namespace.
		nameSegs = slices.Concat(p.namespace[1:], nameSegs)
		p.namespace = p.namespace[:1]
		p.name = strings.Join(nameSegs, "/")
	}
	for _, seg := range p.namespace {
		if strings.Contains(seg, "/") {
			return PURL{}, errorf(s, "namespace", "namespace segment %q contains '/'", seg)
		}
	}
	if rules[p.typ].namePath {
		for _, seg := range nameSegs {
			if strings.Contains(seg, "/") {
				return PURL{}, errorf(s, "name", "name segment %q contains '/'", seg)
			}
		}
	}
	return finish(s, p)
}

// New builds a PURL from decoded components following the spec's "How to
// build a purl string from its components" procedure: it validates them and
// normalises them as Parse does (lowercase type and qualifier keys, leading
// and trailing '/' stripped from namespace, name and subpath, empty
// qualifier values and empty, '.' and '..' subpath segments dropped, then the
// per-type rules). Components are given decoded: New("npm", "@angular",
// "core", ...), not "%40angular".
func New(typ, namespace, name, version string, qualifiers map[string]string, subpath string) (PURL, error) {
	input := sketch(typ, namespace, name, version, qualifiers, subpath)
	if err := checkType(input, typ); err != nil {
		return PURL{}, err
	}
	p := parts{typ: lowerASCII(typ), version: version}
	rule := rules[p.typ]

	// Strip the namespace of leading and trailing '/' and split it into
	// segments.
	for seg := range strings.SplitSeq(strings.Trim(namespace, "/"), "/") {
		if seg != "" {
			p.namespace = append(p.namespace, seg)
		}
	}
	// Strip the name of leading and trailing '/'.
	p.name = strings.Trim(name, "/")
	if rule.namePath {
		if len(p.namespace) > 1 {
			return PURL{}, errorf(input, "namespace", "namespace for type %s must be a single segment, not %q", p.typ, namespace)
		}
		var segs []string
		for seg := range strings.SplitSeq(p.name, "/") {
			if seg != "" {
				segs = append(segs, seg)
			}
		}
		p.name = strings.Join(segs, "/")
	}

	// Sorted so that errors do not depend on map order.
	for _, k := range slices.Sorted(maps.Keys(qualifiers)) {
		v := qualifiers[k]
		k = lowerASCII(k)
		if err := checkKey(input, k); err != nil {
			return PURL{}, err
		}
		if v != "" {
			p.qualifiers = append(p.qualifiers, Qualifier{Key: k, Value: v})
		}
	}

	// Strip the subpath of leading and trailing '/', split it and discard
	// empty, '.' and '..' segments.
	for seg := range strings.SplitSeq(subpath, "/") {
		if seg != "" && seg != "." && seg != ".." {
			p.subpath = append(p.subpath, seg)
		}
	}

	for _, c := range []struct{ component, value string }{
		{"namespace", namespace}, {"name", name}, {"version", version}, {"subpath", subpath},
	} {
		if !utf8.ValidString(c.value) {
			return PURL{}, errorf(input, c.component, "%s is not valid UTF-8", c.component)
		}
	}
	for _, q := range p.qualifiers {
		if !utf8.ValidString(q.Value) {
			return PURL{}, errorf(input, "qualifiers", "qualifier %s value is not valid UTF-8", q.Key)
		}
	}
	return finish(input, p)
}

// finish applies the rules common to Parse and New once components are
// decoded: the type's normalisations, then validation.
func finish(input string, p parts) (PURL, error) {
	rule := rules[p.typ]
	out := PURL{
		Type:      p.typ,
		Namespace: strings.Join(p.namespace, "/"),
		Name:      p.name,
		Version:   p.version,
		Subpath:   strings.Join(p.subpath, "/"),
	}

	// Qualifiers: sorted by key, keys unique.
	if len(p.qualifiers) > 0 {
		out.Qualifiers = slices.Clone(p.qualifiers)
		slices.SortStableFunc(out.Qualifiers, func(a, b Qualifier) int { return strings.Compare(a.Key, b.Key) })
		for i := 1; i < len(out.Qualifiers); i++ {
			if out.Qualifiers[i].Key == out.Qualifiers[i-1].Key {
				return PURL{}, errorf(input, "qualifiers", "qualifier key %q appears more than once", out.Qualifiers[i].Key)
			}
		}
	}

	rule.normalize(&out)

	if out.Name == "" {
		return PURL{}, errorf(input, "name", "name is required")
	}
	switch {
	case rule.namespace == required && out.Namespace == "":
		return PURL{}, errorf(input, "namespace", "namespace is required for type %s", out.Type)
	case rule.namespace == prohibited && out.Namespace != "":
		return PURL{}, errorf(input, "namespace", "namespace is not allowed for type %s (got %q)", out.Type, out.Namespace)
	}
	for _, k := range rule.requiredQualifiers {
		if out.Qualifier(k) == "" {
			return PURL{}, errorf(input, "qualifiers", "qualifier %s is required for type %s", k, out.Type)
		}
	}
	if rule.validate != nil {
		if err := rule.validate(input, out); err != nil {
			return PURL{}, err
		}
	}
	return out, nil
}

// String returns p in canonical form: "pkg:" type, then the percent-encoded
// namespace segments, name and version, the qualifiers sorted by key, and
// the subpath segments. For a PURL from Parse or New this is the spec's
// canonical purl; for a PURL literal it is canonical only if the fields are
// (use New to build one).
func (p PURL) String() string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(p.Type)
	b.WriteByte('/')
	for seg := range strings.SplitSeq(p.Namespace, "/") {
		if seg != "" {
			escape(&b, seg)
			b.WriteByte('/')
		}
	}
	if rules[p.Type].namePath {
		writeSegments(&b, p.Name)
	} else {
		escape(&b, p.Name)
	}
	if p.Version != "" {
		b.WriteByte('@')
		escape(&b, p.Version)
	}
	qs := p.Qualifiers
	if !slices.IsSortedFunc(qs, func(a, b Qualifier) int { return strings.Compare(a.Key, b.Key) }) {
		qs = slices.Clone(qs)
		slices.SortStableFunc(qs, func(a, b Qualifier) int { return strings.Compare(a.Key, b.Key) })
	}
	sep := byte('?')
	for _, q := range qs {
		if q.Value == "" {
			continue
		}
		b.WriteByte(sep)
		sep = '&'
		escape(&b, q.Key)
		b.WriteByte('=')
		escape(&b, q.Value)
	}
	if strings.Trim(p.Subpath, "/") != "" {
		b.WriteByte('#')
		writeSegments(&b, p.Subpath)
	}
	return b.String()
}

// writeSegments writes the non-empty '/'-separated segments of s, each
// percent-encoded, joined by '/'.
func writeSegments(b *strings.Builder, s string) {
	first := true
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "" {
			continue
		}
		if !first {
			b.WriteByte('/')
		}
		first = false
		escape(b, seg)
	}
}

// Canonical parses s and returns its canonical form.
func Canonical(s string) (string, error) {
	p, err := parse(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// Qualifier returns the value of the qualifier with the given key (matched
// case-insensitively, as keys are lowercase), or "" if p has none.
func (p PURL) Qualifier(key string) string {
	key = lowerASCII(key)
	for _, q := range p.Qualifiers {
		if q.Key == key {
			return q.Value
		}
	}
	return ""
}

// WithoutQualifiers returns p with no qualifiers, for comparing packages
// while ignoring arch, distro, repository_url and the like. The subpath is
// kept.
func (p PURL) WithoutQualifiers() PURL {
	p.Qualifiers = nil
	return p
}

// checkType applies the spec's type rules: ASCII letters, digits, '.' and
// '-' only, starting with a letter, not percent-encoded.
func checkType(input, typ string) error {
	if typ == "" {
		return errorf(input, "type", "type is required")
	}
	if !isASCIILetter(typ[0]) {
		return errorf(input, "type", "type %q must start with an ASCII letter", typ)
	}
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '.' && c != '-' {
			r, _ := utf8.DecodeRuneInString(typ[i:])
			return errorf(input, "type", "type %q contains %q; only ASCII letters, digits, '.' and '-' are allowed", typ, r)
		}
	}
	return nil
}

// checkKey applies the spec's qualifier key rules to an already lowercased
// key: lowercase ASCII letters, digits, '.', '-' and '_' only, starting with
// a letter, not percent-encoded.
func checkKey(input, key string) error {
	if key == "" {
		return errorf(input, "qualifiers", "qualifier key is empty")
	}
	if !isASCIILetter(key[0]) {
		return errorf(input, "qualifiers", "qualifier key %q must start with an ASCII letter", key)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '.' && c != '-' && c != '_' {
			r, _ := utf8.DecodeRuneInString(key[i:])
			return errorf(input, "qualifiers", "qualifier key %q contains %q; only ASCII letters, digits, '.', '-' and '_' are allowed", key, r)
		}
	}
	return nil
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }

// lowerASCII lowercases ASCII letters only: types, schemes and qualifier
// keys are ASCII.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// sketch renders New's arguments as an unencoded purl-like string for error
// messages.
func sketch(typ, namespace, name, version string, qualifiers map[string]string, subpath string) string {
	var b strings.Builder
	b.WriteString("pkg:" + typ + "/")
	if namespace != "" {
		b.WriteString(namespace + "/")
	}
	b.WriteString(name)
	if version != "" {
		b.WriteString("@" + version)
	}
	for i, k := range slices.Sorted(maps.Keys(qualifiers)) {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + qualifiers[k])
	}
	if subpath != "" {
		b.WriteString("#" + subpath)
	}
	return b.String()
}
