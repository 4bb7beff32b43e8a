package attest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestParseSpecExamples: the complete statements of the in-toto spec get the verdict of the
// reference implementation (in-toto/attestation's Validate). Most spec examples abbreviate
// their digests ("4faeb1b2...") and are rightly rejected; the others must parse.
func TestParseSpecExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/*-statement.json")
	if len(files) == 0 {
		t.Fatal("no spec examples in testdata")
	}
	accepted := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ref intoto.Statement
			refErr := protojson.Unmarshal(b, &ref)
			if refErr == nil {
				refErr = ref.Validate()
			}
			st, err := Parse(b)
			switch {
			case refErr != nil && err == nil:
				t.Errorf("accepted; the reference rejects it: %v", refErr)
			case refErr == nil && err != nil:
				t.Errorf("rejected (%v); the reference accepts it", err)
			case err == nil:
				accepted++
				if len(st.Subject) == 0 || st.PredicateType == "" {
					t.Errorf("parsed statement lacks subject or predicate type: %+v", st)
				}
			}
		})
	}
	if accepted == 0 {
		t.Error("no spec example parsed; the test proves nothing")
	}
}

func TestNewRoundTrip(t *testing.T) {
	sub, err := FileSubject("app.tar.gz", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	typ, err := PredicateType("cyclonedx")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New([]Subject{sub}, typ, []byte(`{ "bomFormat": "CycloneDX",  "specVersion": "1.6" }`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar.gz","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],"predicateType":"https://cyclonedx.org/bom","predicate":{"bomFormat":"CycloneDX","specVersion":"1.6"}}`
	if d := cmp.Diff(want, string(b)); d != "" {
		t.Errorf("statement (-want +got):\n%s", d)
	}
	st, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Matches("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") || st.Matches("sha256:00") {
		t.Error("Matches does not bind the statement to its subject digest")
	}
}

func TestInvalid(t *testing.T) {
	good := `{"name":"a","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}`
	tests := []struct{ name, doc, want string }{
		{"wrong_type", `{"_type":"https://in-toto.io/Statement/v9","subject":[` + good + `],"predicateType":"https://x.dev/p","predicate":{}}`, "wrong statement type"},
		{"no_subject", `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://x.dev/p","predicate":{}}`, "subject"},
		{"no_digest", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"https://x.dev/p","predicate":{}}`, "digest"},
		{"short_digest", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"abcd"}}],"predicateType":"https://x.dev/p","predicate":{}}`, "sha256"},
		{"upper_hex", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"}}],"predicateType":"https://x.dev/p","predicate":{}}`, "lowercase"},
		{"no_predicate_type", `{"_type":"https://in-toto.io/Statement/v1","subject":[` + good + `],"predicate":{}}`, "predicate type"},
		{"relative_predicate_type", `{"_type":"https://in-toto.io/Statement/v1","subject":[` + good + `],"predicateType":"sbom","predicate":{}}`, "absolute URI"},
		{"predicate_not_object", `{"_type":"https://in-toto.io/Statement/v1","subject":[` + good + `],"predicateType":"https://x.dev/p","predicate":[1]}`, ""},
		{"not_json", `{"_type":`, ""},
		{"truncated", `{"_type":"https://in-toto.io/Statement/v1","subject":[` + good, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestPredicateType(t *testing.T) {
	for in, want := range map[string]string{
		"slsaprovenance": "https://slsa.dev/provenance/v0.2", "slsaprovenance1": "https://slsa.dev/provenance/v1", "SPDX": "https://spdx.dev/Document",
		"openvex": "https://openvex.dev/ns", "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
		"https://example.com/my/predicate/v1": "https://example.com/my/predicate/v1",
	} {
		if got, err := PredicateType(in); err != nil || got != want {
			t.Errorf("PredicateType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "sbom", "/relative/path"} {
		if _, err := PredicateType(bad); !errors.Is(err, ErrPredicateType) {
			t.Errorf("PredicateType(%q) err = %v, want ErrPredicateType", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*-statement.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		// A statement that parses re-encodes into one that parses.
		if _, err := New(st.Subject, st.PredicateType, st.Predicate); err != nil {
			t.Fatalf("re-encoding an accepted statement: %v", err)
		}
	})
}
