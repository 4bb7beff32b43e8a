//go:build !unix

package vulndb

import (
	"io"
	"os"
)

// mapFile reads the whole file: without mmap, and because Windows refuses to rename over an
// open file anyway, holding a private copy is the portable way to survive a swap.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}

// lockFile: there is no portable advisory lock without x/sys, so on these platforms concurrent
// builds in one directory are not serialised (documented in docs/design/vulndb.md).
func lockFile(f *os.File) (bool, error) { return false, nil }

func unlockFile(f *os.File) error { return nil }
