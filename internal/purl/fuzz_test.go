package purl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that its canonical form is a
// fixed point: whenever Parse(s) succeeds, Parse(p.String()) succeeds and
// gives the same PURL and the same String. It also checks that New, given
// the parsed components, builds the same PURL. The seed corpus is every purl
// string of the conformance suite plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, cases := range loadSuite(f) {
		for _, c := range cases {
			for _, raw := range []json.RawMessage{c.Input, c.ExpectedOutput} {
				var s string
				if json.Unmarshal(raw, &s) == nil && s != "" {
					f.Add(s)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		canon := p.String()
		q, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, but Parse(%q): %v", s, canon, canon, err)
		}
		if diff := cmp.Diff(p, q, cmpPURL); diff != "" {
			t.Errorf("Parse(%q) and Parse(%q) differ (-first +second):\n%s", s, canon, diff)
		}
		if again := q.String(); again != canon {
			t.Errorf("canonical form not stable: Parse(%q).String() = %q, then %q", s, canon, again)
		}

		// New strips leading and trailing '/' from the name (how to
		// build, step "Strip the name"); Parse keeps a decoded "%2F".
		if strings.HasPrefix(p.Name, "/") || strings.HasSuffix(p.Name, "/") {
			return
		}
		qs := make(map[string]string, len(p.Qualifiers))
		for _, q := range p.Qualifiers {
			qs[q.Key] = q.Value
		}
		built, err := New(p.Type, p.Namespace, p.Name, p.Version, qs, p.Subpath)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v, but New with its components: %v", s, p, err)
		}
		if diff := cmp.Diff(p, built, cmpPURL); diff != "" {
			t.Errorf("Parse(%q) and New with its components differ (-Parse +New):\n%s", s, diff)
		}
	})
}
