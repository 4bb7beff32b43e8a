package source

import (
	"archive/tar"
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"
)

// WantFunc says whether the content of a file is needed. It is called concurrently, with the
// slash-separated path relative to the image root and the file's metadata from the layer.
type WantFunc func(p string, info fs.FileInfo) bool

// SquashOptions configures Image.Squash.
type SquashOptions struct {
	// Want selects the files whose content is kept. Nil keeps nothing.
	Want WantFunc
	// Progress, when set, is called after each layer is read with the number of layers done.
	Progress func(done, total int, layer Layer)
}

// Squash reads every layer once (several at a time), verifies each against its digests, and
// returns the squashed filesystem. A layer that is truncated, does not match its digest,
// escapes the root or exceeds a limit is an error naming the image and the layer: hallmark does
// not describe a damaged image as if it were complete.
func (im *Image) Squash(ctx context.Context, opts SquashOptions) (*Tree, error) {
	if im.tmpDir == "" {
		d, err := os.MkdirTemp("", "hallmark-img-")
		if err != nil {
			return nil, err
		}
		im.tmpDir = d
	}
	lim := im.limits
	results := make([]*layerResult, len(im.Layers))
	var total atomic.Int64
	var entries atomic.Int64
	var done atomic.Int32
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, runtime.GOMAXPROCS(0)))
	// Start the largest layers first: they decide when the last one finishes. Results are
	// applied in layer order afterwards.
	order := make([]int, len(im.Layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(im.Layers[b].Size, im.Layers[a].Size) })
	for _, i := range order {
		g.Go(func() error {
			r, err := im.readLayer(gctx, i, opts.Want, lim, &total, &entries)
			if err != nil {
				return fmt.Errorf("%s: layer %d (%s): %w", im.Ref, i+1, im.Layers[i].Digest, err)
			}
			results[i] = r
			if opts.Progress != nil {
				opts.Progress(int(done.Add(1)), len(im.Layers), im.Layers[i])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	t := newTree(im.Layers, lim.MaxSymlinkHops)
	for i, r := range results {
		t.apply(i, r)
	}
	return t, nil
}

type layerEntry struct {
	path  string
	typ   byte // as node.typ, plus 'h' for hard links
	mode  fs.FileMode
	size  int64
	mtime time.Time
	link  string
	blob  *blob
	want  bool
}

type layerResult struct {
	entries   []layerEntry
	whiteouts []string
	opaques   []string
	problems  []Problem
}

// countingReader counts bytes and enforces a ceiling.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	check func() error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		return n, fmt.Errorf("more than %d bytes: %w", c.limit, ErrLimit)
	}
	if c.check != nil {
		if cerr := c.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func (im *Image) readLayer(ctx context.Context, idx int, want WantFunc, lim Limits, total, entries *atomic.Int64) (*layerResult, error) {
	l := im.Layers[idx]
	var (
		raw        io.ReadCloser
		err        error
		compressed *countingReader
		compHash   hash.Hash
	)
	switch {
	case l.open != nil:
		raw, err = l.open()
	case l.verifyCompressed:
		raw, err = l.layer.Compressed()
	default:
		raw, err = l.layer.Uncompressed()
	}
	if err != nil {
		return nil, fmt.Errorf("opening: %v: %w", err, ErrCorrupt)
	}
	defer raw.Close()
	var src io.Reader = raw
	if l.verifyCompressed {
		compHash = sha256.New()
		compressed = &countingReader{r: io.TeeReader(raw, compHash)}
		src = compressed
	}
	br := bufio.NewReaderSize(src, 1<<16)
	magic, _ := br.Peek(4)
	var dec io.Reader = br
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %v: %w", err, ErrCorrupt)
		}
		defer zr.Close()
		dec = zr
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %v: %w", err, ErrCorrupt)
		}
		defer zr.Close()
		dec = zr
	}
	// The uncompressed stream is hashed only when nothing else vouches for it: a verified
	// compressed blob determines its uncompressed content, so hashing that again (the diff ID)
	// would cost ~15% of the CPU of reading an image and prove nothing more.
	var diffHash hash.Hash
	var unsrc io.Reader = dec
	if compHash == nil {
		diffHash = sha256.New()
		unsrc = io.TeeReader(dec, diffHash)
	}
	un := &countingReader{r: unsrc, limit: lim.MaxLayerBytes}
	// Decompression-bomb guard: once past the grace size, the expansion ratio must stay sane.
	// It runs on every read, so a single huge entry is caught as early as a thousand small ones.
	ratioGuard := func() error {
		if compressed == nil || un.n < lim.RatioGrace || compressed.n == 0 {
			return nil
		}
		if un.n/compressed.n > lim.MaxRatio {
			return fmt.Errorf("expands %d:1 (limit %d:1), a decompression bomb: %w", un.n/compressed.n, lim.MaxRatio, ErrLimit)
		}
		return nil
	}
	un.check = ratioGuard
	res := &layerResult{}
	tr := tar.NewReader(un)
	var lastTotal int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, layerReadErr(err)
		}
		if entries.Add(1) > int64(lim.MaxEntries) {
			return nil, fmt.Errorf("more than %d entries in the image: %w", lim.MaxEntries, ErrLimit)
		}
		if err := ratioGuard(); err != nil {
			return nil, err
		}
		if t := total.Add(un.n - lastTotal); t > lim.MaxImageBytes {
			return nil, fmt.Errorf("image expands to more than %d bytes: %w", lim.MaxImageBytes, ErrLimit)
		}
		lastTotal = un.n
		p, err := cleanEntryName(h.Name, lim)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", h.Name, err)
		}
		if p == "" {
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if base == ".wh..wh..opq" {
			res.opaques = append(res.opaques, dir)
			continue
		}
		if name, ok := strings.CutPrefix(base, ".wh."); ok {
			res.whiteouts = append(res.whiteouts, path.Join(dir, name))
			continue
		}
		e := layerEntry{path: p, mode: h.FileInfo().Mode(), size: h.Size, mtime: h.ModTime}
		switch h.Typeflag {
		case tar.TypeDir:
			e.typ = 'd'
		case tar.TypeReg, tar.TypeRegA:
			e.typ = 'f'
		case tar.TypeSymlink:
			e.typ = 'l'
			e.link = h.Linkname
		case tar.TypeLink:
			lp, err := cleanEntryName(h.Linkname, lim)
			if err != nil {
				return nil, fmt.Errorf("hard link %q -> %q: %w", h.Name, h.Linkname, err)
			}
			e.typ = 'h'
			e.link = lp
			e.mode = e.mode &^ fs.ModeType
		default:
			e.typ = 'o'
		}
		if (e.typ == 'f' || e.typ == 'h') && want != nil && want(p, headerInfo{h: h, name: base}) {
			e.want = true
			if e.typ == 'f' {
				if h.Size > lim.MaxRetainedFile {
					res.problems = append(res.problems, Problem{Path: p, Layer: idx,
						Err: fmt.Errorf("%d bytes, over the %d-byte limit for files read by extractors: %w", h.Size, lim.MaxRetainedFile, ErrLimit)})
				} else {
					b, err := im.retain(tr, h.Size)
					if err != nil {
						return nil, layerReadErr(err)
					}
					e.blob = b
				}
			}
		}
		res.entries = append(res.entries, e)
	}
	if err := ratioGuard(); err != nil {
		return nil, err
	}
	// Drain so the digests cover the whole blob (tar padding, trailing zeros).
	if _, err := io.Copy(io.Discard, un); err != nil {
		return nil, layerReadErr(err)
	}
	if diffHash != nil {
		if got := "sha256:" + hex.EncodeToString(diffHash.Sum(nil)); got != l.DiffID {
			return nil, fmt.Errorf("uncompressed content has digest %s, the config says %s: %w", got, l.DiffID, ErrCorrupt)
		}
	}
	if compHash != nil {
		if _, err := io.Copy(io.Discard, br); err != nil {
			return nil, layerReadErr(err)
		}
		if got := "sha256:" + hex.EncodeToString(compHash.Sum(nil)); got != l.Digest {
			return nil, fmt.Errorf("blob has digest %s, the manifest says %s: %w", got, l.Digest, ErrCorrupt)
		}
	}
	return res, nil
}

func layerReadErr(err error) error {
	if errors.Is(err, ErrLimit) || errors.Is(err, ErrCorrupt) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", ErrCorrupt)
	}
	return fmt.Errorf("%v: %w", err, ErrCorrupt)
}

// memBlobMax is the largest content kept in memory; larger files go to a temporary file.
const memBlobMax = 256 << 10

var blobSeq atomic.Int64

func (im *Image) retain(r io.Reader, size int64) (*blob, error) {
	if size <= memBlobMax {
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return &blob{data: b, size: size}, nil
	}
	name := filepath.Join(im.tmpDir, fmt.Sprintf("b%d", blobSeq.Add(1)))
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, io.ErrUnexpectedEOF
	}
	return &blob{file: name, size: size}, nil
}

// headerInfo adapts a tar header to fs.FileInfo for WantFunc.
type headerInfo struct {
	h    *tar.Header
	name string
}

func (hi headerInfo) Name() string       { return hi.name }
func (hi headerInfo) Size() int64        { return hi.h.Size }
func (hi headerInfo) Mode() fs.FileMode  { return hi.h.FileInfo().Mode() &^ fs.ModeType }
func (hi headerInfo) ModTime() time.Time { return hi.h.ModTime }
func (hi headerInfo) IsDir() bool        { return false }
func (hi headerInfo) Sys() any           { return nil }

// apply lays layer idx over the tree: first its whiteouts and opaque markers remove what lower
// layers put there, then its entries are added.
func (t *Tree) apply(idx int, r *layerResult) {
	for _, d := range r.opaques {
		if n := t.dirNoCreate(d); n != nil {
			for k, c := range n.children {
				if c.layer < idx {
					delete(n.children, k)
				}
			}
		}
	}
	for _, w := range r.whiteouts {
		dir, base := path.Split(w)
		if n := t.dirNoCreate(strings.TrimSuffix(dir, "/")); n != nil {
			if c, ok := n.children[base]; ok && c.layer < idx {
				delete(n.children, base)
			}
		}
	}
	for _, p := range r.problems {
		t.problems = append(t.problems, p)
	}
	for i := range r.entries {
		e := &r.entries[i]
		dir, base := path.Split(e.path)
		parent := t.mkdirAll(strings.TrimSuffix(dir, "/"), idx)
		old := parent.children[base]
		if e.typ == 'd' {
			if old != nil && old.typ == 'd' {
				old.mode, old.mtime = e.mode, e.mtime
				continue
			}
			parent.children[base] = &node{name: base, typ: 'd', mode: e.mode, mtime: e.mtime, layer: idx, children: map[string]*node{}}
			continue
		}
		n := &node{name: base, typ: e.typ, mode: e.mode, size: e.size, mtime: e.mtime, link: e.link, layer: idx, blob: e.blob}
		if e.typ == 'h' {
			// A hard link shares the content of an earlier entry of this or a lower layer.
			n.typ = 'f'
			n.link = ""
			target := t.lookupNoFollow(e.link)
			switch {
			case target != nil && target.typ == 'f':
				n.size, n.blob = target.size, target.blob
				if n.blob == nil && e.want {
					t.problems = append(t.problems, Problem{Path: e.path, Layer: idx,
						Err: fmt.Errorf("hard link to %s, whose content was not kept", e.link)})
				}
			default:
				t.problems = append(t.problems, Problem{Path: e.path, Layer: idx,
					Err: fmt.Errorf("hard link to %s, which does not exist: %w", e.link, ErrCorrupt)})
				continue
			}
		}
		if old != nil && old.typ == 'f' && old.blob != nil && n.blob != nil {
			n.history = append(old.history, Version{Layer: old.layer, Size: old.size, blob: old.blob})
		}
		parent.children[base] = n
	}
}

// dirNoCreate returns the directory node at p without creating or following anything.
func (t *Tree) dirNoCreate(p string) *node {
	n := t.root
	if p == "" {
		return n
	}
	for _, part := range strings.Split(p, "/") {
		c, ok := n.children[part]
		if !ok || c.typ != 'd' {
			return nil
		}
		n = c
	}
	return n
}

// mkdirAll returns the directory at p, creating missing ones (a layer may list a file before,
// or without, its directory). A non-directory in the way is replaced, as tar extraction does.
func (t *Tree) mkdirAll(p string, idx int) *node {
	n := t.root
	if p == "" {
		return n
	}
	for _, part := range strings.Split(p, "/") {
		c, ok := n.children[part]
		if !ok || c.typ != 'd' {
			c = &node{name: part, typ: 'd', mode: fs.ModeDir | 0o755, layer: idx, children: map[string]*node{}}
			n.children[part] = c
		}
		n = c
	}
	return n
}
