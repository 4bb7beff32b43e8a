package tlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// posixLog is a log written by tessera's POSIX storage (the driver `hallmark log serve` uses
// by default), with the checkpoint published after each batch of appends.
type posixLog struct {
	dir     string
	key     *LogKey
	entries [][]byte
	cps     []*Checkpoint // one per batch, increasing sizes
}

// Batch sizes chosen so the checkpoints sit on and around bundle edges (255, 256, 257, 511,
// 512, 513) and the last one spans four bundles and a partial level-1 tile.
var posixBatches = []int{1, 254, 1, 1, 43, 211, 1, 1, 187, 300}

// buildPosixLog writes the test log into dir (a few seconds: tessera publishes a checkpoint
// at most every 100ms).
func buildPosixLog(t testing.TB, dir string) *posixLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.com/hallmark/tlog-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseLogKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(100*time.Millisecond).
		WithBatching(512, 5*time.Millisecond).
		WithGarbageCollectionInterval(10 * time.Millisecond) // deletes partial tiles once full
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := shutdown(ctx); err != nil {
			t.Errorf("tessera shutdown: %v", err)
		}
	}()
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 5*time.Millisecond)

	l := &posixLog{dir: dir, key: key}
	for _, n := range posixBatches {
		futures := make([]tessera.IndexFuture, n)
		for i := range futures {
			data := posixEntry(len(l.entries))
			l.entries = append(l.entries, data)
			futures[i] = appender.Add(ctx, tessera.NewEntry(data))
		}
		var raw []byte
		for i, f := range futures {
			idx, cpRaw, err := awaiter.Await(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(len(l.entries) - n + i); idx.Index != want {
				t.Fatalf("entry got index %d, want %d", idx.Index, want)
			}
			raw = cpRaw
		}
		cp, err := OpenCheckpoint(raw, key)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size != uint64(len(l.entries)) {
			t.Fatalf("checkpoint after %d entries has size %d", len(l.entries), cp.Size)
		}
		l.cps = append(l.cps, cp)
	}
	return l
}

// posixEntry is entry i of the test log: mostly short text, one entry of the largest size a
// bundle can hold and one empty entry.
func posixEntry(i int) []byte {
	switch i {
	case 5:
		return bytes.Repeat([]byte{'x'}, 0xffff)
	case 7:
		return []byte{}
	}
	return fmt.Appendf(nil, "entry %d", i)
}

func (l *posixLog) fetchers(t *testing.T) map[string]Fetcher {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(l.dir)))
	t.Cleanup(srv.Close)
	hf, err := NewHTTPFetcher(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Fetcher{"dir": NewDirFetcher(l.dir), "http": hf}
}

// TestClientTesseraPOSIX reads a log written by tessera's POSIX driver, the storage `hallmark
// log serve` uses by default.
func TestClientTesseraPOSIX(t *testing.T) {
	l := buildPosixLog(t, t.TempDir())
	t.Run("every-size", func(t *testing.T) { testEverySize(t, l) })
	t.Run("entries-ranges", func(t *testing.T) { testEntriesRanges(t, l) })
	t.Run("out-of-range", func(t *testing.T) { testOutOfRange(t, l) })
}

// testEverySize reads l at every published size: entries stream back exactly, proofs verify,
// and trees grown from the entries or built from the tiles have the checkpoints' roots.
func testEverySize(t *testing.T, l *posixLog) {
	ctx := context.Background()
	latest := l.cps[len(l.cps)-1]
	for name, f := range l.fetchers(t) {
		t.Run(name, func(t *testing.T) {
			c := NewClient(f, l.key)
			cp, err := c.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Size != latest.Size || !bytes.Equal(cp.Root, latest.Root) {
				t.Fatalf("checkpoint %d, want %d", cp.Size, latest.Size)
			}

			var grown Tree
			for _, cp := range l.cps {
				for grown.Size < cp.Size {
					if err := grown.Append(LeafHash(l.entries[grown.Size])); err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(grown.Root(), cp.Root) {
					t.Errorf("size %d: grown tree root differs from the checkpoint", cp.Size)
				}
				// Old sizes are read through the latest checkpoint's tiles, whose partial
				// tiles of old sizes may be garbage-collected already.
				tree, err := c.TreeAt(ctx, cp.Size, latest)
				if err != nil {
					t.Fatalf("TreeAt(%d): %v", cp.Size, err)
				}
				if diff := cmp.Diff(&grown, tree); diff != "" {
					t.Errorf("TreeAt(%d) (-grown +tiles):\n%s", cp.Size, diff)
				}

				var got [][]byte
				err = c.Entries(ctx, 0, cp.Size, cp, func(index uint64, data []byte) error {
					if index != uint64(len(got)) {
						return fmt.Errorf("index %d after %d entries", index, len(got))
					}
					got = append(got, data)
					return nil
				})
				if err != nil {
					t.Fatalf("Entries(0, %d): %v", cp.Size, err)
				}
				if diff := cmp.Diff(l.entries[:cp.Size], got, cmpEmptyBytes); diff != "" {
					t.Errorf("Entries(0, %d) (-want +got):\n%s", cp.Size, diff)
				}

				for _, old := range l.cps {
					if old.Size > cp.Size {
						break
					}
					proof, err := c.ConsistencyProof(ctx, old.Size, cp)
					if err != nil {
						t.Fatalf("ConsistencyProof(%d, %d): %v", old.Size, cp.Size, err)
					}
					if err := VerifyConsistency(old.Size, cp.Size, proof, old.Root, cp.Root); err != nil {
						t.Error(err)
					}
				}
			}

			// Every entry of the latest tree, by itself.
			for i := range latest.Size {
				proof, err := c.InclusionProof(ctx, i, latest)
				if err != nil {
					t.Fatalf("InclusionProof(%d): %v", i, err)
				}
				if err := VerifyInclusion(i, latest.Size, LeafHash(l.entries[i]), proof, latest.Root); err != nil {
					t.Error(err)
				}
			}
			for _, i := range []uint64{0, 5, 7, 255, 256, 511, 512, latest.Size - 1} {
				data, err := c.Entry(ctx, i, latest)
				if err != nil || !bytes.Equal(data, l.entries[i]) {
					t.Errorf("Entry(%d) = %d bytes, %v; want %d bytes", i, len(data), err, len(l.entries[i]))
				}
			}
		})
	}
}

var cmpEmptyBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func testEntriesRanges(t *testing.T, l *posixLog) {
	latest := l.cps[len(l.cps)-1]
	c := NewClient(NewDirFetcher(l.dir), l.key)
	for _, r := range [][2]uint64{{0, 0}, {0, 1}, {250, 260}, {255, 256}, {256, 257}, {300, 800}, {999, 1000}, {latest.Size, latest.Size}} {
		t.Run(fmt.Sprintf("%d-%d", r[0], r[1]), func(t *testing.T) {
			next := r[0]
			err := c.Entries(context.Background(), r[0], r[1], latest, func(index uint64, data []byte) error {
				if index != next || !bytes.Equal(data, l.entries[index]) {
					return fmt.Errorf("got entry %d (%q), want %d", index, data, next)
				}
				next++
				return nil
			})
			if err != nil || next != r[1] {
				t.Fatalf("Entries stopped at %d: %v", next, err)
			}
		})
	}

	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := c.Entries(context.Background(), 0, latest.Size, latest, func(uint64, []byte) error {
			if n++; n == 300 {
				return stop
			}
			return nil
		})
		if err != stop || n != 300 {
			t.Errorf("Entries = %v after %d calls, want the callback's error after 300", err, n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := c.Entries(ctx, 0, latest.Size, latest, func(uint64, []byte) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n != 256 {
			t.Errorf("Entries = %v after %d calls, want context.Canceled at the next bundle (256)", err, n)
		}
	})
	for _, r := range [][2]uint64{{5, 4}, {0, latest.Size + 1}} {
		if err := c.Entries(context.Background(), r[0], r[1], latest, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrNotFound) {
			t.Errorf("Entries(%d, %d) = %v, want ErrNotFound", r[0], r[1], err)
		}
	}
}

func testOutOfRange(t *testing.T, l *posixLog) {
	cp := l.cps[2] // size 256
	c := NewClient(NewDirFetcher(l.dir), l.key)
	ctx := context.Background()
	if _, err := c.InclusionProof(ctx, cp.Size, cp); !errors.Is(err, ErrNotFound) {
		t.Errorf("InclusionProof(size) = %v, want ErrNotFound", err)
	}
	if _, err := c.Entry(ctx, cp.Size, cp); !errors.Is(err, ErrNotFound) {
		t.Errorf("Entry(size) = %v, want ErrNotFound", err)
	}
	if _, err := c.ConsistencyProof(ctx, cp.Size+1, cp); !errors.Is(err, ErrNotFound) {
		t.Errorf("ConsistencyProof(size+1) = %v, want ErrNotFound", err)
	}
	if _, err := c.TreeAt(ctx, cp.Size+1, cp); !errors.Is(err, ErrNotFound) {
		t.Errorf("TreeAt(size+1) = %v, want ErrNotFound", err)
	}
	if _, err := c.InclusionProof(ctx, 0, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("InclusionProof(nil checkpoint) = %v, want ErrNotFound", err)
	}
	for _, size := range []uint64{0, cp.Size} {
		if p, err := c.ConsistencyProof(ctx, size, cp); err != nil || len(p) != 0 {
			t.Errorf("ConsistencyProof(%d) = %d hashes, %v; want an empty proof", size, len(p), err)
		}
	}
	if tree, err := c.TreeAt(ctx, 0, cp); err != nil || !bytes.Equal(tree.Root(), sha256.New().Sum(nil)) {
		t.Errorf("TreeAt(0) = %v, %v; want the empty tree", tree, err)
	}
	// A checkpoint from another log is refused.
	other, err := NewLogKey("example.com/other", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(NewDirFetcher(l.dir), other).Checkpoint(ctx); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("Checkpoint with another key = %v, want ErrCheckpointSignature", err)
	}
}

func TestParseTile(t *testing.T) {
	hashes := func(n int) []byte { return bytes.Repeat([]byte{0xab}, n*32) }
	for _, tc := range []struct {
		name  string
		raw   []byte
		width int
		want  int // hashes returned; 0 means an error
	}{
		{"full", hashes(256), 256, 256},
		{"partial", hashes(15), 15, 15},
		{"full-for-partial", hashes(256), 15, 15},
		{"one", hashes(1), 1, 1},
		{"short", hashes(14), 15, 0},
		{"long-partial", hashes(16), 15, 0},
		{"long-full", hashes(257), 256, 0},
		{"ragged", hashes(15)[1:], 15, 0},
		{"empty", nil, 1, 0},
		{"width-0", hashes(1), 0, 0},
		{"width-257", hashes(256), 257, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTile(tc.raw, tc.width)
			if tc.want == 0 {
				if !errors.Is(err, ErrLogMalformed) {
					t.Errorf("ParseTile = %d hashes, %v; want ErrLogMalformed", len(got), err)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("ParseTile = %d hashes, %v; want %d", len(got), err, tc.want)
			}
			for i, h := range got {
				if !bytes.Equal(h, tc.raw[i*32:(i+1)*32]) {
					t.Fatalf("hash %d differs", i)
				}
			}
		})
	}
}

// encodeBundle encodes entries as a tlog-tiles entry bundle.
func encodeBundle(entries ...[]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

func TestParseEntryBundle(t *testing.T) {
	full := make([][]byte, 256)
	for i := range full {
		full[i] = fmt.Appendf(nil, "e%d", i)
	}
	big := bytes.Repeat([]byte{'x'}, 0xffff)
	for _, tc := range []struct {
		name  string
		raw   []byte
		width int
		want  [][]byte // nil means an error
	}{
		{"three", encodeBundle([]byte("one"), []byte("two"), []byte("three")), 3, [][]byte{[]byte("one"), []byte("two"), []byte("three")}},
		{"empty-entry", encodeBundle([]byte{}, []byte("a")), 2, [][]byte{{}, []byte("a")}},
		{"largest-entry", encodeBundle(big), 1, [][]byte{big}},
		{"full-for-partial", encodeBundle(full...), 2, full[:2]},
		{"full", encodeBundle(full...), 256, full},
		{"short", encodeBundle([]byte("one")), 2, nil},
		{"long", encodeBundle([]byte("a"), []byte("b"), []byte("c")), 2, nil},
		{"empty", nil, 1, nil},
		{"dangling-byte", append(encodeBundle([]byte("a")), 0), 1, nil},
		{"length-past-end", []byte{0, 5, 'a', 'b'}, 1, nil},
		{"width-0", encodeBundle([]byte("a")), 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEntryBundle(tc.raw, tc.width)
			if tc.want == nil {
				if !errors.Is(err, ErrLogMalformed) {
					t.Errorf("ParseEntryBundle = %d entries, %v; want ErrLogMalformed", len(got), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpEmptyBytes); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewHTTPFetcherURL(t *testing.T) {
	for _, bad := range []string{"", "ftp://example.com/log", "example.com/log", "http://", "://x"} {
		if _, err := NewHTTPFetcher(bad, nil); !errors.Is(err, ErrLogFetch) {
			t.Errorf("NewHTTPFetcher(%q) = %v, want ErrLogFetch", bad, err)
		}
	}
}

// TestHTTPFetcher checks paths, the partial-to-full fallback, status handling, size limits
// and cancellation against a server that records what was asked.
func TestHTTPFetcher(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	files := map[string][]byte{
		"/log/checkpoint":                 []byte("cp\n"),
		"/log/tile/0/x001/x234/067.p/8":   bytes.Repeat([]byte{1}, 8*32),
		"/log/tile/1/000":                 bytes.Repeat([]byte{2}, 256*32), // only the full tile
		"/log/tile/entries/x001/x234/067": encodeBundle([]byte("e")),
		"/log/tile/2/000":                 bytes.Repeat([]byte{3}, 256*32+1), // over the limit
		"/big/checkpoint":                 bytes.Repeat([]byte{'c'}, MaxCheckpointSize+1),
		"/broken/checkpoint":              nil,
		"/slow/checkpoint":                nil,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/broken/checkpoint":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "/slow/checkpoint":
			<-r.Context().Done()
			return
		}
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	ctx := context.Background()
	fetcher := func(prefix string) Fetcher {
		f, err := NewHTTPFetcher(srv.URL+prefix, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := fetcher("/log") // no trailing slash: still a directory

	if got, err := f.ReadCheckpoint(ctx); err != nil || string(got) != "cp\n" {
		t.Errorf("ReadCheckpoint = %q, %v", got, err)
	}
	if got, err := f.ReadTile(ctx, 0, 1234067, 8); err != nil || len(got) != 8*32 {
		t.Errorf("ReadTile(0, 1234067, 8) = %d bytes, %v", len(got), err)
	}
	if got, err := f.ReadEntryBundle(ctx, 1234067, 5); err != nil || !bytes.Equal(got, encodeBundle([]byte("e"))) {
		t.Errorf("ReadEntryBundle(1234067, 5) fallback to full = %q, %v", got, err)
	}
	mu.Lock()
	paths = nil
	mu.Unlock()
	if got, err := f.ReadTile(ctx, 1, 0, 7); err != nil || got[0] != 2 {
		t.Errorf("ReadTile(1, 0, 7) fallback to full = %d bytes, %v", len(got), err)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{"/log/tile/1/000.p/7", "/log/tile/1/000"}, paths); diff != "" {
		t.Errorf("fallback paths (-want +got):\n%s", diff)
	}
	mu.Unlock()

	for _, tc := range []struct {
		name string
		read func() ([]byte, error)
		want error
		msg  string
	}{
		{"missing-tile", func() ([]byte, error) { return f.ReadTile(ctx, 0, 5, 3) }, ErrNotFound, "/log/tile/0/005"},
		{"missing-bundle", func() ([]byte, error) { return f.ReadEntryBundle(ctx, 7, 0) }, ErrNotFound, "/log/tile/entries/007: HTTP 404"},
		{"level-64", func() ([]byte, error) { return f.ReadTile(ctx, 64, 0, 0) }, ErrNotFound, "level 64"},
		{"tile-too-big", func() ([]byte, error) { return f.ReadTile(ctx, 2, 0, 0) }, ErrLogFetch, "8192 byte limit"},
		{"checkpoint-too-big", func() ([]byte, error) { return fetcher("/big/").ReadCheckpoint(ctx) }, ErrLogFetch, "limit"},
		{"status-500", func() ([]byte, error) { return fetcher("/broken/").ReadCheckpoint(ctx) }, ErrLogFetch, "/broken/checkpoint: HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.read()
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Errorf("got %d bytes, %v; want %v mentioning %q", len(got), err, tc.want, tc.msg)
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := fetcher("/slow/").ReadCheckpoint(ctx)
		if !errors.Is(err, ErrLogFetch) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want ErrLogFetch and context.DeadlineExceeded", err)
		}
	})
	t.Run("connection-refused", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL
		dead.Close()
		f, err := NewHTTPFetcher(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadCheckpoint(ctx); !errors.Is(err, ErrLogFetch) || !strings.Contains(err.Error(), url) {
			t.Errorf("got %v, want ErrLogFetch naming %s", err, url)
		}
	})
}

func TestDirFetcher(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tile/0/000", bytes.Repeat([]byte{1}, 256*32))
	write("tile/0/001.p/9", bytes.Repeat([]byte{2}, 9*32))
	write("tile/1/000.p/2", bytes.Repeat([]byte{3}, 256*32+32))
	write("tile/entries/000.p/1", encodeBundle([]byte("a")))
	if err := os.MkdirAll(filepath.Join(dir, "checkpoint"), 0o755); err != nil { // a directory: unreadable
		t.Fatal(err)
	}
	f := NewDirFetcher(dir)
	ctx := context.Background()

	if got, err := f.ReadTile(ctx, 0, 0, 17); err != nil || len(got) != 256*32 {
		t.Errorf("ReadTile(0, 0, 17) fallback to full = %d bytes, %v", len(got), err)
	}
	if got, err := f.ReadTile(ctx, 0, 1, 9); err != nil || len(got) != 9*32 {
		t.Errorf("ReadTile(0, 1, 9) = %d bytes, %v", len(got), err)
	}
	if got, err := f.ReadEntryBundle(ctx, 0, 1); err != nil || !bytes.Equal(got, encodeBundle([]byte("a"))) {
		t.Errorf("ReadEntryBundle(0, 1) = %q, %v", got, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		read func() ([]byte, error)
		want error
	}{
		{"missing", func() ([]byte, error) { return f.ReadTile(ctx, 0, 2, 0) }, ErrNotFound},
		{"missing-partial-and-full", func() ([]byte, error) { return f.ReadEntryBundle(ctx, 0, 2) }, ErrNotFound},
		{"too-big", func() ([]byte, error) { return f.ReadTile(ctx, 1, 0, 2) }, ErrLogFetch},
		{"unreadable", func() ([]byte, error) { return f.ReadCheckpoint(ctx) }, ErrLogFetch},
		{"cancelled", func() ([]byte, error) { return f.ReadTile(cancelled, 0, 0, 0) }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.read(); !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), dir) {
				t.Errorf("got %d bytes, %v; want %v naming the file", len(got), err, tc.want)
			}
		})
	}
	if _, err := f.ReadTile(ctx, 64, 0, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadTile(64, 0, 0) = %v, want ErrNotFound", err)
	}
}
