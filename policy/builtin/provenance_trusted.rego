# METADATA
# title: SLSA provenance from a trusted builder and an allowed source repository
# description: >-
#   Requires (with provenance.required) a verified SLSA provenance; denies when every
#   provenance present names a builder outside provenance.trusted_builders, a source repository
#   matching none of provenance.allowed_repos (glob patterns: * within a path segment, ** across
#   segments), or a dirty source tree (unless provenance.allow_dirty). Empty lists accept any
#   builder or repository. Without provenance and without provenance.required, it warns.
# custom:
#   id: provenance-trusted
package hallmark.rules.provenance_trusted

import data.hallmark.lib

id := "provenance-trusted"

p := lib.params("provenance")

problems(prov) := [msg |
	some check in ["builder", "repo", "dirty"]
	msg := problem(check, prov)
]

problem("builder", prov) := sprintf("builder %s is not trusted", [prov.builder_id]) if {
	count(p.trusted_builders) > 0
	not prov.builder_id in p.trusted_builders
}

problem("repo", prov) := sprintf("source repository %s is not allowed", [object.get(prov, "source_repo", "(none)")]) if {
	count(p.allowed_repos) > 0
	not repo_allowed(prov)
}

problem("dirty", prov) := "it was built from a source tree with uncommitted changes" if {
	not p.allow_dirty
	prov.dirty == true
}

repo_allowed(prov) if {
	some pattern in p.allowed_repos
	glob.match(pattern, ["/"], prov.source_repo)
}

any_acceptable if {
	some prov in input.provenance
	count(problems(prov)) == 0
}

deny contains v if {
	lib.enabled(id)
	p.required
	count(input.provenance) == 0
	v := lib.violation(id, sprintf("%s has no verified SLSA provenance", [input.subject.name]), "high", "build it on a trusted builder that signs SLSA provenance, and attach the attestation (hallmark build, hallmark attest)", input.subject.name)
}

deny contains v if {
	lib.enabled(id)
	count(input.provenance) > 0
	not any_acceptable
	reasons := {sprintf("%s: %s", [prov.builder_id, concat("; ", problems(prov))]) | some prov in input.provenance}
	msg := sprintf("no provenance of %s is acceptable: %s", [input.subject.name, concat(" | ", sort(reasons))])
	v := lib.violation(id, msg, "high", "rebuild from an allowed repository on a trusted builder, or add the builder or repository to the policy configuration", input.subject.name)
}

warn contains v if {
	lib.enabled(id)
	not p.required
	count(input.provenance) == 0
	v := lib.violation(id, sprintf("%s has no verified SLSA provenance", [input.subject.name]), "low", "attach signed SLSA provenance (hallmark build) and set provenance.required", input.subject.name)
}
