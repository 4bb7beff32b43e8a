package webhook

import (
	"bytes"
	"crypto"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hallmark-dev/hallmark/policy"
)

// BenchmarkReviewWarm is one review of a Deployment whose image (a tag) was decided before:
// body decoding, the manifest parse, the digest and verdict cache lookups, and the response,
// through the server's handler (no network, no TLS). bench/admission measures the same under
// load over TLS, and the cold case.
func BenchmarkReviewWarm(b *testing.B) {
	reg := newTestRegistry(b)
	key := cosignKey(b)
	tag := reg.host + "/shop/app:v1"
	d := reg.push(b, "shop/app:v1")
	signImage(b, reg.host+"/shop/app@"+d, key)
	cfg := Config{Policy: policy.Options{Builtin: true, Config: mustConfig(b, cheapConfig+"images: {require_digest: false}\n")}, Keys: []crypto.PublicKey{key.pub}}
	s, _, _ := startServer(b, cfg)
	h := s.Handler()
	body := review(b, "deployment", map[string]string{"IMAGE": tag})
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := serve(); w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"allowed":true`)) {
		b.Fatalf("priming review: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		if w := serve(); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	if h := s.metrics.hits[cacheVerdict].Load(); h < uint64(b.N) {
		b.Fatalf("%d verdict cache hits for %d reviews: not the warm path", h, b.N)
	}
}
