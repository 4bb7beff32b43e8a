package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"

	"github.com/hallmark-dev/hallmark/sign"
)

// startLog starts a log in dir (creating its key for origin on first start) behind an
// httptest server.
func startLog(t *testing.T, dir, origin string) (*Server, string) {
	t.Helper()
	srv, err := OpenServer(context.Background(), ServerConfig{Dir: dir, Origin: origin, CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 10 * time.Millisecond})
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

// submitBlob signs data with s, logs the signature and returns its index.
func submitBlob(t *testing.T, url string, s *sign.KeySigner, data string) uint64 {
	t.Helper()
	req, err := RequestForBundle(signBlob(t, s, data), s.Public())
	if err != nil {
		t.Fatal(err)
	}
	tle, err := Submit(context.Background(), url, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(tle.GetLogIndex())
}

// submitWithCertificate logs a signature of data by a fresh key whose self-signed certificate
// names the URI identity, as a Fulcio certificate of a CI workflow does.
func submitWithCertificate(t *testing.T, logURL, identity, data string) uint64 {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(identity)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sigstore"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:         []*url.URL{u},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(data))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(nil, cert)
	if err != nil {
		t.Fatal(err)
	}
	tle, err := Submit(context.Background(), logURL, hashedRekordRequest(digest[:], sig, v), nil)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(tle.GetLogIndex())
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func keyIDOf(t *testing.T, s *sign.KeySigner) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return KeyID(der)
}

func logClient(t *testing.T, url string, key *LogKey) *Client {
	t.Helper()
	return NewClient(mustHTTPFetcher(t, url), key)
}

// TestMonitorFollowsLog: the first run trusts the checkpoint and replays every entry; later
// runs read only new entries; watched keys and identities are found, others are not.
func TestMonitorFollowsLog(t *testing.T) {
	srv, url := startLog(t, t.TempDir(), "monitor.test/log")
	mine, other := newSigner(t, sign.ECDSAP256), newSigner(t, sign.ECDSAP256)
	ctx := context.Background()
	c := logClient(t, url, srv.Key())

	// An empty log: trust on first use at size 0.
	r, st, err := Monitor(ctx, c, nil, Watch{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.FirstRun || r.Size != 0 || r.NewEntries != 0 || st.Size != 0 {
		t.Fatalf("empty log: report %+v state %+v", r, st)
	}

	submitBlob(t, url, other, "release 1")
	i1 := submitBlob(t, url, mine, "release 2")
	submitBlob(t, url, other, "release 3")

	// From the empty state: three new entries, one by the watched key.
	r, st, err = Monitor(ctx, c, st, Watch{Keys: []crypto.PublicKey{mine.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Match{{Index: i1, Digest: sha256Hex("release 2"), Signer: keyIDOf(t, mine)}}
	if r.FirstRun || r.PreviousSize != 0 || r.Size != 3 || r.NewEntries != 3 || r.Problem != nil || len(r.Unreadable) != 0 {
		t.Fatalf("report %+v", r)
	}
	if diff := cmp.Diff(want, r.Matches); diff != "" {
		t.Fatalf("matches (-want +got):\n%s", diff)
	}
	if st.Size != 3 || !bytes.Equal(st.Root, r.Root) || st.Origin != "monitor.test/log" || st.VerifierKey != srv.Key().Text {
		t.Fatalf("state %+v", st)
	}

	// A fresh monitor (first run) over the same log replays all three and agrees.
	r0, st0, err := Monitor(ctx, c, nil, Watch{Keys: []crypto.PublicKey{mine.Public()}})
	if err != nil || !r0.FirstRun || r0.NewEntries != 3 || !cmp.Equal(st0.Tree, st.Tree) || !cmp.Equal(want, r0.Matches) {
		t.Fatalf("first run: %+v %v", r0, err)
	}

	// New entries: an attestation by the watched key, and a certificate with a watched identity.
	id := "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
	att := signStatement(t, mine, "release 4")
	req, err := RequestForBundle(att, mine.Public())
	if err != nil {
		t.Fatal(err)
	}
	tle, err := Submit(ctx, url, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	iCert := submitWithCertificate(t, url, id, "release 5")
	submitWithCertificate(t, url, "https://github.com/someone/else", "release 6")

	r, st2, err := Monitor(ctx, c, st, Watch{Keys: []crypto.PublicKey{mine.Public()}, Identities: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PreviousSize != 3 || r.Size != 6 || r.NewEntries != 3 || len(r.Matches) != 2 {
		t.Fatalf("report %+v", r)
	}
	if m := r.Matches[0]; m.Index != uint64(tle.GetLogIndex()) || m.Signer != keyIDOf(t, mine) || !strings.HasPrefix(m.Digest, "sha256:") {
		t.Fatalf("attestation match %+v", m)
	}
	if m := r.Matches[1]; m.Index != iCert || m.Signer != id || m.Digest != sha256Hex("release 5") {
		t.Fatalf("identity match %+v", m)
	}
	if r.PreviousCheckpoint != st.Checkpoint || r.Checkpoint != st2.Checkpoint {
		t.Fatal("the report does not name both checkpoints")
	}

	// The monitor's tree equals the one built from the log's own tiles.
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromTiles, err := c.TreeAt(ctx, cp.Size, cp)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(*fromTiles, st2.Tree) {
		t.Fatalf("monitor tree %+v, tiles %+v", st2.Tree, fromTiles)
	}

	// Nothing new: consistent, no entries read.
	r, st3, err := Monitor(ctx, c, st2, Watch{Keys: []crypto.PublicKey{mine.Public()}})
	if err != nil || r.NewEntries != 0 || len(r.Matches) != 0 || st3.Size != 6 {
		t.Fatalf("no change: %+v %v", r, err)
	}
}

// TestMonitorManyEntries crosses tile boundaries: the state's tree is extended from the
// middle of one tile into the next.
func TestMonitorManyEntries(t *testing.T) {
	srv, url := startLog(t, t.TempDir(), "monitor.test/log")
	s := newSigner(t, sign.ECDSAP256)
	ctx := context.Background()
	c := logClient(t, url, srv.Key())
	submitMany(t, url, s, 0, 200)
	r, st, err := Monitor(ctx, c, nil, Watch{Keys: []crypto.PublicKey{s.Public()}})
	if err != nil || r.NewEntries != 200 || len(r.Matches) != 200 {
		t.Fatalf("%d new, %d matches: %v", r.NewEntries, len(r.Matches), err)
	}
	submitMany(t, url, s, 200, 330)
	r, st, err = Monitor(ctx, c, st, Watch{})
	if err != nil || r.PreviousSize != 200 || r.Size != 330 || r.NewEntries != 130 || len(r.Matches) != 0 {
		t.Fatalf("report %+v: %v", r, err)
	}
	if len(st.Tree.Hashes) != strings.Count(strconv.FormatUint(330, 2), "1") {
		t.Fatalf("tree of size 330 has %d hashes", len(st.Tree.Hashes))
	}
}

func submitMany(t *testing.T, url string, s *sign.KeySigner, from, to int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	for i := from; i < to; i++ {
		req, err := RequestForBundle(signBlob(t, s, fmt.Sprintf("artifact %d", i)), s.Public())
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Submit(context.Background(), url, req, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// proxy serves a log through an httptest server and can lie: replay an old checkpoint, flip
// a byte in entry bundles or hash tiles.
type proxy struct {
	target      string
	checkpoint  atomic.Pointer[[]byte]
	flipEntries atomic.Bool
	flipTiles   atomic.Bool
}

func newProxy(t *testing.T, target string) (*proxy, string) {
	t.Helper()
	p := &proxy{target: target}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cp := p.checkpoint.Load(); cp != nil && r.URL.Path == "/checkpoint" {
			w.Write(*cp)
			return
		}
		resp, err := http.Get(p.target + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && len(body) > 0 {
			switch {
			case strings.HasPrefix(r.URL.Path, "/tile/entries/") && p.flipEntries.Load(),
				strings.HasPrefix(r.URL.Path, "/tile/0/") && p.flipTiles.Load():
				body[len(body)-1] ^= 1 // inside the last entry's data, or the last hash
			}
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(hs.Close)
	return p, hs.URL
}

func fetchCheckpoint(t *testing.T, url string) []byte {
	t.Helper()
	raw, err := mustHTTPFetcher(t, url).ReadCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestMonitorRollback: a log (here a proxy replaying an old checkpoint) that goes back to a
// smaller tree is caught, and no state comes out.
func TestMonitorRollback(t *testing.T) {
	srv, url := startLog(t, t.TempDir(), "monitor.test/log")
	s := newSigner(t, sign.ECDSAP256)
	ctx := context.Background()
	p, purl := newProxy(t, url)
	c := logClient(t, purl, srv.Key())
	submitBlob(t, url, s, "one")
	submitBlob(t, url, s, "two")
	old := fetchCheckpoint(t, url)
	submitBlob(t, url, s, "three")
	_, st, err := Monitor(ctx, c, nil, Watch{})
	if err != nil || st.Size != 3 {
		t.Fatalf("state %+v: %v", st, err)
	}
	p.checkpoint.Store(&old)
	r, next, err := Monitor(ctx, c, st, Watch{})
	if !errors.Is(err, ErrRollback) || !errors.Is(err, ErrMonitor) || next != nil {
		t.Fatalf("rollback: %v, state %v", err, next)
	}
	if r == nil || r.Problem != err || r.PreviousSize != 3 || r.Size != 2 || r.Checkpoint != string(old) || r.PreviousCheckpoint != st.Checkpoint {
		t.Fatalf("report %+v", r)
	}
	if !strings.Contains(err.Error(), "size 2") || !strings.Contains(err.Error(), "size 3") {
		t.Fatalf("error does not name both sizes: %v", err)
	}
}

// TestMonitorSplitView: two logs with one key and origin but different entries are two views
// of "one" log. A monitor that saw one catches the other, at the same size and at a larger one.
func TestMonitorSplitView(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	srvA, urlA := startLog(t, dirA, "split.test/log")
	key, err := os.ReadFile(filepath.Join(dirA, PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, PrivateKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	srvB, urlB := startLog(t, dirB, "")
	if srvB.Key().Text != srvA.Key().Text {
		t.Fatalf("keys differ: %s %s", srvA.Key(), srvB.Key())
	}
	s := newSigner(t, sign.ECDSAP256)
	ctx := context.Background()
	submitBlob(t, urlA, s, "a1")
	submitBlob(t, urlA, s, "a2")
	submitBlob(t, urlB, s, "b1")
	submitBlob(t, urlB, s, "b2")

	cA, cB := logClient(t, urlA, srvA.Key()), logClient(t, urlB, srvA.Key())
	_, st, err := Monitor(ctx, cA, nil, Watch{})
	if err != nil {
		t.Fatal(err)
	}
	r, next, err := Monitor(ctx, cB, st, Watch{})
	if !errors.Is(err, ErrSplitView) || next != nil || r.Size != 2 || r.PreviousSize != 2 {
		t.Fatalf("same size: %v (report %+v)", err, r)
	}
	if !strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(st.Root)) {
		t.Fatalf("error does not name the roots: %v", err)
	}

	submitBlob(t, urlB, s, "b3")
	r, next, err = Monitor(ctx, cB, st, Watch{})
	if !errors.Is(err, ErrSplitView) || next != nil || r.Size != 3 {
		t.Fatalf("larger: %v (report %+v)", err, r)
	}

	// Peers: B is no copy of A; A through a proxy is, also when it lags behind.
	cpA, err := cA.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ComparePeer(ctx, cA, cpA, cB); !errors.Is(err, ErrSplitView) {
		t.Fatalf("peer B: %v", err)
	}
	lagging := fetchCheckpoint(t, urlA)
	submitBlob(t, urlA, s, "a3")
	p, purl := newProxy(t, urlA)
	cP := logClient(t, purl, srvA.Key())
	cpA, err = cA.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pcp, err := ComparePeer(ctx, cA, cpA, cP); err != nil || pcp.Size != 3 {
		t.Fatalf("peer in step: %v %v", pcp, err)
	}
	p.checkpoint.Store(&lagging)
	if pcp, err := ComparePeer(ctx, cA, cpA, cP); err != nil || pcp.Size != 2 {
		t.Fatalf("peer behind: %v %v", pcp, err)
	}
	// The primary behind the peer: proven with the peer's tiles.
	cpOld, err := OpenCheckpoint(lagging, srvA.Key())
	if err != nil {
		t.Fatal(err)
	}
	p.checkpoint.Store(nil)
	if pcp, err := ComparePeer(ctx, cA, cpOld, cP); err != nil || pcp.Size != 3 {
		t.Fatalf("peer ahead: %v %v", pcp, err)
	}
	if _, err := ComparePeer(ctx, cB, cpOld, cP); err != nil {
		t.Fatalf("peer ahead of an old checkpoint: %v", err)
	}
	cpB, err := cB.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ComparePeer(ctx, cA, cpB, cA); !errors.Is(err, ErrSplitView) {
		t.Fatalf("B's checkpoint against A as peer: %v", err)
	}

	// A's own monitor is unaffected: its state follows A.
	if _, _, err := Monitor(ctx, cA, st, Watch{}); err != nil {
		t.Fatalf("A after A: %v", err)
	}
}

// TestMonitorTamperedLog: a log serving entries or tiles that do not make its signed tree is
// inconsistent; a checkpoint signed by another key is not the log's.
func TestMonitorTamperedLog(t *testing.T) {
	srv, url := startLog(t, t.TempDir(), "monitor.test/log")
	s := newSigner(t, sign.ECDSAP256)
	ctx := context.Background()
	submitBlob(t, url, s, "one")
	submitBlob(t, url, s, "two")
	c := logClient(t, url, srv.Key())
	_, st, err := Monitor(ctx, c, nil, Watch{})
	if err != nil {
		t.Fatal(err)
	}
	submitBlob(t, url, s, "three")

	p, purl := newProxy(t, url)
	pc := logClient(t, purl, srv.Key())
	for _, tc := range []struct {
		name string
		flip *atomic.Bool
	}{{"entry-bundle", &p.flipEntries}, {"hash-tile", &p.flipTiles}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.flip.Store(true)
			defer tc.flip.Store(false)
			for _, prev := range []*MonitorState{nil, st} {
				r, next, err := Monitor(ctx, pc, prev, Watch{})
				if !errors.Is(err, ErrInconsistent) || next != nil || r == nil || r.Problem == nil {
					t.Fatalf("from %v: %v, state %v", prev != nil, err, next)
				}
			}
		})
	}

	// Another log's checkpoint in place of this one's: not an ErrMonitor finding.
	other, otherURL := startLog(t, t.TempDir(), "monitor.test/log")
	submitBlob(t, otherURL, s, "x")
	forged := fetchCheckpoint(t, otherURL)
	p.checkpoint.Store(&forged)
	r, next, err := Monitor(ctx, pc, st, Watch{})
	if !errors.Is(err, ErrCheckpointSignature) || errors.Is(err, ErrMonitor) || r != nil || next != nil {
		t.Fatalf("forged checkpoint: %v", err)
	}
	_ = other

	// The log cannot be reached.
	if _, _, err := Monitor(ctx, logClient(t, "http://127.0.0.1:1", srv.Key()), st, Watch{}); !errors.Is(err, ErrLogFetch) {
		t.Fatalf("unreachable: %v", err)
	}
	// A state of another log, or a state whose checkpoint is not signed by the key.
	if _, _, err := Monitor(ctx, logClient(t, otherURL, other.Key()), st, Watch{}); !errors.Is(err, ErrMonitorState) {
		t.Fatalf("state of another log: %v", err)
	}
	bad := *st
	bad.Checkpoint = flipSignature(t, st.Checkpoint)
	if _, _, err := Monitor(ctx, c, &bad, Watch{}); !errors.Is(err, ErrMonitorState) || !errors.Is(err, ErrCheckpointSignature) {
		t.Fatalf("state with a forged checkpoint: %v", err)
	}
	// Bad watch lists.
	if _, _, err := Monitor(ctx, c, st, Watch{Identities: []string{""}}); !errors.Is(err, ErrWatch) {
		t.Fatalf("empty identity: %v", err)
	}
	if _, _, err := Monitor(ctx, c, st, Watch{Keys: []crypto.PublicKey{"not a key"}}); !errors.Is(err, ErrWatch) {
		t.Fatalf("bad key: %v", err)
	}
}

// flipSignature changes one bit of the signature in a signed note's last line.
func flipSignature(t *testing.T, signed string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(signed, "\n"), "\n")
	last := lines[len(lines)-1]
	i := strings.LastIndex(last, " ")
	sig, err := base64.StdEncoding.DecodeString(last[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	lines[len(lines)-1] = last[:i+1] + base64.StdEncoding.EncodeToString(sig)
	return strings.Join(lines, "\n") + "\n"
}

// historyFetcher serves the tessera test log at one of its historical checkpoints.
type historyFetcher struct {
	Fetcher
	checkpoint []byte
}

func (h historyFetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return h.checkpoint, nil
}

// TestMonitorTesseraLog follows tessera's own test log through its history (sizes 0 to 15):
// every step is consistent, every entry is read once (none is a hallmark entry, so each is
// reported unreadable), and going back is a rollback.
func TestMonitorTesseraLog(t *testing.T) {
	dir := corpus(t, "tessera-tiled-log")
	key, err := ParseLogKey(tesseraVKey)
	if err != nil {
		t.Fatal(err)
	}
	at := func(size int) *Client {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("checkpoint.%d", size)))
		if err != nil {
			t.Fatal(err)
		}
		return NewClient(historyFetcher{NewDirFetcher(dir), raw}, key)
	}
	ctx := context.Background()
	var st *MonitorState
	var unreadable []uint64
	for _, size := range []int{0, 1, 5, 8, 9, 12, 15} {
		r, next, err := Monitor(ctx, at(size), st, Watch{})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if r.Size != uint64(size) {
			t.Fatalf("size %d: report %+v", size, r)
		}
		for _, u := range r.Unreadable {
			if !errors.Is(u.Err, ErrInvalidEntry) {
				t.Fatalf("entry %d: %v", u.Index, u.Err)
			}
			unreadable = append(unreadable, u.Index)
		}
		st = next
	}
	if len(unreadable) != 15 || unreadable[0] != 0 || unreadable[14] != 14 {
		t.Fatalf("unreadable entries %v, want 0..14", unreadable)
	}
	if _, _, err := Monitor(ctx, at(12), st, Watch{}); !errors.Is(err, ErrRollback) {
		t.Fatalf("15 then 12: %v", err)
	}
}

// TestMonitorStateFile: Save and LoadMonitorState round-trip; a missing file is no state;
// every kind of damage is ErrMonitorState naming the file.
func TestMonitorStateFile(t *testing.T) {
	srv, url := startLog(t, t.TempDir(), "monitor.test/log")
	s := newSigner(t, sign.ECDSAP256)
	for i := range 3 {
		submitBlob(t, url, s, fmt.Sprint("entry ", i))
	}
	_, st, err := Monitor(context.Background(), logClient(t, url, srv.Key()), nil, Watch{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if got, err := LoadMonitorState(path); got != nil || err != nil {
		t.Fatalf("missing file: %v %v", got, err)
	}
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadMonitorState(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Fatalf("round trip (-saved +loaded):\n%s", diff)
	}
	if err := st.Save(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", fi.Mode())
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	cases := []struct{ name, data, want string }{
		{"empty", "", "not a monitor state file"},
		{"not-json", "size=3", "not a monitor state file"},
		{"trailing-data", string(raw) + "{}", "data after"},
		{"unknown-field", edit(func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"schema-version", edit(func(m map[string]any) { m["schemaVersion"] = 2 }), "schemaVersion 2"},
		{"bad-key", edit(func(m map[string]any) { m["verifierKey"] = "x+y+z" }), "verifierKey"},
		{"origin", edit(func(m map[string]any) { m["origin"] = "other" }), "origin"},
		{"short-root", edit(func(m map[string]any) { m["root"] = "AAAA" }), "root is 3 bytes"},
		{"size", edit(func(m map[string]any) { m["size"] = 4 }), "tree of size 3"},
		{"tree-hashes", edit(func(m map[string]any) { m["tree"].(map[string]any)["hashes"] = []string{} }), "tree"},
		{"root-not-tree", edit(func(m map[string]any) {
			m["root"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}), "not the recorded root"},
		{"checkpoint-garbage", edit(func(m map[string]any) { m["checkpoint"] = "hello" }), "checkpoint"},
		{"checkpoint-other-size", edit(func(m map[string]any) {
			m["checkpoint"] = strings.Replace(m["checkpoint"].(string), "\n3\n", "\n2\n", 1)
		}), "not the recorded one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadMonitorState(p)
			if !errors.Is(err, ErrMonitorState) || got != nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want ErrMonitorState naming %s and %q", got, err, p, tc.want)
			}
		})
	}
	// A directory is not a state file either.
	if _, err := LoadMonitorState(dir); !errors.Is(err, ErrMonitorState) {
		t.Fatalf("directory: %v", err)
	}
	// Save refuses a state whose parts disagree.
	bad := *st
	bad.Size++
	if err := bad.Save(filepath.Join(dir, "bad.json")); !errors.Is(err, ErrMonitorState) {
		t.Fatalf("save bad state: %v", err)
	}
}

// fuzzState builds a valid state over n leaves, signed with a deterministic key.
func fuzzState(tb testing.TB, n int) []byte {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(zeroReader{}, "fuzz.test/log")
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	var tree Tree
	for i := range n {
		if err := tree.Append(LeafHash([]byte{byte(i)})); err != nil {
			tb.Fatal(err)
		}
	}
	root := tree.Root()
	text := fmt.Sprintf("fuzz.test/log\n%d\n%s\n", n, base64.StdEncoding.EncodeToString(root))
	cp, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		tb.Fatal(err)
	}
	st := MonitorState{Origin: "fuzz.test/log", VerifierKey: vkey, Size: uint64(n), Root: root, Checkpoint: string(cp), Tree: tree, Updated: time.Unix(1700000000, 0).UTC()}
	raw, err := json.Marshal(stateFile{SchemaVersion: monitorStateVersion, MonitorState: st})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// FuzzParseMonitorState: whatever the input, ParseMonitorState returns a state whose parts
// agree, or ErrMonitorState; an accepted state encodes and parses back to itself.
func FuzzParseMonitorState(f *testing.F) {
	for _, n := range []int{0, 1, 7, 256} {
		f.Add(fuzzState(f, n))
	}
	f.Add([]byte(`{"schemaVersion":1}`))
	f.Add([]byte(`{"schemaVersion":1,"tree":{"size":1,"hashes":["AA=="]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseMonitorState(data)
		if err != nil {
			if st != nil || !errors.Is(err, ErrMonitorState) {
				t.Fatalf("ParseMonitorState = %v, %v", st, err)
			}
			return
		}
		enc, err := st.encode()
		if err != nil {
			t.Fatalf("accepted a state that does not encode: %v", err)
		}
		again, err := ParseMonitorState(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(st, again) {
			t.Fatalf("round trip: %+v != %+v", st, again)
		}
	})
}
