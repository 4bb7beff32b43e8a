package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ErrImageRef: an image reference does not parse. The message quotes it.
var ErrImageRef = errors.New("invalid image reference")

// DockerHub is the registry name evidence uses for Docker Hub, however the reference wrote it.
const DockerHub = "docker.io"

// dockerHubAliases are the names Docker Hub answers to.
var dockerHubAliases = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// ParseImageRef parses an image reference as a container runtime reads it (the distribution
// reference grammar): the first path component is a registry only if it contains "." or ":"
// or is "localhost"; otherwise the reference is unqualified and the runtime picks the registry
// (Docker Hub for docker). Docker Hub's names are normalised to "docker.io", and its official
// images to "library/NAME".
func ParseImageRef(ref string) (ImageRef, error) {
	if _, err := name.ParseReference(ref); err != nil {
		return ImageRef{}, fmt.Errorf("%w: %q: %v", ErrImageRef, ref, err)
	}
	out := ImageRef{Reference: ref, ReferencedBy: "tag"}
	rest := ref
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		out.Digest = rest[at+1:]
		out.ReferencedBy = "digest"
		rest = rest[:at]
	}
	// A tag follows the last ":" after the last "/" (a ":" before it is a registry port).
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		out.Tag = rest[i+1:]
		rest = rest[:i]
	}
	first, path, hasSlash := strings.Cut(rest, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		out.Registry = strings.ToLower(first)
		out.Repository = path
	} else {
		out.Unqualified = true
		out.Registry = DockerHub
		out.Repository = rest
	}
	if dockerHubAliases[out.Registry] {
		out.Registry = DockerHub
	}
	if out.Registry == DockerHub && !strings.Contains(out.Repository, "/") {
		out.Repository = "library/" + out.Repository
	}
	if out.Tag == "" && out.Digest == "" {
		out.Tag = "latest"
	}
	return out, nil
}
