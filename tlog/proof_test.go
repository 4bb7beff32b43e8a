package tlog

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
)

// A reference RFC 9162 §2.1 implementation, written from the RFC's definitions with
// crypto/sha256 only, to check the library-backed functions against.

func refNode(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// refSplit is the largest power of two smaller than n (n > 1).
func refSplit(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// refMTH is MTH(D[n]) over leaf hashes.
func refMTH(d [][]byte) []byte {
	switch len(d) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return d[0]
	}
	k := refSplit(len(d))
	return refNode(refMTH(d[:k]), refMTH(d[k:]))
}

// refPath is PATH(m, D[n]), the inclusion proof of leaf m.
func refPath(m int, d [][]byte) [][]byte {
	if len(d) <= 1 {
		return nil
	}
	k := refSplit(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

// refProof is PROOF(m, D[n]), the consistency proof from size m.
func refProof(m int, d [][]byte) [][]byte { return refSubproof(m, d, true) }

func refSubproof(m int, d [][]byte, b bool) [][]byte {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{refMTH(d)}
	}
	k := refSplit(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

func testLeaves(n int) [][]byte {
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = LeafHash(fmt.Appendf(nil, "leaf %d", i))
	}
	return leaves
}

func flipped(p [][]byte, i int) [][]byte {
	out := make([][]byte, len(p))
	for j, h := range p {
		out[j] = bytes.Clone(h)
	}
	out[i][i%32] ^= 0x10
	return out
}

func TestLeafHash(t *testing.T) {
	for data, want := range map[string]string{
		"":            "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", // merkle vectors' empty leaf
		"hello world": "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=", // x/mod sumdb RecordHash
	} {
		if got := base64.StdEncoding.EncodeToString(LeafHash([]byte(data))); got != want {
			t.Errorf("LeafHash(%q) = %s, want %s", data, got, want)
		}
	}
}

// TestVerifyInclusionReference checks every leaf of every tree up to 40 leaves against the
// reference, and that each kind of mutation is rejected.
func TestVerifyInclusionReference(t *testing.T) {
	leaves := testLeaves(40)
	for n := 1; n <= len(leaves); n++ {
		root := refMTH(leaves[:n])
		for m := range n {
			p := refPath(m, leaves[:n])
			size, index := uint64(n), uint64(m)
			if err := VerifyInclusion(index, size, leaves[m], p, root); err != nil {
				t.Fatalf("leaf %d of %d: %v", m, n, err)
			}
			bad := map[string]error{
				"wrong-leaf": VerifyInclusion(index, size, leaves[(m+1)%len(leaves)], p, root),
				"wrong-root": VerifyInclusion(index, size, leaves[m], p, LeafHash(root)),
				"extended":   VerifyInclusion(index, size, leaves[m], append(p[:len(p):len(p)], root), root),
				"index-size": VerifyInclusion(size, size, leaves[m], p, root),
			}
			if m+1 < n {
				bad["next-index"] = VerifyInclusion(index+1, size, leaves[m], p, root)
			}
			if len(p) > 0 {
				bad["truncated"] = VerifyInclusion(index, size, leaves[m], p[:len(p)-1], root)
			}
			for i := range p {
				bad[fmt.Sprintf("flipped-%d", i)] = VerifyInclusion(index, size, leaves[m], flipped(p, i), root)
			}
			for name, err := range bad {
				if !errors.Is(err, ErrInclusionProof) {
					t.Fatalf("leaf %d of %d, %s: %v, want ErrInclusionProof", m, n, name, err)
				}
			}
		}
	}
}

func TestVerifyConsistencyReference(t *testing.T) {
	leaves := testLeaves(40)
	for n := 1; n <= len(leaves); n++ {
		root2 := refMTH(leaves[:n])
		for m := 1; m <= n; m++ {
			root1 := refMTH(leaves[:m])
			p := refProof(m, leaves[:n])
			size1, size2 := uint64(m), uint64(n)
			if err := VerifyConsistency(size1, size2, p, root1, root2); err != nil {
				t.Fatalf("%d to %d: %v", m, n, err)
			}
			bad := map[string]error{
				"wrong-root1": VerifyConsistency(size1, size2, p, LeafHash(root1), root2),
				"extended":    VerifyConsistency(size1, size2, append(p[:len(p):len(p)], root1), root1, root2),
			}
			if m < n {
				bad["swapped-roots"] = VerifyConsistency(size1, size2, p, root2, root1)
				bad["wrong-root2"] = VerifyConsistency(size1, size2, p, root1, refMTH(leaves[:n-1]))
				bad["truncated"] = VerifyConsistency(size1, size2, p[:len(p)-1], root1, root2)
				bad["reversed-sizes"] = VerifyConsistency(size2, size1, p, root2, root1)
			}
			for i := range p {
				bad[fmt.Sprintf("flipped-%d", i)] = VerifyConsistency(size1, size2, flipped(p, i), root1, root2)
			}
			for name, err := range bad {
				if !errors.Is(err, ErrConsistencyProof) {
					t.Fatalf("%d to %d, %s: %v, want ErrConsistencyProof", m, n, name, err)
				}
			}
		}
	}
}

func TestVerifyBadInput(t *testing.T) {
	leaves := testLeaves(8)
	root := refMTH(leaves)
	p := refPath(3, leaves)
	long := append([][]byte{}, p...)
	long[1] = append(bytes.Clone(p[1]), 0) // 33 bytes
	for name, err := range map[string]error{
		"long-proof-hash":   VerifyInclusion(3, 8, leaves[3], long, root),
		"short-root":        VerifyInclusion(3, 8, leaves[3], p, root[:31]),
		"short-leaf":        VerifyInclusion(3, 8, leaves[3][:31], p, root),
		"index-beyond-size": VerifyInclusion(8, 8, leaves[3], p, root),
		"empty-tree":        VerifyInclusion(0, 0, leaves[0], nil, refMTH(nil)),
	} {
		if !errors.Is(err, ErrInclusionProof) {
			t.Errorf("%s: %v, want ErrInclusionProof", name, err)
		}
	}
	// A wrong-length proof hash can never verify; the check is there to say so plainly.
	if err := VerifyInclusion(3, 8, leaves[3], long, root); !strings.Contains(fmt.Sprint(err), "proof hash 1 is 33 bytes") {
		t.Errorf("long proof hash: %v, want it named", err)
	}
	cp := refProof(3, leaves)
	for name, err := range map[string]error{
		"from-empty":       VerifyConsistency(0, 8, nil, refMTH(nil), root),
		"from-empty-same":  VerifyConsistency(0, 0, nil, refMTH(nil), refMTH(nil)),
		"size1-bigger":     VerifyConsistency(8, 3, cp, root, refMTH(leaves[:3])),
		"long-proof-hash":  VerifyConsistency(3, 8, [][]byte{append(bytes.Clone(cp[0]), 0), cp[1], cp[2]}, refMTH(leaves[:3]), root),
		"equal-with-proof": VerifyConsistency(8, 8, [][]byte{root}, root, root),
	} {
		if !errors.Is(err, ErrConsistencyProof) {
			t.Errorf("%s: %v, want ErrConsistencyProof", name, err)
		}
	}
	if err := VerifyConsistency(8, 8, nil, root, root); err != nil {
		t.Errorf("equal sizes and roots: %v", err)
	}
}

// ExampleVerifyInclusion proves that "b" is leaf 1 of the three-leaf tree a, b, c: the proof
// is the hash of leaf 0, then the hash of the subtree holding only c.
func ExampleVerifyInclusion() {
	a, b, c := LeafHash([]byte("a")), LeafHash([]byte("b")), LeafHash([]byte("c"))
	var tree Tree
	for _, h := range [][]byte{a, b, c} {
		if err := tree.Append(h); err != nil {
			panic(err)
		}
	}
	err := VerifyInclusion(1, 3, b, [][]byte{a, c}, tree.Root())
	fmt.Println("b at 1:", err)
	err = VerifyInclusion(1, 3, c, [][]byte{a, c}, tree.Root())
	fmt.Println("c at 1:", errors.Is(err, ErrInclusionProof))
	// Output:
	// b at 1: <nil>
	// c at 1: true
}

// BenchmarkVerifyInclusion verifies a 21-hash proof: a leaf in a tree of a million entries.
func BenchmarkVerifyInclusion(b *testing.B) {
	const index, size = 123456, 1<<20 + 7
	leaf := LeafHash([]byte("entry"))
	var hashes [][]byte
	for { // random proof hashes, as many as a proof for (index, size) has
		h := make([]byte, 32)
		rand.Read(h)
		hashes = append(hashes, h)
		// The root the proof leads to, so it verifies: what is measured is the
		// verification, not where the proof came from.
		if root, err := proof.RootFromInclusionProof(hasher, index, size, leaf, hashes); err == nil {
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyInclusion(index, size, leaf, hashes, root); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(hashes)), "proof-hashes")
			return
		}
		if len(hashes) > 64 {
			b.Fatal("no proof length fits")
		}
	}
}
