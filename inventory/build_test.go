package inventory_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/source"
)

const fixtures = "../testdata"

func build(t testing.TB, target string) *inventory.Inventory {
	t.Helper()
	inv, err := tryBuild(target)
	if err != nil {
		t.Fatalf("Build(%s): %v", target, err)
	}
	return inv
}

func tryBuild(target string) (*inventory.Inventory, error) {
	ctx := context.Background()
	art, err := source.Open(ctx, target, source.Options{})
	if err != nil {
		return nil, err
	}
	defer art.Close()
	return inventory.Build(ctx, art, inventory.Config{})
}

// expectedImage is testdata/images/debian.expected.json, written when the fixture was built.
type expectedImage struct {
	ManifestDigest string
	ConfigDigest   string
	Layers         []struct {
		Digest     string
		DiffID     string
		AddsDebs   []string
		PurgesDebs []string
		Whiteouts  []string
	}
	FinalDebs []string
}

func loadExpected(t testing.TB) expectedImage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, "images/debian.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedImage
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func find(inv *inventory.Inventory, name, version string) []*inventory.Package {
	var out []*inventory.Package
	for _, p := range inv.Packages {
		if p.Name == name && (version == "" || p.Version == version) {
			out = append(out, p)
		}
	}
	return out
}

// TestImageLayers checks every Debian package against the layer that installed it, in all
// three image formats, plus whiteouts, the distro and the language packages.
func TestImageLayers(t *testing.T) {
	want := loadExpected(t)
	for _, c := range []struct {
		target string
		digest string
		// docker-save archives identify layers by diff ID only.
		byDiffID bool
	}{
		{"images/debian-oci", want.ManifestDigest, false},
		{"images/debian.oci.tar", want.ManifestDigest, false},
		{"images/debian.docker.tar", want.ConfigDigest, true},
	} {
		t.Run(filepath.Base(c.target), func(t *testing.T) {
			inv := build(t, filepath.Join(fixtures, c.target))
			if inv.Subject.Kind != inventory.KindImage || inv.Subject.Digest != c.digest {
				t.Errorf("subject = %+v, want image %s", inv.Subject, c.digest)
			}
			if inv.Partial() {
				t.Errorf("unexpected errors: %+v", inv.Errors)
			}
			if inv.Distro == nil || inv.Distro.ID != "debian" || inv.Distro.VersionID != "12" {
				t.Errorf("distro = %+v, want debian 12", inv.Distro)
			}
			for i, l := range want.Layers {
				layerDigest := l.Digest
				if c.byDiffID {
					layerDigest = l.DiffID
				}
				for _, deb := range l.AddsDebs {
					f := strings.Fields(deb)
					ps := find(inv, f[0], f[1])
					if !slices.Contains(want.FinalDebs, deb) {
						if len(ps) != 0 {
							t.Errorf("%s was purged but is reported", deb)
						}
						continue
					}
					if len(ps) != 1 {
						t.Errorf("%s: found %d packages, want 1", deb, len(ps))
						continue
					}
					p := ps[0]
					if got := p.Locations[0].LayerDigest; got != layerDigest {
						t.Errorf("%s: layer %s, want layer %d %s", deb, got, i, layerDigest)
					}
					if p.Locations[0].LayerDiffID != l.DiffID {
						t.Errorf("%s: diff ID %s, want %s", deb, p.Locations[0].LayerDiffID, l.DiffID)
					}
					if p.Source == nil || p.Source.Name == "" || p.Source.Version == "" {
						t.Errorf("%s: no source package: %+v", deb, p.Source)
					}
					if !strings.HasPrefix(p.PURL, "pkg:deb/debian/"+f[0]+"@") || !strings.Contains(p.PURL, "distro=bookworm") {
						t.Errorf("%s: purl %s", deb, p.PURL)
					}
				}
			}
			// The third layer deleted node_modules/inherits; the lockfile still names it.
			for _, p := range find(inv, "inherits", "") {
				if strings.Contains(p.Locations[0].Path, "node_modules/inherits") {
					t.Errorf("whited-out package reported: %+v", p.Locations)
				}
			}
			if len(find(inv, "inherits", "2.0.4")) != 1 {
				t.Errorf("inherits from package-lock.json missing")
			}
			// Go binary: modules, main module and toolchain, in the second layer.
			for _, name := range []string{"golang.org/x/net", "github.com/google/uuid", "stdlib"} {
				ps := find(inv, name, "")
				if len(ps) != 1 || ps[0].Locations[0].Path != "usr/local/bin/app" {
					t.Errorf("%s: %+v", name, ps)
					continue
				}
				wantLayer := want.Layers[1].Digest
				if c.byDiffID {
					wantLayer = want.Layers[1].DiffID
				}
				if ps[0].Locations[0].LayerDigest != wantLayer {
					t.Errorf("%s: layer %s, want %s", name, ps[0].Locations[0].LayerDigest, wantLayer)
				}
			}
			if ps := find(inv, "urllib3", "1.26.12"); len(ps) != 1 || ps[0].Ecosystem != "PyPI" || !slices.Contains(ps[0].Licenses, "MIT") {
				t.Errorf("urllib3 egg-info: %+v", ps)
			}
		})
	}
}

// TestSourceTree checks one package per ecosystem of the source fixtures, with its location,
// and the dependency scopes the lockfiles record.
func TestSourceTree(t *testing.T) {
	inv := build(t, filepath.Join(fixtures, "src"))
	if inv.Partial() {
		t.Fatalf("unexpected errors: %+v", inv.Errors)
	}
	if !strings.HasPrefix(inv.Subject.Digest, "sha256:") || inv.Subject.Kind != inventory.KindDirectory {
		t.Errorf("subject = %+v", inv.Subject)
	}
	type want struct {
		eco, path, scope string
	}
	byPURL := map[string][]want{}
	for _, p := range inv.Packages {
		byPURL[p.PURL] = append(byPURL[p.PURL], want{p.Ecosystem, p.Locations[0].Path, p.Scope})
	}
	for _, c := range []struct {
		purl string
		want want
	}{
		{"pkg:npm/minimist@1.2.5", want{"npm", "node/lock-v3/package-lock.json", "direct"}},
		{"pkg:npm/minimist@1.2.5", want{"npm", "node/lock-v1/package-lock.json", ""}},
		{"pkg:npm/ms@2.1.2", want{"npm", "node/lock-v2/package-lock.json", "transitive"}},
		{"pkg:golang/golang.org/x/net@v0.7.0", want{"Go", "go/go.mod", "direct"}},
		{"pkg:cargo/serde@1.0.193", want{"crates.io", "rust/Cargo.lock", "direct"}},
		{"pkg:cargo/itoa@1.0.9", want{"crates.io", "rust/Cargo.lock", "transitive"}},
		{"pkg:gem/nokogiri@1.13.10", want{"RubyGems", "ruby/Gemfile.lock", "direct"}},
		{"pkg:gem/racc@1.7.3", want{"RubyGems", "ruby/Gemfile.lock", "transitive"}},
		{"pkg:composer/guzzlehttp/guzzle@7.8.0", want{"Packagist", "php/composer.lock", ""}},
	} {
		if !slices.Contains(byPURL[c.purl], c.want) {
			t.Errorf("%s: got %+v, want one %+v", c.purl, byPURL[c.purl], c.want)
		}
	}
	// Every ecosystem of the fixtures is present.
	ecos := map[string]int{}
	for _, p := range inv.Packages {
		ecos[p.Ecosystem]++
	}
	for _, e := range []string{"npm", "Go", "PyPI", "Maven", "crates.io", "RubyGems", "Packagist", "NuGet"} {
		if ecos[e] == 0 {
			t.Errorf("no %s packages (have %v)", e, ecos)
		}
	}
	// Dependency edges from the lockfiles: debug depends on ms in package-lock v3.
	ids := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		ids[p.ID] = p
	}
	var found bool
	for _, r := range inv.Relationships {
		from, to := ids[r.From], ids[r.To]
		if from != nil && to != nil && from.Name == "debug" && to.Name == "ms" && from.Locations[0].Path == "node/lock-v3/package-lock.json" {
			found = true
		}
	}
	if !found {
		t.Error("edge debug -> ms from node/lock-v3/package-lock.json missing")
	}
}

func TestOSPackageDatabases(t *testing.T) {
	for _, c := range []struct {
		root, name, version, eco, srcName string
	}{
		{"src/alpine", "libcrypto3", "3.3.2-r0", "Alpine:v3.20", "openssl"},
		{"src/rpmroot", "hallmark-fixture-hello", "1.0.2-3.el9", "", ""},
	} {
		t.Run(filepath.Base(c.root), func(t *testing.T) {
			inv := build(t, filepath.Join(fixtures, c.root))
			ps := find(inv, c.name, c.version)
			if len(ps) != 1 {
				t.Fatalf("%s %s: found %d", c.name, c.version, len(ps))
			}
			p := ps[0]
			if c.eco != "" && p.Ecosystem != c.eco {
				t.Errorf("ecosystem = %q, want %q", p.Ecosystem, c.eco)
			}
			if c.srcName != "" && (p.Source == nil || p.Source.Name != c.srcName) {
				t.Errorf("source = %+v, want %s", p.Source, c.srcName)
			}
			if len(p.Licenses) == 0 {
				t.Errorf("no licence for %s", c.name)
			}
		})
	}
}

func TestGoBinaryFile(t *testing.T) {
	inv := build(t, filepath.Join(fixtures, "bin/gobinary"))
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.PURL)
	}
	for _, w := range []string{"pkg:golang/github.com/google/uuid@v1.6.0", "pkg:golang/golang.org/x/net@v0.7.0"} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in %v", w, got)
		}
	}
	if ps := find(inv, "stdlib", ""); len(ps) != 1 || ps[0].Version == "" {
		t.Errorf("Go toolchain version missing: %+v", ps)
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		target  string
		err     error  // returned error, or
		fileErr string // a FileError containing this, with the rest still inventoried
	}{
		{target: "bad/docker-truncated.tar", err: source.ErrCorrupt},
		{target: "bad/oci-altered-blob", err: source.ErrCorrupt},
		{target: "bad/oci-truncated-blob", err: source.ErrCorrupt},
		{target: "bad/oci-path-traversal", err: source.ErrUnsafe},
		{target: "bad/zipslip.jar", err: inventory.ErrMalformed},
		{target: "bad/empty-lock", fileErr: "unexpected end of JSON input"},
		{target: "bad/notjson-lock", fileErr: "invalid character"},
		{target: "bad/truncated-lock", fileErr: "unexpected end of JSON input"},
		{target: "bad/nested-20.jar", fileErr: "nested too deeply"},
		{target: "bad/does-not-exist", err: source.ErrNotFound},
	} {
		t.Run(filepath.Base(c.target), func(t *testing.T) {
			inv, err := tryBuild(filepath.Join(fixtures, c.target))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				if !strings.Contains(err.Error(), filepath.Base(c.target)) {
					t.Errorf("error %q does not name the input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Message, c.fileErr) || inv.Errors[0].Path == "" {
				t.Errorf("errors = %+v, want one naming the file with %q", inv.Errors, c.fileErr)
			}
		})
	}
}

func TestDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 512 MiB of zeros")
	}
	_, err := tryBuild(filepath.Join(fixtures, "bad/oci-gzip-bomb"))
	if !errors.Is(err, source.ErrLimit) || !strings.Contains(err.Error(), "decompression bomb") {
		t.Fatalf("err = %v, want a decompression-bomb limit error", err)
	}
}

// TestPartialTree: one malformed lockfile among good ones is reported, the rest inventoried.
func TestPartialTree(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(fixtures, "src/node/lock-v3/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "good"), 0o755)
	os.MkdirAll(filepath.Join(dir, "bad"), 0o755)
	os.WriteFile(filepath.Join(dir, "good/package-lock.json"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "bad/package-lock.json"), []byte(`{"lockfileVersion": 3, "packages": {`), 0o644)
	inv := build(t, dir)
	if len(find(inv, "minimist", "1.2.5")) != 1 {
		t.Errorf("packages of the good lockfile missing")
	}
	var paths []string
	for _, e := range inv.Errors {
		paths = append(paths, e.Path)
	}
	if diff := cmp.Diff([]string{"bad/package-lock.json"}, slices.Compact(paths)); diff != "" {
		t.Errorf("error paths (-want +got):\n%s", diff)
	}
}

func TestDeterministic(t *testing.T) {
	a := build(t, filepath.Join(fixtures, "images/debian-oci"))
	b := build(t, filepath.Join(fixtures, "images/debian-oci"))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two builds differ (-first +second):\n%s", diff)
	}
}

// TestOSOwnedDeclarationsDropped: a lockfile that a Debian package installed describes how that
// package's upstream was developed; it is not reported, while the same lockfile elsewhere is.
func TestOSOwnedDeclarationsDropped(t *testing.T) {
	root := t.TempDir()
	lock, err := os.ReadFile(filepath.Join(fixtures, "src/node/lock-v3/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"usr/share/doc/node-thing/package-lock.json", "srv/app/package-lock.json"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), lock, 0o644)
	}
	os.MkdirAll(filepath.Join(root, "var/lib/dpkg/info"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/info/node-thing.list"), []byte("/.\n/usr/share/doc/node-thing\n/usr/share/doc/node-thing/package-lock.json\n"), 0o644)
	inv := build(t, root)
	var paths []string
	for _, p := range find(inv, "minimist", "1.2.5") {
		paths = append(paths, p.Locations[0].Path)
	}
	if diff := cmp.Diff([]string{"srv/app/package-lock.json"}, paths); diff != "" {
		t.Errorf("minimist locations (-want +got):\n%s", diff)
	}
}

// TestEveryFormat: each fixture file of each supported format yields packages, with a sample
// package that must come from it.
func TestEveryFormat(t *testing.T) {
	inv := build(t, filepath.Join(fixtures, "src"))
	byPath := map[string][]string{}
	for _, p := range inv.Packages {
		for _, l := range p.Locations {
			byPath[l.Path] = append(byPath[l.Path], p.Name+"@"+p.Version)
		}
	}
	for _, c := range []struct{ path, sample string }{
		{"go/go.mod", "golang.org/x/text@v0.7.0"},
		{"node/lock-v1/package-lock.json", "minimist@1.2.5"},
		{"node/lock-v2/package-lock.json", "minimist@1.2.5"},
		{"node/lock-v3/package-lock.json", "minimist@1.2.5"},
		{"node/yarn-v1/yarn.lock", "minimist@1.2.5"},
		{"node/yarn-berry/yarn.lock", "minimist@1.2.5"},
		{"node/pnpm/pnpm-lock.yaml", "minimist@1.2.5"},
		{"node/installed/node_modules/minimist/package.json", "minimist@1.2.5"},
		{"python/requirements.txt", ""},
		{"python/poetry.lock", ""},
		{"python/Pipfile.lock", ""},
		{"python/uv.lock", ""},
		{"python/site-packages/requests-2.28.1.egg-info/PKG-INFO", "requests@2.28.1"},
		{"python/site-packages/attrs-22.2.0.dist-info/METADATA", "attrs@22.2.0"},
		{"java/pom.xml", ""},
		{"java/gradle.lockfile", ""},
		{"java/lib/commons-cli-1.5.0.jar", "commons-cli:commons-cli@1.5.0"},
		{"java/app.war", "commons-cli:commons-cli@1.5.0"},
		{"rust/Cargo.lock", "serde@1.0.193"},
		{"ruby/Gemfile.lock", "nokogiri@1.13.10"},
		{"php/composer.lock", "guzzlehttp/guzzle@7.8.0"},
		{"dotnet/packages.lock.json", ""},
	} {
		got := byPath[c.path]
		if len(got) == 0 {
			t.Errorf("%s: no packages", c.path)
			continue
		}
		if c.sample != "" && !slices.Contains(got, c.sample) {
			t.Errorf("%s: %s missing from %v", c.path, c.sample, got)
		}
	}
}

// TestJarLicensesFromPOM: a jar's licences come from the pom.xml it carries.
func TestJarLicensesFromPOM(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
	add("META-INF/maven/org.example/widget/pom.properties", "groupId=org.example\nartifactId=widget\nversion=1.2.3\n")
	add("META-INF/maven/org.example/widget/pom.xml", `<project xmlns="http://maven.apache.org/POM/4.0.0"><groupId>org.example</groupId><artifactId>widget</artifactId><version>1.2.3</version>
<licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses></project>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	jar := filepath.Join(dir, "widget-1.2.3.jar")
	if err := os.WriteFile(jar, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := build(t, jar)
	ps := find(inv, "org.example:widget", "1.2.3")
	if len(ps) != 1 {
		t.Fatalf("packages = %+v", inv.Packages)
	}
	if diff := cmp.Diff([]string{"Apache-2.0"}, ps[0].Licenses); diff != "" {
		t.Errorf("licences (-want +got):\n%s", diff)
	}
}
