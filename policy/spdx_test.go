package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLicense(t *testing.T) {
	mit, apache, bsd := LicenseTerm{License: "MIT"}, LicenseTerm{License: "Apache-2.0"}, LicenseTerm{License: "BSD-3-Clause"}
	tests := []struct {
		in      string
		str     string
		choices [][]LicenseTerm
	}{
		{"MIT", "MIT", [][]LicenseTerm{{mit}}},
		{"mit", "MIT", [][]LicenseTerm{{mit}}},
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0", [][]LicenseTerm{{mit}, {apache}}},
		{"MIT AND Apache-2.0", "MIT AND Apache-2.0", [][]LicenseTerm{{mit, apache}}},
		// AND binds tighter than OR (SPDX 2.3 Annex D.4).
		{"MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR Apache-2.0 AND BSD-3-Clause", [][]LicenseTerm{{mit}, {apache, bsd}}},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause", [][]LicenseTerm{{mit, bsd}, {apache, bsd}}},
		{"mit or apache-2.0", "MIT OR Apache-2.0", [][]LicenseTerm{{mit}, {apache}}},
		{"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", [][]LicenseTerm{{{License: "GPL-2.0-only", Exception: "Classpath-exception-2.0"}}}},
		{"GPL-2.0+", "GPL-2.0+", [][]LicenseTerm{{{License: "GPL-2.0", OrLater: true}}}},
		{"LGPL-2.1-or-later", "LGPL-2.1-or-later", [][]LicenseTerm{{{License: "LGPL-2.1-or-later"}}}},
		{"LicenseRef-acme-eula OR MIT", "LicenseRef-acme-eula OR MIT", [][]LicenseTerm{{{License: "LicenseRef-acme-eula"}}, {mit}}},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", [][]LicenseTerm{{{License: "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"}}}},
		{"MIT AND MIT", "MIT AND MIT", [][]LicenseTerm{{mit}}},
		{"((MIT))", "MIT", [][]LicenseTerm{{mit}}},
		{"(MIT OR Apache-2.0) AND (MIT OR BSD-3-Clause)", "(MIT OR Apache-2.0) AND (MIT OR BSD-3-Clause)", [][]LicenseTerm{{mit}, {mit, bsd}, {apache, mit}, {apache, bsd}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := ParseLicense(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			if diff := cmp.Diff(tc.choices, e.Choices()); diff != "" {
				t.Errorf("Choices() (-want +got):\n%s", diff)
			}
			// The rendering parses back to the same choices.
			again, err := ParseLicense(e.String())
			if err != nil || !cmp.Equal(again.Choices(), e.Choices()) {
				t.Errorf("round trip of %q: %v %v", e.String(), again, err)
			}
		})
	}
}

func TestParseLicenseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"BSD", `"BSD" at offset 0 is not an SPDX licence identifier`},
		{"MIT OR", "unexpected end"},
		{"OR MIT", `expected a licence at offset 0, found "OR"`},
		{"MIT Apache-2.0", `unexpected "Apache-2.0" at offset 4`},
		{"(MIT", "unclosed parenthesis at offset 0"},
		{"MIT)", `unexpected ")" at offset 3`},
		{"MIT WITH", "names no exception"},
		{"MIT WITH Nonsense-exception", "not an SPDX licence exception"},
		{"MIT/Apache", `unexpected character '/' at offset 3`},
		{"LicenseRef-", "malformed licence reference"},
		{"Foo:LicenseRef-x", "is not a licence identifier"},
		{"GPL-2.0++", "not a licence identifier"},
		{"+", "not a licence identifier"},
		{strings.Repeat("(", 70) + "MIT" + strings.Repeat(")", 70), "nested deeper than 64"},
		{strings.Repeat("x", 5000), "longer than 4096 bytes"},
		{strings.Repeat("(MIT OR Apache-2.0) AND ", 9) + "MIT", "more than 256 alternative"},
	}
	for _, tc := range tests {
		name := tc.in
		if len(name) > 30 {
			name = name[:30]
		}
		t.Run(name, func(t *testing.T) {
			_, err := ParseLicense(tc.in)
			if !errors.Is(err, ErrLicense) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrLicense containing %q", err, tc.want)
			}
		})
	}
}

func ExampleParseLicense() {
	e, err := ParseLicense("MIT OR (Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0)")
	if err != nil {
		panic(err)
	}
	for _, choice := range e.Choices() {
		fmt.Println(choice)
	}
	// Output:
	// [MIT]
	// [Apache-2.0 GPL-2.0-only WITH Classpath-exception-2.0]
}

func FuzzParseLicense(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR Apache-2.0 AND BSD-3-Clause", "(GPL-2.0+ WITH Classpath-exception-2.0)", "LicenseRef-x", "((", "MIT AND"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseLicense(s)
		if err != nil {
			if !errors.Is(err, ErrLicense) {
				t.Fatalf("error %v is not ErrLicense", err)
			}
			return
		}
		choices := e.Choices()
		if len(choices) == 0 || len(choices) > maxLicenseChoices {
			t.Fatalf("%q: %d choices", s, len(choices))
		}
		again, err := ParseLicense(e.String())
		if err != nil {
			t.Fatalf("%q renders as %q, which does not parse: %v", s, e.String(), err)
		}
		if !cmp.Equal(again.Choices(), choices) {
			t.Fatalf("%q: choices changed through %q", s, e.String())
		}
	})
}
