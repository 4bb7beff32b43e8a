// Package docid derives document identifiers (CycloneDX serialNumber, SPDX documentNamespace)
// from a document's content, so that encoding the same inventory at the same time twice yields
// byte-identical output while different content yields different identifiers.
package docid

import (
	"crypto/sha256"

	"github.com/google/uuid"
)

// namespace is the UUIDv5 namespace of hallmark SBOM identifiers (itself the UUIDv5 of a URL in
// the standard URL namespace, RFC 9562 section 6.6).
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://hallmark.dev/ns/sbom-document"))

// UUID returns a name-based (version 5, RFC 9562 section 5.5) UUID whose name is the SHA-256 of
// content. content must already include everything that distinguishes the document, the
// creation timestamp among it.
func UUID(content []byte) string {
	sum := sha256.Sum256(content)
	return uuid.NewSHA1(namespace, sum[:]).String()
}
