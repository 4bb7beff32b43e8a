# METADATA
# title: No known exploited vulnerability
# description: >-
#   Denies each unsuppressed finding listed in CISA's Known Exploited Vulnerabilities catalog,
#   whatever its severity and whether or not a fix exists. Exemptions
#   (vulnerabilities.exemptions) apply as for vuln-fixable.
# custom:
#   id: vuln-kev
package hallmark.rules.vuln_kev

import data.hallmark.lib

id := "vuln-kev"

p := lib.params("vulnerabilities")

candidates contains f if {
	lib.enabled(id)
	some f in input.findings
	not f.suppressed
	f.kev
}

deny contains v if {
	some f in candidates
	not lib.exempt(f, p.exemptions)
	msg := sprintf("%s in %s %s is known to be exploited (%s)", [f.id, f.package.name, f.package.version, kev_note(f)])
	v := lib.violation(id, msg, "critical", remediation(f), lib.package_resource(f.package))
}

warn contains v if {
	lib.enabled(id)
	some v in lib.expired_exemption_warnings(id, candidates, p.exemptions)
}

kev_note(f) := sprintf("CISA KEV, added %s", [f.kev_date_added]) if {
	object.get(f, "kev_date_added", "") != ""
} else := "CISA KEV"

remediation(f) := sprintf("upgrade %s to %s or later", [f.package.name, f.fixed_versions[0]]) if {
	count(f.fixed_versions) > 0
} else := sprintf("remove or replace %s (no fixed version is known), or mitigate and record a VEX statement", [f.package.name])
