package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/tlog"
)

// runLogCLI runs hallmark with args like runKeyCLI, with ctx, and with the log client commands
// registered under "log" even before log.go adds them.
func runLogCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	root := newRootCmd(e)
	if sub, _, err := root.Find([]string{"log", "monitor"}); err != nil || sub.Name() != "monitor" {
		logCmd, _, err := root.Find([]string{"log"})
		if err != nil {
			t.Fatal(err)
		}
		logCmd.AddCommand(newLogClientCmds(e)...)
	}
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	code := ExitOK
	if err := root.ExecuteContext(ctx); err != nil {
		code = exitCode(err)
		if !isSilent(err) {
			stderr.WriteString("hallmark: " + err.Error() + "\n")
		}
	}
	return code, stdout.String(), stderr.String()
}

func logCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runLogCLI(t, context.Background(), args...)
}

// inProcessLogIn starts a log in dir (which may already hold a log.key) and returns its URL.
func inProcessLogIn(t *testing.T, dir string) string {
	t.Helper()
	srv, err := tlog.OpenServer(context.Background(), tlog.ServerConfig{Dir: dir, Origin: "cli.test/log", CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close(context.Background())
	})
	return hs.URL
}

// signLogged signs a new artifact with content with the cosign test key and logs it in the log
// at url; it returns the artifact's digest.
func signLogged(t *testing.T, url, content string) string {
	t.Helper()
	dir := t.TempDir()
	artifact := filepath.Join(dir, "artifact")
	if err := os.WriteFile(artifact, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", artifact, "--key", signKeys+"/cosign.key", "--bundle", artifact+".sigstore.json", "--tlog", url)
	if code != ExitOK {
		t.Fatalf("sign --tlog: exit %d: %s", code, stderr)
	}
	sum := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// cosignKeyID is the key ID of the cosign test key: sha256 of its PKIX DER.
func cosignKeyID(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(signKeys + "/cosign.pub")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatal("cosign.pub: no PEM")
	}
	return tlog.KeyID(block.Bytes)
}

// flipProxy serves the log at target, flipping the last byte of every entry bundle when flip is set.
func flipProxy(t *testing.T, target string, flip *atomic.Bool) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(target + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if flip.Load() && resp.StatusCode == http.StatusOK && strings.HasPrefix(r.URL.Path, "/tile/entries/") && len(body) > 0 {
			body[len(body)-1] ^= 1
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// otherLogKey writes the verifier key of an unrelated log with the same origin.
func otherLogKey(t *testing.T) string {
	t.Helper()
	_, vkey := inProcessLog(t)
	return vkey
}

func TestLogCheckpointCmd(t *testing.T) {
	url, vkey := inProcessLog(t)
	signLogged(t, url, "one\n")

	code, stdout, stderr := logCLI(t, "log", "checkpoint", url, "--tlog-key", vkey)
	if code != ExitOK || !strings.Contains(stdout, "Checkpoint of cli.test/log (signature verified)") || !strings.Contains(stdout, "size:          1\n") {
		t.Fatalf("text: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr = logCLI(t, "log", "checkpoint", url, "--tlog-key", vkey, "--format", "json")
	if code != ExitOK {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var out checkpointOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	key, err := tlog.LoadLogKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := tlog.OpenCheckpoint([]byte(out.Checkpoint), key)
	if err != nil {
		t.Fatal(err)
	}
	if out.Origin != "cli.test/log" || out.Size != 1 || !bytes.Equal(out.RootHash, cp.Root) || out.RootHashHex != hex.EncodeToString(cp.Root) {
		t.Fatalf("json output %+v", out)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"other-logs-key", []string{url, "--tlog-key", otherLogKey(t)}, ExitNo, "checkpoint not signed by the log key"},
		{"unreachable", []string{"http://127.0.0.1:1", "--tlog-key", vkey}, ExitInternal, "reading the log failed"},
		{"no-key", []string{url}, ExitUsage, "--tlog-key is required"},
		{"bad-key-file", []string{url, "--tlog-key", signKeys + "/cosign.pub"}, ExitUsage, "--tlog-key"},
		{"bad-format", []string{url, "--tlog-key", vkey, "--format", "xml"}, ExitUsage, `--format "xml"`},
		{"bad-url", []string{"ftp://example.com", "--tlog-key", vkey}, ExitUsage, "not an http(s) URL"},
		{"no-url", []string{"--tlog-key", vkey}, ExitUsage, "want URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := logCLI(t, append([]string{"log", "checkpoint"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d): %s%s (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestLogGetCmd(t *testing.T) {
	url, vkey := inProcessLog(t)
	digest := signLogged(t, url, "release 1\n")

	code, stdout, stderr := logCLI(t, "log", "get", url, "0", "--tlog-key", vkey)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Entry 0 of cli.test/log (included in the checkpoint of size 1)", "kind:          hashedrekord/0.0.2",
		"digest:        " + digest, "signed by:     key " + cosignKeyID(t)} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = logCLI(t, "log", "get", url, "0", "--tlog-key", vkey, "--format", "json")
	if code != ExitOK {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var out entryOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Digest != digest || out.Signer.Kind != "key" || out.Signer.KeyID != cosignKeyID(t) || out.Kind != "hashedrekord/0.0.2" {
		t.Fatalf("json %+v", out)
	}
	// The raw body is the leaf: it hashes to the printed leaf hash, and decodes to the entry.
	if !bytes.Equal(tlog.LeafHash(out.CanonicalizedBody), out.LeafHash) || !json.Valid(out.Entry) {
		t.Fatal("canonicalizedBody does not hash to leafHash")
	}
	if _, err := tlog.ParseEntry(out.CanonicalizedBody); err != nil {
		t.Fatal(err)
	}

	var flip atomic.Bool
	proxied := flipProxy(t, url, &flip)
	flip.Store(true)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"beyond-size", []string{url, "1", "--tlog-key", vkey}, ExitNo, "entry 1 is not in log cli.test/log: its checkpoint has 1 entries"},
		{"tampered-bundle", []string{proxied, "0", "--tlog-key", vkey}, ExitNo, "inclusion proof does not verify"},
		{"bad-index", []string{url, "first", "--tlog-key", vkey}, ExitUsage, "INDEX"},
		{"other-logs-key", []string{url, "0", "--tlog-key", otherLogKey(t)}, ExitNo, "not signed by the log key"},
		{"unreachable", []string{"http://127.0.0.1:1", "0", "--tlog-key", vkey}, ExitInternal, "reading the log failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := logCLI(t, append([]string{"log", "get"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d): %s%s (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestLogProofCmd(t *testing.T) {
	url, vkey := inProcessLog(t)
	signLogged(t, url, "one\n")
	_, cpJSON, _ := logCLI(t, "log", "checkpoint", url, "--tlog-key", vkey, "--format", "json")
	var at1 checkpointOutput
	if err := json.Unmarshal([]byte(cpJSON), &at1); err != nil {
		t.Fatal(err)
	}
	signLogged(t, url, "two\n")
	signLogged(t, url, "three\n")

	// Inclusion: the printed proof verifies on its own, against the printed checkpoint.
	code, stdout, stderr := logCLI(t, "log", "proof", url, "1", "--tlog-key", vkey, "--format", "json")
	if code != ExitOK {
		t.Fatalf("inclusion: exit %d: %s", code, stderr)
	}
	var inc proofOutput
	if err := json.Unmarshal([]byte(stdout), &inc); err != nil {
		t.Fatal(err)
	}
	key, _ := tlog.LoadLogKey(vkey)
	cp, err := tlog.OpenCheckpoint([]byte(inc.Checkpoint), key)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Type != "inclusion" || *inc.Index != 1 || inc.TreeSize != 3 || cp.Size != 3 || !bytes.Equal(inc.RootHash, cp.Root) {
		t.Fatalf("inclusion output %+v", inc)
	}
	if err := tlog.VerifyInclusion(1, inc.TreeSize, inc.LeafHash, inc.Hashes, cp.Root); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = logCLI(t, "log", "proof", url, "1", "--tlog-key", vkey)
	if code != ExitOK || !strings.Contains(stdout, "Inclusion proof of entry 1 in cli.test/log at tree size 3 (verified)") || !strings.Contains(stdout, "— cli.test/log ") {
		t.Fatalf("inclusion text: %s", stdout)
	}

	// Consistency from the checkpoint seen at size 1, with its root.
	code, stdout, stderr = logCLI(t, "log", "proof", url, "--old-size", "1", "--old-root", at1.RootHashHex, "--tlog-key", vkey, "--format", "json")
	if code != ExitOK {
		t.Fatalf("consistency: exit %d: %s", code, stderr)
	}
	var cons proofOutput
	if err := json.Unmarshal([]byte(stdout), &cons); err != nil {
		t.Fatal(err)
	}
	if cons.Type != "consistency" || *cons.OldSize != 1 || !bytes.Equal(cons.OldRootHash, at1.RootHash) || cons.TreeSize != 3 {
		t.Fatalf("consistency output %+v", cons)
	}
	if err := tlog.VerifyConsistency(1, 3, cons.Hashes, at1.RootHash, cons.RootHash); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = logCLI(t, "log", "proof", url, "--old-size", "0", "--tlog-key", vkey)
	if code != ExitOK || !strings.Contains(stdout, "from tree size 0 to 3 (verified)") || !strings.Contains(stdout, "hashes:        0\n") {
		t.Fatalf("from 0: exit %d: %s", code, stdout)
	}

	wrongRoot := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"other-root", []string{url, "--old-size", "1", "--old-root", wrongRoot, "--tlog-key", vkey}, ExitNo, "not --old-root " + wrongRoot},
		{"old-size-beyond", []string{url, "--old-size", "9", "--tlog-key", vkey}, ExitNo, "fewer than --old-size 9"},
		{"index-beyond", []string{url, "3", "--tlog-key", vkey}, ExitNo, "entry 3 is not in log"},
		{"both", []string{url, "1", "--old-size", "1", "--tlog-key", vkey}, ExitUsage, "not both"},
		{"neither", []string{url, "--tlog-key", vkey}, ExitUsage, "want INDEX"},
		{"old-root-alone", []string{url, "1", "--old-root", wrongRoot, "--tlog-key", vkey}, ExitUsage, "--old-root goes with --old-size"},
		{"bad-old-root", []string{url, "--old-size", "1", "--old-root", "xyz", "--tlog-key", vkey}, ExitUsage, "not a SHA-256 hash"},
		{"unreachable", []string{"http://127.0.0.1:1", "0", "--tlog-key", vkey}, ExitInternal, "reading the log failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := logCLI(t, append([]string{"log", "proof"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d): %s%s (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestLogMonitorCmd(t *testing.T) {
	dirA := t.TempDir()
	url := inProcessLogIn(t, dirA)
	vkey := filepath.Join(dirA, tlog.VerifierKeyFile)
	state := filepath.Join(t.TempDir(), "monitor.json")
	pub := signKeys + "/cosign.pub"

	// First run on an empty log: trust on first use, state written.
	code, stdout, stderr := logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state)
	if code != ExitOK || !strings.Contains(stdout, "first check") || !strings.Contains(stdout, "saved to "+state) {
		t.Fatalf("first run: exit %d: %s%s", code, stdout, stderr)
	}

	// A signature by the watched key: reported; exit 0 without --fail-on-match.
	digest := signLogged(t, url, "release 1\n")
	code, stdout, stderr = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state, "--watch-key", pub)
	if code != ExitOK || !strings.Contains(stdout, "MATCH:         entry 0, "+digest+", signed by "+cosignKeyID(t)) || !strings.Contains(stdout, "new entries:   1 (0 to 0)") {
		t.Fatalf("match: exit %d: %s%s", code, stdout, stderr)
	}
	// With --fail-on-match: exit 1, and the state still advances (the match is reported once).
	signLogged(t, url, "release 2\n")
	code, stdout, stderr = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state, "--watch-key", pub, "--fail-on-match", "--format", "json")
	if code != ExitNo || !strings.Contains(stderr, "signed by a watched key or identity (first: entry 1)") {
		t.Fatalf("fail-on-match: exit %d: %s%s", code, stdout, stderr)
	}
	var out monitorOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Consistent || out.PreviousSize != 1 || out.Size != 2 || len(out.Matches) != 1 || out.Matches[0].Index != 1 || !out.StateSaved {
		t.Fatalf("json %+v", out)
	}
	code, stdout, _ = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state, "--watch-key", pub, "--fail-on-match")
	if code != ExitOK || !strings.Contains(stdout, "new entries:   0") {
		t.Fatalf("no new entries: exit %d: %s", code, stdout)
	}
	// A peer serving the same log agrees.
	code, stdout, stderr = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state, "--peer", url)
	if code != ExitOK || !strings.Contains(stdout, "peer:          "+url+": size 2, consistent") {
		t.Fatalf("peer: exit %d: %s%s", code, stdout, stderr)
	}

	// A second log with the same key and different entries: a split view.
	dirB := t.TempDir()
	logKey, err := os.ReadFile(filepath.Join(dirA, tlog.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, tlog.PrivateKeyFile), logKey, 0o600); err != nil {
		t.Fatal(err)
	}
	forked := inProcessLogIn(t, dirB)
	signLogged(t, forked, "forked 1\n")
	signLogged(t, forked, "forked 2\n")
	signLogged(t, forked, "forked 3\n")
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = logCLI(t, "log", "monitor", forked, "--tlog-key", vkey, "--state", state)
	if code != ExitNo || !strings.Contains(stdout, "INCONSISTENT: split view") || !strings.Contains(stdout, "Previous checkpoint (from "+state+")") ||
		!strings.Contains(stdout, "Current checkpoint (from "+forked+")") || !strings.Contains(stderr, "split view") {
		t.Fatalf("split view: exit %d: %s%s", code, stdout, stderr)
	}
	// The forked log seen as a peer of the real one.
	code, stdout, stderr = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", state, "--peer", forked)
	if code != ExitNo || !strings.Contains(stdout, "Peer checkpoint (from "+forked+")") || !strings.Contains(stderr, "peer "+forked) {
		t.Fatalf("forked peer: exit %d: %s%s", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Fatal("the state changed after a failed check")
	}

	// Tampered entries behind a proxy.
	signLogged(t, url, "release 3\n")
	var flip atomic.Bool
	flip.Store(true)
	code, stdout, stderr = logCLI(t, "log", "monitor", flipProxy(t, url, &flip), "--tlog-key", vkey, "--state", state)
	if code != ExitNo || !strings.Contains(stdout, "INCONSISTENT: entries or tiles do not match the checkpoint") {
		t.Fatalf("tampered: exit %d: %s%s", code, stdout, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"schemaVersion":1}`), 0o644)
	otherState := filepath.Join(t.TempDir(), "other.json")
	otherURL, otherVKey := inProcessLog(t)
	if code, _, stderr := logCLI(t, "log", "monitor", otherURL, "--tlog-key", otherVKey, "--state", otherState); code != ExitOK {
		t.Fatalf("other log: %s", stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unreachable", []string{"http://127.0.0.1:1", "--tlog-key", vkey, "--state", state}, ExitInternal, "reading the log failed"},
		{"other-logs-key", []string{url, "--tlog-key", otherVKey, "--state", otherState}, ExitNo, "not signed by the log key"},
		{"state-of-other-log", []string{url, "--tlog-key", vkey, "--state", otherState}, ExitUsage, "invalid monitor state: the state is of log"},
		{"malformed-state", []string{url, "--tlog-key", vkey, "--state", bad}, ExitUsage, "--state: " + bad},
		{"no-state", []string{url, "--tlog-key", vkey}, ExitUsage, "--state FILE is required"},
		{"state-dir-missing", []string{url, "--tlog-key", vkey, "--state", "/nonexistent/monitor.json"}, ExitUsage, "its directory does not exist"},
		{"bad-watch-key", []string{url, "--tlog-key", vkey, "--state", state, "--watch-key", vkey}, ExitUsage, "--watch-key " + vkey + ": no PEM block"},
		{"missing-watch-key", []string{url, "--tlog-key", vkey, "--state", state, "--watch-key", "/nonexistent.pub"}, ExitUsage, "--watch-key"},
		{"empty-identity", []string{url, "--tlog-key", vkey, "--state", state, "--watch-identity", ""}, ExitUsage, "empty identity"},
		{"negative-interval", []string{url, "--tlog-key", vkey, "--state", state, "--interval", "-1s"}, ExitUsage, "--interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := logCLI(t, append([]string{"log", "monitor"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d): %s%s (want %q)", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Fatal("the state changed after a failed check")
	}
}

// TestLogMonitorInterval: with --interval the monitor keeps checking, one JSON line per check,
// picks up new entries between checks, and stops cleanly (exit 0) when its context ends.
func TestLogMonitorInterval(t *testing.T) {
	url, vkey := inProcessLog(t)
	state := filepath.Join(t.TempDir(), "monitor.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var code int
	var stdout, stderr string
	go func() {
		defer close(done)
		code, stdout, stderr = runLogCLI(t, ctx, "log", "monitor", url, "--tlog-key", vkey, "--state", state,
			"--watch-key", signKeys+"/cosign.pub", "--interval", "100ms", "--format", "json")
	}()
	// Not through the CLI: two hallmark commands in one process at once share global loggers.
	keyPEM, err := os.ReadFile(signKeys + "/cosign.key")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.LoadSigner(keyPEM, []byte(cosignPassword["HALLMARK_PASSWORD"]))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.SignBlob(context.Background(), signer, strings.NewReader("while monitoring\n"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := tlog.RequestForBundle(b, signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlog.Submit(context.Background(), url, req, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := tlog.LoadMonitorState(state); err == nil && st != nil && st.Size == 1 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the monitor never saw the entry: %s%s", stdout, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var checks, matches int
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var out monitorOutput
		if err := json.Unmarshal([]byte(line), &out); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		checks++
		matches += len(out.Matches)
	}
	if checks < 2 || matches != 1 {
		t.Fatalf("%d checks, %d matches:\n%s", checks, matches, stdout)
	}
}

// submitCertificateEntry logs a signature by a fresh key whose self-signed certificate names
// the URI identity (as a Fulcio certificate of a CI workflow does); it returns the
// certificate's PEM.
func submitCertificateEntry(t *testing.T, logURL, identity, data string) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, err := neturl.Parse(identity)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, URIs: []*neturl.URL{u}}
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
	v, err := tlog.NewVerifier(nil, cert)
	if err != nil {
		t.Fatal(err)
	}
	req := &pb.CreateEntryRequest{Spec: &pb.CreateEntryRequest_HashedRekordRequestV002{HashedRekordRequestV002: &pb.HashedRekordRequestV002{
		Digest: digest[:], Signature: &pb.Signature{Content: sig, Verifier: v}}}}
	if _, err := tlog.Submit(context.Background(), logURL, req, nil); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestLogMonitorWatchIdentity: a certificate entry is found by its identity (--watch-identity)
// and by its key (--watch-key CERT.pem); get shows the identity.
func TestLogMonitorWatchIdentity(t *testing.T) {
	url, vkey := inProcessLog(t)
	dir := t.TempDir()
	id := "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
	certPEM := submitCertificateEntry(t, url, id, "built by CI")
	submitCertificateEntry(t, url, "https://github.com/someone/else", "built elsewhere")
	certFile := filepath.Join(dir, "ci.crt")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("built by CI"))
	digest := "sha256:" + hex.EncodeToString(sum[:])

	code, stdout, stderr := logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", filepath.Join(dir, "a.json"), "--watch-identity", id, "--fail-on-match")
	if code != ExitNo || !strings.Contains(stdout, "MATCH:         entry 0, "+digest+", signed by "+id+"\n") || strings.Contains(stdout, "entry 1,") {
		t.Fatalf("identity: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr = logCLI(t, "log", "monitor", url, "--tlog-key", vkey, "--state", filepath.Join(dir, "b.json"), "--watch-key", certFile)
	if code != ExitOK || !strings.Contains(stdout, "MATCH:         entry 0, "+digest+", signed by sha256:") || !strings.Contains(stdout, "(certificate "+id+")") {
		t.Fatalf("certificate key: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr = logCLI(t, "log", "get", url, "0", "--tlog-key", vkey)
	if code != ExitOK || !strings.Contains(stdout, "signed by:     certificate "+id+"\n") {
		t.Fatalf("get: exit %d: %s%s", code, stdout, stderr)
	}

	// An unparseable certificate, or another PEM type, is refused by name.
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), 0o644)
	priv := filepath.Join(dir, "priv.pem")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), 0o644)
	for _, p := range []string{junk, priv} {
		if _, err := loadWatchKey(p); err == nil || exitCode(err) != ExitUsage || !strings.Contains(err.Error(), p) {
			t.Fatalf("%s: %v", p, err)
		}
	}
}
