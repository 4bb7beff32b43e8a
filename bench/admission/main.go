// Command admission measures `hallmark admission serve` on loopback: review latency under a
// bounded, open-loop load of AdmissionReviews with warm verdicts, and the worst case of a cache
// miss, where the webhook resolves a tag and verifies in the registry.
//
// It starts everything itself, on this machine: go-containerregistry's in-process registry
// (plain HTTP on 127.0.0.1), a fresh ECDSA P-256 signing key, a self-signed serving
// certificate, and the webhook — the hallmark binary given with -hallmark as its own process
// (the default: the load generator and the registry then do not share its Go runtime), or,
// without it, in this process. Images are random (go-containerregistry random.Image), pushed
// and signed, and "gated": each gets a verification summary (SLSA VSA) for the webhook's own
// policy digest, signed with the key, as `hallmark gate --attest` pushes it.
//
// Phases:
//
//  1. warm: -images images referenced by digest, each reviewed once to warm the caches; then
//     Pod reviews (three containers: init, app, sidecar, from those images) are offered at
//     -rate per second for -duration, open loop: each request is sent at its scheduled time
//     whatever the webhook does, latency is measured from that time (no coordinated omission),
//     and requests beyond -inflight outstanding are shed and counted, not queued.
//  2. cold: -cold fresh images, one review at a time, each referenced by tag (so the webhook
//     resolves the digest with a HEAD request) and never seen before. Two kinds: "summary"
//     (gated: a VSA verifies, and the reference rules are evaluated) and "signature" (signed
//     but not gated: no usable VSA, so the signature is verified and the whole policy
//     evaluated — the most registry round trips a decision makes).
//
// Every answer is checked (HTTP 200, the review's uid, the expected allow or deny); a wrong
// answer fails the run.
//
//	go run ./bench/admission -hallmark ./hallmark -rate 200 -duration 30s -cold 50
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hallmark-dev/hallmark/policy"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/webhook"
)

func main() {
	var o options
	flag.StringVar(&o.hallmark, "hallmark", "", "hallmark binary to run as the webhook (empty: serve in this process)")
	flag.IntVar(&o.rate, "rate", 200, "offered reviews per second in the warm phase")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of the warm phase")
	flag.IntVar(&o.images, "images", 20, "distinct warm images")
	flag.IntVar(&o.cold, "cold", 50, "cold reviews of each kind")
	flag.IntVar(&o.inflight, "inflight", 512, "most reviews outstanding at once; more are shed")
	flag.DurationVar(&o.deadline, "deadline", 2*time.Second, "the webhook's --deadline")
	flag.StringVar(&o.out, "out", "", "also write the raw latencies (TSV) to this directory")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "admission bench:", err)
		os.Exit(1)
	}
}

type options struct {
	hallmark string
	rate     int
	duration time.Duration
	images   int
	cold     int
	inflight int
	deadline time.Duration
	out      string
}

// bench is the environment of a run.
type bench struct {
	dir      string
	host     string // the registry
	signer   *sign.KeySigner
	base     string // https://127.0.0.1:PORT
	client   *http.Client
	policy   string // the webhook's policy digest
	uid      atomic.Int64
	tsvLines []string
}

func run(o options) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hallmark-admission-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{dir: dir}

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	b.host = strings.TrimPrefix(reg.URL, "http://")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if b.signer, err = sign.NewKeySigner(key); err != nil {
		return err
	}
	pub, err := sign.MarshalPublicKey(key.Public())
	if err != nil {
		return err
	}
	pubPath := filepath.Join(dir, "ci.pub")
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return err
	}
	certPath, keyPath, pool, err := servingCert(dir)
	if err != nil {
		return err
	}
	b.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2:   true, // as the API server's webhook client
		MaxIdleConnsPerHost: 256,
	}}

	stop, err := b.startWebhook(ctx, o, certPath, keyPath, pubPath)
	if err != nil {
		return err
	}
	defer stop()

	load1 := loadavg()
	fmt.Printf("# hallmark admission webhook on loopback\n\n%s · %s · %d cores (GOMAXPROCS %d) · webhook %s · load average before %s\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), where(o), load1)

	// Warm images: pushed, signed, gated; referenced by digest.
	warm := make([]string, o.images)
	for i := range warm {
		if warm[i], err = b.image(ctx, fmt.Sprintf("warm/app%d:v1", i), true, true); err != nil {
			return err
		}
	}
	podOf := func(i int) []byte {
		return b.pod(warm[i%len(warm)], warm[(i+1)%len(warm)], warm[(i+2)%len(warm)])
	}
	for i := range warm {
		if _, err := b.review(podOf(i), true); err != nil {
			return fmt.Errorf("warming: %w", err)
		}
	}
	res, err := b.load(o, podOf)
	if err != nil {
		return err
	}
	fmt.Printf("## Warm verdicts, open loop\n\n%d reviews/s offered for %s (%d Pod reviews, 3 containers each, %d distinct images by digest, verdicts cached):\n\n",
		o.rate, o.duration, res.sent, o.images)
	fmt.Println("| sent | answered | shed | errors | achieved/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	s := summarize(res.latencies)
	fmt.Printf("| %d | %d | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |\n\n", res.sent, len(res.latencies), res.shed, res.errors,
		float64(len(res.latencies))/o.duration.Seconds(), s.p50, s.p90, s.p99, s.p999, s.max)
	b.record("warm", res.latencies)
	if res.errors > 0 {
		return fmt.Errorf("%d warm reviews failed: first: %v", res.errors, res.firstErr)
	}

	// Cold: fresh images by tag, one review at a time.
	fmt.Printf("## Cache miss (worst case), one review at a time\n\n%d fresh images per kind, each referenced by tag: the webhook resolves the tag (HEAD), looks for verification summaries (referrers API and the legacy .att tag) and, without a usable one, verifies signatures (referrers, bundle, legacy .sig tag) before evaluating the policy:\n\n", o.cold)
	fmt.Println("| kind | reviews | p50 ms | p90 ms | max ms |")
	fmt.Println("|---|---|---|---|---|")
	for _, kind := range []struct {
		name  string
		gated bool
		allow bool
	}{{"summary (gated image)", true, false}, {"signature (signed, not gated)", false, false}} {
		var lat []float64
		for i := range o.cold {
			tag := fmt.Sprintf("cold/%s%d:v1", map[bool]string{true: "gated", false: "signed"}[kind.gated], i)
			if _, err := b.image(ctx, tag, true, kind.gated); err != nil {
				return err
			}
			ref := b.host + "/" + tag
			// By tag, the image-digest rule denies in both cases; the work is what is measured.
			d, err := b.review(b.pod(ref, ref, ref), kind.allow)
			if err != nil {
				return fmt.Errorf("cold %s: %w", kind.name, err)
			}
			lat = append(lat, ms(d))
		}
		c := summarize(lat)
		fmt.Printf("| %s | %d | %.2f | %.2f | %.2f |\n", kind.name, len(lat), c.p50, c.p90, c.max)
		b.record("cold-"+strings.Fields(kind.name)[0], lat)
	}
	fmt.Printf("\nload average after: %s\n", loadavg())
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(o.out, "latencies.tsv"), []byte("phase\tms\n"+strings.Join(b.tsvLines, "")), 0o644)
	}
	return nil
}

func where(o options) string {
	if o.hallmark != "" {
		return "in its own process (" + o.hallmark + ")"
	}
	return "in the load generator's process"
}

var servingRE = regexp.MustCompile(`serving on (https://\S+)/validate`)
var digestRE = regexp.MustCompile(`policy \S+, digest (sha256:[0-9a-f]{64})`)

// startWebhook runs the webhook (a process, or in this one) and waits until it serves.
func (b *bench) startWebhook(ctx context.Context, o options, certPath, keyPath, pubPath string) (func(), error) {
	if o.hallmark == "" {
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return nil, err
		}
		pubPEM, err := os.ReadFile(pubPath)
		if err != nil {
			return nil, err
		}
		pub, err := sign.UnmarshalPublicKey(pubPEM)
		if err != nil {
			return nil, err
		}
		srv, err := webhook.New(ctx, webhook.Config{Policy: policy.Options{Builtin: true, Sources: []string{"builtin"}}, Keys: []crypto.PublicKey{pub}, Deadline: o.deadline, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		hs := &http.Server{Handler: srv.Handler(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		go hs.ServeTLS(ln, "", "")
		b.base, b.policy = "https://"+ln.Addr().String(), srv.Policy().Digest
		return func() { hs.Close() }, nil
	}
	cmd := exec.Command(o.hallmark, "admission", "serve", "--listen", "127.0.0.1:0", "--tls-cert", certPath, "--tls-key", keyPath,
		"--policy", "builtin", "--key", pubPath, "--deadline", o.deadline.String())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the webhook logs denials at warn level; nobody needs them here
			}
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	var seen []string
	for b.base == "" || b.policy == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				stop()
				return nil, fmt.Errorf("the webhook exited before serving:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if m := servingRE.FindStringSubmatch(l); m != nil {
				b.base = m[1]
			}
			if m := digestRE.FindStringSubmatch(l); m != nil {
				b.policy = m[1]
			}
		case <-timeout:
			stop()
			return nil, fmt.Errorf("the webhook did not start:\n%s", strings.Join(seen, "\n"))
		}
	}
	return stop, nil
}

// image pushes a random image to the registry as tag, signs it and (gated) attests a PASSED
// verification summary for the webhook's policy; it returns repository@digest.
func (b *bench) image(ctx context.Context, tag string, signed, gated bool) (string, error) {
	img, err := random.Image(512, 1)
	if err != nil {
		return "", err
	}
	ref, err := name.ParseReference(b.host + "/" + tag)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	pinned := ref.Context().Digest(d.String()).String()
	if signed {
		if _, err := oci.SignImage(ctx, pinned, b.signer, oci.Options{}); err != nil {
			return "", err
		}
	}
	if gated {
		im, err := policy.ParseImageRef(pinned)
		if err != nil {
			return "", err
		}
		ev := &policy.Evidence{Subject: policy.Subject{Name: "registry:" + pinned, Digest: d.String(), Kind: policy.KindImage, Image: &im}}
		dec := &policy.Decision{Allow: true, Time: time.Now().UTC(), Policy: policy.PolicyInfo{Sources: []string{"builtin"}, Digest: b.policy}}
		pred, err := policy.VerificationSummary(dec, ev, policy.VSAOptions{VerifierVersion: map[string]string{"hallmark": "bench"}})
		if err != nil {
			return "", err
		}
		if _, err := oci.AttestImage(ctx, pinned, b.signer, policy.VSAPredicateType, pred, oci.Options{}); err != nil {
			return "", err
		}
	}
	return pinned, nil
}

// pod is an AdmissionReview of a Pod with an init container, an app and a sidecar.
func (b *bench) pod(initImage, app, sidecar string) []byte {
	uid := fmt.Sprintf("bench-%d", b.uid.Add(1))
	return fmt.Appendf(nil, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,`+
		`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},`+
		`"requestKind":{"group":"","version":"v1","kind":"Pod"},"name":"web-%s","namespace":"shop","operation":"CREATE",`+
		`"userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},`+
		`"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-%s","namespace":"shop","labels":{"app":"web"}},`+
		`"spec":{"initContainers":[{"name":"migrate","image":%q}],`+
		`"containers":[{"name":"app","image":%q,"ports":[{"containerPort":8080}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}}},`+
		`{"name":"proxy","image":%q}],"restartPolicy":"Always","serviceAccountName":"web"}},"oldObject":null,"dryRun":false}}`,
		uid, uid, uid, initImage, app, sidecar)
}

// review sends one review and checks the answer.
func (b *bench) review(body []byte, wantAllowed bool) (time.Duration, error) {
	var uid struct {
		Request struct {
			UID string `json:"uid"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &uid); err != nil {
		return 0, err
	}
	start := time.Now()
	res, err := b.client.Post(b.base+"/validate?timeout=10s", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	var rv webhook.Review
	if err := json.Unmarshal(raw, &rv); err != nil || rv.Response == nil {
		return 0, fmt.Errorf("not an AdmissionReview response: %s", raw)
	}
	if rv.Response.UID != uid.Request.UID {
		return 0, fmt.Errorf("uid %q, want %q", rv.Response.UID, uid.Request.UID)
	}
	if rv.Response.Allowed != wantAllowed {
		return 0, fmt.Errorf("allowed %v, want %v: %s", rv.Response.Allowed, wantAllowed, raw)
	}
	if !wantAllowed && rv.Response.Status != nil && rv.Response.Status.Code != http.StatusForbidden {
		return 0, fmt.Errorf("not a policy denial: %s", raw)
	}
	return d, nil
}

type loadResult struct {
	sent, shed, errors int
	latencies          []float64
	firstErr           error
}

// load offers reviews at o.rate for o.duration, open loop.
func (b *bench) load(o options, podOf func(int) []byte) (loadResult, error) {
	var (
		mu       sync.Mutex
		r        loadResult
		inflight atomic.Int64
		wg       sync.WaitGroup
	)
	n := int(float64(o.rate) * o.duration.Seconds())
	interval := time.Second / time.Duration(o.rate)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = podOf(i)
	}
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		r.sent++
		if inflight.Load() >= int64(o.inflight) {
			r.shed++
			continue
		}
		inflight.Add(1)
		wg.Go(func() {
			defer inflight.Add(-1)
			_, err := b.review(bodies[i], true)
			lat := ms(time.Since(at)) // from the scheduled time: queueing counts
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.errors++
				if r.firstErr == nil {
					r.firstErr = err
				}
				return
			}
			r.latencies = append(r.latencies, lat)
		})
	}
	wg.Wait()
	return r, nil
}

type stats struct{ p50, p90, p99, p999, max float64 }

func summarize(v []float64) stats {
	if len(v) == 0 {
		return stats{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return stats{q(0.5), q(0.9), q(0.99), q(0.999), s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b *bench) record(phase string, lat []float64) {
	for _, l := range lat {
		b.tsvLines = append(b.tsvLines, fmt.Sprintf("%s\t%.3f\n", phase, l))
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// servingCert writes a self-signed serving certificate for 127.0.0.1.
func servingCert(dir string) (certPath, keyPath string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hallmark-admission bench"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certPath, keyPath = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	err = errors.Join(
		os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644),
		os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600),
	)
	return certPath, keyPath, pool, err
}
