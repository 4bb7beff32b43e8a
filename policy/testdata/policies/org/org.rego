# METADATA
# title: No image runs as root
# description: Organisation rule added beside the built-in library.
# custom:
#   id: org-nonroot
package hallmark.rules.org.nonroot

import data.hallmark.lib

deny contains v if {
	lib.enabled("org-nonroot")
	cfg := input.image_config
	cfg.user in {"", "root", "0"}
	v := lib.violation("org-nonroot", "the image runs as root", "high", "set USER in the Dockerfile", input.subject.name)
}
