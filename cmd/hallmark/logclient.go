package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hallmark-dev/hallmark/tlog"
)

// logHTTPTimeout bounds each request to a log, so a cron-run monitor never hangs.
const logHTTPTimeout = time.Minute

// maxWatchKeySize caps a --watch-key file (a PEM public key or certificate).
const maxWatchKeySize = 1 << 20

var logFormats = []string{"text", "json"}

// newLogClientCmds returns the log inspection and monitoring commands: get, proof, checkpoint
// and monitor (`hallmark log …`).
func newLogClientCmds(e *env) []*cobra.Command {
	return []*cobra.Command{newLogGetCmd(e), newLogProofCmd(e), newLogCheckpointCmd(e), newLogMonitorCmd(e)}
}

// logReadFlags are the flags every log-reading command shares.
type logReadFlags struct {
	key, format string
}

func (f *logReadFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.key, "tlog-key", "", "the log's C2SP verifier key file (its log.vkey); required")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(logFormats, ", "))
}

// open checks the flags and returns a client for the log at rawURL trusting the key file.
func (f *logReadFlags) open(rawURL string) (*tlog.Client, *tlog.LogKey, error) {
	if !validFormat(f.format, logFormats) {
		return nil, nil, usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(logFormats, ", "))}
	}
	return openLogClient(rawURL, f.key)
}

func openLogClient(rawURL, keyPath string) (*tlog.Client, *tlog.LogKey, error) {
	if keyPath == "" {
		return nil, nil, usageError{errors.New("--tlog-key is required: the log's verifier key file (log.vkey), which every checkpoint must be signed with")}
	}
	key, err := tlog.LoadLogKey(keyPath)
	if err != nil {
		return nil, nil, codedError{code: ExitUsage, err: fmt.Errorf("--tlog-key: %w", err)}
	}
	f, err := tlog.NewHTTPFetcher(rawURL, &http.Client{Timeout: logHTTPTimeout})
	if err != nil {
		return nil, nil, usageError{err}
	}
	return tlog.NewClient(f, key), key, nil
}

// logError gives an error from reading or checking a log its exit code: the log cannot be
// read, 3; the log is not what its key says or misbehaves, 1; bad local input, 2.
func logError(err error) error {
	var ce codedError
	var ue usageError
	switch {
	case errors.As(err, &ce), errors.As(err, &ue):
		return err
	case errors.Is(err, tlog.ErrMonitorState), errors.Is(err, tlog.ErrWatch), errors.Is(err, tlog.ErrLogKey):
		return codedError{code: ExitUsage, err: err}
	case errors.Is(err, tlog.ErrLogFetch), errors.Is(err, tlog.ErrNotFound),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return codedError{code: ExitInternal, err: err}
	case errors.Is(err, tlog.ErrMonitor), errors.Is(err, tlog.ErrCheckpointSignature), errors.Is(err, tlog.ErrOriginMismatch),
		errors.Is(err, tlog.ErrCheckpointMalformed), errors.Is(err, tlog.ErrInclusionProof), errors.Is(err, tlog.ErrConsistencyProof),
		errors.Is(err, tlog.ErrLogMalformed), errors.Is(err, tlog.ErrInvalidEntry):
		return codedError{code: ExitNo, err: err}
	}
	return codedError{code: ExitInternal, err: err}
}

// checkpointOf reads and verifies the log's checkpoint.
func checkpointOf(ctx context.Context, c *tlog.Client, rawURL string) (*tlog.Checkpoint, error) {
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, logError(fmt.Errorf("log %s: %w", rawURL, err))
	}
	return cp, nil
}

func parseIndex(arg string) (uint64, error) {
	i, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		return 0, usageError{fmt.Errorf("INDEX %q: want an entry index, a decimal number from 0", arg)}
	}
	return i, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// indent prefixes every line of a signed note, for text output.
func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}

// --- hallmark log checkpoint ---

// checkpointOutput is the JSON output of `hallmark log checkpoint`, schema version 1.
type checkpointOutput struct {
	SchemaVersion int      `json:"schemaVersion"`
	URL           string   `json:"url"`
	Origin        string   `json:"origin"`
	Size          uint64   `json:"size"`
	RootHash      []byte   `json:"rootHash"` // base64, as in the checkpoint
	RootHashHex   string   `json:"rootHashHex"`
	Extensions    []string `json:"extensions,omitempty"`
	Checkpoint    string   `json:"checkpoint"`
}

func newLogCheckpointCmd(e *env) *cobra.Command {
	var f logReadFlags
	cmd := &cobra.Command{
		Use:   "checkpoint URL --tlog-key VKEY [--format text|json]",
		Short: "Show the log's current checkpoint, verified with its key",
		Long: `Fetch the log's current checkpoint (URL/checkpoint, C2SP tlog-tiles) and verify it: it must be
a C2SP signed note signed by the key in VKEY (the log's log.vkey) and name that key's log as its
origin. Prints the origin, the tree size and the root hash (hex and base64).

Exit status: 0 verified; 1 the checkpoint is not signed by the key, is for another log, or is
malformed; 2 bad usage or an unreadable key file; 3 the log could not be read.`,
		Example: `  hallmark log checkpoint http://127.0.0.1:8090 --tlog-key /var/lib/hallmark-log/log.vkey
  hallmark log checkpoint https://log.example.com --tlog-key log.vkey --format json | jq .size`,
		Args: exactArgs(1, "URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := f.open(args[0])
			if err != nil {
				return err
			}
			cp, err := checkpointOf(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if f.format == "json" {
				return writeJSON(e.stdout, checkpointOutput{SchemaVersion: 1, URL: args[0], Origin: cp.Origin, Size: cp.Size,
					RootHash: cp.Root, RootHashHex: hex.EncodeToString(cp.Root), Extensions: cp.Extensions, Checkpoint: string(cp.Raw)})
			}
			var b bytes.Buffer
			fmt.Fprintf(&b, "Checkpoint of %s (signature verified)\n", cp.Origin)
			fmt.Fprintf(&b, "  size:          %d\n", cp.Size)
			fmt.Fprintf(&b, "  root (hex):    %x\n", cp.Root)
			fmt.Fprintf(&b, "  root (base64): %s\n", base64.StdEncoding.EncodeToString(cp.Root))
			for _, x := range cp.Extensions {
				fmt.Fprintf(&b, "  extension:     %s\n", x)
			}
			_, err = e.stdout.Write(b.Bytes())
			return err
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// --- hallmark log get ---

// signerOutput names who signed a logged entry.
type signerOutput struct {
	Kind       string   `json:"kind"` // "key" or "certificate"
	KeyID      string   `json:"keyId"`
	Identities []string `json:"identities,omitempty"`
}

// entryOutput is the JSON output of `hallmark log get`, schema version 1.
type entryOutput struct {
	SchemaVersion     int             `json:"schemaVersion"`
	URL               string          `json:"url"`
	Origin            string          `json:"origin"`
	Index             uint64          `json:"logIndex"`
	TreeSize          uint64          `json:"treeSize"`
	RootHash          []byte          `json:"rootHash"`
	LeafHash          []byte          `json:"leafHash"`
	Kind              string          `json:"kind,omitempty"`
	Digest            string          `json:"digest,omitempty"`
	Signature         []byte          `json:"signature,omitempty"`
	Signer            *signerOutput   `json:"signer,omitempty"`
	Problem           string          `json:"problem,omitempty"`
	CanonicalizedBody []byte          `json:"canonicalizedBody"` // base64: the exact leaf data
	Entry             json.RawMessage `json:"entry,omitempty"`   // the same, decoded
}

func newLogGetCmd(e *env) *cobra.Command {
	var f logReadFlags
	cmd := &cobra.Command{
		Use:   "get URL INDEX --tlog-key VKEY [--format text|json]",
		Short: "Show the log entry at INDEX, proven to be in the verified checkpoint",
		Long: `Read entry INDEX of the log and decode it: kind (hashedrekord/0.0.2), the logged digest
(the artifact's, or for an attestation the hash of its DSSE envelope's PAE), and who signed it
(key sha256:<hex of the PKIX public key>, or the certificate's identities). The log's
checkpoint is verified with VKEY first, and the entry is proven to be in that tree with an
inclusion proof built from the log's tiles, so what is printed is what the log committed to.
The JSON output also carries the entry's exact bytes (canonicalizedBody, base64) and their leaf
hash.

Exit status: 0 shown; 1 the checkpoint or the inclusion proof does not verify, the log is not
that large, or the entry is not a hallmark entry (then it is still printed, raw); 2 bad usage;
3 the log could not be read.`,
		Example: `  hallmark log get http://127.0.0.1:8090 0 --tlog-key /var/lib/hallmark-log/log.vkey
  hallmark log get https://log.example.com 1234 --tlog-key log.vkey --format json | jq .signer`,
		Args: exactArgs(2, "URL INDEX"),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := parseIndex(args[1])
			if err != nil {
				return err
			}
			c, _, err := f.open(args[0])
			if err != nil {
				return err
			}
			cp, err := checkpointOf(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if index >= cp.Size {
				return codedError{code: ExitNo, err: fmt.Errorf("entry %d is not in log %s: its checkpoint has %d entries", index, cp.Origin, cp.Size)}
			}
			data, err := c.Entry(cmd.Context(), index, cp)
			if err != nil {
				return logError(fmt.Errorf("entry %d of %s: %w", index, args[0], err))
			}
			out := entryOutput{SchemaVersion: 1, URL: args[0], Origin: cp.Origin, Index: index, TreeSize: cp.Size,
				RootHash: cp.Root, LeafHash: tlog.LeafHash(data), CanonicalizedBody: data}
			s, perr := tlog.SummarizeEntry(data)
			if perr != nil {
				out.Problem = perr.Error()
			} else {
				out.Kind, out.Digest, out.Signature = s.Kind, s.Digest, s.Signature
				out.Signer = &signerOutput{Kind: "key", KeyID: s.KeyID}
				if s.Certificate != nil {
					out.Signer.Kind, out.Signer.Identities = "certificate", s.Identities
				}
			}
			if json.Valid(data) {
				out.Entry = json.RawMessage(data)
			}
			if err := writeEntry(e.stdout, f.format, &out); err != nil {
				return err
			}
			if perr != nil {
				return codedError{code: ExitNo, err: fmt.Errorf("entry %d of %s is in the log but is not a hallmark entry: %w", index, cp.Origin, perr)}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func writeEntry(w io.Writer, format string, out *entryOutput) error {
	if format == "json" {
		return writeJSON(w, out)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Entry %d of %s (included in the checkpoint of size %d)\n", out.Index, out.Origin, out.TreeSize)
	if out.Problem != "" {
		fmt.Fprintf(&b, "  problem:       %s\n", out.Problem)
		fmt.Fprintf(&b, "  leaf hash:     %x\n", out.LeafHash)
		fmt.Fprintf(&b, "  body (base64): %s\n", base64.StdEncoding.EncodeToString(out.CanonicalizedBody))
	} else {
		fmt.Fprintf(&b, "  kind:          %s\n", out.Kind)
		fmt.Fprintf(&b, "  digest:        %s\n", out.Digest)
		if out.Signer.Kind == "certificate" {
			fmt.Fprintf(&b, "  signed by:     certificate %s\n", strings.Join(out.Signer.Identities, ", "))
			fmt.Fprintf(&b, "  key:           %s\n", out.Signer.KeyID)
		} else {
			fmt.Fprintf(&b, "  signed by:     key %s\n", out.Signer.KeyID)
		}
		fmt.Fprintf(&b, "  leaf hash:     %x\n", out.LeafHash)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// --- hallmark log proof ---

// proofOutput is the JSON output of `hallmark log proof`, schema version 1.
type proofOutput struct {
	SchemaVersion int      `json:"schemaVersion"`
	Type          string   `json:"type"` // "inclusion" or "consistency"
	URL           string   `json:"url"`
	Origin        string   `json:"origin"`
	Index         *uint64  `json:"logIndex,omitempty"`
	LeafHash      []byte   `json:"leafHash,omitempty"`
	OldSize       *uint64  `json:"oldSize,omitempty"`
	OldRootHash   []byte   `json:"oldRootHash,omitempty"`
	TreeSize      uint64   `json:"treeSize"`
	RootHash      []byte   `json:"rootHash"`
	Hashes        [][]byte `json:"hashes"`
	Checkpoint    string   `json:"checkpoint"`
}

func newLogProofCmd(e *env) *cobra.Command {
	var (
		f       logReadFlags
		oldSize uint64
		oldRoot string
	)
	cmd := &cobra.Command{
		Use:   "proof URL (INDEX | --old-size N [--old-root HASH]) --tlog-key VKEY [--format text|json]",
		Short: "Print a verified inclusion or consistency proof at the log's current checkpoint",
		Long: `With INDEX: the inclusion proof of entry INDEX in the tree of the log's current checkpoint
(RFC 9162 §2.1.3), built from the log's tiles and verified against the checkpoint's root and
the entry's leaf hash before it is printed.

With --old-size N: the consistency proof that the tree of size N is a prefix of the current
tree (RFC 9162 §2.1.4). The root of the tree of size N is computed from the log's tiles and the
proof verified against it and the current root. Give --old-root (hex or base64, e.g. from a
checkpoint you kept) to require that the log's tree of size N is the one you saw: if it is not,
the log rewrote its history.

The checkpoint is verified with VKEY first. JSON output gives every hash in base64 and the
signed checkpoint, so the proof can be checked again offline.

Exit status: 0 proof verified; 1 it does not verify, the checkpoint is not the log's, INDEX or N
is beyond the log's size, or --old-root differs; 2 bad usage; 3 the log could not be read.`,
		Example: `  hallmark log proof http://127.0.0.1:8090 42 --tlog-key log.vkey
  hallmark log proof https://log.example.com 42 --tlog-key log.vkey --format json > proof.json
  hallmark log proof https://log.example.com --old-size 1000 --tlog-key log.vkey \
    --old-root 5a0e8f7a0b6c4e0bd1f0d3b1e8a9c6d3f3a1b2c4d5e6f708192a3b4c5d6e7f80`,
		Args: func(cmd *cobra.Command, args []string) error {
			old := cmd.Flags().Changed("old-size")
			switch {
			case len(args) == 2 && old:
				return usageError{errors.New("give INDEX (inclusion proof) or --old-size N (consistency proof), not both")}
			case len(args) == 1 && !old:
				return usageError{fmt.Errorf("%s: want INDEX (inclusion proof) or --old-size N (consistency proof)", cmd.CommandPath())}
			case len(args) != 1 && len(args) != 2:
				return usageError{fmt.Errorf("%s: want URL and INDEX, or URL with --old-size N; got %d argument(s)", cmd.CommandPath(), len(args))}
			case oldRoot != "" && !old:
				return usageError{errors.New("--old-root goes with --old-size")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var index uint64
			var wantOld []byte
			if len(args) == 2 {
				i, err := parseIndex(args[1])
				if err != nil {
					return err
				}
				index = i
			}
			if oldRoot != "" {
				h, err := parseHash(oldRoot)
				if err != nil {
					return usageError{fmt.Errorf("--old-root: %w", err)}
				}
				wantOld = h
			}
			c, _, err := f.open(args[0])
			if err != nil {
				return err
			}
			cp, err := checkpointOf(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			var out *proofOutput
			if len(args) == 2 {
				out, err = inclusionProof(cmd.Context(), c, cp, index)
			} else {
				out, err = consistencyProof(cmd.Context(), c, cp, oldSize, wantOld)
			}
			if err != nil {
				return err
			}
			out.URL = args[0]
			if f.format == "json" {
				return writeJSON(e.stdout, out)
			}
			return writeProofText(e.stdout, out)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Uint64Var(&oldSize, "old-size", 0, "print the consistency proof from the tree of this size to the current one")
	cmd.Flags().StringVar(&oldRoot, "old-root", "", "with --old-size: the root hash (hex or base64) the tree of that size must have")
	return cmd
}

// parseHash reads a SHA-256 hash in hex or standard base64.
func parseHash(s string) ([]byte, error) {
	if h, err := hex.DecodeString(s); err == nil && len(h) == 32 {
		return h, nil
	}
	if h, err := base64.StdEncoding.DecodeString(s); err == nil && len(h) == 32 {
		return h, nil
	}
	return nil, fmt.Errorf("%q is not a SHA-256 hash in hex (64 digits) or base64 (44 characters)", s)
}

func inclusionProof(ctx context.Context, c *tlog.Client, cp *tlog.Checkpoint, index uint64) (*proofOutput, error) {
	if index >= cp.Size {
		return nil, codedError{code: ExitNo, err: fmt.Errorf("entry %d is not in log %s: its checkpoint has %d entries", index, cp.Origin, cp.Size)}
	}
	data, err := c.Entry(ctx, index, cp)
	if err != nil {
		return nil, logError(fmt.Errorf("entry %d: %w", index, err))
	}
	hashes, err := c.InclusionProof(ctx, index, cp)
	if err != nil {
		return nil, logError(fmt.Errorf("inclusion proof of entry %d: %w", index, err))
	}
	leaf := tlog.LeafHash(data)
	// What is printed is checked here once more, from the entry's own bytes.
	if err := tlog.VerifyInclusion(index, cp.Size, leaf, hashes, cp.Root); err != nil {
		return nil, logError(err)
	}
	return &proofOutput{SchemaVersion: 1, Type: "inclusion", Origin: cp.Origin, Index: &index, LeafHash: leaf,
		TreeSize: cp.Size, RootHash: cp.Root, Hashes: nonNil(hashes), Checkpoint: string(cp.Raw)}, nil
}

func consistencyProof(ctx context.Context, c *tlog.Client, cp *tlog.Checkpoint, oldSize uint64, wantOld []byte) (*proofOutput, error) {
	if oldSize > cp.Size {
		return nil, codedError{code: ExitNo, err: fmt.Errorf("log %s has %d entries, fewer than --old-size %d: if it once had more, it rolled back", cp.Origin, cp.Size, oldSize)}
	}
	old, err := c.TreeAt(ctx, oldSize, cp)
	if err != nil {
		return nil, logError(fmt.Errorf("the tree of size %d: %w", oldSize, err))
	}
	oldRootHash := old.Root()
	if wantOld != nil && !bytes.Equal(wantOld, oldRootHash) {
		return nil, codedError{code: ExitNo, err: fmt.Errorf("%w: the log's tree of size %d has root %x, not --old-root %x: the log's history is not the one you saw",
			tlog.ErrConsistencyProof, oldSize, oldRootHash, wantOld)}
	}
	hashes, err := c.ConsistencyProof(ctx, oldSize, cp)
	if err != nil {
		return nil, logError(fmt.Errorf("consistency proof from size %d: %w", oldSize, err))
	}
	// VerifyConsistency refuses size 0 (every tree extends the empty one); equal sizes need
	// equal roots, which TreeAt checked.
	if oldSize != 0 {
		if err := tlog.VerifyConsistency(oldSize, cp.Size, hashes, oldRootHash, cp.Root); err != nil {
			return nil, logError(err)
		}
	}
	return &proofOutput{SchemaVersion: 1, Type: "consistency", Origin: cp.Origin, OldSize: &oldSize, OldRootHash: oldRootHash,
		TreeSize: cp.Size, RootHash: cp.Root, Hashes: nonNil(hashes), Checkpoint: string(cp.Raw)}, nil
}

func nonNil(h [][]byte) [][]byte {
	if h == nil {
		return [][]byte{}
	}
	return h
}

func writeProofText(w io.Writer, p *proofOutput) error {
	var b bytes.Buffer
	if p.Type == "inclusion" {
		fmt.Fprintf(&b, "Inclusion proof of entry %d in %s at tree size %d (verified)\n", *p.Index, p.Origin, p.TreeSize)
		fmt.Fprintf(&b, "  leaf hash:     %x\n", p.LeafHash)
	} else {
		fmt.Fprintf(&b, "Consistency proof of %s from tree size %d to %d (verified)\n", p.Origin, *p.OldSize, p.TreeSize)
		fmt.Fprintf(&b, "  old root:      %x\n", p.OldRootHash)
	}
	fmt.Fprintf(&b, "  root:          %x\n", p.RootHash)
	fmt.Fprintf(&b, "  hashes:        %d\n", len(p.Hashes))
	for _, h := range p.Hashes {
		fmt.Fprintf(&b, "    %x\n", h)
	}
	b.WriteString("  checkpoint:\n")
	b.WriteString(indent(p.Checkpoint, "    "))
	_, err := w.Write(b.Bytes())
	return err
}

// --- hallmark log monitor ---

type monitorFlags struct {
	logReadFlags
	state       string
	watchKeys   []string
	identities  []string
	peers       []string
	interval    time.Duration
	failOnMatch bool
}

// monitorOutput is the JSON report of one `hallmark log monitor` check, schema version 1.
type monitorOutput struct {
	SchemaVersion      int                 `json:"schemaVersion"`
	URL                string              `json:"url"`
	Origin             string              `json:"origin"`
	CheckedAt          time.Time           `json:"checkedAt"`
	Consistent         bool                `json:"consistent"`
	Problem            string              `json:"problem,omitempty"`
	ProblemKind        string              `json:"problemKind,omitempty"` // rollback, split-view, inconsistent, checkpoint
	FirstRun           bool                `json:"firstRun"`
	PreviousSize       uint64              `json:"previousSize"`
	PreviousRootHash   []byte              `json:"previousRootHash,omitempty"`
	Size               uint64              `json:"size"`
	RootHash           []byte              `json:"rootHash"`
	NewEntries         uint64              `json:"newEntries"`
	Matches            []monitorMatch      `json:"matches"`
	Unreadable         []monitorUnreadable `json:"unreadable"`
	Peers              []monitorPeer       `json:"peers,omitempty"`
	StateSaved         bool                `json:"stateSaved"`
	PreviousCheckpoint string              `json:"previousCheckpoint,omitempty"`
	Checkpoint         string              `json:"checkpoint"`
}

type monitorMatch struct {
	Index  uint64 `json:"logIndex"`
	Digest string `json:"digest"`
	Signer string `json:"signer"`
}

type monitorUnreadable struct {
	Index uint64 `json:"logIndex"`
	Error string `json:"error"`
}

type monitorPeer struct {
	URL        string `json:"url"`
	Size       uint64 `json:"size,omitempty"`
	RootHash   []byte `json:"rootHash,omitempty"`
	Consistent bool   `json:"consistent"`
	Problem    string `json:"problem,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

func newLogMonitorCmd(e *env) *cobra.Command {
	var f monitorFlags
	cmd := &cobra.Command{
		Use:   "monitor URL --tlog-key VKEY --state FILE [--watch-key PUB]... [--watch-identity ID]... [--peer URL]... [--interval D] [--fail-on-match]",
		Short: "Check that the log stays append-only and look for signatures by watched keys",
		Long: `Check the log at URL against what this monitor saw last time, recorded in the state FILE:

  - the current checkpoint must be signed by VKEY (the log's log.vkey) and name its log;
  - the tree must not shrink (rollback), the same size must have the same root, and a larger
    tree must contain the old one: a consistency proof from the log must verify, and the new
    entries, appended to the tree kept in FILE, must give the new checkpoint's root (otherwise
    the log forked: a split view);
  - every new entry is read, proven to be in the tree, and matched against the watched keys
    (--watch-key, a PEM public key or certificate: any entry signed with that key) and
    identities (--watch-identity: a certificate whose Subject Alternative Name — URI, email,
    DNS name — equals it). "Was my key used to sign something I did not sign?"
  - with --peer (repeatable), the checkpoint another copy of the log serves (a mirror, a
    witness, the log seen from elsewhere) must be consistent with the log's.

The first run (FILE does not exist) trusts the log's current checkpoint and reads every entry.
FILE is written, atomically, only after a check that passed; after a failed check it keeps the
last good checkpoint, which with the new one is the evidence to show the log's operator.

Without --interval the monitor checks once (for cron). With --interval D it checks every D
until interrupted (SIGINT, SIGTERM), printing one report per check (JSON: one object per line),
and stops at the first check that exits 1 or 2; checks that cannot reach the log are reported on
stderr and tried again.

Entries that are in the log but are not hallmark entries are listed as unreadable: the monitor
cannot tell who signed them, so they fail the check (exit 1), once.

Exit status: 0 consistent (and, with --fail-on-match, nothing watched signed); 1 the log is
inconsistent (rollback, split view, entries or tiles that do not match the checkpoint), the
checkpoint is not signed by VKEY, a peer disagrees, there are unreadable entries, or with
--fail-on-match a watched key or identity signed a new entry; 2 bad usage, an unreadable key or
a malformed state FILE (or one of another log); 3 the log could not be read.`,
		Example: `  # From cron: alert when the log misbehaves or the release key signs something
  hallmark log monitor https://log.example.com --tlog-key log.vkey --state /var/lib/hallmark/monitor.json \
    --watch-key release.pub --fail-on-match

  # Watch a CI identity, compare with a mirror, and keep running
  hallmark log monitor https://log.example.com --tlog-key log.vkey --state monitor.json \
    --watch-identity https://github.com/org/app/.github/workflows/release.yml@refs/heads/main \
    --peer https://mirror.example.org/log --interval 5m --format json`,
		Args: exactArgs(1, "URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogMonitor(cmd.Context(), e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringVar(&f.state, "state", "", "the monitor's state file (created on the first run); required")
	fl.StringArrayVar(&f.watchKeys, "watch-key", nil, "PEM public key or certificate: report entries signed with that key (repeatable)")
	fl.StringArrayVar(&f.identities, "watch-identity", nil, "report entries whose certificate names this identity (SAN, exact; repeatable)")
	fl.StringArrayVar(&f.peers, "peer", nil, "URL of another copy of the log whose checkpoint must be consistent (repeatable)")
	fl.DurationVar(&f.interval, "interval", 0, "check again every D (e.g. 5m) until interrupted; default: check once")
	fl.BoolVar(&f.failOnMatch, "fail-on-match", false, "exit 1 when a watched key or identity signed a new entry")
	return cmd
}

// monitorRun is what one check needs, prepared once.
type monitorRun struct {
	e     *env
	f     *monitorFlags
	url   string
	c     *tlog.Client
	key   *tlog.LogKey
	watch tlog.Watch
	peers []*tlog.Client
}

func runLogMonitor(ctx context.Context, e *env, f *monitorFlags, rawURL string) error {
	if f.state == "" {
		return usageError{errors.New("--state FILE is required: where the monitor keeps the last checkpoint it verified")}
	}
	if st, err := os.Stat(filepath.Dir(f.state)); err != nil || !st.IsDir() {
		return usageError{fmt.Errorf("--state %s: its directory does not exist", f.state)}
	}
	if f.interval < 0 {
		return usageError{fmt.Errorf("--interval %s: want a positive duration, e.g. 5m", f.interval)}
	}
	c, key, err := f.open(rawURL)
	if err != nil {
		return err
	}
	r := &monitorRun{e: e, f: f, url: rawURL, c: c, key: key, watch: tlog.Watch{Identities: f.identities}}
	for _, id := range f.identities {
		if strings.TrimSpace(id) == "" {
			return usageError{errors.New("--watch-identity: empty identity")}
		}
	}
	for _, p := range f.watchKeys {
		pub, err := loadWatchKey(p)
		if err != nil {
			return err
		}
		r.watch.Keys = append(r.watch.Keys, pub)
	}
	for _, p := range f.peers {
		pf, err := tlog.NewHTTPFetcher(p, &http.Client{Timeout: logHTTPTimeout})
		if err != nil {
			return usageError{fmt.Errorf("--peer: %w", err)}
		}
		r.peers = append(r.peers, tlog.NewClient(pf, key))
	}
	if f.interval == 0 {
		return r.check(ctx)
	}
	for {
		err := r.check(ctx)
		if ctx.Err() != nil {
			return nil // interrupted: the state holds the last good check
		}
		if err != nil {
			if exitCode(err) != ExitInternal {
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: %v (trying again in %s)\n", err, f.interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.interval):
		}
	}
}

// check runs one check, prints its report and saves the state when it passed.
func (r *monitorRun) check(ctx context.Context) error {
	prev, err := tlog.LoadMonitorState(r.f.state)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--state: %w", err)}
	}
	rep, next, err := tlog.Monitor(ctx, r.c, prev, r.watch)
	if rep == nil {
		return logError(fmt.Errorf("log %s: %w", r.url, err))
	}
	out := r.output(rep)
	if err != nil {
		r.write(&out)
		return codedError{code: ExitNo, err: fmt.Errorf("log %s: %w", r.url, err)}
	}
	// Peers are compared with the checkpoint just verified.
	cp, err := tlog.OpenCheckpoint([]byte(next.Checkpoint), r.key)
	if err != nil {
		return codedError{code: ExitInternal, err: err}
	}
	var peerErr error
	for i, pc := range r.peers {
		p := monitorPeer{URL: r.f.peers[i]}
		pcp, err := tlog.ComparePeer(ctx, r.c, cp, pc)
		if pcp != nil {
			p.Size, p.RootHash, p.Checkpoint = pcp.Size, pcp.Root, string(pcp.Raw)
		}
		if err != nil {
			p.Problem = err.Error()
			if peerErr == nil || exitCode(logError(err)) == ExitNo {
				peerErr = logError(fmt.Errorf("peer %s: %w", p.URL, err))
			}
		} else {
			p.Consistent = true
		}
		out.Peers = append(out.Peers, p)
	}
	if peerErr != nil {
		if exitCode(peerErr) == ExitNo {
			out.Consistent = false
			out.Problem, out.ProblemKind = peerErr.Error(), problemKind(peerErr)
		}
		r.write(&out)
		return peerErr
	}
	if err := next.Save(r.f.state); err != nil {
		r.write(&out)
		return codedError{code: ExitInternal, err: fmt.Errorf("--state: %w", err)}
	}
	out.StateSaved = true
	if err := r.write(&out); err != nil {
		return codedError{code: ExitInternal, err: err}
	}
	switch {
	case len(rep.Unreadable) > 0:
		return codedError{code: ExitNo, err: fmt.Errorf("log %s: %d new entries are not hallmark entries (first: %d): the monitor cannot tell who signed them",
			r.url, len(rep.Unreadable), rep.Unreadable[0].Index)}
	case r.f.failOnMatch && len(rep.Matches) > 0:
		return codedError{code: ExitNo, err: fmt.Errorf("log %s: %d new entries signed by a watched key or identity (first: entry %d)",
			r.url, len(rep.Matches), rep.Matches[0].Index)}
	}
	return nil
}

func problemKind(err error) string {
	switch {
	case errors.Is(err, tlog.ErrRollback):
		return "rollback"
	case errors.Is(err, tlog.ErrSplitView):
		return "split-view"
	case errors.Is(err, tlog.ErrInconsistent):
		return "inconsistent"
	case err != nil:
		return "checkpoint"
	}
	return ""
}

func (r *monitorRun) output(rep *tlog.MonitorReport) monitorOutput {
	out := monitorOutput{
		SchemaVersion: 1, URL: r.url, Origin: rep.Origin, CheckedAt: time.Now().UTC().Truncate(time.Second),
		Consistent: rep.Problem == nil, FirstRun: rep.FirstRun,
		PreviousSize: rep.PreviousSize, PreviousRootHash: rep.PreviousRoot, Size: rep.Size, RootHash: rep.Root,
		NewEntries: rep.NewEntries, Matches: []monitorMatch{}, Unreadable: []monitorUnreadable{},
		PreviousCheckpoint: rep.PreviousCheckpoint, Checkpoint: rep.Checkpoint,
	}
	if rep.Problem != nil {
		out.Problem, out.ProblemKind = rep.Problem.Error(), problemKind(rep.Problem)
	}
	for _, m := range rep.Matches {
		out.Matches = append(out.Matches, monitorMatch{Index: m.Index, Digest: m.Digest, Signer: m.Signer})
	}
	for _, u := range rep.Unreadable {
		out.Unreadable = append(out.Unreadable, monitorUnreadable{Index: u.Index, Error: u.Err.Error()})
	}
	return out
}

// write prints one report: indented JSON for a single check, one JSON line per check with
// --interval, or text.
func (r *monitorRun) write(out *monitorOutput) error {
	w := r.e.stdout
	if r.f.format == "json" {
		if r.f.interval > 0 {
			return json.NewEncoder(w).Encode(out)
		}
		return writeJSON(w, out)
	}
	var b bytes.Buffer
	verdict := "consistent"
	if !out.Consistent {
		verdict = "INCONSISTENT: " + map[string]string{
			"rollback":     "rollback",
			"split-view":   "split view",
			"inconsistent": "entries or tiles do not match the checkpoint",
			"checkpoint":   "a peer's checkpoint is not the log's",
		}[out.ProblemKind]
	}
	fmt.Fprintf(&b, "Log %s at %s: %s\n", out.Origin, out.URL, verdict)
	if out.Problem != "" {
		fmt.Fprintf(&b, "  problem:       %s\n", out.Problem)
	}
	// Roots in base64, as in the checkpoints printed below.
	fmt.Fprintf(&b, "  checkpoint:    size %d, root %s\n", out.Size, base64.StdEncoding.EncodeToString(out.RootHash))
	if out.FirstRun {
		b.WriteString("  previous:      none: first check, this checkpoint is trusted on first use\n")
	} else {
		fmt.Fprintf(&b, "  previous:      size %d, root %s\n", out.PreviousSize, base64.StdEncoding.EncodeToString(out.PreviousRootHash))
	}
	if out.NewEntries > 0 {
		fmt.Fprintf(&b, "  new entries:   %d (%d to %d)\n", out.NewEntries, out.Size-out.NewEntries, out.Size-1)
	} else if out.Consistent {
		b.WriteString("  new entries:   0\n")
	}
	for _, m := range out.Matches {
		fmt.Fprintf(&b, "  MATCH:         entry %d, %s, signed by %s\n", m.Index, m.Digest, m.Signer)
	}
	for _, u := range out.Unreadable {
		fmt.Fprintf(&b, "  UNREADABLE:    entry %d: %s\n", u.Index, u.Error)
	}
	for _, p := range out.Peers {
		if p.Consistent {
			fmt.Fprintf(&b, "  peer:          %s: size %d, consistent\n", p.URL, p.Size)
		} else {
			fmt.Fprintf(&b, "  peer:          %s: %s\n", p.URL, p.Problem)
		}
	}
	if out.StateSaved {
		fmt.Fprintf(&b, "  state:         saved to %s\n", r.f.state)
	} else {
		fmt.Fprintf(&b, "  state:         not saved (%s keeps the last good checkpoint)\n", r.f.state)
	}
	if !out.Consistent {
		if out.PreviousCheckpoint != "" {
			fmt.Fprintf(&b, "Previous checkpoint (from %s):\n%s", r.f.state, indent(out.PreviousCheckpoint, "  "))
		}
		fmt.Fprintf(&b, "Current checkpoint (from %s):\n%s", out.URL, indent(out.Checkpoint, "  "))
		for _, p := range out.Peers {
			if !p.Consistent && p.Checkpoint != "" {
				fmt.Fprintf(&b, "Peer checkpoint (from %s):\n%s", p.URL, indent(p.Checkpoint, "  "))
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// loadWatchKey reads a --watch-key file: a PKIX "PUBLIC KEY" PEM (any algorithm the log
// accepts: ECDSA P-256/384/521, Ed25519 for Ed25519ph) or a "CERTIFICATE" PEM, whose key is
// watched.
func loadWatchKey(path string) (crypto.PublicKey, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key: %w", err)}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxWatchKeySize+1))
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: %w", path, err)}
	}
	if len(data) > maxWatchKeySize {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: over %d bytes, not a public key", path, maxWatchKeySize)}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: no PEM block (want -----BEGIN PUBLIC KEY----- or CERTIFICATE)", path)}
	}
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: not a PKIX public key: %w", path, err)}
		}
		return pub, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: %w", path, err)}
		}
		return cert.PublicKey, nil
	}
	return nil, codedError{code: ExitUsage, err: fmt.Errorf("--watch-key %s: PEM block %q, want PUBLIC KEY or CERTIFICATE", path, block.Type)}
}
