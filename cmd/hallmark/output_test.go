package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputIsAtomic: --output never leaves a truncated file behind, and replaces a previous
// SBOM only when the new one is complete.
func TestOutputIsAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bom.json")
	if err := os.WriteFile(out, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed halfway")
	err := writeOutput(out, io.Discard, func(w io.Writer) error {
		io.WriteString(w, `{"half": `)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the encoder's error", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous" {
		t.Errorf("after a failed write the file holds %q, want the previous content", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := writeOutput(out, io.Discard, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "new" {
		t.Errorf("file holds %q, want new", b)
	}
}

// TestSBOMToFileAndReproducible writes the same SBOM twice through --output and compares bytes.
func TestSBOMToFileAndReproducible(t *testing.T) {
	dir := t.TempDir()
	var outs []string
	for i := range 2 {
		p := filepath.Join(dir, "bom"+string(rune('a'+i))+".spdx.json")
		_, stderr, code := runCLI(t, []string{"sbom", fix + "/src/go", "--format", "spdx-json", "--output", p}, "")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if outs[0] != outs[1] {
		t.Error("two runs with the same SOURCE_DATE_EPOCH differ")
	}
	if !strings.Contains(outs[0], `"spdxVersion": "SPDX-2.3"`) {
		t.Errorf("not SPDX 2.3 JSON: %.200s", outs[0])
	}
}

// TestOutputToSpecialFile: --output /dev/null or a FIFO is written to, never replaced by a
// regular file (the temp-and-rename dance would replace the device).
func TestOutputToSpecialFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := writeOutput(fifo, io.Discard, func(w io.Writer) error { _, err := io.WriteString(w, "through the pipe"); return err }); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: mode %v, err %v", fi.Mode(), err)
	}
}
