package policy

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVerificationSummary(t *testing.T) {
	e := newEngine(t, Options{Builtin: true, Sources: []string{"builtin"}})
	ev := loadEvidence(t, "good.json")
	d := e.Evaluate(context.Background(), ev, decisionTime)
	b, err := VerificationSummary(d, ev, VSAOptions{VerifierVersion: map[string]string{"hallmark": "v1.2.3"}, InputAttestations: []VSAResource{{URI: "ghcr.io/acme/app@sha256:1111", Digest: map[string]string{"sha256": "1111"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	alg, hx := "sha256", d.Policy.Digest[len("sha256:"):]
	want := map[string]any{
		"verifier":           map[string]any{"id": VerifierID, "version": map[string]any{"hallmark": "v1.2.3"}},
		"timeVerified":       "2024-06-01T12:00:00Z",
		"resourceUri":        "ghcr.io/acme/app@" + ev.Subject.Digest,
		"policy":             map[string]any{"uri": "hallmark:policy/builtin", "digest": map[string]any{alg: hx}},
		"inputAttestations":  []any{map[string]any{"uri": "ghcr.io/acme/app@sha256:1111", "digest": map[string]any{"sha256": "1111"}}},
		"verificationResult": "PASSED",
		"verifiedLevels":     []any{LevelBuild1, LevelPolicyPassed},
		"slsaVersion":        "1.0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VSA (-want +got):\n%s", diff)
	}

	ev.Signatures = nil
	d = e.Evaluate(context.Background(), ev, decisionTime)
	b, err = VerificationSummary(d, ev, VSAOptions{ResourceURI: "app.tar"})
	if err != nil {
		t.Fatal(err)
	}
	var failed VSA
	if err := json.Unmarshal(b, &failed); err != nil {
		t.Fatal(err)
	}
	if failed.VerificationResult != "FAILED" || !cmp.Equal(failed.VerifiedLevels, []string{LevelFailed}) || failed.ResourceURI != "app.tar" {
		t.Errorf("failed VSA = %+v", failed)
	}

	ev.Subject.Digest = ""
	if _, err := VerificationSummary(d, ev, VSAOptions{}); !errors.Is(err, ErrVSA) {
		t.Errorf("no digest: %v", err)
	}
}

func TestVerificationSummaryFailOpenIsFailed(t *testing.T) {
	// A policy that failed to evaluate is never summarised as PASSED, even when the
	// configuration lets the decision allow.
	d := &Decision{Allow: true, Error: "boom", Policy: PolicyInfo{Sources: []string{"builtin"}, Digest: "sha256:00"}}
	b, err := VerificationSummary(d, loadEvidence(t, "minimal.json"), VSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var v VSA
	if err := json.Unmarshal(b, &v); err != nil || v.VerificationResult != "FAILED" {
		t.Errorf("%s %v", b, err)
	}
}
