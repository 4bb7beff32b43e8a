# Dockerfile checks: the build mistakes that make an image run as root, change under you, or
# carry secrets and caches.
#
# input.dockerfiles[i] is {file, stages}; each stage is {index, name, line, image (global ARG
# defaults expanded), unresolved, base_stage, chain (this stage, then the stages it builds on),
# instructions}; each instruction is {cmd, line, end_line, flags, text, json, args, pairs (ENV,
# ARG, LABEL), shell (RUN: the command and its heredoc bodies)}.
package hallmark.misconfig.dockerfile

import data.hallmark.misconfig.image

cis_docker := "https://www.cisecurity.org/benchmark/docker"

best_practices := "https://docs.docker.com/build/building/best-practices/"

at(i, stage, line, id, msg) := {"target": "dockerfile", "rule": id, "index": i, "line": line, "container": "", "message": msg, "name": stage}

final(df) := df.stages[count(df.stages) - 1]

# instructions: [Dockerfile index, stage name, instruction] (not the whole stage: set members
# are hashed).
instructions contains [i, st.name, ins] if {
	some i, df in input.dockerfiles
	some st in df.stages
	some ins in st.instructions
}

rules["HM-DF-001"] := {
	"title": "Image runs as root",
	"severity": "high",
	"target": "dockerfile",
	"description": "A container runs as the last USER of the final stage (inherited from the stages it builds on); with none, or with root, it runs as root, and a compromise of the process is a compromise of the container's root.",
	"remediation": "Create an unprivileged user and end the final stage with USER <name or UID> (e.g. USER 65532:65532).",
	"references": [cis_docker, best_practices],
}

# The USER instructions that apply to a stage: its own last one, else the nearest base stage's.
users(df, st) := [u |
	some k in st.chain
	us := [x | some x in df.stages[k].instructions; x.cmd == "USER"]
	count(us) > 0
	u := us[count(us) - 1]
]

deny contains at(i, st.name, st.line, "HM-DF-001", msg) if {
	some i, df in input.dockerfiles
	st := final(df)
	count(users(df, st)) == 0
	not nonroot_base(df, st)
	msg := "the final stage never sets USER, so the container runs as root (unless the base image sets a user)"
}

deny contains at(i, st.name, u.line, "HM-DF-001", msg) if {
	some i, df in input.dockerfiles
	st := final(df)
	u := users(df, st)[0]
	name := lower(trim(split(trim_space(u.text), ":")[0], "\"'"))
	name in {"root", "0"}
	msg := sprintf("the final stage runs as root (USER %s)", [trim_space(u.text)])
}

# Images published to run as non-root by default (distroless :nonroot, *-nonroot variants).
nonroot_base(df, st) if {
	root := df.stages[st.chain[count(st.chain) - 1]]
	regex.match(`(?i)[:/@_-]nonroot([_.@-]|$)`, root.image)
}

external_stages contains [i, {"name": st.name, "line": st.line, "image": st.image}, image.parse(st.image)] if {
	some i, df in input.dockerfiles
	some st in df.stages
	st.base_stage < 0
	not st.unresolved
	lower(st.image) != "scratch"
	image.checkable(st.image)
}

rules["HM-DF-002"] := {
	"title": "Base image uses latest or no tag",
	"severity": "medium",
	"target": "dockerfile",
	"description": "FROM without a tag means :latest: every build may start from a different image, so builds are not reproducible and a compromised upstream push lands silently.",
	"remediation": "Pin the base image by digest (FROM name:tag@sha256:…), or at least to a version tag.",
	"references": [best_practices],
}

deny contains at(i, st.name, st.line, "HM-DF-002", msg) if {
	some [i, st, p] in external_stages
	image.mutable(p)
	msg := sprintf("FROM %s %s", [st.image, latest_reason(p)])
}

latest_reason(p) := "has no tag, so it means :latest" if {
	p.tag == ""
} else := "uses the moving :latest tag"

rules["HM-DF-003"] := {
	"title": "Base image not pinned by digest",
	"severity": "low",
	"target": "dockerfile",
	"description": "A tag can be moved to a different image; only a digest makes the build start from exactly the image that was reviewed.",
	"remediation": "Pin the base image by digest: FROM name:tag@sha256:… (tools such as Renovate or Dependabot keep digests current).",
	"references": [best_practices],
}

deny contains at(i, st.name, st.line, "HM-DF-003", msg) if {
	some [i, st, p] in external_stages
	p.digest == ""
	not image.mutable(p)
	msg := sprintf("FROM %s is pinned by tag, not by digest", [st.image])
}

rules["HM-DF-004"] := {
	"title": "ADD from a URL",
	"severity": "medium",
	"target": "dockerfile",
	"description": "ADD with a URL downloads at build time without verifying what it got; whoever controls the server (or the network path) controls the image.",
	"remediation": "Download with RUN curl and verify a checksum or signature, or use ADD --checksum=sha256:… (BuildKit).",
	"references": [best_practices],
}

deny contains at(i, stage, ins.line, "HM-DF-004", msg) if {
	some [i, stage, ins] in instructions
	ins.cmd == "ADD"
	not has_flag(ins, "--checksum")
	count(ins.args) > 1
	some src in array.slice(ins.args, 0, count(ins.args) - 1)
	url := trim(src, "\"'")
	regex.match(`^(?i)(https?|ftp)://`, url)
	msg := sprintf("ADD downloads %s without verifying a checksum", [url])
}

has_flag(ins, name) if {
	some f in ins.flags
	f == name
}

has_flag(ins, name) if {
	some f in ins.flags
	startswith(f, concat("", [name, "="]))
}

rules["HM-DF-005"] := {
	"title": "Remote script piped to a shell",
	"severity": "high",
	"target": "dockerfile",
	"description": "curl … | sh runs whatever the server returns at build time, unverified: a compromised or spoofed server owns the image.",
	"remediation": "Download the script to a file, verify its checksum or signature, then run it; better, install a pinned package.",
	"references": [best_practices],
}

pipe_to_shell := [
	`(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+(\S+=\S*\s+)*)?(\S*/)?(ba|z|da|k|a)?sh\b`,
	`\b(ba|z|da|k)?sh\s+(-\S+\s+)*["']?\$\(\s*(curl|wget)\b`,
	`\b(ba|z|da|k)?sh\s+(-\S+\s+)*<\(\s*(curl|wget)\b`,
]

# downloads is a cheap test before the regular expressions.
downloads(s) if contains(s, "curl")

downloads(s) if contains(s, "wget")

deny contains at(i, stage, ins.line, "HM-DF-005", msg) if {
	some [i, stage, ins] in instructions
	ins.cmd == "RUN"
	downloads(ins.shell)
	some re in pipe_to_shell
	regex.match(re, ins.shell)
	msg := "RUN pipes a downloaded script straight into a shell"
}

rules["HM-DF-006"] := {
	"title": "Secret in ENV or ARG",
	"severity": "high",
	"target": "dockerfile",
	"description": "ENV values are stored in the image configuration and ARG values in its build history: anyone who can pull the image can read them.",
	"remediation": "Pass secrets at build time with RUN --mount=type=secret, and at run time through the orchestrator's secrets; never as ENV or ARG defaults.",
	"references": [cis_docker, "https://docs.docker.com/build/building/secrets/"],
}

secret_name := `(?i)(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|APIKEY|API_KEY|ACCESSKEY|ACCESS_KEY|PRIVATEKEY|PRIVATE_KEY|SECRETKEY|SECRET_KEY|CREDENTIAL|CREDENTIALS|KEY)(_|$)`

# Names that look like secrets but name something public or a pointer to one.
not_secret_name := `(?i)(GPG|PGP|PUBLIC|FINGERPRINT|KEYRING|KEYSERVER|KEYID|_KEY_?ID$|_FILE$|_PATH$|_DIR$|_URL$|_URI$|_HOST$|_PORT$|_ID$|_NAME$|_USER$|_USERNAME$|_LENGTH$|_SIZE$|_TYPE$|_VERSION$|_ENABLED$|_REQUIRED$)`

deny contains at(i, stage, ins.line, "HM-DF-006", msg) if {
	some [i, stage, ins] in instructions
	ins.cmd in {"ENV", "ARG"}
	some p in ins.pairs
	p.has_value
	literal_value(p.value)
	regex.match(secret_name, p.key)
	not regex.match(not_secret_name, p.key)
	p.key != "PWD"
	msg := sprintf("%s %s is given a literal value, which anyone who pulls the image can read", [ins.cmd, p.key])
}

# literal_value: not empty and not just a reference to another variable.
literal_value(v) if {
	trim_space(v) != ""
	not regex.match(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`, trim_space(v))
}

rules["HM-DF-007"] := {
	"title": "Package install without cleanup",
	"severity": "low",
	"target": "dockerfile",
	"description": "Package manager caches and indexes left in a layer bloat the image and ship stale metadata; removing them in a later RUN does not shrink the earlier layer.",
	"remediation": "Clean up in the same RUN: apt-get install … && rm -rf /var/lib/apt/lists/*; apk add --no-cache …; yum/dnf install … && yum/dnf clean all; or use a cache mount (RUN --mount=type=cache,…).",
	"references": [best_practices],
}

package_managers := [
	{"name": "apt-get", "word": "apt", "install": `\bapt(-get)?\s+(-\S+\s+)*install\b`, "cleanup": `rm\s+[^;&|\n]*/var/lib/apt/lists`, "cache": `/var/(lib|cache)/apt`},
	{"name": "apk", "word": "apk", "install": `\bapk\s+(-\S+\s+)*add\b`, "cleanup": `--no-cache\b|rm\s+[^;&|\n]*/var/cache/apk`, "cache": `/var/cache/apk`},
	{"name": "yum/dnf", "word": "install", "install": `\b(yum|dnf|microdnf)\s+(-\S+\s+)*install\b`, "cleanup": `\b(yum|dnf|microdnf)\s+(-\S+\s+)*clean\s+all\b|rm\s+[^;&|\n]*/var/cache/(yum|dnf)`, "cache": `/var/cache/(yum|dnf)`},
	{"name": "zypper", "word": "zypper", "install": `\bzypper\s+(-\S+\s+)*(in|install)\b`, "cleanup": `\bzypper\s+(-\S+\s+)*(clean|cc)\b`, "cache": `/var/cache/zypp`},
]

deny contains at(i, stage, ins.line, "HM-DF-007", msg) if {
	some [i, stage, ins] in instructions
	ins.cmd == "RUN"
	some pm in package_managers
	contains(ins.shell, pm.word)
	regex.match(pm.install, ins.shell)
	not regex.match(pm.cleanup, ins.shell)
	not cache_mounted(ins, pm.cache)
	msg := sprintf("RUN installs packages with %s and leaves its cache in the layer", [pm.name])
}

cache_mounted(ins, target) if {
	some f in ins.flags
	startswith(f, "--mount=")
	contains(f, "type=cache")
	regex.match(target, f)
}
