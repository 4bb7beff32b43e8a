package sbomtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The validators must reject what is invalid, or every "valid" in the room's tests means
// nothing.
func TestValidatorsReject(t *testing.T) {
	for _, tc := range []struct {
		name     string
		validate func([]byte) error
		doc      string
	}{
		{"cyclonedx-missing-bomformat", ValidateCycloneDX, `{"specVersion":"1.6"}`},
		{"cyclonedx-bad-hash", ValidateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","hashes":[{"alg":"SHA-256","content":"xyz"}]}]}`},
		{"cyclonedx-bad-license-id", ValidateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","licenses":[{"license":{"id":"Not-A-Licence"}}]}]}`},
		{"cyclonedx-bad-timestamp", ValidateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"yesterday"}}`},
		{"spdx-missing-namespace", ValidateSPDX, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","creationInfo":{"creators":["Tool: t"],"created":"2020-01-01T00:00:00Z"}}`},
		{"spdx-bad-purpose", ValidateSPDX, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://x","creationInfo":{"creators":["Tool: t"],"created":"2020-01-01T00:00:00Z"},"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NONE","primaryPackagePurpose":"OPERATING-SYSTEM"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.validate([]byte(tc.doc)); err == nil {
				t.Errorf("accepted %s", tc.doc)
			}
		})
	}
	t.Run("cyclonedx-xml-unknown-element", func(t *testing.T) {
		err := ValidateCycloneDXXML([]byte(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><nonsense/></bom>`))
		if errors.Is(err, ErrNoXMLLint) {
			t.Skip(err)
		}
		if err == nil {
			t.Error("accepted an unknown element")
		}
	})
}

// TestCycloneDXSpecTests checks the JSON validator against the specification's own 1.6 test
// BOMs: valid-* pass, invalid-* fail. The JSF-signed ones are left out: the JSF schema's
// oneOf rejects them in any strict validator (shared/testdata/cyclonedx/PROVENANCE.md).
func TestCycloneDXSpecTests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(Shared(t), "cyclonedx", "tests", "1.6", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test BOMs: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.Contains(name, "signatures") || strings.Contains(name, "attestation") || strings.Contains(name, "valid-standard") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateCycloneDX(b)
			if strings.HasPrefix(name, "valid-") && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if strings.HasPrefix(name, "invalid-") && err == nil {
				t.Error("accepted")
			}
		})
	}
}
