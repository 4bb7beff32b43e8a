// Package sbom is the room that turns an inventory into a software bill of materials and back.
// It comes right after inventory in hallmark's loop: what inventory found inside an artifact
// leaves as CycloneDX 1.6 (JSON or XML) or SPDX 2.3 JSON, with the NTIA minimum elements, stable
// output and every hallmark fact preserved, and SBOMs made by hallmark, syft, trivy or anyone
// else come in as an inventory that matching, policy, VEX and the server consume as if hallmark
// had scanned the artifact itself. This package sniffs the format and dispatches; the
// sbom/cyclonedx and sbom/spdx packages do the mapping.
package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/sbom/internal/limits"
	"github.com/hallmark-dev/hallmark/sbom/spdx"
)

// Format is an SBOM serialisation.
type Format string

// Formats. The first three are written and read; SPDXTagValue is read only.
const (
	CycloneDXJSON Format = "cyclonedx-json"
	CycloneDXXML  Format = "cyclonedx-xml"
	SPDXJSON      Format = "spdx-json"
	SPDXTagValue  Format = "spdx-tag-value"
)

// OutputFormats are the formats Encode writes, in the order a CLI should offer them.
var OutputFormats = []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON}

// MediaType returns the format's registered media type (for OCI artifacts and attestations).
func (f Format) MediaType() string {
	switch f {
	case CycloneDXJSON:
		return "application/vnd.cyclonedx+json"
	case CycloneDXXML:
		return "application/vnd.cyclonedx+xml"
	case SPDXJSON:
		return "application/spdx+json"
	case SPDXTagValue:
		return "text/spdx"
	}
	return ""
}

// ErrUnknownFormat is returned (wrapped) by Decode for input that is no SBOM format hallmark
// reads, and by Encode for a format it does not write. The input or the flag is wrong; there is
// nothing to retry.
var ErrUnknownFormat = errors.New("unknown SBOM format")

var (
	cdxJSONRE  = regexp.MustCompile(`"bomFormat"\s*:\s*"CycloneDX"`)
	spdxJSONRE = regexp.MustCompile(`"spdxVersion"\s*:\s*"`)
	cdxXMLRE   = regexp.MustCompile(`xmlns(:\w+)?\s*=\s*["']http://cyclonedx\.org/schema/bom/`)
	tagLineRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*:`)
)

// Detect sniffs the format of a document from its first bytes (a few KiB are plenty; the whole
// document works too): JSON with bomFormat "CycloneDX", XML in a CycloneDX namespace, JSON with
// spdxVersion, or tag-value with an SPDXVersion tag before anything that is not a tag.
func Detect(head []byte) (Format, bool) {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	h = bytes.TrimLeft(h, " \t\r\n")
	if len(h) == 0 {
		return "", false
	}
	switch h[0] {
	case '{':
		switch {
		case cdxJSONRE.Match(h):
			return CycloneDXJSON, true
		case spdxJSONRE.Match(h):
			return SPDXJSON, true
		}
		return "", false
	case '<':
		if cdxXMLRE.Match(h) {
			return CycloneDXXML, true
		}
		return "", false
	}
	for _, line := range bytes.Split(h, []byte("\n")) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
		case bytes.HasPrefix(line, []byte("SPDXVersion:")):
			return SPDXTagValue, true
		case !tagLineRE.Match(line):
			return "", false
		}
	}
	return "", false
}

// Decode reads an SBOM in any format Detect knows and returns its inventory. name is what the
// caller calls the input (a file name); every error starts with it.
//
// When the document does not identify its subject by digest (other tools' SBOMs of directories
// usually do not), the inventory's subject becomes the SBOM itself: Kind inventory.KindSBOM,
// Name name, Digest the SHA-256 of the document, keeping any version and purl it gives.
func Decode(name string, r io.Reader) (*inventory.Inventory, error) {
	b, err := limits.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f, ok := Detect(b)
	if !ok {
		return nil, fmt.Errorf("%s: %s: %w", name, describe(b), ErrUnknownFormat)
	}
	var inv *inventory.Inventory
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		inv, err = cyclonedx.Decode(bytes.NewReader(b))
	default:
		inv, err = spdx.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", name, f, err)
	}
	// Other tools' SBOMs record no OSV ecosystem and purls in assorted spellings: canonicalise
	// the purls and derive the ecosystem, so matching treats them like hallmark's own.
	changed := false
	for _, p := range inv.Packages {
		purl := inventory.CanonicalPURL(p.PURL)
		eco := p.Ecosystem
		if eco == "" && purl != "" {
			eco = inventory.EcosystemOf(purl, inv.Distro)
		}
		if purl != p.PURL || eco != p.Ecosystem {
			p.PURL, p.Ecosystem, changed = purl, eco, true
		}
	}
	if changed {
		inv.Finalize() // IDs derive from purl and ecosystem
	}
	if inv.Subject.Digest == "" {
		sum := sha256.Sum256(b)
		inv.Subject.Kind = inventory.KindSBOM
		inv.Subject.Name = name
		inv.Subject.Digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	return inv, nil
}

// describe says what a document that Detect does not know looks like.
func describe(b []byte) string {
	h := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(h) == 0:
		return "empty document"
	case h[0] == '{' && bytes.Contains(h, []byte(`"@context"`)) && bytes.Contains(h, []byte("spdx.org")):
		return "SPDX 3 JSON-LD, which is not read yet"
	case h[0] == '{' && bytes.Contains(h, []byte(`"bomFormat"`)):
		return `JSON whose bomFormat is not "CycloneDX"`
	case h[0] == '{' || h[0] == '[':
		return "JSON without bomFormat or spdxVersion"
	case h[0] == '<' && bytes.Contains(h, []byte("spdx.org/rdf")):
		return "SPDX RDF/XML, which is not read"
	case h[0] == '<':
		return "XML outside the CycloneDX namespace"
	}
	return "neither JSON, XML nor SPDX tag-value"
}

// EncodeOptions controls Encode.
type EncodeOptions struct {
	// Timestamp is the document's creation time. It is required, so that the same inventory
	// and timestamp give byte-identical output.
	Timestamp time.Time
	// ToolName and ToolVersion name the producing tool; they default to hallmark and the
	// running binary's version.
	ToolName, ToolVersion string
}

// Encode writes inv to w in format f, which must be one of OutputFormats.
func Encode(w io.Writer, f Format, inv *inventory.Inventory, opts EncodeOptions) error {
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		return cyclonedx.Encode(w, inv, cyclonedx.Options{
			XML:         f == CycloneDXXML,
			Timestamp:   opts.Timestamp,
			ToolName:    opts.ToolName,
			ToolVersion: opts.ToolVersion,
		})
	case SPDXJSON:
		return spdx.Encode(w, inv, spdx.Options{
			Timestamp:   opts.Timestamp,
			ToolName:    opts.ToolName,
			ToolVersion: opts.ToolVersion,
		})
	case SPDXTagValue:
		return fmt.Errorf("%s is read but not written; write %s instead: %w", f, SPDXJSON, ErrUnknownFormat)
	}
	return fmt.Errorf("%q (want one of %v): %w", f, OutputFormats, ErrUnknownFormat)
}
