package update

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fault is how the test server misbehaves when serving one object.
type fault int

const (
	faultNone       fault = iota
	faultDropOnce         // the first response is cut after half its body
	faultDropAlways       // every response is cut after half its body
	faultLongLength       // Content-Length claims 100 bytes more than are sent
	faultStall            // half the body, then nothing until the client goes away
)

type object struct {
	data     []byte
	etag     string
	modified time.Time
	googHash string // X-Goog-Hash value; "" sends none
	fault    fault
	status   int // nonzero: answer only this status, with Retry-After: 0
}

// request is what the server saw and answered.
type request struct {
	URI, Range, IfRange, IfNoneMatch, IfModifiedSince string
	Status                                            int
}

// osvServer speaks HTTP like the OSV bucket (static objects, ETag, Last-Modified, byte
// ranges, x-goog-hash) and can be told to misbehave per object.
type osvServer struct {
	*httptest.Server
	mu       sync.Mutex
	objects  map[string]*object
	noRanges bool // ignore Range and do not advertise Accept-Ranges
	log      []request
	stalled  chan struct{} // receives when a faultStall response has sent half its body
	release  chan struct{} // closed at cleanup to end stalled handlers
}

func newOSVServer(t *testing.T) *osvServer {
	t.Helper()
	s := &osvServer{objects: map[string]*object{}, stalled: make(chan struct{}, 8), release: make(chan struct{})}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) })
	return s
}

// put stores data at path with a fresh ETag and correct x-goog-hash.
func (s *osvServer) put(path string, data []byte) *object {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256(data)
	o := &object{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		modified: time.Date(2025, 8, 25, 10, 0, 0, 0, time.UTC), googHash: googHashOf(data)}
	s.objects[path] = o
	return o
}

func (s *osvServer) set(path string, f func(*object)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.objects[path])
}

func (s *osvServer) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *osvServer) resetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func googHashOf(data []byte) string {
	m := md5.Sum(data)
	c := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	return "crc32c=" + base64.StdEncoding.EncodeToString(c) + ",md5=" + base64.StdEncoding.EncodeToString(m[:])
}

func (s *osvServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.objects[r.URL.Path]
	var obj object
	if ok {
		obj = *o
		if o.fault == faultDropOnce {
			o.fault = faultNone
		}
	}
	noRanges := s.noRanges
	s.mu.Unlock()
	rec := request{URI: r.RequestURI, Range: r.Header.Get("Range"), IfRange: r.Header.Get("If-Range"),
		IfNoneMatch: r.Header.Get("If-None-Match"), IfModifiedSince: r.Header.Get("If-Modified-Since")}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		rec.Status = sw.status
		s.log = append(s.log, rec)
		s.mu.Unlock()
	}()
	if !ok {
		http.NotFound(sw, r)
		return
	}
	h := w.Header()
	h.Set("ETag", obj.etag)
	if obj.googHash != "" {
		h.Set("X-Goog-Hash", obj.googHash)
	}
	if noRanges {
		r.Header.Del("Range")
		r.Header.Del("If-Range")
	}
	if obj.status != 0 {
		h.Set("Retry-After", "0")
		http.Error(sw, http.StatusText(obj.status), obj.status)
		return
	}
	switch obj.fault {
	case faultNone:
		if noRanges {
			if r.Header.Get("If-None-Match") == obj.etag {
				sw.WriteHeader(http.StatusNotModified)
				return
			}
			h.Set("Content-Length", strconv.Itoa(len(obj.data)))
			sw.Write(obj.data)
			return
		}
		http.ServeContent(sw, r, "", obj.modified, bytes.NewReader(obj.data))
	case faultDropOnce, faultDropAlways, faultLongLength:
		s.cut(sw, r, obj, !noRanges)
	case faultStall:
		h.Set("Content-Length", strconv.Itoa(len(obj.data)))
		sw.WriteHeader(http.StatusOK)
		sw.Write(obj.data[:len(obj.data)/2])
		sw.Flush()
		s.stalled <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	}
}

// cut writes a response by hand on the hijacked connection and closes it early (or, for
// faultLongLength, after the whole body but short of the declared length).
func (s *osvServer) cut(w *statusWriter, r *http.Request, obj object, ranges bool) {
	start := int64(0)
	if rg, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ranges && ok && r.Header.Get("If-Range") == obj.etag {
		start, _ = strconv.ParseInt(strings.TrimSuffix(rg, "-"), 10, 64)
	}
	body := obj.data[start:]
	var hdr strings.Builder
	if start > 0 {
		w.status = http.StatusPartialContent
		fmt.Fprintf(&hdr, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %d-%d/%d\r\n", start, len(obj.data)-1, len(obj.data))
	} else {
		hdr.WriteString("HTTP/1.1 200 OK\r\n")
	}
	declared, send := len(body), body[:len(body)/2]
	if obj.fault == faultLongLength {
		declared, send = len(body)+100, body
	}
	fmt.Fprintf(&hdr, "Content-Length: %d\r\nETag: %s\r\nConnection: close\r\n", declared, obj.etag)
	if ranges {
		hdr.WriteString("Accept-Ranges: bytes\r\n")
	}
	if obj.googHash != "" {
		fmt.Fprintf(&hdr, "X-Goog-Hash: %s\r\n", obj.googHash)
	}
	hdr.WriteString("\r\n")
	conn, bw, err := w.ResponseWriter.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	bw.WriteString(hdr.String())
	bw.Write(send)
	bw.Flush()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

// zipOf builds a deflated zip of the named testdata/osv/<eco>/<id>.json records, named
// <id>.json as in OSV's exports.
func zipOf(t testing.TB, eco string, ids ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, id := range ids {
		data, err := os.ReadFile(filepath.Join("testdata", "osv", eco, id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: id + ".json", Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshot maps every file under dir to its SHA-256, so that "the DB is unchanged" and
// "no staging directory is left" are one comparison.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." {
				out[rel+"/"] = "dir"
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
