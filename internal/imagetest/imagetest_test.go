package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestBuildTwoLayersWithWhiteout(t *testing.T) {
	layers := []Layer{
		{
			CreatedBy: "ADD base",
			Files: []File{
				{Path: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=\"12\"\n")},
				{Path: "/app/keep.txt", Data: []byte("keep")},
				{Path: "./app/gone.txt", Data: []byte("gone")},
				{Path: "app/cache/a", Data: []byte("a")},
				{Path: "bin/sh", Type: tar.TypeSymlink, Linkname: "/bin/dash"},
			},
		},
		{
			CreatedBy: "RUN rm app/gone.txt",
			Files:     []File{{Path: "app/new.txt", Data: []byte("new"), Mode: 0o600}},
			Whiteouts: []string{"app/gone.txt"},
			Opaque:    []string{"app/cache"},
		},
	}
	img, err := Build(layers, Config{Cmd: []string{"/bin/sh"}})
	if err != nil {
		t.Fatal(err)
	}
	img = roundTripLayout(t, img)

	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("got %d layers, want 2", len(ls))
	}
	var got [][]string
	for _, l := range ls {
		mt, err := l.MediaType()
		if err != nil {
			t.Fatal(err)
		}
		if mt != types.OCILayer {
			t.Errorf("layer media type = %s, want %s", mt, types.OCILayer)
		}
		files, err := LayerFiles(l)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, paths(files))
	}
	want := [][]string{
		{"app", "app/cache", "app/cache/a", "app/gone.txt", "app/keep.txt", "bin", "bin/sh", "etc", "etc/os-release"},
		{"app", "app/.wh.gone.txt", "app/cache", "app/cache/.wh..wh..opq", "app/new.txt"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}

	fs, err := ImageFiles(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"app/gone.txt", "app/cache/a"} {
		if _, ok := fs[p]; ok {
			t.Errorf("%s survived its whiteout", p)
		}
	}
	if f := fs["app/new.txt"]; string(f.Data) != "new" || f.Mode != 0o600 {
		t.Errorf("app/new.txt = %q mode %o, want \"new\" mode 600", f.Data, f.Mode)
	}
	if f := fs["bin/sh"]; f.Type != tar.TypeSymlink || f.Linkname != "/bin/dash" {
		t.Errorf("bin/sh = type %q -> %q, want symlink to /bin/dash", f.Type, f.Linkname)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for _, h := range cf.History {
		history = append(history, h.CreatedBy)
	}
	if diff := cmp.Diff([]string{"ADD base", "RUN rm app/gone.txt"}, history); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if cf.Architecture != "amd64" || cf.OS != "linux" || !cf.Created.Equal(DefaultCreated) {
		t.Errorf("config platform/created = %s/%s %v", cf.OS, cf.Architecture, cf.Created)
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantManifest types.MediaType
		wantLayer    types.MediaType
	}{
		{"oci-gzip", Config{}, types.OCIManifestSchema1, types.OCILayer},
		{"oci-zstd", Config{Compression: Zstd}, types.OCIManifestSchema1, types.OCILayerZStd},
		{"oci-none", Config{Compression: None}, types.OCIManifestSchema1, types.OCIUncompressedLayer},
		{"docker-gzip", Config{Docker: true}, types.DockerManifestSchema2, types.DockerLayer},
		{"docker-none", Config{Docker: true, Compression: None}, types.DockerManifestSchema2, types.DockerUncompressedLayer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Build([]Layer{{Files: []File{{Path: "etc/hostname", Data: []byte("fixture\n")}}}}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			img = roundTripLayout(t, img)
			if mt, err := img.MediaType(); err != nil || mt != tc.wantManifest {
				t.Errorf("manifest media type = %s, %v; want %s", mt, err, tc.wantManifest)
			}
			ls, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if mt, err := ls[0].MediaType(); err != nil || mt != tc.wantLayer {
				t.Errorf("layer media type = %s, %v; want %s", mt, err, tc.wantLayer)
			}
			fs, err := ImageFiles(img)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(fs["etc/hostname"].Data); got != "fixture\n" {
				t.Errorf("etc/hostname = %q", got)
			}
		})
	}
	if _, err := Build(nil, Config{Docker: true, Compression: Zstd}); err == nil {
		t.Error("Build accepted zstd layers with Docker media types")
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	deb := writeTestDeb(t, t.TempDir(), testDeb{name: "hello", version: "1.0-1"})
	build := func() v1.Hash {
		img, err := Build([]Layer{{Debs: []string{deb}, Files: []File{{Path: "x", Data: []byte("x")}}}}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := build(), build(); a != b {
		t.Errorf("two builds differ: %s, %s", a, b)
	}
}

func TestBuildDebs(t *testing.T) {
	dir := t.TempDir()
	zlib := writeTestDeb(t, dir, testDeb{name: "zlib1g", version: "1:1.2.13.dfsg-1", arch: "amd64", multiArch: "same"})
	netbase := writeTestDeb(t, dir, testDeb{name: "netbase", version: "6.4", conffile: "etc/services"})
	tool := writeTestDeb(t, dir, testDeb{name: "tool", version: "2.0"})

	img, err := Build([]Layer{
		{Debs: []string{zlib, netbase}},
		{Debs: []string{tool}},
		{RemoveDebs: []string{"netbase"}},
	}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	img = roundTripLayout(t, img)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}

	statusPackages := func(layer int) []string {
		t.Helper()
		files, err := LayerFiles(ls[layer])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Path == "var/lib/dpkg/status" {
				var names []string
				for _, line := range strings.Split(string(f.Data), "\n") {
					if name, ok := strings.CutPrefix(line, "Package: "); ok {
						names = append(names, name)
					}
				}
				return names
			}
		}
		t.Fatalf("layer %d has no var/lib/dpkg/status", layer)
		return nil
	}
	for i, want := range [][]string{{"netbase", "zlib1g"}, {"netbase", "tool", "zlib1g"}, {"tool", "zlib1g"}} {
		if diff := cmp.Diff(want, statusPackages(i)); diff != "" {
			t.Errorf("layer %d status packages (-want +got):\n%s", i, diff)
		}
	}

	// Layer 1 writes only its own package's info files.
	files, err := LayerFiles(ls[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.Path, "var/lib/dpkg/info/") && !strings.HasPrefix(f.Path, "var/lib/dpkg/info/tool.") {
			t.Errorf("layer 1 rewrote %s", f.Path)
		}
	}

	fs, err := ImageFiles(img)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus := "Package: tool\n" +
		"Status: install ok installed\n" +
		"Priority: optional\n" +
		"Section: misc\n" +
		"Installed-Size: 1\n" +
		"Maintainer: Test <test@example.org>\n" +
		"Architecture: all\n" +
		"Version: 2.0\n" +
		"Depends: zlib1g (>= 1:1.2)\n" +
		"Description: test package tool\n" +
		" A package made by the imagetest tests.\n" +
		"Homepage: https://example.org/tool\n" +
		"\n" +
		"Package: zlib1g\n" +
		"Status: install ok installed\n" +
		"Priority: optional\n" +
		"Section: misc\n" +
		"Installed-Size: 1\n" +
		"Maintainer: Test <test@example.org>\n" +
		"Architecture: amd64\n" +
		"Multi-Arch: same\n" +
		"Version: 1:1.2.13.dfsg-1\n" +
		"Depends: zlib1g (>= 1:1.2)\n" +
		"Description: test package zlib1g\n" +
		" A package made by the imagetest tests.\n" +
		"Homepage: https://example.org/zlib1g\n"
	if diff := cmp.Diff(wantStatus, string(fs["var/lib/dpkg/status"].Data)); diff != "" {
		t.Errorf("final status (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("/.\n/usr\n/usr/share\n/usr/share/zlib1g\n/usr/share/zlib1g/README\n", string(fs["var/lib/dpkg/info/zlib1g:amd64.list"].Data)); diff != "" {
		t.Errorf("zlib1g:amd64.list (-want +got):\n%s", diff)
	}
	for _, gone := range []string{"etc/services", "usr/share/netbase/README", "var/lib/dpkg/info/netbase.list", "var/lib/dpkg/info/netbase.conffiles"} {
		if _, ok := fs[gone]; ok {
			t.Errorf("%s survived the removal of netbase", gone)
		}
	}
	if _, ok := fs["usr/share/tool/README"]; !ok {
		t.Error("usr/share/tool/README is missing")
	}
}

func TestConffilesInStatus(t *testing.T) {
	deb := writeTestDeb(t, t.TempDir(), testDeb{name: "netbase", version: "6.4", conffile: "etc/services"})
	img, err := Build([]Layer{{Debs: []string{deb}}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ImageFiles(img)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("conf of netbase\n"))
	want := "Conffiles:\n /etc/services " + hex.EncodeToString(sum[:]) + "\n"
	if got := string(fs["var/lib/dpkg/status"].Data); !strings.Contains(got, want) {
		t.Errorf("status lacks %q:\n%s", want, got)
	}
}

func TestWriteArchives(t *testing.T) {
	img, err := Build([]Layer{{Files: []File{{Path: "hello", Data: []byte("hi")}}}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	dockerFile := filepath.Join(dir, "img.docker.tar")
	if err := WriteDockerArchive(dockerFile, img, "example.test/hello:1"); err != nil {
		t.Fatal(err)
	}
	fromDocker, err := tarball.ImageFromPath(dockerFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	// docker save stores no manifest, only the config and layers, so compare those.
	wantConfig, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fromDocker.ConfigName(); err != nil || got != wantConfig {
		t.Errorf("docker archive config digest = %v, %v; want %v", got, err, wantConfig)
	}
	wantLayers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	gotLayers, err := fromDocker.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(gotLayers) != len(wantLayers) {
		t.Fatalf("docker archive has %d layers, want %d", len(gotLayers), len(wantLayers))
	}
	for i := range wantLayers {
		w, _ := wantLayers[i].Digest()
		g, err := gotLayers[i].Digest()
		if err != nil || g != w {
			t.Errorf("docker archive layer %d digest = %v, %v; want %v", i, g, err, w)
		}
	}

	ociFile := filepath.Join(dir, "img.oci.tar")
	if err := WriteOCIArchive(ociFile, img, "hello"); err != nil {
		t.Fatal(err)
	}
	untarred := filepath.Join(dir, "untarred")
	untar(t, ociFile, untarred)
	ii, err := layout.ImageIndexFromPath(untarred)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != want || im.Manifests[0].Annotations[RefNameAnnotation] != "hello" {
		t.Errorf("OCI archive index = %+v, want one manifest %s named hello", im.Manifests, want)
	}
}

func TestRejectsEscapingPaths(t *testing.T) {
	for _, p := range []string{"../etc/passwd", "a/../../b", ".", "/"} {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			if _, err := Build([]Layer{{Files: []File{{Path: p}}}}, Config{}); err == nil {
				t.Errorf("Build accepted path %q", p)
			}
		})
	}
	// UnsafeRaw writes such paths verbatim.
	img, err := Build([]Layer{{UnsafeRaw: []File{{Path: "../../etc/evil", Data: []byte("x")}}}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files, err := LayerFiles(ls[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"../../etc/evil"}, paths(files)); diff != "" {
		t.Errorf("raw layer (-want +got):\n%s", diff)
	}
}

func TestGzipBombImage(t *testing.T) {
	const size = 8 << 20
	blob := filepath.Join(t.TempDir(), "bomb.tar.gz")
	img, err := GzipBombImage(blob, "zeros", size)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > size/500 {
		t.Errorf("bomb blob is %d bytes, want a ratio above 500", st.Size())
	}
	fs, err := ImageFiles(img)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(fs["zeros"].Data); got != size {
		t.Errorf("zeros has %d bytes, want %d", got, size)
	}
}

func roundTripLayout(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, img, "test"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func untar(t *testing.T, file, dst string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files, err := readTar(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range files {
		p := filepath.Join(dst, filepath.FromSlash(e.Path))
		if e.Type == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, e.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type testDeb struct {
	name, version, arch, multiArch string
	conffile                       string // image path of a conffile, if any
}

// writeTestDeb writes a minimal but well-formed .deb (ar archive, gzip control and data
// members) so the tests need no package downloads.
func writeTestDeb(t *testing.T, dir string, d testDeb) string {
	t.Helper()
	if d.arch == "" {
		d.arch = "all"
	}
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\n", d.name, d.version, d.arch)
	if d.multiArch != "" {
		control += "Multi-Arch: " + d.multiArch + "\n"
	}
	control += "Maintainer: Test <test@example.org>\nInstalled-Size: 1\nDepends: zlib1g (>= 1:1.2)\n" +
		"Section: misc\nPriority: optional\nHomepage: https://example.org/" + d.name + "\n" +
		"Description: test package " + d.name + "\n A package made by the imagetest tests.\n"

	ctl := map[string]string{"./control": control, "./md5sums": "00000000000000000000000000000000  usr/share/" + d.name + "/README\n"}
	data := []tarEnt{
		{name: "./", dir: true},
		{name: "./usr/", dir: true},
		{name: "./usr/share/", dir: true},
		{name: "./usr/share/" + d.name + "/", dir: true},
		{name: "./usr/share/" + d.name + "/README", body: "readme of " + d.name + "\n"},
	}
	if d.conffile != "" {
		ctl["./conffiles"] = "/" + d.conffile + "\n"
		data = append(data, tarEnt{name: "./etc/", dir: true}, tarEnt{name: "./" + d.conffile, body: "conf of " + d.name + "\n"})
	}
	var ctlEnts []tarEnt
	for _, n := range []string{"./control", "./md5sums", "./conffiles"} {
		if body, ok := ctl[n]; ok {
			ctlEnts = append(ctlEnts, tarEnt{name: n, body: body})
		}
	}

	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	member := func(name string, b []byte) {
		fmt.Fprintf(&ar, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(b))
		ar.Write(b)
		if len(b)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.gz", tarGz(t, ctlEnts))
	member("data.tar.gz", tarGz(t, data))

	file := filepath.Join(dir, d.name+".deb")
	if err := os.WriteFile(file, ar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

type tarEnt struct {
	name, body string
	dir        bool
}

func tarGz(t *testing.T, ents []tarEnt) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range ents {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body)), ModTime: DefaultCreated}
		if e.dir {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
