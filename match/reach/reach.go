// Package reach decides, for Go findings, whether the vulnerable code is actually used: it
// reads which packages and functions a Go binary links (from its pclntab, which survives
// stripping) or a Go module's sources reference, and compares them with the vulnerable
// packages and symbols that OSV records list in ecosystem_specific.imports. It is part of the
// match room: it refines findings after matching, so that outputs can show, and users can
// filter on, "called", "imported" and "not-imported" (docs/reachability.md).
package reach

import (
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// Symbols is what one Go program uses: the packages it links (binary) or imports (source), and
// per package the functions and methods it calls, named as OSV names them ("F", "T.M").
type Symbols struct {
	// GoVersion is the toolchain that built a binary ("go1.22.4"); empty for sources.
	GoVersion string
	// GOOS and GOARCH are the target platform: a binary's build settings, or the platform a
	// source tree was analysed for. Imports restricted to other platforms do not apply.
	GOOS, GOARCH string
	// Partial is set when part of the program could not be analysed (no module cache, no
	// inline tree, …); Reason says what is missing. Only ReachCalled is then conclusive: a
	// symbol seen used is used, but one not seen may be used by code that was not read.
	Partial bool
	Reason  string

	// pkgs maps an import path to the symbols used in it; a package that is present but
	// whose symbols are unknown has an empty, non-nil set.
	pkgs map[string]map[string]bool
	// opaque marks imported packages whose sources were not read (source analysis only): a
	// method of theirs counts as used when its name is selected anywhere (selected).
	opaque   map[string]bool
	selected map[string]bool
}

func newSymbols() *Symbols {
	return &Symbols{pkgs: map[string]map[string]bool{}, opaque: map[string]bool{}, selected: map[string]bool{}}
}

// addPackage records that pkg is linked or imported.
func (s *Symbols) addPackage(pkg string) map[string]bool {
	set := s.pkgs[pkg]
	if set == nil {
		set = map[string]bool{}
		s.pkgs[pkg] = set
	}
	return set
}

// add records that sym of pkg is used (and so that pkg is present).
func (s *Symbols) add(pkg, sym string) {
	set := s.addPackage(pkg)
	if sym != "" {
		set[sym] = true
	}
}

func (s *Symbols) partial(reason string) {
	s.Partial = true
	if s.Reason == "" {
		s.Reason = reason
	} else if !strings.Contains(s.Reason, reason) {
		s.Reason += "; " + reason
	}
}

// Packages returns the linked or imported packages, sorted.
func (s *Symbols) Packages() []string {
	out := make([]string, 0, len(s.pkgs))
	for p := range s.pkgs {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Used returns the symbols of pkg that are used, sorted ("F", "T.M").
func (s *Symbols) Used(pkg string) []string {
	out := make([]string, 0, len(s.pkgs[pkg]))
	for sym := range s.pkgs[pkg] {
		out = append(out, sym)
	}
	slices.Sort(out)
	return out
}

// Reach classifies one OSV affected entry's imports against the symbols: ReachCalled if a
// listed symbol is used (or, when an import lists no symbols, if its package is present),
// ReachImported if a listed package is present but none of its vulnerable symbols are used,
// ReachNotImported otherwise. It returns the used vulnerable symbols as "importpath.Symbol",
// sorted. Imports restricted to other platforms than s.GOOS/s.GOARCH are ignored; no imports
// at all give ReachUnknown.
func (s *Symbols) Reach(imports []vulndb.Import) (match.Reachability, []string) {
	if len(imports) == 0 {
		return match.ReachUnknown, nil
	}
	level := match.ReachNotImported
	var used []string
	for _, imp := range imports {
		if !s.platformApplies(imp) {
			continue
		}
		set, present := s.pkgs[imp.Path]
		if !present {
			continue
		}
		if len(imp.Symbols) == 0 {
			level = match.ReachCalled
			continue
		}
		if level == match.ReachNotImported {
			level = match.ReachImported
		}
		for _, sym := range imp.Symbols {
			if s.uses(imp.Path, set, sym) {
				level = match.ReachCalled
				used = append(used, imp.Path+"."+sym)
			}
		}
	}
	slices.Sort(used)
	return level, slices.Compact(used)
}

func (s *Symbols) uses(pkg string, set map[string]bool, sym string) bool {
	if set[sym] {
		return true
	}
	if !s.opaque[pkg] {
		return false
	}
	// The package's source was not read, so calls it makes on itself and methods reached
	// through interfaces are invisible: over-approximate a method by its name being selected
	// anywhere, rather than miss it.
	if _, m, ok := strings.Cut(sym, "."); ok {
		return s.selected[m]
	}
	return false
}

func (s *Symbols) platformApplies(imp vulndb.Import) bool {
	if s.GOOS != "" && len(imp.GOOS) > 0 && !slices.Contains(imp.GOOS, s.GOOS) {
		return false
	}
	if s.GOARCH != "" && len(imp.GOARCH) > 0 && !slices.Contains(imp.GOARCH, s.GOARCH) {
		return false
	}
	return true
}

// SplitSymbol splits a linker symbol name into its package import path and the symbol as OSV
// names it: "golang.org/x/net/html.(*Tokenizer).Next" → ("golang.org/x/net/html",
// "Tokenizer.Next"); "p.F[...]" → "F"; closures "p.F.func1" and method-value wrappers
// "p.T.M-fm" count as F and T.M. ok is false for names that are not a package's function
// (type descriptors, package initialisers' closures, linker-generated symbols).
func SplitSymbol(name string) (pkg, sym string, ok bool) {
	name = stripTypeArgs(name)
	if name == "" || strings.HasPrefix(name, "type:") || strings.HasPrefix(name, "go:") {
		return "", "", false
	}
	// The package path ends at the first dot after its last slash; the linker escapes dots
	// in the last path element ("gopkg.in/yaml%2ev3"), so that rule holds.
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "", "", false
	}
	dot += slash + 1
	pkg, rest := unescapePath(name[:dot]), name[dot+1:]
	if pkg == "" || rest == "" {
		return "", "", false
	}
	if strings.HasPrefix(rest, "(*") {
		typ, after, found := strings.Cut(rest[2:], ").")
		if !found || typ == "" {
			return "", "", false
		}
		m := firstPart(after)
		if !isIdent(typ) || !isIdent(m) {
			return "", "", false
		}
		return pkg, typ + "." + m, true
	}
	first, after, more := strings.Cut(rest, ".")
	first = strings.TrimSuffix(first, "-fm")
	second := firstPart(after)
	if !isIdent(first) || more && second == "" {
		return "", "", false // closures of package initialisers ("glob..func1") belong to no symbol
	}
	if !more || isClosureSuffix(second) || !isIdent(second) {
		return pkg, first, true
	}
	return pkg, first + "." + second, true
}

// firstPart returns s up to its first dot, without a method-value "-fm" suffix.
func firstPart(s string) string {
	p, _, _ := strings.Cut(s, ".")
	return strings.TrimSuffix(p, "-fm")
}

// isClosureSuffix reports the compiler's names for function literals and wrappers:
// func1, deferwrap1, gowrap1, and the bare numbers of nested closures.
func isClosureSuffix(s string) bool {
	for _, pre := range []string{"func", "deferwrap", "gowrap"} {
		if rest, ok := strings.CutPrefix(s, pre); ok && allDigits(rest) {
			return true
		}
	}
	return allDigits(s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

// stripTypeArgs removes bracketed type arguments, which may themselves hold dots and
// slashes ("p.Map[go.shape.string,example.com/q.T]").
func stripTypeArgs(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return "" // unbalanced: not a name we understand
			}
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	if depth != 0 {
		return ""
	}
	return b.String()
}

// unescapePath undoes the linker's %xx escaping of import paths.
func unescapePath(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if v, ok := unhex(p[i+1]); ok {
				if w, ok := unhex(p[i+2]); ok {
					b.WriteByte(v<<4 | w)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
