package tlog

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// hasher is the RFC 6962 SHA-256 tree hasher every C2SP log uses.
var hasher = rfc6962.DefaultHasher

// LeafHash returns the RFC 6962 leaf hash of an entry: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte { return hasher.HashLeaf(data) }

// VerifyInclusion checks that the proof hashes show the leaf with hash leafHash at index in the tree
// of the given size with the given root (RFC 9162 §2.1.3.2). Errors wrap ErrInclusionProof.
func VerifyInclusion(index, size uint64, leafHash []byte, hashes [][]byte, root []byte) error {
	if err := checkProofHashes(hashes); err != nil {
		return fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrInclusionProof, index, size, err)
	}
	if len(root) != sha256.Size {
		return fmt.Errorf("%w: leaf %d in tree of size %d: root hash is %d bytes, want %d", ErrInclusionProof, index, size, len(root), sha256.Size)
	}
	if err := proof.VerifyInclusion(hasher, index, size, leafHash, hashes, root); err != nil {
		return fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrInclusionProof, index, size, describe(err))
	}
	return nil
}

// VerifyConsistency checks that the proof hashes show the tree of size1 with root1 to be a prefix of
// the tree of size2 with root2 (RFC 9162 §2.1.4.2). Errors wrap ErrConsistencyProof.
//
// size1 == 0 is rejected, as upstream merkle and its test vectors do: there is nothing to
// prove, every tree extends the empty one. A caller holding an empty checkpoint should check
// that its root is the empty-tree hash (Tree{}.Root()) and move on without a proof. Equal
// sizes need an empty proof and equal roots.
func VerifyConsistency(size1, size2 uint64, hashes [][]byte, root1, root2 []byte) error {
	if size1 == 0 {
		return fmt.Errorf("%w: sizes %d to %d: no consistency proof from the empty tree", ErrConsistencyProof, size1, size2)
	}
	if err := checkProofHashes(hashes); err != nil {
		return fmt.Errorf("%w: sizes %d to %d: %v", ErrConsistencyProof, size1, size2, err)
	}
	if err := proof.VerifyConsistency(hasher, size1, size2, hashes, root1, root2); err != nil {
		return fmt.Errorf("%w: sizes %d to %d: %v", ErrConsistencyProof, size1, size2, describe(err))
	}
	return nil
}

// checkProofHashes rejects proof elements that are not SHA-256 hashes: merkle hashes them in
// whatever their length, and a valid proof never has such an element.
func checkProofHashes(p [][]byte) error {
	for i, h := range p {
		if len(h) != sha256.Size {
			return fmt.Errorf("proof hash %d is %d bytes, want %d", i, len(h), sha256.Size)
		}
	}
	return nil
}

// describe rewrites merkle's root mismatch (printed as decimal byte lists) in base64, the
// encoding checkpoints use.
func describe(err error) string {
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Sprintf("proof gives root %s, want %s",
			base64.StdEncoding.EncodeToString(mismatch.CalculatedRoot), base64.StdEncoding.EncodeToString(mismatch.ExpectedRoot))
	}
	return err.Error()
}
