package tlog

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hallmark-dev/hallmark/sign"
)

// TestSigstoreGoVerifiesHallmarkLogEntries: a hallmark log entry is a Rekor v2 entry. Given a
// trusted root that lists the hallmark log (its Ed25519 key and log ID), sigstore-go — the
// engine of cosign v3 — verifies the entry's checkpoint, inclusion proof and body against the
// bundle, with the transparency log required; and it refuses the same bundle when the trusted
// root lists another log. As for Rekor v2, sigstore-go expects the checkpoint origin to be the
// host name of the log's URL in the trusted root.
func TestSigstoreGoVerifiesHallmarkLogEntries(t *testing.T) {
	const host = "interop.hallmark.test"
	srv, url := testLogOrigin(t, host)
	ec := newSigner(t, sign.ECDSAP256)
	blob := signBlob(t, ec, "interop artifact")
	logAndVerify(t, srv, url, blob, ec.Public())
	att := signStatement(t, ec, "interop artifact")
	logAndVerify(t, srv, url, att, ec.Public())

	v, err := sigstoreGoVerifier(t, srv.Key().Public, "https://"+host, ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	reparse := func(b *bundle.Bundle) *bundle.Bundle {
		raw, err := sign.MarshalBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		var out bundle.Bundle
		if err := out.UnmarshalJSON(raw); err != nil {
			t.Fatalf("sigstore-go does not parse the bundle: %v", err)
		}
		return &out
	}
	res, err := v.Verify(reparse(blob), verify.NewPolicy(verify.WithArtifact(strings.NewReader("interop artifact")), verify.WithKey()))
	if err != nil {
		t.Fatalf("sigstore-go, blob: %v", err)
	}
	if res.VerifiedTimestamps == nil && res.Signature == nil {
		t.Fatalf("empty result %+v", res)
	}
	sum := sha256.Sum256([]byte("interop artifact"))
	if _, err := v.Verify(reparse(att), verify.NewPolicy(verify.WithArtifactDigest("sha256", sum[:]), verify.WithKey())); err != nil {
		t.Fatalf("sigstore-go, attestation: %v", err)
	}

	// Another log in the trusted root: the entry is not trusted.
	other, _ := testLogOrigin(t, host)
	v2, err := sigstoreGoVerifier(t, other.Key().Public, "https://"+host, ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(reparse(blob), verify.NewPolicy(verify.WithArtifact(strings.NewReader("interop artifact")), verify.WithKey())); err == nil {
		t.Fatal("sigstore-go accepted an entry of a log its trusted root does not list")
	}
}

// sigstoreGoVerifier builds a sigstore-go verifier that requires one transparency-log entry
// from the log with logKey and checks signatures with the signer's key.
func sigstoreGoVerifier(t *testing.T, logKey crypto.PublicKey, url string, signer crypto.PublicKey) (*verify.Verifier, error) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(logKey)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(der)
	trJSON := fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
	  "tlogs":[{"baseUrl":%q,"hashAlgorithm":"SHA2_256",
	    "publicKey":{"rawBytes":%q,"keyDetails":"PKIX_ED25519","validFor":{"start":"2020-01-01T00:00:00Z"}},
	    "logId":{"keyId":%q}}],
	  "certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}`,
		url, base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(id[:]))
	tr, err := root.NewTrustedRootFromJSON([]byte(trJSON))
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadVerifier(signer, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	return verify.NewVerifier(root.TrustedMaterialCollection{tr, keys}, verify.WithTransparencyLog(1), verify.WithNoObserverTimestamps())
}
