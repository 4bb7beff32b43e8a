package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// conformanceDir holds a copy of the Sigstore conformance corpus (see its PROVENANCE.md), so
// this test runs without ../shared.
const conformanceDir = "testdata/conformance"

// Defaults of the corpus (upstream bundle-verify/README.md), used when a case names none.
const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
)

type conformanceCase struct {
	Case        string `json:"case"`
	Expect      string `json:"expect"`
	Dir         string `json:"dir"`
	Artifact    string `json:"artifact"`
	TrustedRoot string `json:"trusted_root"`
	VerifyWith  struct {
		Identity  string  `json:"certificate_identity"`
		Issuer    string  `json:"certificate_oidc_issuer"`
		PublicKey *string `json:"public_key_pem"`
	} `json:"verify_with"`
}

func loadConformance(t testing.TB) []conformanceCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir, "conformance-index.json"))
	if err != nil {
		t.Fatalf("conformance corpus: %v", err)
	}
	var idx struct {
		Cases []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx.Cases
}

// policy builds the policy the corpus rules give for c: key cases verify with key.pub and the
// trusted root; every other case is keyless, with the case's identity or the default one.
func (c conformanceCase) policy(t testing.TB) (Policy, error) {
	t.Helper()
	// "path (comment)": the comment says where the root came from.
	rootPath, _, _ := strings.Cut(c.TrustedRoot, " ")
	rootJSON, err := os.ReadFile(filepath.Join(conformanceDir, rootPath))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ParseTrustedRoot(rootJSON)
	if err != nil {
		return Policy{}, err
	}
	if c.VerifyWith.PublicKey != nil {
		pem, err := os.ReadFile(filepath.Join(conformanceDir, *c.VerifyWith.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
		if err != nil {
			// What the CLI reports for an unreadable --key.
			return Policy{}, fmt.Errorf("%w: key.pub: %w", ErrInvalidPolicy, err)
		}
		return NewKeyPolicy(pub, tr)
	}
	id := Identity{SubjectAlternativeName: c.VerifyWith.Identity, Issuer: c.VerifyWith.Issuer}
	if id.SubjectAlternativeName == "" {
		id.SubjectAlternativeName = conformanceIdentity
	}
	if id.Issuer == "" {
		id.Issuer = conformanceIssuer
	}
	return NewKeylessPolicy(tr, id)
}

func (c conformanceCase) verify(t testing.TB) (*Result, error) {
	t.Helper()
	p, err := c.policy(t)
	if err != nil {
		return nil, err
	}
	bundleJSON, err := os.ReadFile(filepath.Join(conformanceDir, c.Dir, "bundle.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	artifact, err := os.ReadFile(filepath.Join(conformanceDir, c.Artifact))
	if err != nil {
		t.Fatal(err)
	}
	return Verify(context.Background(), bytes.NewReader(artifact), bundleJSON, p)
}

var sentinels = []error{
	ErrMalformedBundle, ErrTrustedRoot, ErrInvalidPolicy, ErrSignature, ErrDigestMismatch,
	ErrCertificateIdentity, ErrUntrustedCertificate, ErrTransparencyLog, ErrTimestamp, ErrAlgorithm,
}

func kindOf(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

// conformanceKinds records, for every failing case, the sentinel error Verify returns, and
// whether that is surely the right kind. The step that fails first decides the kind: sigstore-go
// checks the log entry before the signature, so a tampered signature that no longer matches
// its log entry is a transparency-log failure. A "sure" kind that changes fails the test; an
// unsure one is logged.
var conformanceKinds = map[string]struct {
	kind error
	sure bool
}{
	"bundle-empty-certificate-chain_fail":                       {ErrMalformedBundle, true},
	"bundle-from-wrong-instance_fail":                           {ErrTransparencyLog, false}, // staging log: no entry from a trusted log; the staging certificate would fail next
	"bundle-invalid-base64-signature_fail":                      {ErrMalformedBundle, true},
	"bundle-malformed-json_fail":                                {ErrMalformedBundle, true},
	"bundle-negative-log-index_fail":                            {ErrTransparencyLog, false}, // sigstore-go rejects the entry while decoding it
	"bundle-unknown-version_fail":                               {ErrMalformedBundle, true},
	"bundle-with-root-cert_fail":                                {ErrTransparencyLog, false}, // v0.1 entry without checkpoint fails before the chain is looked at
	"checkpoint-bad-keyhint_fail":                               {ErrTransparencyLog, true},
	"checkpoint-wrong-roothash_fail":                            {ErrTransparencyLog, true},
	"dsse-invalid-sig_fail":                                     {ErrTransparencyLog, false}, // envelope signature differs from the logged one
	"dsse-mismatch-envelope_fail":                               {ErrTransparencyLog, true},
	"dsse-mismatch-sig_fail":                                    {ErrTransparencyLog, false},
	"inclusion-proof-corrupted-hash_fail":                       {ErrTransparencyLog, true},
	"incorrect-public-key_fail":                                 {ErrTransparencyLog, true},
	"integrated-time-in-future_fail":                            {ErrUntrustedCertificate, false}, // the log's time is outside the certificate's validity
	"intoto-expired-certificate_fail":                           {ErrUntrustedCertificate, true},
	"intoto-log-entry-mismatch_fail":                            {ErrTransparencyLog, true},
	"intoto-missing-inclusion-proof_fail":                       {ErrTransparencyLog, true},
	"intoto-set-outside-signing-cert-validity_fail":             {ErrUntrustedCertificate, false},
	"intoto-tsa-timestamp-outside-cert-validity_fail":           {ErrUntrustedCertificate, false},
	"invalid-checkpoint-signature_fail":                         {ErrTransparencyLog, true},
	"invalid-ct-key_fail":                                       {ErrUntrustedCertificate, true},
	"invalid-inclusion-proof_fail":                              {ErrTransparencyLog, true},
	"managed-key-no-key_fail":                                   {ErrCertificateIdentity, false}, // keyless policy, key-signed bundle
	"managed-key-wrong-key_fail":                                {ErrInvalidPolicy, true},        // key.pub is not a valid P-256 point
	"message-digest-mismatch_fail":                              {ErrDigestMismatch, true},
	"rekor2-checkpoint-missing-log-signature_fail":              {ErrTransparencyLog, true},
	"rekor2-checkpoint-missing-origin_fail":                     {ErrTransparencyLog, true},
	"rekor2-checkpoint-missing-root-hash_fail":                  {ErrTransparencyLog, true},
	"rekor2-checkpoint-missing-size_fail":                       {ErrTransparencyLog, true},
	"rekor2-checkpoint-no-matching-signature_fail":              {ErrTransparencyLog, true},
	"rekor2-dsse-invalid-sig_fail":                              {ErrTransparencyLog, false},
	"rekor2-dsse-mismatch-envelope_fail":                        {ErrTransparencyLog, true},
	"rekor2-dsse-mismatch-sig_fail":                             {ErrTransparencyLog, false},
	"rekor2-no-inclusion-proof_fail":                            {ErrTransparencyLog, true},
	"rekor2-no-timestamp_fail":                                  {ErrTimestamp, true},
	"rekor2-timestamp-outside-trust-root-tsa-validity_fail":     {ErrTimestamp, true},
	"rekor2-timestamp-outside-tsa-cert-validity_fail":           {ErrTimestamp, true},
	"rekor2-timestamp-payload-mismatch_fail":                    {ErrTimestamp, true},
	"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail":    {ErrTimestamp, true},
	"rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": {ErrTimestamp, true},
	"rekor2-timestamp-with-incorrect-time_fail":                 {ErrMalformedBundle, false}, // the timestamp's base64 does not decode
	"set-invalid-signature_fail":                                {ErrTransparencyLog, true},
	"signature-mismatch_fail":                                   {ErrTransparencyLog, false},
	"trust-root-tlog-missing-validity-start_fail":               {ErrTrustedRoot, true},
	"wrong-hashedrekord-artifact_fail":                          {ErrTransparencyLog, false},
	"wrong-hashedrekord-cert-and-sig_fail":                      {ErrTransparencyLog, true},
	"wrong-hashedrekord-entry_fail":                             {ErrTransparencyLog, true},
	"wrong-material_fail":                                       {ErrDigestMismatch, true},
}

// TestConformance verifies all 70 cases of the Sigstore conformance corpus offline: *_fail
// cases must fail with a named error of the recorded kind, the others must verify.
func TestConformance(t *testing.T) {
	cases := loadConformance(t)
	if len(cases) != 70 {
		t.Errorf("corpus has %d cases, want 70", len(cases))
	}
	var passed, failed int
	for _, c := range cases {
		t.Run(c.Case, func(t *testing.T) {
			res, err := c.verify(t)
			if c.Expect == "pass" {
				if err != nil {
					t.Fatalf("Verify: %v, want success", err)
				}
				if res.Artifact == "" || res.Signer.Kind == "" || len(res.Timestamps) == 0 {
					t.Errorf("incomplete result: %+v", res)
				}
				passed++
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded, want failure (%+v)", res)
			}
			failed++
			got := kindOf(err)
			if got == nil {
				t.Fatalf("error matches no named sentinel: %v", err)
			}
			want, ok := conformanceKinds[c.Case]
			switch {
			case !ok:
				t.Errorf("no recorded kind for this case; got %q (%v)", got, err)
			case got != want.kind && want.sure:
				t.Errorf("kind %q, want %q: %v", got, want.kind, err)
			case got != want.kind:
				t.Logf("kind %q, recorded %q (not sure which is right): %v", got, want.kind, err)
			}
		})
	}
	t.Logf("%d verified, %d refused", passed, failed)
}

// TestConformanceShared runs the same cases from ../shared when it is there, so a refreshed
// upstream corpus is noticed; the copy in testdata is what CI runs.
func TestConformanceShared(t *testing.T) {
	shared := "../../shared/testdata/sigstore/conformance-index.json"
	a, err := os.ReadFile(shared)
	if err != nil {
		t.Skipf("shared corpus not present (%v); testdata/conformance is the copy CI uses", err)
	}
	b, err := os.ReadFile(filepath.Join(conformanceDir, "conformance-index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s differs from the copy in %s: refresh the copy (see its PROVENANCE.md)", shared, conformanceDir)
	}
}
