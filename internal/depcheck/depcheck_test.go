// Package depcheck fences the rooms: each room may import only the rooms before it in the
// loop (DESIGN.md), plus plumbing under internal/ and third-party modules. Plumbing imports no
// room. The edges (cmd, server, webhook) may import anything.
package depcheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hallmark-dev/hallmark"

// rooms in the order of the loop.
var rooms = []string{
	"source", "inventory", "sbom", "vulndb", "match", "vex", "misconfig", "policy",
	"attest", "sign", "tlog", "store", "monitor", "report",
}

var edges = []string{"cmd", "server", "webhook", "bench"}

// top returns the top-level directory of an import path inside the module ("" if outside).
func top(importPath string) (string, bool) {
	rest, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return "", false
	}
	first, _, _ := strings.Cut(rest, "/")
	return first, true
}

func TestRoomsImportOnlyEarlierRooms(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		from, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			to, inModule := top(ip)
			if !inModule || to == from {
				continue
			}
			if msg := violation(from, to); msg != "" {
				t.Errorf("%s imports %s: %s", rel, ip, msg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; is the walk rooted at the module?", checked)
	}
}

func violation(from, to string) string {
	if slices.Contains(edges, from) {
		return ""
	}
	if slices.Contains(edges, to) {
		return "nothing imports the edges (cmd, server, webhook)"
	}
	if from == "internal" {
		if slices.Contains(rooms, to) {
			return "plumbing under internal/ must not import a room"
		}
		return ""
	}
	fi := slices.Index(rooms, from)
	if fi < 0 {
		return "top-level directory " + from + " is not a known room; add it to the fence in order"
	}
	if to == "internal" {
		return ""
	}
	ti := slices.Index(rooms, to)
	if ti < 0 {
		return "unknown room " + to
	}
	if ti > fi {
		return "a room may import only rooms before it in the loop (" + strings.Join(rooms, " → ") + ")"
	}
	return ""
}

func TestViolation(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"inventory", "source", true},
		{"source", "inventory", false},
		{"sbom", "inventory", true},
		{"inventory", "sbom", false},
		{"internal", "source", false},
		{"cmd", "sbom", true},
		{"sbom", "cmd", false},
		{"inventory", "internal", true},
		{"mystery", "source", false},
	} {
		if got := violation(c.from, c.to) == ""; got != c.ok {
			t.Errorf("violation(%q, %q) ok = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
