package tlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Sentinel errors of OpenNote (OpenCheckpoint reports them as ErrCheckpointMalformed and
// ErrCheckpointSignature).
var (
	// ErrNoteMalformed: the input is not a C2SP signed note (c2sp.org/signed-note): no blank
	// line before the signatures, a bad signature line, control characters, invalid UTF-8,
	// or more signatures than x/mod reads (100).
	ErrNoteMalformed = errors.New("malformed signed note")
	// ErrNoteSignature: the note has no valid signature from any of the given keys, or a
	// signature that claims to be from one of them does not verify.
	ErrNoteSignature = errors.New("signed note not signed by a known key")
)

// sigTypeEd25519 is the C2SP signed-note signature type byte of Ed25519 keys.
const sigTypeEd25519 = 0x01

// maxKeyFileSize caps a verifier key file; a vkey line is under 200 bytes.
const maxKeyFileSize = 64 << 10

// LogKey is a C2SP signed-note verifier key for an Ed25519 log:
// "<name>+<hex key ID>+<base64(0x01 || public key)>". The name is the log's origin.
type LogKey struct {
	Origin string            // key name; a checkpoint's first line must equal it
	Hash   uint32            // key ID: SHA-256(name || "\n" || 0x01 || pub)[:4]
	Public ed25519.PublicKey // raw 32-byte Ed25519 public key
	Text   string            // the vkey line, without surrounding whitespace

	verifier note.Verifier
}

// ParseLogKey parses a verifier key, ignoring surrounding whitespace (so a key file's final
// newline is fine). Only Ed25519 keys are accepted: c2sp.org/tlog-tiles requires logs to sign
// checkpoints with one.
func ParseLogKey(vkey string) (*LogKey, error) {
	vkey = strings.TrimSpace(vkey)
	// Split on the first two '+' only: the base64 key may itself contain '+'.
	name, rest, ok1 := strings.Cut(vkey, "+")
	hashHex, keyB64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" {
		return nil, fmt.Errorf("%w: %q is not <name>+<hex key ID>+<base64 key>", ErrLogKey, shorten(vkey))
	}
	if len(hashHex) != 8 {
		return nil, fmt.Errorf("%w: key ID %q is not 8 hex digits", ErrLogKey, shorten(hashHex))
	}
	hash, err := strconv.ParseUint(hashHex, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: key ID %q is not 8 hex digits", ErrLogKey, hashHex)
	}
	raw, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		return nil, fmt.Errorf("%w: key of %q is not base64: %v", ErrLogKey, name, err)
	}
	if len(raw) == 0 || raw[0] != sigTypeEd25519 {
		return nil, fmt.Errorf("%w: key of %q is not an Ed25519 key (type byte 0x01)", ErrLogKey, name)
	}
	if len(raw) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key of %q is %d bytes, want %d", ErrLogKey, name, len(raw)-1, ed25519.PublicKeySize)
	}
	// x/mod checks the name and that the key ID matches the key.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrLogKey, name, err)
	}
	return &LogKey{
		Origin:   name,
		Hash:     uint32(hash),
		Public:   ed25519.PublicKey(raw[1:]),
		Text:     vkey,
		verifier: v,
	}, nil
}

// LoadLogKey reads a verifier key file (one vkey line, as `hallmark log serve` writes to
// log.vkey). Errors name the file.
func LoadLogKey(path string) (*LogKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLogKey, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrLogKey, path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s: over %d bytes, not a verifier key", ErrLogKey, path, maxKeyFileSize)
	}
	k, err := ParseLogKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// NewLogKey returns the verifier key of the log named origin with Ed25519 public key pub.
func NewLogKey(origin string, pub ed25519.PublicKey) (*LogKey, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, fmt.Errorf("%w: origin %q: %v", ErrLogKey, origin, err)
	}
	return ParseLogKey(vkey)
}

// String returns the vkey line.
func (k *LogKey) String() string { return k.Text }

// Verifier returns the signed-note verifier of the key. A LogKey not made by this package's
// constructors gets a verifier built from its fields, or one that accepts nothing if they are
// not a valid key: verification fails closed.
func (k *LogKey) Verifier() note.Verifier {
	if k.verifier != nil {
		return k.verifier
	}
	if vkey, err := note.NewEd25519VerifierKey(k.Origin, k.Public); err == nil {
		if v, err := note.NewVerifier(vkey); err == nil && v.KeyHash() == k.Hash {
			return v
		}
	}
	return rejectVerifier{name: k.Origin, hash: k.Hash}
}

// rejectVerifier is the verifier of an invalid LogKey: no signature verifies.
type rejectVerifier struct {
	name string
	hash uint32
}

func (v rejectVerifier) Name() string                { return v.name }
func (v rejectVerifier) KeyHash() uint32             { return v.hash }
func (v rejectVerifier) Verify(msg, sig []byte) bool { return false }

// OpenNote verifies a C2SP signed note (c2sp.org/signed-note) against keys. It succeeds when
// at least one of keys signed it and every signature claiming to be from one of keys
// verifies; signatures from other keys are ignored. The returned note lists the verified
// signatures in Sigs and the others in UnverifiedSigs.
func OpenNote(raw []byte, keys ...*LogKey) (*note.Note, error) {
	vs := make([]note.Verifier, 0, len(keys))
	for _, k := range keys {
		if k != nil {
			vs = append(vs, k.Verifier())
		}
	}
	n, err := note.Open(raw, note.VerifierList(vs...))
	if err == nil {
		return n, nil
	}
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, &noteError{ErrNoteSignature, "no signature by " + keyNames(keys)}
	case errors.As(err, &invalid):
		return nil, &noteError{ErrNoteSignature, fmt.Sprintf("the signature by %s+%08x does not verify", invalid.Name, invalid.Hash)}
	default:
		// x/mod's other errors all mean the note itself is malformed (or, for a verifier
		// list with two keys of one name and ID, ambiguous).
		return nil, &noteError{ErrNoteMalformed, malformedReason(raw, err)}
	}
}

// noteError is an OpenNote error: its kind (ErrNoteSignature or ErrNoteMalformed) and what
// exactly is wrong, which OpenCheckpoint reuses under its own sentinels.
type noteError struct {
	kind   error
	detail string
}

func (e *noteError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *noteError) Unwrap() error { return e.kind }

// malformedReason says why x/mod rejected a note; x/mod only says "malformed note".
func malformedReason(raw []byte, err error) string {
	// The signatures follow the last blank line: the text may contain blank lines.
	split := bytes.LastIndex(raw, []byte("\n\n"))
	var sigs []byte
	if split >= 0 {
		sigs = raw[split+2:]
	}
	switch {
	case !utf8.Valid(raw):
		return "not valid UTF-8"
	case bytes.ContainsFunc(raw, func(r rune) bool { return r < 0x20 && r != '\n' }):
		return "contains control characters"
	case split < 0:
		return "no blank line between the text and the signatures"
	case len(raw) == 0 || raw[len(raw)-1] != '\n':
		return "does not end in a newline"
	case len(sigs) == 0:
		return "no signature lines"
	case bytes.Count(sigs, []byte("\n")) > 100:
		return "more than 100 signature lines"
	}
	return fmt.Sprintf("a signature line is not \"— <key name> <base64 signature>\" (%v)", err)
}

func keyNames(keys []*LogKey) string {
	var names []string
	for _, k := range keys {
		if k != nil {
			names = append(names, fmt.Sprintf("%s+%08x", k.Origin, k.Hash))
		}
	}
	if len(names) == 0 {
		return "any known key (none given)"
	}
	return strings.Join(names, " or ")
}

// shorten keeps error messages readable when the input is huge.
func shorten(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
