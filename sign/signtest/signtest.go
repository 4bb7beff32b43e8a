// Package signtest holds what the sign room's tests (and the CLI's) share for keyless signing:
// a throwaway Sigstore deployment, sigstore-go's VirtualSigstore (pkg/testing/ca: a Fulcio CA,
// a Rekor v1 log, a CT log and an RFC 3161 timestamp authority in process, with real keys),
// the trusted root JSON its keys make, signers holding a certificate it issued, and the hook
// that turns a key-signed DSSE bundle into the keyless bundle a Sigstore client would make.
// What is signed is still signed by hallmark (sign.KeySigner with the certificate's key); the
// hook only adds what Fulcio, Rekor and the timestamp authority would have answered. It is
// imported only by tests.
package signtest

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	sgtlog "github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/proto"

	"github.com/hallmark-dev/hallmark/sign"
)

// The identity the tests sign as: an email SAN and the OIDC issuer that vouched for it.
const (
	Identity = "builder@hallmark.dev"
	Issuer   = "https://accounts.hallmark.dev"
)

// ErrNotSingleDSSE is returned by the Keyless hook for a bundle that is not a DSSE envelope
// with exactly one signature: there is no one signature to log and timestamp.
var ErrNotSingleDSSE = errors.New("signtest: not a DSSE bundle with one signature")

// VirtualSigstore is one throwaway Sigstore deployment. The embedded ca.VirtualSigstore
// issues Fulcio-shaped leaf certificates (identity as an email SAN, OIDC issuer in the
// 1.3.6.1.4.1.57264.1.1 extension, 10 minutes of validity), Rekor v1 entries and RFC 3161
// timestamps.
type VirtualSigstore struct{ *ca.VirtualSigstore }

// NewVirtualSigstore starts a deployment with fresh keys.
func NewVirtualSigstore(t testing.TB) *VirtualSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &VirtualSigstore{vs}
}

// RootParts says what a trusted root lists besides the certificate authority.
type RootParts struct {
	// TLog lists the Rekor log, so verification requires a log entry.
	TLog bool
	// TSA lists the timestamp authority.
	TSA bool
	// CTLog lists the CT log, so certificates need an SCT (the virtual Fulcio adds none).
	CTLog bool
}

// TrustedRootJSON is the TrustedRoot JSON (protobuf-specs) of v's parts, as a TUF repository
// would ship it and a user hands it to --trusted-root.
func (v *VirtualSigstore) TrustedRootJSON(t testing.TB, parts RootParts) []byte {
	t.Helper()
	var tlogs, ctlogs map[string]*root.TransparencyLog
	var tsas []root.TimestampingAuthority
	if parts.TLog {
		tlogs = rawLogIDs(t, v.RekorLogs())
	}
	if parts.CTLog {
		ctlogs = rawLogIDs(t, v.CTLogs())
	}
	if parts.TSA {
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
	return data
}

// TrustedRoot reads TrustedRootJSON back as hallmark does (sign.ParseTrustedRoot), so tests
// go through the same JSON a user hands to --trusted-root.
func (v *VirtualSigstore) TrustedRoot(t testing.TB, parts RootParts) root.TrustedMaterial {
	t.Helper()
	tr, err := sign.ParseTrustedRoot(v.TrustedRootJSON(t, parts))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// WriteTrustedRoot writes TrustedRootJSON to path, for --trusted-root, and returns path.
func (v *VirtualSigstore) WriteTrustedRoot(t testing.TB, path string, parts RootParts) string {
	t.Helper()
	if err := os.WriteFile(path, v.TrustedRootJSON(t, parts), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawLogIDs copies logs with their ID as the raw SHA-256 of the log key: the VirtualSigstore
// keeps the hex string's bytes there, which would go into the JSON as a log ID no entry has.
func rawLogIDs(t testing.TB, logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	t.Helper()
	out := make(map[string]*root.TransparencyLog, len(logs))
	for id, l := range logs {
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatalf("virtual sigstore log ID %q: %v", id, err)
		}
		c := *l
		c.ID = raw
		out[id] = &c
	}
	return out
}

// LogID is the hex log ID of v's Rekor log, as sign.VerifiedLogEntry reports it.
func (v *VirtualSigstore) LogID(t testing.TB) string {
	t.Helper()
	for id := range v.RekorLogs() {
		return id
	}
	t.Fatal("virtual sigstore without a Rekor log")
	return ""
}

// Signer is what a Sigstore client holds after Fulcio answered: an ephemeral key (signing as
// sign.KeySigner) and its certificate.
type Signer struct {
	*sign.KeySigner
	Cert *x509.Certificate
}

// Signer has v's CA issue a certificate for identity and issuer, with a fresh key.
func (v *VirtualSigstore) Signer(t testing.TB, identity, issuer string) Signer {
	t.Helper()
	cert, key, err := v.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(key.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	return Signer{KeySigner: s, Cert: cert}
}

// Evidence says who vouches for when a keyless signature was made; nil adds nothing.
type Evidence struct {
	// Log records a Rekor v1 dsse entry (inclusion proof and signed entry timestamp).
	Log *VirtualSigstore
	// TSA adds an RFC 3161 timestamp of the signature.
	TSA *VirtualSigstore
	// LogTime is the entry's integrated time; zero means now.
	LogTime time.Time
}

// Keyless returns the hook that makes a key-signed DSSE bundle of s keyless: the certificate
// replaces the key hint, and ev's log entry and timestamp are added, as a Sigstore client does
// after signing. It fits oci.Options.Transparency and serves release bundles alike.
func Keyless(s Signer, ev Evidence) func(context.Context, *bundle.Bundle) error {
	return func(_ context.Context, b *bundle.Bundle) error {
		env := b.GetDsseEnvelope()
		if env == nil || len(env.GetSignatures()) != 1 {
			return ErrNotSingleDSSE
		}
		sig := env.GetSignatures()[0].GetSig()
		vm := b.Bundle.VerificationMaterial
		vm.Content = &protobundle.VerificationMaterial_Certificate{
			Certificate: &protocommon.X509Certificate{RawBytes: s.Cert.Raw},
		}
		if ev.Log != nil {
			tle, err := ev.Log.dsseEntry(s.Cert, env.GetPayloadType(), env.GetPayload(), sig, ev.LogTime)
			if err != nil {
				return fmt.Errorf("signtest: rekor entry: %w", err)
			}
			vm.TlogEntries = append(vm.TlogEntries, tle)
		}
		if ev.TSA != nil {
			tsr, err := ev.TSA.TimestampResponse(sig)
			if err != nil {
				return fmt.Errorf("signtest: timestamp: %w", err)
			}
			vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
				Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}},
			}
		}
		return nil
	}
}

// dsseEntry has v's Rekor log record a dsse/0.0.1 entry of the envelope signed by cert, as
// the bundle v0.3 carries it: inclusion proof with checkpoint, and the signed entry timestamp.
func (v *VirtualSigstore) dsseEntry(cert *x509.Certificate, payloadType string, payload, sig []byte, at time.Time) (*protorekor.TransparencyLogEntry, error) {
	if at.IsZero() {
		at = time.Now()
	}
	env := &dsse.Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	entry, err := v.GenerateTlogEntry(cert, env, sig, at.Unix(), true)
	if err != nil {
		return nil, err
	}
	tle := proto.Clone(entry.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	// The VirtualSigstore keeps the promise and the kind outside the protobuf entry; a bundle
	// carries both.
	set, err := v.RekorSignPayload(sgtlog.RekorPayload{
		Body:           entry.Body(),
		IntegratedTime: tle.GetIntegratedTime(),
		LogIndex:       tle.GetLogIndex(),
		LogID:          hex.EncodeToString(tle.GetLogId().GetKeyId()),
	})
	if err != nil {
		return nil, err
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	return tle, nil
}

// KeylessPolicy is sign.NewKeylessPolicy for tm and id, failing the test on error.
func KeylessPolicy(t testing.TB, tm root.TrustedMaterial, id sign.Identity) sign.Policy {
	t.Helper()
	p, err := sign.NewKeylessPolicy(tm, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// KeylessRelease writes files (slash-separated paths) to a new directory, signs it with s as
// `hallmark release sign` would, makes the bundle keyless with ev vouching for the time, and
// puts it at sign.ReleaseBundlePath. It returns the directory.
func KeylessRelease(t testing.TB, s Signer, ev Evidence, files map[string]string, opts sign.ReleaseOptions) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(content))
	}
	b, _, err := sign.SignRelease(t.Context(), s, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := Keyless(s, ev)(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	raw, err := sign.MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, filepath.FromSlash(sign.ReleaseBundlePath)), raw)
	return dir
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
