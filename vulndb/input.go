package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	kflate "github.com/klauspost/compress/flate"
)

// Limits on hostile inputs.
const (
	maxRecordBytes = 64 << 20  // one OSV record (zip entry or file)
	maxKEVBytes    = 256 << 20 // the KEV catalog
	maxZipEntries  = 10_000_000
)

// source is a resolved Input.
type source struct {
	in    Input
	kind  string
	name  string
	isDir bool
	isZip bool
	size  int64
}

// resolve stats an input, detects its kind when not given and derives its name.
func resolve(in Input) (*source, error) {
	st, err := os.Stat(in.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, in.Path, err)
	}
	s := &source{in: in, kind: in.Kind, isDir: st.IsDir(), size: st.Size()}
	var head []byte
	if !s.isDir {
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, in.Path, err)
		}
		head = make([]byte, 512)
		n, err := io.ReadFull(f, head)
		f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, in.Path, err)
		}
		head = head[:n]
		s.isZip = bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06"))
	}
	detected := ""
	switch {
	case s.isDir, s.isZip:
		detected = "osv"
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b, sniffEPSS(head):
		detected = "epss"
	default:
		detected, err = sniffJSON(in.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, in.Path, err)
		}
	}
	switch s.kind {
	case "":
		if detected == "" {
			return nil, fmt.Errorf("%w: %s: not an OSV export, KEV catalog or EPSS CSV", ErrMalformed, in.Path)
		}
		s.kind = detected
	case "osv", "kev", "epss":
		if detected != s.kind {
			what := detected
			if what == "" {
				what = "unrecognised content"
			}
			return nil, fmt.Errorf("%w: %s: imported as %s but looks like %s", ErrMalformed, in.Path, s.kind, what)
		}
	default:
		return nil, fmt.Errorf("vulndb: input %s: unknown kind %q (want osv, kev, epss or empty)", in.Path, s.kind)
	}
	s.name = in.Name
	if s.name == "" {
		s.name = s.kind
		if s.kind == "osv" {
			abs, _ := filepath.Abs(in.Path)
			if s.isDir {
				s.name = "osv:" + filepath.Base(abs)
			} else {
				s.name = "osv:" + filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs)
			}
		}
	}
	return s, nil
}

// sniffJSON reads the top-level keys of a JSON object and tells a KEV catalog ("kev") from an
// OSV record ("osv"); "" when it is neither.
func sniffJSON(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	d := json.NewDecoder(bufio.NewReader(io.LimitReader(f, maxKEVBytes)))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return "", nil
	}
	osv := false
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return "", nil
		}
		switch t {
		case "catalogVersion", "vulnerabilities":
			return "kev", nil
		case "id", "affected", "schema_version":
			osv = true
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return "", nil
		}
	}
	if osv {
		return "osv", nil
	}
	return "", nil
}

// osvJob is one OSV record to read: a zip entry or a file.
type osvJob struct {
	seq   int
	entry string // name reported in skips
	size  int64  // bytes it occupies in the input (for progress)
	open  func() (io.ReadCloser, error)
}

// osvJobs lists the records of an OSV input. close releases the input.
func (s *source) osvJobs() (jobs []osvJob, closeFn func() error, err error) {
	switch {
	case s.isZip:
		zr, err := zip.OpenReader(s.in.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		// klauspost's inflate is about twice as fast as the standard library's.
		zr.RegisterDecompressor(zip.Deflate, newFlateReader)
		if len(zr.File) > maxZipEntries {
			zr.Close()
			return nil, nil, fmt.Errorf("%w: %s: %d entries, more than the limit of %d", ErrMalformed, s.in.Path, len(zr.File), maxZipEntries)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			jobs = append(jobs, osvJob{seq: len(jobs), entry: f.Name, size: int64(f.CompressedSize64), open: f.Open})
		}
		return jobs, zr.Close, nil
	case s.isDir:
		err := filepath.WalkDir(s.in.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".json") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.in.Path, p)
			jobs = append(jobs, osvJob{seq: len(jobs), entry: filepath.ToSlash(rel), size: info.Size(),
				open: func() (io.ReadCloser, error) { return os.Open(p) }})
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		return jobs, func() error { return nil }, nil
	default:
		p := s.in.Path
		jobs = []osvJob{{entry: filepath.Base(p), size: s.size, open: func() (io.ReadCloser, error) { return os.Open(p) }}}
		return jobs, func() error { return nil }, nil
	}
}

// digest returns the SHA-256 of the input: of the file, or for a directory of the sorted list
// of (relative path, file SHA-256) of its .json files.
func (s *source) digest(jobs []osvJob) (string, error) {
	h := sha256.New()
	if !s.isDir {
		f, err := os.Open(s.in.Path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b osvJob) int { return strings.Compare(a.entry, b.entry) })
	for _, j := range sorted {
		rc, err := j.open()
		if err != nil {
			return "", err
		}
		fh := sha256.New()
		_, err = io.Copy(fh, rc)
		rc.Close()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%x\n", j.entry, fh.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readEntry reads one record, bounded by maxRecordBytes. tooBig is not an error: the caller
// skips the record.
func readEntry(j osvJob) (data []byte, tooBig bool, err error) {
	rc, err := j.open()
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	data, err = io.ReadAll(io.LimitReader(rc, maxRecordBytes+1))
	if err != nil {
		return nil, false, err
	}
	return data, len(data) > maxRecordBytes, nil
}

// flateReaders recycles inflaters: allocating one per zip entry cost as much as inflating a
// typical record.
var flateReaders sync.Pool

type pooledFlate struct{ io.ReadCloser }

func newFlateReader(r io.Reader) io.ReadCloser {
	if fr, ok := flateReaders.Get().(io.ReadCloser); ok {
		if err := fr.(kflate.Resetter).Reset(r, nil); err == nil {
			return &pooledFlate{fr}
		}
	}
	return &pooledFlate{kflate.NewReader(r)}
}

func (p *pooledFlate) Close() error {
	if p.ReadCloser == nil {
		return nil
	}
	err := p.ReadCloser.Close()
	flateReaders.Put(p.ReadCloser)
	p.ReadCloser = nil
	return err
}
