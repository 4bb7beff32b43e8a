package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// EvidenceSchemaVersion is the version of the evidence document (docs/schema/evidence-v1.json).
// Fields are added, renamed or removed only with a new version.
const EvidenceSchemaVersion = "1"

// ErrEvidence: an evidence document is malformed (not JSON, unknown fields, missing required
// fields, wrong schema version). The message names the field; fix the producer of the document.
var ErrEvidence = errors.New("invalid evidence document")

// maxEvidenceSize bounds what DecodeEvidence reads: a document for an image with tens of
// thousands of packages is a few tens of MB.
const maxEvidenceSize = 256 << 20

// Subject kinds in evidence.
const (
	KindImage = "image"
	KindFile  = "file"
	KindDir   = "dir"
	KindSBOM  = "sbom"
)

// Evidence is everything known about one artifact, as the policy sees it: the Rego input
// document is an Evidence with "now" (the decision time, RFC 3339) added at the top level.
// Lists are never null in JSON, so rules can count them without guarding.
type Evidence struct {
	SchemaVersion string `json:"schema_version"`
	// GeneratedAt is when the evidence was gathered; the evidence-age rule compares it with the
	// decision time.
	GeneratedAt time.Time `json:"generated_at"`
	Subject     Subject   `json:"subject"`
	Inventory   Inventory `json:"inventory"`
	// Findings are the vulnerabilities found, suppressed ones included (with Suppressed set).
	Findings []Finding `json:"findings"`
	// Signatures are the signatures and attestations that verified; nothing unverified is
	// listed here.
	Signatures []Signature `json:"signatures"`
	// Provenance lists the verified SLSA provenance predicates about the subject.
	Provenance []Provenance `json:"provenance"`
	// ImageConfig is the image's OCI configuration; nil for other subjects.
	ImageConfig *ImageConfig `json:"image_config,omitempty"`
	// Licenses holds, per package, its declared licences parsed as one SPDX expression.
	Licenses []License `json:"licenses"`
	// Misconfig are misconfiguration results (Dockerfile, Kubernetes manifests) the caller
	// gathered with the misconfig room.
	Misconfig []MisconfigResult `json:"misconfig"`
	SBOM      SBOM              `json:"sbom"`
}

// Subject is the artifact the evidence is about: always a digest plus a name.
type Subject struct {
	Name string `json:"name"`
	// Digest is "sha256:<hex>": the image manifest digest, the file's digest, or the directory
	// tree digest.
	Digest string `json:"digest"`
	// Kind is KindImage, KindFile, KindDir or KindSBOM.
	Kind string `json:"kind"`
	// Image is set for images named by a registry reference.
	Image *ImageRef `json:"image,omitempty"`
}

// ImageRef is a parsed image reference (ParseImageRef).
type ImageRef struct {
	// Reference is the reference as given, e.g. "ghcr.io/org/app:1.4".
	Reference string `json:"reference"`
	// Registry is the registry host[:port], "docker.io" for Docker Hub however it was written.
	Registry string `json:"registry"`
	// Repository is the path in the registry, "library/alpine" for Docker Hub official images.
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	// Digest is the digest written in the reference, if any.
	Digest string `json:"digest,omitempty"`
	// ReferencedBy is "digest" when the reference pins a digest, else "tag".
	ReferencedBy string `json:"referenced_by"`
	// Unqualified is true when the reference names no registry ("alpine:3"), so that the
	// container runtime picks one — Docker Hub, or whatever it is configured to search.
	Unqualified bool `json:"unqualified"`
}

// Inventory is what the artifact contains.
type Inventory struct {
	Packages []Package `json:"packages"`
}

// Package is one package of the inventory.
type Package struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl"`
	Type      string `json:"type"`
	Ecosystem string `json:"ecosystem"`
	Supplier  string `json:"supplier"`
	// Licenses are the declared licences as found, preferably SPDX expressions.
	Licenses []string `json:"licenses"`
}

// PackageRef names the package a finding is about.
type PackageRef struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl"`
	Ecosystem string `json:"ecosystem"`
}

// Severities, lower case, worst first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityNone     = "none"
	SeverityUnknown  = "unknown"
)

// Finding is one vulnerability in one package.
type Finding struct {
	ID string `json:"id"`
	// Aliases are the other ids of the vulnerability (CVE, GHSA, …), without ID.
	Aliases []string   `json:"aliases"`
	Package PackageRef `json:"package"`
	// Severity is one of the Severity* constants.
	Severity   string  `json:"severity"`
	CVSSScore  float64 `json:"cvss_score"`
	CVSSVector string  `json:"cvss_vector,omitempty"`
	// KEV is true when the vulnerability is in CISA's Known Exploited Vulnerabilities catalog.
	KEV          bool    `json:"kev"`
	KEVDateAdded string  `json:"kev_date_added,omitempty"`
	EPSS         float64 `json:"epss"`
	// EPSSPercentile is the EPSS percentile (0–1).
	EPSSPercentile float64 `json:"epss_percentile"`
	// FixedVersions are the versions that fix it for the installed version; empty: no fix.
	FixedVersions []string `json:"fixed_versions"`
	// Reachability is "called", "imported", "not-imported" or "unknown".
	Reachability string `json:"reachability"`
	// Published is the earliest publication date of the advisories; FirstSeen, when the
	// caller knows it, is when the finding was first seen for this subject. Grace periods run
	// from FirstSeen, else from Published.
	Published *time.Time `json:"published,omitempty"`
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	// Suppressed is true when a VEX statement or an ignore rule suppresses the finding;
	// Suppression says which and why.
	Suppressed  bool         `json:"suppressed"`
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppression is why a finding is suppressed.
type Suppression struct {
	// Kind is "vex" or "ignore".
	Kind string `json:"kind"`
	// Status is the VEX status ("not_affected", "fixed") or "ignored".
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Statement     string `json:"statement,omitempty"`
	Source        string `json:"source,omitempty"`
}

// Signature is one signature or attestation about the subject that verified.
type Signature struct {
	// Kind is "signature" or "attestation".
	Kind string `json:"kind"`
	// PredicateType is the in-toto predicate type (attestations and DSSE signatures).
	PredicateType string      `json:"predicate_type,omitempty"`
	Signer        Signer      `json:"signer"`
	Tlog          []TlogEntry `json:"tlog"`
	// Source says where it was found: a referrer digest or a bundle file.
	Source string `json:"source,omitempty"`
}

// Signer is who signed, as verification established it.
type Signer struct {
	// Kind is "key" or "certificate".
	Kind string `json:"kind"`
	// KeyID is "sha256:<hex>" of the key's PKIX DER (key signers).
	KeyID string `json:"key_id,omitempty"`
	// Identity is the certificate's Subject Alternative Name and Issuer its OIDC issuer
	// (certificate signers).
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
}

// TlogEntry is a verified transparency log entry of a signature.
type TlogEntry struct {
	LogID          string     `json:"log_id"`
	LogIndex       int64      `json:"log_index"`
	IntegratedTime *time.Time `json:"integrated_time,omitempty"`
}

// Provenance is a verified SLSA provenance predicate about the subject.
type Provenance struct {
	BuilderID    string `json:"builder_id"`
	BuildType    string `json:"build_type"`
	SourceRepo   string `json:"source_repo,omitempty"`
	SourceRef    string `json:"source_ref,omitempty"`
	SourceCommit string `json:"source_commit,omitempty"`
	// Dirty is nil when the provenance does not say whether the source tree was clean.
	Dirty *bool `json:"dirty,omitempty"`
	// Signer is who signed the provenance attestation.
	Signer *Signer `json:"signer,omitempty"`
}

// ImageConfig is what an image's OCI configuration says about how it runs.
type ImageConfig struct {
	// User is the configured user ("" means root).
	User string `json:"user"`
	// BaseImage and BaseDigest come from the org.opencontainers.image.base.* labels.
	BaseImage    string            `json:"base_image,omitempty"`
	BaseDigest   string            `json:"base_digest,omitempty"`
	Labels       map[string]string `json:"labels"`
	Created      *time.Time        `json:"created,omitempty"`
	OS           string            `json:"os,omitempty"`
	Architecture string            `json:"architecture,omitempty"`
}

// License is one package's declared licences, parsed (ParseLicense).
type License struct {
	// Package is "name@version"; PURL the package's purl.
	Package string `json:"package"`
	PURL    string `json:"purl,omitempty"`
	// Expression is the declared expression ("" when the package declares none); several
	// declarations are joined with AND.
	Expression string `json:"expression"`
	// Valid is true when Expression parsed; Error says why not.
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
	// Choices is the expression in disjunctive normal form: the licensee may pick any one
	// choice, and must then comply with every term of it.
	Choices [][]LicenseTerm `json:"choices"`
}

// LicenseTerm is one licence of a choice.
type LicenseTerm struct {
	// License is the SPDX identifier (canonical case when the SPDX list knows it) or a
	// LicenseRef-/DocumentRef- reference, without a trailing "+".
	License string `json:"license"`
	// Exception is the WITH exception, if any.
	Exception string `json:"exception,omitempty"`
	// OrLater is true for "ID+".
	OrLater bool `json:"or_later,omitempty"`
}

// MisconfigResult is one misconfiguration found by the misconfig room.
type MisconfigResult struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource,omitempty"`
	// Remediation says how to fix it, when the check says.
	Remediation string `json:"remediation,omitempty"`
}

// SBOM describes the software bill of materials the evidence was built from, and how well it
// meets the NTIA minimum elements.
type SBOM struct {
	Present bool `json:"present"`
	// Format is e.g. "cyclonedx-json" or "spdx-json"; "inventory" for an SBOM hallmark can
	// write from its own inventory.
	Format string `json:"format,omitempty"`
	// Source is "generated" (hallmark inventoried the artifact), "input" (the target was an
	// SBOM) or "attestation" (a verified SBOM attestation).
	Source string `json:"source,omitempty"`
	// Author and Timestamp are the document-level NTIA elements.
	Author     string         `json:"author,omitempty"`
	Timestamp  *time.Time     `json:"timestamp,omitempty"`
	Components []SBOMElements `json:"components"`
}

// SBOMElements says which NTIA minimum elements one component has.
type SBOMElements struct {
	// Component names the component (its purl, else name@version).
	Component     string `json:"component"`
	Supplier      bool   `json:"supplier"`
	Name          bool   `json:"name"`
	Version       bool   `json:"version"`
	UniqueID      bool   `json:"unique_id"`
	Relationships bool   `json:"relationships"`
}

// DecodeEvidence reads one evidence JSON document strictly: unknown fields, a missing schema
// version, subject or generation time are ErrEvidence naming the problem.
func DecodeEvidence(r io.Reader) (*Evidence, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxEvidenceSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	if len(data) > maxEvidenceSize {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrEvidence, maxEvidenceSize>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ev Evidence
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrEvidence, jsonErr(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrEvidence)
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	ev.normalize()
	return &ev, nil
}

// jsonErr adds the line of a syntax or type error to its message.
func jsonErr(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

// Validate checks what every rule relies on: the schema version, the subject, the generation
// time and the enumerated fields.
func (ev *Evidence) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrEvidence}, a...)...) }
	switch {
	case ev.SchemaVersion != EvidenceSchemaVersion:
		return bad("schema_version %q: want %q", ev.SchemaVersion, EvidenceSchemaVersion)
	case ev.Subject.Digest == "":
		return bad("subject.digest is missing")
	case !validDigest(ev.Subject.Digest):
		return bad("subject.digest %q: want algorithm:hex", ev.Subject.Digest)
	case ev.GeneratedAt.IsZero():
		return bad("generated_at is missing")
	}
	switch ev.Subject.Kind {
	case KindImage, KindFile, KindDir, KindSBOM:
	default:
		return bad("subject.kind %q: want image, file, dir or sbom", ev.Subject.Kind)
	}
	if im := ev.Subject.Image; im != nil && im.ReferencedBy != "digest" && im.ReferencedBy != "tag" {
		return bad("subject.image.referenced_by %q: want digest or tag", im.ReferencedBy)
	}
	for i, f := range ev.Findings {
		if f.ID == "" {
			return bad("findings[%d].id is missing", i)
		}
		if !validSeverity(f.Severity) {
			return bad("findings[%d].severity %q: want critical, high, medium, low, none or unknown", i, f.Severity)
		}
	}
	for i, s := range ev.Signatures {
		if s.Kind != "signature" && s.Kind != "attestation" {
			return bad("signatures[%d].kind %q: want signature or attestation", i, s.Kind)
		}
		if s.Signer.Kind != "key" && s.Signer.Kind != "certificate" {
			return bad("signatures[%d].signer.kind %q: want key or certificate", i, s.Signer.Kind)
		}
	}
	for i, p := range ev.Provenance {
		if p.BuilderID == "" || p.BuildType == "" {
			return bad("provenance[%d]: builder_id and build_type are required", i)
		}
	}
	for i, m := range ev.Misconfig {
		if m.RuleID == "" || !validSeverity(m.Severity) {
			return bad("misconfig[%d]: rule_id and a severity (critical … unknown) are required", i)
		}
	}
	return nil
}

func validSeverity(s string) bool {
	switch s {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNone, SeverityUnknown:
		return true
	}
	return false
}

func validDigest(d string) bool {
	alg, hx, ok := strings.Cut(d, ":")
	if !ok || alg == "" || len(hx) < 32 {
		return false
	}
	for _, c := range hx {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// normalize replaces null lists with empty ones, so that Rego sees [] rather than null (a
// rule counting an absent list would be undefined, and could fail open).
func (ev *Evidence) normalize() {
	*ev = *ev.normalized()
}

// normalized is normalize without touching ev: a copy sharing nothing normalize would change,
// so that concurrent evaluations of one Evidence do not race.
func (ev *Evidence) normalized() *Evidence {
	c := *ev
	c.Inventory.Packages = cloneEach(c.Inventory.Packages, func(p *Package) { p.Licenses = nonNil(p.Licenses) })
	c.Findings = cloneEach(c.Findings, func(f *Finding) {
		f.Aliases = nonNil(f.Aliases)
		f.FixedVersions = nonNil(f.FixedVersions)
		if f.Reachability == "" {
			f.Reachability = "unknown"
		}
	})
	c.Signatures = cloneEach(c.Signatures, func(s *Signature) { s.Tlog = nonNil(s.Tlog) })
	c.Provenance = nonNil(c.Provenance)
	c.Licenses = cloneEach(c.Licenses, func(l *License) { l.Choices = nonNil(l.Choices) })
	c.Misconfig = nonNil(c.Misconfig)
	c.SBOM.Components = nonNil(c.SBOM.Components)
	if c.ImageConfig != nil && c.ImageConfig.Labels == nil {
		ic := *c.ImageConfig
		ic.Labels = map[string]string{}
		c.ImageConfig = &ic
	}
	return &c
}

// cloneEach returns a copy of s (never nil) with fix applied to each element.
func cloneEach[T any](s []T, fix func(*T)) []T {
	out := make([]T, len(s))
	copy(out, s)
	for i := range out {
		fix(&out[i])
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
