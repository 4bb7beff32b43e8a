package license

import (
	"fmt"
	"strings"
	"testing"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	"github.com/google/go-cmp/cmp"
)

type normalized struct {
	Expr string
	OK   bool
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want normalized
	}{
		// SPDX identifiers and expressions pass through, case-fixed.
		{"id", "MIT", normalized{"MIT", true}},
		{"id-lower-case", "apache-2.0", normalized{"Apache-2.0", true}},
		{"id-surrounding-space", "  MIT \t", normalized{"MIT", true}},
		{"or", "MIT OR Apache-2.0", normalized{"MIT OR Apache-2.0", true}},
		{"parenthesised-and", "(MIT AND Zlib)", normalized{"(MIT AND Zlib)", true}},
		{"lower-case-operators", "mit or apache-2.0", normalized{"MIT OR Apache-2.0", true}},
		{"with-exception", "GPL-2.0-only WITH classpath-exception-2.0", normalized{"GPL-2.0-only WITH Classpath-exception-2.0", true}},
		{"with-named-exception", "Apache-2.0 WITH LLVM exception", normalized{"Apache-2.0 WITH LLVM-exception", true}},
		{"nested", "(MIT OR (Apache-2.0 AND BSD-3-Clause))", normalized{"(MIT OR (Apache-2.0 AND BSD-3-Clause))", true}},
		{"plus-non-gnu", "Apache-2.0+", normalized{"Apache-2.0+", true}},
		{"license-ref", "LicenseRef-public-domain", normalized{"LicenseRef-public-domain", true}},
		{"license-ref-case", "licenseref-Acme-1.0", normalized{"LicenseRef-Acme-1.0", true}},
		{"document-ref", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", normalized{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", true}},
		// Deprecated identifiers with an exact replacement are modernised.
		{"deprecated-gpl", "GPL-2.0", normalized{"GPL-2.0-only", true}},
		{"deprecated-gpl-plus", "GPL-2.0+", normalized{"GPL-2.0-or-later", true}},
		{"deprecated-in-expression", "(BSD-3-Clause OR GPL-2.0)", normalized{"(BSD-3-Clause OR GPL-2.0-only)", true}},
		{"deprecated-with-exception", "GPL-2.0-with-classpath-exception", normalized{"GPL-2.0-only WITH Classpath-exception-2.0", true}},
		{"deprecated-kept", "Nunit", normalized{"Nunit", true}},
		// Names and aliases.
		{"apache-2.0-spaced", "Apache 2.0", normalized{"Apache-2.0", true}},
		{"apache-license-2.0", "Apache License 2.0", normalized{"Apache-2.0", true}},
		{"apache-license-version", "Apache License, Version 2.0", normalized{"Apache-2.0", true}},
		{"apache-maven", "The Apache Software License, Version 2.0", normalized{"Apache-2.0", true}},
		{"apache-software-license", "Apache Software License", normalized{"Apache-2.0", true}},
		{"apache2", "Apache2", normalized{"Apache-2.0", true}},
		{"asl-2", "ASL 2", normalized{"Apache-2.0", true}},
		{"mit-license", "MIT License", normalized{"MIT", true}},
		{"mit-licence", "The MIT licence", normalized{"MIT", true}},
		{"mit-classifier", "The MIT License (MIT)", normalized{"MIT", true}},
		{"expat", "Expat (MIT/X11)", normalized{"MIT", true}},
		{"mit-0", "MIT No Attribution License (MIT-0)", normalized{"MIT-0", true}},
		{"bsd-3-clause-license", "BSD 3-Clause License", normalized{"BSD-3-Clause", true}},
		{"bsd-spdx-name", `BSD 3-Clause "New" or "Revised" License`, normalized{"BSD-3-Clause", true}},
		{"modified-bsd", "Modified BSD License", normalized{"BSD-3-Clause", true}},
		{"simplified-bsd", "Simplified BSD", normalized{"BSD-2-Clause", true}},
		{"isc-classifier", "ISC License (ISCL)", normalized{"ISC", true}},
		{"isc-lower", "ISC license", normalized{"ISC", true}},
		{"mpl-2.0", "MPL 2.0", normalized{"MPL-2.0", true}},
		{"mpl-classifier", "Mozilla Public License 2.0 (MPL 2.0)", normalized{"MPL-2.0", true}},
		{"epl-maven", "Eclipse Public License - v 1.0", normalized{"EPL-1.0", true}},
		{"afl-v", "AFLv2.1", normalized{"AFL-2.1", true}},
		{"eupl-licence", "European Union Public Licence 1.2 (EUPL 1.2)", normalized{"EUPL-1.2", true}},
		{"cc-by", "CC BY 4.0", normalized{"CC-BY-4.0", true}},
		{"cc0", "CC0", normalized{"CC0-1.0", true}},
		{"cc0-classifier", "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", normalized{"CC0-1.0", true}},
		{"unlicense", "The Unlicense (Unlicense)", normalized{"Unlicense", true}},
		{"psf", "PSF", normalized{"PSF-2.0", true}},
		{"psf-name", "Python Software Foundation License", normalized{"PSF-2.0", true}},
		{"cnri-classifier", "Python License (CNRI Python License)", normalized{"CNRI-Python", true}},
		{"zope", "Zope Public License", normalized{"ZPL-2.1", true}},
		{"artistic-perl", "Artistic-1.0-Perl", normalized{"Artistic-1.0-Perl", true}},
		{"hpnd-classifier", "Historical Permission Notice and Disclaimer (HPND)", normalized{"HPND", true}},
		{"zlib-classifier", "zlib/libpng License", normalized{"Zlib", true}},
		{"url-apache", "http://www.apache.org/licenses/LICENSE-2.0.txt", normalized{"Apache-2.0", true}},
		{"url-mit", "https://opensource.org/licenses/MIT", normalized{"MIT", true}},
		// The GNU family.
		{"gplv2", "GPLv2", normalized{"GPL-2.0-only", true}},
		{"gplv3-plus", "GPLv3+", normalized{"GPL-3.0-or-later", true}},
		{"dep5-gpl-2-plus", "GPL-2+", normalized{"GPL-2.0-or-later", true}},
		{"lgplv2.1", "LGPLv2.1", normalized{"LGPL-2.1-only", true}},
		{"lgpl-v3", "LGPL v3", normalized{"LGPL-3.0-only", true}},
		{"gpl-v2-or-later", "GPL v2 or later", normalized{"GPL-2.0-or-later", true}},
		{"gpl-spdx-name", "GNU General Public License v2.0 or later", normalized{"GPL-2.0-or-later", true}},
		{"gpl-classifier", "GNU General Public License v2 or later (GPLv2+)", normalized{"GPL-2.0-or-later", true}},
		{"lgpl-classifier", "GNU Lesser General Public License v3 (LGPLv3)", normalized{"LGPL-3.0-only", true}},
		{"agpl-classifier", "GNU Affero General Public License v3 or later (AGPLv3+)", normalized{"AGPL-3.0-or-later", true}},
		{"gfdl", "GFDL-1.3+", normalized{"GFDL-1.3-or-later", true}},
		{"gpl-with-classpath", "GPLv2 with Classpath exception", normalized{"GPL-2.0-only WITH Classpath-exception-2.0", true}},
		// Expressions of names.
		{"names-or", "Apache License 2.0 or MIT License", normalized{"Apache-2.0 OR MIT", true}},
		{"compound-alias-wrapped", "MIT AND perl_5", normalized{"MIT AND (Artistic-1.0-Perl OR GPL-1.0-or-later)", true}},
		// Not mapped: ambiguous, not a licence, or not an expression.
		{"bsd", "BSD", normalized{"BSD", false}},
		{"bsd-license", "BSD License", normalized{"BSD License", false}},
		{"gpl-unversioned", "GNU GPL", normalized{"GNU GPL", false}},
		{"lgpl-classifier-unversioned", "GNU Library or Lesser General Public License (LGPL)", normalized{"GNU Library or Lesser General Public License (LGPL)", false}},
		{"apache-unversioned", "Apache License", normalized{"Apache License", false}},
		{"artistic-unversioned", "Artistic License", normalized{"Artistic License", false}},
		{"mit-x11", "MIT/X11", normalized{"MIT/X11", false}},
		{"public-domain", "Public Domain", normalized{"Public Domain", false}},
		{"unlicensed", "UNLICENSED", normalized{"UNLICENSED", false}},
		{"see-license-in", "SEE LICENSE IN LICENSE.md", normalized{"SEE LICENSE IN LICENSE.md", false}},
		{"noassertion", "NOASSERTION", normalized{"NOASSERTION", false}},
		{"empty", "", normalized{"", false}},
		{"space", "   ", normalized{"   ", false}},
		{"exception-alone", "Classpath-exception-2.0", normalized{"Classpath-exception-2.0", false}},
		{"dangling-operator", "MIT OR", normalized{"MIT OR", false}},
		{"unbalanced", "(MIT OR Apache-2.0", normalized{"(MIT OR Apache-2.0", false}},
		{"plus-on-only", "GPL-2.0-only+", normalized{"GPL-2.0-only+", false}},
		{"plus-on-ref", "LicenseRef-x+", normalized{"LicenseRef-x+", false}},
		{"multi-line-text", "MIT License\n\nPermission is hereby granted", normalized{"MIT License\n\nPermission is hereby granted", false}},
		{"too-long", strings.Repeat("MIT OR ", 200) + "MIT", normalized{strings.Repeat("MIT OR ", 200) + "MIT", false}},
		{"invalid-utf8", "MIT\xff", normalized{"MIT\xff", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, ok := Normalize(tt.in)
			if diff := cmp.Diff(tt.want, normalized{expr, ok}); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if ok {
				checkNormalized(t, expr)
			}
		})
	}
}

// checkNormalized asserts the guarantees of an ok result: go-spdx accepts it and it is a fixed
// point of Normalize.
func checkNormalized(t *testing.T, expr string) {
	t.Helper()
	if ok, bad := spdxexp.ValidateLicenses([]string{expr}); !ok {
		t.Errorf("go-spdx rejects %q: %v", expr, bad)
	}
	if again, ok := Normalize(expr); !ok || again != expr {
		t.Errorf("Normalize(%q) = %q, %v; want it unchanged", expr, again, ok)
	}
}

// TestAliases checks every hand-written alias maps to its expression, which must be valid and
// normalised.
func TestAliases(t *testing.T) {
	for _, a := range aliases {
		t.Run(strings.ReplaceAll(a.alias, " ", "_"), func(t *testing.T) {
			got, ok := Normalize(a.alias)
			if !ok || got != a.expr {
				t.Errorf("Normalize(%q) = %q, %v; want %q", a.alias, got, ok, a.expr)
			}
			checkNormalized(t, a.expr)
		})
	}
}

// TestSPDXNames checks every name in the generated table maps back to its own identifier: no
// two names fold together, and no alias shadows a name.
func TestSPDXNames(t *testing.T) {
	for _, n := range spdxNames {
		if ok, _ := spdxlicenses.IsActiveLicense(n.id); !ok {
			continue // added to the list after the go-spdx release in use
		}
		if got, ok := Normalize(n.name); !ok || got != n.id {
			t.Errorf("Normalize(%q) = %q, %v; want %q", n.name, got, ok, n.id)
		}
	}
}

func TestSPDXIdentifiers(t *testing.T) {
	for _, id := range spdxlicenses.GetLicenses() {
		for _, in := range []string{id, strings.ToLower(id), strings.ToUpper(id)} {
			if got, ok := Normalize(in); !ok || got != id {
				t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, id)
			}
		}
	}
	for _, id := range spdxlicenses.GetDeprecated() {
		got, ok := Normalize(id)
		if !ok {
			t.Errorf("Normalize(%q) failed for a deprecated identifier", id)
			continue
		}
		checkNormalized(t, got)
	}
}

func TestDeprecatedReplacements(t *testing.T) {
	for from, to := range deprecatedReplacement {
		if ok, _ := spdxlicenses.IsDeprecatedLicense(from); !ok {
			t.Errorf("%q is not a deprecated identifier", from)
		}
		checkNormalized(t, to)
	}
}

func TestURLTable(t *testing.T) {
	for _, u := range spdxURLs {
		id, ok := urlTable()[canonURL(u.url)]
		if !ok {
			continue // shared by several licences
		}
		if id != u.id {
			t.Errorf("%s maps to %s, want %s", u.url, id, u.id)
		}
	}
	if spdxNamesListVersion == "" {
		t.Error("generated table has no list version")
	}
}

func ExampleNormalize() {
	for _, s := range []string{"Apache 2.0", "MIT License", "GPL-2+", "(MIT OR Apache-2.0)", "BSD"} {
		expr, ok := Normalize(s)
		fmt.Printf("%q → %q %v\n", s, expr, ok)
	}
	// Output:
	// "Apache 2.0" → "Apache-2.0" true
	// "MIT License" → "MIT" true
	// "GPL-2+" → "GPL-2.0-or-later" true
	// "(MIT OR Apache-2.0)" → "(MIT OR Apache-2.0)" true
	// "BSD" → "BSD" false
}
