package license

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Limits on what a Debian copyright file may ask of the parser. Real files stay far below
// them (the longest first line of a License field in Debian 12 is 220 bytes, the most distinct
// License fields in one file 37); a file beyond them is hostile or broken.
const (
	// maxDEP5Line is the longest first line of a License field taken as a licence name; a
	// longer one is licence text.
	maxDEP5Line = 256
	// maxDEP5Licenses is the most distinct License first lines a file may have; more fail
	// with ErrTooLarge.
	maxDEP5Licenses = 1000
)

// FromDebianCopyright returns the licences declared by a Debian package's copyright file,
// installed at usr/share/doc/<binary-package>/copyright.
//
// A machine-readable file (DEP-5, https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/,
// recognised by a Format field in its first paragraph) yields the first line of every License
// field of its Files paragraphs, then of standalone License paragraphs whose name no Files
// paragraph uses (those only hold the text of a name already returned), deduplicated; the
// header's License only when there is nothing else. Each is translated from DEP-5 to SPDX when
// every name in it is known: "GPL-2+" → "GPL-2.0-or-later", "Expat" → "MIT", "Artistic" →
// "Artistic-1.0-Perl" (Debian's common-licenses/Artistic is Perl's), "public-domain" →
// "LicenseRef-public-domain", "A or B, and C" → "(A OR B) AND C", "GPL-2+ with Autoconf
// exception" → "GPL-2.0-or-later WITH Autoconf-exception-2.0". When a name is not known
// ("BSL-1.0 and Jam", "permissive") the line is returned as written. A first line that is
// neither DEP-5 syntax nor a licence name (or is over 256 bytes) is the start of a licence
// text, not a name, and is skipped.
//
// Any other copyright file is free text. For it a heuristic applies: every reference to a
// licence in /usr/share/common-licenses ("/usr/share/common-licenses/GPL-2") is returned, and a
// versioned GNU licence is taken as "or later" when the file says "any later version" or "or
// later" anywhere. That is right for the usual single-licence file, and may be wrong when a
// file mixes "only" and "or later" terms. Unversioned references ("GPL", "LGPL", "GFDL",
// "BSD") name no single licence and are returned as written. A file that references nothing
// yields no licences.
//
// Files over MaxCopyrightSize, or with more than 1000 distinct License fields, fail with
// ErrTooLarge.
func FromDebianCopyright(r io.Reader) ([]string, error) {
	data, err := readCapped(r, MaxCopyrightSize, "debian copyright file")
	if err != nil {
		return nil, err
	}
	text := string(data)
	paras := parseDeb822(text)
	if len(paras) > 0 && paras[0].format {
		p := dep5Parser{lines: make(map[string]dep5Result), terms: make(map[[2]string]dep5Result)}
		d, err := p.licenses(paras)
		if err != nil {
			return nil, err
		}
		if len(d.list) > 0 || d.overflow {
			return d.result("debian copyright file")
		}
	}
	d := commonLicenseRefs(text)
	return d.result("debian copyright file")
}

// paragraph holds what DEP-5 parsing needs of one deb822 paragraph.
type paragraph struct {
	format, files, license bool   // whether the field is present
	licenseLine            string // first line of License
}

// parseDeb822 splits text into paragraphs (separated by blank lines) of "Field: value" lines.
// Continuation lines (starting with a space or tab) and anything else are skipped: only first
// lines are needed. Field names are case-insensitive; the first occurrence counts.
func parseDeb822(text string) []paragraph {
	var paras []paragraph
	var cur paragraph
	inPara := false
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			if inPara {
				paras = append(paras, cur)
				cur, inPara = paragraph{}, false
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		inPara = true
		switch {
		case strings.EqualFold(k, "Format") || strings.EqualFold(k, "Format-Specification"):
			cur.format = true
		case strings.EqualFold(k, "Files"):
			cur.files = true
		case strings.EqualFold(k, "License") && !cur.license:
			cur.license, cur.licenseLine = true, strings.TrimSpace(v)
		}
	}
	if inPara {
		paras = append(paras, cur)
	}
	return paras
}

// dep5Parser translates DEP-5 License fields, remembering each distinct line and name: Boost's
// copyright file repeats "License: BSL-1.0" 5,900 times.
type dep5Parser struct {
	lines map[string]dep5Result
	terms map[[2]string]dep5Result
}

type dep5Result struct {
	expr  string
	terms []string
	ok    bool
}

func (p *dep5Parser) licenses(paras []paragraph) (declarations, error) {
	var files, standalone, header []string
	for i, para := range paras {
		lic := para.licenseLine
		switch {
		case lic == "":
		case para.files:
			files = append(files, lic)
		case i > 0:
			standalone = append(standalone, lic)
		default:
			header = append(header, lic)
		}
	}
	var d declarations
	used := make(map[string]bool) // lower-cased names and terms the Files paragraphs use
	for _, l := range files {
		res, err := p.line(l)
		if err != nil {
			return d, err
		}
		for _, t := range res.terms {
			used[strings.ToLower(t)] = true
		}
		if res.ok {
			d.add(res.expr)
		}
	}
	for _, l := range standalone {
		if used[strings.ToLower(strings.Join(strings.Fields(l), " "))] {
			continue
		}
		res, err := p.line(l)
		if err != nil {
			return d, err
		}
		if res.ok {
			d.add(res.expr)
		}
	}
	if len(d.list) == 0 {
		// The header's License summarises the package; use it only when nothing else says.
		for _, l := range header {
			if res, err := p.line(l); err == nil && res.ok {
				d.add(res.expr)
			}
		}
	}
	return d, nil
}

// line translates one License first line, once.
func (p *dep5Parser) line(l string) (dep5Result, error) {
	if res, ok := p.lines[l]; ok {
		return res, nil
	}
	if len(p.lines) >= maxDEP5Licenses {
		return dep5Result{}, fmt.Errorf("debian copyright file has more than %d distinct License fields: %w", maxDEP5Licenses, ErrTooLarge)
	}
	var res dep5Result
	if len(l) <= maxDEP5Line {
		res.expr, res.terms, res.ok = p.expression(l)
	}
	p.lines[l] = res
	return res, nil
}

// expression translates the first line of a DEP-5 License field. DEP-5 ("License
// specification"): names are joined by "and" and "or"; "with <keyword> exception" follows a
// name; a comma binds less tightly than either ("A or B, and C" is "(A or B) and C").
//
// It returns the SPDX expression when every name is known, the line as written when the syntax
// holds but a name is not known, and ok=false when the line is not DEP-5 syntax and not a
// licence name Normalize knows. terms lists each name, and each "name with … exception".
func (p *dep5Parser) expression(line string) (expr string, terms []string, ok bool) {
	line = strings.Join(strings.Fields(line), " ")
	if line == "" {
		return "", nil, false
	}
	var out strings.Builder
	mapped := true
	for i, seg := range strings.Split(line, ",") {
		words := strings.Fields(seg)
		if i > 0 {
			if len(words) == 0 || !isDEP5Op(words[0]) {
				return fallbackName(line)
			}
			out.WriteString(" " + strings.ToUpper(words[0]) + " ")
			words = words[1:]
		}
		segExpr, segTerms, segMapped, syntaxOK := p.segment(words)
		if !syntaxOK {
			return fallbackName(line)
		}
		terms = append(terms, segTerms...)
		mapped = mapped && segMapped
		if strings.ContainsRune(line, ',') && hasOperator(segExpr) {
			segExpr = "(" + segExpr + ")"
		}
		out.WriteString(segExpr)
	}
	if mapped {
		if e, ok := Normalize(out.String()); ok {
			return e, terms, true
		}
	}
	return line, terms, true
}

// fallbackName handles a first line that is not DEP-5 syntax ("MIT License", or licence text).
func fallbackName(line string) (string, []string, bool) {
	if e, ok := Normalize(line); ok {
		return e, nil, true
	}
	return "", nil, false
}

// segment parses and maps one comma-separated part: term { ("and"|"or") term }, where
// term = name [ "with" keyword… "exception" ].
func (p *dep5Parser) segment(words []string) (expr string, terms []string, mapped, syntaxOK bool) {
	var parts []string
	mapped = true
	for i := 0; i < len(words); {
		name := words[i]
		if isDEP5Op(name) || strings.EqualFold(name, "with") || strings.ContainsAny(name, "()") {
			return "", nil, false, false
		}
		i++
		term, exc := name, ""
		if i < len(words) && strings.EqualFold(words[i], "with") {
			j := i + 1
			for j < len(words) && !strings.EqualFold(words[j], "exception") {
				j++
			}
			if j == len(words) || j == i+1 {
				return "", nil, false, false
			}
			exc = strings.Join(words[i+1:j], " ")
			term = strings.Join(words[i-1:j+1], " ")
			i = j + 1
		}
		terms = append(terms, name, term)
		if e, ok := p.term(name, exc); ok {
			if hasOperator(e) {
				e = "(" + e + ")"
			}
			parts = append(parts, e)
		} else {
			mapped = false
		}
		if i < len(words) {
			if !isDEP5Op(words[i]) || i+1 == len(words) {
				return "", nil, false, false
			}
			parts = append(parts, strings.ToUpper(words[i]))
			i++
		}
	}
	if len(terms) == 0 {
		return "", nil, false, false
	}
	return strings.Join(parts, " "), terms, mapped, true
}

func isDEP5Op(w string) bool { return strings.EqualFold(w, "and") || strings.EqualFold(w, "or") }

func hasOperator(e string) bool { return strings.Contains(e, " AND ") || strings.Contains(e, " OR ") }

// term is dep5Term, once per name and exception.
func (p *dep5Parser) term(name, exc string) (string, bool) {
	k := [2]string{name, exc}
	if res, ok := p.terms[k]; ok {
		return res.expr, res.ok
	}
	e, ok := dep5Term(name, exc)
	p.terms[k] = dep5Result{expr: e, ok: ok}
	return e, ok
}

// gfdlNIV matches DEP-5's GFDL-NIV ("no invariant sections") names.
var gfdlNIV = regexp.MustCompile(`(?i)^GFDL-NIV-(1\.[123])(\+)?$`)

// dep5Term maps one DEP-5 name, with its exception keyword if any, to SPDX.
func dep5Term(name, exc string) (string, bool) {
	var id string
	switch strings.ToLower(name) {
	case "expat":
		id = "MIT"
	case "artistic":
		id = "Artistic-1.0-Perl"
	case "public-domain":
		id = "LicenseRef-public-domain"
	default:
		if m := gfdlNIV.FindStringSubmatch(name); m != nil {
			id = "GFDL-" + m[1] + "-no-invariants-only"
			if m[2] != "" {
				id = "GFDL-" + m[1] + "-no-invariants-or-later"
			}
		} else if e, ok := Normalize(name); ok {
			id = e
		} else {
			return "", false
		}
	}
	if exc == "" {
		return id, true
	}
	if strings.Contains(id, " ") {
		return "", false
	}
	e, ok := dep5Exception(exc, id)
	if !ok {
		return "", false
	}
	return id + " WITH " + e, true
}

// dep5Exception maps the keyword of "with <keyword> exception". Some exceptions exist in a
// version per GPL version; the licence decides which.
func dep5Exception(kw, license string) (string, bool) {
	gpl2 := strings.HasPrefix(license, "GPL-2.0")
	gpl3 := strings.HasPrefix(license, "GPL-3.0")
	switch strings.ToLower(kw) {
	case "autoconf":
		switch {
		case gpl2:
			return "Autoconf-exception-2.0", true
		case gpl3:
			return "Autoconf-exception-3.0", true
		}
		return "", false
	case "gcc":
		switch {
		case gpl2:
			return "GCC-exception-2.0", true
		case gpl3:
			return "GCC-exception-3.1", true
		}
		return "", false
	case "bison":
		// Bison-exception-2.2 is the GPL-3 skeleton exception; GPL-2 Bison had other wordings.
		if gpl3 {
			return "Bison-exception-2.2", true
		}
		return "", false
	case "classpath":
		return "Classpath-exception-2.0", true
	case "font":
		return "Font-exception-2.0", true
	}
	if e, ok := resolveException(kw); ok {
		return e, true
	}
	return resolveException(kw + " exception")
}

func isIDRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.'
}

// commonLicenses are the files of /usr/share/common-licenses (base-files, Debian 12).
var commonLicenses = map[string]bool{
	"Apache-2.0": true, "Artistic": true, "BSD": true, "CC0-1.0": true,
	"GFDL": true, "GFDL-1.2": true, "GFDL-1.3": true,
	"GPL": true, "GPL-1": true, "GPL-2": true, "GPL-3": true,
	"LGPL": true, "LGPL-2": true, "LGPL-2.1": true, "LGPL-3": true,
	"MPL-1.1": true, "MPL-2.0": true,
}

const commonLicensesDir = "/usr/share/common-licenses/"

// commonLicenseRefs is the heuristic for free-text copyright files; see FromDebianCopyright.
func commonLicenseRefs(text string) declarations {
	// Plain string search: a case-insensitive regexp without a literal prefix crawls over a
	// multi-MiB file on Go's NFA.
	words := " " + strings.Join(strings.Fields(strings.ToLower(text)), " ") + " "
	later := strings.Contains(words, " any later version") || strings.Contains(words, " or later")
	var d declarations
	done := make(map[string]bool)
	for rest := text; ; {
		i := strings.Index(rest, commonLicensesDir)
		if i < 0 {
			break
		}
		rest = rest[i+len(commonLicensesDir):]
		n := strings.IndexFunc(rest, func(r rune) bool { return !isIDRune(r) && r != '+' })
		if n < 0 {
			n = len(rest)
		}
		name := strings.TrimRight(rest[:n], ".") // "…/common-licenses/GPL-2." ends a sentence
		if !commonLicenses[name] || done[name] {
			continue
		}
		done[name] = true
		if later && (strings.HasPrefix(name, "GPL-") || strings.HasPrefix(name, "LGPL-") || strings.HasPrefix(name, "GFDL-")) {
			name += "+"
		}
		if e, ok := dep5Term(name, ""); ok {
			name = e
		}
		d.add(name)
	}
	return d
}
