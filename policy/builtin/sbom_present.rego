# METADATA
# title: SBOM present
# description: >-
#   With sbom.required, denies evidence without an SBOM, or whose SBOM comes from a source not
#   in sbom.accepted_sources ("generated": hallmark inventoried the artifact; "input": the
#   target was an SBOM; "attestation": a verified SBOM attestation).
# custom:
#   id: sbom-present
package hallmark.rules.sbom_present

import data.hallmark.lib

id := "sbom-present"

p := lib.params("sbom")

deny contains v if {
	lib.enabled(id)
	p.required
	not input.sbom.present
	v := lib.violation(id, sprintf("%s has no SBOM", [input.subject.name]), "high", "produce an SBOM (hallmark sbom) and provide it with the evidence", input.subject.name)
}

deny contains v if {
	lib.enabled(id)
	p.required
	input.sbom.present
	not object.get(input.sbom, "source", "") in p.accepted_sources
	msg := sprintf("the SBOM of %s comes from %q, which is not accepted (%s)", [input.subject.name, object.get(input.sbom, "source", ""), concat(", ", p.accepted_sources)])
	v := lib.violation(id, msg, "high", "provide an SBOM from an accepted source, e.g. a signed SBOM attestation", input.subject.name)
}
