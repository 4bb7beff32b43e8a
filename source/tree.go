package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Tree is the squashed filesystem of an image: every layer applied in order, whiteouts and
// opaque directories honoured. It keeps the metadata of every entry but the content only of the
// files the caller wanted (see SquashOptions.Want), so an image is read once, in one pass.
//
// Tree implements fs.FS, fs.ReadDirFS and fs.StatFS. Symbolic links are resolved inside the
// tree, as a container runtime does with the image as its root: an absolute target starts at
// the image root and ".." stops there, so no path ever reaches the host filesystem.
type Tree struct {
	root     *node
	layers   []Layer
	maxHops  int
	problems []Problem
}

// Problem is a file in the tree that could not be kept or read.
type Problem struct {
	Path  string
	Layer int // index into Layers, -1 when not layer-specific
	Err   error
}

// Version is one layer's copy of a file.
type Version struct {
	Layer int
	Size  int64
	blob  *blob
}

type node struct {
	name     string
	typ      byte // 'd' directory, 'f' regular, 'l' symlink, 'o' other
	mode     fs.FileMode
	size     int64
	mtime    time.Time
	link     string
	layer    int
	blob     *blob
	history  []Version // earlier retained copies of this path, oldest first
	children map[string]*node
}

// blob is retained file content: small ones in memory, large ones in a temporary file.
type blob struct {
	data []byte
	file string
	size int64
}

func (b *blob) open() (readSeekReaderAt, error) {
	if b.file == "" {
		return memReader{bytes.NewReader(b.data)}, nil
	}
	return os.Open(b.file)
}

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }

type readSeekReaderAt interface {
	io.Reader
	io.Seeker
	io.ReaderAt
	io.Closer
}

func newTree(layers []Layer, maxHops int) *Tree {
	return &Tree{root: &node{typ: 'd', mode: fs.ModeDir | 0o755, layer: -1, children: map[string]*node{}}, layers: layers, maxHops: maxHops}
}

// Layers returns the image's layers, in order.
func (t *Tree) Layers() []Layer { return t.layers }

// Problems lists files that were wanted but could not be kept.
func (t *Tree) Problems() []Problem { return t.problems }

// LayerOf returns the index of the layer that last wrote the file at p (without following a
// final symlink), or -1.
func (t *Tree) LayerOf(p string) int {
	n := t.lookupNoFollow(p)
	if n == nil {
		return -1
	}
	return n.layer
}

// History returns every retained copy of the file at p, oldest first, the current one last.
func (t *Tree) History(p string) []Version {
	n := t.lookupNoFollow(p)
	if n == nil || n.typ != 'f' || n.blob == nil {
		return nil
	}
	return append(slices.Clone(n.history), Version{Layer: n.layer, Size: n.size, blob: n.blob})
}

// OpenVersion opens one copy of a file returned by History.
func (t *Tree) OpenVersion(v Version) (io.ReadCloser, error) { return v.blob.open() }

// Files calls fn for every regular file whose content was retained, in path order.
func (t *Tree) Files(fn func(p string, info fs.FileInfo) error) error {
	return t.walk(t.root, "", fn)
}

func (t *Tree) walk(n *node, p string, fn func(string, fs.FileInfo) error) error {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		c := n.children[k]
		cp := k
		if p != "" {
			cp = p + "/" + k
		}
		switch c.typ {
		case 'd':
			if err := t.walk(c, cp, fn); err != nil {
				return err
			}
		case 'f':
			if c.blob != nil {
				if err := fn(cp, fileInfo{c}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// lookupNoFollow finds p, following symlinks in its directories but not the last element.
func (t *Tree) lookupNoFollow(p string) *node {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return t.root
	}
	dir, base := path.Split(p)
	d, err := t.resolve(strings.TrimSuffix(dir, "/"), true)
	if err != nil || d.typ != 'd' {
		return nil
	}
	return d.children[base]
}

// resolve walks p from the root, following symlinks (also the last element when follow is
// set), confined to the tree.
func (t *Tree) resolve(p string, follow bool) (*node, error) {
	hops := 0
	var walk func(parts []string, follow bool) (*node, []string, error)
	// walk returns the node and its canonical path components.
	walk = func(parts []string, follow bool) (*node, []string, error) {
		cur := t.root
		var curPath []string
		for i, part := range parts {
			switch part {
			case "", ".":
				continue
			case "..":
				if len(curPath) > 0 {
					curPath = curPath[:len(curPath)-1]
				}
				var err error
				cur, _, err = walk(curPath, false)
				if err != nil {
					return nil, nil, err
				}
				continue
			}
			if cur.typ != 'd' {
				return nil, nil, fs.ErrNotExist
			}
			next, ok := cur.children[part]
			if !ok {
				return nil, nil, fs.ErrNotExist
			}
			last := i == len(parts)-1
			if next.typ == 'l' && (!last || follow) {
				hops++
				if hops > t.maxHops {
					return nil, nil, fmt.Errorf("more than %d symbolic links: %w", t.maxHops, ErrLimit)
				}
				target := next.link
				var base []string
				if !strings.HasPrefix(target, "/") {
					base = slices.Clone(curPath)
				}
				n, np, err := walk(append(base, strings.Split(target, "/")...), true)
				if err != nil {
					return nil, nil, err
				}
				cur, curPath = n, np
				continue
			}
			cur = next
			curPath = append(curPath, part)
		}
		return cur, curPath, nil
	}
	n, _, err := walk(strings.Split(p, "/"), follow)
	return n, err
}

func fsName(op, name string) (string, error) {
	if name == "." {
		return "", nil
	}
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return name, nil
}

// Open implements fs.FS.
func (t *Tree) Open(name string) (fs.File, error) {
	p, err := fsName("open", name)
	if err != nil {
		return nil, err
	}
	n, err := t.resolve(p, true)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	switch n.typ {
	case 'd':
		return &dirFile{t: t, n: n, name: name}, nil
	case 'f':
		if n.blob == nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRetained}
		}
		r, err := n.blob.open()
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeFile{readSeekReaderAt: r, n: n}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
}

// errNotRetained is returned when opening a file whose content nobody asked for.
var errNotRetained = fmt.Errorf("content not retained by the image reader: %w", fs.ErrNotExist)

// Stat implements fs.StatFS (following symlinks).
func (t *Tree) Stat(name string) (fs.FileInfo, error) {
	p, err := fsName("stat", name)
	if err != nil {
		return nil, err
	}
	n, err := t.resolve(p, true)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fileInfo{n}, nil
}

// ReadDir implements fs.ReadDirFS.
func (t *Tree) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := fsName("readdir", name)
	if err != nil {
		return nil, err
	}
	n, err := t.resolve(p, true)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	if n.typ != 'd' {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return n.entries(), nil
}

func (n *node) entries() []fs.DirEntry {
	out := make([]fs.DirEntry, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, fs.FileInfoToDirEntry(fileInfo{c}))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

type fileInfo struct{ n *node }

func (fi fileInfo) Name() string {
	if fi.n.name == "" {
		return "."
	}
	return fi.n.name
}
func (fi fileInfo) Size() int64        { return fi.n.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.n.mode }
func (fi fileInfo) ModTime() time.Time { return fi.n.mtime }
func (fi fileInfo) IsDir() bool        { return fi.n.typ == 'd' }
func (fi fileInfo) Sys() any           { return nil }

type treeFile struct {
	readSeekReaderAt
	n *node
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return fileInfo{f.n}, nil }

type dirFile struct {
	t    *Tree
	n    *node
	name string
	rest []fs.DirEntry
	read bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return fileInfo{d.n}, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		d.rest = d.n.entries()
		d.read = true
	}
	if n <= 0 {
		out := d.rest
		d.rest = nil
		return out, nil
	}
	if len(d.rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.rest))
	out := d.rest[:n]
	d.rest = d.rest[n:]
	return out, nil
}
