package oci

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
)

// fixtureKeyPath is the absolute path of a key file of sign/testdata/keys, for cosign.
func fixtureKeyPath(t *testing.T, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "testdata", "keys", file))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cosignAttestTypes are the `cosign attest --type` values tested, with the predicate type URI
// cosign gives each, a predicate file, and a string the verified predicate must contain.
var cosignAttestTypes = []struct {
	name, flag, uri, predicate, marker string
}{
	// "slsaprovenance" is SLSA v0.2 in cosign and hallmark alike (slsaprovenance1 is v1).
	{"slsaprovenance", "slsaprovenance", "https://slsa.dev/provenance/v0.2",
		`{"builder":{"id":"https://github.com/actions/runner"},"buildType":"https://github.com/slsa-framework/slsa-github-generator/generic@v1",` +
			`"invocation":{"configSource":{"uri":"git+https://github.com/org/app@refs/heads/main","digest":{"sha1":"0123456789abcdef0123456789abcdef01234567"},"entryPoint":".github/workflows/release.yml"}}}`,
		"https://github.com/actions/runner"},
	{"cyclonedx", "cyclonedx", "https://cyclonedx.org/bom",
		`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"left-pad","version":"1.3.0"}]}`,
		"left-pad"},
	// cosign wraps a custom predicate's bytes in {"Data": …, "Timestamp": …}.
	{"custom", "custom", "https://cosign.sigstore.dev/attestation/v1", "built on a Tuesday\n", "built on a Tuesday"},
	{"uri", "https://example.com/attestations/review/v1", "https://example.com/attestations/review/v1",
		`{"reviewer":"alice@example.com","approved":true}`, "alice@example.com"},
}

// TestHallmarkVerifiesCosignImageAttestation: VerifyImage finds and verifies what `cosign attest
// --key` (v3.1.3, no transparency log) pushes, in the bundle format (as a referrer, with and
// without the referrers API) and in the legacy format (the ".att" tag of DSSE envelopes), for
// each predicate type; another key fails with sign.ErrSignature, another predicate type with
// sign.ErrPredicateTypeMismatch, and an attestation is never taken for a signature.
func TestHallmarkVerifiesCosignImageAttestation(t *testing.T) {
	bin := cosignBinary(t)
	_, policy := fixtureKey(t, "cosign.key")
	_, other := newSigner(t)
	keyPath := fixtureKeyPath(t, "cosign.key")
	for _, format := range []struct {
		name      string
		newBundle bool
		referrers bool
		kind      string
	}{
		{"bundle/referrers-api", true, true, "attestation"},
		{"bundle/tag-schema", true, false, "attestation"},
		{"legacy", false, true, LegacyAttestationKind},
	} {
		for _, tc := range cosignAttestTypes {
			t.Run(format.name+"/"+tc.name, func(t *testing.T) {
				ctx := t.Context()
				host, _ := newRegistry(t, format.referrers)
				ref := host + "/test/app:v1"
				digest := pushImage(t, ref)
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "predicate"), []byte(tc.predicate), 0o644); err != nil {
					t.Fatal(err)
				}
				out, err := runCosignPassword(t, bin, dir, "hallmark-test", "attest", "--key", keyPath, "--type", tc.flag,
					"--predicate", "predicate", "--tlog-upload=false", "--new-bundle-format="+strconv.FormatBool(format.newBundle),
					"--use-signing-config=false", "--allow-http-registry", "--yes", host+"/test/app@"+digest.String())
				if err != nil {
					t.Fatalf("cosign attest: %v\n%s", err, out)
				}

				got, err := VerifyImage(ctx, ref, policy, VerifyOptions{PredicateType: tc.uri})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("verified %d attestations, want 1: %+v", len(got), got)
				}
				v := got[0]
				if v.Kind != format.kind || v.Image != host+"/test/app@"+digest.String() || v.Result.Artifact != digest.String() {
					t.Errorf("verified %s of %s (artifact %s)", v.Kind, v.Image, v.Result.Artifact)
				}
				if v.Statement.PredicateType != tc.uri || v.Result.Statement.PredicateType != tc.uri || !v.Statement.Matches(digest.String()) {
					t.Errorf("statement %s about %v", v.Statement.PredicateType, v.Statement.Subject)
				}
				// cosign writes in-toto Statement v0.1; a JSON string predicate stays escaped.
				if v.Statement.Type != StatementTypeV01 || !strings.Contains(string(v.Statement.Predicate), tc.marker) {
					t.Errorf("statement type %s, predicate %s", v.Statement.Type, v.Statement.Predicate)
				}
				if v.Result.Signer.Kind != "key" || !strings.HasPrefix(v.Result.Signer.KeyID, "sha256:") {
					t.Errorf("signer %+v", v.Result.Signer)
				}

				_, err = VerifyImage(ctx, ref, other, VerifyOptions{PredicateType: tc.uri})
				if !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, sign.ErrSignature) {
					t.Errorf("another key: err = %v, want ErrNoValidSignature and sign.ErrSignature", err)
				}
				_, err = VerifyImage(ctx, ref, policy, VerifyOptions{PredicateType: "https://spdx.dev/Document"})
				if !errors.Is(err, sign.ErrPredicateTypeMismatch) || !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), tc.uri) {
					t.Errorf("another predicate type: err = %v, want ErrNoSignature and sign.ErrPredicateTypeMismatch naming %s", err, tc.uri)
				}
				if _, err := VerifyImage(ctx, ref, policy, VerifyOptions{}); !errors.Is(err, ErrNoSignature) {
					t.Errorf("signatures: err = %v, want ErrNoSignature (an attestation is not a signature)", err)
				}
			})
		}
	}
}

// TestCosignVerifiesHallmarkImageAttestation: `cosign verify-attestation --key` (v3.1.3, bundle
// format) accepts attestations AttestImage pushed, with and without the referrers API, and
// refuses them for another predicate type or another key.
func TestCosignVerifiesHallmarkImageAttestation(t *testing.T) {
	bin := cosignBinary(t)
	k, _ := fixtureKey(t, "cosign.key")
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	pubPath := fixtureKeyPath(t, "cosign.pub")
	otherPub := fixtureKeyPath(t, "openssl-ec.pub")
	provenance, err := json.Marshal(attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: attest.BuildTypeLocal, ExternalParameters: map[string]any{"command": []string{"make"}}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: attest.DefaultBuilderID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	types := []struct{ flag, uri, predicate string }{
		{"cyclonedx", "https://cyclonedx.org/bom", `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1}`},
		{"slsaprovenance1", attest.SLSAProvenanceV1, string(provenance)},
		{"https://example.com/attestations/review/v1", "https://example.com/attestations/review/v1", `{"approved":true}`},
	}
	for _, referrers := range []bool{true, false} {
		for _, tc := range types {
			t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers]+"/"+strings.TrimPrefix(tc.flag, "https://"), func(t *testing.T) {
				host, _ := newRegistry(t, referrers)
				ref := host + "/test/app:v1"
				digest := pushImage(t, ref)
				if _, err := AttestImage(t.Context(), ref, s, tc.uri, []byte(tc.predicate), Options{}); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				target := host + "/test/app@" + digest.String()
				verify := func(key, typ string) (string, error) {
					return runCosign(t, bin, dir, "verify-attestation", "--key", key, "--type", typ, "--insecure-ignore-tlog=true",
						"--allow-http-registry", "--new-bundle-format=true", target)
				}
				out, err := verify(pubPath, tc.flag)
				if err != nil {
					t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
				}
				if !strings.Contains(out, "The signatures were verified against the specified public key") {
					t.Errorf("cosign verify-attestation output:\n%s", out)
				}
				// Refused for the right reason, not for a flag cosign does not know.
				if out, err := verify(pubPath, "spdx"); err == nil || !strings.Contains(out, "none of the attestations matched the predicate type") {
					t.Errorf("cosign verify-attestation --type spdx: err = %v\n%s", err, out)
				}
				if out, err := verify(otherPub, tc.flag); err == nil || !strings.Contains(out, "failed to verify signature") {
					t.Errorf("cosign verify-attestation with another key: err = %v\n%s", err, out)
				}
			})
		}
	}
}
