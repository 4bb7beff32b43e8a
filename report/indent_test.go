package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// standardIndent is what encodeIndented must reproduce.
func standardIndent(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEncodeIndentedMatchesStandard(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	files2, _ := filepath.Glob("testdata/golden/*.sarif")
	files = append(files, files2...)
	if len(files) == 0 {
		t.Fatal("no golden JSON files to compare with")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			continue // not a JSON golden
		}
		got, err := encodeIndented(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := standardIndent(t, v); !bytes.Equal(got, want) {
			t.Errorf("%s: encodeIndented differs from json.Encoder.SetIndent", f)
		}
	}
}

func FuzzEncodeIndented(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{},[],"x\"y\\",{"b":null}]}`, `"s\\"`, `{"k":"{[,:]}"}`, `[[[]]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		got, err := encodeIndented(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := standardIndent(t, v); !bytes.Equal(got, want) {
			t.Errorf("input %q:\ngot  %q\nwant %q", s, got, want)
		}
	})
}
