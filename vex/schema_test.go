package vex

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sharedTestdata holds the official schemas, too large to copy here (see PROVENANCE.md).
const sharedTestdata = "../../shared/testdata"

// TestInputsMatchOfficialSchemas checks that the documents hallmark's tests read are valid
// instances of their format, so that decoding them tests real-world shapes: the hand-written
// CycloneDX and CSAF documents against the official schemas, the OpenVEX examples against the
// OpenVEX schema.
func TestInputsMatchOfficialSchemas(t *testing.T) {
	if _, err := os.Stat(sharedTestdata); err != nil {
		t.Skipf("skipping: the shared schemas are not at %s (%v)", sharedTestdata, err)
	}
	csaf := filepath.Join(sharedTestdata, "csaf/csaf_2.0")
	cdx := filepath.Join(sharedTestdata, "cyclonedx/schema")
	tests := []struct {
		name      string
		schema    string
		resources map[string]string // URL → file, for $refs
		files     []string
	}{
		{"csaf", "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", map[string]string{
			"https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json": filepath.Join(csaf, "json_schema/csaf_json_schema.json"),
			"https://www.first.org/cvss/cvss-v2.0.json":                        filepath.Join(csaf, "referenced_schema/first/cvss-v2.0.json"),
			"https://www.first.org/cvss/cvss-v3.0.json":                        filepath.Join(csaf, "referenced_schema/first/cvss-v3.0.json"),
			"https://www.first.org/cvss/cvss-v3.1.json":                        filepath.Join(csaf, "referenced_schema/first/cvss-v3.1.json"),
		}, []string{"csaf/relationships.json", "csaf/sec-vex-2022-0001.json", "csaf/2022-evd-uc-03-ms-001.json"}},
		{"cyclonedx", "http://cyclonedx.org/schema/bom-1.6.schema.json", map[string]string{
			"http://cyclonedx.org/schema/bom-1.6.schema.json":  filepath.Join(cdx, "bom-1.6.schema.json"),
			"http://cyclonedx.org/schema/spdx.schema.json":     filepath.Join(cdx, "spdx.schema.json"),
			"http://cyclonedx.org/schema/jsf-0.82.schema.json": filepath.Join(cdx, "jsf-0.82.schema.json"),
		}, []string{"cyclonedx/standalone-vex.json", "cyclonedx/valid-vulnerability-1.6.json"}},
		{"openvex", "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json", map[string]string{
			"https://github.com/openvex/spec/openvex_json_schema_0.2.0.json": "testdata/schema/openvex_json_schema.json",
		}, []string{"openvex/fixed-single-statement.json", "openvex/under-investigation.json", "openvex/vex-v0.2.0.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := jsonschema.NewCompiler()
			c.AssertFormat()
			for url, file := range tc.resources {
				if err := c.AddResource(url, readJSON(t, file)); err != nil {
					t.Fatal(err)
				}
			}
			s, err := c.Compile(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if err := s.Validate(readJSON(t, filepath.Join("testdata", f))); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
