package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// ErrLicense: a licence declaration is not a valid SPDX licence expression (syntax, unknown
// identifier, or too complex to decide). The message names the token and its position.
var ErrLicense = errors.New("invalid SPDX licence expression")

// Limits on licence expressions: real ones are a few dozen bytes with a handful of choices.
const (
	maxLicenseLen     = 4096
	maxLicenseDepth   = 64
	maxLicenseChoices = 256
)

// LicenseExpr is a parsed SPDX licence expression (SPDX 2.3 Annex D): a term, or two
// expressions joined by AND or OR.
//
// The SPDX identifier lists come from github.com/github/go-spdx; its parse tree is not
// exported, and the policy needs the tree (as Choices) to decide allow/deny lists, so the
// grammar is implemented here.
type LicenseExpr struct {
	// Op is "" for a term, else "AND" or "OR".
	Op          string
	Term        LicenseTerm
	Left, Right *LicenseExpr
}

// ParseLicense parses an SPDX licence expression. Operators may be written in upper or lower
// case; identifiers are matched case-insensitively against the SPDX licence and exception lists
// and returned in their canonical case. Precedence is WITH, then AND, then OR (Annex D.4).
func ParseLicense(s string) (*LicenseExpr, error) {
	if len(s) > maxLicenseLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrLicense, maxLicenseLen)
	}
	toks, err := lexLicense(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrLicense)
	}
	p := &licenseParser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		return nil, fmt.Errorf("%w: unexpected %q at offset %d", ErrLicense, t.text, t.pos)
	}
	if n := e.countChoices(); n > maxLicenseChoices {
		return nil, fmt.Errorf("%w: more than %d alternative licence choices", ErrLicense, maxLicenseChoices)
	}
	return e, nil
}

type licenseToken struct {
	text string
	pos  int
}

func lexLicense(s string) ([]licenseToken, error) {
	var toks []licenseToken
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, licenseToken{string(c), i})
			i++
		case isIDChar(c) || c == ':' || c == '+':
			j := i
			for j < len(s) && (isIDChar(s[j]) || s[j] == ':' || s[j] == '+') {
				j++
			}
			toks = append(toks, licenseToken{s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("%w: unexpected character %q at offset %d", ErrLicense, rune(c), i)
		}
	}
	return toks, nil
}

func isIDChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.'
}

type licenseParser struct {
	toks []licenseToken
	i    int
}

func (p *licenseParser) peekOp(op string) bool {
	return p.i < len(p.toks) && strings.EqualFold(p.toks[p.i].text, op)
}

func (p *licenseParser) or(depth int) (*LicenseExpr, error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peekOp("OR") {
		p.i++
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &LicenseExpr{Op: "OR", Left: l, Right: r}
	}
	return l, nil
}

func (p *licenseParser) and(depth int) (*LicenseExpr, error) {
	l, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	for p.peekOp("AND") {
		p.i++
		r, err := p.primary(depth)
		if err != nil {
			return nil, err
		}
		l = &LicenseExpr{Op: "AND", Left: l, Right: r}
	}
	return l, nil
}

func (p *licenseParser) primary(depth int) (*LicenseExpr, error) {
	if depth > maxLicenseDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d parentheses", ErrLicense, maxLicenseDepth)
	}
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected end of expression", ErrLicense)
	}
	t := p.toks[p.i]
	if t.text == "(" {
		p.i++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i].text != ")" {
			return nil, fmt.Errorf("%w: unclosed parenthesis at offset %d", ErrLicense, t.pos)
		}
		p.i++
		return e, nil
	}
	term, err := licenseID(t)
	if err != nil {
		return nil, err
	}
	p.i++
	if p.peekOp("WITH") {
		p.i++
		if p.i >= len(p.toks) {
			return nil, fmt.Errorf("%w: WITH at offset %d names no exception", ErrLicense, p.toks[p.i-1].pos)
		}
		x := p.toks[p.i]
		ok, canon := spdxlicenses.IsException(x.text)
		if !ok {
			return nil, fmt.Errorf("%w: %q at offset %d is not an SPDX licence exception", ErrLicense, x.text, x.pos)
		}
		term.Exception = canon
		p.i++
	}
	return &LicenseExpr{Term: term}, nil
}

// licenseID reads a simple expression: a licence identifier, optionally followed by "+", or a
// licence reference.
func licenseID(t licenseToken) (LicenseTerm, error) {
	s := t.text
	switch {
	case s == ")" || isOperator(s):
		return LicenseTerm{}, fmt.Errorf("%w: expected a licence at offset %d, found %q", ErrLicense, t.pos, s)
	case strings.HasPrefix(s, "LicenseRef-") || strings.HasPrefix(s, "DocumentRef-"):
		if !validRef(s) {
			return LicenseTerm{}, fmt.Errorf("%w: malformed licence reference %q at offset %d", ErrLicense, s, t.pos)
		}
		return LicenseTerm{License: s}, nil
	case strings.ContainsAny(s, ":"):
		return LicenseTerm{}, fmt.Errorf("%w: %q at offset %d is not a licence identifier", ErrLicense, s, t.pos)
	}
	term := LicenseTerm{}
	if base, ok := strings.CutSuffix(s, "+"); ok {
		term.OrLater = true
		s = base
	}
	if s == "" || strings.Contains(s, "+") {
		return LicenseTerm{}, fmt.Errorf("%w: %q at offset %d is not a licence identifier", ErrLicense, t.text, t.pos)
	}
	if ok, canon := spdxlicenses.IsActiveLicense(s); ok {
		term.License = canon
	} else if ok, canon := spdxlicenses.IsDeprecatedLicense(s); ok {
		term.License = canon
	} else {
		return LicenseTerm{}, fmt.Errorf("%w: %q at offset %d is not an SPDX licence identifier (use LicenseRef-… for others)", ErrLicense, s, t.pos)
	}
	return term, nil
}

func isOperator(s string) bool {
	return strings.EqualFold(s, "AND") || strings.EqualFold(s, "OR") || strings.EqualFold(s, "WITH")
}

// validRef checks ["DocumentRef-"idstring":"]"LicenseRef-"idstring.
func validRef(s string) bool {
	if doc, rest, ok := strings.Cut(s, ":"); ok {
		if !strings.HasPrefix(doc, "DocumentRef-") || !validIDString(strings.TrimPrefix(doc, "DocumentRef-")) {
			return false
		}
		s = rest
	}
	lic, ok := strings.CutPrefix(s, "LicenseRef-")
	return ok && validIDString(lic)
}

func validIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

// String renders the expression with the minimum parentheses.
func (e *LicenseExpr) String() string {
	return e.render(0)
}

func (e *LicenseExpr) render(parent int) string {
	if e.Op == "" {
		return e.Term.String()
	}
	prec := 1 // OR
	if e.Op == "AND" {
		prec = 2
	}
	s := e.Left.render(prec) + " " + e.Op + " " + e.Right.render(prec)
	if prec < parent {
		return "(" + s + ")"
	}
	return s
}

// String renders the term as SPDX writes it.
func (t LicenseTerm) String() string {
	s := t.License
	if t.OrLater {
		s += "+"
	}
	if t.Exception != "" {
		s += " WITH " + t.Exception
	}
	return s
}

// countChoices is the size of the disjunctive normal form, computed without building it and
// saturating well above the limit.
func (e *LicenseExpr) countChoices() int {
	switch e.Op {
	case "OR":
		return min(e.Left.countChoices()+e.Right.countChoices(), 1<<20)
	case "AND":
		return min(e.Left.countChoices()*e.Right.countChoices(), 1<<20)
	}
	return 1
}

// Choices returns the expression in disjunctive normal form: a list of choices, any one of
// which the licensee may pick, each a list of terms that all apply. "MIT OR (Apache-2.0 AND
// BSD-3-Clause)" is [[MIT] [Apache-2.0 BSD-3-Clause]]. Duplicate terms and choices are removed;
// order follows the expression.
func (e *LicenseExpr) Choices() [][]LicenseTerm {
	switch e.Op {
	case "OR":
		out := e.Left.Choices()
		for _, c := range e.Right.Choices() {
			if !slices.ContainsFunc(out, func(o []LicenseTerm) bool { return slices.Equal(o, c) }) {
				out = append(out, c)
			}
		}
		return out
	case "AND":
		var out [][]LicenseTerm
		for _, l := range e.Left.Choices() {
			for _, r := range e.Right.Choices() {
				c := slices.Clone(l)
				for _, t := range r {
					if !slices.Contains(c, t) {
						c = append(c, t)
					}
				}
				if !slices.ContainsFunc(out, func(o []LicenseTerm) bool { return slices.Equal(o, c) }) {
					out = append(out, c)
				}
			}
		}
		return out
	}
	return [][]LicenseTerm{{e.Term}}
}
