package oci

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hallmark-dev/hallmark/sign"
)

var updateCosignFixtures = flag.Bool("update-cosign-fixtures", false,
	"regenerate testdata/cosign with cosign v3 (HALLMARK_COSIGN or ~/.cache/hallmark-bench/bin/cosign)")

// fixtureImageDigest is the digest of fixtureImage: attestations cosign made about it once are
// checked in (testdata/cosign), so that reading cosign's formats is tested without cosign.
const fixtureImageDigest = "sha256:ddfc70a40d2ed4f7b7a873fc314ff04222da00abb8d6d37784f4db55826b7066"

// pushFixtureImage writes an image whose digest never changes to ref.
func pushFixtureImage(t *testing.T, ref string) v1.Hash {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, static.NewLayer([]byte("hallmark sign/oci fixture image\n"), types.OCILayer))
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

const (
	cosignBundleFixture   = "testdata/cosign/attest-cyclonedx.sigstore.json"
	cosignEnvelopeFixture = "testdata/cosign/attest-cyclonedx.dsse.json"
	cyclonedxType         = "https://cyclonedx.org/bom"
)

// regenerateCosignFixtures has cosign attest the fixture image with the fixture key, in the
// bundle format and in the legacy format, and saves what it pushed.
func regenerateCosignFixtures(t *testing.T) {
	bin := cosignBinary(t)
	host, _ := newRegistry(t, true)
	digest := pushFixtureImage(t, host+"/test/app:v1")
	if digest.String() != fixtureImageDigest {
		t.Fatalf("the fixture image is now %s, not %s", digest, fixtureImageDigest)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "predicate"), []byte(cosignAttestTypes[1].predicate), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := name.NewDigest(host + "/test/app@" + digest.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, newBundle := range []string{"true", "false"} {
		out, err := runCosignPassword(t, bin, dir, "hallmark-test", "attest", "--key", fixtureKeyPath(t, "cosign.key"), "--type", "cyclonedx",
			"--predicate", "predicate", "--tlog-upload=false", "--new-bundle-format="+newBundle, "--use-signing-config=false",
			"--allow-http-registry", "--yes", d.String())
		if err != nil {
			t.Fatalf("cosign attest: %v\n%s", err, out)
		}
	}
	idx, err := remote.Referrers(d)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("referrers: %+v, %v", im, err)
	}
	bundleJSON, err := fetchBundle(t.Context(), d, im.Manifests[0].Digest, nil)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(legacyTag(d, ".att"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := parseLegacyLayers(desc.Manifest, DSSEMediaType, ErrMalformedLegacyAttestation)
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	envelope, err := fetchBlob(t.Context(), d, layers[0], maxBundleSize, ErrMalformedLegacyAttestation, nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{cosignBundleFixture: bundleJSON, cosignEnvelopeFixture: envelope} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCosignAttestationFixtures verifies attestations cosign v3.1.3 made (testdata/cosign,
// regenerated with -update-cosign-fixtures): as a referrer bundle and as a legacy ".att" layer
// of the image they are about, and refused on another image, with another key or for another
// predicate type. Unlike the live interop tests it needs no cosign.
func TestCosignAttestationFixtures(t *testing.T) {
	if *updateCosignFixtures {
		regenerateCosignFixtures(t)
	}
	bundleJSON, err := os.ReadFile(cosignBundleFixture)
	if err != nil {
		t.Fatal(err)
	}
	envelope, err := os.ReadFile(cosignEnvelopeFixture)
	if err != nil {
		t.Fatal(err)
	}
	_, policy := fixtureKey(t, "cosign.key")
	_, other := newSigner(t)
	// attach puts the fixture on the image at ref, as cosign would have.
	attach := map[string]func(t *testing.T, ref string){
		"bundle": func(t *testing.T, ref string) {
			d, desc, err := resolve(t.Context(), ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := push(t.Context(), d, desc, bundleJSON, map[string]string{annotationContent: "dsse-envelope", annotationPredicateType: cyclonedxType}, Options{}); err != nil {
				t.Fatal(err)
			}
		},
		"legacy": func(t *testing.T, ref string) {
			d, _, err := resolve(t.Context(), ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			pushLegacyAttestation(t, d, attLayer(envelope, cyclonedxType))
		},
	}
	for _, format := range []string{"bundle", "legacy"} {
		t.Run(format, func(t *testing.T) {
			host, _ := newRegistry(t, format == "bundle")
			ref := host + "/test/app:v1"
			if d := pushFixtureImage(t, ref); d.String() != fixtureImageDigest {
				t.Fatalf("the fixture image is now %s, not %s: rerun with -update-cosign-fixtures", d, fixtureImageDigest)
			}
			attach[format](t, ref)
			got, err := VerifyImage(t.Context(), ref, policy, VerifyOptions{PredicateType: cyclonedxType})
			if err != nil {
				t.Fatal(err)
			}
			wantKind := map[string]string{"bundle": "attestation", "legacy": LegacyAttestationKind}[format]
			if len(got) != 1 || got[0].Kind != wantKind || got[0].Statement.Type != StatementTypeV01 ||
				got[0].Result.Artifact != fixtureImageDigest || !strings.Contains(string(got[0].Statement.Predicate), "left-pad") {
				t.Fatalf("got %+v", got)
			}
			if _, err := VerifyImage(t.Context(), ref, other, VerifyOptions{PredicateType: cyclonedxType}); !errors.Is(err, sign.ErrSignature) {
				t.Errorf("another key: err = %v, want sign.ErrSignature", err)
			}
			if _, err := VerifyImage(t.Context(), ref, policy, VerifyOptions{PredicateType: "https://openvex.dev/ns"}); !errors.Is(err, sign.ErrPredicateTypeMismatch) {
				t.Errorf("another type: err = %v, want sign.ErrPredicateTypeMismatch", err)
			}

			// The same attestation copied onto another image is about the first one.
			moved := host + "/test/other:v1"
			pushImage(t, moved)
			attach[format](t, moved)
			_, err = VerifyImage(t.Context(), moved, policy, VerifyOptions{PredicateType: cyclonedxType})
			if !errors.Is(err, ErrNoValidSignature) || !errors.Is(err, sign.ErrSubjectMismatch) {
				t.Errorf("copied to another image: err = %v, want ErrNoValidSignature and sign.ErrSubjectMismatch", err)
			}
		})
	}
}
