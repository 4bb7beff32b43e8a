package tlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// testSigner returns a signer for a new Ed25519 key named name, and its LogKey.
func testSigner(t testing.TB, name string) (note.Signer, *LogKey) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseLogKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

func signNote(t testing.TB, text string, signers ...note.Signer) []byte {
	t.Helper()
	raw, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// vkeyFor builds "<name>+<hex id>+<base64(key)>" with the right key ID for typ||pub, so a test
// can get past the ID check to the check it is about.
func vkeyFor(name string, key []byte) string {
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	return fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(key))
}

func TestParseLogKey(t *testing.T) {
	// The tessera test log's key: its base64 contains '+'.
	k, err := ParseLogKey("  " + tesseraVKey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if k.Origin != "example.com/log/testdata" || k.Hash != 0x33d7b496 || len(k.Public) != ed25519.PublicKeySize || k.Text != tesseraVKey || k.String() != tesseraVKey {
		t.Errorf("parsed %+v", k)
	}
	if k.Verifier().Name() != k.Origin || k.Verifier().KeyHash() != k.Hash {
		t.Errorf("verifier %s+%08x", k.Verifier().Name(), k.Verifier().KeyHash())
	}

	pub := make([]byte, ed25519.PublicKeySize)
	for _, tc := range []struct {
		name, vkey, mention string
	}{
		{"empty", "", "is not"},
		{"no-plus", "example.com", "is not"},
		{"one-plus", "example.com+01234567", "is not"},
		{"no-name", vkeyFor("", append([]byte{1}, pub...)), "is not"},
		{"short-id", "example.com+0123456+AQ==", "8 hex digits"},
		{"non-hex-id", "example.com+0123456z+AQ==", "8 hex digits"},
		{"wrong-id", "example.com+01234567+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...)), "hash"},
		{"bad-base64", "example.com+01234567+!!!", "base64"},
		{"ecdsa", vkeyFor("example.com", append([]byte{2}, pub...)), "not an Ed25519 key"},
		{"no-key", vkeyFor("example.com", nil), "not an Ed25519 key"},
		{"short-key", vkeyFor("example.com", append([]byte{1}, pub[:31]...)), "31 bytes"},
		{"long-key", vkeyFor("example.com", append([]byte{1}, append(pub, 0)...)), "33 bytes"},
		{"space-in-name", vkeyFor("example com", append([]byte{1}, pub...)), "example com"},
		{"private-key", "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "8 hex digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseLogKey(tc.vkey)
			if !errors.Is(err, ErrLogKey) || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("ParseLogKey(%q) = %v, %v; want ErrLogKey mentioning %q", tc.vkey, k, err, tc.mention)
			}
		})
	}
}

func TestNewLogKey(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewLogKey("log.example.org/prod", pub)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := note.NewEd25519VerifierKey("log.example.org/prod", pub)
	if k.Text != want || !k.Public.Equal(pub) || k.Origin != "log.example.org/prod" {
		t.Errorf("NewLogKey = %+v, want %s", k, want)
	}
	again, err := ParseLogKey(k.Text)
	if err != nil || again.Hash != k.Hash {
		t.Errorf("round trip: %v, %v", again, err)
	}
	for _, bad := range []struct {
		origin string
		pub    ed25519.PublicKey
	}{{"has space", pub}, {"has+plus", pub}, {"", pub}, {"ok", pub[:31]}} {
		if _, err := NewLogKey(bad.origin, bad.pub); !errors.Is(err, ErrLogKey) {
			t.Errorf("NewLogKey(%q, %d bytes) = %v, want ErrLogKey", bad.origin, len(bad.pub), err)
		}
	}
}

func TestLoadLogKey(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "log.vkey")
	if err := os.WriteFile(good, []byte(tesseraVKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadLogKey(good); err != nil || k.Text != tesseraVKey {
		t.Errorf("LoadLogKey = %v, %v", k, err)
	}
	bad := filepath.Join(dir, "bad.vkey")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.vkey")
	if err := os.WriteFile(huge, make([]byte, maxKeyFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, huge, filepath.Join(dir, "missing.vkey"), dir} {
		if _, err := LoadLogKey(p); !errors.Is(err, ErrLogKey) || !strings.Contains(err.Error(), p) {
			t.Errorf("LoadLogKey(%s) = %v, want ErrLogKey naming the file", p, err)
		}
	}
}

// TestLogKeyVerifierFromFields: a LogKey written as a literal still verifies (from its
// fields), and one whose fields do not make a key verifies nothing.
func TestLogKeyVerifierFromFields(t *testing.T) {
	s, k := testSigner(t, "example.com/literal")
	raw := signNote(t, "hello\n", s)
	literal := &LogKey{Origin: k.Origin, Hash: k.Hash, Public: k.Public}
	if _, err := OpenNote(raw, literal); err != nil {
		t.Errorf("literal key: %v", err)
	}
	broken := &LogKey{Origin: k.Origin, Hash: k.Hash, Public: k.Public[:16]}
	if _, err := OpenNote(raw, broken); !errors.Is(err, ErrNoteSignature) {
		t.Errorf("broken key: %v, want ErrNoteSignature", err)
	}
	wrongHash := &LogKey{Origin: k.Origin, Hash: k.Hash + 1, Public: k.Public}
	if _, err := OpenNote(raw, wrongHash); !errors.Is(err, ErrNoteSignature) {
		t.Errorf("key with a wrong ID: %v, want ErrNoteSignature", err)
	}
}

func TestOpenNote(t *testing.T) {
	logS, logK := testSigner(t, "example.com/log")
	witS, witK := testSigner(t, "witness.example")
	_, otherK := testSigner(t, "example.com/log") // same name, other key ID
	text := "example.com/log\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	both := signNote(t, text, logS, witS)

	n, err := OpenNote(both, logK)
	if err != nil || n.Text != text || len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 1 {
		t.Fatalf("OpenNote(log key) = %+v, %v", n, err)
	}
	if n, err := OpenNote(both, logK, witK); err != nil || len(n.Sigs) != 2 {
		t.Errorf("OpenNote(both keys) = %+v, %v", n, err)
	}
	if _, err := OpenNote(both, otherK); !errors.Is(err, ErrNoteSignature) || !strings.Contains(err.Error(), otherK.Origin) {
		t.Errorf("OpenNote(key of the same name) = %v, want ErrNoteSignature naming it", err)
	}
	if _, err := OpenNote(both); !errors.Is(err, ErrNoteSignature) {
		t.Errorf("OpenNote(no keys) = %v, want ErrNoteSignature", err)
	}

	// A bad signature by a known key rejects the note even when another known key signed.
	lines := strings.Split(string(both), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "— witness.example ") {
			sig, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(l, "— witness.example "))
			sig[10] ^= 1
			lines[i] = "— witness.example " + base64.StdEncoding.EncodeToString(sig)
		}
	}
	badWitness := []byte(strings.Join(lines, "\n"))
	if _, err := OpenNote(badWitness, logK); err != nil {
		t.Errorf("bad signature from an unknown key must be ignored: %v", err)
	}
	if _, err := OpenNote(badWitness, logK, witK); !errors.Is(err, ErrNoteSignature) || !strings.Contains(err.Error(), "witness.example") {
		t.Errorf("bad signature from a known key = %v, want ErrNoteSignature naming it", err)
	}

	for name, raw := range map[string]string{
		"empty":            "",
		"no-signatures":    text + "\n",
		"no-blank-line":    text + "— example.com/log AAAA\n",
		"bad-dash":         text + "\n- example.com/log " + base64.StdEncoding.EncodeToString(make([]byte, 68)) + "\n",
		"no-final-newline": strings.TrimSuffix(string(both), "\n"),
		"control-char":     "a\tb\n" + string(both[len(text):]),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := OpenNote([]byte(raw), logK); !errors.Is(err, ErrNoteMalformed) {
				t.Errorf("OpenNote = %v, want ErrNoteMalformed", err)
			}
		})
	}
}
