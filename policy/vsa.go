package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// VSAPredicateType is the predicate type of a SLSA Verification Summary Attestation v1.
const VSAPredicateType = "https://slsa.dev/verification_summary/v1"

// VerifierID identifies hallmark's gate as the verifier in summaries it writes.
const VerifierID = "https://github.com/hallmark-dev/hallmark/gate"

// ErrVSA: a verification summary cannot be written (no subject digest or resource).
var ErrVSA = errors.New("cannot write verification summary")

// VSA is a SLSA Verification Summary Attestation v1 predicate
// (https://slsa.dev/spec/v1.0/verification_summary).
type VSA struct {
	Verifier           VSAVerifier    `json:"verifier"`
	TimeVerified       time.Time      `json:"timeVerified"`
	ResourceURI        string         `json:"resourceUri"`
	Policy             VSAResource    `json:"policy"`
	InputAttestations  []VSAResource  `json:"inputAttestations,omitempty"`
	VerificationResult string         `json:"verificationResult"`
	VerifiedLevels     []string       `json:"verifiedLevels"`
	DependencyLevels   map[string]int `json:"dependencyLevels,omitempty"`
	SLSAVersion        string         `json:"slsaVersion,omitempty"`
}

// VSAVerifier identifies the verifier.
type VSAVerifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// VSAResource is an in-toto resource descriptor: a URI and digests by algorithm.
type VSAResource struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest,omitempty"`
}

// VSA levels hallmark states.
const (
	// LevelPolicyPassed says hallmark's policy passed: a custom level, as the specification
	// allows for properties that are not SLSA tracks.
	LevelPolicyPassed = "HALLMARK_POLICY_PASSED"
	// LevelBuild1 is stated when verified provenance was part of the evidence (SLSA Build L1:
	// provenance exists). Higher build levels depend on the builder, which the policy's trusted
	// builder list vouches for, not hallmark; they are not claimed.
	LevelBuild1 = "SLSA_BUILD_LEVEL_1"
	// LevelFailed is the level of a failed verification, as the specification prescribes.
	LevelFailed = "FAILED"
)

// VSAOptions are what a summary says beyond the decision.
type VSAOptions struct {
	// ResourceURI is the resource that was verified (e.g. the image repository@digest); empty
	// means ResourceURI(ev).
	ResourceURI string
	// PolicyURI names the policy; empty means "hallmark:policy/" + the sources joined by "+".
	PolicyURI string
	// VerifierVersion is e.g. {"hallmark": "v0.4.0"}.
	VerifierVersion map[string]string
	// InputAttestations are the attestations the evidence came from (e.g. the referrers of
	// the verified signatures and provenance).
	InputAttestations []VSAResource
}

// ResourceURI is the canonical resource name of the evidence's subject: for a registry image,
// registry/repository@digest; otherwise the subject's name.
func ResourceURI(ev *Evidence) string {
	if im := ev.Subject.Image; im != nil && im.Registry != "" && im.Repository != "" {
		return im.Registry + "/" + im.Repository + "@" + ev.Subject.Digest
	}
	return ev.Subject.Name
}

// VerificationSummary builds the VSA predicate (JSON) of a decision about ev: PASSED when the
// decision allows, FAILED otherwise. The caller puts it in an in-toto statement whose subject
// is ev.Subject.Digest and signs it.
func VerificationSummary(d *Decision, ev *Evidence, opts VSAOptions) ([]byte, error) {
	if ev.Subject.Digest == "" {
		return nil, fmt.Errorf("%w: the subject has no digest", ErrVSA)
	}
	v := VSA{
		Verifier:     VSAVerifier{ID: VerifierID, Version: opts.VerifierVersion},
		TimeVerified: d.Time.UTC(),
		ResourceURI:  opts.ResourceURI,
		Policy:       VSAResource{URI: opts.PolicyURI},
		SLSAVersion:  "1.0",
	}
	if v.ResourceURI == "" {
		v.ResourceURI = ResourceURI(ev)
	}
	if v.ResourceURI == "" {
		return nil, fmt.Errorf("%w: no resource URI", ErrVSA)
	}
	if v.Policy.URI == "" {
		v.Policy.URI = "hallmark:policy/" + strings.Join(d.Policy.Sources, "+")
	}
	if alg, hx, ok := strings.Cut(d.Policy.Digest, ":"); ok {
		v.Policy.Digest = map[string]string{alg: hx}
	}
	v.InputAttestations = opts.InputAttestations
	if d.Allow && d.Error == "" {
		v.VerificationResult = "PASSED"
		v.VerifiedLevels = []string{LevelPolicyPassed}
		if len(ev.Provenance) > 0 && !ruleDisabled(d, "provenance-trusted") {
			v.VerifiedLevels = append([]string{LevelBuild1}, v.VerifiedLevels...)
		}
	} else {
		v.VerificationResult = "FAILED"
		v.VerifiedLevels = []string{LevelFailed}
	}
	return json.Marshal(v)
}

func ruleDisabled(d *Decision, id string) bool {
	for _, r := range d.Rules {
		if r.ID == id {
			return r.Disabled
		}
	}
	return true
}
