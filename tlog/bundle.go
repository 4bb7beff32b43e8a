package tlog

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

var (
	// ErrNoLogEntry: an entry from the given log was required and the bundle has none.
	ErrNoLogEntry = errors.New("no entry from this transparency log in the bundle")
	// ErrEntryMismatch: the logged entry is validly included but describes another signature,
	// artifact or key than the bundle's (an entry copied from another bundle).
	ErrEntryMismatch = errors.New("the log entry does not match the bundle")
)

// VerifiedEntry is a bundle's log entry whose inclusion was proven offline.
type VerifiedEntry struct {
	Index      uint64
	Kind       string
	Checkpoint *Checkpoint
}

// VerifyBundle checks, offline, every entry of the bundle that comes from the log with key:
// its checkpoint is signed by the log, its inclusion proof leads from the entry to the
// checkpoint's root, and the entry describes this bundle's signature (digest or DSSE payload
// hash, signature bytes, and the signing key pub or the bundle's certificate). Entries of
// other logs are skipped. With require, a bundle with no entry of this log fails with
// ErrNoLogEntry. Any entry of this log that fails makes the whole check fail.
func VerifyBundle(b *bundle.Bundle, key *LogKey, pub crypto.PublicKey, require bool) ([]VerifiedEntry, error) {
	if b == nil || b.Bundle == nil {
		return nil, fmt.Errorf("%w: no bundle", ErrInvalidEntry)
	}
	var out []VerifiedEntry
	for i, tle := range b.Bundle.GetVerificationMaterial().GetTlogEntries() {
		cpText := tle.GetInclusionProof().GetCheckpoint().GetEnvelope()
		if cpText == "" {
			continue // a Rekor v1 entry (signed entry timestamp), not a tiled log's
		}
		cp, err := OpenCheckpoint([]byte(cpText), key)
		if errors.Is(err, ErrCheckpointSignature) || errors.Is(err, ErrOriginMismatch) {
			continue // another log's entry
		}
		if err != nil {
			return nil, fmt.Errorf("tlogEntries[%d]: %w", i, err)
		}
		v, err := verifyEntry(tle, cp, b, pub)
		if err != nil {
			return nil, fmt.Errorf("tlogEntries[%d] (log index %d): %w", i, tle.GetLogIndex(), err)
		}
		out = append(out, *v)
	}
	if require && len(out) == 0 {
		return nil, fmt.Errorf("%w (log %s)", ErrNoLogEntry, key.Origin)
	}
	return out, nil
}

func verifyEntry(tle *protorekor.TransparencyLogEntry, cp *Checkpoint, b *bundle.Bundle, pub crypto.PublicKey) (*VerifiedEntry, error) {
	ip := tle.GetInclusionProof()
	if ip.GetLogIndex() < 0 || ip.GetTreeSize() < 0 || ip.GetLogIndex() != tle.GetLogIndex() {
		return nil, fmt.Errorf("%w: inclusion proof index %d, entry index %d", ErrInclusionProof, ip.GetLogIndex(), tle.GetLogIndex())
	}
	if uint64(ip.GetTreeSize()) != cp.Size || !bytes.Equal(ip.GetRootHash(), cp.Root) {
		return nil, fmt.Errorf("%w: the proof is for tree size %d, its checkpoint for %d", ErrInclusionProof, ip.GetTreeSize(), cp.Size)
	}
	body := tle.GetCanonicalizedBody()
	index := uint64(ip.GetLogIndex())
	if err := VerifyInclusion(index, cp.Size, LeafHash(body), ip.GetHashes(), cp.Root); err != nil {
		return nil, err
	}
	e, err := ParseEntry(body)
	if err != nil {
		return nil, err
	}
	if err := matchBundle(e, b, pub); err != nil {
		return nil, err
	}
	return &VerifiedEntry{Index: index, Kind: e.GetKind(), Checkpoint: cp}, nil
}

// matchBundle checks that entry e logs exactly the signature in b.
func matchBundle(e *pb.Entry, b *bundle.Bundle, pub crypto.PublicKey) error {
	var cert *x509.Certificate
	if c := b.Bundle.GetVerificationMaterial().GetCertificate(); c != nil {
		parsed, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			return fmt.Errorf("%w: the bundle's certificate: %v", ErrInvalidEntry, err)
		}
		cert = parsed
	}
	var want *pb.Verifier
	if cert != nil || pub != nil {
		v, err := NewVerifier(pub, cert)
		if err != nil {
			return err
		}
		want = v
	}
	keyMatches := func(v *pb.Verifier) bool {
		if want == nil {
			return true // keyless check without key in hand: the signature check binds it
		}
		if v.GetKeyDetails() != want.GetKeyDetails() {
			// An Ed25519ph or other detail variant of the same key still names that key.
			return sameKeyBytes(v, want)
		}
		return sameVerifier(v, want)
	}
	if ms := b.Bundle.GetMessageSignature(); ms != nil {
		hr := e.GetSpec().GetHashedRekordV002()
		if !bytes.Equal(hr.GetData().GetDigest(), ms.GetMessageDigest().GetDigest()) {
			return fmt.Errorf("%w: the entry logs another artifact digest", ErrEntryMismatch)
		}
		if !bytes.Equal(hr.GetSignature().GetContent(), ms.GetSignature()) {
			return fmt.Errorf("%w: the entry logs another signature", ErrEntryMismatch)
		}
		if !keyMatches(hr.GetSignature().GetVerifier()) {
			return fmt.Errorf("%w: the entry names another key or certificate", ErrEntryMismatch)
		}
		return nil
	}
	env := b.Bundle.GetDsseEnvelope()
	if env == nil {
		return fmt.Errorf("%w: the bundle holds neither a message signature nor a DSSE envelope", ErrInvalidEntry)
	}
	hr := e.GetSpec().GetHashedRekordV002()
	digest, err := paeDigest(env, hr.GetSignature().GetVerifier().GetKeyDetails())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEntryMismatch, err)
	}
	if !bytes.Equal(hr.GetData().GetDigest(), digest) {
		return fmt.Errorf("%w: the entry logs another envelope (its digest is not the hash of this envelope's PAE)", ErrEntryMismatch)
	}
	for _, s := range env.GetSignatures() {
		if bytes.Equal(hr.GetSignature().GetContent(), s.GetSig()) {
			if !keyMatches(hr.GetSignature().GetVerifier()) {
				return fmt.Errorf("%w: the entry names another key or certificate", ErrEntryMismatch)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the entry logs a signature that is not in the envelope", ErrEntryMismatch)
}

func sameKeyBytes(a, b *pb.Verifier) bool {
	if a.GetPublicKey() != nil && b.GetPublicKey() != nil {
		return bytes.Equal(a.GetPublicKey().GetRawBytes(), b.GetPublicKey().GetRawBytes())
	}
	if a.GetX509Certificate() != nil && b.GetX509Certificate() != nil {
		return bytes.Equal(a.GetX509Certificate().GetRawBytes(), b.GetX509Certificate().GetRawBytes())
	}
	return false
}

// CheckSubmitted checks a log's answer to a submission before it goes into the bundle: the
// entry logs this bundle's signature and its inclusion proof leads to the root the answer
// names. The checkpoint's signature is not checked here (that needs the log's key, which
// verifiers hold: VerifyBundle).
func CheckSubmitted(tle *protorekor.TransparencyLogEntry, b *bundle.Bundle, pub crypto.PublicKey) error {
	ip := tle.GetInclusionProof()
	if ip == nil || ip.GetCheckpoint().GetEnvelope() == "" {
		return fmt.Errorf("%w: the log answered without an inclusion proof and checkpoint", ErrInclusionProof)
	}
	if ip.GetTreeSize() < 0 {
		return fmt.Errorf("%w: negative tree size", ErrInclusionProof)
	}
	cp := &Checkpoint{Size: uint64(ip.GetTreeSize()), Root: ip.GetRootHash()}
	_, err := verifyEntry(tle, cp, b, pub)
	return err
}
