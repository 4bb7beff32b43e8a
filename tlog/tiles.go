package tlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// Size limits of what a log may serve (c2sp.org/tlog-tiles): a full tile is 256 hashes, a
// full entry bundle 256 entries of at most 65535 bytes, each behind a 2-byte length.
const (
	maxTileSize   = layout.TileWidth * sha256.Size
	maxBundleSize = layout.EntryBundleWidth * (2 + 0xffff)
	maxTileLevel  = 63
)

// Fetcher reads a C2SP tlog-tiles log (c2sp.org/tlog-tiles): the checkpoint, hash tiles and
// entry bundles, by tile coordinates. p is the partial width (1..255) the caller expects, 0
// for a full tile; when a partial resource is gone (the tile has since filled up) a Fetcher
// returns the full one instead. Missing resources give ErrNotFound, other failures
// ErrLogFetch. A Fetcher only reads: Client verifies what it returns.
type Fetcher interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// NewHTTPFetcher returns a Fetcher for the log whose tlog-tiles prefix is baseURL (paths
// checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>] are resolved below it, as
// tessera's api/layout spells them). hc nil means http.DefaultClient; cancel or time out
// requests with ctx. HTTP 404 gives ErrNotFound; any other status than 200, a transport error
// or a response over the size limit of its kind gives ErrLogFetch naming the URL.
func NewHTTPFetcher(baseURL string, hc *http.Client) (Fetcher, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: log URL %q: %v", ErrLogFetch, baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: log URL %q is not an http(s) URL", ErrLogFetch, baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	base := *u
	base.RawQuery, base.Fragment = "", ""
	if len(base.Path) == 0 || base.Path[len(base.Path)-1] != '/' {
		base.Path += "/"
		base.RawPath = ""
	}
	return &httpFetcher{base: &base, hc: hc}, nil
}

type httpFetcher struct {
	base *url.URL
	hc   *http.Client
}

func (f *httpFetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return f.get(ctx, layout.CheckpointPath, MaxCheckpointSize)
}

func (f *httpFetcher) ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	if level > maxTileLevel {
		return nil, fmt.Errorf("%w: tile level %d is beyond %d", ErrNotFound, level, maxTileLevel)
	}
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return f.get(ctx, layout.TilePath(level, index, p), maxTileSize)
	})
}

func (f *httpFetcher) ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return f.get(ctx, layout.EntriesPath(index, p), maxBundleSize)
	})
}

func (f *httpFetcher) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	u := f.base.ResolveReference(&url.URL{Path: path})
	where := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrLogFetch, where, err)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		// %w twice: callers can tell a cancelled context from a network failure.
		return nil, fmt.Errorf("%w: GET %s: %w", ErrLogFetch, where, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, fmt.Errorf("%w: GET %s: HTTP 404", ErrNotFound, where)
	default:
		return nil, fmt.Errorf("%w: GET %s: HTTP %s", ErrLogFetch, where, resp.Status)
	}
	body, err := readLimited(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %w", ErrLogFetch, where, err)
	}
	return body, nil
}

// NewDirFetcher returns a Fetcher for a tlog-tiles log laid out on disk under dir, as
// tessera's POSIX storage writes it (and as the tessera test log is shipped). A missing file
// gives ErrNotFound, any other failure ErrLogFetch naming the file.
func NewDirFetcher(dir string) Fetcher { return dirFetcher{dir: dir} }

type dirFetcher struct{ dir string }

func (f dirFetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return f.read(ctx, layout.CheckpointPath, MaxCheckpointSize)
}

func (f dirFetcher) ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	if level > maxTileLevel {
		return nil, fmt.Errorf("%w: tile level %d is beyond %d", ErrNotFound, level, maxTileLevel)
	}
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return f.read(ctx, layout.TilePath(level, index, p), maxTileSize)
	})
}

func (f dirFetcher) ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return f.read(ctx, layout.EntriesPath(index, p), maxBundleSize)
	})
}

func (f dirFetcher) read(ctx context.Context, path string, limit int64) ([]byte, error) {
	name := filepath.Join(f.dir, filepath.FromSlash(path))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLogFetch, name, err)
	}
	file, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLogFetch, err)
	}
	defer file.Close()
	data, err := readLimited(file, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrLogFetch, name, err)
	}
	return data, nil
}

// readLimited reads r to the end, failing if it holds more than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response over the %d byte limit", limit)
	}
	return data, nil
}

// partialOrFull reads the partial resource of width p and, if it no longer exists, the full
// one: tlog-tiles logs may delete partial tiles once the full tile is published.
func partialOrFull(p uint8, read func(p uint8) ([]byte, error)) ([]byte, error) {
	data, err := read(p)
	if p == 0 || !errors.Is(err, ErrNotFound) {
		return data, err
	}
	full, ferr := read(0)
	if ferr == nil || !errors.Is(ferr, ErrNotFound) {
		return full, ferr
	}
	return nil, err
}

// tileWidth is the number of hashes or entries in a tile or bundle of partial width p.
func tileWidth(p uint8) int {
	if p == 0 {
		return layout.TileWidth
	}
	return int(p)
}

// ParseTile parses a hash tile (c2sp.org/tlog-tiles: concatenated 32-byte hashes) that must
// hold width hashes (1..256). A full tile is accepted for a partial width, as a Fetcher
// serves one when the partial tile is gone; only the first width hashes are returned.
// Errors wrap ErrLogMalformed.
func ParseTile(raw []byte, width int) ([][]byte, error) {
	if width < 1 || width > layout.TileWidth {
		return nil, fmt.Errorf("%w: tile width %d is not 1..%d", ErrLogMalformed, width, layout.TileWidth)
	}
	var t api.HashTile
	if err := t.UnmarshalText(raw); err != nil {
		return nil, fmt.Errorf("%w: tile of %d bytes: %v", ErrLogMalformed, len(raw), err)
	}
	if n := len(t.Nodes); n != width && n != layout.TileWidth {
		return nil, fmt.Errorf("%w: tile has %d hashes, want %d", ErrLogMalformed, n, width)
	}
	return t.Nodes[:width], nil
}

// ParseEntryBundle parses an entry bundle (c2sp.org/tlog-tiles: each entry a big-endian
// uint16 length, then that many bytes) that must hold width entries (1..256). A full bundle
// is accepted for a partial width, as for ParseTile. Errors wrap ErrLogMalformed.
func ParseEntryBundle(raw []byte, width int) ([][]byte, error) {
	if width < 1 || width > layout.EntryBundleWidth {
		return nil, fmt.Errorf("%w: bundle width %d is not 1..%d", ErrLogMalformed, width, layout.EntryBundleWidth)
	}
	var b api.EntryBundle
	if err := b.UnmarshalText(raw); err != nil {
		return nil, fmt.Errorf("%w: entry bundle of %d bytes: %v", ErrLogMalformed, len(raw), err)
	}
	if n := len(b.Entries); n != width && n != layout.EntryBundleWidth {
		return nil, fmt.Errorf("%w: entry bundle has %d entries, want %d", ErrLogMalformed, n, width)
	}
	return b.Entries[:width], nil
}

// Client reads and verifies a tlog-tiles log: every checkpoint is verified with the log key,
// and everything read for a checkpoint (proofs, entries, tree borders) is checked against its
// root before it is returned. A Client holds no state between calls; it is safe for
// concurrent use if its Fetcher is.
type Client struct {
	f   Fetcher
	key *LogKey
}

// NewClient returns a Client reading the log through f and trusting checkpoints signed by key.
func NewClient(f Fetcher, key *LogKey) *Client { return &Client{f: f, key: key} }

// Checkpoint reads the log's current checkpoint and verifies it (OpenCheckpoint).
func (c *Client) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	raw, err := c.f.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	return OpenCheckpoint(raw, c.key)
}

// InclusionProof builds, from the log's tiles, the inclusion proof of entry index in the tree
// of cp. Before returning it, it checks that the proof verifies for the leaf hash the tiles
// hold at index, so a proof that does not verify against cp means the entry (not the log's
// tiles) is wrong.
func (c *Client) InclusionProof(ctx context.Context, index uint64, cp *Checkpoint) ([][]byte, error) {
	if err := checkIndex(index, cp); err != nil {
		return nil, err
	}
	return c.inclusionProof(ctx, c.tiles(cp), index, cp)
}

func (c *Client) inclusionProof(ctx context.Context, tr *tileReader, index uint64, cp *Checkpoint) ([][]byte, error) {
	pb, err := client.NewProofBuilder(ctx, cp.Size, tr.fetch)
	if err != nil {
		return nil, tr.wrap(err, "inclusion proof")
	}
	proof, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, tr.wrap(err, fmt.Sprintf("inclusion proof of entry %d at size %d", index, cp.Size))
	}
	leaves, err := tr.hashes(ctx, 0, index/layout.TileWidth)
	if err != nil {
		return nil, err
	}
	if err := VerifyInclusion(index, cp.Size, leaves[index%layout.TileWidth], proof, cp.Root); err != nil {
		return nil, fmt.Errorf("the log's tiles do not match its checkpoint: %w", err)
	}
	return proof, nil
}

// ConsistencyProof builds, from the log's tiles, the proof that the tree of oldSize is a
// prefix of the tree of cp. Verify it with VerifyConsistency against the root of oldSize the
// caller trusts. For oldSize 0 or cp.Size the proof is empty (see VerifyConsistency about 0).
func (c *Client) ConsistencyProof(ctx context.Context, oldSize uint64, cp *Checkpoint) ([][]byte, error) {
	if cp == nil {
		return nil, fmt.Errorf("%w: no checkpoint", ErrNotFound)
	}
	if oldSize > cp.Size {
		return nil, fmt.Errorf("%w: size %d is beyond the checkpoint's size %d", ErrNotFound, oldSize, cp.Size)
	}
	if oldSize == 0 || oldSize == cp.Size {
		return [][]byte{}, nil
	}
	tr := c.tiles(cp)
	pb, err := client.NewProofBuilder(ctx, cp.Size, tr.fetch)
	if err != nil {
		return nil, tr.wrap(err, "consistency proof")
	}
	proof, err := pb.ConsistencyProof(ctx, oldSize, cp.Size)
	if err != nil {
		return nil, tr.wrap(err, fmt.Sprintf("consistency proof from size %d to %d", oldSize, cp.Size))
	}
	return proof, nil
}

// Entries calls fn with each entry in [from, to) in order, to <= cp.Size. Each level-0 tile
// read is first bound to cp's root by an inclusion proof built from it (which covers every
// leaf hash in the tile), then each entry's leaf hash must equal the tile's hash at its index;
// a mismatch (ErrInclusionProof) or a short bundle (ErrLogMalformed) is an error naming the
// index. An error from fn stops the walk and is returned as is.
func (c *Client) Entries(ctx context.Context, from, to uint64, cp *Checkpoint, fn func(index uint64, data []byte) error) error {
	if cp == nil {
		return fmt.Errorf("%w: no checkpoint", ErrNotFound)
	}
	if from > to || to > cp.Size {
		return fmt.Errorf("%w: entries [%d, %d) are not in the tree of size %d", ErrNotFound, from, to, cp.Size)
	}
	tr := c.tiles(cp)
	for ri := range layout.Range(from, to-from, cp.Size) {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := ri.Index*layout.TileWidth + uint64(ri.First)
		if _, err := c.inclusionProof(ctx, tr, first, cp); err != nil {
			return err
		}
		leaves, err := tr.hashes(ctx, 0, ri.Index)
		if err != nil {
			return err
		}
		entries, err := c.bundle(ctx, ri.Index, ri.Partial)
		if err != nil {
			return err
		}
		for j := ri.First; j < ri.First+ri.N; j++ {
			index := ri.Index*layout.TileWidth + uint64(j)
			if !bytes.Equal(LeafHash(entries[j]), leaves[j]) {
				return fmt.Errorf("%w: entry %d does not match its leaf hash in the log's tiles", ErrInclusionProof, index)
			}
			if err := fn(index, entries[j]); err != nil {
				return err
			}
		}
		// Level-0 tiles are read once each; keep memory flat over long ranges.
		tr.forget(0, ri.Index)
	}
	return nil
}

// Entry reads entry index and verifies its inclusion proof against cp.
func (c *Client) Entry(ctx context.Context, index uint64, cp *Checkpoint) ([]byte, error) {
	if err := checkIndex(index, cp); err != nil {
		return nil, err
	}
	bundleIndex := index / layout.EntryBundleWidth
	entries, err := c.bundle(ctx, bundleIndex, layout.PartialTileSize(0, bundleIndex, cp.Size))
	if err != nil {
		return nil, err
	}
	data := entries[index%layout.EntryBundleWidth]
	proof, err := c.inclusionProof(ctx, c.tiles(cp), index, cp)
	if err != nil {
		return nil, err
	}
	if err := VerifyInclusion(index, cp.Size, LeafHash(data), proof, cp.Root); err != nil {
		return nil, fmt.Errorf("entry %d from the log's entry bundle: %w", index, err)
	}
	return data, nil
}

// TreeAt builds the right border of the tree of the given size (<= cp.Size) from the log's
// tiles, so a monitor can start following the log at size instead of replaying every entry.
// The result is checked against cp: its root must equal cp's (size == cp.Size) or be proven
// consistent with it by a consistency proof from the same tiles; otherwise ErrConsistencyProof.
func (c *Client) TreeAt(ctx context.Context, size uint64, cp *Checkpoint) (*Tree, error) {
	if cp == nil {
		return nil, fmt.Errorf("%w: no checkpoint", ErrNotFound)
	}
	if size > cp.Size {
		return nil, fmt.Errorf("%w: size %d is beyond the checkpoint's size %d", ErrNotFound, size, cp.Size)
	}
	if size == 0 {
		return &Tree{}, nil
	}
	tr := c.tiles(cp)
	hashes, err := client.FetchRangeNodes(ctx, size, tr.fetch)
	if err != nil {
		return nil, tr.wrap(err, fmt.Sprintf("tree border at size %d", size))
	}
	t := &Tree{Size: size, Hashes: hashes}
	root := t.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: tree border at size %d: %v", ErrLogMalformed, size, t.Validate())
	}
	if size == cp.Size {
		if !bytes.Equal(root, cp.Root) {
			return nil, fmt.Errorf("%w: the tree built from the log's tiles at size %d does not have the checkpoint's root", ErrConsistencyProof, size)
		}
		return t, nil
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, tr.fetch)
	if err != nil {
		return nil, tr.wrap(err, "consistency proof")
	}
	proof, err := pb.ConsistencyProof(ctx, size, cp.Size)
	if err != nil {
		return nil, tr.wrap(err, fmt.Sprintf("consistency proof from size %d to %d", size, cp.Size))
	}
	if err := VerifyConsistency(size, cp.Size, proof, root, cp.Root); err != nil {
		return nil, fmt.Errorf("the tree built from the log's tiles at size %d: %w", size, err)
	}
	return t, nil
}

// bundle reads and parses the entry bundle index of partial width p.
func (c *Client) bundle(ctx context.Context, index uint64, p uint8) ([][]byte, error) {
	width := tileWidth(p)
	first := index * layout.EntryBundleWidth
	raw, err := c.f.ReadEntryBundle(ctx, index, p)
	if err != nil {
		return nil, fmt.Errorf("entry bundle %s (entries %d to %d): %w", layout.EntriesPath(index, p), first, first+uint64(width)-1, err)
	}
	entries, err := ParseEntryBundle(raw, width)
	if err != nil {
		return nil, fmt.Errorf("entry bundle %s (entries %d to %d): %w", layout.EntriesPath(index, p), first, first+uint64(width)-1, err)
	}
	return entries, nil
}

func checkIndex(index uint64, cp *Checkpoint) error {
	if cp == nil {
		return fmt.Errorf("%w: no checkpoint", ErrNotFound)
	}
	if index >= cp.Size {
		return fmt.Errorf("%w: entry %d is beyond the checkpoint's size %d", ErrNotFound, index, cp.Size)
	}
	return nil
}

func (c *Client) tiles(cp *Checkpoint) *tileReader {
	return &tileReader{f: c.f, size: cp.Size, tiles: map[[2]uint64][][]byte{}}
}

// tileReader reads the hash tiles of the tree of one checkpoint, each tile once, so that
// proofs and entry checks in one call are computed from the same bytes. It serves tessera's
// proof builder, which flattens errors into strings; the first error is kept for wrap.
type tileReader struct {
	f     Fetcher
	size  uint64
	tiles map[[2]uint64][][]byte
	err   error
}

// hashes returns the hashes of tile (level, index) in the tree of tr.size.
func (tr *tileReader) hashes(ctx context.Context, level, index uint64) ([][]byte, error) {
	key := [2]uint64{level, index}
	if h, ok := tr.tiles[key]; ok {
		return h, nil
	}
	p := layout.PartialTileSize(level, index, tr.size)
	raw, err := tr.f.ReadTile(ctx, level, index, p)
	if err != nil {
		return nil, fmt.Errorf("tile %s: %w", layout.TilePath(level, index, p), err)
	}
	h, err := ParseTile(raw, tileWidth(p))
	if err != nil {
		return nil, fmt.Errorf("tile %s: %w", layout.TilePath(level, index, p), err)
	}
	tr.tiles[key] = h
	return h, nil
}

func (tr *tileReader) forget(level, index uint64) { delete(tr.tiles, [2]uint64{level, index}) }

// fetch is a tessera client.TileFetcherFunc. It ignores the partial width asked for: tiles are
// read at the width of tr.size, and a wider tile holds the same nodes as a narrower one of an
// older tree (TreeAt asks for nodes of a smaller tree).
func (tr *tileReader) fetch(ctx context.Context, level, index uint64, _ uint8) ([]byte, error) {
	h, err := tr.hashes(ctx, level, index)
	if err != nil {
		if tr.err == nil {
			tr.err = err
		}
		return nil, err
	}
	return bytes.Join(h, nil), nil
}

// wrap returns the error tessera's client reported for what, with the fetch or parse error
// that caused it (and its sentinel) when there was one.
func (tr *tileReader) wrap(err error, what string) error {
	if tr.err != nil {
		return fmt.Errorf("%s: %w", what, tr.err)
	}
	return fmt.Errorf("%w: %s: %v", ErrLogMalformed, what, err)
}
