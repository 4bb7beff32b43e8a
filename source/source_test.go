package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/mod/sumdb/dirhash"
)

// entry is one tar entry of a test layer.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func file(name, body string) entry {
	return entry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func exe(name, body string) entry {
	return entry{name: name, body: body, typ: tar.TypeReg, mode: 0o755}
}
func symlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func dir(name string) entry { return entry{name: name, typ: tar.TypeDir, mode: 0o755} }

func tarBytes(t testing.TB, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerOf(t testing.TB, es []entry) v1.Layer {
	t.Helper()
	b := tarBytes(t, es)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t testing.TB, layers ...[]entry) v1.Image {
	t.Helper()
	img := empty.Image
	for _, es := range layers {
		var err error
		img, err = mutate.AppendLayers(img, layerOf(t, es))
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// threeLayers is a small image exercising whiteouts, opaque directories, symlinks and a
// package database rewritten by a later layer.
func threeLayers(t testing.TB) v1.Image {
	return imageOf(t,
		[]entry{
			dir("etc"), file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
			dir("usr"), dir("usr/lib"), symlink("lib", "usr/lib"),
			file("usr/lib/libz.so", "zlib"),
			file("var/lib/dpkg/status", "Package: a\n"),
			file("app/keep.txt", "keep"), file("app/gone.txt", "gone"),
			file("opq/old.txt", "old"),
			symlink("etc/escape", "/etc/os-release"),
			symlink("etc/climb", "../../../../etc/os-release"),
		},
		[]entry{
			file("app/.wh.gone.txt", ""),
			file("opq/.wh..wh..opq", ""),
			file("opq/new.txt", "new"),
			file("var/lib/dpkg/status", "Package: a\n\nPackage: b\n"),
		},
		[]entry{
			exe("usr/bin/tool", "\x7fELF..."),
			file("var/lib/dpkg/status", "Package: a\n\nPackage: b\n\nPackage: c\n"),
		},
	)
}

func wantAll(string, fs.FileInfo) bool { return true }

func writeLayout(t testing.TB, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSquashAppliesLayers(t *testing.T) {
	ctx := context.Background()
	art, err := Open(ctx, writeLayout(t, threeLayers(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer art.Close()
	if art.Kind != KindImage || art.Image.Format != FormatOCILayout {
		t.Fatalf("kind = %s/%v, want image/oci-layout", art.Kind, art.Image)
	}
	tree, err := art.Image.Squash(ctx, SquashOptions{Want: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	if err := tree.Files(func(p string, _ fs.FileInfo) error { files = append(files, p); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{"app/keep.txt", "etc/os-release", "opq/new.txt", "usr/bin/tool", "usr/lib/libz.so", "var/lib/dpkg/status"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for p, layer := range map[string]int{"app/keep.txt": 0, "opq/new.txt": 1, "usr/bin/tool": 2, "var/lib/dpkg/status": 2, "app/gone.txt": -1} {
		if got := tree.LayerOf(p); got != layer {
			t.Errorf("LayerOf(%s) = %d, want %d", p, got, layer)
		}
	}
	var layers []int
	for _, v := range tree.History("var/lib/dpkg/status") {
		layers = append(layers, v.Layer)
	}
	if diff := cmp.Diff([]int{0, 1, 2}, layers); diff != "" {
		t.Errorf("history layers (-want +got):\n%s", diff)
	}
	// Symlinks resolve inside the image: the absolute and climbing links reach the image's
	// os-release, never the host's.
	for _, p := range []string{"etc/escape", "etc/climb", "lib/libz.so"} {
		b, err := fs.ReadFile(tree, p)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", p, err)
			continue
		}
		if p != "lib/libz.so" && !strings.HasPrefix(string(b), "ID=debian") {
			t.Errorf("ReadFile(%s) = %q, want the image's os-release", p, b)
		}
	}
	if _, err := fs.Stat(tree, "app/gone.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("whited-out file: Stat err = %v, want not exist", err)
	}
	if _, err := fs.Stat(tree, "opq/old.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file under opaque dir: Stat err = %v, want not exist", err)
	}
	entries, err := tree.ReadDir("opq")
	if err != nil || len(entries) != 1 || entries[0].Name() != "new.txt" {
		t.Errorf("ReadDir(opq) = %v, %v; want [new.txt]", entries, err)
	}
}

func TestSquashKeepsOnlyWantedContent(t *testing.T) {
	ctx := context.Background()
	art, err := Open(ctx, writeLayout(t, threeLayers(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer art.Close()
	tree, err := art.Image.Squash(ctx, SquashOptions{Want: func(p string, _ fs.FileInfo) bool { return p == "etc/os-release" }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(tree, "etc/os-release"); err != nil {
		t.Errorf("wanted file: %v", err)
	}
	if _, err := fs.ReadFile(tree, "app/keep.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unwanted file: err = %v, want not exist", err)
	}
	if fi, err := fs.Stat(tree, "app/keep.txt"); err != nil || fi.Size() != 4 {
		t.Errorf("unwanted file metadata: %v, %v", fi, err)
	}
}

func TestImageFormatsAgree(t *testing.T) {
	ctx := context.Background()
	img := threeLayers(t)
	dir := t.TempDir()

	docker := filepath.Join(dir, "image.docker.tar")
	tag, _ := name.NewTag("example.com/app:1.0")
	if err := tarball.WriteToFile(docker, tag, img); err != nil {
		t.Fatal(err)
	}
	ociDir := writeLayout(t, img)
	ociTar := filepath.Join(dir, "image.oci.tar")
	tarDir(t, ociDir, ociTar)

	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer s.Close()
	u, _ := url.Parse(s.URL)
	ref := u.Host + "/team/app:1.0"
	rt, _ := name.NewTag(ref)
	if err := remote.Write(rt, img); err != nil {
		t.Fatal(err)
	}

	manifest, _ := img.Digest()
	config, _ := img.ConfigName()
	for _, c := range []struct {
		target, format, digest string
	}{
		{ociDir, FormatOCILayout, manifest.String()},
		{ociTar, FormatOCIArchive, manifest.String()},
		{docker, FormatDockerArchive, config.String()},
		{RegistryPrefix + ref, FormatRegistry, manifest.String()},
	} {
		t.Run(c.format, func(t *testing.T) {
			art, err := Open(ctx, c.target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer art.Close()
			if art.Image.Format != c.format || art.Digest != c.digest {
				t.Errorf("format, digest = %s, %s; want %s, %s", art.Image.Format, art.Digest, c.format, c.digest)
			}
			tree, err := art.Image.Squash(ctx, SquashOptions{Want: wantAll})
			if err != nil {
				t.Fatal(err)
			}
			b, err := fs.ReadFile(tree, "var/lib/dpkg/status")
			if err != nil || !strings.Contains(string(b), "Package: c") {
				t.Errorf("status = %q, %v", b, err)
			}
			if len(art.Image.Layers) != 3 || art.Image.Layers[2].DiffID == "" {
				t.Errorf("layers = %+v", art.Image.Layers)
			}
		})
	}
}

func TestRegistryNotFound(t *testing.T) {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer s.Close()
	u, _ := url.Parse(s.URL)
	_, err := Open(context.Background(), RegistryPrefix+u.Host+"/nope:1", Options{})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func tarDir(t testing.TB, src, dst string) {
	t.Helper()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

func TestHostileImages(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		img    func(t testing.TB) string
		limits Limits
		want   error
	}{
		{
			name: "entry-climbs-out",
			img:  func(t testing.TB) string { return writeLayout(t, imageOf(t, []entry{file("../../etc/evil", "x")})) },
			want: ErrUnsafe,
		},
		{
			name: "hardlink-climbs-out",
			img: func(t testing.TB) string {
				return writeLayout(t, imageOf(t, []entry{{name: "a", link: "../../../etc/passwd", typ: tar.TypeLink}}))
			},
			want: ErrUnsafe,
		},
		{
			name: "blob-altered",
			img: func(t testing.TB) string {
				dir := writeLayout(t, imageOf(t, []entry{file("a.txt", noise(64<<10))}))
				alterLargestBlob(t, dir, func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
				return dir
			},
			want: ErrCorrupt,
		},
		{
			name: "blob-truncated",
			img: func(t testing.TB) string {
				dir := writeLayout(t, imageOf(t, []entry{file("a.txt", noise(64<<10))}))
				alterLargestBlob(t, dir, func(b []byte) []byte { return b[:len(b)/2] })
				return dir
			},
			want: ErrCorrupt,
		},
		{
			name:   "decompression-bomb",
			img:    func(t testing.TB) string { return writeLayout(t, bombImage(t, 64<<20)) },
			limits: Limits{RatioGrace: 4 << 20, MaxRatio: 50},
			want:   ErrLimit,
		},
		{
			name:   "too-many-entries",
			img:    func(t testing.TB) string { return writeLayout(t, threeLayers(t)) },
			limits: Limits{MaxEntries: 5},
			want:   ErrLimit,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			art, err := Open(ctx, c.img(t), Options{Limits: c.limits})
			if err == nil {
				defer art.Close()
				_, err = art.Image.Squash(ctx, SquashOptions{Want: wantAll})
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "layer ") || !strings.Contains(err.Error(), "(sha256:") {
				t.Errorf("error %q does not name the layer", err)
			}
		})
	}
}

func TestTruncatedDockerArchive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "image.tar")
	tag, _ := name.NewTag("example.com/app:1.0")
	if err := tarball.WriteToFile(p, tag, threeLayers(t)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	art, err := Open(context.Background(), p, Options{})
	if err == nil {
		defer art.Close()
		_, err = art.Image.Squash(context.Background(), SquashOptions{Want: wantAll})
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), p) {
		t.Errorf("error %q does not name the file", err)
	}
}

// bombImage has one gzip layer holding n zero bytes: tiny compressed, huge expanded.
func bombImage(t testing.TB, n int64) v1.Image {
	t.Helper()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: n, Typeflag: tar.TypeReg})
	zero := make([]byte, 1<<20)
	for w := int64(0); w < n; w += int64(len(zero)) {
		tw.Write(zero[:min(int64(len(zero)), n-w)])
	}
	tw.Close()
	zw.Close()
	b := gz.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// alterLargestBlob rewrites the biggest blob in an OCI layout (the layer) in place.
func alterLargestBlob(t testing.TB, dir string, f func([]byte) []byte) {
	t.Helper()
	var largest string
	var size int64
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, _ := d.Info(); fi.Size() > size {
				largest, size = p, fi.Size()
			}
		}
		return nil
	})
	b, err := os.ReadFile(largest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(largest, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTreeDigestMatchesDirhash(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"a.txt": "a", "sub/b.txt": "bb", "sub/deeper/c": "ccc", "z": ""}
	for p, body := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(body), 0o644)
	}
	// .git is not part of the tree.
	os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref"), 0o644)

	got, errs, err := WalkDir(context.Background(), dir, func(string, fs.DirEntry) error { return nil })
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	var names []string
	for p := range files {
		names = append(names, p)
	}
	h1, err := dirhash.Hash1(names, func(n string) (io.ReadCloser, error) { return os.Open(filepath.Join(dir, n)) })
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h1, "h1:"))
	if want := "sha256:" + hex.EncodeToString(raw); got != want {
		t.Errorf("tree digest = %s, dirhash h1 = %s", got, want)
	}
	// Any content change changes the digest.
	os.WriteFile(filepath.Join(dir, "z"), []byte("changed"), 0o644)
	again, _, _ := WalkDir(context.Background(), dir, func(string, fs.DirEntry) error { return nil })
	if again == got {
		t.Error("digest did not change with content")
	}
}

func TestOpenKinds(t *testing.T) {
	dir := t.TempDir()
	write := func(n, body string) string {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	lock := write("package-lock.json", `{"lockfileVersion": 3}`)
	cdx := write("bom.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6"}`)
	spdxTV := write("bom.spdx", "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")
	for _, c := range []struct {
		target string
		kind   Kind
	}{
		{dir, KindDirectory}, {lock, KindFile}, {cdx, KindSBOM}, {spdxTV, KindSBOM},
	} {
		art, err := Open(context.Background(), c.target, Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", c.target, err)
		}
		if art.Kind != c.kind {
			t.Errorf("Open(%s).Kind = %s, want %s", c.target, art.Kind, c.kind)
		}
		if c.kind == KindFile {
			sum := sha256.Sum256([]byte(`{"lockfileVersion": 3}`))
			if want := "sha256:" + hex.EncodeToString(sum[:]); art.Digest != want {
				t.Errorf("file digest = %s, want %s", art.Digest, want)
			}
		}
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "missing"), Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: err = %v, want ErrNotFound", err)
	}
}

// noise is n deterministic, incompressible bytes, so a layer is the largest blob of an image.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// TestUnreadableFile: a file the walk cannot read is reported and left out of the digest, and
// the rest of the tree is still walked. (Root reads everything, so this runs only as a user.)
func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop reads")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.txt"), []byte("ok"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("no"), 0o000)
	var seen []string
	_, errs, err := WalkDir(context.Background(), dir, func(rel string, _ fs.DirEntry) error { seen = append(seen, rel); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].Path != "secret.txt" {
		t.Errorf("errs = %+v, want secret.txt", errs)
	}
	if len(seen) != 2 {
		t.Errorf("visited %v, want both files", seen)
	}
}
