package hallmark.rules_test.image_registry

import data.hallmark.rules.image_registry
import data.hallmark.rules_test.fixtures as fx

image(o) := fx.input_with({"subject": {"image": o}})

hub := {"reference": "docker.io/library/alpine:3.20", "registry": "docker.io", "repository": "library/alpine", "tag": "3.20", "referenced_by": "tag", "unqualified": false}

unqualified := {"reference": "alpine:3.20", "registry": "docker.io", "repository": "library/alpine", "tag": "3.20", "referenced_by": "tag", "unqualified": true}

test_allow_other_registry_by_default if {
	count(image_registry.deny) == 0 with input as fx.base
}

test_deny_docker_hub if {
	vs := image_registry.deny with input as image(hub)
	some v in vs
	contains(v.msg, "straight from Docker Hub")
}

test_deny_unqualified if {
	vs := image_registry.deny with input as image(unqualified)
	some v in vs
	contains(v.msg, "names no registry")
}

test_allow_docker_hub_allow_listed if {
	count(image_registry.deny) == 0 with input as image(unqualified)
		with data.hallmark.config as {"registries": {"docker_hub_allowed": ["library/*"]}}
}

test_allow_approved_registry_prefix if {
	count(image_registry.deny) == 0 with input as fx.base
		with data.hallmark.config as {"registries": {"allowed": ["ghcr.io/acme"]}}
}

test_deny_prefix_is_a_path_boundary if {
	count(image_registry.deny) == 1 with input as fx.base
		with data.hallmark.config as {"registries": {"allowed": ["ghcr.io/ac"]}}
}

test_deny_unapproved_registry if {
	vs := image_registry.deny with input as fx.base
		with data.hallmark.config as {"registries": {"allowed": ["registry.example.com"]}}
	some v in vs
	contains(v.msg, "not from an approved registry")
}

test_allow_no_image_reference if {
	count(image_registry.deny) == 0 with input as json.remove(fx.base, ["subject/image"])
}
