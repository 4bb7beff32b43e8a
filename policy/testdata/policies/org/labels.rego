# A rule without METADATA: its id is the package path below hallmark.rules, and plain string
# messages are accepted.
package hallmark.rules.org.labels

deny contains msg if {
	not input.image_config.labels["org.opencontainers.image.source"]
	msg := "the image has no org.opencontainers.image.source label"
}

warn contains "the image has no description label" if {
	not input.image_config.labels["org.opencontainers.image.description"]
}
