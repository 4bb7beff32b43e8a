package reach

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// FuzzBinary patches a real stripped Go binary at fuzzer-chosen offsets, mostly inside the
// pclntab and the writable data (runtime.moduledata), where this package does its own
// parsing: Binary must return symbols or an ErrNotGo error, never panic.
func FuzzBinary(f *testing.F) {
	base := fixture(f, "tagonly-linux-amd64-stripped")
	exe, err := openExe(bytes.NewReader(base))
	if err != nil {
		f.Fatal(err)
	}
	regions := [][2]uint64{{0, uint64(len(base))}}
	for _, s := range append([]*section{exe.tab}, exe.data...) {
		regions = append(regions, [2]uint64{s.off, s.size})
	}
	f.Add(uint8(0), uint32(0), []byte{0xff})
	f.Add(uint8(1), uint32(0), []byte{0xf0})
	f.Add(uint8(1), uint32(8), []byte{0xff, 0xff, 0xff, 0x7f})
	f.Add(uint8(1), uint32(100000), []byte{0x80, 0x80, 0x80, 0x80, 0x80})
	f.Add(uint8(2), uint32(64), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, region uint8, off uint32, patch []byte) {
		r := regions[int(region)%len(regions)]
		if r[1] == 0 {
			return
		}
		data := bytes.Clone(base)
		at := r[0] + uint64(off)%r[1]
		copy(data[at:], patch)
		s, err := Binary(bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrNotGo) {
			t.Fatalf("error %v is not ErrNotGo", err)
		}
		if err == nil && s == nil {
			t.Fatal("nil symbols without error")
		}
	})
}

// FuzzBinaryHeader feeds short, arbitrary files: object-file headers that lie about sizes
// and counts must give errors, not panics or huge allocations.
func FuzzBinaryHeader(f *testing.F) {
	base := fixture(f, "accept-linux-amd64-stripped")
	f.Add(base[:4096])
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1})
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Binary(bytes.NewReader(data)); err != nil && !errors.Is(err, ErrNotGo) {
			t.Fatalf("error %v is not ErrNotGo", err)
		}
	})
}

func FuzzSplitSymbol(f *testing.F) {
	for _, s := range []string{"golang.org/x/net/html.(*Tokenizer).Next", "p.F[go.shape.int].func1", "gopkg.in/yaml%2ev3.T.M-fm", "main.glob..func1", "a/b.(*T[x/y.Z]).M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		pkg, sym, ok := SplitSymbol(name)
		if ok && (pkg == "" || sym == "" || strings.Count(sym, ".") > 1) {
			t.Fatalf("SplitSymbol(%q) = %q, %q", name, pkg, sym)
		}
	})
}

// FuzzSource analyses arbitrary go.mod and main.go contents: errors are fine, panics not.
func FuzzSource(f *testing.F) {
	f.Add("module example.com/app\n\nrequire example.com/wrap v1.0.0\n", "package main\n\nimport \"example.com/wrap\"\n\nfunc main() { wrap.Unsafe() }\n")
	f.Add("module m\nreplace example.com/wrap => ../x\n", "package main\nimport . \"example.com/wrap\"\nfunc (*T[K]) M() { Unsafe(); x.y.z() }\n")
	f.Fuzz(func(t *testing.T, gomod, main string) {
		fsys := fstest.MapFS{"go.mod": file(gomod), "main.go": file(main)}
		s, err := Source(context.Background(), fsys, SourceOptions{ModCache: modCache, GOROOT: fstest.MapFS{}})
		if err == nil {
			s.Reach([]vulndb.Import{{Path: "example.com/Vuln/sub", Symbols: []string{"Bad", "T.Close"}}})
		}
	})
}
