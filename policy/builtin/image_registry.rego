# METADATA
# title: Images only from approved registries, never straight from Docker Hub
# description: >-
#   For an image named by a registry reference: denies Docker Hub (docker.io,
#   index.docker.io, registry-1.docker.io) and unqualified references (no registry: the runtime
#   falls back to Docker Hub) unless the repository matches registries.docker_hub_allowed (glob,
#   e.g. "library/alpine") or an entry of registries.allowed; and, when registries.allowed is
#   not empty, denies images whose registry/repository matches none of its entries (a registry
#   "ghcr.io", a prefix "ghcr.io/org", or a glob "ghcr.io/org/*").
# custom:
#   id: image-registry
package hallmark.rules.image_registry

import data.hallmark.lib

id := "image-registry"

p := lib.params("registries")

image := input.subject.image

full_name := sprintf("%s/%s", [image.registry, image.repository])

docker_hub if image.registry == "docker.io"

allowed_by(entry) if entry == image.registry

allowed_by(entry) if startswith(full_name, sprintf("%s/", [trim_suffix(entry, "/")]))

allowed_by(entry) if glob.match(entry, ["/"], full_name)

listed if {
	some entry in p.allowed
	allowed_by(entry)
}

hub_allowed if {
	some pattern in p.docker_hub_allowed
	glob.match(pattern, ["/"], image.repository)
}

hub_allowed if listed

deny contains v if {
	lib.enabled(id)
	docker_hub
	not hub_allowed
	v := lib.violation(id, hub_message, "high", "mirror the image into an approved registry and reference it there, or allow-list the repository (registries.docker_hub_allowed)", image.reference)
}

hub_message := sprintf("image %s names no registry, so the runtime pulls it from Docker Hub", [image.reference]) if {
	image.unqualified
} else := sprintf("image %s is pulled straight from Docker Hub", [image.reference])

deny contains v if {
	lib.enabled(id)
	not docker_hub
	count(p.allowed) > 0
	not listed
	msg := sprintf("image %s is not from an approved registry (%s)", [image.reference, concat(", ", p.allowed)])
	v := lib.violation(id, msg, "high", "push the image to an approved registry and reference it there", image.reference)
}
