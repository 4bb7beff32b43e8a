# METADATA
# title: Licences on the allow list and off the deny list
# description: >-
#   With licenses.allowed or licenses.denied set, denies each package whose declared licence
#   expression offers no acceptable choice. The expression is parsed (SPDX: AND, OR, WITH, +)
#   into choices (input.licenses[].choices): an OR is acceptable if any branch is, an AND needs
#   every term to be. A term is denied if its licence (or "licence WITH exception") is on the
#   deny list, and allowed if the allow list is empty or names it. Packages without a valid
#   SPDX expression are handled by licenses.unknown: "allow", "warn" (default) or "deny".
# custom:
#   id: license
package hallmark.rules.license

import data.hallmark.lib

id := "license"

p := lib.params("licenses")

active if count(p.allowed) + count(p.denied) > 0

allowed_set := {lower(x) | some x in p.allowed}

denied_set := {lower(x) | some x in p.denied}

full(t) := sprintf("%s WITH %s", [t.license, t.exception]) if {
	object.get(t, "exception", "") != ""
} else := t.license

term_denied(t) if lower(t.license) in denied_set

term_denied(t) if lower(full(t)) in denied_set

term_allowed(_) if count(allowed_set) == 0

term_allowed(t) if lower(t.license) in allowed_set

term_allowed(t) if lower(full(t)) in allowed_set

# terms are the distinct licence terms of all packages: each is judged once.
terms contains t if {
	some l in input.licenses
	some choice in l.choices
	some t in choice
}

good_terms contains t if {
	some t in terms
	term_allowed(t)
	not term_denied(t)
}

# acceptable holds the indexes of the licences with a choice whose terms are all good.
acceptable contains i if {
	some i, l in input.licenses
	some choice in l.choices
	every t in choice {
		t in good_terms
	}
}

denied_terms(l) := sort({full(t) | some choice in l.choices; some t in choice; term_denied(t)})

reason(l) := sprintf("denied: %s", [concat(", ", denied_terms(l))]) if {
	count(denied_terms(l)) > 0
} else := "not on the allow list"

deny contains v if {
	lib.enabled(id)
	active
	some i, l in input.licenses
	l.valid
	not i in acceptable
	msg := sprintf("%s is licensed %q, which is not acceptable (%s)", [l.package, l.expression, reason(l)])
	v := lib.violation(id, msg, "high", sprintf("replace %s, or obtain it under an acceptable licence", [l.package]), object.get(l, "purl", l.package))
}

unknown := sort([l.package | some l in input.licenses; not l.valid])

unknown_violation := lib.violation(id, msg, "medium", "declare an SPDX licence expression for these packages, or record them in the policy", input.subject.name) if {
	msg := sprintf("%d package(s) declare no valid SPDX licence expression (e.g. %s)", [count(unknown), concat(", ", array.slice(unknown, 0, 3))])
}

deny contains unknown_violation if {
	lib.enabled(id)
	active
	p.unknown == "deny"
	count(unknown) > 0
}

warn contains unknown_violation if {
	lib.enabled(id)
	active
	p.unknown == "warn"
	count(unknown) > 0
}
