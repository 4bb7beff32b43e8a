# METADATA
# title: hallmark policy library
# description: >-
#   Defaults and helpers shared by hallmark's built-in rules and by users' rules. Rules read
#   their parameters with params(section): the defaults below, replaced key by key by the
#   section of the same name in the --config file (data.hallmark.config).
package hallmark.lib

# defaults are the parameters of the built-in rules (docs/policy.md describes each).
defaults := {
	"vulnerabilities": {
		"severity": "high",
		"grace_days": 0,
		"exemptions": [],
	},
	"signatures": {
		"required_for": ["image"],
		"trusted_key_ids": [],
		"trusted_identities": [],
	},
	"provenance": {
		"required": false,
		"trusted_builders": [],
		"allowed_repos": [],
		"allow_dirty": false,
	},
	"registries": {
		"allowed": [],
		"docker_hub_allowed": [],
	},
	"images": {"require_digest": true},
	"sbom": {
		"required": true,
		"accepted_sources": ["generated", "input", "attestation"],
		"ntia": "warn",
		"ntia_elements": ["supplier", "name", "version", "unique_id", "relationships", "author", "timestamp"],
	},
	"licenses": {
		"allowed": [],
		"denied": [],
		"unknown": "warn",
	},
	"evidence": {"max_age_hours": 24},
	"misconfig": {"severity": "high"},
}

# config is the --config document (empty when there is none).
default config := {}

config := data.hallmark.config

# params returns the parameters of a section: the defaults with the user's values over them.
params(section) := object.union(object.get(defaults, section, {}), object.get(config, section, {}))

# enabled is true unless the rule id is listed in the configuration's "disabled" list.
enabled(id) if not id in object.get(config, "disabled", [])

severity_rank := {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0, "none": 0, "unknown": 0}

rank(s) := object.get(severity_rank, lower(s), 0)

# at_least is true when severity s is at or above threshold.
at_least(s, threshold) if rank(s) >= rank(threshold)

hour_ns := 3600000000000

day_ns := 86400000000000

# now_ns is the decision time the engine puts in input.now.
now_ns := time.parse_rfc3339_ns(input.now)

# parse_time_ns reads a date (YYYY-MM-DD, meaning 00:00 UTC that day) or an RFC 3339 time.
parse_time_ns(s) := t if {
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, s)
	t := time.parse_ns("2006-01-02", s)
} else := t if {
	t := time.parse_rfc3339_ns(s)
}

# date formats a time in nanoseconds as YYYY-MM-DD.
date(ns) := time.format([ns, "UTC", "2006-01-02"])

# violation builds the object a deny or warn rule contributes.
violation(id, msg, severity, remediation, resource) := {
	"rule_id": id,
	"msg": msg,
	"severity": severity,
	"remediation": remediation,
	"resource": resource,
}

# resource names a finding's package: its purl, else name@version.
package_resource(pkg) := pkg.purl if {
	pkg.purl != ""
} else := sprintf("%s@%s", [pkg.name, pkg.version])

# Exemptions (vulnerabilities.exemptions) are {id, package?, expires, reason}: the finding
# whose id or alias is id (in the package named or with that purl, when package is given) is
# allowed until expires (a date or RFC 3339 time). An exemption without expires never applies.
exemption_matches(e, f) if {
	e.id in ({f.id} | {a | some a in f.aliases})
	exemption_package_matches(object.get(e, "package", ""), f.package)
}

exemption_package_matches("", _) := true

exemption_package_matches(name, pkg) if name in {pkg.name, pkg.purl}

exemption_expired(e) if not e.expires

exemption_expired(e) if now_ns >= parse_time_ns(e.expires)

# exempt is true when an unexpired exemption covers finding f.
exempt(f, exemptions) if {
	some e in exemptions
	exemption_matches(e, f)
	not exemption_expired(e)
}

# expired_exemption_warnings warns about exemptions that match a finding but no longer apply.
expired_exemption_warnings(id, findings, exemptions) := {v |
	some f in findings
	some e in exemptions
	exemption_matches(e, f)
	exemption_expired(e)
	v := violation(
		id,
		exemption_message(e, f),
		"low",
		"renew the exemption with a new expiry date, or fix the vulnerability",
		package_resource(f.package),
	)
}

exemption_message(e, f) := sprintf("the exemption for %s in %s has no expiry date and is ignored", [e.id, f.package.name]) if {
	not e.expires
} else := sprintf("the exemption for %s in %s expired on %s", [e.id, f.package.name, e.expires])
