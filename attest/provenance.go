package attest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SLSAProvenanceV1 is the predicate type of SLSA Provenance v1.
const SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

// BuildTypeLocal is the build type of `hallmark build`: a command run on the builder's machine
// from a git checkout. Its external parameters are the command, the working directory and the
// source (docs/provenance.md).
const BuildTypeLocal = "https://hallmark.dev/buildtypes/local/v1"

// Provenance is an SLSA Provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance).
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built and how: the inputs a verifier checks.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// RunDetails says who built it and when.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *BuildMetadata       `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the build platform.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// BuildMetadata is the run's invocation id and times (RFC 3339, UTC).
type BuildMetadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// ResourceDescriptor is an in-toto resource descriptor (resource_descriptor.md).
type ResourceDescriptor struct {
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Name        string            `json:"name,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// ErrProvenance is matched by every error VerifyProvenance returns: the provenance does not say
// what the verifier expects. The message names the field and both values.
var ErrProvenance = errors.New("provenance does not match")

// ProvenanceExpectations are what a verifier requires of a provenance predicate; empty fields
// are not checked.
type ProvenanceExpectations struct {
	BuilderID string
	BuildType string
	// SourceRepo is the repository URI the source must come from, e.g.
	// "https://github.com/org/repo" (compared without a "git+" prefix, ".git" suffix or ref).
	SourceRepo string
	// Ref is the git ref the source must be at, e.g. "refs/tags/v1.2.0".
	Ref string
	// AllowDirty accepts a build from a working tree with uncommitted changes.
	AllowDirty bool
}

// VerifyProvenance checks p against the expectations. It does not check signatures or
// subjects: the caller verifies the envelope and binds the statement to the artifact first.
func VerifyProvenance(p *Provenance, want ProvenanceExpectations) error {
	if want.BuilderID != "" && p.RunDetails.Builder.ID != want.BuilderID {
		return fmt.Errorf("%w: builder id is %q, want %q", ErrProvenance, p.RunDetails.Builder.ID, want.BuilderID)
	}
	if want.BuildType != "" && p.BuildDefinition.BuildType != want.BuildType {
		return fmt.Errorf("%w: build type is %q, want %q", ErrProvenance, p.BuildDefinition.BuildType, want.BuildType)
	}
	src, ok := p.source()
	if want.SourceRepo != "" || want.Ref != "" || !want.AllowDirty {
		if !ok {
			return fmt.Errorf("%w: no git source in resolvedDependencies", ErrProvenance)
		}
	}
	if want.SourceRepo != "" {
		if got := repoOf(src.URI); got != repoOf(want.SourceRepo) {
			return fmt.Errorf("%w: source repository is %q, want %q", ErrProvenance, got, repoOf(want.SourceRepo))
		}
	}
	if want.Ref != "" {
		if got := refOf(src.URI); got != want.Ref {
			return fmt.Errorf("%w: source ref is %q, want %q", ErrProvenance, got, want.Ref)
		}
	}
	if !want.AllowDirty {
		dirty, known := src.Annotations["dirty"].(bool)
		if !known {
			return fmt.Errorf("%w: the source does not say whether its tree was clean (annotation \"dirty\"); pass --allow-dirty to accept", ErrProvenance)
		}
		if dirty {
			return fmt.Errorf("%w: built from a dirty tree (uncommitted changes); pass --allow-dirty to accept", ErrProvenance)
		}
	}
	return nil
}

// source returns the git source among the resolved dependencies: the first "git+" URI with a
// gitCommit digest.
func (p *Provenance) source() (ResourceDescriptor, bool) {
	i := slices.IndexFunc(p.BuildDefinition.ResolvedDependencies, func(r ResourceDescriptor) bool {
		return strings.HasPrefix(r.URI, "git+") && r.Digest["gitCommit"] != ""
	})
	if i < 0 {
		return ResourceDescriptor{}, false
	}
	return p.BuildDefinition.ResolvedDependencies[i], true
}

// repoOf reduces a source URI to its repository: "git+https://github.com/o/r.git@refs/heads/main"
// → "https://github.com/o/r".
func repoOf(uri string) string {
	uri = strings.TrimPrefix(uri, "git+")
	// Only a ref suffix is cut: an "@" before the path is user info ("ssh://git@host/…"), and
	// cutting there would reduce every repository on the host to the same string.
	if i := strings.LastIndex(uri, "@"); i > strings.Index(uri, "://")+2 && strings.HasPrefix(uri[i+1:], "refs/") {
		uri = uri[:i]
	}
	return strings.TrimSuffix(strings.TrimSuffix(uri, "/"), ".git")
}

// refOf returns the ref of a source URI ("…@refs/heads/main" → "refs/heads/main"), "" if none.
func refOf(uri string) string {
	uri = strings.TrimPrefix(uri, "git+")
	if i := strings.LastIndex(uri, "@"); i > strings.Index(uri, "://")+2 {
		if r := uri[i+1:]; strings.HasPrefix(r, "refs/") {
			return r
		}
	}
	return ""
}
