package tlog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir is a copy of ../shared/testdata/c2sp-tlog (see testdata/PROVENANCE.md).
const corpusDir = "testdata/c2sp-tlog"

// The tessera test log: its verifier key (upstream testdata/build_log.sh) and entries.
const tesseraVKey = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"

var tesseraEntries = strings.Fields("one two three four five six seven eit nain ten ileven twelf threeten fourten fivten")

// corpus returns the path of a file or directory in the vector corpus, skipping the test when
// the corpus is not there.
func corpus(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{corpusDir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("C2SP tlog vector corpus not available (%v); copy ../shared/testdata/c2sp-tlog to tlog/%s", err, corpusDir)
	}
	return p
}

// b64 is a []byte that JSON decodes from standard base64, accepting "" as empty.
type b64 []byte

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := base64.StdEncoding.DecodeString(s)
	*b = d
	return err
}

func hashes(in []b64) [][]byte {
	out := make([][]byte, len(in))
	for i, h := range in {
		out[i] = h
	}
	return out
}

// merkleVectors walks dir of the transparency-dev/merkle vectors, decoding each file into a
// fresh T and running fn on it in a subtest named after its path, unless skip (when not nil)
// says why it cannot run; skipped vectors are counted and logged once.
func merkleVectors[T any](t *testing.T, dir string, skip func(T) string, fn func(t *testing.T, v T)) {
	root := corpus(t, "transparency-dev-merkle-testdata")
	n, skipped := 0, map[string]int{}
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if skip != nil {
			if why := skip(v); why != "" {
				skipped[why]++
				return nil
			}
		}
		rel, _ := filepath.Rel(root, path)
		n++
		t.Run(strings.TrimSuffix(filepath.ToSlash(rel), ".json"), func(t *testing.T) { fn(t, v) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no vectors run under %s", dir)
	}
	for why, count := range skipped {
		t.Logf("ran %d vectors, skipped %d: %s", n, count, why)
	}
}

type inclusionVector struct {
	LeafIdx  uint64 `json:"leafIdx"`
	TreeSize uint64 `json:"treeSize"`
	Start    uint64 `json:"start"` // subtree vectors: the subtree is [start, end)
	End      uint64 `json:"end"`
	Root     b64    `json:"root"`
	LeafHash b64    `json:"leafHash"`
	Proof    []b64  `json:"proof"`
	Desc     string `json:"desc"`
	WantErr  bool   `json:"wantErr"`
}

type consistencyVector struct {
	Size1   uint64 `json:"size1"`
	Size2   uint64 `json:"size2"`
	Start   uint64 `json:"start"` // subtree vectors: subtree [start, end) of the tree of size
	End     uint64 `json:"end"`
	Size    uint64 `json:"size"`
	Root1   b64    `json:"root1"`
	Root2   b64    `json:"root2"`
	Proof   []b64  `json:"proof"`
	Desc    string `json:"desc"`
	WantErr bool   `json:"wantErr"`
}

func checkWantErr(t *testing.T, err error, wantErr bool, sentinel error) {
	t.Helper()
	switch {
	case wantErr && err == nil:
		t.Fatal("verified, want an error")
	case !wantErr && err != nil:
		t.Fatalf("want success, got %v", err)
	case err != nil && !errors.Is(err, sentinel):
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
}

func TestConformanceMerkleInclusion(t *testing.T) {
	merkleVectors(t, "inclusion", nil, func(t *testing.T, v inclusionVector) {
		err := VerifyInclusion(v.LeafIdx, v.TreeSize, v.LeafHash, hashes(v.Proof), v.Root)
		checkWantErr(t, err, v.WantErr, ErrInclusionProof)
	})
}

func TestConformanceMerkleConsistency(t *testing.T) {
	merkleVectors(t, "consistency", nil, func(t *testing.T, v consistencyVector) {
		err := VerifyConsistency(v.Size1, v.Size2, hashes(v.Proof), v.Root1, v.Root2)
		checkWantErr(t, err, v.WantErr, ErrConsistencyProof)
	})
}

// Subtree proofs (c2sp.org/tlog-proof, Merkle Tree Certificates) are not in merkle v0.0.2,
// the version in go.mod. A non-empty subtree [0, end) is the tree of size end, so those
// vectors are plain inclusion and consistency proofs and run through VerifyInclusion and
// VerifyConsistency; the others are skipped. (The empty subtree [0, 0) is not the empty tree:
// a subtree proof from it is trivially valid, a plain one from size 0 is rejected.)
const noSubtreeSupport = "subtree proof with start > 0 or an empty subtree: transparency-dev/merkle v0.0.2 has no subtree verification"

func TestConformanceMerkleSubtreeInclusion(t *testing.T) {
	skip := func(v inclusionVector) string {
		if v.Start != 0 || v.End == 0 {
			return noSubtreeSupport
		}
		return ""
	}
	merkleVectors(t, "subtreeinclusion", skip, func(t *testing.T, v inclusionVector) {
		err := VerifyInclusion(v.LeafIdx, v.End, v.LeafHash, hashes(v.Proof), v.Root)
		checkWantErr(t, err, v.WantErr, ErrInclusionProof)
	})
}

func TestConformanceMerkleSubtreeConsistency(t *testing.T) {
	skip := func(v consistencyVector) string {
		if v.Start != 0 || v.End == 0 {
			return noSubtreeSupport
		}
		return ""
	}
	merkleVectors(t, "subtreeconsistency", skip, func(t *testing.T, v consistencyVector) {
		err := VerifyConsistency(v.End, v.Size, hashes(v.Proof), v.Root1, v.Root2)
		checkWantErr(t, err, v.WantErr, ErrConsistencyProof)
	})
}

// noteBytes is a note given as {"utf8": ...} or, when not valid UTF-8, {"base64": ...}.
type noteBytes struct {
	UTF8   *string `json:"utf8"`
	Base64 *string `json:"base64"`
}

func (n noteBytes) bytes(t *testing.T) []byte {
	t.Helper()
	switch {
	case n.UTF8 != nil:
		return []byte(*n.UTF8)
	case n.Base64 != nil:
		b, err := base64.StdEncoding.DecodeString(*n.Base64)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return nil
}

type signedNoteVectors struct {
	Keys map[string]struct {
		VKey        string `json:"vkey"`
		KeyIDHex    string `json:"key_id_hex"`
		PublicKeyHx string `json:"ed25519_public_key_hex"`
	} `json:"keys"`
	BadVKeys []struct {
		VKey string `json:"vkey"`
		Why  string `json:"why"`
	} `json:"bad_vkeys"`
	Sign []struct {
		Name         string `json:"name"`
		Text         string `json:"text"`
		ExpectedNote string `json:"expected_note"`
	} `json:"sign"`
	Open []struct {
		Name                   string    `json:"name"`
		Note                   noteBytes `json:"note"`
		NoteConstruction       string    `json:"note_construction"`
		Verifiers              []string  `json:"verifiers"`
		Expect                 string    `json:"expect"`
		Error                  string    `json:"error"`
		VerifiedSigs           []string  `json:"verified_sigs"`
		UnverifiedSigs         []string  `json:"unverified_sigs"`
		Text                   string    `json:"text"`
		ImplementationSpecific string    `json:"implementation_specific"`
	} `json:"open"`
	ParseOnly []struct {
		Name       string    `json:"name"`
		Note       noteBytes `json:"note"`
		KeyName    string    `json:"key_name"`
		Checkpoint *struct {
			Origin   string `json:"origin"`
			TreeSize uint64 `json:"tree_size"`
			RootHash string `json:"root_hash_base64"`
		} `json:"checkpoint"`
	} `json:"parse_only"`
}

func loadSignedNoteVectors(t *testing.T) signedNoteVectors {
	t.Helper()
	data, err := os.ReadFile(corpus(t, "signed-note", "signed-note-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v signedNoteVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestConformanceSignedNoteKeys(t *testing.T) {
	v := loadSignedNoteVectors(t)
	for name, k := range v.Keys {
		t.Run(name, func(t *testing.T) {
			key, err := ParseLogKey(k.VKey)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%08x", key.Hash); key.Origin != name || got != k.KeyIDHex {
				t.Errorf("parsed %s+%s, want %s+%s", key.Origin, got, name, k.KeyIDHex)
			}
			if got := fmt.Sprintf("%x", []byte(key.Public)); got != k.PublicKeyHx {
				t.Errorf("public key %s, want %s", got, k.PublicKeyHx)
			}
			// The key ID is recomputed from name and key.
			again, err := NewLogKey(key.Origin, key.Public)
			if err != nil || again.Text != k.VKey {
				t.Errorf("NewLogKey = %v, %v; want %s", again, err, k.VKey)
			}
		})
	}
	for i, bad := range v.BadVKeys {
		t.Run(fmt.Sprintf("bad%d", i), func(t *testing.T) {
			if _, err := ParseLogKey(bad.VKey); !errors.Is(err, ErrLogKey) {
				t.Errorf("ParseLogKey(%q) (%s) = %v, want ErrLogKey", bad.VKey, bad.Why, err)
			}
		})
	}
}

func TestConformanceSignedNoteOpen(t *testing.T) {
	v := loadSignedNoteVectors(t)
	keys := map[string]*LogKey{}
	for name, k := range v.Keys {
		key, err := ParseLogKey(k.VKey)
		if err != nil {
			t.Fatal(err)
		}
		keys[name] = key
	}
	// x/mod TestSign: Ed25519 is deterministic, so the expected note is what the key signed.
	for _, s := range v.Sign {
		t.Run(strings.ReplaceAll(s.Name, " ", "_"), func(t *testing.T) {
			n, err := OpenNote([]byte(s.ExpectedNote), keys["PeterNeumann"])
			if err != nil {
				t.Fatal(err)
			}
			if n.Text != s.Text {
				t.Errorf("text %q, want %q", n.Text, s.Text)
			}
		})
	}
	for _, c := range v.Open {
		t.Run(strings.ReplaceAll(c.Name, " ", "_"), func(t *testing.T) {
			raw := c.Note.bytes(t)
			if c.NoteConstruction != "" {
				// "text + '\n' + 101 * peterSig": built from the first ok case's text and signature.
				if c.NoteConstruction != `text + '\n' + 101 * peterSig` {
					t.Fatalf("unknown construction %q", c.NoteConstruction)
				}
				const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
				sig := "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
				raw = []byte(text + "\n" + strings.Repeat(sig, 101))
			}
			if c.ImplementationSpecific != "" {
				t.Logf("implementation specific (hallmark follows x/mod): %s", c.ImplementationSpecific)
			}
			var ks []*LogKey
			for _, name := range c.Verifiers {
				ks = append(ks, keys[name])
			}
			n, err := OpenNote(raw, ks...)
			if c.Expect != "ok" {
				if err == nil {
					t.Fatalf("opened, want error %q", c.Error)
				}
				// hallmark words the reason its own way; the sentinel gives the kind.
				want := ErrNoteSignature
				if c.Error == "malformed note" {
					want = ErrNoteMalformed
				}
				t.Logf("%v", err)
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v (x/mod: %q)", err, want, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Text != "" && n.Text != c.Text {
				t.Errorf("text %q, want %q", n.Text, c.Text)
			}
			var verified, unverified []string
			for _, s := range n.Sigs {
				verified = append(verified, s.Name)
			}
			for _, s := range n.UnverifiedSigs {
				unverified = append(unverified, s.Name)
			}
			if diff := cmp.Diff(c.VerifiedSigs, verified); diff != "" {
				t.Errorf("verified signatures (-want +got):\n%s", diff)
			}
			// The vectors annotate names: "EnochRoot (corrupted copy)".
			var wantUnverified []string
			for _, name := range c.UnverifiedSigs {
				name, _, _ = strings.Cut(name, " (")
				wantUnverified = append(wantUnverified, name)
			}
			if len(wantUnverified) > 0 || len(unverified) > 0 {
				if diff := cmp.Diff(wantUnverified, unverified); diff != "" {
					t.Errorf("unverified signatures (-want +got):\n%s", diff)
				}
			}
		})
	}
	// Notes whose key is not published: no key can open them (ErrNoteSignature, not
	// malformed), and the checkpoint example's body parses as the spec says.
	for _, c := range v.ParseOnly {
		t.Run(strings.ReplaceAll(c.Name, " ", "_"), func(t *testing.T) {
			raw := c.Note.bytes(t)
			if _, err := OpenNote(raw, keys["PeterNeumann"]); !errors.Is(err, ErrNoteSignature) {
				t.Errorf("OpenNote = %v, want ErrNoteSignature", err)
			}
			if c.Checkpoint == nil {
				return
			}
			text, _, _ := strings.Cut(string(raw), "\n\n")
			cp, err := parseCheckpointBody(text + "\n")
			if err != nil {
				t.Fatal(err)
			}
			if cp.Origin != c.Checkpoint.Origin || cp.Size != c.Checkpoint.TreeSize || base64.StdEncoding.EncodeToString(cp.Root) != c.Checkpoint.RootHash {
				t.Errorf("parsed %q %d %x, want %+v", cp.Origin, cp.Size, cp.Root, *c.Checkpoint)
			}
		})
	}
}

func TestConformanceRekorV2Checkpoints(t *testing.T) {
	data, err := os.ReadFile(corpus(t, "signed-note", "rekor-v2-checkpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors struct {
		ProductionVKey string `json:"public_good_production_vkey"`
		Cases          []struct {
			Case                 string `json:"case"`
			Note                 string `json:"checkpoint_note"`
			VKey                 string `json:"log_vkey"`
			LogSignatureVerifies bool   `json:"log_signature_verifies_locally"`
			InclusionProof       struct {
				LogIndex string `json:"logIndex"`
				TreeSize string `json:"treeSize"`
				RootHash b64    `json:"rootHash"`
				Hashes   []b64  `json:"hashes"`
			} `json:"inclusion_proof"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLogKey(vectors.ProductionVKey); err != nil {
		t.Errorf("production Rekor v2 key: %v", err)
	}
	for _, c := range vectors.Cases {
		t.Run(c.Case, func(t *testing.T) {
			key, err := ParseLogKey(c.VKey)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := OpenCheckpoint([]byte(c.Note), key)
			// The _fail cases are bundles whose checkpoint is broken: missing lines, no log
			// signature. Whether the checkpoint itself opens is what log_signature_verifies
			// records, and a broken body must then be ErrCheckpointMalformed.
			if !c.LogSignatureVerifies {
				if err == nil {
					t.Fatalf("opened, want an error")
				}
				if !errors.Is(err, ErrCheckpointSignature) && !errors.Is(err, ErrCheckpointMalformed) {
					t.Errorf("error %v is neither ErrCheckpointSignature nor ErrCheckpointMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			size, _ := strconv.ParseUint(c.InclusionProof.TreeSize, 10, 64)
			index, _ := strconv.ParseUint(c.InclusionProof.LogIndex, 10, 64)
			if cp.Size != size || !bytes.Equal(cp.Root, c.InclusionProof.RootHash) {
				t.Errorf("checkpoint %d %x, bundle's proof is for %d %x", cp.Size, cp.Root, size, []byte(c.InclusionProof.RootHash))
			}
			// The leaf is not in the vectors, so the proof is checked the other way round: a
			// proof for the right index and size with a made-up leaf must not verify.
			if err := VerifyInclusion(index, cp.Size, LeafHash([]byte("not the entry")), hashes(c.InclusionProof.Hashes), cp.Root); !errors.Is(err, ErrInclusionProof) {
				t.Errorf("made-up leaf: %v, want ErrInclusionProof", err)
			}
		})
	}
}

// tesseraLog returns the directory of the tessera test log and its key.
func tesseraLog(t testing.TB) (string, *LogKey) {
	t.Helper()
	dir := corpus(t, "tessera-tiled-log")
	key, err := ParseLogKey(tesseraVKey)
	if err != nil {
		t.Fatal(err)
	}
	return dir, key
}

// tesseraCheckpoints opens checkpoint.<size> for sizes 0..15.
func tesseraCheckpoints(t testing.TB, dir string, key *LogKey) []*Checkpoint {
	t.Helper()
	var cps []*Checkpoint
	for size := range len(tesseraEntries) + 1 {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("checkpoint.%d", size)))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := OpenCheckpoint(raw, key)
		if err != nil {
			t.Fatalf("checkpoint.%d: %v", size, err)
		}
		if cp.Size != uint64(size) || cp.Origin != key.Origin {
			t.Fatalf("checkpoint.%d: origin %q size %d", size, cp.Origin, cp.Size)
		}
		cps = append(cps, cp)
	}
	return cps
}

// tesseraFetchers are the two ways to read the test log: from disk and over HTTP.
func tesseraFetchers(t *testing.T, dir string) map[string]Fetcher {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	hf, err := NewHTTPFetcher(srv.URL+"/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Fetcher{"dir": NewDirFetcher(dir), "http": hf}
}

// TestConformanceTesseraLog reads tessera's test log through Client: at every size the
// checkpoint opens, every entry has a valid inclusion proof and the right content, every
// pair of sizes a valid consistency proof, and the tree grown from the entries (and the one
// built from tiles) has the checkpoint's root.
func TestConformanceTesseraLog(t *testing.T) {
	dir, key := tesseraLog(t)
	cps := tesseraCheckpoints(t, dir, key)
	ctx := context.Background()
	for name, f := range tesseraFetchers(t, dir) {
		t.Run(name, func(t *testing.T) {
			c := NewClient(f, key)
			latest, err := c.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if latest.Size != 15 || !bytes.Equal(latest.Root, cps[15].Root) {
				t.Fatalf("latest checkpoint %d %x, want checkpoint.15", latest.Size, latest.Root)
			}

			var grown Tree
			for size, cp := range cps {
				if !bytes.Equal(grown.Root(), cp.Root) {
					t.Errorf("size %d: tree grown from the entries has root %x, checkpoint %x", size, grown.Root(), cp.Root)
				}
				fromTiles, err := c.TreeAt(ctx, cp.Size, latest)
				if err != nil {
					t.Errorf("TreeAt(%d): %v", size, err)
				} else if diff := cmp.Diff(&grown, fromTiles); diff != "" && size > 0 {
					t.Errorf("TreeAt(%d) differs from the grown tree (-grown +tiles):\n%s", size, diff)
				}
				if size < len(tesseraEntries) {
					if err := grown.Append(LeafHash([]byte(tesseraEntries[size]))); err != nil {
						t.Fatal(err)
					}
				}

				for i := range cp.Size {
					proof, err := c.InclusionProof(ctx, i, cp)
					if err != nil {
						t.Fatalf("size %d: InclusionProof(%d): %v", size, i, err)
					}
					if err := VerifyInclusion(i, cp.Size, LeafHash([]byte(tesseraEntries[i])), proof, cp.Root); err != nil {
						t.Errorf("size %d entry %d: %v", size, i, err)
					}
					data, err := c.Entry(ctx, i, cp)
					if err != nil || string(data) != tesseraEntries[i] {
						t.Errorf("size %d: Entry(%d) = %q, %v; want %q", size, i, data, err, tesseraEntries[i])
					}
				}
				for _, old := range cps[1 : size+1] {
					proof, err := c.ConsistencyProof(ctx, old.Size, cp)
					if err != nil {
						t.Fatalf("ConsistencyProof(%d, %d): %v", old.Size, cp.Size, err)
					}
					if err := VerifyConsistency(old.Size, cp.Size, proof, old.Root, cp.Root); err != nil {
						t.Errorf("%v", err)
					}
				}

				var got []string
				err = c.Entries(ctx, 0, cp.Size, cp, func(index uint64, data []byte) error {
					if index != uint64(len(got)) {
						t.Errorf("size %d: entry %d came after %d entries", size, index, len(got))
					}
					got = append(got, string(data))
					return nil
				})
				if err != nil {
					t.Fatalf("size %d: Entries: %v", size, err)
				}
				if diff := cmp.Diff(tesseraEntries[:size], got, cmpEmpty); diff != "" {
					t.Errorf("size %d: Entries (-want +got):\n%s", size, diff)
				}
			}
		})
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// tamperedLog copies the tessera test log into a temporary directory and applies change to
// it, so one byte or file can be broken per case.
func tamperedLog(t *testing.T, change func(dir string)) string {
	t.Helper()
	src, _ := tesseraLog(t)
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	change(dst)
	return dst
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at += len(data)
	}
	data[at] ^= 0x01
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConformanceTesseraLogTampered breaks the test log in one place per case and checks that
// reading it through Client fails with the named error, over disk and HTTP.
func TestConformanceTesseraLogTampered(t *testing.T) {
	_, key := tesseraLog(t)
	good, _ := tesseraLog(t)
	goodCP := tesseraCheckpoints(t, good, key)[15]
	every := func(c *Client, cp *Checkpoint) error {
		return c.Entries(context.Background(), 0, cp.Size, cp, func(uint64, []byte) error { return nil })
	}
	cases := []struct {
		name   string
		change func(dir string)
		read   func(c *Client, cp *Checkpoint) error
		want   error
	}{{
		name:   "checkpoint-body-byte",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "checkpoint"), 30) },
		read:   func(c *Client, _ *Checkpoint) error { _, err := c.Checkpoint(context.Background()); return err },
		want:   ErrCheckpointSignature,
	}, {
		name:   "checkpoint-signature-byte",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "checkpoint"), -10) },
		read:   func(c *Client, _ *Checkpoint) error { _, err := c.Checkpoint(context.Background()); return err },
		want:   ErrCheckpointSignature,
	}, {
		name:   "checkpoint-missing",
		change: func(dir string) { os.Remove(filepath.Join(dir, "checkpoint")) },
		read:   func(c *Client, _ *Checkpoint) error { _, err := c.Checkpoint(context.Background()); return err },
		want:   ErrNotFound,
	}, {
		name: "checkpoint-truncated",
		change: func(dir string) {
			writeFile(t, filepath.Join(dir, "checkpoint"), []byte("example.com/log/testdata\n15\n"))
		},
		read: func(c *Client, _ *Checkpoint) error { _, err := c.Checkpoint(context.Background()); return err },
		want: ErrCheckpointMalformed,
	}, {
		name:   "leaf-tile-hash",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "tile/0/000.p/15"), 7*32+5) },
		read: func(c *Client, cp *Checkpoint) error {
			_, err := c.InclusionProof(context.Background(), 3, cp)
			return err
		},
		want: ErrInclusionProof,
	}, {
		name:   "leaf-tile-hash-entries",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "tile/0/000.p/15"), 14*32) },
		read:   every,
		want:   ErrInclusionProof,
	}, {
		name:   "leaf-tile-hash-tree",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "tile/0/000.p/15"), 0) },
		read:   func(c *Client, cp *Checkpoint) error { _, err := c.TreeAt(context.Background(), 9, cp); return err },
		want:   ErrConsistencyProof,
	}, {
		name:   "leaf-tile-short",
		change: func(dir string) { writeFile(t, filepath.Join(dir, "tile/0/000.p/15"), make([]byte, 14*32)) },
		read: func(c *Client, cp *Checkpoint) error {
			_, err := c.InclusionProof(context.Background(), 0, cp)
			return err
		},
		want: ErrLogMalformed,
	}, {
		name:   "leaf-tile-ragged",
		change: func(dir string) { writeFile(t, filepath.Join(dir, "tile/0/000.p/15"), make([]byte, 15*32-1)) },
		read:   every,
		want:   ErrLogMalformed,
	}, {
		name:   "leaf-tile-missing",
		change: func(dir string) { os.Remove(filepath.Join(dir, "tile/0/000.p/15")) },
		read: func(c *Client, cp *Checkpoint) error {
			_, err := c.ConsistencyProof(context.Background(), 5, cp)
			return err
		},
		want: ErrNotFound,
	}, {
		name:   "bundle-entry-byte",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "tile/entries/000.p/15"), -1) },
		read:   every,
		want:   ErrInclusionProof,
	}, {
		name:   "bundle-entry-byte-single",
		change: func(dir string) { flipByte(t, filepath.Join(dir, "tile/entries/000.p/15"), 3) },
		read:   func(c *Client, cp *Checkpoint) error { _, err := c.Entry(context.Background(), 0, cp); return err },
		want:   ErrInclusionProof,
	}, {
		name: "bundle-short",
		change: func(dir string) {
			writeFile(t, filepath.Join(dir, "tile/entries/000.p/15"), mustRead(t, filepath.Join(dir, "tile/entries/000.p/14")))
		},
		read: every,
		want: ErrLogMalformed,
	}, {
		name: "bundle-truncated",
		change: func(dir string) {
			p := filepath.Join(dir, "tile/entries/000.p/15")
			data := mustRead(t, p)
			writeFile(t, p, data[:len(data)-2])
		},
		read: func(c *Client, cp *Checkpoint) error { _, err := c.Entry(context.Background(), 2, cp); return err },
		want: ErrLogMalformed,
	}, {
		// A log serving another entry with a tile that matches it: only binding the tile
		// to the checkpoint catches it.
		name: "bundle-and-tile-rewritten",
		change: func(dir string) {
			bp := filepath.Join(dir, "tile/entries/000.p/15")
			data := mustRead(t, bp)
			copy(data[2:5], "uno")
			writeFile(t, bp, data)
			tp := filepath.Join(dir, "tile/0/000.p/15")
			tile := mustRead(t, tp)
			copy(tile[:32], LeafHash([]byte("uno")))
			writeFile(t, tp, tile)
		},
		read: every,
		want: ErrInclusionProof,
	}, {
		name: "bundle-swapped-entries",
		change: func(dir string) {
			// "one","two" → "two","one": right lengths, wrong order.
			p := filepath.Join(dir, "tile/entries/000.p/15")
			data := mustRead(t, p)
			copy(data[2:5], "two")
			copy(data[7:10], "one")
			writeFile(t, p, data)
		},
		read: every,
		want: ErrInclusionProof,
	}}
	for _, tc := range cases {
		dir := tamperedLog(t, tc.change)
		for name, f := range tesseraFetchers(t, dir) {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				err := tc.read(NewClient(f, key), goodCP)
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				t.Logf("%v", err)
			})
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
