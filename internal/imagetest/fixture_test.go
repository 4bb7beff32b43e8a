package imagetest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestCommittedDebianFixture checks that the checked-in Debian image (built by
// testdata/gen/mkfixtures with this package) still matches testdata/images/debian.expected.json
// in all three encodings, so tests that rely on either can trust both.
func TestCommittedDebianFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "images")
	raw, err := os.ReadFile(filepath.Join(dir, "debian.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		ManifestDigest string
		ConfigDigest   string
		Layers         []struct {
			Digest   string
			DiffID   string
			AddsDebs []string
		}
		FinalDebs []string
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}

	p, err := layout.FromPath(filepath.Join(dir, "debian-oci"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(want.ManifestDigest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute every digest and diff ID from the blobs.
	if err := validate.Image(img); err != nil {
		t.Fatalf("layout image does not validate: %v", err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != len(want.Layers) {
		t.Fatalf("layout has %d layers, want %d", len(ls), len(want.Layers))
	}
	var before []string
	for i, l := range ls {
		d, _ := l.Digest()
		diff, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != want.Layers[i].Digest || diff.String() != want.Layers[i].DiffID {
			t.Errorf("layer %d = %s (diff %s), want %s (diff %s)", i, d, diff, want.Layers[i].Digest, want.Layers[i].DiffID)
		}
		files, err := LayerFiles(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Path != "var/lib/dpkg/status" {
				continue
			}
			now := statusNames(f.Data)
			var added []string
			for _, n := range now {
				if !slices.Contains(before, n) {
					added = append(added, n)
				}
			}
			if diff := cmp.Diff(want.Layers[i].AddsDebs, added); diff != "" {
				t.Errorf("layer %d installs (-want +got):\n%s", i, diff)
			}
			before = now
		}
	}
	if diff := cmp.Diff(want.FinalDebs, before); diff != "" {
		t.Errorf("final dpkg packages (-want +got):\n%s", diff)
	}

	docker, err := tarball.ImageFromPath(filepath.Join(dir, "debian.docker.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := docker.ConfigName(); err != nil || c.String() != want.ConfigDigest {
		t.Errorf("docker archive config = %v, %v; want %s", c, err, want.ConfigDigest)
	}

	untarred := filepath.Join(t.TempDir(), "oci")
	untar(t, filepath.Join(dir, "debian.oci.tar"), untarred)
	ociArchive, err := layout.FromPath(untarred)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ociArchive.Image(h); err != nil {
		t.Errorf("OCI archive lacks manifest %s: %v", h, err)
	}
}

// statusNames lists "name version arch" per stanza of a dpkg status file, sorted.
func statusNames(status []byte) []string {
	var out []string
	for stanza := range strings.SplitSeq(string(status), "\n\n") {
		fields := map[string]string{}
		for line := range strings.SplitSeq(stanza, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
				fields[k] = v
			}
		}
		if fields["Package"] != "" {
			out = append(out, fields["Package"]+" "+fields["Version"]+" "+fields["Architecture"])
		}
	}
	slices.Sort(out)
	return out
}
