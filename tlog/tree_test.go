package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTreeMatchesReference(t *testing.T) {
	leaves := testLeaves(300)
	var tree Tree
	empty := sha256.Sum256(nil)
	if !bytes.Equal(tree.Root(), empty[:]) {
		t.Fatalf("empty tree root %x, want SHA-256(\"\")", tree.Root())
	}
	for n, leaf := range leaves {
		if err := tree.Append(leaf); err != nil {
			t.Fatal(err)
		}
		if tree.Size != uint64(n+1) || len(tree.Hashes) != bits.OnesCount(uint(n+1)) {
			t.Fatalf("after %d leaves: size %d, %d hashes", n+1, tree.Size, len(tree.Hashes))
		}
		if got, want := tree.Root(), refMTH(leaves[:n+1]); !bytes.Equal(got, want) {
			t.Fatalf("root of %d leaves %x, want %x", n+1, got, want)
		}
	}
}

func TestTreeJSON(t *testing.T) {
	leaves := testLeaves(11)
	var tree Tree
	for _, l := range leaves[:5] {
		if err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	data, err := json.Marshal(&tree)
	if err != nil {
		t.Fatal(err)
	}
	// 5 = 4 + 1: the roots of leaves 0-3 and of leaf 4, base64.
	want := fmt.Sprintf(`{"size":5,"hashes":[%q,%q]}`,
		base64.StdEncoding.EncodeToString(refMTH(leaves[:4])), base64.StdEncoding.EncodeToString(leaves[4]))
	if string(data) != want {
		t.Errorf("JSON %s, want %s", data, want)
	}
	var back Tree
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves[5:] {
		if err := back.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(back.Root(), refMTH(leaves)) {
		t.Error("tree restored from JSON grows to a different root")
	}
}

func TestTreeCopiesAreIndependent(t *testing.T) {
	leaves := testLeaves(8)
	var tree Tree
	for _, l := range leaves[:3] {
		if err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	saved := tree // a shallow copy, as a monitor keeping the last state would take
	before := saved.Root()
	if err := tree.Append(leaves[3]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved.Root(), before) {
		t.Error("appending to a tree changed a copy of it")
	}
	// At an even size the new leaf hash is kept as is, so the tree must own it.
	leaf := bytes.Clone(leaves[4])
	if err := tree.Append(leaf); err != nil {
		t.Fatal(err)
	}
	leaf[0] ^= 0xff // the caller reuses its buffer
	if !bytes.Equal(tree.Root(), refMTH(leaves[:5])) {
		t.Error("the tree kept the caller's leaf buffer")
	}
}

func TestTreeInvalid(t *testing.T) {
	h := bytes.Repeat([]byte{1}, 32)
	for name, tree := range map[string]Tree{
		"too-few-hashes":  {Size: 3, Hashes: [][]byte{h}},
		"too-many-hashes": {Size: 4, Hashes: [][]byte{h, h}},
		"hashes-no-size":  {Size: 0, Hashes: [][]byte{h}},
		"short-hash":      {Size: 1, Hashes: [][]byte{h[:31]}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tree.Validate(); !errors.Is(err, ErrTreeState) {
				t.Errorf("Validate = %v, want ErrTreeState", err)
			}
			if root := tree.Root(); root != nil {
				t.Errorf("Root = %x, want nil", root)
			}
			if err := tree.Append(h); !errors.Is(err, ErrTreeState) {
				t.Errorf("Append = %v, want ErrTreeState", err)
			}
		})
	}
	var tree Tree
	if err := tree.Append(h[:31]); !errors.Is(err, ErrTreeState) || tree.Size != 0 {
		t.Errorf("Append(31 bytes) = %v, size %d; want ErrTreeState and no change", err, tree.Size)
	}
	if diff := cmp.Diff(Tree{}, tree); diff != "" {
		t.Errorf("tree changed by a failed Append:\n%s", diff)
	}
}

// ExampleTree grows a tree the way a monitor follows a log: append the leaf hash of each new
// entry, then compare the root with the log's checkpoint. The root is the one in
// checkpoint.3 of tessera's test log, whose first entries these are.
func ExampleTree() {
	var tree Tree
	for _, entry := range []string{"one", "two", "three"} {
		if err := tree.Append(LeafHash([]byte(entry))); err != nil {
			panic(err)
		}
	}
	fmt.Println(tree.Size, len(tree.Hashes), base64.StdEncoding.EncodeToString(tree.Root()))
	// Output: 3 2 Wqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=
}
