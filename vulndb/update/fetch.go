package update

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	kindList = "list" // ecosystems.txt: fetched like the rest, never imported

	// progressEvery is the most bytes between two progress events.
	progressEvery = 256 << 10
	// maxFileSize bounds one download so that a hostile or broken server cannot fill the disk;
	// the largest OSV export (npm) is a few hundred MB.
	maxFileSize = 8 << 30
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// fetched is the outcome of downloading one file.
type fetched struct {
	path               string
	notModified        bool
	etag, lastModified string
	bytes              int64
	attempts, resumed  int
}

// download is the state of one file across attempts; it survives a dropped connection so
// that the next attempt can continue where the previous one stopped.
type download struct {
	f       *os.File
	written int64
	total   int64 // entity size; -1 until known
	md5     hash.Hash
	crc     hash.Hash32
	// from the response that started the entity:
	etag, lastModified string
	acceptRanges       bool
	goog               googHash // empty when the server sent no usable x-goog-hash
	restart            bool     // the bytes so far cannot be trusted; start over
}

func (d *download) reset() error {
	if err := d.f.Truncate(0); err != nil {
		return err
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	d.written, d.total = 0, -1
	d.md5, d.crc = md5.New(), crc32.New(crc32c)
	d.etag, d.lastModified, d.acceptRanges, d.goog, d.restart = "", "", false, googHash{}, false
	return nil
}

// canResume reports whether a Range request may continue the partial file: the server said
// it serves byte ranges, and a strong ETag lets If-Range guarantee the bytes belong to the
// same entity (RFC 9110 §13.1.5 forbids weak validators there).
func (d *download) canResume() bool {
	return !d.restart && d.written > 0 && d.acceptRanges && d.etag != "" && !strings.HasPrefix(d.etag, "W/")
}

// permanent marks an error that another attempt cannot fix (404, wrong content).
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

var errStalled = errors.New("stalled")

// fetch downloads j into path, retrying and resuming as needed, then verifies the content.
func (u *updater) fetch(ctx context.Context, j job, path string) (fetched, error) {
	res := fetched{path: path}
	fail := func(err error) (fetched, error) {
		return res, fmt.Errorf("update: %s: %s: %w", j.label, j.url, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	d := &download{f: f}
	if err := d.reset(); err != nil {
		return fail(err)
	}

	var lastErr error
	wait := u.cfg.RetryWait
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			u.emit(Event{URL: j.url, Bytes: d.written, Total: d.total, Status: StatusRetrying, Err: lastErr})
			if w := retryAfter(lastErr); w > 0 {
				wait = w
			}
			if err := sleep(ctx, wait); err != nil {
				return fail(err)
			}
			wait = min(2*wait, maxRetryWait)
		}
		res.attempts++
		resumed, notModified, err := u.attempt(ctx, j, d)
		if resumed {
			res.resumed++
		}
		if err == nil {
			res.notModified = notModified
			break
		}
		if ctx.Err() != nil {
			return fail(context.Cause(ctx))
		}
		if p := (permanent{}); errors.As(err, &p) {
			return fail(err)
		}
		lastErr = err
		if attempt >= u.cfg.Retries {
			return fail(fmt.Errorf("giving up after %s: %w", plural(res.attempts, "attempt"), lastErr))
		}
	}
	if res.notModified {
		u.emit(Event{URL: j.url, Total: -1, Status: StatusNotModified})
		return res, nil
	}
	res.etag, res.lastModified, res.bytes = d.etag, d.lastModified, d.written

	u.emit(Event{URL: j.url, Bytes: d.written, Total: d.written, Status: StatusVerifying})
	if err := verifyContent(ctx, j.kind, f, d.written); err != nil {
		if ctx.Err() != nil {
			return fail(context.Cause(ctx))
		}
		return fail(fmt.Errorf("downloaded file is not valid: %w", err))
	}
	if j.kind == "epss" && isGzip(f) {
		// Name the file for what it holds, so that the importer need not sniff it.
		gz := path + ".gz"
		if err := os.Rename(path, gz); err != nil {
			return fail(err)
		}
		res.path = gz
	}
	return res, nil
}

// attempt makes one request for j and appends what arrives to d. It returns resumed=true when
// the request was a Range continuation the server honoured.
func (u *updater) attempt(ctx context.Context, j job, d *download) (resumed, notModified bool, err error) {
	// The watchdog cancels the attempt when no bytes arrive for StallTimeout; it covers the
	// wait for response headers too, whatever client the caller supplied.
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(u.cfg.StallTimeout, func() { cancel(errStalled) })
	defer watchdog.Stop()
	stalled := func(err error) error {
		if context.Cause(actx) == errStalled {
			return fmt.Errorf("no data for %v", u.cfg.StallTimeout)
		}
		return err
	}

	req, err := http.NewRequestWithContext(actx, http.MethodGet, j.url, nil)
	if err != nil {
		return false, false, permanent{err}
	}
	// Ask for the stored bytes: lengths, ranges and x-goog-hash all describe those, and a
	// transparently decompressed body would match none of them.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "hallmark-db-update")
	resuming := d.canResume()
	conditional := false
	if resuming {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", d.written))
		req.Header.Set("If-Range", d.etag)
	} else {
		if d.written > 0 || d.restart {
			if err := d.reset(); err != nil {
				return false, false, permanent{err}
			}
		}
		if j.etag != "" {
			req.Header.Set("If-None-Match", j.etag)
			conditional = true
		}
		if j.lastModified != "" {
			req.Header.Set("If-Modified-Since", j.lastModified)
			conditional = true
		}
	}
	resp, err := u.cfg.Client.Do(req)
	if err != nil {
		if isCertError(err) {
			// Retrying cannot fix a certificate the client does not trust.
			return false, false, permanent{err}
		}
		return false, false, stalled(err)
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusNotModified:
		if !conditional {
			return false, false, permanent{errors.New("server answered 304 Not Modified to an unconditional request")}
		}
		return false, true, nil
	case http.StatusOK:
		if resuming {
			// The entity changed since the partial download (If-Range failed) or the server
			// ignored the Range: the full body follows, so start over.
			if err := d.reset(); err != nil {
				return false, false, permanent{err}
			}
		}
		if err := d.begin(resp); err != nil {
			return false, false, permanent{err}
		}
	case http.StatusPartialContent:
		if !resuming {
			return false, false, permanent{errors.New("server sent 206 Partial Content to a request without Range")}
		}
		if err := d.resume(resp); err != nil {
			d.restart = true
			return false, false, err
		}
		resumed = true
	case http.StatusRequestedRangeNotSatisfiable:
		d.restart = true
		return false, false, errors.New("server refused to resume (416 Range Not Satisfiable)")
	default:
		err := fmt.Errorf("HTTP %s", resp.Status)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return false, false, withRetryAfter(err, resp.Header.Get("Retry-After"))
		}
		return false, false, permanent{err}
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return resumed, false, permanent{fmt.Errorf("server sent Content-Encoding %q although identity was requested", ce)}
	}

	u.emit(Event{URL: j.url, Bytes: d.written, Total: d.total, Status: StatusDownloading})
	buf := make([]byte, 64<<10)
	lastEvent := d.written
	for {
		// Never read past the next progress point, so events are at most progressEvery apart.
		n, rerr := resp.Body.Read(buf[:min(int64(len(buf)), lastEvent+progressEvery-d.written)])
		if n > 0 {
			watchdog.Reset(u.cfg.StallTimeout)
			if d.written+int64(n) > maxFileSize {
				return resumed, false, permanent{fmt.Errorf("larger than the %d GiB limit", maxFileSize>>30)}
			}
			if _, err := d.f.Write(buf[:n]); err != nil {
				return resumed, false, permanent{err}
			}
			d.md5.Write(buf[:n])
			d.crc.Write(buf[:n])
			d.written += int64(n)
			if d.written-lastEvent >= progressEvery {
				u.emit(Event{URL: j.url, Bytes: d.written, Total: d.total, Status: StatusDownloading})
				lastEvent = d.written
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(rerr, io.ErrUnexpectedEOF) && d.total >= 0 {
				return resumed, false, fmt.Errorf("connection closed after %d of the %d bytes announced", d.written, d.total)
			}
			return resumed, false, stalled(fmt.Errorf("after %d bytes: %w", d.written, rerr))
		}
	}
	if d.written != d.total && d.total >= 0 {
		return resumed, false, fmt.Errorf("received %d bytes, but Content-Length said %d", d.written, d.total)
	}
	if err := d.goog.check(d.md5.Sum(nil), d.crc.Sum32()); err != nil {
		// The bytes are wrong somewhere; a resume would keep them, so start over.
		d.restart = true
		return resumed, false, err
	}
	return resumed, false, nil
}

// begin records what a 200 response says about the entity about to be received.
func (d *download) begin(resp *http.Response) error {
	d.total = resp.ContentLength
	d.etag = resp.Header.Get("ETag")
	d.lastModified = resp.Header.Get("Last-Modified")
	d.acceptRanges = strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "bytes")
	// With decompressive transcoding GCS describes the stored (gzip) object in x-goog-hash,
	// not the bytes it sends; those hashes cannot be checked.
	if sce := resp.Header.Get("X-Goog-Stored-Content-Encoding"); sce != "" && !strings.EqualFold(sce, "identity") {
		return nil
	}
	g, err := parseGoogHash(resp.Header.Values("X-Goog-Hash"))
	if err != nil {
		return fmt.Errorf("x-goog-hash header: %w", err)
	}
	d.goog = g
	return nil
}

// resume checks that a 206 response continues exactly where the partial file ends and
// belongs to the same entity.
func (d *download) resume(resp *http.Response) error {
	start, end, size, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return fmt.Errorf("resuming: Content-Range: %w", err)
	}
	if start != d.written {
		return fmt.Errorf("resuming: server sent bytes from %d, want %d", start, d.written)
	}
	if size >= 0 && d.total >= 0 && size != d.total {
		return fmt.Errorf("resuming: entity size changed from %d to %d", d.total, size)
	}
	if et := resp.Header.Get("ETag"); et != "" && et != d.etag {
		return fmt.Errorf("resuming: ETag changed from %s to %s", d.etag, et)
	}
	if resp.ContentLength >= 0 && end >= 0 && resp.ContentLength != end-start+1 {
		return fmt.Errorf("resuming: Content-Length %d does not match Content-Range %d-%d", resp.ContentLength, start, end)
	}
	if d.total < 0 && size >= 0 {
		d.total = size
	}
	return nil
}

// retryable carries a server's Retry-After.
type retryable struct {
	err   error
	after time.Duration
}

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// withRetryAfter honours a Retry-After given in seconds (up to a minute); HTTP dates and
// longer waits fall back to the normal backoff.
func withRetryAfter(err error, h string) error {
	s, perr := strconv.Atoi(strings.TrimSpace(h))
	if perr != nil || s <= 0 || s > 60 {
		return err
	}
	return retryable{err, time.Duration(s) * time.Second}
}

func retryAfter(err error) time.Duration {
	var r retryable
	if errors.As(err, &r) {
		return r.after
	}
	return 0
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func isCertError(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr)
}

func isGzip(r io.ReaderAt) bool {
	var magic [2]byte
	n, _ := r.ReadAt(magic[:], 0)
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
