package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// FileDigest returns "sha256:<hex>" of a file's content.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// SkipDirs are directory names that are neither walked nor part of the tree digest: version
// control metadata changes with every commit and contains no packages.
var SkipDirs = []string{".git", ".hg", ".svn"}

// WalkError is a file that could not be read during a walk.
type WalkError struct {
	Path string
	Err  error
}

// WalkDir walks the directory tree at root once, calls visit for every entry (paths are
// slash-separated and relative to root; directories included, root itself excluded), and
// hashes every regular file concurrently to compute the tree digest.
//
// The tree digest is the sha256 of a summary that lists, in byte order of the path, one line
// "<hex sha256 of content>  <path>\n" per regular file and one line
// "<hex sha256 of "symlink\x00"+target>  <path>\n" per symbolic link. For a tree without symlinks it
// is the same hash that golang.org/x/mod/sumdb/dirhash.Hash1 ("h1:") encodes in base64.
// Directories in SkipDirs are left out. Files that cannot be read are left out of the digest
// and returned in errs; visit errors stop the walk.
func WalkDir(ctx context.Context, root string, visit func(rel string, d fs.DirEntry) error) (digest string, errs []WalkError, err error) {
	type job struct {
		rel string
		abs string
	}
	type result struct {
		rel string
		sum string
		err error
	}
	jobs := make(chan job, 256)
	results := make(chan result, 256)
	var wg sync.WaitGroup
	workers := max(2, runtime.GOMAXPROCS(0))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for j := range jobs {
				sum, err := hashFile(j.abs, buf)
				results <- result{rel: j.rel, sum: sum, err: err}
			}
		}()
	}
	var lines []string
	var hashErrs []WalkError
	var collectWG sync.WaitGroup
	collectWG.Add(1)
	go func() {
		defer collectWG.Done()
		for r := range results {
			if r.err != nil {
				hashErrs = append(hashErrs, WalkError{Path: r.rel, Err: r.err})
				continue
			}
			lines = append(lines, r.sum+"  "+r.rel+"\n")
		}
	}()

	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, werr error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if werr != nil {
			if rel == "." {
				return werr
			}
			errs = append(errs, WalkError{Path: rel, Err: werr})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if rel == "." {
			return nil
		}
		if d.IsDir() && slices.Contains(SkipDirs, d.Name()) {
			return fs.SkipDir
		}
		switch {
		case d.Type().IsRegular():
			jobs <- job{rel: rel, abs: p}
		case d.Type()&fs.ModeSymlink != 0:
			target, lerr := os.Readlink(p)
			if lerr != nil {
				errs = append(errs, WalkError{Path: rel, Err: lerr})
			} else {
				s := sha256.Sum256([]byte("symlink\x00" + target))
				results <- result{rel: rel, sum: hex.EncodeToString(s[:])}
			}
		}
		return visit(rel, d)
	})
	close(jobs)
	wg.Wait()
	close(results)
	collectWG.Wait()
	errs = append(errs, hashErrs...)
	if walkErr != nil {
		return "", errs, walkErr
	}
	slices.SortFunc(lines, func(a, b string) int { return cmpLinePath(a, b) })
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	slices.SortFunc(errs, func(a, b WalkError) int {
		if a.Path < b.Path {
			return -1
		} else if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), errs, nil
}

// cmpLinePath orders summary lines by their path (after the 64-hex digest and two spaces).
func cmpLinePath(a, b string) int {
	pa, pb := a[66:], b[66:]
	switch {
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return 0
}

func hashFile(path string, buf []byte) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
