# METADATA
# title: Images referenced by digest
# description: >-
#   Denies an image named by a tag rather than a digest (images.require_digest): a tag can be
#   moved to other content after the decision; a digest cannot.
# custom:
#   id: image-digest
package hallmark.rules.image_digest

import data.hallmark.lib

id := "image-digest"

p := lib.params("images")

deny contains v if {
	lib.enabled(id)
	p.require_digest
	image := input.subject.image
	image.referenced_by != "digest"
	msg := sprintf("image %s is referenced by tag, not by digest", [image.reference])
	fix := sprintf("reference it as %s/%s@%s", [image.registry, image.repository, input.subject.digest])
	v := lib.violation(id, msg, "medium", fix, image.reference)
}
