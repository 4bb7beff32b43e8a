package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// lockedBuffer is a buffer the server goroutine writes and the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeServingCert writes a self-signed certificate for 127.0.0.1 and its key, as
// docs/admission.md's openssl commands would, and returns the paths and a pool trusting it.
func writeServingCert(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hallmark-admission.hallmark-system.svc"},
		DNSNames:     []string{"hallmark-admission.hallmark-system.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, pool
}

var admissionServingRE = regexp.MustCompile(`serving on (https://\S+)/validate`)

// TestAdmissionServeCLI runs `hallmark admission serve` on a real TLS listener, with the sign
// room's test key trusted, and sends it AdmissionReviews for a signed and an unsigned image in
// an in-process registry, a malformed review, and the health and metrics endpoints; then stops
// it.
func TestAdmissionServeCLI(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	rs := httptest.NewServer(reg)
	defer rs.Close()
	host := strings.TrimPrefix(rs.URL, "http://")
	push := func(ref string) string {
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := name.ParseReference(ref)
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		return d.String()
	}
	signed := host + "/app/signed@" + push(host+"/app/signed:v1")
	unsigned := host + "/app/unsigned@" + push(host+"/app/unsigned:v1")
	if code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", "registry:"+signed, "--key", signKeys+"/cosign.key"); code != ExitOK {
		t.Fatalf("sign: %s", stderr)
	}

	certPath, keyPath, pool := writeServingCert(t)
	cfg := writeFile(t, "policy.yaml", "disabled: [sbom-present]\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }}
		done <- run(ctx, []string{"admission", "serve", "--listen", "127.0.0.1:0", "--tls-cert", certPath, "--tls-key", keyPath,
			"--policy", "builtin", "--config", cfg, "--key", signKeys + "/cosign.pub", "--exempt-namespace", "kube-system", "--deadline", "1s"}, e)
	}()
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := admissionServingRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("admission serve exited %d before serving:\n%s", code, stderr)
		default:
		}
	}
	if base == "" {
		t.Fatalf("admission serve did not start:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), "policy builtin, digest sha256:") {
		t.Errorf("the banner does not name the policy digest:\n%s", stderr)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}

	postReview := func(body string) (int, map[string]any, string) {
		res, err := client.Post(base+"/validate?timeout=10s", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var rv struct {
			Response map[string]any `json:"response"`
		}
		if res.StatusCode == http.StatusOK {
			if err := json.Unmarshal(b, &rv); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
		}
		return res.StatusCode, rv.Response, string(b)
	}
	pod := func(ns, image string) string {
		return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},` +
			`"resource":{"group":"","version":"v1","resource":"pods"},"name":"web","namespace":"` + ns + `","operation":"CREATE",` +
			`"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"web","image":"` + image + `"}]}}}}`
	}

	code, resp, raw := postReview(pod("shop", signed))
	if code != 200 || resp["allowed"] != true || resp["uid"] != "u-1" {
		t.Errorf("signed: HTTP %d %s", code, raw)
	}
	code, resp, raw = postReview(pod("shop", unsigned))
	if code != 200 || resp["allowed"] != false || !strings.Contains(raw, "signature-trusted: "+unsigned+" is not signed") || !strings.Contains(raw, `"code":403`) {
		t.Errorf("unsigned: HTTP %d %s", code, raw)
	}
	code, resp, raw = postReview(pod("kube-system", unsigned))
	if code != 200 || resp["allowed"] != true {
		t.Errorf("exempt: HTTP %d %s", code, raw)
	}
	code, _, raw = postReview(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":`)
	if code != 400 || !strings.Contains(raw, "malformed AdmissionReview") {
		t.Errorf("malformed: HTTP %d %s", code, raw)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/metrics": `hallmark_admission_reviews_total{result="denied"} 1`} {
		res, err := client.Get(strings.TrimSuffix(base, "/validate") + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: HTTP %d, want %q in:\n%s", path, res.StatusCode, want, b)
		}
	}
	// The denial is logged.
	if !strings.Contains(stderr.String(), "admission: denied") {
		t.Errorf("the denial was not logged:\n%s", stderr)
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d after stop:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("admission serve did not stop")
	}
	if !strings.Contains(stderr.String(), "admission webhook stopped") {
		t.Errorf("no stop message:\n%s", stderr)
	}
}

func TestAdmissionServeUsage(t *testing.T) {
	certPath, keyPath, _ := writeServingCert(t)
	tls := []string{"--tls-cert", certPath, "--tls-key", keyPath, "--listen", "127.0.0.1:0"}
	tests := []struct {
		name     string
		args     []string
		contains string
	}{
		{"no-subcommand", []string{"admission"}, "want a subcommand (serve)"},
		{"no-tls", []string{"admission", "serve"}, "--tls-cert and --tls-key are required"},
		{"bad-mode", append([]string{"admission", "serve", "--mode", "warn"}, tls...), `--mode "warn"`},
		{"bad-failure-policy", append([]string{"admission", "serve", "--failure-policy", "open"}, tls...), `--failure-policy "open"`},
		{"bad-deadline", append([]string{"admission", "serve", "--deadline", "45s"}, tls...), "--deadline 45s"},
		{"missing-cert", []string{"admission", "serve", "--tls-cert", "nope.crt", "--tls-key", keyPath}, "nope.crt"},
		{"private-key", append([]string{"admission", "serve", "--key", signKeys + "/cosign.key"}, tls...), "give the public key"},
		{"bad-policy", append([]string{"admission", "serve", "--policy", policyTestdata + "/policies/bad-syntax"}, tls...), "bad-syntax/bad.rego:5:"},
		{"bad-config", append([]string{"admission", "serve", "--config", policyTestdata + "/config/typo.yaml"}, tls...), "vulnerabilities.severty: unknown setting"},
		{"empty-namespace", append([]string{"admission", "serve", "--exempt-namespace", ""}, tls...), "exempt namespace is empty"},
		{"bad-listen", []string{"admission", "serve", "--tls-cert", certPath, "--tls-key", keyPath, "--listen", "256.0.0.1:99999"}, "--listen 256.0.0.1:99999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", tc.args...)
			if code != ExitUsage || !strings.Contains(stdout+stderr, tc.contains) {
				t.Errorf("exit %d (want %d), want %q in:\n%s%s", code, ExitUsage, tc.contains, stdout, stderr)
			}
		})
	}
}
