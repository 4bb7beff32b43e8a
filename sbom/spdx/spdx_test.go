package spdx

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/license"
	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
)

var ts = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// encode encodes inv and checks the output against the SPDX 2.3 JSON schema and the rules of
// the specification that the schema does not check (checkSemantics).
func encode(t *testing.T, inv *inventory.Inventory, opts Options) []byte {
	t.Helper()
	if opts.Timestamp.IsZero() {
		opts.Timestamp = ts
	}
	var b bytes.Buffer
	if err := Encode(&b, inv, opts); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if err := sbomtest.ValidateSPDX(b.Bytes()); err != nil {
		t.Fatalf("output is not valid against spdx-schema-2.3.json: %v\n%s", err, b.Bytes())
	}
	checkSemantics(t, b.Bytes())
	return b.Bytes()
}

// jsonDoc is the part of an SPDX JSON document checkSemantics looks at.
type jsonDoc struct {
	SPDXID            string   `json:"SPDXID"`
	DocumentNamespace string   `json:"documentNamespace"`
	DocumentDescribes []string `json:"documentDescribes"`
	CreationInfo      struct {
		Creators []string `json:"creators"`
		Created  string   `json:"created"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID           string `json:"SPDXID"`
		Name             string `json:"name"`
		Supplier         string `json:"supplier"`
		LicenseDeclared  string `json:"licenseDeclared"`
		LicenseConcluded string `json:"licenseConcluded"`
		FilesAnalyzed    *bool  `json:"filesAnalyzed"`
		Purpose          string `json:"primaryPackagePurpose"`
		Checksums        []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
		ExternalRefs []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
		Annotations []struct {
			Annotator string `json:"annotator"`
			Date      string `json:"annotationDate"`
		} `json:"annotations"`
	} `json:"packages"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
	Extracted []struct {
		ID   string `json:"licenseId"`
		Text string `json:"extractedText"`
	} `json:"hasExtractedLicensingInfos"`
}

var (
	idRE      = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	refRE     = regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.-]+$`)
	dateRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	creatorRE = regexp.MustCompile(`^(Tool|Organization|Person): \S`)
)

// checkSemantics checks SPDX 2.3 rules the JSON schema leaves out: identifier syntax and
// uniqueness, references that resolve, licence expressions that parse with every LicenseRef
// defined, date and creator syntax, and a namespace URI without a fragment.
func checkSemantics(t *testing.T, b []byte) {
	t.Helper()
	var d jsonDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(d.DocumentNamespace); err != nil || u.Scheme != "https" || u.Fragment != "" || strings.Contains(d.DocumentNamespace, "#") {
		t.Errorf("documentNamespace %q is not an absolute URI without a fragment", d.DocumentNamespace)
	}
	if !dateRE.MatchString(d.CreationInfo.Created) {
		t.Errorf("created %q is not YYYY-MM-DDThh:mm:ssZ", d.CreationInfo.Created)
	}
	for _, c := range d.CreationInfo.Creators {
		if !creatorRE.MatchString(c) {
			t.Errorf("creator %q is not Tool:/Organization:/Person:", c)
		}
	}
	ids := map[string]bool{"SPDXRef-DOCUMENT": true}
	refs := map[string]bool{}
	for _, e := range d.Extracted {
		if !refRE.MatchString(e.ID) || e.Text == "" {
			t.Errorf("hasExtractedLicensingInfos: bad licenseId %q or empty text", e.ID)
		}
		refs[e.ID] = true
	}
	for _, p := range d.Packages {
		if !idRE.MatchString(p.SPDXID) || ids[p.SPDXID] {
			t.Errorf("package %q: SPDXID %q is malformed or not unique", p.Name, p.SPDXID)
		}
		ids[p.SPDXID] = true
		if p.FilesAnalyzed == nil || *p.FilesAnalyzed {
			t.Errorf("package %s: filesAnalyzed must be false (no files are listed)", p.SPDXID)
		}
		if p.Supplier != "" && !strings.HasPrefix(p.Supplier, "Organization: ") {
			t.Errorf("package %s: supplier %q", p.SPDXID, p.Supplier)
		}
		for _, l := range []string{p.LicenseDeclared, p.LicenseConcluded} {
			if l == "" || l == "NOASSERTION" || l == "NONE" {
				continue
			}
			if _, ok := license.Expression(l); !ok {
				t.Errorf("package %s: %q is not a valid SPDX licence expression", p.SPDXID, l)
			}
			for _, r := range license.Refs(l) {
				if !refs[r] {
					t.Errorf("package %s: %s is used but not defined in hasExtractedLicensingInfos", p.SPDXID, r)
				}
			}
		}
		for _, c := range p.Checksums {
			if !regexp.MustCompile(`^[0-9a-f]+$`).MatchString(c.Value) {
				t.Errorf("package %s: checksum %s %q is not lowercase hex", p.SPDXID, c.Algorithm, c.Value)
			}
		}
		for _, r := range p.ExternalRefs {
			if strings.ContainsAny(r.Locator, " \t\n") {
				t.Errorf("package %s: reference locator %q has whitespace", p.SPDXID, r.Locator)
			}
		}
		for _, a := range p.Annotations {
			if !creatorRE.MatchString(a.Annotator) || !dateRE.MatchString(a.Date) {
				t.Errorf("package %s: annotation by %q at %q", p.SPDXID, a.Annotator, a.Date)
			}
		}
	}
	for _, r := range d.Relationships {
		if !ids[r.A] || !ids[r.B] {
			t.Errorf("relationship %s %s %s refers to an unknown element", r.A, r.Type, r.B)
		}
	}
	for _, id := range d.DocumentDescribes {
		if !ids[id] {
			t.Errorf("documentDescribes %s is not an element", id)
		}
	}
}

func decode(t *testing.T, b []byte) *inventory.Inventory {
	t.Helper()
	inv, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return inv
}

// TestRoundTrip checks that every inventory field survives Encode then Decode. SPDX carries
// all of them; nothing is ignored in the comparison.
func TestRoundTrip(t *testing.T) {
	withRef := &inventory.Inventory{Packages: []*inventory.Package{
		{ID: "a", Name: "a", Type: "library", Licenses: []string{"LicenseRef-custom"}},
		{ID: "b", Name: "b", Type: "library", Licenses: []string{"LicenseRef-x AND MIT"}},
		{ID: "c", Name: "c", Type: "library", Licenses: []string{"mit"}},
		{ID: "d", Name: "d", Type: "library", Licenses: []string{"MIT AND Apache-2.0"}},
		{ID: "e", Name: "e", Type: "library", PURL: "pkg:generic/with space@1"},
		{ID: "f", Name: "f", Type: "library", Licenses: []string{"NOASSERTION"}},
	}}
	withRef.Finalize()
	for _, tc := range []struct {
		name string
		inv  *inventory.Inventory
	}{
		{"rich", sbomtest.Rich()},
		{"empty", &inventory.Inventory{}},
		{"directory-subject", &inventory.Inventory{Subject: inventory.Subject{Kind: inventory.KindDirectory, Name: "src", Digest: "sha256:" + strings.Repeat("ab", 32)}}},
		{"odd-subject-digest", &inventory.Inventory{Subject: inventory.Subject{Kind: inventory.KindSBOM, Name: "bom.json", Digest: "blake9:xyz"}}},
		{"errors-only", &inventory.Inventory{Errors: []inventory.FileError{{Path: "a", Message: "b"}}}},
		{"licence-edge-cases", withRef},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, tc.inv, Options{})
			got := decode(t, b)
			if diff := cmp.Diff(tc.inv, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip changed the inventory (-want +got):\n%s\n%s", diff, b)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a := encode(t, sbomtest.Rich(), Options{})
	b := encode(t, sbomtest.Rich(), Options{})
	if !bytes.Equal(a, b) {
		t.Fatalf("two encodings of the same inventory differ:\n%s\n%s", a, b)
	}
	ns := func(b []byte) string {
		var d jsonDoc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^https://hallmark\.dev/spdxdocs/[A-Za-z0-9._-]+-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(d.DocumentNamespace) {
			t.Errorf("documentNamespace %q does not end in a version-5 UUID", d.DocumentNamespace)
		}
		return d.DocumentNamespace
	}
	other := sbomtest.Rich()
	other.Packages[0].Version += "-1"
	seen := map[string]string{}
	for name, doc := range map[string][]byte{
		"rich":            a,
		"changed-package": encode(t, other, Options{}),
		"later":           encode(t, sbomtest.Rich(), Options{Timestamp: ts.Add(time.Second)}),
	} {
		n := ns(doc)
		if prev, dup := seen[n]; dup {
			t.Errorf("%s and %s have the same namespace %s", prev, name, n)
		}
		seen[n] = name
	}
}

// TestNTIA checks the NTIA minimum elements in the encoded document itself.
func TestNTIA(t *testing.T) {
	b := encode(t, sbomtest.Rich(), Options{ToolVersion: "v9.9.9"})
	var d jsonDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Organization: hallmark project", "Tool: hallmark-v9.9.9"}, d.CreationInfo.Creators); diff != "" {
		t.Errorf("creators (-want +got):\n%s", diff)
	}
	if d.CreationInfo.Created != "2026-03-14T14:09:26Z" {
		t.Errorf("created = %q", d.CreationInfo.Created)
	}
	if diff := cmp.Diff([]string{"SPDXRef-subject"}, d.DocumentDescribes); diff != "" {
		t.Errorf("documentDescribes (-want +got):\n%s", diff)
	}
	rels := map[string]bool{}
	for _, r := range d.Relationships {
		rels[r.A+" "+r.Type+" "+r.B] = true
	}
	if !rels["SPDXRef-DOCUMENT DESCRIBES SPDXRef-subject"] || !rels["SPDXRef-subject CONTAINS SPDXRef-distro"] {
		t.Errorf("missing DESCRIBES or CONTAINS relationships: %v", rels)
	}
	for _, p := range d.Packages {
		switch p.SPDXID {
		case "SPDXRef-subject":
			if p.Purpose != "CONTAINER" || len(p.Checksums) != 1 || p.Checksums[0].Algorithm != "SHA256" {
				t.Errorf("subject: purpose %q, checksums %+v", p.Purpose, p.Checksums)
			}
		case "SPDXRef-distro":
			if p.Purpose != "OPERATING_SYSTEM" {
				t.Errorf("distro: purpose %q", p.Purpose)
			}
		default:
			if !rels["SPDXRef-subject CONTAINS "+p.SPDXID] {
				t.Errorf("the subject does not CONTAIN %s", p.SPDXID)
			}
			if p.Name != "vendored-helper" && (len(p.ExternalRefs) != 1 || p.ExternalRefs[0].Category != "PACKAGE-MANAGER" || p.ExternalRefs[0].Type != "purl") {
				t.Errorf("package %s: externalRefs %+v, want one PACKAGE-MANAGER purl", p.SPDXID, p.ExternalRefs)
			}
		}
	}
}
