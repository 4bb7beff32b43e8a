package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const foreignSBOMs = "../sbom/testdata/foreign"

func TestReadSBOMMetadata(t *testing.T) {
	if _, err := os.Stat(foreignSBOMs); err != nil {
		t.Skipf("the sbom room's foreign SBOM fixtures are not available: %v", err)
	}
	exact := map[string]SBOMMetadata{
		"syft-npm-go.cdx14.json":  {Format: "cyclonedx-json", Author: "anchore syft", Timestamp: ts("2026-11-24T00:55:55Z")},
		"syft-npm-go.cdx16.json":  {Format: "cyclonedx-json", Author: "syft", Timestamp: ts("2026-11-24T00:55:41Z")},
		"syft-npm-go.cdx16.xml":   {Format: "cyclonedx-xml", Author: "syft", Timestamp: ts("2026-11-24T00:56:18Z")},
		"syft-npm-go.spdx23.spdx": {Format: "spdx-tag-value", Author: "Anchore, Inc", Timestamp: ts("2026-11-24T00:56:53Z")},
	}
	files, err := filepath.Glob(filepath.Join(foreignSBOMs, "*-*.*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".md") || strings.HasSuffix(f, ".sh") {
			continue
		}
		n++
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ReadSBOMMetadata(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if m.Author == "" || m.Timestamp == nil || m.Format == "" {
			t.Errorf("%s: %+v", filepath.Base(f), m)
		}
		if want, ok := exact[filepath.Base(f)]; ok && (m.Author != want.Author || m.Format != want.Format || !m.Timestamp.Equal(*want.Timestamp)) {
			t.Errorf("%s: got %+v %v, want %+v %v", filepath.Base(f), m, m.Timestamp, want, want.Timestamp)
		}
	}
	if n < 10 {
		t.Errorf("read only %d foreign SBOMs", n)
	}
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestReadSBOMMetadataErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"not": "an sbom"}`, "not an SBOM format"},
		{`{"bomFormat": "CycloneDX", "metadata": {"timestamp": "yesterday"}}`, `timestamp "yesterday" is not RFC 3339`},
		{`{"bomFormat": "CycloneDX", "metadata": {"tools": 3}}`, ""},
		{`{"bomFormat": "CycloneDX", "metadata": {"tools": [1]}}`, "metadata.tools"},
		{`{"spdxVersion": "SPDX-2.3", "creationInfo": {"creators": "Tool: x"}}`, "spdx-json"},
	}
	for _, tc := range tests {
		m, err := ReadSBOMMetadata([]byte(tc.doc))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.doc, err)
			}
			continue
		}
		if !errors.Is(err, ErrSBOMMetadata) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %+v, err = %v, want %q", tc.doc, m, err, tc.want)
		}
	}
}

func FuzzReadSBOMMetadata(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","metadata":{"timestamp":"2024-01-01T00:00:00Z","authors":[{"name":"a"}],"tools":{"components":[{"name":"t"}]}}}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x","Person: y"]}}`))
	f.Add([]byte("SPDXVersion: SPDX-2.3\nCreator: Tool: x\nCreated: 2024-01-01T00:00:00Z\nPackageName: p\n"))
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><timestamp>2024-01-01T00:00:00Z</timestamp></metadata></bom>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadSBOMMetadata(b)
		if err != nil && !errors.Is(err, ErrSBOMMetadata) {
			t.Fatalf("error %v is not ErrSBOMMetadata", err)
		}
		if err == nil && m.Format == "" {
			t.Fatalf("no format for a document that read")
		}
	})
}
