package tlog

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/transparency-dev/merkle/compact"
)

// ErrTreeState: a Tree's hashes do not fit its size (a damaged state file), or a leaf hash
// given to Append is not 32 bytes. Rebuild the tree from the log (Client.TreeAt).
var ErrTreeState = errors.New("invalid Merkle tree state")

// rangeFactory builds merkle compact ranges with RFC 6962 node hashing.
var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// Tree is the right border of an RFC 6962 Merkle tree: the roots of the perfect subtrees
// covering leaves [0, Size), left to right (a merkle compact range from 0). That is enough to
// append leaves and compute the root, in O(log Size) space. A monitor keeps one in its state
// file, appends the leaf hashes of new entries and compares Root() with each new checkpoint.
// The zero Tree is the empty tree.
type Tree struct {
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"` // base64 in JSON
}

// Validate reports whether Hashes fit Size: as many 32-byte hashes as the compact range
// [0, Size) has subtrees (one per bit set in Size).
func (t *Tree) Validate() error {
	_, err := t.compactRange()
	return err
}

func (t *Tree) compactRange() (*compact.Range, error) {
	for i, h := range t.Hashes {
		if len(h) != sha256.Size {
			return nil, fmt.Errorf("%w: hash %d is %d bytes, want %d", ErrTreeState, i, len(h), sha256.Size)
		}
	}
	// A copy: merkle appends in place, and a caller's copy of the Tree must not change.
	r, err := rangeFactory.NewRange(0, t.Size, slices.Clone(t.Hashes))
	if err != nil {
		return nil, fmt.Errorf("%w: size %d: %v", ErrTreeState, t.Size, err)
	}
	return r, nil
}

// Append adds the leaf with the given hash (LeafHash(entry)) as leaf number t.Size.
func (t *Tree) Append(leafHash []byte) error {
	if len(leafHash) != sha256.Size {
		return fmt.Errorf("%w: leaf hash is %d bytes, want %d", ErrTreeState, len(leafHash), sha256.Size)
	}
	r, err := t.compactRange()
	if err != nil {
		return err
	}
	if err := r.Append(bytes.Clone(leafHash), nil); err != nil {
		return fmt.Errorf("%w: %v", ErrTreeState, err)
	}
	t.Size, t.Hashes = r.End(), r.Hashes()
	return nil
}

// Root returns the RFC 6962 Merkle tree hash of the tree: SHA-256("") for the empty tree. It
// returns nil when the tree is not valid (see Validate), which equals no checkpoint's root, so
// comparisons fail closed.
func (t *Tree) Root() []byte {
	if t.Size == 0 && len(t.Hashes) == 0 {
		return hasher.EmptyRoot()
	}
	r, err := t.compactRange()
	if err != nil {
		return nil
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil
	}
	return root
}
