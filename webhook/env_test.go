package webhook

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hallmark-dev/hallmark/policy"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
)

// The sign room's test keys: cosign.key (password hallmark-test) and cosign.pub, and a second
// key pair for "signed, but not by a trusted key".
const (
	testKeys     = "../sign/testdata/keys"
	testPassword = "hallmark-test"
)

// testRegistry is go-containerregistry's in-process registry behind a handler that counts
// requests and can be told to stall requests for some repositories.
type testRegistry struct {
	host     string
	requests atomic.Int64
	// slow maps a path prefix ("/v2/slow/app") to how long its requests stall.
	mu   sync.Mutex
	slow map[string]time.Duration
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tr := &testRegistry{slow: map[string]time.Duration{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.requests.Add(1)
		tr.mu.Lock()
		var stall time.Duration
		for prefix, d := range tr.slow {
			if strings.HasPrefix(r.URL.Path, prefix) {
				stall = d
			}
		}
		tr.mu.Unlock()
		if stall > 0 {
			select {
			case <-time.After(stall):
			case <-r.Context().Done():
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

// stall makes requests whose path starts with /v2/PREFIX stall for d (0: not at all).
func (tr *testRegistry) stall(prefix string, d time.Duration) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if d == 0 {
		delete(tr.slow, "/v2/"+prefix)
		return
	}
	tr.slow["/v2/"+prefix] = d
}

// push writes a random image to host/repo:tag and returns its digest.
func (tr *testRegistry) push(t testing.TB, repoTag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// testKey is a signing key and its public half.
type testKey struct {
	signer *sign.KeySigner
	pub    crypto.PublicKey
}

func cosignKey(t testing.TB) testKey {
	t.Helper()
	data, err := os.ReadFile(testKeys + "/cosign.key")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadSigner(data, []byte(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: s, pub: s.Public()}
}

func otherKey(t testing.TB) testKey {
	t.Helper()
	k, err := sign.GenerateKey(sign.Algorithms[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: s, pub: s.Public()}
}

// signImage pushes a signature of ref (as `hallmark sign registry:REF --key` does).
func signImage(t testing.TB, ref string, k testKey) {
	t.Helper()
	if _, err := oci.SignImage(context.Background(), ref, k.signer, oci.Options{}); err != nil {
		t.Fatal(err)
	}
}

// summaryOpts describe a verification summary to push.
type summaryOpts struct {
	allow        bool
	policyDigest string
	verified     time.Time
	resource     string // "" means the image's own
}

// attestSummary pushes a verification summary of the image at ref (repo@digest), as `hallmark
// gate registry:REF --attest --key KEY` does after deciding.
func attestSummary(t testing.TB, ref string, k testKey, o summaryOpts) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := policy.ParseImageRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	d := &policy.Decision{Allow: o.allow, Time: o.verified, Policy: policy.PolicyInfo{Sources: []string{"builtin"}, Digest: o.policyDigest}}
	ev := &policy.Evidence{Subject: policy.Subject{Name: "registry:" + ref, Digest: r.(name.Digest).DigestStr(), Kind: policy.KindImage, Image: &im}}
	pred, err := policy.VerificationSummary(d, ev, policy.VSAOptions{ResourceURI: o.resource})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.AttestImage(context.Background(), ref, k.signer, policy.VSAPredicateType, pred, oci.Options{}); err != nil {
		t.Fatal(err)
	}
}

// review reads testdata/reviews/NAME.json with {{IMAGE}}, {{INIT}} and {{EPHEMERAL}}
// replaced.
func review(t testing.TB, file string, images map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/reviews/" + file + ".json")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range images {
		b = bytes.ReplaceAll(b, []byte("{{"+k+"}}"), []byte(v))
	}
	return b
}

// post sends body to the server's /validate over TLS and returns the HTTP status, the
// decoded response (nil unless 200) and the raw body.
func post(t testing.TB, ts *httptest.Server, body []byte) (int, *Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/validate?timeout=10s", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil, string(raw)
	}
	var rv Review
	if err := json.Unmarshal(raw, &rv); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	if rv.APIVersion != ReviewAPIVersion || rv.Kind != ReviewKind || rv.Response == nil || rv.Request != nil {
		t.Fatalf("response is not an AdmissionReview response:\n%s", raw)
	}
	return res.StatusCode, rv.Response, string(raw)
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer builds a Server from cfg and serves it over TLS.
func startServer(t testing.TB, cfg Config) (*Server, *httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts, logs
}

// mustConfig parses a policy configuration.
func mustConfig(t testing.TB, yaml string) *policy.Config {
	t.Helper()
	c, err := policy.ParseConfig([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
