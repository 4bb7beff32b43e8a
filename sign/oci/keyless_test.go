package oci

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/signtest"
)

// Keyless signing needs Fulcio, Rekor and a timestamp authority, none of which runs here;
// signtest.VirtualSigstore is all three in process, with real keys. What hallmark pushes is
// still made by hallmark: SignImage/AttestImage sign the statement with the leaf key, and the
// Options.Transparency hook (signtest.Keyless) turns the key bundle into the keyless bundle a
// Sigstore client would make, exactly where a real log client hooks in.

const (
	keylessIdentity = signtest.Identity
	keylessIssuer   = signtest.Issuer
)

// keylessSBOMType is the predicate type the keyless attestations carry.
const keylessSBOMType = "https://cyclonedx.org/bom"

var keylessSBOM = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`)

// TestKeylessImageRoundTrip signs and attests an image keyless (a VirtualSigstore
// certificate, a Rekor entry and an RFC 3161 timestamp), pushes both as referrers, and
// verifies them with sign.NewKeylessPolicy against the trusted root JSON: the identity, the
// log entry and both observation times are reported.
func TestKeylessImageRoundTrip(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers], func(t *testing.T) {
			ctx := t.Context()
			vs := signtest.NewVirtualSigstore(t)
			host, _ := newRegistry(t, referrers)
			ref := host + "/test/app:v1"
			digest := pushImage(t, ref)
			s := vs.Signer(t, keylessIdentity, keylessIssuer)
			opts := Options{Transparency: signtest.Keyless(s, signtest.Evidence{Log: vs, TSA: vs})}
			signed, err := SignImage(ctx, ref, s, opts)
			if err != nil {
				t.Fatal(err)
			}
			attested, err := AttestImage(ctx, ref, s, keylessSBOMType, keylessSBOM, opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := sign.NewKeylessPolicy(vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true}),
				sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer})
			if err != nil {
				t.Fatal(err)
			}

			for _, tc := range []struct {
				kind, predicateType, referrer string
			}{
				{"signature", "", signed.Referrer},
				{"attestation", keylessSBOMType, attested.Referrer},
			} {
				got, err := VerifyImage(ctx, ref, p, VerifyOptions{PredicateType: tc.predicateType})
				if err != nil {
					t.Fatalf("%s: %v", tc.kind, err)
				}
				if len(got) != 1 {
					t.Fatalf("%s: %d verified, want 1: %+v", tc.kind, len(got), got)
				}
				v := got[0]
				if v.Kind != tc.kind || v.Referrer != tc.referrer || v.Image != host+"/test/app@"+digest.String() || v.Result.Artifact != digest.String() {
					t.Errorf("%s: verified %+v", tc.kind, v)
				}
				r := v.Result
				if r.Signer.Kind != "certificate" || r.Signer.Identity != keylessIdentity || r.Signer.Issuer != keylessIssuer ||
					!strings.Contains(r.Signer.CertificateAuthority, "sigstore-intermediate") {
					t.Errorf("%s: signer %+v", tc.kind, r.Signer)
				}
				wantLog := []sign.VerifiedLogEntry{{LogID: vs.LogID(t), LogURL: "https://rekor.localhost", LogIndex: 0, Kind: "dsse/0.0.1"}}
				if diff := cmp.Diff(wantLog, r.TransparencyLog, cmpopts.IgnoreFields(sign.VerifiedLogEntry{}, "IntegratedTime")); diff != "" {
					t.Errorf("%s: transparency log (-want +got):\n%s", tc.kind, diff)
				}
				if len(r.TransparencyLog) == 1 && r.TransparencyLog[0].IntegratedTime == nil {
					t.Errorf("%s: the Rekor v1 entry's integrated time is not reported", tc.kind)
				}
				var sources []string
				for _, ts := range r.Timestamps {
					sources = append(sources, ts.Source)
				}
				slices.Sort(sources)
				if diff := cmp.Diff([]string{"timestamp-authority", "transparency-log"}, sources); diff != "" {
					t.Errorf("%s: timestamp sources (-want +got):\n%s", tc.kind, diff)
				}
			}
			got, err := VerifyImage(ctx, ref, p, VerifyOptions{PredicateType: keylessSBOMType})
			if err != nil {
				t.Fatal(err)
			}
			if st := got[0].Statement; st == nil || st.PredicateType != keylessSBOMType || string(st.Predicate) != string(keylessSBOM) {
				t.Errorf("attested statement = %+v", got[0].Statement)
			}
		})
	}
}

// TestKeylessImageFailures verifies images signed keyless in every way that must fail, each
// with its own named error, and the few variations that must pass. Every image carries a
// signature and an attestation; both are checked.
func TestKeylessImageFailures(t *testing.T) {
	ctx := t.Context()
	vs, other := signtest.NewVirtualSigstore(t), signtest.NewVirtualSigstore(t)
	host, _ := newRegistry(t, true)

	// publish pushes an image, signs and attests it with s, and returns its reference and
	// the two bundles pushed.
	publish := func(repo string, s sign.Signer, opts Options) (string, [][]byte) {
		t.Helper()
		ref := host + "/test/" + repo + ":v1"
		pushImage(t, ref)
		signed, err := SignImage(ctx, ref, s, opts)
		if err != nil {
			t.Fatal(err)
		}
		attested, err := AttestImage(ctx, ref, s, keylessSBOMType, keylessSBOM, opts)
		if err != nil {
			t.Fatal(err)
		}
		var bundles [][]byte
		for _, p := range []*Pushed{signed, attested} {
			raw, err := sign.MarshalBundle(p.Bundle)
			if err != nil {
				t.Fatal(err)
			}
			bundles = append(bundles, raw)
		}
		return ref, bundles
	}
	keylessly := func(repo string, s signtest.Signer, ev signtest.Evidence) string {
		t.Helper()
		ref, _ := publish(repo, s, Options{Transparency: signtest.Keyless(s, ev)})
		return ref
	}
	ours := vs.Signer(t, keylessIdentity, keylessIssuer)
	theirs := other.Signer(t, keylessIdentity, keylessIssuer)
	full := signtest.Evidence{Log: vs, TSA: vs}
	good, goodBundles := publish("good", ours, Options{Transparency: signtest.Keyless(ours, full)})
	foreignCert := keylessly("foreign-cert", theirs, full)
	foreign := keylessly("foreign", theirs, signtest.Evidence{Log: other, TSA: other})
	bare := keylessly("bare", ours, signtest.Evidence{})
	tsaOnly := keylessly("tsa-only", ours, signtest.Evidence{TSA: vs})
	logOnly := keylessly("log-only", ours, signtest.Evidence{Log: vs})
	// The log saw the signature after the 10-minute certificate expired, and nothing else
	// vouches for an earlier time.
	expired := keylessly("expired", ours, signtest.Evidence{Log: vs, LogTime: ours.Cert.NotAfter.Add(time.Minute)})
	keySigner, _ := newSigner(t)
	keyed, _ := publish("keyed", keySigner, Options{})

	// moved: good's bundles copied as referrers of another image, as someone with push access
	// could: validly signed, about another digest.
	moved := host + "/test/moved:v1"
	pushImage(t, moved)
	d, desc, err := resolve(ctx, moved, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range goodBundles {
		if _, err := push(ctx, d, desc, raw, nil, Options{}); err != nil {
			t.Fatal(err)
		}
	}

	fullRoot := vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true})
	tsaRoot := vs.TrustedRoot(t, signtest.RootParts{TSA: true})
	ctRoot := vs.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true, CTLog: true})
	otherRoot := other.TrustedRoot(t, signtest.RootParts{TLog: true, TSA: true})
	id := sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer}

	tests := []struct {
		name string
		ref  string
		root root.TrustedMaterial
		id   sign.Identity
		want error // nil: verifies
	}{
		{"right-identity", good, fullRoot, id, nil},
		{"anchored-regexps", good, fullRoot, sign.Identity{SubjectAlternativeNameRegexp: `^builder@hallmark\.dev$`, IssuerRegexp: `^https://accounts\.hallmark\.dev$`}, nil},
		// As in cosign, a regular expression is not anchored.
		{"unanchored-regexp", good, fullRoot, sign.Identity{SubjectAlternativeNameRegexp: `@hallmark\.dev`, Issuer: keylessIssuer}, nil},
		{"wrong-identity", good, fullRoot, sign.Identity{SubjectAlternativeName: "intruder@hallmark.dev", Issuer: keylessIssuer}, sign.ErrCertificateIdentity},
		{"identity-is-exact", good, fullRoot, sign.Identity{SubjectAlternativeName: "Builder@hallmark.dev", Issuer: keylessIssuer}, sign.ErrCertificateIdentity},
		{"wrong-issuer", good, fullRoot, sign.Identity{SubjectAlternativeName: keylessIdentity, Issuer: "https://accounts.example.com"}, sign.ErrCertificateIdentity},
		{"identity-regexp-mismatch", good, fullRoot, sign.Identity{SubjectAlternativeNameRegexp: `^release@`, Issuer: keylessIssuer}, sign.ErrCertificateIdentity},
		{"issuer-regexp-mismatch", good, fullRoot, sign.Identity{SubjectAlternativeName: keylessIdentity, IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`}, sign.ErrCertificateIdentity},
		// Same identity, but the certificate comes from a CA the root does not list; the log
		// and timestamp are the trusted ones, so only the chain can fail.
		{"certificate-of-another-ca", foreignCert, fullRoot, id, sign.ErrUntrustedCertificate},
		// Everything from another deployment: the first check, the log entry, already fails.
		{"another-sigstore", foreign, fullRoot, id, sign.ErrTransparencyLog},
		{"another-sigstore-with-its-root", foreign, otherRoot, id, nil},
		{"expired-certificate", expired, fullRoot, id, sign.ErrUntrustedCertificate},
		// The root lists a CT log, so the certificate needs an SCT; the virtual Fulcio adds none.
		{"no-sct", good, ctRoot, id, sign.ErrUntrustedCertificate},
		{"log-entry-only", logOnly, fullRoot, id, nil},
		{"timestamp-but-log-required", tsaOnly, fullRoot, id, sign.ErrTransparencyLog},
		{"no-evidence-log-required", bare, fullRoot, id, sign.ErrTransparencyLog},
		{"timestamp-root-timestamp-only", tsaOnly, tsaRoot, id, nil},
		{"timestamp-root-no-timestamp", bare, tsaRoot, id, sign.ErrTimestamp},
		{"signed-with-a-key", keyed, fullRoot, id, sign.ErrCertificateIdentity},
		{"moved-to-another-image", moved, fullRoot, id, sign.ErrSubjectMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := signtest.KeylessPolicy(t, tt.root, tt.id)
			for _, pt := range []string{"", keylessSBOMType} {
				got, err := VerifyImage(ctx, tt.ref, p, VerifyOptions{PredicateType: pt})
				if tt.want == nil {
					if err != nil {
						t.Fatalf("predicate type %q: %v", pt, err)
					}
					if got[0].Result.Signer.Identity != keylessIdentity {
						t.Errorf("predicate type %q: signer %+v", pt, got[0].Result.Signer)
					}
					continue
				}
				t.Logf("predicate type %q: %v", pt, err)
				if !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, tt.want) {
					t.Fatalf("predicate type %q: err = %v, want ErrNoValidSignature and %v", pt, err, tt.want)
				}
				for _, k := range keylessKinds {
					if k != tt.want && errors.Is(err, k) {
						t.Errorf("predicate type %q: err = %v also matches %v", pt, err, k)
					}
				}
			}
		})
	}
}

// keylessKinds are the failure kinds a keyless verification names; exactly one must match.
var keylessKinds = []error{
	sign.ErrSignature, sign.ErrCertificateIdentity, sign.ErrUntrustedCertificate,
	sign.ErrTransparencyLog, sign.ErrTimestamp, sign.ErrSubjectMismatch, sign.ErrDigestMismatch,
}
