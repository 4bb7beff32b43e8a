package license

import (
	"regexp"
	"strings"
	"sync"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// aliases are declarations seen in package metadata that are neither SPDX identifiers nor
// SPDX License List names, with the expression each stands for. Keys are matched after
// foldName/trimName, so "MIT License", "the MIT licence" and "MIT" need one entry at most, and
// the SPDX names, GNU spellings ("GPLv2+") and "<id> <version>" forms ("MPL 2.0") need none.
//
// Only names with one accepted meaning are here. Deliberately absent: "BSD" and "BSD License"
// (2-, 3- or 4-clause?), "GPL"/"LGPL" without a version, "Apache"/"Apache License" without a
// version, "MIT/X11" (MIT or X11?), "Artistic License" (1.0, Perl or 2.0?), "CDDL" (1.0 or
// 1.1?), "Public Domain" (not a licence), "UNLICENSED" (npm for "not licensed").
var aliases = []struct{ alias, expr string }{
	// Apache. The trove classifier "Apache Software License" carries no version; every Apache
	// licence published since 2004 is 2.0, so it is read as Apache-2.0.
	{"Apache Software License", "Apache-2.0"},
	{"Apache Software License 2.0", "Apache-2.0"},
	{"Apache Public License 2.0", "Apache-2.0"},
	{"ASL 2.0", "Apache-2.0"},
	{"ASL 2", "Apache-2.0"},
	{"ASL2", "Apache-2.0"},
	{"ASL-2", "Apache-2.0"},
	{"ASL-2.0", "Apache-2.0"},
	{"ALv2", "Apache-2.0"},
	{"AL2", "Apache-2.0"},
	// MIT. Expat is Debian's (and the FSF's) name for the MIT licence.
	{"Expat", "MIT"},
	{"MIT/Expat", "MIT"},
	// BSD family, where the clause count is given.
	{"BSD 3-Clause", "BSD-3-Clause"},
	{"BSD 3 Clause", "BSD-3-Clause"},
	{"BSD-3", "BSD-3-Clause"},
	{"BSD3", "BSD-3-Clause"},
	{"3-Clause BSD", "BSD-3-Clause"},
	{"3 Clause BSD", "BSD-3-Clause"},
	{"BSD (3 clause)", "BSD-3-Clause"},
	{"New BSD", "BSD-3-Clause"},
	{"Modified BSD", "BSD-3-Clause"},
	{"Revised BSD", "BSD-3-Clause"},
	{"BSD 2-Clause", "BSD-2-Clause"},
	{"BSD 2 Clause", "BSD-2-Clause"},
	{"BSD-2", "BSD-2-Clause"},
	{"BSD2", "BSD-2-Clause"},
	{"2-Clause BSD", "BSD-2-Clause"},
	{"2 Clause BSD", "BSD-2-Clause"},
	{"BSD (2 clause)", "BSD-2-Clause"},
	{"Simplified BSD", "BSD-2-Clause"},
	{"BSD 4-Clause", "BSD-4-Clause"},
	{"BSD-4", "BSD-4-Clause"},
	{"4-Clause BSD", "BSD-4-Clause"},
	{"Original BSD", "BSD-4-Clause"},
	// The Eclipse Distribution License 1.0 is the BSD-3-Clause text.
	{"Eclipse Distribution License 1.0", "BSD-3-Clause"},
	{"EDL 1.0", "BSD-3-Clause"},
	{"EDL-1.0", "BSD-3-Clause"},
	// ISC.
	{"ISCL", "ISC"},
	// Python. "PSF" is the Python Software Foundation License (version 2, the only one).
	{"PSF", "PSF-2.0"},
	{"PSFL", "PSF-2.0"},
	{"PSF License", "PSF-2.0"},
	{"Python Software Foundation License", "PSF-2.0"},
	{"Python Software Foundation License 2", "PSF-2.0"},
	// Zope: the trove classifier "Zope Public License" names no version; ZPL 2.1 is the one
	// in use since 2003.
	{"Zope Public License", "ZPL-2.1"},
	{"ZPL", "ZPL-2.1"},
	// Perl: "the same terms as Perl itself" is the Perl Artistic licence or GPL 1 or later.
	{"Perl Artistic License", "Artistic-1.0-Perl"},
	{"perl_5", "Artistic-1.0-Perl OR GPL-1.0-or-later"},
	{"Perl 5", "Artistic-1.0-Perl OR GPL-1.0-or-later"},
	{"Same as Perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"},
	// Creative Commons Zero.
	{"CC0", "CC0-1.0"},
	{"CC0 1.0 Universal", "CC0-1.0"},
	{"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"},
	// Others with a single version in use.
	{"Boost", "BSL-1.0"},
	{"Boost Software License", "BSL-1.0"},
	{"zlib/libpng", "Zlib"},
	{"Universal Permissive License", "UPL-1.0"},
	{"UPL", "UPL-1.0"},
	{"IBM Public License", "IPL-1.0"},
	{"Common Development and Distribution License (CDDL) 1.0", "CDDL-1.0"},
	{"Common Development and Distribution License (CDDL) 1.1", "CDDL-1.1"},
	// Debian spellings.
	{"OpenLDAP-2.8", "OLDAP-2.8"},
	{"APACHE-2-LLVM-EXCEPTIONS", "Apache-2.0 WITH LLVM-exception"},
	{"GPLv2 with Classpath exception", "GPL-2.0-only WITH Classpath-exception-2.0"},
	{"GPL2 w/ CPE", "GPL-2.0-only WITH Classpath-exception-2.0"},
}

// foldName reduces a licence name to the form aliases are matched in: lower case, "licence"
// spelled "license", quotes and list punctuation dropped, "version 2"/"v2" reduced to "2", and
// the GNU licence names shortened to gpl, lgpl, agpl and gfdl.
func foldName(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "licence", "license")
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', ';', '"', '\'', '`', '_', '\u2018', '\u2019', '\u201c', '\u201d':
			return ' '
		}
		return r
	}, s)
	in := strings.Fields(s)
	words := in[:0]
	for i, w := range in {
		next := ""
		if i+1 < len(in) {
			next = in[i+1]
		}
		switch {
		case w == "-" || w == "\u2013":
			continue
		case (w == "version" || w == "ver" || w == "ver." || w == "v" || w == "v.") && startsWithDigit(next):
			continue
		case len(w) > 1 && w[0] == 'v' && startsWithDigit(w[1:]):
			w = w[1:]
		}
		words = append(words, w)
	}
	s = " " + strings.Join(words, " ") + " "
	for _, r := range gnuNames {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return strings.TrimSpace(s)
}

// gnuNames shortens the GNU licence names, longest first.
var gnuNames = [][2]string{
	{" gnu library or lesser general public license ", " lgpl "},
	{" gnu lesser general public license ", " lgpl "},
	{" gnu library general public license ", " lgpl "},
	{" gnu affero general public license ", " agpl "},
	{" gnu general public license ", " gpl "},
	{" gnu free documentation license ", " gfdl "},
	{" lesser general public license ", " lgpl "},
	{" library general public license ", " lgpl "},
	{" affero general public license ", " agpl "},
	{" general public license ", " gpl "},
	{" gnu gpl ", " gpl "},
	{" gnu lgpl ", " lgpl "},
	{" gnu agpl ", " agpl "},
	{" gnu fdl ", " gfdl "},
}

func startsWithDigit(s string) bool { return s != "" && '0' <= s[0] && s[0] <= '9' }

// trimName drops a leading "the" and a trailing "license": "The MIT License" is "mit".
func trimName(k string) string {
	k = strings.TrimPrefix(k, "the ")
	k = strings.TrimSuffix(k, " license")
	return strings.TrimSpace(k)
}

// aliasKeys returns the keys to try for p: the whole name, and for "Name (ABBR)" — the trove
// classifier style — the name and then the abbreviation.
func aliasKeys(p string) []string {
	k := foldName(p)
	keys := []string{trimName(k)}
	if strings.HasSuffix(k, ")") {
		if i := strings.LastIndex(k, " ("); i > 0 {
			keys = append(keys, trimName(k[:i]), trimName(k[i+2:len(k)-1]))
		}
	}
	return keys
}

func lookupAlias(p string) (string, bool) {
	if strings.HasPrefix(strings.ToLower(p), "http://") || strings.HasPrefix(strings.ToLower(p), "https://") {
		e, ok := urlTable()[canonURL(p)]
		return e, ok
	}
	for _, k := range aliasKeys(p) {
		if e, ok := lookupKey(k); ok {
			return e, true
		}
	}
	return "", false
}

func lookupKey(k string) (string, bool) {
	if k == "" {
		return "", false
	}
	// "Apache-2.0 License" folds to an identifier. References are case-sensitive in
	// practice, so a folded one is not trusted.
	if !strings.Contains(k, " ") && !strings.HasPrefix(k, "licenseref-") && !strings.HasPrefix(k, "documentref-") {
		if e, ok := resolveID(k); ok {
			return e, true
		}
	}
	if e, ok := nameTable()[k]; ok {
		return e, true
	}
	if e, ok := gnuFamily(k); ok {
		return e, true
	}
	return versioned(k)
}

// gnuVersion matches the GNU family as foldName leaves it: "gpl 2", "gplv2+", "lgpl-2.1 or
// later", "gpl 3 only", and the DEP-5 short names ("GPL-2+", "LGPL-2.1").
var gnuVersion = regexp.MustCompile(`^(gpl|lgpl|agpl|gfdl|fdl)[ -]?v?([0-9]+(?:\.[0-9]+)?)[ -]?(\+|only|or later|or-later|or any later|or any later version|or newer|or greater|and later)?$`)

// gnuFamily maps the GNU licences. Without "or later" a version means that version only, as
// the GNU licences themselves and DEP-5 define it.
func gnuFamily(k string) (string, bool) {
	m := gnuVersion.FindStringSubmatch(k)
	if m == nil {
		return "", false
	}
	family := strings.ToUpper(m[1])
	if family == "FDL" {
		family = "GFDL"
	}
	version := m[2]
	if !strings.Contains(version, ".") {
		version += ".0"
	}
	suffix := "-only"
	if m[3] != "" && m[3] != "only" {
		suffix = "-or-later"
	}
	ok, id := spdxlicenses.IsActiveLicense(family + "-" + version + suffix)
	return id, ok
}

// versionedName matches "<name> <version>" and "<name><version>": "MPL 2.0", "Apache2", "EPL
// v1.0", "CC BY-SA 4.0".
var versionedName = regexp.MustCompile(`^([a-z][a-z0-9 .-]*?[a-z])[ -]?v?([0-9]+(?:\.[0-9]+)*)$`)

// versioned maps "<name> <version>" to the identifier "<name>-<version>" (or
// "<name>-<version>.0") when that is one, with the word "license" dropped from the name.
func versioned(k string) (string, bool) {
	m := versionedName.FindStringSubmatch(k)
	if m == nil {
		return "", false
	}
	var name []string
	for _, w := range strings.Fields(m[1]) {
		if w != "license" {
			name = append(name, w)
		}
	}
	base := strings.Join(name, "-") + "-" + m[2]
	candidates := []string{base}
	if !strings.Contains(m[2], ".") {
		candidates = append(candidates, base+".0")
	}
	for _, c := range candidates {
		if e, ok := resolveID(c); ok {
			return e, true
		}
	}
	return "", false
}

// nameTable maps folded alias keys to expressions: the SPDX License List names, then the
// aliases above (which win). A key that two different licences' names fold to is ambiguous and
// left out.
var nameTable = sync.OnceValue(func() map[string]string {
	t := make(map[string]string, len(spdxNames)+len(aliases))
	ambiguous := make(map[string]bool)
	for _, n := range spdxNames {
		k := trimName(foldName(n.name))
		if prev, ok := t[k]; ok && prev != n.id {
			ambiguous[k] = true
		}
		t[k] = n.id
	}
	for k := range ambiguous {
		delete(t, k)
	}
	for _, a := range aliases {
		t[trimName(foldName(a.alias))] = a.expr
	}
	return t
})

// urlTable maps canonical licence URLs to identifiers; a URL the list gives for more than one
// licence (the GNU pages serve both -only and -or-later) is left out.
var urlTable = sync.OnceValue(func() map[string]string {
	t := make(map[string]string, len(spdxURLs))
	ambiguous := make(map[string]bool)
	for _, u := range spdxURLs {
		k := canonURL(u.url)
		if prev, ok := t[k]; ok && prev != u.id {
			ambiguous[k] = true
		}
		t[k] = u.id
	}
	for k := range ambiguous {
		delete(t, k)
	}
	return t
})

// canonURL reduces a URL to what identifies the licence page: no scheme, no "www.", no
// fragment, no trailing slash or .html/.txt/.php suffix, lower case.
func canonURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u, _, _ = strings.Cut(u, "#")
	u = strings.TrimPrefix(u, "http://")
	u = strings.TrimPrefix(u, "https://")
	u = strings.TrimPrefix(u, "www.")
	u = strings.TrimRight(u, "/")
	for _, ext := range []string{".html", ".htm", ".txt", ".php", ".md"} {
		u = strings.TrimSuffix(u, ext)
	}
	return strings.TrimRight(u, "/")
}
