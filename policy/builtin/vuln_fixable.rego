# METADATA
# title: No fixable vulnerability at or above the severity threshold
# description: >-
#   Denies each unsuppressed finding of at least vulnerabilities.severity that has a fixed
#   version, once its grace period (vulnerabilities.grace_days, counted from first_seen, else
#   from the advisory's publication) has run out; within the grace period it is a warning.
#   Findings suppressed by VEX (not_affected, fixed) or an ignore rule, and findings covered by
#   an unexpired exemption, are allowed; expired exemptions are reported as warnings.
# custom:
#   id: vuln-fixable
package hallmark.rules.vuln_fixable

import data.hallmark.lib

id := "vuln-fixable"

p := lib.params("vulnerabilities")

# candidates are the findings this rule is about, before exemptions and grace.
candidates contains f if {
	lib.enabled(id)
	some f in input.findings
	not f.suppressed
	count(f.fixed_versions) > 0
	lib.at_least(f.severity, p.severity)
}

deny contains v if {
	some f in candidates
	not lib.exempt(f, p.exemptions)
	not in_grace(f)
	v := lib.violation(id, message(f), f.severity, remediation(f), lib.package_resource(f.package))
}

warn contains v if {
	some f in candidates
	not lib.exempt(f, p.exemptions)
	in_grace(f)
	msg := sprintf("%s; the grace period ends on %s", [message(f), lib.date(grace_end(f))])
	v := lib.violation(id, msg, f.severity, remediation(f), lib.package_resource(f.package))
}

warn contains v if {
	lib.enabled(id)
	some v in lib.expired_exemption_warnings(id, candidates, p.exemptions)
}

message(f) := sprintf("%s (%s) in %s %s is fixed in %s", [f.id, f.severity, f.package.name, f.package.version, concat(", ", f.fixed_versions)])

remediation(f) := sprintf("upgrade %s to %s or later", [f.package.name, f.fixed_versions[0]])

# grace_start is when the finding's clock started: first seen, else published.
grace_start(f) := lib.parse_time_ns(f.first_seen) if {
	f.first_seen
} else := lib.parse_time_ns(f.published) if {
	f.published
}

grace_end(f) := grace_start(f) + (p.grace_days * lib.day_ns)

in_grace(f) if {
	p.grace_days > 0
	lib.now_ns < grace_end(f)
}
