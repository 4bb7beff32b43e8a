package license

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// maxExpressionLen bounds what Normalize tries to map. Real declarations are far shorter; a
// longer string is licence text or noise, and go-spdx's scanner is not cheap on long input.
const maxExpressionLen = 1024

// Normalize turns one declared licence into a valid SPDX licence expression when it can, and
// reports whether it did. When it cannot, it returns s unchanged and false.
//
// It recognises, case-insensitively:
//   - SPDX licence and exception identifiers, and expressions built from them with AND, OR,
//     WITH, parentheses and "+" (operators may be lower case: "MIT or Apache-2.0"); deprecated
//     identifiers whose replacement is exact are modernised ("GPL-2.0+" → "GPL-2.0-or-later");
//   - the full names and reference URLs of the SPDX License List ("Apache License 2.0",
//     "https://opensource.org/licenses/MIT");
//   - the GNU family in its usual spellings, DEP-5 short names and Python trove classifier
//     names ("GPLv3+", "GPL-2+", "GNU Lesser General Public License v2 or later (LGPLv2+)");
//   - a table of common aliases ("Apache 2.0", "MIT License", "New BSD", "PSF", "CC0").
//
// Names that stand for several licences ("BSD", "GPL", "Apache License", "Public Domain") are
// left unmapped on purpose. Multi-line text is licence text, not a name: Normalize rejects it,
// as it does input longer than 1024 bytes. An ok result is accepted by go-spdx, and Normalize
// is idempotent on it.
func Normalize(s string) (expr string, ok bool) {
	t := strings.TrimSpace(s)
	if t == "" || len(t) > maxExpressionLen || !utf8.ValidString(t) || strings.ContainsFunc(t, isBadControl) {
		return s, false
	}
	if e, ok := resolvePhrase(t); ok && valid(e) {
		return e, true
	}
	if !strings.ContainsFunc(t, func(r rune) bool { return r == '(' || r == ')' || unicode.IsSpace(r) }) {
		return s, false // one word: normalizeExpression would only repeat resolvePhrase
	}
	if e, ok := normalizeExpression(t); ok && valid(e) {
		return e, true
	}
	return s, false
}

// isBadControl reports control characters other than tab: a newline means licence text.
func isBadControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }

// valid is the final word on every result: go-spdx must accept it.
func valid(expr string) bool {
	ok, _ := spdxexp.ValidateLicenses([]string{expr})
	return ok
}

// normalizeExpression maps an expression whose operands may be names rather than identifiers
// ("Apache License 2.0 or MIT License"). Operands are the runs of words between operators and
// parentheses; each must resolve, or the whole expression fails.
func normalizeExpression(s string) (string, bool) {
	var (
		out       []string // output tokens
		phrase    []string // words of the operand being collected
		afterWith bool     // the next operand is an exception
		operands  int
		compound  []int // indexes in out of operands that expanded to an AND/OR expression
	)
	flush := func() bool {
		if len(phrase) == 0 {
			return true
		}
		p := strings.Join(phrase, " ")
		phrase = phrase[:0]
		operands++
		var e string
		var ok bool
		if afterWith {
			e, ok = resolveException(p)
			afterWith = false
		} else {
			e, ok = resolvePhrase(p)
		}
		if !ok {
			return false
		}
		if strings.Contains(e, " AND ") || strings.Contains(e, " OR ") {
			compound = append(compound, len(out))
		}
		out = append(out, e)
		return true
	}
	for _, tok := range lex(s) {
		switch {
		case tok == "(" || tok == ")":
			if !flush() {
				return "", false
			}
			out = append(out, tok)
		case strings.EqualFold(tok, "AND") || strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "WITH"):
			if !flush() {
				return "", false
			}
			op := strings.ToUpper(tok)
			out = append(out, op)
			afterWith = op == "WITH"
		default:
			phrase = append(phrase, tok)
		}
	}
	if !flush() || len(out) == 0 {
		return "", false
	}
	if operands > 1 {
		// An alias that means "A OR B" must keep its meaning next to other operators.
		for _, i := range compound {
			out[i] = "(" + out[i] + ")"
		}
	}
	var b strings.Builder
	for i, t := range out {
		if i > 0 && t != ")" && out[i-1] != "(" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String(), true
}

// lex splits s into words and parentheses.
func lex(s string) []string {
	var toks []string
	start := -1
	for i, r := range s {
		switch {
		case r == '(' || r == ')' || unicode.IsSpace(r):
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			if !unicode.IsSpace(r) {
				toks = append(toks, string(r))
			}
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

// resolvePhrase maps one operand: an identifier, or a name, alias or URL.
func resolvePhrase(p string) (string, bool) {
	if !strings.ContainsFunc(p, unicode.IsSpace) {
		if e, ok := resolveID(p); ok {
			return e, true
		}
	}
	return lookupAlias(p)
}

// resolveID maps an SPDX simple expression, case-insensitively (SPDX 2.3 annex D: "License
// identifiers (including license exception identifiers) used in SPDX documents or source code
// files should be matched in a case-insensitive manner"): license-id, license-id "+",
// LicenseRef-x and DocumentRef-x:LicenseRef-y.
func resolveID(w string) (string, bool) {
	w, plus := strings.CutSuffix(w, "+")
	if doc, ref, ok := strings.Cut(w, ":"); ok {
		d, ok := cutPrefixFold(doc, "DocumentRef-")
		if !ok || plus || !isIDString(d) {
			return "", false
		}
		r, ok := licenseRef(ref)
		if !ok {
			return "", false
		}
		return "DocumentRef-" + d + ":" + r, true
	}
	if !isIDString(w) {
		return "", false
	}
	if _, only := cutSuffixFold(w, "-only"); only && plus {
		return "", false // "GPL-2.0-only+" contradicts itself
	}
	if _, ok := cutPrefixFold(w, "LicenseRef-"); ok {
		if plus {
			return "", false
		}
		return licenseRef(w)
	}
	if ok, id := spdxlicenses.IsActiveLicense(w); ok {
		return orLater(id, plus)
	}
	if ok, id := spdxlicenses.IsDeprecatedLicense(w); ok {
		if r, ok := deprecatedReplacement[id]; ok {
			id = r
		}
		return orLater(id, plus)
	}
	return "", false
}

// deprecatedReplacement maps deprecated identifiers to the expressions the SPDX License List
// replaced them with, where the replacement has exactly the same meaning. Other deprecated
// identifiers are still valid and pass through unchanged.
var deprecatedReplacement = map[string]string{
	"AGPL-1.0": "AGPL-1.0-only",
	"AGPL-3.0": "AGPL-3.0-only",
	"GFDL-1.1": "GFDL-1.1-only",
	"GFDL-1.2": "GFDL-1.2-only",
	"GFDL-1.3": "GFDL-1.3-only",
	"GPL-1.0":  "GPL-1.0-only",
	"GPL-2.0":  "GPL-2.0-only",
	"GPL-3.0":  "GPL-3.0-only",
	"LGPL-2.0": "LGPL-2.0-only",
	"LGPL-2.1": "LGPL-2.1-only",
	"LGPL-3.0": "LGPL-3.0-only",

	"GPL-2.0-with-autoconf-exception":  "GPL-2.0-only WITH Autoconf-exception-2.0",
	"GPL-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
	"GPL-2.0-with-font-exception":      "GPL-2.0-only WITH Font-exception-2.0",
	"GPL-2.0-with-GCC-exception":       "GPL-2.0-only WITH GCC-exception-2.0",
	"GPL-3.0-with-autoconf-exception":  "GPL-3.0-only WITH Autoconf-exception-3.0",
	"GPL-3.0-with-GCC-exception":       "GPL-3.0-only WITH GCC-exception-3.1",
	"StandardML-NJ":                    "SMLNJ",
}

// orLater applies a "+" suffix: GNU-style identifiers take their -or-later form, others keep
// the "+" operator ("Apache-2.0+" is valid SPDX).
func orLater(id string, plus bool) (string, bool) {
	if !plus {
		return id, true
	}
	if strings.Contains(id, " ") || strings.HasSuffix(id, "-or-later") {
		return "", false
	}
	base, only := strings.CutSuffix(id, "-only")
	if ok, l := spdxlicenses.IsActiveLicense(base + "-or-later"); ok {
		return l, true
	}
	if only {
		return "", false
	}
	return id + "+", true
}

func licenseRef(s string) (string, bool) {
	r, ok := cutPrefixFold(s, "LicenseRef-")
	if !ok || !isIDString(r) {
		return "", false
	}
	return "LicenseRef-" + r, true
}

// resolveException maps the operand after WITH: an exception identifier, or "<Name> exception"
// when <Name>-exception is one ("LLVM exception").
func resolveException(p string) (string, bool) {
	w := p
	if base, ok := cutSuffixFold(p, " exception"); ok {
		w = base + "-exception"
	}
	if !isIDString(w) {
		return "", false
	}
	if ok, id := spdxlicenses.IsException(w); ok {
		return id, true
	}
	if strings.EqualFold(w, "Classpath-exception") { // "GPL-2.0 with Classpath exception"
		return "Classpath-exception-2.0", true
	}
	return "", false
}

// isIDString reports whether s is an SPDX idstring: 1*(ALPHA / DIGIT / "-" / ".").
func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
