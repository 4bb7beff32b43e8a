package source

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// FuzzSquash feeds arbitrary bytes to the layer reader as one uncompressed layer, then walks,
// stats, lists and opens everything in the resulting tree (resolving symlinks). Nothing may
// panic or hang; errors must carry one of the package's sentinel kinds.
func FuzzSquash(f *testing.F) {
	f.Add(tarBytes(f, []entry{file("etc/os-release", "ID=x\n"), symlink("a", "/etc/os-release")}))
	f.Add(tarBytes(f, []entry{dir("d"), file("d/.wh..wh..opq", ""), file("d/x", "1"), file(".wh.d", "")}))
	f.Add(tarBytes(f, []entry{symlink("loop", "loop"), symlink("a", "b"), symlink("b", "a"), file("c", "c")}))
	f.Add(tarBytes(f, []entry{symlink("up", "../../../../"), file("f", "f"), {name: "h", link: "f", typ: tar.TypeLink}}))
	f.Add(tarBytes(f, []entry{file("../evil", "x")}))
	f.Add([]byte("not a tar at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			return
		}
		diff, err := l.DiffID()
		if err != nil {
			return
		}
		lim := DefaultLimits
		lim.MaxEntries = 10000
		lim.MaxLayerBytes = 8 << 20
		im := &Image{Ref: "fuzz", limits: lim, tmpDir: t.TempDir(),
			Layers: []Layer{{Digest: diff.String(), DiffID: diff.String(), layer: l}}}
		tree, err := im.Squash(context.Background(), SquashOptions{Want: func(string, fs.FileInfo) bool { return true }})
		if err != nil {
			return
		}
		_ = fs.WalkDir(tree, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if _, err := tree.Stat(p); err != nil {
				return nil
			}
			if !d.IsDir() {
				if b, err := fs.ReadFile(tree, p); err == nil && int64(len(b)) > lim.MaxLayerBytes {
					t.Fatalf("%s: read %d bytes from an %d-byte layer", p, len(b), len(data))
				}
			}
			return nil
		})
		_ = tree.Files(func(p string, _ fs.FileInfo) error {
			tree.History(p)
			tree.LayerOf(p)
			return nil
		})
	})
}

func FuzzCleanEntryName(f *testing.F) {
	for _, s := range []string{"a/b", "/abs", "../x", "a/../../b", "./a", "a\\..\\b", "a\x00b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := cleanEntryName(name, DefaultLimits)
		if err != nil {
			return
		}
		for _, part := range bytes.Split([]byte(c), []byte("/")) {
			if string(part) == ".." {
				t.Fatalf("cleanEntryName(%q) = %q climbs out", name, c)
			}
		}
		if len(c) > 0 && c[0] == '/' {
			t.Fatalf("cleanEntryName(%q) = %q is absolute", name, c)
		}
	})
}
