// Command mkfixtures writes the generated image, archive and hostile fixtures under testdata/.
// It is run by testdata/gen/regenerate.sh from the module root; see testdata/PROVENANCE.md.
//
//	go run ./testdata/gen/mkfixtures war JAR OUT.war
//	go run ./testdata/gen/mkfixtures images DEBDIR   # DEBDIR/{base,l2,l3}/*.deb
//	go run ./testdata/gen/mkfixtures bad
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hallmark-dev/hallmark/internal/imagetest"
)

// zipTime is the modification time of every generated zip entry.
var zipTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: mkfixtures war|images|bad ..."))
	}
	var err error
	switch os.Args[1] {
	case "war":
		if len(os.Args) != 4 {
			fail(fmt.Errorf("usage: mkfixtures war JAR OUT.war"))
		}
		err = writeWar(os.Args[2], os.Args[3])
	case "images":
		if len(os.Args) != 3 {
			fail(fmt.Errorf("usage: mkfixtures images DEBDIR"))
		}
		err = debianImage(os.Args[2])
	case "bad":
		err = bad()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkfixtures:", err)
	os.Exit(1)
}

// zipEntry is one member of a generated zip.
type zipEntry struct {
	name string
	data []byte
}

func writeZip(file string, entries []zipEntry) error {
	var buf bytes.Buffer
	if err := zipTo(&buf, entries); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

func zipTo(w io.Writer, entries []zipEntry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipTime}
		if strings.HasSuffix(e.name, "/") {
			fh.Method = zip.Store
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return err
		}
		if _, err := fw.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

const manifest = "Manifest-Version: 1.0\r\nCreated-By: hallmark testdata/gen/mkfixtures\r\n\r\n"

// writeWar wraps jar in a minimal web application archive under WEB-INF/lib/.
func writeWar(jar, out string) error {
	data, err := os.ReadFile(jar)
	if err != nil {
		return err
	}
	webXML := `<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <display-name>hallmark fixture</display-name>
</web-app>
`
	return writeZip(out, []zipEntry{
		{name: "META-INF/"},
		{name: "META-INF/MANIFEST.MF", data: []byte(manifest)},
		{name: "WEB-INF/"},
		{name: "WEB-INF/web.xml", data: []byte(webXML)},
		{name: "WEB-INF/lib/"},
		{name: "WEB-INF/lib/" + filepath.Base(jar), data: data},
	})
}

// Layer contents of the Debian fixture image. PROVENANCE.md and the expected-file written
// next to the image repeat them; tests check layer attribution against the expected file.
const (
	debianRef = "hallmark.test/fixtures/debian:12"
	nodeDir   = "testdata/src/node/installed"
	goBinary  = "testdata/bin/gobinary"
)

// debianImage builds the three-layer Debian image from the .deb files in debDir/{base,l2,l3}.
func debianImage(debDir string) error {
	osRelease, err := os.ReadFile("/usr/lib/os-release")
	if err != nil {
		return err
	}
	if !bytes.Contains(osRelease, []byte(`VERSION_ID="12"`)) || !bytes.Contains(osRelease, []byte("ID=debian")) {
		return fmt.Errorf("/usr/lib/os-release is not Debian 12's; run this on Debian 12")
	}
	app, err := os.ReadFile(goBinary)
	if err != nil {
		return err
	}
	globDebs := func(sub string) ([]string, error) {
		m, err := filepath.Glob(filepath.Join(debDir, sub, "*.deb"))
		if err == nil && len(m) == 0 {
			err = fmt.Errorf("no .deb files in %s", filepath.Join(debDir, sub))
		}
		return m, err
	}
	base, err := globDebs("base")
	if err != nil {
		return err
	}
	l2, err := globDebs("l2")
	if err != nil {
		return err
	}
	l3, err := globDebs("l3")
	if err != nil {
		return err
	}
	layers := []imagetest.Layer{
		{
			CreatedBy: "ADD rootfs.tar / # base-files zlib1g libbz2-1.0 netbase",
			Debs:      base,
			Files: []imagetest.File{
				// Debian 12's os-release, as on the build machine (also shipped by base-files).
				{Path: "usr/lib/os-release", Data: osRelease},
				{Path: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
			},
		},
		{
			CreatedBy: "RUN apt-get install -y liblzma5 libzstd1 ca-certificates python3-six && COPY app /usr/local/bin/app && COPY node /app",
			Debs:      l2,
			Dirs:      map[string]string{nodeDir: "app"},
			Files:     []imagetest.File{{Path: "usr/local/bin/app", Data: app, Mode: 0o755}},
		},
		{
			CreatedBy:  "RUN apt-get install -y python3-urllib3 && apt-get purge -y libbz2-1.0 && rm -rf /app/node_modules/inherits",
			Debs:       l3,
			RemoveDebs: []string{"libbz2-1.0"},
			Whiteouts:  []string{"app/node_modules/inherits"},
		},
	}
	img, err := imagetest.Build(layers, imagetest.Config{
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Cmd:        []string{"/usr/local/bin/app"},
		WorkingDir: "/app",
		Labels:     map[string]string{"org.opencontainers.image.description": "hallmark test fixture"},
	})
	if err != nil {
		return err
	}

	dir := filepath.Join("testdata", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	layoutDir := filepath.Join(dir, "debian-oci")
	if err := os.RemoveAll(layoutDir); err != nil {
		return err
	}
	if err := imagetest.WriteLayout(layoutDir, img, debianRef); err != nil {
		return err
	}
	if err := imagetest.WriteDockerArchive(filepath.Join(dir, "debian.docker.tar"), img, debianRef); err != nil {
		return err
	}
	if err := imagetest.WriteOCIArchive(filepath.Join(dir, "debian.oci.tar"), img, debianRef); err != nil {
		return err
	}
	return writeExpected(filepath.Join(dir, "debian.expected.json"), img, layers)
}

// expectedImage is what tests may assert about the Debian fixture image.
type expectedImage struct {
	Ref            string          `json:"ref"`
	ManifestDigest string          `json:"manifestDigest"`
	ConfigDigest   string          `json:"configDigest"`
	Layers         []expectedLayer `json:"layers"`
	// FinalDebs are the dpkg packages installed in the final image, "name version arch".
	FinalDebs []string `json:"finalDebs"`
}

type expectedLayer struct {
	Index     int      `json:"index"`
	Digest    string   `json:"digest"`
	DiffID    string   `json:"diffID"`
	CreatedBy string   `json:"createdBy"`
	AddsDebs  []string `json:"addsDebs,omitempty"`
	PurgeDebs []string `json:"purgesDebs,omitempty"`
	Whiteouts []string `json:"whiteouts,omitempty"`
}

func writeExpected(file string, img v1.Image, layers []imagetest.Layer) error {
	md, err := img.Digest()
	if err != nil {
		return err
	}
	cd, err := img.ConfigName()
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	exp := expectedImage{Ref: debianRef, ManifestDigest: md.String(), ConfigDigest: cd.String()}
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		diff, err := l.DiffID()
		if err != nil {
			return err
		}
		files, err := imagetest.LayerFiles(l)
		if err != nil {
			return err
		}
		el := expectedLayer{Index: i, Digest: d.String(), DiffID: diff.String(), CreatedBy: layers[i].CreatedBy, PurgeDebs: layers[i].RemoveDebs}
		for _, f := range files {
			base := filepath.Base(f.Path)
			if strings.HasPrefix(base, ".wh.") {
				el.Whiteouts = append(el.Whiteouts, filepath.Join(filepath.Dir(f.Path), strings.TrimPrefix(base, ".wh.")))
			}
			if f.Path == "var/lib/dpkg/status" {
				now := statusPackages(f.Data)
				el.AddsDebs = addedSince(exp.FinalDebs, now)
				exp.FinalDebs = now
			}
		}
		exp.Layers = append(exp.Layers, el)
	}
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// statusPackages lists "name version arch" for each stanza of a dpkg status file.
func statusPackages(status []byte) []string {
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

func addedSince(before, now []string) []string {
	var out []string
	for _, p := range now {
		if !slices.Contains(before, p) {
			out = append(out, p)
		}
	}
	return out
}

// bad writes testdata/bad/.
func bad() error {
	dir := filepath.Join("testdata", "bad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	join := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }

	// Lockfiles.
	lock, err := os.ReadFile(filepath.Join("testdata", "src", "node", "lock-v3", "package-lock.json"))
	if err != nil {
		return err
	}
	// Cut in the middle of a string value, as an interrupted write would.
	cut := bytes.Index(lock[len(lock)/2:], []byte(`"resolved": "https://`)) + len(lock)/2 + len(`"resolved": "https://regis`)
	if err := writeFileIn(join("truncated-lock", "package-lock.json"), lock[:cut]); err != nil {
		return err
	}
	notJSON := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
	if err := writeFileIn(join("notjson-lock", "package-lock.json"), []byte(notJSON)); err != nil {
		return err
	}
	if err := writeFileIn(join("empty-lock", "package-lock.json"), nil); err != nil {
		return err
	}

	// A small well-formed image, then damaged copies.
	small, err := imagetest.Build([]imagetest.Layer{
		{CreatedBy: "ADD base", Files: []imagetest.File{
			{Path: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=\"12\"\n")},
			{Path: "usr/share/doc/readme.txt", Data: bytes.Repeat([]byte("hallmark fixture line\n"), 200)},
		}},
		{CreatedBy: "ADD app", Files: []imagetest.File{{Path: "app/hello.txt", Data: bytes.Repeat([]byte("hello hallmark\n"), 400)}}},
	}, imagetest.Config{})
	if err != nil {
		return err
	}
	lastLayer := func(img v1.Image) (string, error) {
		ls, err := img.Layers()
		if err != nil {
			return "", err
		}
		d, err := ls[len(ls)-1].Digest()
		return d.Hex, err
	}
	blob, err := lastLayer(small)
	if err != nil {
		return err
	}
	for _, variant := range []string{"oci-truncated-blob", "oci-altered-blob"} {
		d := join(variant)
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := imagetest.WriteLayout(d, small, "damaged"); err != nil {
			return err
		}
		p := filepath.Join(d, "blobs", "sha256", blob)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if variant == "oci-truncated-blob" {
			b = b[:len(b)/2]
		} else {
			// Same length, different bytes: only the digest check (or gzip's CRC) notices.
			for i := len(b) / 3; i < len(b)/3+16; i++ {
				b[i] ^= 0xff
			}
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}

	tmp := join("docker-truncated.tar.tmp")
	if err := imagetest.WriteDockerArchive(tmp, small, "hallmark.test/fixtures/small:1"); err != nil {
		return err
	}
	docker, err := os.ReadFile(tmp)
	if err != nil {
		return err
	}
	if err := os.Remove(tmp); err != nil {
		return err
	}
	if err := os.WriteFile(join("docker-truncated.tar"), docker[:len(docker)/2], 0o644); err != nil {
		return err
	}

	// Hostile layers.
	hostile := map[string]imagetest.Layer{
		"oci-path-traversal": {CreatedBy: "hostile: ../ entry", Files: []imagetest.File{{Path: "etc/os-release", Data: []byte("ID=debian\n")}},
			UnsafeRaw: []imagetest.File{{Path: "../../etc/evil", Data: []byte("escaped the image root\n")}}},
		"oci-abs-symlink": {CreatedBy: "hostile: absolute symlink", Files: []imagetest.File{
			{Path: "etc/os-release", Data: []byte("ID=debian\n")},
			{Path: "etc/evil", Type: tar.TypeSymlink, Linkname: "/etc/passwd"},
		}},
	}
	for name, layer := range hostile {
		img, err := imagetest.Build([]imagetest.Layer{layer}, imagetest.Config{})
		if err != nil {
			return err
		}
		d := join(name)
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := imagetest.WriteLayout(d, img, name); err != nil {
			return err
		}
	}

	// Decompression bomb: 2 GiB + 1 MiB of zeros in one layer.
	bombDir := join("oci-gzip-bomb")
	if err := os.RemoveAll(bombDir); err != nil {
		return err
	}
	bombBlob, err := os.CreateTemp("", "bomb-*.tar.gz")
	if err != nil {
		return err
	}
	bombBlob.Close()
	defer os.Remove(bombBlob.Name())
	bomb, err := imagetest.GzipBombImage(bombBlob.Name(), "zeros.bin", 2<<30+1<<20)
	if err != nil {
		return err
	}
	if err := imagetest.WriteLayout(bombDir, bomb, "bomb"); err != nil {
		return err
	}

	// Zip slip in a jar.
	if err := writeZip(join("zipslip.jar"), []zipEntry{
		{name: "META-INF/MANIFEST.MF", data: []byte(manifest)},
		{name: "../../evil.class", data: []byte("escaped the archive root\n")},
	}); err != nil {
		return err
	}

	// A jar nested 20 levels deep: nested-20.jar holds lib/level-19.jar, which holds
	// lib/level-18.jar, … down to level-0.jar with Maven metadata.
	const depth = 20
	var inner bytes.Buffer
	props := "groupId=test.hallmark\nartifactId=deepest\nversion=1.0.0\n"
	if err := zipTo(&inner, []zipEntry{
		{name: "META-INF/MANIFEST.MF", data: []byte(manifest)},
		{name: "META-INF/maven/test.hallmark/deepest/pom.properties", data: []byte(props)},
	}); err != nil {
		return err
	}
	for level := 1; level < depth; level++ {
		var outer bytes.Buffer
		if err := zipTo(&outer, []zipEntry{
			{name: "META-INF/MANIFEST.MF", data: []byte(manifest)},
			{name: fmt.Sprintf("lib/level-%d.jar", level-1), data: inner.Bytes()},
		}); err != nil {
			return err
		}
		inner = outer
	}
	return os.WriteFile(join("nested-20.jar"), inner.Bytes(), 0o644)
}

func writeFileIn(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}
