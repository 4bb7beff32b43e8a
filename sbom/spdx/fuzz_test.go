package spdx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
)

// FuzzDecodeSPDX feeds arbitrary bytes, JSON or tag-value, to Decode. Besides never panicking,
// whatever decodes must encode to a schema-valid document that decodes to the same inventory.
// Seeds: syft's SPDX documents (2.2 and 2.3, JSON and tag-value), hallmark's own output, small
// tag-value documents, and testdata/fuzz/FuzzDecodeSPDX.
func FuzzDecodeSPDX(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(sbomtest.Dir(), "foreign", "*.spdx*"))
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
	var b bytes.Buffer
	if err := Encode(&b, sbomtest.Rich(), Options{Timestamp: ts}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nDocumentComment: <text>a\nb</text>\n" +
		"PackageName: p\nSPDXID: SPDXRef-p\nPackageSupplier: Organization: O \"q\"\nExternalRef: PACKAGE_MANAGER purl pkg:npm/p@1\n" +
		"PackageLicenseDeclared: MIT AND LicenseRef-x\nLicenseID: LicenseRef-x\nExtractedText: <text>x</text>\nLicenseName: X\n" +
		"Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-p\nAnnotator: Tool: t\nAnnotationDate: 2020-01-01T00:00:00Z\n" +
		"AnnotationType: OTHER\nSPDXREF: SPDXRef-p\nAnnotationComment: hallmark:scope=direct\n"))

	f.Fuzz(func(t *testing.T, doc []byte) {
		inv, err := Decode(bytes.NewReader(doc))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, inv, Options{Timestamp: ts}); err != nil {
			t.Fatalf("a decoded inventory does not encode: %v", err)
		}
		if err := sbomtest.ValidateSPDX(out.Bytes()); err != nil {
			t.Fatalf("re-encoded document is not schema-valid: %v\n%s", err, out.Bytes())
		}
		checkSemantics(t, out.Bytes())
		again, err := Decode(&out)
		if err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
		if diff := cmp.Diff(inv, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("decode → encode → decode changed the inventory (-first +second):\n%s", diff)
		}
	})
}
