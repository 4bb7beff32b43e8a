package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
)

// Sentinel errors of log verification and reading; match them with errors.Is. The message
// wrapped around each says which key, size, index, file or URL was involved.
var (
	// ErrLogKey: the text is not a C2SP Ed25519 verifier key ("<name>+<hex8>+<base64>"), or
	// its key ID does not match. Bad input: fix the --tlog-key file.
	ErrLogKey = errors.New("invalid log verifier key")

	// ErrCheckpointMalformed: the checkpoint is not a signed note, is too large, or its body
	// is not origin / decimal size / base64 root hash [/ extension lines]. Do not trust it.
	ErrCheckpointMalformed = errors.New("malformed checkpoint")

	// ErrCheckpointSignature: the checkpoint carries no valid signature by the log key (none
	// at all, or one that does not verify). Either the wrong key was given or the checkpoint
	// was forged or modified. Do not trust it.
	ErrCheckpointSignature = errors.New("checkpoint not signed by the log key")

	// ErrOriginMismatch: the checkpoint is validly signed but names another log than the key.
	ErrOriginMismatch = errors.New("checkpoint origin does not match the log key")

	// ErrInclusionProof: an entry (or a leaf hash in the log's tiles) is not proven to be in
	// the tree the checkpoint commits to. Evidence of a broken or lying log, or of a
	// tampered bundle.
	ErrInclusionProof = errors.New("inclusion proof does not verify")

	// ErrConsistencyProof: two tree heads are not proven to be versions of one append-only
	// log. If both checkpoints verify, keep them: they are evidence of a split view or a
	// rollback.
	ErrConsistencyProof = errors.New("consistency proof does not verify")

	// ErrNotFound: the log does not have what was asked for (HTTP 404, missing file, an
	// index or size beyond the checkpoint). Retry later if the log may still be catching up.
	ErrNotFound = errors.New("not found in the log")

	// ErrLogFetch: the log could not be read (network, HTTP status other than 200/404, a
	// response over the size limit, an unreadable file). Transient: retry.
	ErrLogFetch = errors.New("reading the log failed")

	// ErrLogMalformed: the log served a tile or entry bundle that does not parse or does not
	// have the width the tree size requires. The log is broken; nothing was verified.
	ErrLogMalformed = errors.New("malformed log data")
)

// MaxCheckpointSize caps a checkpoint (a signed note with witness cosignatures), as read from
// a log and as accepted by OpenCheckpoint.
const MaxCheckpointSize = 1 << 20

// Checkpoint is a verified C2SP checkpoint (c2sp.org/tlog-checkpoint): the log's signed
// commitment to the first Size entries, whose RFC 6962 Merkle tree hash is Root.
type Checkpoint struct {
	Origin     string
	Size       uint64
	Root       []byte
	Extensions []string // optional lines after the root hash, without "\n"
	Raw        []byte   // the whole signed note as fetched, including other signatures
}

// OpenCheckpoint verifies raw as a checkpoint signed by key and parses its body.
//
// Signatures from other keys (witness cosignatures) are allowed and ignored; a signature
// that claims to be from key (same name and key ID) but does not verify rejects the note,
// as c2sp.org/signed-note asks. The body must be, per c2sp.org/tlog-checkpoint: the origin
// line (equal to the key name, else ErrOriginMismatch), the tree size in decimal without
// leading zeros, the base64 SHA-256 root hash, then optional non-empty extension lines.
func OpenCheckpoint(raw []byte, key *LogKey) (*Checkpoint, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no log key given", ErrLogKey)
	}
	if len(raw) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d byte limit", ErrCheckpointMalformed, len(raw), MaxCheckpointSize)
	}
	n, err := OpenNote(raw, key)
	var ne *noteError
	switch {
	case errors.As(err, &ne) && ne.kind == ErrNoteSignature:
		return nil, fmt.Errorf("%w (%s): %s", ErrCheckpointSignature, key.Text, ne.detail)
	case errors.As(err, &ne):
		return nil, fmt.Errorf("%w: not a signed note: %s", ErrCheckpointMalformed, ne.detail)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrCheckpointMalformed, err)
	}
	cp, err := parseCheckpointBody(n.Text)
	if err != nil {
		return nil, err
	}
	if cp.Origin != key.Origin {
		return nil, fmt.Errorf("%w: checkpoint is for %q, key %s", ErrOriginMismatch, cp.Origin, key.Text)
	}
	cp.Raw = bytes.Clone(raw)
	return cp, nil
}

// parseCheckpointBody parses the note text of a checkpoint (the part before the signatures,
// ending in "\n"). formats/log reads the three fixed lines; the checks it leaves out (no
// leading zeros, a 32-byte root, non-empty extension lines) are made here.
func parseCheckpointBody(text string) (*Checkpoint, error) {
	var lc log.Checkpoint
	rest, err := lc.Unmarshal([]byte(text))
	if err != nil {
		// formats/log says "invalid checkpoint - <what>"; the sentinel already says the first part.
		return nil, fmt.Errorf("%w: %s", ErrCheckpointMalformed, strings.TrimPrefix(err.Error(), "invalid checkpoint - "))
	}
	lines := strings.SplitN(text, "\n", 4)
	// "The second line is the tree size, as an ASCII decimal number without leading zeros."
	if lines[1] != strconv.FormatUint(lc.Size, 10) {
		return nil, fmt.Errorf("%w: tree size %q is not a plain decimal number", ErrCheckpointMalformed, lines[1])
	}
	if len(lc.Hash) != sha256.Size {
		return nil, fmt.Errorf("%w: root hash is %d bytes, want %d", ErrCheckpointMalformed, len(lc.Hash), sha256.Size)
	}
	// Base64 must be canonical, so one checkpoint has one encoding.
	if lines[2] != base64.StdEncoding.EncodeToString(lc.Hash) {
		return nil, fmt.Errorf("%w: root hash %q is not canonical base64", ErrCheckpointMalformed, lines[2])
	}
	cp := &Checkpoint{Origin: lc.Origin, Size: lc.Size, Root: lc.Hash}
	if len(rest) > 0 {
		// The note text ends in "\n", so rest does too; every extension line must be non-empty.
		for i, ext := range strings.Split(strings.TrimSuffix(string(rest), "\n"), "\n") {
			if ext == "" {
				return nil, fmt.Errorf("%w: extension line %d is empty", ErrCheckpointMalformed, i+1)
			}
			cp.Extensions = append(cp.Extensions, ext)
		}
	}
	return cp, nil
}
