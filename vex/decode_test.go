package vex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const shopDigest = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cmpStatements compares times as instants and treats nil and empty slices alike.
var cmpStatements = cmp.Options{cmpopts.EquateEmpty(), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}

func TestDecode(t *testing.T) {
	wolfiGit := func(src, ts string) []Statement {
		return []Statement{{
			VulnID: "CVE-2023-12345",
			Products: []Product{
				{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", ID: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
				{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", ID: "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
			},
			Status: StatusFixed, Timestamp: date(ts), Source: src,
		}}
	}
	tests := []struct {
		file string
		want []Statement
	}{
		{"openvex/fixed-single-statement.json", wolfiGit("testdata/openvex/fixed-single-statement.json", "2023-01-08T18:02:03.647787998-06:00")},
		// v0.0.1: vulnerability and products are plain strings.
		{"openvex/vex-v0.0.1.json", wolfiGit("testdata/openvex/vex-v0.0.1.json", "2023-01-08T18:02:03.647787998-06:00")},
		// No document timestamp: the statement's own is used.
		{"openvex/vex-v020-1.vex.json", []Statement{{
			VulnID:    "CVE-9876-54321",
			Products:  []Product{{PURL: "pkg:apk/wolfi/bash@1.0.0", ID: "pkg:apk/wolfi/bash@1.0.0"}},
			Status:    StatusUnderInvestigation,
			Timestamp: date("2022-12-22T16:36:43-05:00"),
			Source:    "testdata/openvex/vex-v020-1.vex.json",
		}}},
		{"cyclonedx/standalone-vex.json", []Statement{
			{
				VulnID: "CVE-2023-31047", Aliases: []string{"GHSA-r3xc-prgr-mg9p"},
				Products:        []Product{{PURL: "pkg:pypi/django@4.2.0", ID: "django-4.2.0"}},
				Status:          StatusNotAffected,
				Justification:   JustVulnerableCodeNotInExecutePath, // code_not_reachable
				ImpactStatement: "shop never uploads multiple files through one form field",
				Timestamp:       date("2025-02-20T09:00:00Z"), // analysis.lastUpdated
				Source:          "testdata/cyclonedx/standalone-vex.json",
			},
			{
				VulnID: "CVE-2023-43804",
				// A BOM-Link whose fragment is a purl.
				Products:  []Product{{PURL: "pkg:pypi/urllib3@1.26.5", ID: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:pypi/urllib3@1.26.5"}},
				Status:    StatusFixed, // resolved
				Timestamp: date("2025-01-15T00:00:00Z"),
				Source:    "testdata/cyclonedx/standalone-vex.json",
			},
			{
				VulnID:          "CVE-2024-35195",
				Products:        []Product{{PURL: "pkg:pypi/requests@2.31.0", ID: "requests"}},
				Status:          StatusAffected, // exploitable
				ActionStatement: "Upgrade requests to 2.32.0\nResponse: update",
				Timestamp:       date("2025-03-01T10:00:00Z"), // metadata.timestamp
				Source:          "testdata/cyclonedx/standalone-vex.json",
			},
			{
				VulnID:    "CVE-2023-32681",
				Products:  []Product{{PURL: "pkg:pypi/requests@2.31.0", ID: "pkg:pypi/requests@2.31.0"}},
				Status:    StatusUnderInvestigation, // in_triage
				Timestamp: date("2025-03-01T10:00:00Z"),
				Source:    "testdata/cyclonedx/standalone-vex.json",
			},
			{
				VulnID: "CVE-2024-27351",
				Products: []Product{{
					PURL:   "pkg:oci/shop@sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270?repository_url=registry.example.com%2Fshop",
					Digest: shopDigest, ID: "app",
				}},
				Status:          StatusNotAffected,
				Justification:   "protected_at_perimeter", // no OpenVEX equivalent: kept
				ImpactStatement: "the WAF rejects such inputs",
				Timestamp:       date("2025-03-01T10:00:00Z"),
				Source:          "testdata/cyclonedx/standalone-vex.json",
			},
			// CVE-2099-0001 has no analysis: a scanner report, not a statement.
		}},
		{"cyclonedx/vex.xml", []Statement{{
			VulnID: "CVE-2018-7489", Aliases: []string{"GHSA-cggj-fvv3-cqwv"},
			Products:        []Product{{PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4", ID: "jackson"}},
			Status:          StatusNotAffected,
			Justification:   JustVulnerableCodeNotPresent,
			ImpactStatement: "c3p0 is not on the classpath",
			ActionStatement: "Response: will_not_fix",
			Timestamp:       date("2025-02-02T00:00:00Z"),
			Source:          "testdata/cyclonedx/vex.xml",
		}}},
		{"cyclonedx/valid-vulnerability-1.6.json", []Statement{{
			VulnID: "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111", Aliases: []string{"CVE-2018-7489"},
			Products: []Product{{
				PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4",
				ID:   "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4",
			}},
			Status:          StatusNotAffected,
			Justification:   JustVulnerableCodeNotInExecutePath,
			ImpactStatement: "An optional explanation of why the application is not affected by the vulnerable component.",
			ActionStatement: "Upgrade com.fasterxml.jackson.core:jackson-databind to version 2.6.7.5, 2.8.11.1, 2.9.5 or higher.\n" +
				"Workaround: Describe the workarounds here\nResponse: will_not_fix, update",
			Timestamp: date("2022-02-01T00:00:00Z"),
			Source:    "testdata/cyclonedx/valid-vulnerability-1.6.json",
		}}},
		{"csaf/relationships.json", []Statement{
			{
				VulnID: "CVE-2023-31047", Aliases: []string{"GHSA-r3xc-prgr-mg9p"},
				// "Django default_component_of shop" → shop (by its file hash) with Django inside.
				Products: []Product{{
					Digest: shopDigest, Subcomponents: []string{"pkg:pypi/django@4.2.0"}, ID: "SHOP-2.4.0:DJANGO-4.2.0",
				}},
				Status:          StatusNotAffected,
				Justification:   JustVulnerableCodeNotInExecutePath,
				ImpactStatement: "shop never uploads multiple files through one form field.",
				Timestamp:       date("2025-03-02T12:00:00Z"),
				Source:          "testdata/csaf/relationships.json",
			},
			{
				VulnID: "CVE-2023-31047", Aliases: []string{"GHSA-r3xc-prgr-mg9p"},
				Products:        []Product{{PURL: "pkg:pypi/django@4.2.0", ID: "DJANGO-4.2.0"}},
				Status:          StatusAffected,
				ActionStatement: "vendor_fix: Upgrade to Django 4.2.1.", // via group_ids
				Timestamp:       date("2025-03-02T12:00:00Z"),
				Source:          "testdata/csaf/relationships.json",
			},
			{
				VulnID:    "GHSA-v845-jxx5-vc9f", // no cve: the first of ids
				Products:  []Product{{PURL: "pkg:pypi/urllib3@1.26.5", ID: "URLLIB3-1.26.5"}},
				Status:    StatusFixed,
				Timestamp: date("2025-03-02T12:00:00Z"),
				Source:    "testdata/csaf/relationships.json",
			},
		}},
		{"csaf/go-vex-csaf.json", []Statement{{
			VulnID:          "CVE-2009-4487",
			Products:        []Product{{PURL: "pkg:golang/github.com/go-homedir@v1.2.0", ID: "CSAFPID-0001"}},
			Status:          StatusNotAffected,
			ImpactStatement: "Class with vulnerable code was removed before shipping.",
			Timestamp:       date("2022-03-03T11:00:00Z"),
			Source:          "testdata/csaf/go-vex-csaf.json",
		}}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.file, "/", "_"), func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpStatements); diff != "" {
				t.Errorf("Load(%s) mismatch (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

// TestDecodeSummary checks the larger documents by their shape.
func TestDecodeSummary(t *testing.T) {
	tests := []struct {
		file     string
		statuses map[string]int
		products map[string]bool // every product ID seen
	}{
		{"csaf/2022-evd-uc-03-ms-001.json",
			map[string]int{StatusNotAffected: 6, StatusFixed: 3, StatusAffected: 5, StatusUnderInvestigation: 5},
			map[string]bool{"CSAFPID-0001": true}},
		{"csaf/sec-vex-2022-0001.json",
			map[string]int{StatusNotAffected: 3}, map[string]bool{"CSAFPID-0001": true}},
		{"openvex/vex-v0.2.0.json",
			map[string]int{StatusFixed: 3, StatusNotAffected: 2},
			map[string]bool{"pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126": true}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.file, "/", "_"), func(t *testing.T) {
			stmts, err := Load(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			statuses := map[string]int{}
			products := map[string]bool{}
			for _, s := range stmts {
				statuses[s.Status]++
				for _, p := range s.Products {
					products[p.ID] = true
				}
				if s.Status == StatusNotAffected && s.Justification == "" && s.ImpactStatement == "" {
					t.Errorf("%s: not_affected without a reason", s.VulnID)
				}
			}
			if diff := cmp.Diff(tc.statuses, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.products, products); diff != "" {
				t.Errorf("products (-want +got):\n%s", diff)
			}
		})
	}
	// The OpenVEX image statement: the oci purl's version is the image digest.
	stmts, err := Load("testdata/openvex/vex-v0.2.0.json")
	if err != nil {
		t.Fatal(err)
	}
	want := Product{
		PURL:          "pkg:oci/alpine@sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126",
		Digest:        "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126",
		Subcomponents: []string{"pkg:apk/alpine/libssl3@3.0.8-r3", "pkg:apk/alpine/libcrypto3@3.0.8-r3"},
		ID:            "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126",
	}
	if diff := cmp.Diff(want, stmts[3].Products[0]); diff != "" {
		t.Errorf("vex-v0.2.0.json statements[3].products[0] (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	const ov = `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": [%s]}`
	openvex := func(stmt string) string { return strings.Replace(ov, "%s", stmt, 1) }
	const cdxHead = `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1.0.0"}], "vulnerabilities": [%s]}`
	cdx := func(v string) string { return strings.Replace(cdxHead, "%s", v, 1) }
	const csafHead = `{"document": {"category": "csaf_vex", "csaf_version": "2.0", "tracking": {"current_release_date": "2024-01-01T00:00:00Z"}},
	"product_tree": {"full_product_names": [{"name": "A", "product_id": "A", "product_identification_helper": {"purl": "pkg:npm/a@1.0.0"}}]},
	"vulnerabilities": [%s]}`
	csaf := func(v string) string { return strings.Replace(csafHead, "%s", v, 1) }

	tests := []struct {
		name, doc, want string
	}{
		{"empty", "  \n", "doc.json: empty document"},
		{"notJSON", "hello", `doc.json: neither a JSON object nor XML (starts with "hello")`},
		{"otherJSON", `{"spdxVersion": "SPDX-2.3"}`, "doc.json: not a VEX document"},
		{"syntax", `{"@context": "https://openvex.dev/ns/v0.2.0",`, "doc.json: line 1, column 46: unexpected end of JSON input"},
		{"openvexContext", `{"@context": "https://schema.org", "statements": []}`, `doc.json: @context: "https://schema.org" is not an OpenVEX context`},
		{"openvexNoStatements", openvex(""), "doc.json: statements: missing or empty"},
		{"openvexStatementsType", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": "x"}`, "doc.json: statements: line 1, column 64: got JSON string, want an array"},
		{"openvexStatus", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "maybe"}`),
			`doc.json: statements[0].status: "maybe" is not an OpenVEX status`},
		{"openvexNoStatus", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}]}`), "doc.json: statements[0].status: missing"},
		{"openvexJustification", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected", "justification": "code_not_reachable"}`),
			`doc.json: statements[0].justification: "code_not_reachable" is not an OpenVEX justification`},
		{"openvexNoReason", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected"}`),
			"doc.json: statements[0]: status not_affected needs a justification or an impact_statement"},
		{"openvexNoVulnName", openvex(`{"vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed"}`),
			"doc.json: statements[0].vulnerability.name: missing"},
		{"openvexNoVuln", openvex(`{"products": [{"@id": "pkg:npm/a"}], "status": "fixed"}`), "doc.json: statements[0].vulnerability: missing"},
		{"openvexNoProducts", openvex(`{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}`),
			"doc.json: statements[0].products: missing or empty; the statement would apply to nothing"},
		{"openvexBadPURL", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:maven/x@1"}], "status": "fixed"}`),
			`doc.json: statements[0].products[0].@id: purl "pkg:maven/x@1": namespace is required for type maven`},
		{"openvexBadSubcomponent", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:oci/a", "subcomponents": [{"identifiers": {"purl": "pkg:"}}]}], "status": "fixed"}`),
			"doc.json: statements[0].products[0].subcomponents[0].identifiers.purl: purl"},
		{"openvexBadHash", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "x", "hashes": {"sha-256": "abc"}}], "status": "fixed"}`),
			`doc.json: statements[0].products[0].hashes["sha-256"]: "abc" is not a hex SHA-256`},
		{"openvexBadTime", openvex(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed", "timestamp": "yesterday"}`),
			`doc.json: statements[0].timestamp: "yesterday" is not an RFC 3339 timestamp`},
		{"cdxFormat", `{"bomFormat": "SPDX"}`, `doc.json: bomFormat: "SPDX", want "CycloneDX"`},
		{"cdxNoAnalysis", cdx(`{"id": "CVE-1", "affects": [{"ref": "a"}]}`), "doc.json: the document holds no VEX statements"},
		{"cdxState", cdx(`{"id": "CVE-1", "analysis": {"state": "maybe"}, "affects": [{"ref": "a"}]}`),
			`doc.json: vulnerabilities[0].analysis.state: "maybe" is not a CycloneDX impact analysis state`},
		{"cdxJustification", cdx(`{"id": "CVE-1", "analysis": {"state": "not_affected", "justification": "because"}, "affects": [{"ref": "a"}]}`),
			`doc.json: vulnerabilities[0].analysis.justification: "because" is not a CycloneDX justification`},
		{"cdxRef", cdx(`{"id": "CVE-1", "analysis": {"state": "not_affected"}, "affects": [{"ref": "b"}]}`),
			`doc.json: vulnerabilities[0].affects[0].ref: "b" is neither a bom-ref of this BOM, a BOM-Link nor a purl`},
		{"cdxNoAffects", cdx(`{"id": "CVE-1", "analysis": {"state": "not_affected"}}`),
			"doc.json: vulnerabilities[0].affects: missing or empty"},
		{"cdxNoID", cdx(`{"analysis": {"state": "not_affected"}, "affects": [{"ref": "a"}]}`), "doc.json: vulnerabilities[0].id: missing"},
		{"cdxBOMLink", cdx(`{"id": "CVE-1", "analysis": {"state": "resolved"}, "affects": [{"ref": "urn:cdx:abc/1"}]}`),
			`doc.json: vulnerabilities[0].affects[0].ref: BOM-Link "urn:cdx:abc/1" has no #bom-ref fragment`},
		{"cdxComponentPURL", `{"bomFormat": "CycloneDX", "components": [{"bom-ref": "a", "purl": "npm/a"}], "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "resolved"}, "affects": [{"ref": "a"}]}]}`,
			`doc.json: components[0].purl: purl "npm/a"`},
		{"xmlRoot", `<?xml version="1.0"?><html></html>`, "doc.json: XML document element is {}html, want a CycloneDX bom"},
		{"xmlBroken", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><vulnerabilities>`, "doc.json: decoding CycloneDX XML"},
		{"csafCategory", `{"document": {"category": "csaf_base"}}`, `doc.json: document.category: "csaf_base"; only CSAF documents of category "csaf_vex" carry VEX statements`},
		{"csafVersion", `{"document": {"category": "csaf_vex", "csaf_version": "2.1"}}`, `doc.json: document.csaf_version: "2.1"; this reader knows CSAF 2.0`},
		{"csafUndefined", csaf(`{"cve": "CVE-1", "product_status": {"known_affected": ["B"]}}`),
			`doc.json: vulnerabilities[0].product_status.known_affected[0]: product id "B" is not defined in product_tree`},
		{"csafContradiction", csaf(`{"cve": "CVE-1", "product_status": {"fixed": ["A"], "known_affected": ["A"]}}`),
			`doc.json: vulnerabilities[0].product_status.known_affected[0]: product "A" is both fixed and affected`},
		{"csafFlag", csaf(`{"cve": "CVE-1", "product_status": {"known_not_affected": ["A"]}, "flags": [{"label": "because", "product_ids": ["A"]}]}`),
			`doc.json: vulnerabilities[0].flags[0].label: "because" is not a CSAF flag label`},
		{"csafGroup", csaf(`{"cve": "CVE-1", "product_status": {"known_not_affected": ["A"]}, "flags": [{"label": "component_not_present", "group_ids": ["G"]}]}`),
			`doc.json: vulnerabilities[0].flags[0].group_ids[0]: group id "G" is not defined in product_tree`},
		{"csafNoReason", csaf(`{"cve": "CVE-1", "product_status": {"known_not_affected": ["A"]}}`),
			`doc.json: vulnerabilities[0].product_status.known_not_affected: product "A" has neither a flag nor an impact threat`},
		{"csafNoID", csaf(`{"product_status": {"fixed": ["A"]}}`), "doc.json: vulnerabilities[0]: has neither cve nor ids"},
		{"csafStatusList", csaf(`{"cve": "CVE-1", "product_status": {"probably_fine": ["A"]}}`),
			"doc.json: vulnerabilities[0].product_status.probably_fine: not a CSAF product status"},
		{"csafDuplicateProduct", `{"document": {"category": "csaf_vex", "csaf_version": "2.0"}, "product_tree": {"full_product_names": [{"product_id": "A"}, {"product_id": "A"}]}}`,
			`doc.json: product_tree.full_product_names[1].product_id: "A" is defined twice`},
		{"csafRelationship", `{"document": {"category": "csaf_vex", "csaf_version": "2.0"}, "product_tree": {"full_product_names": [{"product_id": "A"}],
			"relationships": [{"category": "default_component_of", "full_product_name": {"product_id": "A:B"}, "product_reference": "A", "relates_to_product_reference": "B"}]}}`,
			`doc.json: product_tree.relationships[0].relates_to_product_reference: product id "B" is not defined`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode("doc.json", strings.NewReader(tc.doc))
			if err == nil {
				t.Fatalf("Decode = %+v, want error %q", got, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not match ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestDecodeBadFiles reads published documents that are broken.
func TestDecodeBadFiles(t *testing.T) {
	tests := []struct{ file, want string }{
		// The OpenVEX spec's own example, missing commas as published.
		{"openvex/spring-log4j-not-affected-missing-commas.txt", "line 23, column 12: invalid character '}'"},
		// go-vex's CSAF test document: an invalid purl, and a product id that is never defined.
		{"csaf/go-vex-csaf-invalid.json", `product_tree.branches[0].branches[0].product.product_identification_helper.purl: purl "pkg:maven/@1.3.4"`},
		{"schema/openvex_json_schema.json", "not a VEX document"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tc.file))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), tc.file) {
				t.Errorf("Load(%s) error = %v, want one naming the file and containing %q", tc.file, err, tc.want)
			}
		})
	}
}

// TestCSAFConformance runs the CSAF TC's conformance documents for test 6.1.27.9 (every
// known_not_affected product needs an impact statement): -0x must be rejected, -1x read.
func TestCSAFConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/csaf/conformance/*.json")
	if err != nil || len(files) != 12 {
		t.Fatalf("want 12 conformance files, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			// The file name ends in -NN.json: 0N are failures, 1N are valid documents.
			nn := strings.TrimSuffix(f, ".json")
			valid := nn[len(nn)-2] == '1'
			stmts, err := Load(f)
			switch {
			case valid && err != nil:
				t.Errorf("valid document rejected: %v", err)
			case valid && len(stmts) == 0:
				t.Errorf("valid document gave no statements")
			case !valid && err == nil:
				t.Errorf("invalid document accepted: %+v", stmts)
			case !valid && !strings.Contains(err.Error(), "neither a flag nor an impact threat"):
				t.Errorf("invalid document rejected for another reason: %v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

// TestDecodeOpenVEXForms covers the less common ways OpenVEX names things.
func TestDecodeOpenVEXForms(t *testing.T) {
	const digest = "124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"
	tests := []struct {
		name, doc string
		want      []Statement
	}{
		{"contextArrayAndIdentifiers", `{"@context": ["https://www.w3.org/ns/x", "https://openvex.dev/ns/v0.2.0"], "timestamp": "2024-01-01T00:00:00Z",
			"statements": [{"vulnerability": {"name": "CVE-1", "aliases": ["GHSA-1"]}, "status": "fixed", "last_updated": "2024-02-01T00:00:00Z",
			"products": [{"@id": "https://example.com/products/shop", "identifiers": {"purl": "pkg:oci/shop"}, "hashes": {"sha-256": "` + strings.ToUpper(digest) + `"},
			  "subcomponents": [{"identifiers": {"cpe23": "cpe:2.3:a:openssl:openssl:3.0.8:*:*:*:*:*:*:*"}}, {"hashes": {"sha-256": "` + digest + `"}}, {"@id": "pkg:apk/alpine/zlib"}]}]}]}`,
			[]Statement{{
				VulnID: "CVE-1", Aliases: []string{"GHSA-1"}, Status: StatusFixed,
				Products: []Product{{
					PURL: "pkg:oci/shop", Digest: "sha256:" + digest, ID: "https://example.com/products/shop",
					Subcomponents: []string{"cpe:2.3:a:openssl:openssl:3.0.8:*:*:*:*:*:*:*", "sha256:" + digest, "pkg:apk/alpine/zlib"},
				}},
				Timestamp: date("2024-02-01T00:00:00Z"), // last_updated is later than the document's timestamp
				Source:    "doc.json",
			}}},
		{"digestID", `{"@context": "https://openvex.dev/ns/v0.2.0",
			"statements": [{"vulnerability": "CVE-1", "status": "not_affected", "impact_statement": "no", "subcomponents": ["pkg:npm/a"],
			"products": ["sha256:` + digest + `"]}]}`,
			[]Statement{{
				VulnID: "CVE-1", Status: StatusNotAffected, ImpactStatement: "no",
				// v0.0.1: subcomponents were listed on the statement.
				Products: []Product{{Digest: "sha256:" + digest, ID: "sha256:" + digest, Subcomponents: []string{"pkg:npm/a"}}},
				Source:   "doc.json",
			}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode("doc.json", strings.NewReader(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpStatements); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
