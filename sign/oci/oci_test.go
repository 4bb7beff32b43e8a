package oci

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/source"
)

// newRegistry serves go-containerregistry's in-process registry, with or without the OCI 1.1
// referrers API, and counts requests to /referrers/ so tests can tell which path was used.
func newRegistry(t *testing.T, referrers bool) (host string, referrerCalls *int) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers))
	calls := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/referrers/") {
			calls++
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://"), &calls
}

// pushImage writes a random image to ref and returns its digest.
func pushImage(t *testing.T, ref string) v1.Hash {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newSigner(t *testing.T) (*sign.KeySigner, sign.Policy) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sign.NewKeyPolicy(k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers], func(t *testing.T) {
			ctx := context.Background()
			host, calls := newRegistry(t, referrers)
			ref := host + "/test/app:v1"
			digest := pushImage(t, ref)
			s, p := newSigner(t)

			pushed, err := SignImage(ctx, ref, s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if pushed.Digest != digest.String() {
				t.Fatalf("signed %s, want the tag's digest %s", pushed.Digest, digest)
			}
			// The fallback tag exists exactly when the registry lacks the referrers API.
			fallback, _ := name.NewTag(host + "/test/app:" + strings.Replace(digest.String(), ":", "-", 1))
			_, ferr := remote.Head(fallback)
			if referrers != (ferr != nil) {
				t.Errorf("referrers API %v: fallback tag lookup err = %v", referrers, ferr)
			}

			got, err := VerifyImage(ctx, ref, p, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *calls == 0 {
				t.Error("the referrers endpoint was never asked")
			}
			want := []Verified{{Image: host + "/test/app@" + digest.String(), Referrer: pushed.Referrer, Kind: "signature"}}
			if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
				f := p.Last().String()
				return f == ".Result" || f == ".Statement"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("verified (-want +got):\n%s", diff)
			}
			if got[0].Result.Statement.PredicateType != SignPredicateType || got[0].Result.Artifact != digest.String() {
				t.Errorf("result = %+v", got[0].Result)
			}

			// A digest reference verifies the same.
			if _, err := VerifyImage(ctx, host+"/test/app@"+digest.String(), p, VerifyOptions{}); err != nil {
				t.Errorf("by digest: %v", err)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	ctx := context.Background()
	host, _ := newRegistry(t, true)
	s, p := newSigner(t)
	_, other := newSigner(t)

	signed := host + "/test/app:v1"
	pushImage(t, signed)
	if _, err := SignImage(ctx, signed, s, Options{}); err != nil {
		t.Fatal(err)
	}
	unsigned := host + "/test/other:v1"
	pushImage(t, unsigned)

	tests := []struct {
		name  string
		ref   string
		p     sign.Policy
		opts  VerifyOptions
		want  []error
		setup func(t *testing.T)
	}{
		{name: "wrong key", ref: signed, p: other, want: []error{ErrNoValidSignature, sign.ErrSignature, sign.ErrVerification}},
		{name: "no signature", ref: unsigned, p: p, want: []error{ErrNoSignature, sign.ErrVerification}},
		{name: "attestation asked, only a signature", ref: signed, p: p,
			opts: VerifyOptions{PredicateType: "https://cyclonedx.org/bom"}, want: []error{ErrNoSignature}},
		{name: "no such image", ref: host + "/test/app:nope", p: p, want: []error{source.ErrNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyImage(ctx, tt.ref, tt.p, tt.opts)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
		})
	}
}

// TestTagMoved: after signing, the tag is pushed to another image. Verifying the tag now
// verifies the new digest, which nobody signed; the old image still verifies by digest.
func TestTagMoved(t *testing.T) {
	ctx := context.Background()
	host, _ := newRegistry(t, false)
	s, p := newSigner(t)
	ref := host + "/test/app:v1"
	old := pushImage(t, ref)
	if _, err := SignImage(ctx, ref, s, Options{}); err != nil {
		t.Fatal(err)
	}
	pushImage(t, ref)
	if _, err := VerifyImage(ctx, ref, p, VerifyOptions{}); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("moved tag: err = %v, want ErrNoSignature", err)
	}
	if _, err := VerifyImage(ctx, host+"/test/app@"+old.String(), p, VerifyOptions{}); err != nil {
		t.Fatalf("old digest: %v", err)
	}
}

// TestSignatureReplayedOnAnotherImage copies a valid signature bundle into a referrer of
// another image: it is signed, but about the first image, and is refused as such.
func TestSignatureReplayedOnAnotherImage(t *testing.T) {
	ctx := context.Background()
	host, _ := newRegistry(t, true)
	s, p := newSigner(t)
	a := host + "/test/app:a"
	pushImage(t, a)
	pushed, err := SignImage(ctx, a, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := host + "/test/app:b"
	pushImage(t, b)
	d, desc, err := resolve(ctx, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sign.MarshalBundle(pushed.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := push(ctx, d, desc, raw, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyImage(ctx, b, p, VerifyOptions{})
	if !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, sign.ErrSubjectMismatch) {
		t.Fatalf("err = %v, want ErrNoValidSignature and ErrSubjectMismatch", err)
	}
}

func TestAttestRoundTrip(t *testing.T) {
	ctx := context.Background()
	host, _ := newRegistry(t, false)
	s, p := newSigner(t)
	ref := host + "/test/app:v1"
	digest := pushImage(t, ref)
	const cdx = "https://cyclonedx.org/bom"
	predicate := `{"bomFormat":"CycloneDX","specVersion":"1.6"}`
	if _, err := SignImage(ctx, ref, s, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := AttestImage(ctx, ref, s, cdx, []byte(predicate), Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := VerifyImage(ctx, ref, p, VerifyOptions{PredicateType: cdx})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != "attestation" || string(got[0].Statement.Predicate) != predicate ||
		!got[0].Statement.Matches(digest.String()) {
		t.Fatalf("got %+v", got)
	}
	// Signatures and attestations do not stand in for each other.
	sigs, err := VerifyImage(ctx, ref, p, VerifyOptions{})
	if err != nil || len(sigs) != 1 || sigs[0].Kind != "signature" {
		t.Fatalf("signatures: %+v, %v", sigs, err)
	}
	// Asked for another type: none, but the image was attested as something else.
	_, err = VerifyImage(ctx, ref, p, VerifyOptions{PredicateType: "https://slsa.dev/provenance/v1"})
	if !errors.Is(err, ErrNoSignature) || !errors.Is(err, sign.ErrPredicateTypeMismatch) || !strings.Contains(err.Error(), cdx) {
		t.Fatalf("other type: err = %v, want ErrNoSignature and sign.ErrPredicateTypeMismatch naming %s", err, cdx)
	}
	// Signed by someone else: not a mismatch of type, a signature failure.
	_, other := newSigner(t)
	if _, err := VerifyImage(ctx, ref, other, VerifyOptions{PredicateType: cdx}); !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, sign.ErrSignature) {
		t.Fatalf("another key: err = %v, want ErrNoValidSignature and sign.ErrSignature", err)
	}
	if _, err := VerifyImage(ctx, ref, other, VerifyOptions{PredicateType: "https://slsa.dev/provenance/v1"}); !errors.Is(err, ErrNoSignature) || errors.Is(err, sign.ErrPredicateTypeMismatch) {
		t.Fatalf("another key, other type: err = %v, want ErrNoSignature only", err)
	}
}

func TestParseReferrer(t *testing.T) {
	const subject = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	const layer = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	good := func(edit func(m map[string]any)) []byte {
		m := map[string]any{
			"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
			"artifactType": sign.BundleMediaType,
			"config":       map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
			"layers":       []any{map[string]any{"mediaType": sign.BundleMediaType, "size": 100, "digest": layer}},
			"subject":      map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 10, "digest": subject},
		}
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"cosign shape", good(nil), true},
		{"not json", []byte("{"), false},
		{"other subject", good(func(m map[string]any) { m["subject"].(map[string]any)["digest"] = layer }), false},
		{"no subject", good(func(m map[string]any) { delete(m, "subject") }), false},
		{"two layers", good(func(m map[string]any) { m["layers"] = append(m["layers"].([]any), m["layers"].([]any)[0]) }), false},
		{"layer not a bundle", good(func(m map[string]any) { m["layers"].([]any)[0].(map[string]any)["mediaType"] = "application/json" }), false},
		{"huge bundle", good(func(m map[string]any) { m["layers"].([]any)[0].(map[string]any)["size"] = int64(1) << 40 }), false},
		{"docker media type", good(func(m map[string]any) { m["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseReferrer(tt.raw, subject)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformedReferrer) {
				t.Fatalf("err = %v, want ErrMalformedReferrer", err)
			}
		})
	}
}

func FuzzParseReferrer(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":1,"digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222"}],"subject":{"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}}`))
	f.Add([]byte(`{"layers":[{"digest":"sha256:"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, err := parseReferrer(raw, "sha256:1111111111111111111111111111111111111111111111111111111111111111")
		if err != nil && !errors.Is(err, ErrMalformedReferrer) {
			t.Fatalf("unnamed error: %v", err)
		}
	})
}

// TestMalformedReferrerIsNamed: a referrer listed as a bundle whose layer is not one is
// reported as such, not skipped silently and not a crash; a valid signature next to it still
// verifies.
func TestMalformedReferrerIsNamed(t *testing.T) {
	ctx := context.Background()
	host, _ := newRegistry(t, false)
	s, p := newSigner(t)
	ref := host + "/test/app:v1"
	pushImage(t, ref)
	d, desc, err := resolve(ctx, ref, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := static.NewLayer([]byte(`{"not":"a bundle"}`), "application/json")
	if err := remote.WriteLayer(d.Context(), bad); err != nil {
		t.Fatal(err)
	}
	bd, _ := bad.Digest()
	mf := artifactManifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: sign.BundleMediaType,
		Config: v1.Descriptor{MediaType: emptyMediaType, Size: 2, Digest: bd}, Layers: []v1.Descriptor{{MediaType: "application/json", Size: 18, Digest: bd}},
		Subject: &desc}
	raw, _ := json.Marshal(mf)
	h, _, _ := v1.SHA256(bytes.NewReader(raw))
	if err := remote.Put(d.Context().Digest(h.String()), rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyImage(ctx, ref, p, VerifyOptions{}); !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, ErrMalformedReferrer) {
		t.Fatalf("err = %v, want ErrNoValidSignature and ErrMalformedReferrer", err)
	}
	if _, err := SignImage(ctx, ref, s, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, err := VerifyImage(ctx, ref, p, VerifyOptions{}); err != nil || len(got) != 1 {
		t.Fatalf("got %d verified, err = %v", len(got), err)
	}
}
