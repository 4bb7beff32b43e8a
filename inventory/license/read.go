package license

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Read limits. A reader given a longer file returns ErrTooLarge without parsing it.
const (
	// MaxFileSize bounds package.json, pom.xml and the header of a Python METADATA/PKG-INFO
	// file (the description body after it is never read). Real ones are a few KiB.
	MaxFileSize = 1 << 20
	// MaxCopyrightSize bounds a Debian copyright file. They run larger: Boost's lists every
	// file and is 2 MiB.
	MaxCopyrightSize = 8 << 20
)

// ErrTooLarge means a file exceeds the reader's limit. The declared licence is then unknown,
// not absent: callers should record the file as unreadable (inventory.FileError) and go on.
var ErrTooLarge = errors.New("file too large")

// readCapped reads all of r, failing with ErrTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s exceeds %d bytes: %w", what, limit, ErrTooLarge)
	}
	return data, nil
}

// maxDeclarations bounds the distinct licences one file may declare. Real files declare a
// handful (the most in a Debian 12 copyright file is 37); callers normalise each one, so a file
// declaring thousands is treated as hostile and fails with ErrTooLarge.
const maxDeclarations = 256

// declarations collects declared licences in order, trimmed, as valid UTF-8, without empties
// or duplicates, up to maxDeclarations.
type declarations struct {
	list     []string
	seen     map[string]bool
	overflow bool
}

func (d *declarations) add(s string) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if s == "" || d.seen[s] {
		return
	}
	if len(d.list) == maxDeclarations {
		d.overflow = true
		return
	}
	if d.seen == nil {
		d.seen = make(map[string]bool)
	}
	d.seen[s] = true
	d.list = append(d.list, s)
}

// result returns the declarations, or ErrTooLarge if there were too many. what names the file.
func (d *declarations) result(what string) ([]string, error) {
	if d.overflow {
		return nil, fmt.Errorf("%s declares more than %d distinct licences: %w", what, maxDeclarations, ErrTooLarge)
	}
	return d.list, nil
}
