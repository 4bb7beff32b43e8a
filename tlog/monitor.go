package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Monitor errors. Each is a finding about the log, not about the monitor's environment: both
// checkpoints involved are validly signed by the log, so together they are evidence that the
// log misbehaved. Keep them (the report names both) and alert the log's operator and users.
var (
	// ErrMonitor is what every monitor finding wraps.
	ErrMonitor = errors.New("transparency log monitor")

	// ErrRollback: the log served a checkpoint of a smaller tree than one it signed before.
	// An append-only log never shrinks; a stale cache in front of the log can cause it too.
	ErrRollback = fmt.Errorf("%w: rollback", ErrMonitor)

	// ErrSplitView: two checkpoints signed by the log are not versions of one append-only
	// tree (same size with different roots, or no valid consistency proof between them). The
	// log showed different histories to different readers, or rewrote its history.
	ErrSplitView = fmt.Errorf("%w: split view", ErrMonitor)

	// ErrInconsistent: the log's data (tiles, entry bundles) does not make the tree its
	// checkpoint commits to. The log is broken or lying; nothing it serves can be relied on.
	ErrInconsistent = fmt.Errorf("%w: inconsistent log", ErrMonitor)
)

var (
	// ErrMonitorState: a monitor state file is malformed, or belongs to another log or key.
	// Bad input: fix or remove the file (removing it restarts with trust on first use).
	ErrMonitorState = errors.New("invalid monitor state")

	// ErrWatch: a watched key or identity cannot be matched (an unsupported key type, an
	// empty identity). Bad input: fix the watch list.
	ErrWatch = errors.New("invalid watch list")
)

// monitorStateVersion is the schema version of the state file.
const monitorStateVersion = 1

// maxStateFileSize caps a state file: a checkpoint (MaxCheckpointSize) and at most 64 tree
// hashes, in JSON.
const maxStateFileSize = 2*MaxCheckpointSize + 64<<10

// MonitorState is what a monitor remembers about a log between runs: the last checkpoint it
// verified and the right border of that tree, so it can extend the tree with new entries
// without reading old ones again.
type MonitorState struct {
	Origin      string    `json:"origin"`
	VerifierKey string    `json:"verifierKey"` // the log's C2SP verifier key
	Size        uint64    `json:"size"`
	Root        []byte    `json:"root"`       // base64 in JSON
	Checkpoint  string    `json:"checkpoint"` // the signed checkpoint, as the log served it
	Tree        Tree      `json:"tree"`
	Updated     time.Time `json:"updated"`
}

// stateFile is the JSON shape of a state file: the state plus its schema version.
type stateFile struct {
	SchemaVersion int `json:"schemaVersion"`
	MonitorState
}

// LoadMonitorState reads the state file at path. A missing file is no state (nil, nil): the
// first run trusts the log's current checkpoint. Anything else that is not a valid state
// gives ErrMonitorState naming the file.
func LoadMonitorState(path string) (*MonitorState, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMonitorState, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMonitorState, path, err)
	}
	if len(data) > maxStateFileSize {
		return nil, fmt.Errorf("%w: %s: over %d bytes, not a monitor state file", ErrMonitorState, path, maxStateFileSize)
	}
	s, err := ParseMonitorState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseMonitorState decodes a state file strictly (no unknown fields, schema version 1) and
// checks that its parts agree: the key names the origin, the tree has the recorded size and
// root, and the checkpoint's body states the same size and root. The checkpoint's signature
// is checked by Monitor, which has the key the user trusts.
func ParseMonitorState(data []byte) (*MonitorState, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sf stateFile
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("%w: not a monitor state file: %v", ErrMonitorState, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMonitorState)
	}
	if sf.SchemaVersion != monitorStateVersion {
		return nil, fmt.Errorf("%w: schemaVersion %d, want %d", ErrMonitorState, sf.SchemaVersion, monitorStateVersion)
	}
	s := sf.MonitorState
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// validate checks that the parts of a state agree (see ParseMonitorState).
func (s *MonitorState) validate() error {
	key, err := ParseLogKey(s.VerifierKey)
	if err != nil {
		return fmt.Errorf("%w: verifierKey: %w", ErrMonitorState, err)
	}
	if s.Origin != key.Origin {
		return fmt.Errorf("%w: origin %q, but the verifier key is of %q", ErrMonitorState, shorten(s.Origin), key.Origin)
	}
	if len(s.Root) != sha256.Size {
		return fmt.Errorf("%w: root is %d bytes, want %d", ErrMonitorState, len(s.Root), sha256.Size)
	}
	if s.Tree.Size != s.Size {
		return fmt.Errorf("%w: tree of size %d for checkpoint size %d", ErrMonitorState, s.Tree.Size, s.Size)
	}
	if err := s.Tree.Validate(); err != nil {
		return fmt.Errorf("%w: tree: %w", ErrMonitorState, err)
	}
	if !bytes.Equal(s.Tree.Root(), s.Root) {
		return fmt.Errorf("%w: the tree's root is not the recorded root", ErrMonitorState)
	}
	n, err := parseNoteText(s.Checkpoint)
	if err != nil {
		return fmt.Errorf("%w: checkpoint: %w", ErrMonitorState, err)
	}
	cp, err := parseCheckpointBody(n)
	if err != nil {
		return fmt.Errorf("%w: checkpoint: %w", ErrMonitorState, err)
	}
	if cp.Origin != s.Origin || cp.Size != s.Size || !bytes.Equal(cp.Root, s.Root) {
		return fmt.Errorf("%w: the checkpoint (%q, size %d) is not the recorded one (%q, size %d)", ErrMonitorState, shorten(cp.Origin), cp.Size, s.Origin, s.Size)
	}
	return nil
}

// parseNoteText returns the text of a signed note (up to and including the last "\n" before
// the blank line that precedes the signatures), without checking any signature.
func parseNoteText(raw string) (string, error) {
	i := strings.LastIndex(raw, "\n\n")
	if i < 0 {
		return "", fmt.Errorf("%w: not a signed note: no blank line before the signatures", ErrCheckpointMalformed)
	}
	return raw[:i+1], nil
}

// Save writes the state to path atomically: a temporary file in the same directory, synced,
// then renamed over path, and the directory synced, so a crash leaves the old or the new
// state, never a torn one.
func (s *MonitorState) Save(path string) (err error) {
	data, err := s.encode()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing monitor state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing monitor state %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing monitor state %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing monitor state %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing monitor state %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing monitor state %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		// The rename is durable once the directory is; not every filesystem can sync one.
		d.Sync()
		d.Close()
	}
	return nil
}

// encode returns the state file's bytes, after checking that the state's parts agree.
func (s *MonitorState) encode() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(stateFile{SchemaVersion: monitorStateVersion, MonitorState: *s}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding monitor state: %w", err)
	}
	return append(data, '\n'), nil
}

// Watch is what a monitor looks for in new entries: signatures by one of Keys (compared by
// PKIX DER, also when the key is inside a certificate), and certificates naming one of
// Identities (a Subject Alternative Name — URI, email, DNS name or Fulcio's username — equal
// to it, exactly).
type Watch struct {
	Keys       []crypto.PublicKey
	Identities []string
}

// MonitorReport is the outcome of one Monitor run.
type MonitorReport struct {
	Origin             string
	PreviousSize, Size uint64
	PreviousRoot, Root []byte
	// PreviousCheckpoint and Checkpoint are the signed notes compared: keep both as evidence
	// when Problem is set. PreviousCheckpoint is empty on the first run.
	PreviousCheckpoint, Checkpoint string
	FirstRun                       bool
	NewEntries                     uint64
	Matches                        []Match
	// Unreadable lists new entries that are in the log (their inclusion is proven) but are
	// not entries a hallmark log accepts. A hallmark log never logs them, and the monitor
	// cannot tell whether they were signed by a watched key: look at them.
	Unreadable []UnreadableEntry
	// Problem is nil when the log is consistent; otherwise ErrRollback, ErrSplitView or
	// ErrInconsistent, with what exactly was found.
	Problem error
}

// Match is a new entry signed by a watched key or identity.
type Match struct {
	Index  uint64
	Digest string // the logged digest: "sha256:<hex>" (or sha384, sha512)
	Signer string // key ID "sha256:<hex of PKIX DER>", or the certificate's SAN that matched
}

// UnreadableEntry is a logged entry that does not parse as a hallmark entry.
type UnreadableEntry struct {
	Index uint64
	Err   error
}

// Monitor checks the log's current checkpoint against prev, the state of the last good run
// (nil on the first run: trust on first use), and reads the entries added since.
//
// The checkpoint must be signed by the log's key (c's key). Then, per c2sp.org/tlog-tiles
// client duties: a smaller tree than before is ErrRollback; the same size with another root is
// ErrSplitView. For a larger tree the log's consistency proof from the old size is verified,
// and the new entries are read (each proven to be in the new tree by Client.Entries) and their
// leaf hashes appended to the tree kept in the state; the result must have the new
// checkpoint's root. The entries decide what a failure means: entries or tiles that do not
// match the new checkpoint are ErrInconsistent (the log's data is broken); entries that do,
// yet do not extend the old tree to the new root, are ErrSplitView (the log forked); a proof
// that fails although the entries extend the old tree is ErrInconsistent. Each new entry is
// matched against w; entries that are not hallmark entries are listed as Unreadable.
//
// On success the report has no Problem and the new state is returned: save it. When the log
// is found inconsistent, the report (with Problem set) is returned with Problem as the error
// and no state: never save a state after a failure. Other errors (the log cannot be read,
// ErrLogFetch/ErrNotFound; the checkpoint is not the log's, ErrCheckpointSignature and its
// kin; a state for another log, ErrMonitorState; ctx ending) return no report.
func Monitor(ctx context.Context, c *Client, prev *MonitorState, w Watch) (*MonitorReport, *MonitorState, error) {
	if c == nil || c.key == nil {
		return nil, nil, fmt.Errorf("%w: no log key given", ErrLogKey)
	}
	key := c.key
	m, err := newMatcher(w)
	if err != nil {
		return nil, nil, err
	}
	var prevCP *Checkpoint
	if prev != nil {
		if err := prev.validate(); err != nil {
			return nil, nil, err
		}
		if prev.VerifierKey != key.Text {
			return nil, nil, fmt.Errorf("%w: the state is of log %s, the log key given is %s", ErrMonitorState, prev.VerifierKey, key.Text)
		}
		// The state file is not signed: its checkpoint must still verify with the key.
		prevCP, err = OpenCheckpoint([]byte(prev.Checkpoint), key)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: its checkpoint: %w", ErrMonitorState, err)
		}
	}

	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	r := &MonitorReport{Origin: cp.Origin, Size: cp.Size, Root: cp.Root, Checkpoint: string(cp.Raw), FirstRun: prev == nil}
	tree := Tree{}
	var proofErr error
	if prevCP != nil {
		r.PreviousSize, r.PreviousRoot, r.PreviousCheckpoint = prevCP.Size, prevCP.Root, prev.Checkpoint
		tree = Tree{Size: prev.Tree.Size, Hashes: slices.Clone(prev.Tree.Hashes)}
		if err := checkGrowth(prevCP, cp); err != nil {
			r.Problem = err
			return r, nil, err
		}
		// A consistency proof that does not verify is either a fork or broken tiles; which
		// one is told by the entries below, so it is judged after reading them.
		proofErr = checkConsistency(ctx, c, prevCP, cp)
		if proofErr != nil && !errors.Is(proofErr, ErrConsistencyProof) && !errors.Is(proofErr, ErrMonitor) {
			return nil, nil, proofErr
		}
	}

	from := tree.Size
	err = c.Entries(ctx, from, cp.Size, cp, func(index uint64, data []byte) error {
		if err := tree.Append(LeafHash(data)); err != nil {
			return err
		}
		s, err := SummarizeEntry(data)
		if err != nil {
			r.Unreadable = append(r.Unreadable, UnreadableEntry{Index: index, Err: err})
			return nil
		}
		if signer, ok := m.match(s); ok {
			r.Matches = append(r.Matches, Match{Index: index, Digest: s.Digest, Signer: signer})
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrInclusionProof) || errors.Is(err, ErrLogMalformed) || errors.Is(err, ErrTreeState) {
			r.Problem = fmt.Errorf("%w: reading entries %d to %d of the tree of size %d: %w", ErrInconsistent, from, cp.Size, cp.Size, err)
			return r, nil, r.Problem
		}
		return nil, nil, fmt.Errorf("reading entries %d to %d: %w", from, cp.Size, err)
	}
	r.NewEntries = cp.Size - from
	// Spec-shaped: the leaves the log served, each proven to be in the new checkpoint's tree,
	// appended to the tree of the previous checkpoint, must make the tree the log signed.
	switch {
	case tree.Size == cp.Size && bytes.Equal(tree.Root(), cp.Root) && proofErr != nil:
		// The entries show that the new tree extends the old one: the proof was broken.
		r.Problem = fmt.Errorf("%w: the log's entries extend the tree of size %d to the checkpoint of size %d, but its tiles give a consistency proof that does not verify: %w",
			ErrInconsistent, r.PreviousSize, cp.Size, proofErr)
	case tree.Size == cp.Size && bytes.Equal(tree.Root(), cp.Root):
	case prevCP != nil:
		// Every new leaf is in the new tree, yet the old tree plus them is not the new tree:
		// the new tree's first leaves are not the ones the log signed before.
		r.Problem = fmt.Errorf("%w: the checkpoint of size %d (root %s) does not extend the one of size %d (root %s): the log forked (entries %d to %d make root %s)",
			ErrSplitView, cp.Size, rootText(cp.Root), prevCP.Size, rootText(prevCP.Root), from, cp.Size-1, rootText(tree.Root()))
		if proofErr != nil {
			r.Problem = fmt.Errorf("%w; %v", r.Problem, proofErr)
		}
	default:
		r.Problem = fmt.Errorf("%w: the %d entries served make a tree of size %d with root %s, the checkpoint says size %d root %s",
			ErrInconsistent, r.NewEntries, tree.Size, rootText(tree.Root()), cp.Size, rootText(cp.Root))
	}
	if r.Problem != nil {
		return r, nil, r.Problem
	}
	next := &MonitorState{
		Origin:      key.Origin,
		VerifierKey: key.Text,
		Size:        cp.Size,
		Root:        bytes.Clone(cp.Root),
		Checkpoint:  string(cp.Raw),
		Tree:        tree,
		Updated:     time.Now().UTC().Truncate(time.Second),
	}
	return r, next, nil
}

// rootText prints a hash as checkpoints do, so an error can be compared with the checkpoints.
func rootText(h []byte) string { return base64.StdEncoding.EncodeToString(h) }

// checkGrowth checks what two checkpoints signed by the log say without reading the log: the
// tree did not shrink, and the same size has the same root.
func checkGrowth(old, cp *Checkpoint) error {
	switch {
	case cp.Size < old.Size:
		return fmt.Errorf("%w: the log now serves a checkpoint of size %d (root %s), after one of size %d (root %s)",
			ErrRollback, cp.Size, rootText(cp.Root), old.Size, rootText(old.Root))
	case cp.Size == old.Size && !bytes.Equal(cp.Root, old.Root):
		return fmt.Errorf("%w: two checkpoints of size %d with different roots: %s (seen before) and %s (now)", ErrSplitView, cp.Size, rootText(old.Root), rootText(cp.Root))
	case old.Size == 0 && !bytes.Equal(old.Root, hasher.EmptyRoot()):
		// Every tree extends the empty one; OpenCheckpoint does not check the empty root.
		return fmt.Errorf("%w: a checkpoint of size 0 with root %s, not the empty tree's", ErrSplitView, rootText(old.Root))
	}
	return nil
}

// checkConsistency verifies the log's consistency proof from old to the larger cp. Errors:
// ErrConsistencyProof (it does not verify), ErrInconsistent (the tiles do not make a proof),
// or the log could not be read.
func checkConsistency(ctx context.Context, c *Client, old, cp *Checkpoint) error {
	if old.Size == 0 || old.Size == cp.Size {
		return nil
	}
	proof, err := c.ConsistencyProof(ctx, old.Size, cp)
	if err != nil {
		if errors.Is(err, ErrLogMalformed) || errors.Is(err, ErrInclusionProof) {
			return fmt.Errorf("%w: consistency proof from size %d to %d: %w", ErrInconsistent, old.Size, cp.Size, err)
		}
		return err
	}
	return VerifyConsistency(old.Size, cp.Size, proof, old.Root, cp.Root)
}

// ComparePeer checks the checkpoint another copy of the same log serves (a mirror, a
// witness, the log seen from another network) against cp, a checkpoint of the primary
// verified by primary. Both must be signed by the log's key. The same size must have the same
// root; different sizes must be consistent, proven with the tiles of the larger side. A
// mismatch is ErrSplitView; the peer's verified checkpoint is returned with it as evidence.
func ComparePeer(ctx context.Context, primary *Client, cp *Checkpoint, peer *Client) (*Checkpoint, error) {
	if primary == nil || cp == nil || peer == nil {
		return nil, fmt.Errorf("%w: no checkpoint to compare", ErrNotFound)
	}
	pcp, err := peer.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case pcp.Size == cp.Size:
		if !bytes.Equal(pcp.Root, cp.Root) {
			return pcp, fmt.Errorf("%w: the peer's checkpoint of size %d has root %s, the log's %s", ErrSplitView, pcp.Size, rootText(pcp.Root), rootText(cp.Root))
		}
		return pcp, nil
	case pcp.Size < cp.Size:
		return pcp, proveExtends(ctx, primary, pcp, cp, "the peer's", "the log's")
	default:
		return pcp, proveExtends(ctx, peer, cp, pcp, "the log's", "the peer's")
	}
}

// proveExtends checks that larger extends smaller with a proof read through c (larger's log).
func proveExtends(ctx context.Context, c *Client, smaller, larger *Checkpoint, smallName, largeName string) error {
	if smaller.Size == 0 {
		if !bytes.Equal(smaller.Root, hasher.EmptyRoot()) {
			return fmt.Errorf("%w: %s checkpoint of size 0 has root %s, not the empty tree's", ErrSplitView, smallName, rootText(smaller.Root))
		}
		return nil
	}
	proof, err := c.ConsistencyProof(ctx, smaller.Size, larger)
	if err != nil {
		if errors.Is(err, ErrLogMalformed) || errors.Is(err, ErrInclusionProof) {
			return fmt.Errorf("%w: consistency proof from size %d to %d: %w", ErrInconsistent, smaller.Size, larger.Size, err)
		}
		return err
	}
	if err := VerifyConsistency(smaller.Size, larger.Size, proof, smaller.Root, larger.Root); err != nil {
		return fmt.Errorf("%w: %s checkpoint of size %d (root %s) does not extend %s of size %d (root %s): %w",
			ErrSplitView, largeName, larger.Size, rootText(larger.Root), smallName, smaller.Size, rootText(smaller.Root), err)
	}
	return nil
}

// EntrySummary is what a logged hallmark entry (a Rekor v2 hashedrekord) says, decoded for
// people and for matching.
type EntrySummary struct {
	Kind       string // "hashedrekord/0.0.2"
	Digest     string // the logged digest, "<algorithm>:<hex>", e.g. "sha256:…"
	Signature  []byte
	KeyID      string // "sha256:<hex>" of the PKIX DER of the verifying key (a certificate's too)
	KeyDER     []byte // PKIX DER of the verifying key
	Identities []string
	// Certificate is the verifier's certificate (DER) when the entry names one; Identities
	// then lists its Subject Alternative Names.
	Certificate []byte
}

// Signer names who signed: the certificate's first SAN, or the key ID.
func (s *EntrySummary) Signer() string {
	if len(s.Identities) > 0 {
		return s.Identities[0]
	}
	return s.KeyID
}

// SummarizeEntry parses a logged entry (ParseEntry) and decodes its digest and verifier.
// Errors wrap ErrInvalidEntry.
func SummarizeEntry(data []byte) (*EntrySummary, error) {
	e, err := ParseEntry(data)
	if err != nil {
		return nil, err
	}
	hr := e.GetSpec().GetHashedRekordV002()
	s := &EntrySummary{
		Kind:      e.GetKind() + "/" + e.GetApiVersion(),
		Digest:    digestName(hr.GetData().GetAlgorithm(), len(hr.GetData().GetDigest())) + ":" + hex.EncodeToString(hr.GetData().GetDigest()),
		Signature: hr.GetSignature().GetContent(),
	}
	v := EntryVerifier(e)
	switch {
	case v.GetPublicKey() != nil:
		der := v.GetPublicKey().GetRawBytes()
		if _, err := x509.ParsePKIXPublicKey(der); err != nil {
			return nil, fmt.Errorf("%w: the entry's public key is not PKIX DER: %v", ErrInvalidEntry, err)
		}
		s.KeyDER = der
	case v.GetX509Certificate() != nil:
		cert, err := x509.ParseCertificate(v.GetX509Certificate().GetRawBytes())
		if err != nil {
			return nil, fmt.Errorf("%w: the entry's certificate: %v", ErrInvalidEntry, err)
		}
		s.Certificate = cert.Raw
		s.KeyDER = cert.RawSubjectPublicKeyInfo
		s.Identities = cryptoutils.GetSubjectAlternateNames(cert)
	default:
		return nil, fmt.Errorf("%w: the entry names neither a public key nor a certificate", ErrInvalidEntry)
	}
	s.KeyID = KeyID(s.KeyDER)
	return s, nil
}

// KeyID is hallmark's name for a key: "sha256:<hex>" of its PKIX DER (as `hallmark verify`
// prints it).
func KeyID(pkixDER []byte) string {
	sum := sha256.Sum256(pkixDER)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// digestName is the algorithm prefix of a logged digest: the one the entry names, or, when it
// names none, the SHA-2 of that length.
func digestName(alg protocommon.HashAlgorithm, n int) string {
	switch alg {
	case protocommon.HashAlgorithm_SHA2_256:
		return "sha256"
	case protocommon.HashAlgorithm_SHA2_384:
		return "sha384"
	case protocommon.HashAlgorithm_SHA2_512:
		return "sha512"
	case protocommon.HashAlgorithm_SHA3_256:
		return "sha3-256"
	case protocommon.HashAlgorithm_SHA3_384:
		return "sha3-384"
	}
	switch n {
	case 32:
		return "sha256"
	case 48:
		return "sha384"
	case 64:
		return "sha512"
	}
	return "unknown"
}

// matcher holds a Watch in comparable form.
type matcher struct {
	keys       map[string]bool // PKIX DER
	identities map[string]bool
}

func newMatcher(w Watch) (*matcher, error) {
	m := &matcher{keys: map[string]bool{}, identities: map[string]bool{}}
	for i, k := range w.Keys {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: watched key %d (%T): %v", ErrWatch, i+1, k, err)
		}
		m.keys[string(der)] = true
	}
	for _, id := range w.Identities {
		if id == "" {
			return nil, fmt.Errorf("%w: an empty identity matches nothing", ErrWatch)
		}
		m.identities[id] = true
	}
	return m, nil
}

// match reports whether s was signed by a watched key or identity, and names the signer.
func (m *matcher) match(s *EntrySummary) (string, bool) {
	for _, id := range s.Identities {
		if m.identities[id] {
			return id, true
		}
	}
	if m.keys[string(s.KeyDER)] {
		if len(s.Identities) > 0 {
			return s.KeyID + " (certificate " + s.Identities[0] + ")", true
		}
		return s.KeyID, true
	}
	return "", false
}
