package cyclonedx

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
)

var update = flag.Bool("update", false, "rewrite licenseids.txt from testdata/schema/spdx.schema.json")

var ts = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// encode encodes inv and checks the output against the official schema (JSON) or XSD (XML).
func encode(t *testing.T, inv *inventory.Inventory, opts Options) []byte {
	t.Helper()
	if opts.Timestamp.IsZero() {
		opts.Timestamp = ts
	}
	var b bytes.Buffer
	if err := Encode(&b, inv, opts); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if opts.XML {
		err := sbomtest.ValidateCycloneDXXML(b.Bytes())
		if errors.Is(err, sbomtest.ErrNoXMLLint) {
			t.Logf("not checked against the XSD: %v (decoded back instead)", err)
		} else if err != nil {
			t.Fatalf("XML output is not valid against bom-1.6.xsd: %v\n%s", err, b.Bytes())
		}
	} else if err := sbomtest.ValidateCycloneDX(b.Bytes()); err != nil {
		t.Fatalf("JSON output is not valid against bom-1.6.schema.json: %v\n%s", err, b.Bytes())
	}
	return b.Bytes()
}

func decode(t *testing.T, b []byte) *inventory.Inventory {
	t.Helper()
	inv, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return inv
}

// TestRoundTrip checks that every inventory field survives Encode then Decode, in JSON and
// XML. CycloneDX carries all of them; nothing is ignored in the comparison.
func TestRoundTrip(t *testing.T) {
	empty := &inventory.Inventory{}
	onlySubject := &inventory.Inventory{Subject: inventory.Subject{Kind: inventory.KindDirectory, Name: "src", Digest: "sha256:" + strings.Repeat("ab", 32)}}
	oddSubject := &inventory.Inventory{Subject: inventory.Subject{Kind: inventory.KindSBOM, Name: "bom.json", Digest: "blake9:xyz"}}
	partialNoDetail := &inventory.Inventory{Errors: []inventory.FileError{{Path: "a", Message: "b"}}}
	for _, tc := range []struct {
		name string
		inv  *inventory.Inventory
	}{
		{"rich", sbomtest.Rich()},
		{"empty", empty},
		{"subject-only", onlySubject},
		{"odd-subject-digest", oddSubject},
		{"errors-only", partialNoDetail},
	} {
		for _, xml := range []bool{false, true} {
			name := tc.name + "/json"
			if xml {
				name = tc.name + "/xml"
			}
			t.Run(name, func(t *testing.T) {
				b := encode(t, tc.inv, Options{XML: xml})
				got := decode(t, b)
				if diff := cmp.Diff(tc.inv, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("round trip changed the inventory (-want +got):\n%s\n%s", diff, b)
				}
			})
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := encode(t, sbomtest.Rich(), Options{})
	b := encode(t, sbomtest.Rich(), Options{})
	if !bytes.Equal(a, b) {
		t.Fatalf("two encodings of the same inventory differ:\n%s\n%s", a, b)
	}
	ax := encode(t, sbomtest.Rich(), Options{XML: true})
	bx := encode(t, sbomtest.Rich(), Options{XML: true})
	if !bytes.Equal(ax, bx) {
		t.Fatal("two XML encodings of the same inventory differ")
	}

	serial := func(b []byte) string {
		var bom struct {
			SerialNumber string `json:"serialNumber"`
		}
		if err := json.Unmarshal(b, &bom); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
			t.Errorf("serialNumber %q is not a version-5 urn:uuid", bom.SerialNumber)
		}
		return bom.SerialNumber
	}
	other := sbomtest.Rich()
	other.Packages[0].Version += "-1"
	later := encode(t, sbomtest.Rich(), Options{Timestamp: ts.Add(time.Second)})
	seen := map[string]string{}
	for name, doc := range map[string][]byte{"rich": a, "changed-package": encode(t, other, Options{}), "later": later} {
		s := serial(doc)
		if prev, dup := seen[s]; dup {
			t.Errorf("%s and %s have the same serial number %s", prev, name, s)
		}
		seen[s] = name
	}
	if !bytes.Contains(ax, []byte(serial(a))) {
		t.Error("XML and JSON encodings of one inventory have different serial numbers")
	}
}

// TestNTIA checks the NTIA minimum elements in the encoded document itself.
func TestNTIA(t *testing.T) {
	inv := sbomtest.Rich()
	b := encode(t, inv, Options{ToolVersion: "v9.9.9"})
	var bom cdx.BOM
	if err := json.Unmarshal(b, &bom); err != nil {
		t.Fatal(err)
	}
	m := bom.Metadata
	if m.Timestamp != "2026-03-14T14:09:26Z" {
		t.Errorf("timestamp = %q, want UTC seconds", m.Timestamp)
	}
	tools := *m.Tools.Components
	if len(tools) != 1 || tools[0].Name != "hallmark" || tools[0].Version != "v9.9.9" || tools[0].Supplier == nil || tools[0].Supplier.Name != "hallmark project" {
		t.Errorf("metadata.tools.components = %+v, want hallmark v9.9.9 supplied by hallmark project", tools)
	}
	if c := m.Component; c.BOMRef != "subject" || c.Type != cdx.ComponentTypeContainer || len(*c.Hashes) != 1 || (*c.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 {
		t.Errorf("metadata.component = %+v, want the subject: container with a SHA-256 hash", c)
	}
	deps := map[string]bool{}
	for _, d := range *bom.Dependencies {
		deps[d.Ref] = true
	}
	for _, c := range *bom.Components {
		if c.Type != cdx.ComponentTypeOS && c.PackageURL == "" && c.Name != "vendored-helper" {
			t.Errorf("component %s has no purl", c.Name)
		}
		if !deps[c.BOMRef] {
			t.Errorf("component %s has no dependencies entry", c.BOMRef)
		}
		if c.Name == "web" && (c.Supplier == nil || c.Supplier.Name != "Example Corp") {
			t.Errorf("component web: supplier = %+v", c.Supplier)
		}
	}
	if !deps["subject"] {
		t.Error("the subject has no dependencies entry")
	}
}

func TestLicenses(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want string // JSON of licenses
	}{
		{"one-id", []string{"MIT"}, `[{"expression":"MIT"}]`},
		{"one-expression", []string{"Apache-2.0 OR MIT"}, `[{"expression":"Apache-2.0 OR MIT"}]`},
		{"one-name", []string{"Commercial"}, `[{"license":{"name":"Commercial"}}]`},
		{"several", []string{"BSD-2-Clause", "GPL-2.0-only OR MIT", "Custom"}, `[{"license":{"id":"BSD-2-Clause"}},{"license":{"name":"GPL-2.0-only OR MIT"}},{"license":{"name":"Custom"}}]`},
		{"id-in-odd-case", []string{"mit", "Zlib"}, `[{"license":{"name":"mit"}},{"license":{"id":"Zlib"}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(licenses(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("licenses(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestLicenseIDsMatchSchema keeps licenseids.txt equal to the enum of the CycloneDX
// spdx.schema.json that output is validated against.
func TestLicenseIDsMatchSchema(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sbomtest.Dir(), "schema", "spdx.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(schema.Enum, "\n") + "\n"
	if *update {
		if err := os.WriteFile("licenseids.txt", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if licenseIDs != want {
		t.Error("licenseids.txt differs from testdata/schema/spdx.schema.json; run go test -run TestLicenseIDsMatchSchema -update")
	}
	if !slices.IsSorted(schema.Enum) && len(schema.Enum) == 0 {
		t.Error("no licence ids in schema")
	}
}
