// Package spdx writes an inventory.Inventory as an SPDX 2.3 JSON document and reads SPDX 2.2 and
// 2.3 documents (JSON and tag-value), hallmark's own and other tools', back into an inventory.
// The document model, the JSON reader and the tag-value reader are
// github.com/spdx/tools-golang's.
//
// Mapping (encode; decode reverses it):
//
//   - Subject → the package SPDXRef-subject, which the document describes (documentDescribes
//     and a DESCRIBES relationship): SHA256 checksum from the digest (a comment says what the
//     digest is of, for images and directories), purl, primaryPackagePurpose CONTAINER, FILE or
//     APPLICATION, and the annotation hallmark:subject:kind.
//   - Distro → the package SPDXRef-distro, primaryPackagePurpose OPERATING_SYSTEM, with
//     hallmark:distro:* annotations.
//   - Package → package SPDXRef-<ID>: name, versionInfo, supplier (Organization), checksums,
//     a PACKAGE-MANAGER purl external reference, primaryPackagePurpose, licenseDeclared (an SPDX
//     expression; licence text that is not one becomes a LicenseRef- with
//     hasExtractedLicensingInfos), sourceInfo (readable) and annotations "name=value" for what
//     SPDX has no field for: hallmark:location (JSON, one per location), hallmark:ecosystem,
//     hallmark:scope, hallmark:dev, hallmark:found-by, hallmark:source:name/version, and
//     hallmark:license when licenseDeclared cannot give the licence list back verbatim.
//   - The subject CONTAINS every package and the distro; Relationships → DEPENDS_ON.
//   - Errors → document annotations hallmark:partial and hallmark:unreadable (JSON), and a
//     document comment that says the SBOM is partial and lists the files.
//
// Every inventory field survives Encode then Decode (the round-trip test checks it).
//
// Other tools' documents (no hallmark:inventory:version annotation) are read as they are
// written: the single described package is the subject, an OPERATING-SYSTEM package without
// purl is the distro, a package without purl or version that CONTAINS packages (trivy's
// per-lockfile "Application") is a grouping and not a package, licenseConcluded stands in for
// a missing licenseDeclared, locations come from syft's and trivy's sourceInfo, and
// DEPENDENCY_OF-style relationships are read as reversed DEPENDS_ON.
package spdx

import "time"

// Options controls Encode.
type Options struct {
	// Timestamp is creationInfo.created and the date of every annotation. It is required: the
	// same inventory and timestamp always give byte-identical output.
	Timestamp time.Time
	// ToolName and ToolVersion name the creator tool ("Tool: name-version"); they default to
	// hallmark and the running binary's version.
	ToolName, ToolVersion string
}

// NamespaceBase prefixes every documentNamespace Encode writes; the rest is the document name
// and a UUID derived from the content.
const NamespaceBase = "https://hallmark.dev/spdxdocs/"

const (
	subjectID = "subject"
	distroID  = "distro"
	noAssert  = "NOASSERTION"
)
