package sign_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/signtest"
)

// Keyless releases, signed with signtest's VirtualSigstore (a Fulcio CA, a Rekor log, a CT log
// and a timestamp authority in process, with real keys). SignRelease signs with the
// certificate's key; signtest.Keyless then does what a Sigstore client does after signing
// (certificate instead of key hint, log entry, timestamp). An external test package: signtest
// imports sign.

const (
	keylessIdentity = signtest.Identity
	keylessIssuer   = signtest.Issuer
)

var keylessReleaseTree = map[string]string{
	"bin/app":       "#!/bin/sh\necho app 2.0.0\n",
	"lib/plugin.so": "plugin",
	"sbom.cdx.json": `{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
	"README":        "read me\n",
}

// signKeylessRelease writes a release, signs it with s as `hallmark release sign` would (with
// ev vouching for the time) and puts the bundle at ReleaseBundlePath.
func signKeylessRelease(t *testing.T, s signtest.Signer, ev signtest.Evidence) string {
	t.Helper()
	return signtest.KeylessRelease(t, s, ev, keylessReleaseTree, sign.ReleaseOptions{SBOM: []string{"sbom.cdx.json"}})
}

func readReleaseBundle(t *testing.T, dir string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(sign.ReleaseBundlePath)))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestKeylessReleaseRoundTrip: a release signed keyless verifies under the signer's identity,
// reports the certificate, the log entry and both observation times, and still lists every
// difference once the directory is tampered with.
func TestKeylessReleaseRoundTrip(t *testing.T) {
	ctx := t.Context()
	vs := signtest.NewVirtualSigstore(t)
	s := vs.Signer(t, keylessIdentity, keylessIssuer)
	dir := signKeylessRelease(t, s, signtest.Evidence{Log: vs, TSA: vs})
	p := signtest.KeylessPolicy(t, vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true}), sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer})

	rep, err := sign.VerifyRelease(ctx, dir, readReleaseBundle(t, dir), p)
	if err != nil {
		t.Fatalf("VerifyRelease: %v (problems %+v)", err, rep)
	}
	r := rep.Result
	if r.Signer.Kind != "certificate" || r.Signer.Identity != keylessIdentity || r.Signer.Issuer != keylessIssuer {
		t.Errorf("signer = %+v", r.Signer)
	}
	if len(r.TransparencyLog) != 1 || r.TransparencyLog[0].Kind != "dsse/0.0.1" || r.TransparencyLog[0].IntegratedTime == nil {
		t.Errorf("transparency log = %+v", r.TransparencyLog)
	}
	if len(r.Timestamps) != 2 {
		t.Errorf("timestamps = %+v, want the log's and the authority's", r.Timestamps)
	}
	if r.Statement == nil || r.Statement.PredicateType != sign.ReleasePredicateType || len(rep.Manifest.Files) != len(keylessReleaseTree) || len(rep.Problems) != 0 {
		t.Errorf("report = %+v", rep)
	}
	if len(rep.Manifest.SBOM) != 1 || rep.Manifest.SBOM[0].Path != "sbom.cdx.json" {
		t.Errorf("SBOM references = %+v", rep.Manifest.SBOM)
	}

	// Every file is a subject: one file alone verifies as an attestation of the release.
	sum := sha256.Sum256([]byte(keylessReleaseTree["bin/app"]))
	if _, _, err := sign.VerifyAttestation(ctx, "sha256:"+hex.EncodeToString(sum[:]), readReleaseBundle(t, dir), p, sign.ReleasePredicateType); err != nil {
		t.Errorf("one file as an attestation: %v", err)
	}

	// Tampered after signing: the signature still verifies (and says who signed), every
	// difference is listed.
	if err := os.WriteFile(filepath.Join(dir, "lib", "plugin.so"), []byte("PLUGIN"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "backdoor"), []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err = sign.VerifyRelease(ctx, dir, readReleaseBundle(t, dir), p)
	if !errors.Is(err, sign.ErrReleaseMismatch) {
		t.Fatalf("tampered: err = %v, want ErrReleaseMismatch", err)
	}
	var kinds []string
	for _, pr := range rep.Problems {
		kinds = append(kinds, pr.Kind+" "+pr.Path)
	}
	if diff := cmp.Diff([]string{"added bin/backdoor", "modified lib/plugin.so"}, kinds); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if rep.Result == nil || rep.Result.Signer.Identity != keylessIdentity {
		t.Errorf("tampered: result = %+v, want the verified signer", rep.Result)
	}
}

// TestKeylessReleaseFailures: a keyless release signature that does not verify is the one
// problem reported, with its own named error, and nothing is compared.
func TestKeylessReleaseFailures(t *testing.T) {
	ctx := t.Context()
	vs, other := signtest.NewVirtualSigstore(t), signtest.NewVirtualSigstore(t)
	ours := vs.Signer(t, keylessIdentity, keylessIssuer)
	theirs := other.Signer(t, keylessIdentity, keylessIssuer)
	full := signtest.Evidence{Log: vs, TSA: vs}

	good := signKeylessRelease(t, ours, full)
	foreignCert := signKeylessRelease(t, theirs, full)
	foreign := signKeylessRelease(t, theirs, signtest.Evidence{Log: other, TSA: other})
	bare := signKeylessRelease(t, ours, signtest.Evidence{})
	tsaOnly := signKeylessRelease(t, ours, signtest.Evidence{TSA: vs})
	expired := signKeylessRelease(t, ours, signtest.Evidence{Log: vs, LogTime: ours.Cert.NotAfter.Add(time.Minute)})

	fullRoot := vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true})
	tsaRoot := vs.TrustedRoot(t, signtest.RootParts{TSA: true})
	ctRoot := vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true, CTLog: true})
	otherRoot := other.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true})
	id := sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer}

	tests := []struct {
		name string
		dir  string
		root root.TrustedMaterial
		id   sign.Identity
		want error // nil: verifies
	}{
		{"right-identity", good, fullRoot, id, nil},
		{"anchored-regexps", good, fullRoot, sign.Identity{SubjectAlternativeNameRegexp: `^builder@hallmark\.dev$`, IssuerRegexp: `^https://accounts\.hallmark\.dev$`}, nil},
		{"wrong-identity", good, fullRoot, sign.Identity{SubjectAlternativeName: "intruder@hallmark.dev", Issuer: keylessIssuer}, sign.ErrCertificateIdentity},
		{"wrong-issuer", good, fullRoot, sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: "https://accounts.example.com"}, sign.ErrCertificateIdentity},
		{"identity-regexp-mismatch", good, fullRoot, sign.Identity{SubjectAlternativeNameRegexp: `^release@`, Issuer: keylessIssuer}, sign.ErrCertificateIdentity},
		{"issuer-regexp-mismatch", good, fullRoot, sign.Identity{SubjectAlternativeName: keylessIdentity, IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`}, sign.ErrCertificateIdentity},
		{"certificate-of-another-ca", foreignCert, fullRoot, id, sign.ErrUntrustedCertificate},
		{"another-sigstore", foreign, fullRoot, id, sign.ErrTransparencyLog},
		{"another-sigstore-with-its-root", foreign, otherRoot, id, nil},
		{"expired-certificate", expired, fullRoot, id, sign.ErrUntrustedCertificate},
		{"no-sct", good, ctRoot, id, sign.ErrUntrustedCertificate},
		{"timestamp-but-log-required", tsaOnly, fullRoot, id, sign.ErrTransparencyLog},
		{"no-evidence-log-required", bare, fullRoot, id, sign.ErrTransparencyLog},
		{"timestamp-root-timestamp-only", tsaOnly, tsaRoot, id, nil},
		{"timestamp-root-no-timestamp", bare, tsaRoot, id, sign.ErrTimestamp},
	}
	kinds := []error{sign.ErrSignature, sign.ErrCertificateIdentity, sign.ErrUntrustedCertificate, sign.ErrTransparencyLog, sign.ErrTimestamp, sign.ErrReleaseMismatch}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := sign.VerifyRelease(ctx, tt.dir, readReleaseBundle(t, tt.dir), signtest.KeylessPolicy(t, tt.root, tt.id))
			if tt.want == nil {
				if err != nil || rep.Result.Signer.Identity != keylessIdentity {
					t.Fatalf("err = %v, report %+v", err, rep)
				}
				return
			}
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, k := range kinds {
				if k != tt.want && errors.Is(err, k) {
					t.Errorf("err = %v also matches %v", err, k)
				}
			}
			if rep == nil || rep.Result != nil || rep.Manifest != nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != sign.ProblemSignature {
				t.Errorf("report = %+v, want the signature as the one problem", rep)
			}
		})
	}
}
