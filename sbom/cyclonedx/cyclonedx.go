// Package cyclonedx writes an inventory.Inventory as a CycloneDX 1.6 BOM (JSON or XML) and reads
// CycloneDX BOMs (JSON 1.2–1.7, XML 1.0–1.7), hallmark's own and other tools', back into an
// inventory. Encoding and decoding use github.com/CycloneDX/cyclonedx-go for the document model.
//
// Mapping (encode; decode reverses it):
//
//   - Subject → metadata.component, bom-ref "subject": type container (image), file (file and
//     sbom), application (directory); SHA-256 hash from the digest; property hallmark:subject:kind.
//   - Distro → an operating-system component, bom-ref "distro", with hallmark:distro:* properties.
//   - Package → component: bom-ref = ID, name, version, purl, type, supplier, hashes, licences
//     (one SPDX expression as licenses[0].expression; otherwise one license per entry, with an
//     SPDX id when it is one, else a name), evidence.occurrences (path, line) and properties
//     hallmark:layer:digest / hallmark:layer:diffID (one per location, in order),
//     hallmark:ecosystem, hallmark:scope, hallmark:dev, hallmark:found-by,
//     hallmark:source:name / hallmark:source:version.
//   - Relationships → dependencies; every component has an entry, "subject" depends on the
//     packages whose From is inventory.SubjectRef.
//   - Errors → metadata properties hallmark:partial and hallmark:unreadable (one per file, JSON),
//     plus a composition with aggregate "incomplete".
//
// Every inventory field survives Encode then Decode (the round-trip test checks it field by
// field), for both JSON and XML.
//
// Other tools' BOMs (no hallmark:inventory:version metadata property) are read with what they
// say in their own terms: syft's syft:location:*, syft:package:foundBy, syft:distro:* and
// source-distribution references, trivy's aquasecurity:trivy:* properties (source package,
// file path, layers; its per-lockfile components become the subject's direct dependencies),
// file components (not packages), an operating-system component without purl (the distro),
// publisher as supplier when there is none, and an "incomplete" composition (a partial
// inventory).
package cyclonedx

import (
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Options controls Encode.
type Options struct {
	// XML selects the XML encoding; the default is JSON.
	XML bool
	// Timestamp is metadata.timestamp. It is required: the same inventory and timestamp always
	// give byte-identical output, so the caller decides what time it is.
	Timestamp time.Time
	// ToolName and ToolVersion name the tool in metadata.tools; they default to hallmark and
	// the running binary's version.
	ToolName, ToolVersion string
}

// Spec version and schema written by Encode.
const (
	specVersion = cdx.SpecVersion1_6
	jsonSchema  = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	xmlNS       = "http://cyclonedx.org/schema/bom/1.6"
)
