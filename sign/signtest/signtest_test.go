package signtest

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/sign"
)

// The trusted root lists exactly the parts asked for, and its Rekor log ID is the raw SHA-256
// of the log key (what entries carry), not the VirtualSigstore's hex string's bytes: with the
// wrong ID every log entry would fail to verify, and every "fails as it should" test that
// expects ErrTransparencyLog would pass for the wrong reason.
func TestTrustedRoot(t *testing.T) {
	vs := NewVirtualSigstore(t)
	for _, parts := range []RootParts{{}, {TLog: true}, {TSA: true}, {CTLog: true}, {TLog: true, TSA: true, CTLog: true}} {
		tr := vs.TrustedRoot(t, parts)
		if got := len(tr.RekorLogs()) == 1; got != parts.TLog {
			t.Errorf("%+v: Rekor logs %v", parts, tr.RekorLogs())
		}
		if got := len(tr.CTLogs()) == 1; got != parts.CTLog {
			t.Errorf("%+v: CT logs %v", parts, tr.CTLogs())
		}
		if got := len(tr.TimestampingAuthorities()) == 1; got != parts.TSA {
			t.Errorf("%+v: timestamp authorities %v", parts, tr.TimestampingAuthorities())
		}
		if len(tr.FulcioCertificateAuthorities()) != 1 {
			t.Errorf("%+v: certificate authorities %v", parts, tr.FulcioCertificateAuthorities())
		}
	}
	logs := vs.TrustedRoot(t, RootParts{TLog: true}).RekorLogs()
	l, ok := logs[vs.LogID(t)]
	if !ok {
		t.Fatalf("Rekor log %s not in the root: %v", vs.LogID(t), logs)
	}
	der, err := x509.MarshalPKIXPublicKey(l.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if got := hex.EncodeToString(l.ID); got != hex.EncodeToString(sum[:]) {
		t.Errorf("log ID %s, want SHA-256 of the log key %x", got, sum)
	}

	path := vs.WriteTrustedRoot(t, filepath.Join(t.TempDir(), "root.json"), RootParts{TLog: true})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.ParseTrustedRoot(data); err != nil {
		t.Errorf("written root does not parse: %v", err)
	}
}

// signedBundle is a key-signed release bundle of s, before the hook.
func signedBundle(t *testing.T, s Signer) *bundle.Bundle {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), []byte("a"))
	b, _, err := sign.SignRelease(t.Context(), s, dir, sign.ReleaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The hook adds the certificate and exactly the evidence asked for, with the integrated time
// asked for.
func TestKeyless(t *testing.T) {
	vs := NewVirtualSigstore(t)
	s := vs.Signer(t, Identity, Issuer)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		ev            Evidence
		tlog, stamped bool
	}{
		{"no-evidence", Evidence{}, false, false},
		{"log", Evidence{Log: vs, LogTime: at}, true, false},
		{"timestamp", Evidence{TSA: vs}, false, true},
		{"both", Evidence{Log: vs, TSA: vs}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := signedBundle(t, s)
			if err := Keyless(s, tc.ev)(t.Context(), b); err != nil {
				t.Fatal(err)
			}
			vm := b.Bundle.GetVerificationMaterial()
			if got := vm.GetCertificate().GetRawBytes(); !slices.Equal(got, s.Cert.Raw) {
				t.Errorf("certificate not the signer's")
			}
			if vm.GetPublicKey() != nil {
				t.Errorf("key hint kept: %v", vm.GetPublicKey())
			}
			entries := vm.GetTlogEntries()
			if got := len(entries) == 1; got != tc.tlog {
				t.Fatalf("%d log entries", len(entries))
			}
			if tc.tlog {
				e := entries[0]
				if e.GetKindVersion().GetKind() != "dsse" || len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0 || e.GetInclusionProof() == nil {
					t.Errorf("log entry = %v", e)
				}
				if hex.EncodeToString(e.GetLogId().GetKeyId()) != vs.LogID(t) {
					t.Errorf("log ID %x, want %s", e.GetLogId().GetKeyId(), vs.LogID(t))
				}
				if !tc.ev.LogTime.IsZero() && e.GetIntegratedTime() != at.Unix() {
					t.Errorf("integrated time %d, want %d", e.GetIntegratedTime(), at.Unix())
				}
			}
			if got := len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()) == 1; got != tc.stamped {
				t.Errorf("timestamps = %v", vm.GetTimestampVerificationData())
			}
		})
	}
}

// A bundle without exactly one DSSE signature has no one signature to log: the hook refuses.
func TestKeylessRejectsNotSingleDSSE(t *testing.T) {
	vs := NewVirtualSigstore(t)
	s := vs.Signer(t, Identity, Issuer)
	b := signedBundle(t, s)
	env := b.GetDsseEnvelope()
	env.Signatures = append(env.Signatures, env.Signatures[0])
	if err := Keyless(s, Evidence{Log: vs})(t.Context(), b); !errors.Is(err, ErrNotSingleDSSE) {
		t.Errorf("two signatures: err = %v, want ErrNotSingleDSSE", err)
	}
	if b.Bundle.GetVerificationMaterial().GetCertificate() != nil {
		t.Errorf("certificate set on a refused bundle")
	}
	b.Bundle.Content = nil
	if err := Keyless(s, Evidence{})(t.Context(), b); !errors.Is(err, ErrNotSingleDSSE) {
		t.Errorf("no envelope: err = %v, want ErrNotSingleDSSE", err)
	}
}

// A keyless release made here verifies against the root made here, under the signer's
// identity, and not under another; the certificate expires as Fulcio's do.
func TestKeylessRelease(t *testing.T) {
	vs := NewVirtualSigstore(t)
	s := vs.Signer(t, Identity, Issuer)
	if life := s.Cert.NotAfter.Sub(s.Cert.NotBefore); life > 15*time.Minute {
		t.Errorf("certificate valid for %v, want Fulcio's ten minutes", life)
	}
	dir := KeylessRelease(t, s, Evidence{Log: vs, TSA: vs}, map[string]string{"bin/app": "app", "README": "r"}, sign.ReleaseOptions{})
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(sign.ReleaseBundlePath)))
	if err != nil {
		t.Fatal(err)
	}
	tr := vs.TrustedRoot(t, RootParts{TLog: true, TSA: true})
	rep, err := sign.VerifyRelease(t.Context(), dir, raw, KeylessPolicy(t, tr, sign.Identity{SubjectAlternativeName: Identity, Issuer: Issuer}))
	if err != nil {
		t.Fatalf("VerifyRelease: %v (%+v)", err, rep)
	}
	if rep.Result.Signer.Identity != Identity || len(rep.Manifest.Files) != 2 {
		t.Errorf("report = %+v", rep)
	}
	_, err = sign.VerifyRelease(t.Context(), dir, raw, KeylessPolicy(t, tr, sign.Identity{SubjectAlternativeName: "intruder@hallmark.dev", Issuer: Issuer}))
	if !errors.Is(err, sign.ErrCertificateIdentity) {
		t.Errorf("another identity: err = %v, want ErrCertificateIdentity", err)
	}
}
