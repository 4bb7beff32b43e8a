// Package sbomtest holds what the sbom room's tests share: a rich inventory that exercises every
// field, offline validation against the official CycloneDX 1.6 and SPDX 2.3 JSON schemas (and
// the CycloneDX 1.6 XSD, through xmllint when it is installed), and the location of the shared
// conformance data. It is imported only by tests.
package sbomtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/inventory"
)

// Dir returns the sbom room's testdata directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Shared returns the shared conformance data directory (shared/testdata beside the module), or
// skips the test with a message saying what is missing.
func Shared(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("HALLMARK_SHARED_TESTDATA"); d != "" {
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "testdata")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/testdata not found beside the module (set HALLMARK_SHARED_TESTDATA); skipping conformance test")
		}
		dir = parent
	}
}

// Schema URLs, as the schemas name themselves ($id) and refer to each other.
const (
	cdxSchemaURL  = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	spdxSchemaURL = "http://spdx.org/rdf/terms/2.3"
)

var schemas = map[string]string{
	cdxSchemaURL: "bom-1.6.schema.json",
	"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
	"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
	spdxSchemaURL: "spdx-schema-2.3.json",
}

// offline refuses every URL not registered with the compiler, so validation never touches
// the network.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not available offline", url)
}

var compiled = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(offline{})
	for url, file := range schemas {
		f, err := os.Open(filepath.Join(Dir(), "schema", file))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			return nil, err
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, url := range []string{cdxSchemaURL, spdxSchemaURL} {
		s, err := c.Compile(url)
		if err != nil {
			return nil, err
		}
		out[url] = s
	}
	return out, nil
})

func validate(url string, doc []byte) error {
	schs, err := compiled()
	if err != nil {
		return fmt.Errorf("compiling schemas: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return schs[url].Validate(inst)
}

// ValidateCycloneDX returns an error unless doc is valid against the CycloneDX 1.6 JSON schema.
func ValidateCycloneDX(doc []byte) error { return validate(cdxSchemaURL, doc) }

// ValidateSPDX returns an error unless doc is valid against the SPDX 2.3 JSON schema.
func ValidateSPDX(doc []byte) error { return validate(spdxSchemaURL, doc) }

// ErrNoXMLLint is returned by ValidateCycloneDXXML when xmllint is not installed.
var ErrNoXMLLint = errors.New("xmllint not installed (Debian package libxml2-utils)")

// ValidateCycloneDXXML validates doc against the CycloneDX 1.6 XSD with xmllint, offline.
func ValidateCycloneDXXML(doc []byte) error {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		return ErrNoXMLLint
	}
	f, err := os.CreateTemp("", "bom-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(doc); err != nil {
		f.Close()
		return err
	}
	f.Close()
	cmd := exec.Command(xmllint, "--nonet", "--noout", "--schema", filepath.Join(Dir(), "schema", "bom-1.6.xsd"), f.Name())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xmllint: %v\n%s", err, out)
	}
	return nil
}

// Rich returns a finalized inventory that sets every field of every type, with the awkward
// cases encoders get wrong: several locations with and without layers, a dev dependency,
// licences that are and are not SPDX expressions, hashes no format has a field for, a custom
// package type, an operating-system package besides the distro, edges from the subject, and
// unreadable files.
func Rich() *inventory.Inventory {
	const (
		layer1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
		diff1  = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		layer2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
		diff2  = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	inv := &inventory.Inventory{
		Subject: inventory.Subject{
			Kind:    inventory.KindImage,
			Name:    "registry.example.com/shop/web:1.4.2",
			Digest:  "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Version: "1.4.2",
			PURL:    "pkg:oci/web@sha256%3A9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08?repository_url=registry.example.com%2Fshop%2Fweb&tag=1.4.2",
		},
		Distro: &inventory.Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		Packages: []*inventory.Package{
			{
				ID: "libssl3", Name: "libssl3", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12",
				PURL:      "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
				Type:      "library",
				Locations: []inventory.Location{{Path: "var/lib/dpkg/status", Line: 120, LayerDigest: layer1, LayerDiffID: diff1}},
				Licenses:  []string{"Apache-2.0"},
				Source:    &inventory.SourcePackage{Name: "openssl", Version: "3.0.11-1~deb12u2"},
				Supplier:  "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
				FoundBy:   "os/dpkg",
				Hashes:    map[string]string{"MD5": "0123456789abcdef0123456789abcdef"},
			},
			{
				ID: "base-files", Name: "base-files", Version: "12.4+deb12u5", Ecosystem: "Debian:12",
				PURL:      "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
				Type:      "operating-system",
				Locations: []inventory.Location{{Path: "var/lib/dpkg/status", Line: 1, LayerDigest: layer1, LayerDiffID: diff1}},
				Licenses:  []string{"GPL-2.0-or-later"},
				Source:    &inventory.SourcePackage{Name: "base-files"}, // no source version
				FoundBy:   "os/dpkg",
			},
			{
				ID: "express", Name: "express", Version: "4.19.2", Ecosystem: "npm",
				PURL: "pkg:npm/express@4.19.2",
				Locations: []inventory.Location{
					{Path: "app/package-lock.json", Line: 12, LayerDigest: layer2, LayerDiffID: diff2},
					{Path: "app/node_modules/express/package.json", LayerDigest: layer2, LayerDiffID: diff2},
				},
				Licenses: []string{"MIT"},
				Scope:    inventory.ScopeDirect,
				FoundBy:  "javascript/packagelockjson",
				Hashes: map[string]string{
					"SHA-512": "c2f1e5c1a3b6d4e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
					"SHA-1":   "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
				},
			},
			{
				ID: "left-pad", Name: "left-pad", Version: "1.3.0", Ecosystem: "npm",
				PURL:      "pkg:npm/left-pad@1.3.0",
				Locations: []inventory.Location{{Path: "app/package-lock.json", Line: 40, LayerDigest: layer2, LayerDiffID: diff2}},
				Licenses:  []string{"WTFPL"},
				Scope:     inventory.ScopeDirect,
				Dev:       true,
				FoundBy:   "javascript/packagelockjson",
			},
			{
				ID: "scoped", Name: "@types/node", Version: "20.11.5", Ecosystem: "npm",
				PURL:      "pkg:npm/%40types/node@20.11.5",
				Locations: []inventory.Location{{Path: "app/package-lock.json", Line: 55, LayerDigest: layer2, LayerDiffID: diff2}},
				// Several licences: a compound expression, a plain id, an id in odd case, and
				// text that is no SPDX expression at all.
				Licenses: []string{"Apache-2.0 OR MIT", "BSD-2-Clause", "bsd-3-clause", "Custom: see LICENSE.txt & NOTICE"},
				Scope:    inventory.ScopeTransitive,
				FoundBy:  "javascript/packagelockjson",
			},
			{
				ID: "x-text", Name: "golang.org/x/text", Version: "v0.14.0", Ecosystem: "Go",
				PURL: "pkg:golang/golang.org/x/text@v0.14.0",
				// The same module in two layers and a path outside any layer.
				Locations: []inventory.Location{
					{Path: "usr/local/bin/web", LayerDigest: layer2, LayerDiffID: diff2},
					{Path: "go.sum", Line: 7},
					{Path: "usr/local/bin/web", LayerDigest: layer1, LayerDiffID: diff1},
				},
				Licenses: []string{"Proprietary licence (c) Example Corp, see <https://example.com/eula>"},
				Scope:    inventory.ScopeTransitive,
				FoundBy:  "go/binary",
				Hashes: map[string]string{
					"SHA-256":     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
					"SHA-224":     "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f",
					"go-h1":       "h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=",
					"BLAKE2b-256": "NOT-HEX",
				},
			},
			{
				ID: "web", Name: "shop/web", Version: "1.4.2", Ecosystem: "Go",
				PURL:      "pkg:golang/example.com/shop/web@1.4.2",
				Type:      "application",
				Locations: []inventory.Location{{Path: "usr/local/bin/web", LayerDigest: layer2, LayerDiffID: diff2}},
				Supplier:  "Example Corp",
				FoundBy:   "go/binary",
			},
			{
				ID: "vendored", Name: "vendored-helper", Version: "0.1",
				Type: "rpm-module", // not a type any format has
				// The second location is the artifact root itself (empty path).
				Locations: []inventory.Location{{Path: "opt/vendor/helper.so"}, {Path: "", Line: 3}},
			},
		},
		Relationships: []inventory.Relationship{
			{From: inventory.SubjectRef, To: "web"},
			{From: "web", To: "x-text"},
			{From: "web", To: "express"},
			{From: "web", To: "left-pad"},
			{From: "express", To: "scoped"},
			{From: "libssl3", To: "base-files"},
		},
		Errors: []inventory.FileError{
			{Path: "usr/lib/python3/dist-packages/broken-1.0.dist-info/METADATA", LayerDigest: layer1, Extractor: "python/wheelegg", Message: "invalid header at line 3"},
			{Path: "app/yarn.lock", Message: `unexpected token "<" at line 9 & more`},
		},
	}
	inv.Finalize()
	return inv
}
