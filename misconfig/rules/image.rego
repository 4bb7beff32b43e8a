# Container image references, read the way container runtimes resolve them
# (distribution/reference): a first path component with a dot or a colon, or "localhost", is a
# registry; anything else is on Docker Hub, where one-component names live under library/.
package hallmark.misconfig.image

# parse splits ref into registry, repository, tag and digest (empty when absent).
parse(ref) := {"registry": registry, "repository": repository, "tag": tag, "digest": digest} if {
	at := split(ref, "@")
	digest := concat("@", array.slice(at, 1, count(at)))
	segs := split(at[0], "/")
	last := split(segs[count(segs) - 1], ":")
	tag := concat(":", array.slice(last, 1, count(last)))
	name := array.concat(array.slice(segs, 0, count(segs) - 1), [last[0]])
	registry := registry_of(name)
	repository := repository_of(name)
}

registry_of(name) := hub(lower(name[0])) if {
	count(name) > 1
	host(name[0])
} else := "docker.io"

repository_of(name) := concat("/", array.slice(name, 1, count(name))) if {
	count(name) > 1
	host(name[0])
} else := concat("/", ["library", name[0]]) if {
	count(name) == 1
} else := concat("/", name)

host(s) if contains(s, ".")

host(s) if contains(s, ":")

host(s) if s == "localhost"

# Docker Hub goes by several names.
hub(h) := "docker.io" if {
	h in {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
} else := h

# checkable: a literal reference (not a template variable left unrendered).
checkable(ref) if {
	is_string(ref)
	ref != ""
	not regex.match(`[${}\s]`, ref)
}

mutable(p) if {
	p.digest == ""
	p.tag in {"", "latest"}
}

# trusted: on the configured allow-list (a registry, or a repository prefix); with no list,
# anything but Docker Hub.
trusted(p) if {
	count(trusted_list) == 0
	p.registry != "docker.io"
}

trusted(p) if {
	some t in trusted_list
	t == p.registry
}

trusted(p) if {
	some t in trusted_list
	lower(concat("/", [p.registry, p.repository])) == t
}

trusted(p) if {
	some t in trusted_list
	startswith(lower(concat("/", [p.registry, p.repository])), concat("", [t, "/"]))
}

trusted_list := l if {
	l := data.config.trusted_registries
	is_array(l)
} else := []
