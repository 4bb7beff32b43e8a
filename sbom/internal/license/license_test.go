package license

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpression(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"id", "MIT", "MIT", true},
		{"id-odd-case", "apache-2.0", "Apache-2.0", true},
		{"deprecated-id", "GPL-2.0", "GPL-2.0", true},
		{"or", "MIT OR Apache-2.0", "MIT OR Apache-2.0", true},
		{"nested", "MIT AND (BSD-3-Clause OR Apache-2.0)", "MIT AND (BSD-3-Clause OR Apache-2.0)", true},
		{"with", "GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", true},
		{"licenseref", "LicenseRef-acme", "LicenseRef-acme", true},
		{"documentref", "DocumentRef-other:LicenseRef-x", "DocumentRef-other:LicenseRef-x", true},
		{"free-text", "Custom License", "", false},
		{"lowercase-operator", "MIT and Apache-2.0", "", false},
		{"dangling-operator", "MIT OR", "", false},
		{"unknown-id", "NOT-A-LICENSE-1.0", "", false},
		{"newline", "MIT\nApache-2.0", "", false},
		{"empty", "  ", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Expression(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Expression(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRefID(t *testing.T) {
	idstring := regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.-]+$`)
	seen := map[string]string{}
	for _, text := range []string{
		"Custom License", "Custom  License", "custom license", "", "!!!", "日本語のライセンス",
		"Proprietary (c) Example Corp, see <https://example.com/eula> and a very long tail of words",
	} {
		id := RefID(text)
		if !idstring.MatchString(id) {
			t.Errorf("RefID(%q) = %q, not a LicenseRef idstring", text, id)
		}
		if len(id) > len("LicenseRef-")+40+1+8 {
			t.Errorf("RefID(%q) = %q is too long", text, id)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("RefID(%q) = RefID(%q) = %q", text, prev, id)
		}
		seen[id] = text
		if RefID(text) != id {
			t.Errorf("RefID(%q) is not stable", text)
		}
	}
}

func TestRefs(t *testing.T) {
	got := Refs("(MIT OR LicenseRef-a) AND LicenseRef-b.2 AND DocumentRef-d:LicenseRef-c")
	if diff := cmp.Diff([]string{"LicenseRef-a", "LicenseRef-b.2"}, got); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
}
