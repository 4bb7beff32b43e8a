package reach

import (
	"bytes"
	"debug/elf"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/match"
)

// The fixtures are built from testdata/accept and testdata/tagonly against golang.org/x/text
// v0.3.7. The expectations follow from their sources: accept calls
// language.ParseAcceptLanguage, listed by GO-2022-1059; tagonly calls only language.Make and
// Tag.String, neither listed; neither imports unicode/norm (GO-2026-5970), and x/text's
// language package does not import it either (its imports are internal/language and
// internal/language/compact).
func TestBinaryFixtures(t *testing.T) {
	type result struct {
		Level match.Reachability
		Used  []string
	}
	lang := osvRecord(t, "GO-2022-1059").Affected[0].Imports
	norm := osvRecord(t, "GO-2026-5970").Affected[0].Imports
	called := result{match.ReachCalled, []string{"golang.org/x/text/language.ParseAcceptLanguage"}}
	for _, c := range []struct {
		bin          string
		goos, goarch string
		lang, norm   result
	}{
		{"accept-linux-amd64-stripped", "linux", "amd64", called, result{Level: match.ReachNotImported}},
		{"accept-darwin-arm64-stripped", "darwin", "arm64", called, result{Level: match.ReachNotImported}},
		{"accept-windows-amd64-stripped", "windows", "amd64", called, result{Level: match.ReachNotImported}},
		{"tagonly-linux-amd64", "linux", "amd64", result{Level: match.ReachImported}, result{Level: match.ReachNotImported}},
		{"tagonly-linux-amd64-stripped", "linux", "amd64", result{Level: match.ReachImported}, result{Level: match.ReachNotImported}},
	} {
		t.Run(c.bin, func(t *testing.T) {
			s := fixtureSymbols(t, c.bin)
			if s.Partial {
				t.Errorf("partial: %s", s.Reason)
			}
			if s.GOOS != c.goos || s.GOARCH != c.goarch || !strings.HasPrefix(s.GoVersion, "go1.") {
				t.Errorf("platform = %s %s/%s, want go1.x %s/%s", s.GoVersion, s.GOOS, s.GOARCH, c.goos, c.goarch)
			}
			var got result
			got.Level, got.Used = s.Reach(lang)
			if diff := cmp.Diff(c.lang, got); diff != "" {
				t.Errorf("GO-2022-1059 (-want +got):\n%s", diff)
			}
			got.Level, got.Used = s.Reach(norm)
			if diff := cmp.Diff(c.norm, got); diff != "" {
				t.Errorf("GO-2026-5970 (-want +got):\n%s", diff)
			}
			// Every program links the runtime and fmt; their presence is what makes
			// "not-imported" meaningful rather than "nothing was read".
			for _, p := range []string{"runtime", "fmt", "os", "golang.org/x/text/language", "main"} {
				if !slices.Contains(s.Packages(), p) {
					t.Errorf("package %s not linked; have %d packages", p, len(s.Packages()))
				}
			}
		})
	}
}

// TestBinaryStrippedSame checks that stripping loses nothing: the pclntab alone gives the
// same symbols as the binary with its symbol table.
func TestBinaryStrippedSame(t *testing.T) {
	full := fixtureSymbols(t, "tagonly-linux-amd64")
	stripped := fixtureSymbols(t, "tagonly-linux-amd64-stripped")
	if diff := cmp.Diff(full.pkgs, stripped.pkgs); diff != "" {
		t.Errorf("stripped differs (-full +stripped):\n%s", diff)
	}
}

// TestBinaryInlined checks that functions inlined away are found through the inline tree:
// tagonly's main.shout has no symbol of its own (the symbol table proves it) but is named in
// main.main's inline tree.
func TestBinaryInlined(t *testing.T) {
	data := fixture(t, "tagonly-linux-amd64")
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var gofuncSym uint64
	for _, s := range syms {
		if s.Name == "main.shout" {
			t.Fatalf("main.shout has a symbol; the fixture no longer tests inlining (rebuild it)")
		}
		if s.Name == "go:func.*" {
			gofuncSym = s.Value
		}
	}
	s := fixtureSymbols(t, "tagonly-linux-amd64")
	if !slices.Contains(s.Used("main"), "shout") {
		t.Errorf("main.shout not found; main uses %v", s.Used("main"))
	}

	// The go:func.* base found through runtime.moduledata is the one the symbol table names.
	exe, err := openExe(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tab, addr, err := exe.pclntab()
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseHeader(tab, exe.order)
	if err != nil {
		t.Fatal(err)
	}
	funcs, err := h.funcs()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := findGofunc(exe, h, addr, funcs)
	if !ok || got != gofuncSym || gofuncSym == 0 {
		t.Errorf("go:func.* = %#x (found %v), symbol table says %#x", got, ok, gofuncSym)
	}
}

func TestBinaryBadInput(t *testing.T) {
	good := fixture(t, "accept-linux-amd64-stripped")
	truncated := good[:len(good)/2]
	// A Go binary whose pclntab section is renamed and its magic destroyed: build info is
	// intact, the function table is not findable.
	noTab := bytes.Clone(good)
	for _, magic := range [][]byte{{0xf1, 0xff, 0xff, 0xff, 0, 0}} {
		for i := bytes.Index(noTab, magic); i >= 0; i = bytes.Index(noTab, magic) {
			noTab[i] = 0
		}
	}
	copy(noTab[bytes.Index(noTab, []byte(".gopclntab")):], ".xxpclntab")
	for _, c := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "not a readable Go binary"},
		{"text", []byte("#!/bin/sh\necho hello\n"), "not a readable Go binary"},
		{"elf-header-only", good[:64], "not a readable Go binary"},
		{"truncated", truncated, "not a readable Go binary"},
		{"no-pclntab", noTab, "no pclntab found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Binary(bytes.NewReader(c.data))
			if err == nil {
				t.Fatalf("no error; got %d packages", len(s.Packages()))
			}
			if !errors.Is(err, ErrNotGo) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want ErrNotGo containing %q", err, c.msg)
			}
		})
	}
}

func BenchmarkBinary(b *testing.B) {
	data := fixture(b, "accept-linux-amd64-stripped")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Binary(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
