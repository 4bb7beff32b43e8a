package update

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// maxEntrySize bounds one decompressed zip entry; OSV records are kilobytes, so anything
	// near this is a decompression bomb, not an advisory.
	maxEntrySize = 64 << 20
	// maxEntries bounds the entries of one export (npm, the largest, has a few hundred thousand).
	maxEntries = 10_000_000
	// maxEPSSSize bounds the decompressed EPSS CSV (about 15 MB today).
	maxEPSSSize = 1 << 30
	// maxKEVSize bounds the KEV catalog (about 1.3 MB today).
	maxKEVSize = 256 << 20
	// maxListSize bounds ecosystems.txt (under 1 KB today).
	maxListSize = 1 << 20
)

// verifyContent checks that the downloaded bytes are what the kind promises, reading all of
// them: a zip whose every entry decompresses with a matching CRC-32, an EPSS CSV that
// decompresses fully, a KEV catalog that parses.
func verifyContent(ctx context.Context, kind string, r io.ReaderAt, size int64) error {
	switch kind {
	case "osv":
		return verifyZip(ctx, r, size)
	case "epss":
		return verifyEPSS(io.NewSectionReader(r, 0, size))
	case "kev":
		if size > maxKEVSize {
			return fmt.Errorf("KEV catalog of %d bytes exceeds the %d MiB limit", size, maxKEVSize>>20)
		}
		return verifyKEV(io.NewSectionReader(r, 0, size))
	case kindList:
		if size > maxListSize {
			return fmt.Errorf("ecosystem list of %d bytes exceeds the %d MiB limit", size, maxListSize>>20)
		}
		return nil // parsed by plan
	}
	return fmt.Errorf("unknown kind %q", kind)
}

// verifyZip reads every entry through, which makes archive/zip check each entry's CRC-32 and
// size against the central directory.
func verifyZip(ctx context.Context, r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Entries are never written to disk by name, so an insecure name is harmless here.
		return fmt.Errorf("not a zip archive: %w", err)
	}
	if len(zr.File) > maxEntries {
		return fmt.Errorf("zip has %d entries, more than the limit of %d", len(zr.File), maxEntries)
	}
	for i, f := range zr.File {
		if i%1024 == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > maxEntrySize {
			return fmt.Errorf("zip entry %q: %d bytes uncompressed exceeds the %d MiB limit", f.Name, f.UncompressedSize64, maxEntrySize>>20)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, maxEntrySize+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
		if n > maxEntrySize {
			return fmt.Errorf("zip entry %q: decompresses beyond the %d MiB limit", f.Name, maxEntrySize>>20)
		}
	}
	return nil
}

// verifyEPSS accepts the FIRST EPSS CSV, gzip-compressed or not: optional "#" comment lines
// (the model version and score date), then the header "cve,epss,percentile", then rows.
// It reads the whole stream so that a truncated gzip member fails its trailer check here.
func verifyEPSS(r io.Reader) error {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("EPSS gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	lr := &io.LimitedReader{R: src, N: maxEPSSSize + 1}
	lines := bufio.NewReader(lr)
	for n := 1; ; n++ {
		line, err := lines.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			if err == io.EOF {
				return errors.New("EPSS CSV has no \"cve,epss,percentile\" header line")
			}
			return fmt.Errorf("EPSS CSV line %d: %w", n, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "#") {
			if n > 16 {
				return errors.New("EPSS CSV: more than 16 comment lines before the header")
			}
			continue
		}
		if !strings.EqualFold(strings.TrimSpace(line), "cve,epss,percentile") {
			return fmt.Errorf("EPSS CSV line %d: want header \"cve,epss,percentile\", got %q", n, truncate(line, 60))
		}
		break
	}
	if _, err := io.Copy(io.Discard, lines); err != nil {
		return fmt.Errorf("EPSS CSV: %w", err)
	}
	if lr.N <= 0 {
		return fmt.Errorf("EPSS CSV decompresses beyond the %d MiB limit", maxEPSSSize>>20)
	}
	return nil
}

var (
	cveRE  = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)
	dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// verifyKEV checks the fields of the CISA KEV catalog that hallmark relies on, following the
// catalog's JSON schema: catalogVersion, dateReleased, count and vulnerabilities are required,
// count equals the number of entries, every cveID matches ^CVE-[0-9]{4}-[0-9]{4,19}$ and every
// dateAdded is a YYYY-MM-DD date.
func verifyKEV(r io.Reader) error {
	var cat struct {
		CatalogVersion  *string `json:"catalogVersion"`
		DateReleased    *string `json:"dateReleased"`
		Count           *int    `json:"count"`
		Vulnerabilities *[]struct {
			CveID     *string `json:"cveID"`
			DateAdded *string `json:"dateAdded"`
		} `json:"vulnerabilities"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&cat); err != nil {
		return fmt.Errorf("KEV catalog is not valid JSON of the expected shape: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("KEV catalog: data after the JSON object")
	}
	switch {
	case cat.CatalogVersion == nil || *cat.CatalogVersion == "":
		return errors.New("KEV catalog: catalogVersion is missing")
	case cat.DateReleased == nil:
		return errors.New("KEV catalog: dateReleased is missing")
	case cat.Count == nil:
		return errors.New("KEV catalog: count is missing")
	case cat.Vulnerabilities == nil:
		return errors.New("KEV catalog: vulnerabilities is missing")
	}
	if _, err := time.Parse(time.RFC3339, *cat.DateReleased); err != nil {
		return fmt.Errorf("KEV catalog: dateReleased %q is not a date-time", truncate(*cat.DateReleased, 40))
	}
	vs := *cat.Vulnerabilities
	if *cat.Count != len(vs) {
		return fmt.Errorf("KEV catalog: count is %d but vulnerabilities has %d entries", *cat.Count, len(vs))
	}
	for i, v := range vs {
		if v.CveID == nil || !cveRE.MatchString(*v.CveID) {
			got := "missing"
			if v.CveID != nil {
				got = strconv.Quote(truncate(*v.CveID, 40))
			}
			return fmt.Errorf("KEV catalog: vulnerabilities[%d].cveID is %s, want CVE-YYYY-NNNN", i, got)
		}
		if v.DateAdded == nil || !validDate(*v.DateAdded) {
			return fmt.Errorf("KEV catalog: vulnerabilities[%d] (%s).dateAdded is missing or not YYYY-MM-DD", i, *v.CveID)
		}
	}
	return nil
}

func validDate(s string) bool {
	if !dateRE.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// parseEcosystems reads OSV's ecosystems.txt: one ecosystem per line. Release-scoped names
// ("Alpine:v3.20") are dropped: OSV no longer exports them separately, and the base
// ecosystem's all.zip holds their records.
func parseEcosystems(data []byte) ([]string, error) {
	if len(data) > maxListSize {
		return nil, fmt.Errorf("ecosystem list of %d bytes exceeds the %d MiB limit", len(data), maxListSize>>20)
	}
	var out []string
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		e := strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(e) == "" || strings.Contains(e, ":") {
			continue
		}
		if err := checkEcosystem(e); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", i+1, truncate(e, 60), err)
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the ecosystem list names no ecosystem")
	}
	return out, nil
}

// checkEcosystem rejects names that cannot be one path segment of the export bucket.
func checkEcosystem(e string) error {
	switch {
	case e == "":
		return errors.New("empty ecosystem name")
	case len(e) > 100:
		return errors.New("ecosystem name longer than 100 bytes")
	case !utf8.ValidString(e):
		return errors.New("ecosystem name is not UTF-8")
	case e != strings.TrimSpace(e):
		return errors.New("ecosystem name has leading or trailing space")
	case e == "." || e == "..":
		return errors.New("ecosystem name is a relative path element")
	case strings.ContainsAny(e, `/\`):
		return errors.New("ecosystem name contains a slash")
	case strings.IndexFunc(e, unicode.IsControl) >= 0:
		return errors.New("ecosystem name contains a control character")
	}
	return nil
}

// googHash holds the digests Google Cloud Storage declares in x-goog-hash.
type googHash struct {
	md5    []byte
	crc32c []byte // big-endian, as GCS encodes it
}

// parseGoogHash reads x-goog-hash header values: comma-separated "crc32c=<base64>" and
// "md5=<base64>" items, possibly over several header lines (GCS sends composite objects
// without md5). Unknown algorithms are ignored; a malformed known one is an error.
func parseGoogHash(values []string) (googHash, error) {
	var g googHash
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			alg, enc, ok := strings.Cut(item, "=")
			if !ok {
				return googHash{}, fmt.Errorf("item %q has no '='", truncate(item, 40))
			}
			var want int
			var dst *[]byte
			switch strings.ToLower(strings.TrimSpace(alg)) {
			case "md5":
				want, dst = 16, &g.md5
			case "crc32c":
				want, dst = 4, &g.crc32c
			default:
				continue
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
			if err != nil || len(b) != want {
				return googHash{}, fmt.Errorf("%s value %q is not %d base64-encoded bytes", alg, truncate(enc, 40), want)
			}
			if *dst != nil && !bytes.Equal(*dst, b) {
				return googHash{}, fmt.Errorf("two different %s values", alg)
			}
			*dst = b
		}
	}
	return g, nil
}

// check compares the received bytes' digests with the declared ones.
func (g googHash) check(md5sum []byte, crc uint32) error {
	if g.md5 != nil && !bytes.Equal(g.md5, md5sum) {
		return fmt.Errorf("MD5 of the received bytes is %s, x-goog-hash declares %s", hex.EncodeToString(md5sum), hex.EncodeToString(g.md5))
	}
	if g.crc32c != nil {
		if got := binary.BigEndian.AppendUint32(nil, crc); !bytes.Equal(g.crc32c, got) {
			return fmt.Errorf("CRC32C of the received bytes is %s, x-goog-hash declares %s", hex.EncodeToString(got), hex.EncodeToString(g.crc32c))
		}
	}
	return nil
}

// parseContentRange reads a 206 response's "bytes START-END/SIZE" (RFC 9110 §14.4); size is
// -1 when the server gives "*".
func parseContentRange(h string) (start, end, size int64, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("%q is not a byte range", truncate(h, 60))
	}
	rng, sz, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, fmt.Errorf("%q has no complete length", truncate(h, 60))
	}
	s, e, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("%q has no range", truncate(h, 60))
	}
	if start, err = parseNonNeg(s); err == nil {
		end, err = parseNonNeg(e)
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%q: %w", truncate(h, 60), err)
	}
	size = -1
	if sz != "*" {
		if size, err = parseNonNeg(sz); err != nil {
			return 0, 0, 0, fmt.Errorf("%q: %w", truncate(h, 60), err)
		}
	}
	if end < start || (size >= 0 && end >= size) {
		return 0, 0, 0, fmt.Errorf("%q is not a satisfiable range", truncate(h, 60))
	}
	return start, end, size, nil
}

func parseNonNeg(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a non-negative integer", truncate(s, 30))
	}
	return strconv.ParseInt(s, 10, 64)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
