# METADATA
# title: No misconfiguration at or above the severity threshold
# description: >-
#   Denies each misconfiguration result (Dockerfile, Kubernetes manifests) of at least
#   misconfig.severity; lower ones are warnings.
# custom:
#   id: misconfig
package hallmark.rules.misconfig

import data.hallmark.lib

id := "misconfig"

p := lib.params("misconfig")

where(m) := sprintf("%s:%d", [m.file, m.line]) if {
	object.get(m, "line", 0) > 0
} else := object.get(m, "file", object.get(m, "resource", ""))

fix(m) := object.get(m, "remediation", "") if {
	object.get(m, "remediation", "") != ""
} else := sprintf("fix %s (hallmark misconfig explains it)", [m.rule_id])

deny contains v if {
	lib.enabled(id)
	some m in input.misconfig
	lib.at_least(m.severity, p.severity)
	v := lib.violation(id, sprintf("%s: %s", [m.rule_id, m.message]), m.severity, fix(m), where(m))
}

warn contains v if {
	lib.enabled(id)
	some m in input.misconfig
	not lib.at_least(m.severity, p.severity)
	lib.rank(m.severity) > 0
	v := lib.violation(id, sprintf("%s: %s", [m.rule_id, m.message]), m.severity, fix(m), where(m))
}
