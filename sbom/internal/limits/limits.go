// Package limits bounds what the SBOM decoders accept, so that a hostile document fails with a
// clear error instead of exhausting memory, and checks the strings copied into an inventory.
package limits

import (
	"errors"
	"fmt"
	"io"
)

// MaxDocument is the largest SBOM a decoder reads. SBOMs of large images are tens of MiB; the
// decoded form takes several times the document's size in memory.
const MaxDocument = 256 << 20

// MaxField is the longest string (name, version, purl, licence, property value, path) a decoder
// copies into an inventory. Real values are far shorter; longer ones are garbage or an attack.
const MaxField = 64 << 10

// ErrTooLarge is returned (wrapped) when a document or one of its fields is over a limit. The
// input is rejected; there is nothing to retry.
var ErrTooLarge = errors.New("over the size limit")

// ReadAll reads r to the end, failing if it holds more than MaxDocument bytes.
func ReadAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("reading document: %w", err)
	}
	if len(b) > MaxDocument {
		return nil, fmt.Errorf("document is larger than %d bytes: %w", MaxDocument, ErrTooLarge)
	}
	return b, nil
}

// Fields checks strings against MaxField and remembers the first violation, so that a decoder
// can check every field it copies and report once.
type Fields struct {
	err error
}

// Check returns s, recording an error naming field if s is too long.
func (f *Fields) Check(field, s string) string {
	if len(s) > MaxField && f.err == nil {
		f.err = fmt.Errorf("%s is %d bytes long, more than %d: %w", field, len(s), MaxField, ErrTooLarge)
	}
	return s
}

// Err returns the first violation, or nil.
func (f *Fields) Err() error { return f.err }
