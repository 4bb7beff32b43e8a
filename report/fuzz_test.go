package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/match"
)

// FuzzReadJSON checks that ReadJSON never panics, and that whatever it accepts is a result
// every handler can render and that survives another JSON round trip byte for byte.
func FuzzReadJSON(f *testing.F) {
	// Small seeds: the fuzzer's input minimisation crawls on the 70 kB golden documents.
	data, err := os.ReadFile(filepath.Join("testdata", "golden", "empty.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	small := fullResult(f)
	small.Findings = []*match.Finding{small.Findings[0], small.Findings[8], small.Findings[9]}
	for _, fd := range small.Findings {
		for _, a := range fd.Advisories {
			a.Details = ""
			for i := range a.Affected {
				a.Affected[i].Versions, a.Affected[i].Imports = nil, nil
			}
		}
	}
	small.Inventory.Packages = small.Inventory.Packages[:3]
	small.Inventory.Relationships = nil
	var buf bytes.Buffer
	if err := Write(&buf, small, Options{Format: "json"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema_version":"1","subject":{},"db":{},"findings":[]}`))
	f.Add([]byte(`{"schema_version":"1","subject":{},"db":{},"findings":[{"id":"X","ids":["X"],"package":{"name":"p"},"severity":{"level":"LOW"},"priority":{}}],"upgrades":[{"package":{"name":"p"},"findings":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		opts := Options{Format: "json", ToolName: "hallmark", ToolVersion: "fuzz"}
		var first bytes.Buffer
		if err := Write(&first, res, opts); err != nil {
			t.Fatalf("accepted document does not render as JSON: %v", err)
		}
		back, err := ReadJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("rendered JSON is not accepted: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := Write(&second, back, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("JSON round trip is not stable:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
		for _, format := range []string{"table", "sarif", "cyclonedx-json"} {
			opts.Format = format
			// cyclonedx-json may refuse (no inventory, packages without ids); it must not panic.
			_ = Write(&bytes.Buffer{}, res, opts)
		}
	})
}
