package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
)

// testLog starts a log in a temporary directory behind an httptest server.
func testLog(t *testing.T) (*Server, string) {
	t.Helper()
	return testLogOrigin(t, "test.hallmark.dev/log")
}

func testLogOrigin(t *testing.T, origin string) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	srv, err := OpenServer(context.Background(), ServerConfig{Dir: dir, Origin: origin, CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return srv, hs.URL
}

func newSigner(t testing.TB, alg sign.Algorithm) *sign.KeySigner {
	t.Helper()
	k, err := sign.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signBlob(t testing.TB, s sign.Signer, data string) *bundle.Bundle {
	t.Helper()
	b, err := sign.SignBlob(context.Background(), s, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signStatement(t *testing.T, s sign.Signer, data string) *bundle.Bundle {
	t.Helper()
	subj, err := attest.FileSubject("app.tar.gz", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.New([]attest.Subject{subj}, "https://example.com/review/v1", []byte(`{"ok":true}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.SignStatement(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// logAndVerify submits b, attaches the entry and verifies it with the log key.
func logAndVerify(t *testing.T, srv *Server, url string, b *bundle.Bundle, pub crypto.PublicKey) uint64 {
	t.Helper()
	req, err := RequestForBundle(b, pub)
	if err != nil {
		t.Fatal(err)
	}
	tle, err := Submit(context.Background(), url, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSubmitted(tle, b, pub); err != nil {
		t.Fatal(err)
	}
	if err := AttachEntry(b, tle); err != nil {
		t.Fatal(err)
	}
	got, err := VerifyBundle(b, srv.Key(), pub, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Index != uint64(tle.GetLogIndex()) {
		t.Fatalf("verified %+v, want index %d", got, tle.GetLogIndex())
	}
	return got[0].Index
}

func TestServerLogsAndProves(t *testing.T) {
	srv, url := testLog(t)
	ec := newSigner(t, sign.ECDSAP256)
	ed := newSigner(t, sign.Ed25519)

	blob := signBlob(t, ec, "release 1")
	i0 := logAndVerify(t, srv, url, blob, ec.Public())
	att := signStatement(t, ec, "release 1")
	i1 := logAndVerify(t, srv, url, att, ec.Public())
	if i0 == i1 {
		t.Fatalf("indexes %d %d not distinct", i0, i1)
	}
	if _, err := RequestForBundle(signStatement(t, ed, "release 1"), ed.Public()); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Fatalf("ed25519 attestation: %v", err)
	}
	// The attestation bundle also still verifies as an attestation with the key.
	attRaw, err := sign.MarshalBundle(att)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := sign.NewKeyPolicy(ec.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := attest.FileSubject("app.tar.gz", strings.NewReader("release 1"))
	if _, _, err := sign.VerifyAttestation(context.Background(), "sha256:"+subj.Digest["sha256"], attRaw, pol, ""); err != nil {
		t.Fatalf("logged attestation: %v", err)
	}

	// The bundle, once marshalled, is still a bundle sigstore-go reads and the signature still
	// verifies with the key: the log entry does not get in the way of key verification.
	raw, err := sign.MarshalBundle(blob)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sign.NewKeyPolicy(ec.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Verify(context.Background(), strings.NewReader("release 1"), raw, p); err != nil {
		t.Fatalf("key verification of a logged bundle: %v", err)
	}

	// Read back through the tiles API: the entry at i0 is the bundle's canonical body.
	c := NewClient(mustHTTPFetcher(t, url), srv.Key())
	cp, err := c.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Entry(context.Background(), i0, cp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e, blob.Bundle.GetVerificationMaterial().GetTlogEntries()[0].GetCanonicalizedBody()) {
		t.Fatalf("entry %d read back differs from the logged body", i0)
	}
	if _, err := ParseEntry(e); err != nil {
		t.Fatal(err)
	}
}

func mustHTTPFetcher(t *testing.T, url string) Fetcher {
	t.Helper()
	f, err := NewHTTPFetcher(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestServerDuplicateReturnsOriginalIndex(t *testing.T) {
	srv, url := testLog(t)
	ec := newSigner(t, sign.ECDSAP256)
	b := signBlob(t, ec, "same")
	req, err := RequestForBundle(b, ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	first, err := Submit(context.Background(), url, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Something else in between, then the same request again.
	logAndVerify(t, srv, url, signBlob(t, ec, "other"), ec.Public())
	raw, _ := protojson.Marshal(req)
	resp, err := http.Post(url+EntriesPath, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("duplicate: HTTP %d, want 200: %s", resp.StatusCode, body)
	}
	again, err := Submit(context.Background(), url, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetLogIndex() != first.GetLogIndex() {
		t.Fatalf("duplicate got index %d, original %d", again.GetLogIndex(), first.GetLogIndex())
	}
	// And its proof is against a newer checkpoint, still valid.
	if err := CheckSubmitted(again, b, ec.Public()); err != nil {
		t.Fatal(err)
	}
}

func TestServerRejectsBadEntries(t *testing.T) {
	_, url := testLog(t)
	ec := newSigner(t, sign.ECDSAP256)
	other := newSigner(t, sign.ECDSAP256)
	ed := newSigner(t, sign.Ed25519)

	post := func(t *testing.T, body []byte) (int, string) {
		t.Helper()
		resp, err := http.Post(url+EntriesPath, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	mustReq := func(b *bundle.Bundle, pub crypto.PublicKey) []byte {
		req, err := RequestForBundle(b, pub)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := protojson.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	t.Run("wrong key", func(t *testing.T) {
		code, msg := post(t, mustReq(signBlob(t, ec, "x"), other.Public()))
		if code != http.StatusBadRequest || !strings.Contains(msg, "verifying signature") {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
	t.Run("tampered dsse payload", func(t *testing.T) {
		b := signStatement(t, ec, "x")
		b.Bundle.GetDsseEnvelope().Payload = append([]byte(nil), b.Bundle.GetDsseEnvelope().Payload...)
		b.Bundle.GetDsseEnvelope().Payload[10] ^= 1
		code, msg := post(t, mustReq(b, ec.Public()))
		if code != http.StatusBadRequest || !strings.Contains(msg, "verifying signature") {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
	t.Run("dsse request", func(t *testing.T) {
		code, msg := post(t, []byte(`{"dsseRequestV002":{"envelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]},"verifiers":[]}}`))
		if code != http.StatusBadRequest || !strings.Contains(msg, "not accepted") {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
	t.Run("not json", func(t *testing.T) {
		if code, msg := post(t, []byte("{")); code != http.StatusBadRequest {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
	t.Run("empty request", func(t *testing.T) {
		if code, msg := post(t, []byte("{}")); code != http.StatusBadRequest || !strings.Contains(msg, "no hashedRekordRequestV002") {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
	t.Run("ed25519 blob refused by the client", func(t *testing.T) {
		_, err := RequestForBundle(signBlob(t, ed, "x"), ed.Public())
		if !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ed25519 hashedrekord refused by the server", func(t *testing.T) {
		der, err := x509.MarshalPKIXPublicKey(ed.Public())
		if err != nil {
			t.Fatal(err)
		}
		v := &pb.Verifier{Verifier: &pb.Verifier_PublicKey{PublicKey: &pb.PublicKey{RawBytes: der}}, KeyDetails: protocommon.PublicKeyDetails_PKIX_ED25519}
		req := &pb.CreateEntryRequest{Spec: &pb.CreateEntryRequest_HashedRekordRequestV002{HashedRekordRequestV002: &pb.HashedRekordRequestV002{
			Digest: bytes.Repeat([]byte{1}, 32), Signature: &pb.Signature{Content: []byte("sig"), Verifier: v}}}}
		raw, _ := protojson.Marshal(req)
		if code, msg := post(t, raw); code != http.StatusBadRequest || !strings.Contains(msg, "Ed25519") {
			t.Fatalf("HTTP %d %s", code, msg)
		}
	})
}

func TestVerifyBundleFailsClosed(t *testing.T) {
	srv, url := testLog(t)
	ec := newSigner(t, sign.ECDSAP256)
	b := signBlob(t, ec, "artifact")
	logAndVerify(t, srv, url, b, ec.Public())

	// Another log's key: the entry is not from that log.
	otherSrv, _ := testLog(t)
	if _, err := VerifyBundle(b, otherSrv.Key(), ec.Public(), true); !errors.Is(err, ErrNoLogEntry) {
		t.Fatalf("other log: %v", err)
	}
	if got, err := VerifyBundle(b, otherSrv.Key(), ec.Public(), false); err != nil || len(got) != 0 {
		t.Fatalf("other log, not required: %v %v", got, err)
	}
	// Not logged at all.
	if _, err := VerifyBundle(signBlob(t, ec, "unlogged"), srv.Key(), ec.Public(), true); !errors.Is(err, ErrNoLogEntry) {
		t.Fatalf("unlogged: %v", err)
	}

	clone := func() *bundle.Bundle {
		raw, err := sign.MarshalBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		var c bundle.Bundle
		if err := c.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	cases := []struct {
		name   string
		mutate func(c *bundle.Bundle)
		want   error
	}{
		{"tampered body", func(c *bundle.Bundle) {
			e := c.Bundle.VerificationMaterial.TlogEntries[0]
			e.CanonicalizedBody = bytes.Replace(e.CanonicalizedBody, []byte("hashedrekord"), []byte("hashedrekorD"), 1)
		}, ErrInclusionProof},
		{"proof hash flipped", func(c *bundle.Bundle) {
			ip := c.Bundle.VerificationMaterial.TlogEntries[0].InclusionProof
			if len(ip.Hashes) == 0 {
				ip.Hashes = [][]byte{make([]byte, 32)}
				return
			}
			ip.Hashes[0][0] ^= 1
		}, ErrInclusionProof},
		{"index moved", func(c *bundle.Bundle) {
			e := c.Bundle.VerificationMaterial.TlogEntries[0]
			e.LogIndex++
			e.InclusionProof.LogIndex++
		}, ErrInclusionProof},
		{"checkpoint forged", func(c *bundle.Bundle) {
			ip := c.Bundle.VerificationMaterial.TlogEntries[0].InclusionProof
			lines := strings.SplitN(ip.Checkpoint.Envelope, "\n", 3)
			lines[1] = "999"
			ip.Checkpoint.Envelope = strings.Join(lines, "\n")
		}, ErrCheckpointSignature},
		{"signature swapped", func(c *bundle.Bundle) {
			other := signBlob(t, ec, "artifact")
			c.Bundle.Content = other.Bundle.Content
		}, ErrEntryMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := clone()
			tc.mutate(c)
			_, err := VerifyBundle(c, srv.Key(), ec.Public(), true)
			if tc.want == ErrCheckpointSignature {
				// A forged checkpoint is not this log's: nothing of this log remains.
				if !errors.Is(err, ErrNoLogEntry) && !errors.Is(err, ErrCheckpointSignature) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// The entry names the signing key: verifying with another key's expectation fails.
	if _, err := VerifyBundle(b, srv.Key(), newSigner(t, sign.ECDSAP256).Public(), true); !errors.Is(err, ErrEntryMismatch) {
		t.Fatalf("other signer key: %v", err)
	}
}

func TestServerConcurrentAppends(t *testing.T) {
	srv, url := testLog(t)
	ec := newSigner(t, sign.ECDSAP256)
	const n = 200
	var wg sync.WaitGroup
	idx := make([]int64, n)
	errs := make(chan error, n)
	for i := range n {
		b := signBlob(t, ec, "concurrent "+string(rune('A'+i%26))+strings.Repeat("x", i))
		req, err := RequestForBundle(b, ec.Public())
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tle, err := Submit(context.Background(), url, req, nil)
			if err != nil {
				errs <- err
				return
			}
			if err := CheckSubmitted(tle, b, ec.Public()); err != nil {
				errs <- err
				return
			}
			idx[i] = tle.GetLogIndex()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, i := range idx {
		if seen[i] {
			t.Fatalf("index %d used twice", i)
		}
		seen[i] = true
	}
	// The log holds exactly n entries, every one readable and in the tree.
	c := NewClient(mustHTTPFetcher(t, url), srv.Key())
	cp, err := c.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != n {
		t.Fatalf("checkpoint size %d, want %d", cp.Size, n)
	}
	count := 0
	if err := c.Entries(context.Background(), 0, cp.Size, cp, func(i uint64, data []byte) error {
		count++
		_, err := ParseEntry(data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("read %d entries", count)
	}
}

func TestServerKeyFilesAndLock(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenServer(context.Background(), ServerConfig{Dir: dir}); !errors.Is(err, ErrServerConfig) {
		t.Fatalf("no origin, no key: %v", err)
	}
	srv, err := OpenServer(context.Background(), ServerConfig{Dir: dir, Origin: "example.com/log"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	st, err := os.Stat(filepath.Join(dir, PrivateKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", st, err)
	}
	vkey, err := LoadLogKey(filepath.Join(dir, VerifierKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if vkey.Text != srv.Key().Text || vkey.Origin != "example.com/log" {
		t.Fatalf("vkey %q, server %q", vkey.Text, srv.Key().Text)
	}
	// A second server on the same directory is refused, not interleaved.
	if _, err := OpenServer(context.Background(), ServerConfig{Dir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server: %v", err)
	}
}

// TestServerDuplicateAcrossRestart: the duplicate index is persistent: after a restart, an
// entry submitted again gets its original index, at once.
func TestServerDuplicateAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := ServerConfig{Dir: dir, Origin: "restart.test/log", CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 20 * time.Millisecond}
	ec := newSigner(t, sign.ECDSAP256)
	var bodies [][]byte
	srv, err := OpenServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		req, err := RequestForBundle(signBlob(t, ec, fmt.Sprintf("restart %d", i)), ec.Public())
		if err != nil {
			t.Fatal(err)
		}
		body, kv, err := ValidateRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.Add(context.Background(), body, kv); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err = OpenServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	for i, body := range bodies {
		tle, dup, err := srv.Add(context.Background(), body, nil)
		if err != nil || !dup || tle.GetLogIndex() != int64(i) {
			t.Fatalf("entry %d again after restart: index %d dup=%v err=%v", i, tle.GetLogIndex(), dup, err)
		}
	}
}
