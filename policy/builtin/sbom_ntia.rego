# METADATA
# title: SBOM meets the NTIA minimum elements
# description: >-
#   Checks the SBOM for the NTIA minimum elements listed in sbom.ntia_elements: per component
#   supplier, name, version, unique identifier and dependency relationships; for the document
#   its author and timestamp. Each missing element is one violation (sbom.ntia "deny"), one
#   warning ("warn", the default), or nothing ("off").
# custom:
#   id: sbom-ntia
package hallmark.rules.sbom_ntia

import data.hallmark.lib

id := "sbom-ntia"

p := lib.params("sbom")

component_elements := {"supplier", "name", "version", "unique_id", "relationships"}

components := input.sbom.components

problems contains v if {
	some element in p.ntia_elements
	element in component_elements
	lacking := sort([c.component | some c in components; not c[element]])
	count(lacking) > 0
	examples := concat(", ", array.slice(lacking, 0, 3))
	msg := sprintf("%d of %d components lack the NTIA element %q (e.g. %s)", [count(lacking), count(components), element, examples])
	v := lib.violation(id, msg, "medium", remedy[element], input.subject.name)
}

problems contains v if {
	"author" in p.ntia_elements
	object.get(input.sbom, "author", "") == ""
	v := lib.violation(id, "the SBOM names no author", "medium", remedy.author, input.subject.name)
}

problems contains v if {
	"timestamp" in p.ntia_elements
	not input.sbom.timestamp
	v := lib.violation(id, "the SBOM has no timestamp", "medium", remedy.timestamp, input.subject.name)
}

remedy := {
	"supplier": "record each component's supplier in the SBOM (package metadata, or enrich the SBOM)",
	"name": "give every component a name",
	"version": "give every component a version",
	"unique_id": "give every component a purl (or another unique identifier such as a hash)",
	"relationships": "record dependency relationships (generate the SBOM from lockfiles that have them)",
	"author": "name the author of the SBOM data (CycloneDX metadata.authors, SPDX creators)",
	"timestamp": "record when the SBOM was made (CycloneDX metadata.timestamp, SPDX created)",
}

deny contains v if {
	lib.enabled(id)
	p.ntia == "deny"
	input.sbom.present
	some v in problems
}

warn contains v if {
	lib.enabled(id)
	p.ntia == "warn"
	input.sbom.present
	some v in problems
}
