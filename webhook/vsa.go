package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/policy"
)

// ErrSummary: a verification summary verified (it is signed by a trusted key and is about the
// image's digest) but cannot be relied on here: it is malformed, from another verifier, about
// another resource, for another policy, or too old. The message says which; the image is then
// decided as if there were no summary.
var ErrSummary = errors.New("verification summary not usable")

// summary is what a verification summary says, once checked.
type summary struct {
	passed   bool
	verified time.Time
	policy   string // "sha256:<hex>"
	referrer string
}

// summaryCheck is what a summary must match.
type summaryCheck struct {
	// resource is registry/repository@digest of the image the workload names.
	resource string
	// policyDigest is the digest of the policy the webhook enforces.
	policyDigest string
	now          time.Time
	maxAge       time.Duration
}

// checkSummary reads a VSA predicate and checks it as the SLSA specification's "How to verify"
// asks (https://slsa.dev/spec/v1.0/verification_summary#how-to-verify), the signature and the
// subject digest having been verified already: (1) the verifier is hallmark's gate, (2) the
// resourceUri is the image the workload names, (3) the policy is the one enforced here (its
// digest: a summary for other rules or another configuration says nothing about these), (4)
// the result is PASSED with hallmark's policy level, or FAILED. A summary older than maxAge, or
// dated in the future, is not used either: the evidence it summarises has aged.
func checkSummary(predicate []byte, c summaryCheck) (summary, error) {
	var v policy.VSA
	if err := json.Unmarshal(predicate, &v); err != nil {
		return summary{}, fmt.Errorf("%w: predicate: %v", ErrSummary, err)
	}
	s := summary{verified: v.TimeVerified, policy: digestString(v.Policy.Digest)}
	switch {
	case v.Verifier.ID != policy.VerifierID:
		return s, fmt.Errorf("%w: verifier %q, want %q", ErrSummary, v.Verifier.ID, policy.VerifierID)
	case v.ResourceURI != c.resource:
		return s, fmt.Errorf("%w: it is about %s, the workload runs %s", ErrSummary, v.ResourceURI, c.resource)
	case s.policy != c.policyDigest:
		return s, fmt.Errorf("%w: it is for policy %s (%s), this webhook enforces %s", ErrSummary, orNone(s.policy), v.Policy.URI, c.policyDigest)
	case v.TimeVerified.IsZero():
		return s, fmt.Errorf("%w: no timeVerified", ErrSummary)
	case c.now.Sub(v.TimeVerified) > c.maxAge:
		return s, fmt.Errorf("%w: verified %s, more than %s ago", ErrSummary, v.TimeVerified.UTC().Format(time.RFC3339), c.maxAge)
	case v.TimeVerified.Sub(c.now) > 5*time.Minute:
		return s, fmt.Errorf("%w: verified %s, after now (%s): check the clocks", ErrSummary, v.TimeVerified.UTC().Format(time.RFC3339), c.now.UTC().Format(time.RFC3339))
	}
	switch v.VerificationResult {
	case "PASSED":
		if !slices.Contains(v.VerifiedLevels, policy.LevelPolicyPassed) {
			return s, fmt.Errorf("%w: PASSED without level %s", ErrSummary, policy.LevelPolicyPassed)
		}
		s.passed = true
	case "FAILED":
	default:
		return s, fmt.Errorf("%w: verificationResult %q, want PASSED or FAILED", ErrSummary, v.VerificationResult)
	}
	return s, nil
}

// digestString turns {"sha256": "<hex>"} into "sha256:<hex>" (the one sha256 digest; other
// algorithms are not compared).
func digestString(d map[string]string) string {
	if hx, ok := d["sha256"]; ok && hx != "" {
		return "sha256:" + strings.ToLower(hx)
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(no digest)"
	}
	return s
}
