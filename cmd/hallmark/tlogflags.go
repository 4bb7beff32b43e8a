package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/tlog"
)

// logBundle submits a freshly signed bundle to the transparency log at url (--tlog), checks the
// answer and adds the entry, with its inclusion proof and checkpoint, to the bundle.
func logBundle(ctx context.Context, e *env, url string, b *bundle.Bundle, pub crypto.PublicKey) error {
	req, err := tlog.RequestForBundle(b, pub)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--tlog: %w", err)}
	}
	tle, err := tlog.Submit(ctx, url, req, nil)
	if err != nil {
		return codedError{code: ExitInternal, err: err}
	}
	if err := tlog.CheckSubmitted(tle, b, pub); err != nil {
		return codedError{code: ExitInternal, err: fmt.Errorf("--tlog %s answered with an entry that does not check out: %w", url, err)}
	}
	if err := tlog.AttachEntry(b, tle); err != nil {
		return codedError{code: ExitInternal, err: err}
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: logged in %s at index %d (tree size %d)\n", url, tle.GetLogIndex(), tle.GetInclusionProof().GetTreeSize())
	}
	return nil
}

// tlogLogCheck is the sign.LogCheck of --tlog-key/--require-tlog: the bundle's entries in the
// log with that verifier key are verified offline.
func tlogLogCheck(keyPath string, require bool) (sign.LogCheck, error) {
	key, err := tlog.LoadLogKey(keyPath)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--tlog-key: %w", err)}
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--tlog-key: %w", err)}
	}
	sum := sha256.Sum256(der)
	logID := hex.EncodeToString(sum[:])
	return func(b *bundle.Bundle, pub crypto.PublicKey) ([]sign.VerifiedLogEntry, error) {
		entries, err := tlog.VerifyBundle(b, key, pub, require)
		if err != nil {
			if errors.Is(err, tlog.ErrInvalidEntry) || errors.Is(err, tlog.ErrCheckpointMalformed) {
				return nil, fmt.Errorf("%w: %w", sign.ErrMalformedBundle, err)
			}
			return nil, err
		}
		out := make([]sign.VerifiedLogEntry, 0, len(entries))
		for _, v := range entries {
			out = append(out, sign.VerifiedLogEntry{
				LogID:    logID,
				LogURL:   key.Origin,
				LogIndex: int64(v.Index),
				Kind:     v.Kind + "/" + tlog.EntryAPIVersion,
			})
		}
		return out, nil
	}, nil
}

// applyTlogFlags adds the --tlog-key check to a verification policy.
func applyTlogFlags(p sign.Policy, keyPath string, require bool) (sign.Policy, error) {
	if keyPath == "" {
		if require {
			return p, usageError{errors.New("--require-tlog needs --tlog-key: the verifier key of the log (its log.vkey)")}
		}
		return p, nil
	}
	check, err := tlogLogCheck(strings.TrimSpace(keyPath), require)
	if err != nil {
		return p, err
	}
	return p.WithLogCheck(check), nil
}

// logSummary is the one-line mention of verified log entries in a command's stderr summary.
func logSummary(entries []sign.VerifiedLogEntry) string {
	var b strings.Builder
	for _, e := range entries {
		where := e.LogURL
		if where == "" {
			where = e.LogID
		}
		fmt.Fprintf(&b, "; logged in %s index %d", where, e.LogIndex)
	}
	return b.String()
}
