package tlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOpenCheckpoint(t *testing.T) {
	logS, logK := testSigner(t, "example.com/log")
	witS, _ := testSigner(t, "witness.example")
	otherS, _ := testSigner(t, "example.com/other")
	sameNameS, _ := testSigner(t, "example.com/log")
	root := bytes.Repeat([]byte{0x5a}, 32)
	rootB64 := base64.StdEncoding.EncodeToString(root)
	emptyRoot := (&Tree{}).Root()

	for _, tc := range []struct {
		name string
		raw  []byte
		want *Checkpoint // nil: wantErr
		err  error
	}{{
		name: "plain",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\n", logS),
		want: &Checkpoint{Origin: "example.com/log", Size: 15, Root: root},
	}, {
		name: "empty-tree",
		raw:  signNote(t, "example.com/log\n0\n"+base64.StdEncoding.EncodeToString(emptyRoot)+"\n", logS),
		want: &Checkpoint{Origin: "example.com/log", Size: 0, Root: emptyRoot},
	}, {
		name: "largest-size",
		raw:  signNote(t, "example.com/log\n18446744073709551615\n"+rootB64+"\n", logS),
		want: &Checkpoint{Origin: "example.com/log", Size: 1<<64 - 1, Root: root},
	}, {
		name: "extensions",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\nfirst extension\nsecond\n", logS),
		want: &Checkpoint{Origin: "example.com/log", Size: 15, Root: root, Extensions: []string{"first extension", "second"}},
	}, {
		name: "witness-cosigned",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\n", witS, logS),
		want: &Checkpoint{Origin: "example.com/log", Size: 15, Root: root},
	}, {
		name: "leading-zero",
		raw:  signNote(t, "example.com/log\n015\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "plus-sign",
		raw:  signNote(t, "example.com/log\n+15\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "negative",
		raw:  signNote(t, "example.com/log\n-1\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "size-overflow",
		raw:  signNote(t, "example.com/log\n18446744073709551616\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "hex-size",
		raw:  signNote(t, "example.com/log\n0x0f\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "short-root",
		raw:  signNote(t, "example.com/log\n15\n"+base64.StdEncoding.EncodeToString(root[:31])+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "root-not-base64",
		raw:  signNote(t, "example.com/log\n15\nnot base64!\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "root-unpadded",
		raw:  signNote(t, "example.com/log\n15\n"+strings.TrimRight(rootB64, "=")+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "root-noncanonical",
		// The last base64 digit carries 4 bits of the hash and 2 padding bits, which must be 0.
		raw: signNote(t, "example.com/log\n15\n"+rootB64[:42]+"b=\n", logS),
		err: ErrCheckpointMalformed,
	}, {
		name: "missing-root",
		raw:  signNote(t, "example.com/log\n15\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "empty-origin",
		raw:  signNote(t, "\n15\n"+rootB64+"\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "empty-extension",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\n\nafter a blank\n", logS),
		err:  ErrCheckpointMalformed,
	}, {
		name: "other-origin",
		raw:  signNote(t, "example.com/other\n15\n"+rootB64+"\n", logS),
		err:  ErrOriginMismatch,
	}, {
		name: "other-log-signed",
		raw:  signNote(t, "example.com/other\n15\n"+rootB64+"\n", otherS),
		err:  ErrCheckpointSignature,
	}, {
		name: "same-name-other-key",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\n", sameNameS),
		err:  ErrCheckpointSignature,
	}, {
		name: "witness-only",
		raw:  signNote(t, "example.com/log\n15\n"+rootB64+"\n", witS),
		err:  ErrCheckpointSignature,
	}, {
		name: "unsigned",
		raw:  []byte("example.com/log\n15\n" + rootB64 + "\n"),
		err:  ErrCheckpointMalformed,
	}, {
		name: "too-big",
		raw:  append(signNote(t, "example.com/log\n15\n"+rootB64+"\n", logS), bytes.Repeat([]byte("— x AAAAAAA=\n"), MaxCheckpointSize/10)...),
		err:  ErrCheckpointMalformed,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := OpenCheckpoint(tc.raw, logK)
			if tc.want == nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("OpenCheckpoint = %+v, %v; want %v", cp, err, tc.err)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Raw = tc.raw
			if diff := cmp.Diff(tc.want, cp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenCheckpointSignatureFirst(t *testing.T) {
	// A modified body fails on the signature, before anything is parsed from it.
	logS, logK := testSigner(t, "example.com/log")
	raw := signNote(t, "example.com/log\n15\n"+base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n", logS)
	raw[len("example.com/log\n")] = '7'
	if _, err := OpenCheckpoint(raw, logK); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("got %v, want ErrCheckpointSignature", err)
	}
	if _, err := OpenCheckpoint(raw, nil); !errors.Is(err, ErrLogKey) {
		t.Errorf("nil key: got %v, want ErrLogKey", err)
	}
}

func TestOpenCheckpointRawIsCopy(t *testing.T) {
	logS, logK := testSigner(t, "example.com/log")
	raw := signNote(t, "example.com/log\n1\n"+base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n", logS)
	cp, err := OpenCheckpoint(raw, logK)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] = 'X'
	if cp.Raw[0] != 'e' {
		t.Error("Checkpoint.Raw shares memory with the caller's buffer")
	}
}

func BenchmarkOpenCheckpoint(b *testing.B) {
	// A real checkpoint: the tessera test log's, Ed25519 verification dominating.
	dir, key := tesseraLog(b)
	raw, err := os.ReadFile(dir + "/checkpoint")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenCheckpoint(raw, key); err != nil {
			b.Fatal(err)
		}
	}
}
