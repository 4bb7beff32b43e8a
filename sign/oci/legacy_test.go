package oci

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/hallmark-dev/hallmark/sign"
)

// fixtureKey loads a cosign key pair of sign/testdata/keys (password "hallmark-test").
func fixtureKey(t *testing.T, file string) (crypto.Signer, sign.Policy) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "keys", file))
	if err != nil {
		t.Fatal(err)
	}
	k, err := sign.UnmarshalPrivateKey(data, []byte("hallmark-test"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := sign.NewKeyPolicy(k.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k, p
}

// simpleSigningPayload is the payload cosign signs for image repo@digest.
func simpleSigningPayload(repo, digest string) []byte {
	return fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, repo, digest)
}

// signPayload signs payload as cosign does: ECDSA over its SHA-256, ed25519 over the bytes.
func signPayload(t *testing.T, k crypto.Signer, payload []byte) string {
	t.Helper()
	var (
		sig []byte
		err error
	)
	if _, ok := k.Public().(ed25519.PublicKey); ok {
		sig, err = k.Sign(rand.Reader, payload, crypto.Hash(0))
	} else {
		sum := sha256.Sum256(payload)
		sig, err = k.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// pushLegacy writes a legacy .sig manifest for image digest in repo, one layer per payload.
func pushLegacy(t *testing.T, repo string, digest v1.Hash, layers ...mutate.Addendum) {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":" + strings.Replace(digest.String(), ":", "-", 1) + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}

func legacyLayer(payload []byte, annotations map[string]string) mutate.Addendum {
	return mutate.Addendum{
		Layer:       static.NewLayer(payload, SimpleSigningMediaType),
		MediaType:   SimpleSigningMediaType,
		Annotations: annotations,
	}
}

func TestVerifyLegacySignature(t *testing.T) {
	ecKey, ecPolicy := fixtureKey(t, "cosign.key")
	edKey, edPolicy := fixtureKey(t, "cosign-ed25519.key")
	_, otherPolicy := newSigner(t)
	for _, tc := range []struct {
		name    string
		key     crypto.Signer
		policy  sign.Policy
		payload func(repo, digest string) []byte
		sig     string // overrides the signature annotation when set
		wantErr []error
	}{
		{name: "ecdsa", key: ecKey, policy: ecPolicy},
		{name: "ed25519", key: edKey, policy: edPolicy},
		{name: "another key", key: ecKey, policy: otherPolicy, wantErr: []error{ErrNoValidSignature, sign.ErrSignature}},
		{name: "another image", key: ecKey, policy: ecPolicy,
			payload: func(repo, _ string) []byte {
				return simpleSigningPayload(repo, "sha256:"+strings.Repeat("ab", 32))
			},
			wantErr: []error{ErrNoValidSignature, ErrLegacyDigestMismatch, sign.ErrDigestMismatch}},
		{name: "not simple signing", key: ecKey, policy: ecPolicy,
			payload: func(string, string) []byte { return []byte(`{"critical":{}}`) },
			wantErr: []error{ErrNoValidSignature, ErrMalformedLegacySignature}},
		{name: "signature not base64", key: ecKey, policy: ecPolicy, sig: "!!",
			wantErr: []error{ErrNoValidSignature, ErrMalformedLegacySignature}},
		{name: "keyless policy", key: ecKey, policy: sign.Policy{},
			wantErr: []error{ErrNoValidSignature, ErrLegacyUnsupported}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, _ := newRegistry(t, true)
			repo := host + "/test/app"
			digest := pushImage(t, repo+":v1")
			mk := simpleSigningPayload
			if tc.payload != nil {
				mk = tc.payload
			}
			payload := mk(repo, digest.String())
			sig := tc.sig
			if sig == "" {
				sig = signPayload(t, tc.key, payload)
			}
			pushLegacy(t, repo, digest, legacyLayer(payload, map[string]string{annotationLegacySignature: sig}))

			got, err := VerifyImage(t.Context(), repo+":v1", tc.policy, VerifyOptions{})
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
			if tc.wantErr != nil {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d verified, want 1", len(got))
			}
			want := Verified{Image: repo + "@" + digest.String(), Kind: LegacyKind, Result: &sign.Result{
				MediaType: SimpleSigningMediaType, Artifact: digest.String(),
				Signer: sign.VerifiedSigner{Kind: "key"}, Payload: payload,
			}}
			if diff := cmp.Diff(want, got[0], cmp.FilterPath(func(p cmp.Path) bool {
				f := p.Last().String()
				return f == ".Referrer" || f == ".KeyID"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("verified (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(got[0].Referrer, "sha256:") || !strings.HasPrefix(got[0].Result.Signer.KeyID, "sha256:") {
				t.Errorf("referrer %q, key id %q", got[0].Referrer, got[0].Result.Signer.KeyID)
			}
		})
	}
}

// TestLegacyAlongsideReferrers: an image signed both ways yields both signatures, and an
// attestation query ignores the legacy tag.
func TestLegacyAlongsideReferrers(t *testing.T) {
	k, p := fixtureKey(t, "cosign.key")
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := newRegistry(t, false)
	repo := host + "/test/app"
	digest := pushImage(t, repo+":v1")
	if _, err := SignImage(t.Context(), repo+":v1", s, Options{}); err != nil {
		t.Fatal(err)
	}
	payload := simpleSigningPayload(repo, digest.String())
	// A second layer signed by another key: one bad layer does not hide a good one.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPayload := simpleSigningPayload(repo+"x", digest.String())
	pushLegacy(t, repo, digest,
		legacyLayer(otherPayload, map[string]string{annotationLegacySignature: signPayload(t, other, otherPayload)}),
		legacyLayer(payload, map[string]string{annotationLegacySignature: signPayload(t, k, payload)}))
	got, err := VerifyImage(t.Context(), repo+":v1", p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, v := range got {
		kinds = append(kinds, v.Kind)
	}
	if diff := cmp.Diff([]string{"signature", LegacyKind}, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	if _, err := VerifyImage(t.Context(), repo+":v1", p, VerifyOptions{PredicateType: "https://example.com/p"}); !errors.Is(err, ErrNoSignature) {
		t.Errorf("attestation query: err = %v, want ErrNoSignature", err)
	}
}

func TestParseLegacyManifest(t *testing.T) {
	layer := `{"mediaType":"` + SimpleSigningMediaType + `","size":10,"digest":"sha256:` + strings.Repeat("ab", 32) + `"}`
	many := strings.TrimSuffix(strings.Repeat(layer+",", maxLegacyLayers+1), ",")
	for _, tc := range []struct {
		name, raw string
		want      int
		wantErr   error
	}{
		{"oci", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[` + layer + `]}`, 1, nil},
		{"docker", `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[` + layer + `]}`, 1, nil},
		{"index", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, 0, ErrMalformedLegacySignature},
		{"no simple signing layer", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`, 0, ErrMalformedLegacySignature},
		{"too many layers", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[` + many + `]}`, 0, ErrMalformedLegacySignature},
		{"not json", `{`, 0, ErrMalformedLegacySignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLegacyManifest([]byte(tc.raw))
			if !errors.Is(err, tc.wantErr) || len(got) != tc.want {
				t.Errorf("got %d layers, err %v; want %d, %v", len(got), err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzParseLegacyPayload(f *testing.F) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	f.Add(simpleSigningPayload("r/a", digest))
	f.Add([]byte(`{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":1}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := parseLegacyPayload(data, digest)
		if err != nil && !errors.Is(err, ErrMalformedLegacySignature) && !errors.Is(err, ErrLegacyDigestMismatch) {
			t.Fatalf("unnamed error %v", err)
		}
		_, err = parseLegacyManifest(data)
		if err != nil && !errors.Is(err, ErrMalformedLegacySignature) {
			t.Fatalf("unnamed manifest error %v", err)
		}
	})
}

// TestHallmarkVerifiesCosignLegacySignature: VerifyImage accepts what `cosign sign --key`
// pushes in the legacy format (--new-bundle-format=false: the .sig tag), and refuses it under
// another key.
func TestHallmarkVerifiesCosignLegacySignature(t *testing.T) {
	bin := cosignBinary(t)
	host, _ := newRegistry(t, true)
	ref := host + "/test/app:v1"
	digest := pushImage(t, ref)
	dir := t.TempDir()
	if out, err := runCosign(t, bin, dir, "generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	out, err := runCosign(t, bin, dir, "sign", "--key", "cosign.key", "--tlog-upload=false", "--use-signing-config=false",
		"--new-bundle-format=false", "--allow-http-registry", "--yes", host+"/test/app@"+digest.String())
	if err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	sigTag, _ := name.NewTag(host + "/test/app:" + strings.Replace(digest.String(), ":", "-", 1) + ".sig")
	if _, err := remote.Head(sigTag); err != nil {
		t.Fatalf("cosign did not write the legacy tag %s: %v\n%s", sigTag, err, out)
	}
	pemBytes, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sign.NewKeyPolicy(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyImage(t.Context(), ref, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != LegacyKind || got[0].Result.Artifact != digest.String() {
		t.Fatalf("got %+v", got)
	}
	_, other := newSigner(t)
	if _, err := VerifyImage(t.Context(), ref, other, VerifyOptions{}); !errors.Is(err, sign.ErrSignature) {
		t.Fatalf("another key: err = %v, want sign.ErrSignature", err)
	}
}
