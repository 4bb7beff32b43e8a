package webhook

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/policy"
)

func TestCheckSummary(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	digest := "sha256:" + strings.Repeat("ab", 32)
	resource := "ghcr.io/acme/app@sha256:" + strings.Repeat("01", 32)
	check := summaryCheck{resource: resource, policyDigest: digest, now: now, maxAge: 24 * time.Hour}
	base, err := os.ReadFile("testdata/summaries/passed.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		edit     func(string) string
		passed   bool
		contains string // "" means usable
	}{
		{"passed", nil, true, ""},
		{"failed", func(s string) string {
			return strings.NewReplacer(`"PASSED"`, `"FAILED"`, `"HALLMARK_POLICY_PASSED"`, `"FAILED"`).Replace(s)
		}, false, ""},
		{"other-verifier", func(s string) string { return strings.Replace(s, policy.VerifierID, "https://example.com/verifier", 1) }, false, `verifier "https://example.com/verifier"`},
		{"other-resource", func(s string) string { return strings.Replace(s, "ghcr.io/acme/app", "ghcr.io/acme/other", 1) }, false, "it is about ghcr.io/acme/other@"},
		{"other-policy", func(s string) string {
			return strings.Replace(s, strings.Repeat("ab", 32), strings.Repeat("cd", 32), 1)
		}, false, "it is for policy sha256:cdcd"},
		{"no-policy-digest", func(s string) string {
			return strings.Replace(s, `"sha256": "`+strings.Repeat("ab", 32)+`"`, `"sha512": "00"`, 1)
		}, false, "it is for policy (no digest)"},
		{"stale", func(s string) string { return strings.Replace(s, "2025-06-01T10:00:00Z", "2025-05-30T10:00:00Z", 1) }, false, "more than 24h0m0s ago"},
		{"future", func(s string) string { return strings.Replace(s, "2025-06-01T10:00:00Z", "2025-06-01T13:00:00Z", 1) }, false, "after now"},
		{"no-time", func(s string) string { return strings.Replace(s, `"timeVerified": "2025-06-01T10:00:00Z",`, "", 1) }, false, "no timeVerified"},
		{"passed-without-level", func(s string) string {
			return strings.Replace(s, `"HALLMARK_POLICY_PASSED"`, `"SLSA_BUILD_LEVEL_3"`, 1)
		}, false, "PASSED without level HALLMARK_POLICY_PASSED"},
		{"odd-result", func(s string) string { return strings.Replace(s, `"PASSED"`, `"MAYBE"`, 1) }, false, `verificationResult "MAYBE"`},
		{"not-json", func(string) string { return `{"verifier":` }, false, "predicate:"},
		{"wrong-type", func(s string) string { return `{"timeVerified": 5}` }, false, "predicate:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pred := string(base)
			if tc.edit != nil {
				pred = tc.edit(pred)
			}
			s, err := checkSummary([]byte(pred), check)
			if tc.contains == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.passed != tc.passed || !s.verified.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)) || s.policy != digest {
					t.Errorf("summary %+v", s)
				}
				return
			}
			if !errors.Is(err, ErrSummary) || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %v, want ErrSummary with %q", err, tc.contains)
			}
		})
	}
}

// FuzzCheckSummary: a predicate either is a usable summary or ErrSummary; never a panic.
func FuzzCheckSummary(f *testing.F) {
	b, err := os.ReadFile("testdata/summaries/passed.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	check := summaryCheck{resource: "ghcr.io/acme/app@sha256:" + strings.Repeat("01", 32), policyDigest: "sha256:" + strings.Repeat("ab", 32), now: now, maxAge: 24 * time.Hour}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := checkSummary(data, check)
		if err != nil {
			if !errors.Is(err, ErrSummary) {
				t.Fatalf("error %v is not ErrSummary", err)
			}
			return
		}
		if s.policy != check.policyDigest || now.Sub(s.verified) > check.maxAge {
			t.Fatalf("accepted %+v", s)
		}
	})
}
