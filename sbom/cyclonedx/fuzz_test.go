package cyclonedx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
)

// FuzzDecodeCycloneDX feeds arbitrary bytes to Decode. Besides never panicking, whatever decodes
// must encode to a schema-valid BOM that decodes to the same inventory. Seeds: every CycloneDX
// document in testdata (syft's in all versions, the specification's examples), hallmark's own
// output in JSON and XML, and testdata/fuzz/FuzzDecodeCycloneDX.
func FuzzDecodeCycloneDX(f *testing.F) {
	for _, pattern := range []string{"foreign/*.cdx*", "cyclonedx-examples/*.json"} {
		files, err := filepath.Glob(filepath.Join(sbomtest.Dir(), pattern))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, xml := range []bool{false, true} {
		var b bytes.Buffer
		if err := Encode(&b, sbomtest.Rich(), Options{XML: xml, Timestamp: ts}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[{"type":"library","name":"a","bom-ref":"a","components":[{"type":"library","name":"b","bom-ref":"b"}]}],"dependencies":[{"ref":"a","dependsOn":["b"]}]}`))

	f.Fuzz(func(t *testing.T, doc []byte) {
		inv, err := Decode(bytes.NewReader(doc))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, inv, Options{Timestamp: ts}); err != nil {
			t.Fatalf("a decoded inventory does not encode: %v", err)
		}
		if err := sbomtest.ValidateCycloneDX(out.Bytes()); err != nil {
			t.Fatalf("re-encoded BOM is not schema-valid: %v\n%s", err, out.Bytes())
		}
		again, err := Decode(&out)
		if err != nil {
			t.Fatalf("re-encoded BOM does not decode: %v", err)
		}
		if diff := cmp.Diff(inv, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decode → encode → decode changed the inventory (-first +second):\n%s", diff)
		}
	})
}
