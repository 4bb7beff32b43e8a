package tlog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// Seed corpora: the f.Add calls below and testdata/fuzz/<FuzzName>/.

// zeroReader makes note.GenerateKey deterministic, so fuzzing is reproducible.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// FuzzOpenCheckpoint feeds arbitrary notes to OpenCheckpoint, and also signs arbitrary note
// texts with a key of the test log's name so the body parser sees them: on success the
// checkpoint must print back to exactly the text that was signed.
func FuzzOpenCheckpoint(f *testing.F) {
	if dir := filepath.Join(corpusDir, "tessera-tiled-log"); dirExists(dir) {
		for _, name := range []string{"checkpoint", "checkpoint.0", "checkpoint.7"} {
			if raw, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Add([]byte("example.com/log/testdata\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n"))
	f.Add([]byte("example.com/log/testdata\n01\n\n\n— example.com/log/testdata AAAA\n"))

	key, err := ParseLogKey(tesseraVKey)
	if err != nil {
		f.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(zeroReader{}, key.Origin)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		f.Fatal(err)
	}
	fuzzKey, err := ParseLogKey(vkey)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, raw []byte) {
		checkCheckpoint(t, raw, key)
		// Sign the input as a note text when it can be one (x/mod refuses otherwise).
		if signed, err := note.Sign(&note.Note{Text: string(raw)}, signer); err == nil {
			cp := checkCheckpoint(t, signed, fuzzKey)
			if cp != nil {
				// Canonical form: one text, one checkpoint.
				var b strings.Builder
				b.WriteString(cp.Origin + "\n" + strconv.FormatUint(cp.Size, 10) + "\n")
				b.WriteString(base64.StdEncoding.EncodeToString(cp.Root) + "\n")
				for _, e := range cp.Extensions {
					b.WriteString(e + "\n")
				}
				if b.String() != string(raw) {
					t.Fatalf("checkpoint %+v does not print back to its text %q", cp, raw)
				}
			}
		}
	})
}

// checkCheckpoint opens raw with key and checks the invariants of the result.
func checkCheckpoint(t *testing.T, raw []byte, key *LogKey) *Checkpoint {
	cp, err := OpenCheckpoint(raw, key)
	if err != nil {
		if cp != nil {
			t.Fatalf("error %v with a checkpoint", err)
		}
		if !errors.Is(err, ErrCheckpointMalformed) && !errors.Is(err, ErrCheckpointSignature) && !errors.Is(err, ErrOriginMismatch) {
			t.Fatalf("error %v wraps no checkpoint sentinel", err)
		}
		return nil
	}
	if cp.Origin != key.Origin || len(cp.Root) != 32 || !bytes.Equal(cp.Raw, raw) {
		t.Fatalf("bad checkpoint %+v from %q", cp, raw)
	}
	for _, e := range cp.Extensions {
		if e == "" || strings.Contains(e, "\n") {
			t.Fatalf("bad extension %q", e)
		}
	}
	return cp
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// FuzzParseLogKey: a key that parses prints back to itself and is the key NewLogKey makes
// from its name and public key.
func FuzzParseLogKey(f *testing.F) {
	f.Add(tesseraVKey)
	f.Add("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n")
	f.Add("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
	f.Add("a+b+c")
	f.Fuzz(func(t *testing.T, vkey string) {
		k, err := ParseLogKey(vkey)
		if err != nil {
			if !errors.Is(err, ErrLogKey) {
				t.Fatalf("error %v does not wrap ErrLogKey", err)
			}
			return
		}
		if k.Text != strings.TrimSpace(vkey) || len(k.Public) != 32 {
			t.Fatalf("parsed %+v from %q", k, vkey)
		}
		again, err := NewLogKey(k.Origin, k.Public)
		if err != nil || again.Text != k.Text || again.Hash != k.Hash {
			t.Fatalf("NewLogKey(%q, %x) = %v, %v; want %s", k.Origin, k.Public, again, err, k.Text)
		}
	})
}

// FuzzParseEntryBundle: a bundle that parses re-encodes to its input (or, for a full bundle
// served for a partial width, to a prefix of it).
func FuzzParseEntryBundle(f *testing.F) {
	f.Add(encodeBundle([]byte("one"), []byte("two"), []byte("three")), uint16(3))
	f.Add(encodeBundle([]byte{}), uint16(1))
	f.Add([]byte{0, 5, 'a'}, uint16(1))
	f.Add([]byte{0xff, 0xff}, uint16(256))
	f.Fuzz(func(t *testing.T, raw []byte, w uint16) {
		width := int(w % 258) // includes the invalid 0 and 257
		entries, err := ParseEntryBundle(raw, width)
		if err != nil {
			if !errors.Is(err, ErrLogMalformed) || entries != nil {
				t.Fatalf("ParseEntryBundle = %d entries, %v", len(entries), err)
			}
			return
		}
		if len(entries) != width {
			t.Fatalf("%d entries, want %d", len(entries), width)
		}
		var enc []byte
		for _, e := range entries {
			enc = binary.BigEndian.AppendUint16(enc, uint16(len(e)))
			enc = append(enc, e...)
		}
		if !bytes.HasPrefix(raw, enc) || (width < 256 && len(enc) != len(raw) && !fullBundle(raw)) {
			t.Fatalf("entries do not re-encode to the bundle")
		}
	})
}

// fullBundle reports whether raw holds exactly 256 entries.
func fullBundle(raw []byte) bool {
	n := 0
	for len(raw) >= 2 {
		l := int(binary.BigEndian.Uint16(raw))
		if len(raw) < 2+l {
			return false
		}
		raw = raw[2+l:]
		n++
	}
	return len(raw) == 0 && n == 256
}

// FuzzParseTile: a tile that parses is the first width hashes of its input.
func FuzzParseTile(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1}, 32), uint16(1))
	f.Add(bytes.Repeat([]byte{2}, 15*32), uint16(15))
	f.Add(bytes.Repeat([]byte{3}, 33), uint16(1))
	f.Fuzz(func(t *testing.T, raw []byte, w uint16) {
		width := int(w % 258)
		hashes, err := ParseTile(raw, width)
		if err != nil {
			if !errors.Is(err, ErrLogMalformed) || hashes != nil {
				t.Fatalf("ParseTile = %d hashes, %v", len(hashes), err)
			}
			return
		}
		if len(hashes) != width || !bytes.Equal(bytes.Join(hashes, nil), raw[:width*32]) {
			t.Fatalf("%d hashes from %d bytes, width %d", len(hashes), len(raw), width)
		}
		if len(raw) != width*32 && len(raw) != 256*32 {
			t.Fatalf("accepted a tile of %d bytes for width %d", len(raw), width)
		}
	})
}
