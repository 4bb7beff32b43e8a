package sign

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	sgtlog "github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/proto"
)

// Keyless releases, signed with sigstore-go's VirtualSigstore (pkg/testing/ca): a Fulcio CA,
// a Rekor log, a CT log and a timestamp authority in process, with real keys. SignRelease
// signs with the certificate's key; the keyless hook then does what a Sigstore client does
// after signing (certificate instead of key hint, log entry, timestamp). The helpers mirror
// sign/oci/virtualsigstore_test.go: test files cannot be imported across packages.

const (
	keylessIdentity = "builder@hallmark.dev"
	keylessIssuer   = "https://accounts.hallmark.dev"
)

type virtualSigstore struct{ *ca.VirtualSigstore }

func newVirtualSigstore(t testing.TB) *virtualSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &virtualSigstore{vs}
}

// rootParts says what a trusted root lists besides the certificate authority.
type rootParts struct{ tlog, tsa, ctlog bool }

// trustedRoot builds v's TrustedRoot JSON and reads it back with ParseTrustedRoot, as
// --trusted-root does.
func (v *virtualSigstore) trustedRoot(t testing.TB, parts rootParts) root.TrustedMaterial {
	t.Helper()
	var tlogs, ctlogs map[string]*root.TransparencyLog
	var tsas []root.TimestampingAuthority
	if parts.tlog {
		tlogs = rawLogIDs(t, v.RekorLogs())
	}
	if parts.ctlog {
		ctlogs = rawLogIDs(t, v.CTLogs())
	}
	if parts.tsa {
		tsas = v.TimestampingAuthorities()
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, v.FulcioCertificateAuthorities(), ctlogs, tsas, tlogs)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseTrustedRoot(data)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// rawLogIDs gives logs their raw SHA-256 log ID: the VirtualSigstore keeps the hex string's
// bytes, which would go into the JSON as an ID no entry has.
func rawLogIDs(t testing.TB, logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	t.Helper()
	out := make(map[string]*root.TransparencyLog, len(logs))
	for id, l := range logs {
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		c := *l
		c.ID = raw
		out[id] = &c
	}
	return out
}

// keylessSigner is an ephemeral key and the certificate the virtual Fulcio issued for it.
type keylessSigner struct {
	*KeySigner
	cert *x509.Certificate
}

func (v *virtualSigstore) signer(t testing.TB, identity, issuer string) keylessSigner {
	t.Helper()
	cert, key, err := v.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewKeySigner(key.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	return keylessSigner{KeySigner: s, cert: cert}
}

// evidence says who vouches for when the signature was made; nil adds nothing.
type evidence struct {
	log, tsa *virtualSigstore
	logTime  time.Time // the log entry's integrated time; zero means now
}

// keyless makes a key-signed DSSE bundle of s keyless: certificate, then ev's Rekor v1 dsse
// entry (inclusion proof and signed entry timestamp) and RFC 3161 timestamp.
func keyless(s keylessSigner, ev evidence) func(context.Context, *bundle.Bundle) error {
	return func(_ context.Context, b *bundle.Bundle) error {
		env := b.GetDsseEnvelope()
		if env == nil || len(env.GetSignatures()) != 1 {
			return errors.New("keyless: not a DSSE bundle with one signature")
		}
		sig := env.GetSignatures()[0].GetSig()
		vm := b.Bundle.VerificationMaterial
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: s.cert.Raw}}
		if ev.log != nil {
			at := ev.logTime
			if at.IsZero() {
				at = time.Now()
			}
			entry, err := ev.log.GenerateTlogEntry(s.cert, &dsse.Envelope{
				PayloadType: env.GetPayloadType(),
				Payload:     base64.StdEncoding.EncodeToString(env.GetPayload()),
				Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
			}, sig, at.Unix(), true)
			if err != nil {
				return err
			}
			tle := proto.Clone(entry.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
			set, err := ev.log.RekorSignPayload(sgtlog.RekorPayload{
				Body: entry.Body(), IntegratedTime: tle.GetIntegratedTime(), LogIndex: tle.GetLogIndex(),
				LogID: hex.EncodeToString(tle.GetLogId().GetKeyId()),
			})
			if err != nil {
				return err
			}
			tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
			tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
			vm.TlogEntries = append(vm.TlogEntries, tle)
		}
		if ev.tsa != nil {
			tsr, err := ev.tsa.TimestampResponse(sig)
			if err != nil {
				return err
			}
			vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
				Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}},
			}
		}
		return nil
	}
}

var keylessReleaseTree = map[string]string{
	"bin/app":       "#!/bin/sh\necho app 2.0.0\n",
	"lib/plugin.so": "plugin",
	"sbom.cdx.json": `{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
	"README":        "read me\n",
}

// signKeylessRelease writes a release, signs it with s as `hallmark release sign` would (with
// ev vouching for the time) and puts the bundle at ReleaseBundlePath.
func signKeylessRelease(t *testing.T, s keylessSigner, ev evidence) string {
	t.Helper()
	dir := writeTree(t, keylessReleaseTree)
	b, _, err := SignRelease(t.Context(), s, dir, ReleaseOptions{SBOM: []string{"sbom.cdx.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := keyless(s, ev)(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	raw, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(ReleaseBundlePath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readReleaseBundle(t *testing.T, dir string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ReleaseBundlePath)))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustKeylessPolicy(t testing.TB, tm root.TrustedMaterial, id Identity) Policy {
	t.Helper()
	p, err := NewKeylessPolicy(tm, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKeylessReleaseRoundTrip: a release signed keyless verifies under the signer's identity,
// reports the certificate, the log entry and both observation times, and still lists every
// difference once the directory is tampered with.
func TestKeylessReleaseRoundTrip(t *testing.T) {
	ctx := t.Context()
	vs := newVirtualSigstore(t)
	s := vs.signer(t, keylessIdentity, keylessIssuer)
	dir := signKeylessRelease(t, s, evidence{log: vs, tsa: vs})
	p := mustKeylessPolicy(t, vs.trustedRoot(t, rootParts{tlog: true, tsa: true}), Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer})

	rep, err := VerifyRelease(ctx, dir, readReleaseBundle(t, dir), p)
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
	if r.Statement == nil || r.Statement.PredicateType != ReleasePredicateType || len(rep.Manifest.Files) != len(keylessReleaseTree) || len(rep.Problems) != 0 {
		t.Errorf("report = %+v", rep)
	}
	if len(rep.Manifest.SBOM) != 1 || rep.Manifest.SBOM[0].Path != "sbom.cdx.json" {
		t.Errorf("SBOM references = %+v", rep.Manifest.SBOM)
	}

	// Every file is a subject: one file alone verifies as an attestation of the release.
	sum := sha256.Sum256([]byte(keylessReleaseTree["bin/app"]))
	if _, _, err := VerifyAttestation(ctx, "sha256:"+hex.EncodeToString(sum[:]), readReleaseBundle(t, dir), p, ReleasePredicateType); err != nil {
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
	rep, err = VerifyRelease(ctx, dir, readReleaseBundle(t, dir), p)
	if !errors.Is(err, ErrReleaseMismatch) {
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
	vs, other := newVirtualSigstore(t), newVirtualSigstore(t)
	ours := vs.signer(t, keylessIdentity, keylessIssuer)
	theirs := other.signer(t, keylessIdentity, keylessIssuer)
	full := evidence{log: vs, tsa: vs}

	good := signKeylessRelease(t, ours, full)
	foreignCert := signKeylessRelease(t, theirs, full)
	foreign := signKeylessRelease(t, theirs, evidence{log: other, tsa: other})
	bare := signKeylessRelease(t, ours, evidence{})
	tsaOnly := signKeylessRelease(t, ours, evidence{tsa: vs})
	expired := signKeylessRelease(t, ours, evidence{log: vs, logTime: ours.cert.NotAfter.Add(time.Minute)})

	fullRoot := vs.trustedRoot(t, rootParts{tlog: true, tsa: true})
	tsaRoot := vs.trustedRoot(t, rootParts{tsa: true})
	ctRoot := vs.trustedRoot(t, rootParts{tlog: true, tsa: true, ctlog: true})
	otherRoot := other.trustedRoot(t, rootParts{tlog: true, tsa: true})
	id := Identity{SubjectAlternativeName: keylessIdentity, Issuer: keylessIssuer}

	tests := []struct {
		name string
		dir  string
		root root.TrustedMaterial
		id   Identity
		want error // nil: verifies
	}{
		{"right-identity", good, fullRoot, id, nil},
		{"anchored-regexps", good, fullRoot, Identity{SubjectAlternativeNameRegexp: `^builder@hallmark\.dev$`, IssuerRegexp: `^https://accounts\.hallmark\.dev$`}, nil},
		{"wrong-identity", good, fullRoot, Identity{SubjectAlternativeName: "intruder@hallmark.dev", Issuer: keylessIssuer}, ErrCertificateIdentity},
		{"wrong-issuer", good, fullRoot, Identity{SubjectAlternativeName: keylessIdentity, Issuer: "https://accounts.example.com"}, ErrCertificateIdentity},
		{"identity-regexp-mismatch", good, fullRoot, Identity{SubjectAlternativeNameRegexp: `^release@`, Issuer: keylessIssuer}, ErrCertificateIdentity},
		{"issuer-regexp-mismatch", good, fullRoot, Identity{SubjectAlternativeName: keylessIdentity, IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`}, ErrCertificateIdentity},
		{"certificate-of-another-ca", foreignCert, fullRoot, id, ErrUntrustedCertificate},
		{"another-sigstore", foreign, fullRoot, id, ErrTransparencyLog},
		{"another-sigstore-with-its-root", foreign, otherRoot, id, nil},
		{"expired-certificate", expired, fullRoot, id, ErrUntrustedCertificate},
		{"no-sct", good, ctRoot, id, ErrUntrustedCertificate},
		{"timestamp-but-log-required", tsaOnly, fullRoot, id, ErrTransparencyLog},
		{"no-evidence-log-required", bare, fullRoot, id, ErrTransparencyLog},
		{"timestamp-root-timestamp-only", tsaOnly, tsaRoot, id, nil},
		{"timestamp-root-no-timestamp", bare, tsaRoot, id, ErrTimestamp},
	}
	kinds := []error{ErrSignature, ErrCertificateIdentity, ErrUntrustedCertificate, ErrTransparencyLog, ErrTimestamp, ErrReleaseMismatch}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := VerifyRelease(ctx, tt.dir, readReleaseBundle(t, tt.dir), mustKeylessPolicy(t, tt.root, tt.id))
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
			if rep == nil || rep.Result != nil || rep.Manifest != nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemSignature {
				t.Errorf("report = %+v, want the signature as the one problem", rep)
			}
		})
	}
}
