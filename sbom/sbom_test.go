package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/sbom/spdx"
)

var ts = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// encode encodes inv in format f and validates the result (JSON schema, or XSD for XML when
// xmllint is installed).
func encode(t *testing.T, f Format, inv *inventory.Inventory) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, f, inv, EncodeOptions{Timestamp: ts}); err != nil {
		t.Fatalf("Encode(%s): %v", f, err)
	}
	var err error
	switch f {
	case CycloneDXJSON:
		err = sbomtest.ValidateCycloneDX(b.Bytes())
	case CycloneDXXML:
		if err = sbomtest.ValidateCycloneDXXML(b.Bytes()); errors.Is(err, sbomtest.ErrNoXMLLint) {
			t.Logf("XML not checked against the XSD: %v", err)
			err = nil
		}
	case SPDXJSON:
		err = sbomtest.ValidateSPDX(b.Bytes())
	}
	if err != nil {
		t.Fatalf("%s output is not valid: %v\n%s", f, err, b.Bytes())
	}
	return b.Bytes()
}

func decodeFile(t *testing.T, path string) *inventory.Inventory {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := Decode(filepath.Base(path), f)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return inv
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name string
		head string
		want Format
		ok   bool
	}{
		{"cyclonedx-json", `{"bomFormat": "CycloneDX", "specVersion": "1.6"}`, CycloneDXJSON, true},
		{"cyclonedx-json-schema-first", "\ufeff\n {\"$schema\":\"x\",\n\"bomFormat\":\"CycloneDX\"", CycloneDXJSON, true},
		{"cyclonedx-xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">`, CycloneDXXML, true},
		{"cyclonedx-xml-prefixed", `<cdx:bom xmlns:cdx='http://cyclonedx.org/schema/bom/1.5'>`, CycloneDXXML, true},
		{"spdx-json", `{"SPDXID": "SPDXRef-DOCUMENT", "spdxVersion": "SPDX-2.3"}`, SPDXJSON, true},
		{"spdx-tag-value", "## header\n\nSPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n", SPDXTagValue, true},
		{"spdx-tag-value-late-version", "DataLicense: CC0-1.0\r\nSPDXVersion: SPDX-2.3\r\n", SPDXTagValue, true},
		{"other-bom-format", `{"bomFormat": "SWID"}`, "", false},
		{"plain-json", `{"name": "x"}`, "", false},
		{"other-xml", `<html><body>`, "", false},
		{"spdx-rdf", `<rdf:RDF xmlns:spdx="http://spdx.org/rdf/terms#">`, "", false},
		{"yaml", "spdxVersion: SPDX-2.3\n", "", false},
		{"prose", "Hello: world\nthis is not tag-value\nSPDXVersion: SPDX-2.3", "", false},
		{"empty", "", "", false},
		{"binary", "\x00\x01\x02", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Detect([]byte(tc.head))
			if got != tc.want || ok != tc.ok {
				t.Errorf("Detect(%q) = %q, %v; want %q, %v", tc.head, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestEncodeDecode round-trips the rich inventory through every output format via the
// top-level functions.
func TestEncodeDecode(t *testing.T) {
	for _, f := range OutputFormats {
		t.Run(string(f), func(t *testing.T) {
			b := encode(t, f, sbomtest.Rich())
			if got, ok := Detect(b); !ok || got != f {
				t.Errorf("Detect(own %s output) = %q, %v", f, got, ok)
			}
			inv, err := Decode("rich", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sbomtest.Rich(), inv, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip through %s changed the inventory (-want +got):\n%s", f, diff)
			}
		})
	}
	t.Run("spdx-tag-value-is-input-only", func(t *testing.T) {
		err := Encode(&bytes.Buffer{}, SPDXTagValue, sbomtest.Rich(), EncodeOptions{Timestamp: ts})
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Encode(spdx-tag-value) = %v, want ErrUnknownFormat", err)
		}
	})
	t.Run("unknown-format", func(t *testing.T) {
		err := Encode(&bytes.Buffer{}, "swid", sbomtest.Rich(), EncodeOptions{Timestamp: ts})
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Encode(swid) = %v, want ErrUnknownFormat", err)
		}
	})
	t.Run("timestamp-required", func(t *testing.T) {
		for _, f := range OutputFormats {
			if err := Encode(&bytes.Buffer{}, f, sbomtest.Rich(), EncodeOptions{}); err == nil || !strings.Contains(err.Error(), "Timestamp") {
				t.Errorf("Encode(%s) without a timestamp = %v, want an error naming Timestamp", f, err)
			}
		}
	})
}

// TestLarge encodes a few hundred packages in every format and validates the output.
func TestLarge(t *testing.T) {
	inv := large(300)
	for _, f := range OutputFormats {
		t.Run(string(f), func(t *testing.T) {
			got, err := Decode("large", bytes.NewReader(encode(t, f, inv)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(inv, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeRejects checks that inventories that would make dangling references are refused,
// with nothing written.
func TestEncodeRejects(t *testing.T) {
	pkg := func(id string) *inventory.Package { return &inventory.Package{ID: id, Name: id} }
	for _, tc := range []struct {
		name string
		inv  *inventory.Inventory
		want string
	}{
		{"no-id", &inventory.Inventory{Packages: []*inventory.Package{pkg("")}}, "has no ID"},
		{"duplicate-id", &inventory.Inventory{Packages: []*inventory.Package{pkg("a"), pkg("a")}}, `share the ID "a"`},
		{"reserved-id", &inventory.Inventory{Packages: []*inventory.Package{pkg("subject")}}, "reserved ID"},
		{"nil-package", &inventory.Inventory{Packages: []*inventory.Package{nil}}, "packages[0] is nil"},
		{"dangling-to", &inventory.Inventory{Packages: []*inventory.Package{pkg("a")}, Relationships: []inventory.Relationship{{From: "a", To: "b"}}}, `To "b" is not a package ID`},
		{"dangling-from", &inventory.Inventory{Packages: []*inventory.Package{pkg("a")}, Relationships: []inventory.Relationship{{From: "z", To: "a"}}}, `From "z" is not a package ID`},
	} {
		for _, f := range OutputFormats {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				err := Encode(&b, f, tc.inv, EncodeOptions{Timestamp: ts})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Encode = %v, want an error containing %q", err, tc.want)
				}
				if b.Len() > 0 {
					t.Errorf("Encode wrote %d bytes before failing", b.Len())
				}
			})
		}
	}
}

// TestCrossFormat converts CycloneDX → SPDX → CycloneDX (and the reverse) and checks that
// nothing is lost: purls, versions, licences, edges, and every other field.
func TestCrossFormat(t *testing.T) {
	chains := [][]Format{
		{CycloneDXJSON, SPDXJSON, CycloneDXXML, CycloneDXJSON},
		{SPDXJSON, CycloneDXXML, SPDXJSON},
	}
	starts := map[string]*inventory.Inventory{"rich": sbomtest.Rich()}
	for _, fixture := range []string{"syft-npm-go.cdx16.json", "syft-debian-rootfs.cdx16.json", "syft-debian-rootfs.spdx23.spdx", "trivy-npm-go.cdx16.json", "trivy-debian-rootfs.spdx23.json"} {
		starts[fixture] = decodeFile(t, filepath.Join("testdata", "foreign", fixture))
	}
	for name, start := range starts {
		for _, chain := range chains {
			var names []string
			for _, f := range chain {
				names = append(names, string(f))
			}
			t.Run(name+"/"+strings.Join(names, "-to-"), func(t *testing.T) {
				inv := start
				for _, f := range chain {
					b := encode(t, f, inv)
					var err error
					if inv, err = Decode(string(f), bytes.NewReader(b)); err != nil {
						t.Fatalf("%s: %v", f, err)
					}
				}
				if diff := cmp.Diff(start, inv, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("conversion changed the inventory (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// summary is what a foreign SBOM must give, independent of its format: packages by purl with
// their versions, and dependency edges by purl.
type summary struct {
	Versions map[string]string
	Edges    []string
}

func summarize(inv *inventory.Inventory) summary {
	s := summary{Versions: map[string]string{}}
	purl := map[string]string{inventory.SubjectRef: "<subject>"}
	for _, p := range inv.Packages {
		s.Versions[p.PURL] = p.Version
		purl[p.ID] = p.PURL
	}
	for _, r := range inv.Relationships {
		// Edges from the subject are left out: syft records none, and trivy records them
		// in CycloneDX but not in SPDX.
		if r.From != inventory.SubjectRef {
			s.Edges = append(s.Edges, purl[r.From]+" -> "+purl[r.To])
		}
	}
	slices.Sort(s.Edges)
	return s
}

// TestForeign decodes the SBOMs that syft (and trivy, when fixtures exist) wrote for the same
// two inputs in every format and spec version, and checks that each gives the same packages and
// edges as the reference, plus what the reference must say.
func TestForeign(t *testing.T) {
	families := map[string]string{ // fixture prefix → reference file
		"syft-npm-go.":         "syft-npm-go.cdx16.json",
		"syft-debian-rootfs.":  "syft-debian-rootfs.cdx16.json",
		"trivy-npm-go.":        "trivy-npm-go.cdx16.json",
		"trivy-debian-rootfs.": "trivy-debian-rootfs.cdx16.json",
	}
	var files []string
	for _, ext := range []string{"json", "xml", "spdx"} {
		m, err := filepath.Glob(filepath.Join("testdata", "foreign", "*."+ext))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	seen := 0
	for prefix, ref := range families {
		want := summarize(decodeFile(t, filepath.Join("testdata", "foreign", ref)))
		for _, f := range files {
			if !strings.HasPrefix(filepath.Base(f), prefix) {
				continue
			}
			seen++
			t.Run(filepath.Base(f), func(t *testing.T) {
				inv := decodeFile(t, f)
				if diff := cmp.Diff(want, summarize(inv)); diff != "" {
					t.Errorf("packages or edges differ from %s (-want +got):\n%s", ref, diff)
				}
				if inv.Subject.Kind != inventory.KindSBOM || !strings.HasPrefix(inv.Subject.Digest, "sha256:") || inv.Subject.Name != filepath.Base(f) {
					t.Errorf("subject = %+v, want the SBOM file itself", inv.Subject)
				}
				if inv.Partial() {
					t.Errorf("errors = %v, want none", inv.Errors)
				}
			})
		}
	}
	if seen != len(files) {
		t.Errorf("%d of %d foreign fixtures matched a family", seen, len(files))
	}

	// What the references must say, field by field.
	npm := decodeFile(t, filepath.Join("testdata", "foreign", "syft-npm-go.cdx16.json"))
	wantPkg(t, npm, "pkg:npm/once@1.4.0", inventory.Package{
		Name: "once", Version: "1.4.0", Ecosystem: "npm", PURL: "pkg:npm/once@1.4.0", Type: "library",
		Locations: []inventory.Location{{Path: "package-lock.json"}},
		Licenses:  []string{"ISC"}, FoundBy: "javascript-lock-cataloger",
	})
	if npm.Subject.Version != "1.0.0" {
		t.Errorf("npm-go subject version = %q, want 1.0.0 (metadata.component)", npm.Subject.Version)
	}
	deb := decodeFile(t, filepath.Join("testdata", "foreign", "syft-debian-rootfs.cdx16.json"))
	if diff := cmp.Diff(&inventory.Distro{ID: "debian", VersionID: "12.11", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"}, deb.Distro); diff != "" {
		t.Errorf("distro (-want +got):\n%s", diff)
	}
	wantPkg(t, deb, "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-12.11&upstream=openssl", inventory.Package{
		Name: "libssl3", Version: "3.0.19-1~deb12u2", Ecosystem: "Debian:12", Type: "library",
		PURL:      "pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-12.11&upstream=openssl",
		Locations: []inventory.Location{{Path: "var/lib/dpkg/status"}, {Path: "usr/share/doc/libssl3/copyright"}},
		Licenses:  []string{"Apache-2.0", "Artistic", "GPL-1.0-only", "GPL-1.0-or-later"},
		Source:    &inventory.SourcePackage{Name: "openssl", Version: "3.0.19-1~deb12u2"},
		Supplier:  "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
		FoundBy:   "dpkg-db-cataloger",
	})

	trivyDeb := decodeFile(t, filepath.Join("testdata", "foreign", "trivy-debian-rootfs.cdx16.json"))
	if diff := cmp.Diff(&inventory.Distro{ID: "debian", VersionID: "12.11"}, trivyDeb.Distro); diff != "" {
		t.Errorf("trivy distro (-want +got):\n%s", diff)
	}
	wantPkg(t, trivyDeb, "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.11&epoch=1", inventory.Package{
		Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Ecosystem: "Debian:12", Type: "library",
		PURL:     "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.11&epoch=1",
		Licenses: []string{"Zlib"},
		Source:   &inventory.SourcePackage{Name: "zlib", Version: "1:1.2.13.dfsg-1"},
		Supplier: "Mark Brown <broonie@debian.org>",
	})
	// trivy's per-lockfile components are not packages; what they depend on is what the
	// subject depends on directly.
	trivyNPM := decodeFile(t, filepath.Join("testdata", "foreign", "trivy-npm-go.cdx16.json"))
	var direct []string
	for _, r := range trivyNPM.Relationships {
		if r.From == inventory.SubjectRef {
			direct = append(direct, trivyNPM.Package(r.To).PURL)
		}
	}
	slices.Sort(direct)
	if diff := cmp.Diff([]string{"pkg:golang/example.com/fixture", "pkg:npm/is-number@7.0.0", "pkg:npm/left-pad@1.3.0", "pkg:npm/ms@2.1.3", "pkg:npm/once@1.4.0"}, direct); diff != "" {
		t.Errorf("trivy direct dependencies (-want +got):\n%s", diff)
	}
	trivySPDX := decodeFile(t, filepath.Join("testdata", "foreign", "trivy-npm-go.spdx23.spdx"))
	wantPkg(t, trivySPDX, "pkg:npm/ms@2.1.3", inventory.Package{
		Name: "ms", Version: "2.1.3", Ecosystem: "npm", Type: "library", PURL: "pkg:npm/ms@2.1.3",
		Locations: []inventory.Location{{Path: "package-lock.json"}},
	})
}

func wantPkg(t *testing.T, inv *inventory.Inventory, purl string, want inventory.Package) {
	t.Helper()
	for _, p := range inv.Packages {
		if p.PURL == purl {
			if diff := cmp.Diff(want, *p, cmpopts.IgnoreFields(inventory.Package{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("package %s (-want +got):\n%s", purl, diff)
			}
			return
		}
	}
	t.Errorf("no package %s", purl)
}

// TestSPDXSpecExamples decodes the SPDX 2.3 specification's example in JSON and in tag-value:
// they describe the same document, so they must give the same inventory.
func TestSPDXSpecExamples(t *testing.T) {
	dir := filepath.Join(sbomtest.Shared(t), "spdx", "spec-examples-2.3")
	fromJSON := decodeFile(t, filepath.Join(dir, "SPDXJSONExample-v2.3.spdx.json"))
	fromTV := decodeFile(t, filepath.Join(dir, "SPDXTagExample-v2.3.spdx"))
	if len(fromJSON.Packages) != 4 {
		t.Errorf("JSON example: %d packages, want 4", len(fromJSON.Packages))
	}
	// The subject is each file itself (no single described package), so it differs.
	if diff := cmp.Diff(fromJSON, fromTV, cmpopts.IgnoreFields(inventory.Inventory{}, "Subject"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("JSON and tag-value examples decode differently (-json +tag-value):\n%s", diff)
	}
	for _, name := range []string{"SPDXRdfExample-v2.3.spdx.rdf.xml", "SPDXYAMLExample-2.3.spdx.yaml", "SPDXXMLExample-v2.3.spdx.xml"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(name, f)
		f.Close()
		if !errors.Is(err, ErrUnknownFormat) || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("Decode(%s) = %v, want ErrUnknownFormat naming the file", name, err)
		}
	}
}

// TestSPDXExamples decodes every SPDX 2.3 document of spdx/spdx-examples.
func TestSPDXExamples(t *testing.T) {
	root := filepath.Join(sbomtest.Shared(t), "spdx", "examples")
	n := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || strings.Contains(path, "spdx3") {
			return err
		}
		n++
		t.Run(strings.TrimPrefix(path, root+string(filepath.Separator)), func(t *testing.T) {
			decodeFile(t, path)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("decoded %d SPDX 2.3 examples, want at least 10", n)
	}
}

// TestCycloneDXSpecExamples decodes every valid-* test BOM of the CycloneDX specification
// (1.5, 1.6 and 1.7 JSON) without error.
func TestCycloneDXSpecExamples(t *testing.T) {
	root := filepath.Join(sbomtest.Shared(t), "cyclonedx", "tests")
	files, err := filepath.Glob(filepath.Join(root, "*", "valid-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Errorf("found %d valid-* BOMs, want over 100", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { decodeFile(t, f) })
	}
}

// TestCycloneDXExamples checks what the copied specification examples must give.
func TestCycloneDXExamples(t *testing.T) {
	dir := filepath.Join("testdata", "cyclonedx-examples")
	dep := decodeFile(t, filepath.Join(dir, "valid-dependency-1.6.json"))
	if got := summarize(dep); len(got.Edges) != 1 || len(dep.Packages) != 3 {
		t.Errorf("valid-dependency: %d packages, edges %v; want 3 packages and library-b -> library-c", len(dep.Packages), got.Edges)
	}
	ev := decodeFile(t, filepath.Join(dir, "valid-evidence-1.6.json"))
	wantPkg(t, ev, "pkg:maven/com.google.code.findbugs/findbugs-project@3.0.0", inventory.Package{
		Name: "com.google.code.findbugs:findbugs-project", Version: "3.0.0", Ecosystem: "Maven", Type: "application",
		PURL:      "pkg:maven/com.google.code.findbugs/findbugs-project@3.0.0",
		Locations: []inventory.Location{{Path: "path/to/component"}, {Path: "another/path/to/component"}},
		Licenses:  []string{"LGPL-3.0-or-later"},
	})
	lic := decodeFile(t, filepath.Join(dir, "valid-license-expression-1.6.json"))
	if len(lic.Packages) != 1 || !slices.Equal(lic.Packages[0].Licenses, []string{"EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0"}) || len(lic.Packages[0].Hashes) != 4 {
		t.Errorf("valid-license-expression: %+v", lic.Packages)
	}
	tool := decodeFile(t, filepath.Join(dir, "valid-metadata-tool-1.6.json"))
	if len(tool.Packages) != 0 {
		t.Errorf("valid-metadata-tool: tools became packages: %+v", tool.Packages)
	}
}

// TestBadInput feeds broken documents to Decode: each must fail with an error that names the
// file and says what is wrong, and none may panic.
func TestBadInput(t *testing.T) {
	rich := encode(t, CycloneDXJSON, sbomtest.Rich())
	richSPDX := encode(t, SPDXJSON, sbomtest.Rich())
	big := strings.Repeat("x", 70000)
	cdx := func(body string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1` + body + `}`
	}
	spdxDoc := func(body string) string {
		return `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://x/y","creationInfo":{"creators":["Tool: t"],"created":"2020-01-01T00:00:00Z"}` + body + `}`
	}
	tv := "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
	for _, tc := range []struct {
		name, doc string
		want      []string // substrings of the error
	}{
		{"empty", "", []string{"empty document"}},
		{"binary", "\x00\xff\x10garbage", []string{"neither JSON, XML nor SPDX tag-value"}},
		{"truncated-cyclonedx", string(rich[:len(rich)/2]), []string{"invalid JSON", "line ", "unexpected end of JSON input"}},
		{"truncated-spdx", string(richSPDX[:len(richSPDX)/2]), []string{"invalid JSON", "unexpected end"}},
		{"wrong-bomformat", `{"bomFormat":"SWID","specVersion":"1.6"}`, []string{`bomFormat is not "CycloneDX"`}},
		{"unsupported-specversion", `{"bomFormat":"CycloneDX","specVersion":"2.0"}`, []string{`unsupported specVersion "2.0"`}},
		{"specversion-number", `{"bomFormat":"CycloneDX","specVersion":1.6}`, []string{"unsupported specVersion 1.6"}},
		{"missing-specversion", `{"bomFormat":"CycloneDX"}`, []string{"specVersion is missing"}},
		{"wrong-type", cdx(`,"components":{"a":1}`), []string{"decoding JSON BOM", "line 1"}},
		{"duplicate-bom-ref", cdx(`,"components":[{"type":"library","name":"a","bom-ref":"x"},{"type":"library","name":"b","bom-ref":"x"}]`), []string{`duplicate bom-ref "x" (components[0] and components[1])`}},
		{"duplicate-bom-ref-nested", cdx(`,"metadata":{"component":{"type":"application","name":"s","bom-ref":"x"}},"components":[{"type":"library","name":"a","components":[{"type":"library","name":"b","bom-ref":"x"}]}]`), []string{`duplicate bom-ref "x" (metadata.component and components[0].components[0])`}},
		{"dependency-unknown-ref", cdx(`,"components":[{"type":"library","name":"a","bom-ref":"a"}],"dependencies":[{"ref":"nope"}]`), []string{`dependencies[0]: ref "nope" is not the bom-ref`}},
		{"dependson-unknown-ref", cdx(`,"components":[{"type":"library","name":"a","bom-ref":"a"}],"dependencies":[{"ref":"a","dependsOn":["ghost"]}]`), []string{`dependencies[0].dependsOn[0]: "ghost" is not the bom-ref`}},
		{"gigantic-name", cdx(`,"components":[{"type":"library","name":"` + big + `"}]`), []string{"components[0].name is 70000 bytes long, more than 65536"}},
		{"gigantic-property", cdx(`,"components":[{"type":"library","name":"a","properties":[{"name":"p","value":"` + big + `"}]}]`), []string{"components[0].properties[0].value is 70000 bytes long"}},
		{"bad-unreadable", cdx(`,"metadata":{"properties":[{"name":"hallmark:unreadable","value":"{not json"}]}`), []string{"metadata: property hallmark:unreadable: invalid JSON value"}},
		{"bad-dev-flag", cdx(`,"components":[{"type":"library","name":"a","properties":[{"name":"hallmark:dev","value":"maybe"}]}]`), []string{`components[0]: property hallmark:dev: "maybe" is not a boolean`}},
		{"xml-wrong-namespace", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/9.9" version="1"></bom>`, []string{"unsupported XML namespace", "bom/9.9"}},
		{"xml-truncated", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component type="library"><name>a`, []string{"decoding XML BOM", "unexpected EOF"}},
		{"spdx-unsupported-version", `{"spdxVersion":"SPDX-3.0"}`, []string{`unsupported spdxVersion "SPDX-3.0"`}},
		{"spdx3-jsonld", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, []string{"SPDX 3 JSON-LD"}},
		{"spdx-duplicate-id", spdxDoc(`,"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NONE"},{"name":"b","SPDXID":"SPDXRef-a","downloadLocation":"NONE"}]`), []string{`duplicate SPDXID "SPDXRef-a" (packages[0] and packages[1])`}},
		{"spdx-unknown-relationship-ref", spdxDoc(`,"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NONE"}],"relationships":[{"spdxElementId":"SPDXRef-a","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-nope"}]`), []string{`relationships[0] (DEPENDS_ON): "SPDXRef-nope" is not an element of this document`}},
		{"spdx-null-package", spdxDoc(`,"packages":[null]`), []string{"packages[0] is null"}},
		{"spdx-gigantic-name", spdxDoc(`,"packages":[{"name":"` + big + `","SPDXID":"SPDXRef-a","downloadLocation":"NONE"}]`), []string{"packages[0] (SPDXRef-a).name is 70000 bytes long"}},
		{"spdx-bad-location", spdxDoc(`,"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NONE","annotations":[{"annotator":"Tool: x","annotationDate":"2020-01-01T00:00:00Z","annotationType":"OTHER","comment":"hallmark:location=[1]"}]}]`), []string{"packages[0] (SPDXRef-a): property hallmark:location: invalid JSON value"}},
		{"tag-value-unknown-version", "SPDXVersion: SPDX-9.9\n", []string{`unsupported SPDXVersion "SPDX-9.9"`}},
		{"tag-value-unclosed-text", tv + "DocumentComment: <text>never\nclosed\n", []string{"line 4: DocumentComment: <text> is never closed"}},
		{"tag-value-bad-relationship", tv + "Relationship: SPDXRef-DOCUMENT DESCRIBES\n", []string{"line 4: Relationship: want"}},
		{"tag-value-bad-id", tv + "PackageName: a\nSPDXID: a\n", []string{`line 5: SPDXID: "a" is not SPDXRef-<idstring>`}},
		{"tag-value-invalid-utf8", tv + "PackageName: a\xff\n", []string{"line 4: not valid UTF-8"}},
		{"tag-value-orphan-tag", tv + "PackageVersion: 1\n", []string{"line 4: PackageVersion outside a package"}},
		{"tag-value-unknown-relationship-ref", tv + "PackageName: a\nSPDXID: SPDXRef-a\nRelationship: SPDXRef-a DEPENDS_ON SPDXRef-b\n", []string{`"SPDXRef-b" is not an element of this document`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Decode("bad.sbom", strings.NewReader(tc.doc))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", inv)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bad.sbom") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestPartialForeign checks that a foreign BOM that declares itself incomplete decodes as a
// partial inventory, so that no consumer presents it as complete.
func TestPartialForeign(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"a","bom-ref":"a"}],"compositions":[{"aggregate":"incomplete_first_party_only","assemblies":["a"]}]}`
	inv, err := Decode("partial.json", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Partial() || !strings.Contains(inv.Errors[0].Message, "incomplete_first_party_only") {
		t.Errorf("errors = %+v, want one saying the SBOM is incomplete", inv.Errors)
	}
}

func ExampleDetect() {
	f, ok := Detect([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}`))
	fmt.Println(f, ok, f.MediaType())
	// Output: cyclonedx-json true application/vnd.cyclonedx+json
}

// Make sure the packages behind Encode are the ones documented.
var (
	_ = cyclonedx.Encode
	_ = spdx.Encode
)
