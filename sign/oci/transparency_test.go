package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// newWriteCountingRegistry serves go-containerregistry's registry and counts the requests that
// write to it (anything but GET and HEAD).
func newWriteCountingRegistry(t *testing.T, referrers bool) (host string, writes *atomic.Int32) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers))
	writes = new(atomic.Int32)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writes.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://"), writes
}

// testLogEntry is what the test hook records: recognisable, not a real log's entry.
func testLogEntry() *protorekor.TransparencyLogEntry {
	return &protorekor.TransparencyLogEntry{
		LogIndex:       424242,
		LogId:          &protocommon.LogId{KeyId: []byte("hallmark-test-log")},
		KindVersion:    &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"},
		IntegratedTime: 1700000000,
	}
}

// TestTransparencyHookRecords: SignImage and AttestImage call Options.Transparency once with
// the signed bundle, before pushing, and what it adds to the verification material is in the
// bundle the registry holds, next to the untouched envelope.
func TestTransparencyHookRecords(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		for _, attestation := range []bool{false, true} {
			t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers]+"/"+map[bool]string{true: "attest", false: "sign"}[attestation], func(t *testing.T) {
				ctx := t.Context()
				host, _ := newRegistry(t, referrers)
				ref := host + "/test/app:v1"
				pushImage(t, ref)
				s, _ := newSigner(t)
				var seen []*bundle.Bundle
				opts := Options{Transparency: func(ctx context.Context, b *bundle.Bundle) error {
					if ctx == nil || b.GetDsseEnvelope() == nil || len(b.GetDsseEnvelope().GetSignatures()) != 1 {
						t.Errorf("hook called with an unsigned bundle: %v", b)
					}
					seen = append(seen, b)
					b.Bundle.VerificationMaterial.TlogEntries = append(b.Bundle.VerificationMaterial.TlogEntries, testLogEntry())
					return nil
				}}
				var (
					pushed *Pushed
					err    error
				)
				if attestation {
					pushed, err = AttestImage(ctx, ref, s, cyclonedxType, []byte(`{"bomFormat":"CycloneDX"}`), opts)
				} else {
					pushed, err = SignImage(ctx, ref, s, opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(seen) != 1 || seen[0] != pushed.Bundle {
					t.Fatalf("hook called %d times (or with another bundle than the one pushed)", len(seen))
				}
				d, err := name.NewDigest(pushed.Image)
				if err != nil {
					t.Fatal(err)
				}
				h, err := v1.NewHash(pushed.Referrer)
				if err != nil {
					t.Fatal(err)
				}
				raw, err := fetchBundle(ctx, d, h, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got protobundle.Bundle
				if err := protojson.Unmarshal(raw, &got); err != nil {
					t.Fatal(err)
				}
				entries := got.GetVerificationMaterial().GetTlogEntries()
				if len(entries) != 1 || !proto.Equal(entries[0], testLogEntry()) {
					t.Errorf("pushed tlog entries %v, want the hook's", entries)
				}
				if !proto.Equal(got.GetDsseEnvelope(), pushed.Bundle.GetDsseEnvelope()) {
					t.Error("the pushed envelope is not the signed one")
				}
			})
		}
	}
}

// TestTransparencyHookErrorPushesNothing: a failing hook aborts SignImage and AttestImage with
// ErrTransparency wrapping its error, before any write to the registry.
func TestTransparencyHookErrorPushesNothing(t *testing.T) {
	logDown := errors.New("log unreachable")
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers-api", false: "tag-schema"}[referrers], func(t *testing.T) {
			ctx := t.Context()
			host, writes := newWriteCountingRegistry(t, referrers)
			ref := host + "/test/app:v1"
			pushImage(t, ref)
			s, p := newSigner(t)
			before := writes.Load()
			opts := Options{Transparency: func(context.Context, *bundle.Bundle) error { return logDown }}
			if _, err := SignImage(ctx, ref, s, opts); !errors.Is(err, ErrTransparency) || !errors.Is(err, logDown) {
				t.Errorf("sign: err = %v, want ErrTransparency wrapping the hook's error", err)
			}
			if _, err := AttestImage(ctx, ref, s, cyclonedxType, []byte(`{}`), opts); !errors.Is(err, ErrTransparency) || !errors.Is(err, logDown) {
				t.Errorf("attest: err = %v, want ErrTransparency wrapping the hook's error", err)
			}
			if n := writes.Load() - before; n != 0 {
				t.Errorf("%d writes to the registry after the hook failed", n)
			}
			d, _, err := resolve(ctx, ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Referrers(d)
			if err != nil {
				t.Fatal(err)
			}
			if im, _ := idx.IndexManifest(); len(im.Manifests) != 0 {
				t.Errorf("referrers after a failed hook: %+v", im.Manifests)
			}
			if _, err := VerifyImage(ctx, ref, p, VerifyOptions{}); !errors.Is(err, ErrNoSignature) {
				t.Errorf("verify: err = %v, want ErrNoSignature", err)
			}
		})
	}
}
