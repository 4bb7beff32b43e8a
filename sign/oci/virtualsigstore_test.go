package oci

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
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

// Keyless signing needs Fulcio, Rekor and a timestamp authority, none of which runs here.
// sigstore-go's VirtualSigstore (pkg/testing/ca) is all three in process, with real keys: it
// issues Fulcio-shaped leaf certificates (identity as an email SAN, OIDC issuer in the
// 1.3.6.1.4.1.57264.1.1 extension, 10 minutes of validity), makes Rekor v1 entries with
// inclusion proofs and signed entry timestamps, and RFC 3161 timestamps. What hallmark pushes
// is still made by hallmark: SignImage/AttestImage sign the statement with the leaf key
// (sign.KeySigner), and the Options.Transparency hook turns the key bundle into the keyless
// bundle a Sigstore client would make, exactly where a real log client hooks in.
//
// These helpers are duplicated in sign/release_keyless_test.go and cmd/hallmark/
// keyless_test.go: test files cannot be imported across packages.

const (
	keylessIdentity = "builder@hallmark.dev"
	keylessIssuer   = "https://accounts.hallmark.dev"
)

// virtualSigstore is one throwaway Sigstore deployment: a Fulcio CA, a Rekor log, a CT log and
// a timestamp authority.
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
type rootParts struct {
	tlog, tsa, ctlog bool
}

// trustedRootJSON is the TrustedRoot JSON (protobuf-specs) of v's parts, as a TUF repository
// would ship it.
func (v *virtualSigstore) trustedRootJSON(t testing.TB, parts rootParts) []byte {
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
	return data
}

// trustedRoot reads trustedRootJSON back as hallmark does (sign.ParseTrustedRoot), so the
// tests go through the same JSON a user hands to --trusted-root.
func (v *virtualSigstore) trustedRoot(t testing.TB, parts rootParts) root.TrustedMaterial {
	t.Helper()
	tr, err := sign.ParseTrustedRoot(v.trustedRootJSON(t, parts))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// rawLogIDs copies logs with their ID as the raw SHA-256 of the log key: the VirtualSigstore
// keeps the hex string's bytes there, which would go into the JSON as a log ID no entry has.
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

// keylessSigner is what a Sigstore client holds after Fulcio answered: an ephemeral key and
// its certificate.
type keylessSigner struct {
	*sign.KeySigner
	cert *x509.Certificate
}

// signer has v's CA issue a certificate for identity and issuer, with a fresh key.
func (v *virtualSigstore) signer(t testing.TB, identity, issuer string) keylessSigner {
	t.Helper()
	cert, key, err := v.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(key.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	return keylessSigner{KeySigner: s, cert: cert}
}

// evidence says who vouches for when a keyless signature was made; nil adds nothing.
type evidence struct {
	// log records a Rekor v1 dsse entry (inclusion proof and signed entry timestamp).
	log *virtualSigstore
	// tsa adds an RFC 3161 timestamp of the signature.
	tsa *virtualSigstore
	// logTime is the entry's integrated time; zero means now.
	logTime time.Time
}

// keyless returns the hook that makes a key-signed DSSE bundle of s keyless: the certificate
// replaces the key hint, and ev's log entry and timestamp are added, as a Sigstore client does
// after signing. It fits Options.Transparency and serves release bundles alike.
func keyless(s keylessSigner, ev evidence) func(context.Context, *bundle.Bundle) error {
	return func(_ context.Context, b *bundle.Bundle) error {
		env := b.GetDsseEnvelope()
		if env == nil || len(env.GetSignatures()) != 1 {
			return errors.New("keyless: not a DSSE bundle with one signature")
		}
		sig := env.GetSignatures()[0].GetSig()
		vm := b.Bundle.VerificationMaterial
		vm.Content = &protobundle.VerificationMaterial_Certificate{
			Certificate: &protocommon.X509Certificate{RawBytes: s.cert.Raw},
		}
		if ev.log != nil {
			tle, err := ev.log.dsseEntry(s.cert, env.GetPayloadType(), env.GetPayload(), sig, ev.logTime)
			if err != nil {
				return err
			}
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

// dsseEntry has v's Rekor log record a dsse/0.0.1 entry of the envelope signed by cert, as
// the bundle v0.3 carries it: inclusion proof with checkpoint, and the signed entry timestamp.
func (v *virtualSigstore) dsseEntry(cert *x509.Certificate, payloadType string, payload, sig []byte, at time.Time) (*protorekor.TransparencyLogEntry, error) {
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

// logID is the hex log ID of v's Rekor log, as sign.VerifiedLogEntry reports it.
func (v *virtualSigstore) logID(t testing.TB) string {
	t.Helper()
	for id := range v.RekorLogs() {
		return id
	}
	t.Fatal("virtual sigstore without a Rekor log")
	return ""
}
