package vulndb

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ErrNoDB means dir holds no advisory database. The caller should tell the user to run
// `hallmark db update` (online) or `hallmark db import PATH…` (offline); the wrapped message
// says so.
var ErrNoDB = errors.New("no advisory database")

// ErrCorrupt means the index file is damaged or of an unknown format version. The caller should
// rebuild it with `hallmark db update` or by importing again; the wrapped message says so.
var ErrCorrupt = errors.New("advisory database is corrupt")

// ErrMalformed means an input file is not what it claims to be (corrupt zip, bad CSV header,
// wrong kind of file). The import fails and the database is left unchanged.
var ErrMalformed = errors.New("malformed input")

// maxSkipSamples bounds SourceMeta.SkippedSamples.
const maxSkipSamples = 20

// Input is one source to import.
type Input struct {
	Path string // local file or directory
	Kind string // "osv", "kev", "epss", or "" to detect from content
	// Name is the source name; "" derives one ("osv:PyPI/all.zip", "kev", "epss").
	// Re-importing a source with the same Name replaces that source's records; other sources
	// already in the DB are kept.
	Name   string
	Origin string // URL it was downloaded from ("" for local imports)
	// ETag and LastModified are the HTTP validators of that download, kept for the next
	// conditional request.
	ETag, LastModified string
}

// BuildOptions tune Build.
type BuildOptions struct {
	Progress func(Progress) // may be nil; called from the building goroutine
	Now      time.Time      // zero: time.Now()
	Replace  bool           // true: the new DB holds only these inputs
}

// Progress reports how far Build has read one source.
type Progress struct {
	Source  string
	Records int   // records read so far (stored, withdrawn and skipped)
	Bytes   int64 // input bytes read so far
	Total   int64 // input size, 0 if unknown
	Done    bool
}

// Meta describes a built database.
type Meta struct {
	Path       string
	Size       int64
	BuiltAt    time.Time
	Format     int
	Sources    []SourceMeta
	Ecosystems map[string]int // records per affected ecosystem (full OSV ecosystem string, e.g. "Debian:12")
	Records    int
	Packages   int // distinct (ecosystem, normalised name) keys
	KEVs       int
	EPSSScores int
}

// SourceMeta tells what one source contributed.
type SourceMeta struct {
	Name, Kind, Origin, ETag, LastModified string
	SHA256                                 string // of the input file(s)
	ImportedAt                             time.Time
	Records, Withdrawn, Skipped            int
	SkippedSamples                         []Skip // the first 20 skipped records
	ModelVersion, ScoreDate                string // EPSS header
	CatalogVersion, Released               string // KEV header
}

// Skip names one skipped input record and why it was skipped.
type Skip struct {
	Entry  string // zip entry, file, or line
	Reason string
}

// indexMeta is the JSON meta section.
type indexMeta struct {
	BuiltAt    time.Time      `json:"built_at"`
	Sources    []SourceMeta   `json:"sources"`
	Ecosystems map[string]int `json:"ecosystems"`
	Records    int            `json:"records"`
	Packages   int            `json:"packages"`
	KEVs       int            `json:"kevs"`
	EPSSScores int            `json:"epss_scores"`
}

// DB is an open advisory database. It is safe for concurrent use. The advisories it returns
// are shared between callers and must not be modified.
type DB struct {
	path  string
	meta  Meta
	mu    sync.RWMutex // write-held only by Close, which unmaps data
	data  []byte
	unmap func() error
	sum   [32]byte
	dec   *zstd.Decoder

	keys, keyStr, postings, recOffs, recSrc, records, kevIdx, kevData, epss []byte
	nrec                                                                    int

	cacheMu sync.Mutex
	cache   map[uint32]*Advisory
}

// DefaultDir returns $HALLMARK_DB if set, else <os.UserCacheDir()>/hallmark/db.
func DefaultDir() (string, error) {
	if d := os.Getenv("HALLMARK_DB"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("advisory database directory: %w (set HALLMARK_DB)", err)
	}
	return filepath.Join(c, "hallmark", "db"), nil
}

func noDB(dir string) error {
	return fmt.Errorf(`%w in %s: run "hallmark db update" (online) or "hallmark db import PATH…" (offline)`, ErrNoDB, dir)
}

func corrupt(path string, format string, args ...any) error {
	return fmt.Errorf(`%w: %s: %s; rebuild it with "hallmark db update" or "hallmark db import PATH…"`,
		ErrCorrupt, path, fmt.Sprintf(format, args...))
}

// Open opens the database in dir. It maps the index file and reads only its header and
// metadata; records are read on demand by Lookup.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, indexFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noDB(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open advisory database: %w", err)
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open advisory database: %w", err)
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("open advisory database: map %s: %w", path, err)
	}
	db, err := openBytes(path, data)
	if err != nil {
		unmap()
		return nil, err
	}
	db.unmap = unmap
	return db, nil
}

// openBytes validates the header and metadata of an index held in data.
func openBytes(path string, data []byte) (*DB, error) {
	h, err := parseHeader(data)
	if err != nil {
		return nil, corrupt(path, "%v", err)
	}
	sec := func(i int) []byte { return data[h.sections[i][0] : h.sections[i][0]+h.sections[i][1]] }
	db := &DB{path: path, data: data, sum: h.sum, unmap: func() error { return nil }, cache: map[uint32]*Advisory{}}
	db.keys, db.keyStr, db.postings = sec(secKeys), sec(secKeyStr), sec(secPostings)
	db.recOffs, db.recSrc, db.records = sec(secRecOffs), sec(secRecSrc), sec(secRecords)
	db.kevIdx, db.kevData, db.epss = sec(secKEVIdx), sec(secKEVData), sec(secEPSS)
	db.nrec = len(db.recSrc) / 2
	switch {
	case len(db.recSrc)%2 != 0 || len(db.recOffs) != 8*(db.nrec+1):
		return nil, corrupt(path, "record tables disagree (%d source bytes, %d offset bytes)", len(db.recSrc), len(db.recOffs))
	case len(db.keys)%keyRowSize != 0, len(db.postings)%4 != 0, len(db.kevIdx)%kevRowSize != 0, len(db.epss)%epssRowSize != 0:
		return nil, corrupt(path, "a table section has a partial row")
	}
	var m indexMeta
	if err := jsonUnmarshalStrict(sec(secMeta), &m); err != nil {
		return nil, corrupt(path, "meta section: %v", err)
	}
	if m.Records != db.nrec || m.Packages != len(db.keys)/keyRowSize || m.KEVs != len(db.kevIdx)/kevRowSize || m.EPSSScores != len(db.epss)/epssRowSize {
		return nil, corrupt(path, "meta counts disagree with the tables")
	}
	if len(m.Sources) > 1<<16 {
		return nil, corrupt(path, "%d sources", len(m.Sources))
	}
	opts := []zstd.DOption{zstd.WithDecoderMaxMemory(64 << 20), zstd.WithDecoderConcurrency(0)}
	if d := sec(secDict); len(d) > 0 {
		opts = append(opts, zstd.WithDecoderDictRaw(dictID, d))
	}
	if db.dec, err = zstd.NewReader(nil, opts...); err != nil {
		return nil, corrupt(path, "dictionary: %v", err)
	}
	db.meta = Meta{
		Path: path, Size: int64(len(data)), BuiltAt: m.BuiltAt, Format: formatVersion,
		Sources: m.Sources, Ecosystems: m.Ecosystems, Records: m.Records, Packages: m.Packages,
		KEVs: m.KEVs, EPSSScores: m.EPSSScores,
	}
	if db.meta.Ecosystems == nil {
		db.meta.Ecosystems = map[string]int{}
	}
	return db, nil
}

// Lookup returns the records with an affected entry for (ecosystem, NormalizeName(ecosystem,
// name)), ordered by id. ecosystem is matched exactly ("Debian:12" and "Debian" are different
// keys). Only those records are read and decoded; each is decoded once per DB.
func (db *DB) Lookup(ecosystem, name string) ([]*Advisory, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.data == nil {
		return nil, errors.New("vulndb: Lookup on a closed DB")
	}
	row, found, err := db.findKey(indexKey(ecosystem, name))
	if err != nil || !found {
		return nil, err
	}
	off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
	if off+n > uint64(len(db.postings)/4) {
		return nil, corrupt(db.path, "postings of %s/%s out of range", ecosystem, name)
	}
	out := make([]*Advisory, 0, n)
	for i := off; i < off+n; i++ {
		a, err := db.record(u32(db.postings[4*i:]))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	// Postings are in record order, which follows the sources; callers want a stable order.
	slices.SortStableFunc(out, func(a, b *Advisory) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// findKey binary-searches the key table in the mapped bytes; no map is built at Open.
func (db *DB) findKey(key string) ([]byte, bool, error) {
	lo, hi := 0, len(db.keys)/keyRowSize
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		k, err := db.keyAt(mid)
		if err != nil {
			return nil, false, err
		}
		switch c := strings.Compare(string(k), key); {
		case c == 0:
			return db.keys[mid*keyRowSize : (mid+1)*keyRowSize], true, nil
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return nil, false, nil
}

func (db *DB) keyAt(i int) ([]byte, error) {
	row := db.keys[i*keyRowSize:]
	off, n := uint64(u32(row)), uint64(u32(row[4:]))
	if off+n > uint64(len(db.keyStr)) {
		return nil, corrupt(db.path, "key %d out of range", i)
	}
	return db.keyStr[off : off+n], nil
}

// record returns record number i, decoding it on first use.
func (db *DB) record(i uint32) (*Advisory, error) {
	db.cacheMu.Lock()
	a := db.cache[i]
	db.cacheMu.Unlock()
	if a != nil {
		return a, nil
	}
	if int(i) >= db.nrec {
		return nil, corrupt(db.path, "record number %d of %d", i, db.nrec)
	}
	start, end := u64(db.recOffs[8*i:]), u64(db.recOffs[8*i+8:])
	if start > end || end > uint64(len(db.records)) {
		return nil, corrupt(db.path, "record %d offsets [%d, %d) out of range", i, start, end)
	}
	raw, err := db.dec.DecodeAll(db.records[start:end], nil)
	if err != nil {
		return nil, corrupt(db.path, "record %d: %v", i, err)
	}
	a, err = decodeAdvisory(raw)
	if err != nil {
		return nil, corrupt(db.path, "record %d: %v", i, err)
	}
	src := int(u16(db.recSrc[2*i:]))
	if src >= len(db.meta.Sources) {
		return nil, corrupt(db.path, "record %d names source %d of %d", i, src, len(db.meta.Sources))
	}
	a.Source = db.meta.Sources[src].Name
	db.cacheMu.Lock()
	if c := db.cache[i]; c != nil {
		a = c // another goroutine won the race; keep one pointer per record
	} else {
		db.cache[i] = a
	}
	db.cacheMu.Unlock()
	return a, nil
}

// searchCVE binary-searches a table of fixed-width rows that start with a cveKey.
func searchCVE(tab []byte, rowSize int, key uint64) ([]byte, bool) {
	lo, hi := 0, len(tab)/rowSize
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		k := u64(tab[mid*rowSize:])
		switch {
		case k == key:
			return tab[mid*rowSize : (mid+1)*rowSize], true
		case k < key:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return nil, false
}

// KEV returns the CISA KEV catalog entry of cve ("CVE-2021-44228"), if listed.
func (db *DB) KEV(cve string) (*KEV, bool) {
	key, ok := cveKey(strings.TrimSpace(cve))
	if !ok {
		return nil, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	row, ok := searchCVE(db.kevIdx, kevRowSize, key)
	if !ok {
		return nil, false
	}
	off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
	if off+n > uint64(len(db.kevData)) {
		return nil, false // corrupt; Verify reports it
	}
	k, err := decodeKEV(db.kevData[off : off+n])
	if err != nil {
		return nil, false
	}
	return k, true
}

// EPSS returns the FIRST EPSS score of cve, if scored.
func (db *DB) EPSS(cve string) (*EPSS, bool) {
	key, ok := cveKey(strings.TrimSpace(cve))
	if !ok {
		return nil, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	row, ok := searchCVE(db.epss, epssRowSize, key)
	if !ok {
		return nil, false
	}
	return &EPSS{Score: f64(row[8:]), Percentile: f64(row[16:])}, true
}

// Meta returns the database's metadata.
func (db *DB) Meta() Meta {
	m := db.meta
	m.Sources = append([]SourceMeta(nil), m.Sources...)
	m.Ecosystems = make(map[string]int, len(db.meta.Ecosystems))
	for k, v := range db.meta.Ecosystems {
		m.Ecosystems[k] = v
	}
	return m
}

// Verify checks the whole index file: the SHA-256 of the body recorded in the header, and the
// structure of every table (sorted keys, postings and offsets in range, sources known).
func (db *DB) Verify() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.data == nil {
		return errors.New("vulndb: Verify on a closed DB")
	}
	if sha256.Sum256(db.data[headerSize:]) != db.sum {
		return corrupt(db.path, "body checksum mismatch")
	}
	return db.verifyTables()
}

func (db *DB) verifyTables() error {
	nkeys := len(db.keys) / keyRowSize
	var prev []byte
	for i := range nkeys {
		k, err := db.keyAt(i)
		if err != nil {
			return err
		}
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return corrupt(db.path, "key table not sorted at row %d", i)
		}
		prev = k
		row := db.keys[i*keyRowSize:]
		off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
		if n == 0 || off+n > uint64(len(db.postings)/4) {
			return corrupt(db.path, "postings of key %d out of range", i)
		}
		for j := off; j < off+n; j++ {
			if int(u32(db.postings[4*j:])) >= db.nrec {
				return corrupt(db.path, "key %d lists record %d of %d", i, u32(db.postings[4*j:]), db.nrec)
			}
		}
	}
	var last uint64
	for i := 0; i <= db.nrec; i++ {
		o := u64(db.recOffs[8*i:])
		if o < last || o > uint64(len(db.records)) {
			return corrupt(db.path, "record offset %d out of order or range", i)
		}
		last = o
		if i < db.nrec && int(u16(db.recSrc[2*i:])) >= len(db.meta.Sources) {
			return corrupt(db.path, "record %d names an unknown source", i)
		}
	}
	for _, t := range []struct {
		tab  []byte
		size int
		name string
	}{{db.kevIdx, kevRowSize, "KEV"}, {db.epss, epssRowSize, "EPSS"}} {
		var prevKey uint64
		for i := 0; i < len(t.tab)/t.size; i++ {
			row := t.tab[i*t.size:]
			if k := u64(row); i > 0 && k <= prevKey {
				return corrupt(db.path, "%s table not sorted at row %d", t.name, i)
			} else {
				prevKey = k
			}
			if int(u16(row[t.size-2:])) >= len(db.meta.Sources) {
				return corrupt(db.path, "%s row %d names an unknown source", t.name, i)
			}
		}
	}
	for i := 0; i < len(db.kevIdx)/kevRowSize; i++ {
		row := db.kevIdx[i*kevRowSize:]
		off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
		if off+n > uint64(len(db.kevData)) {
			return corrupt(db.path, "KEV row %d out of range", i)
		}
		if _, err := decodeKEV(db.kevData[off : off+n]); err != nil {
			return corrupt(db.path, "KEV row %d: %v", i, err)
		}
	}
	return nil
}

// Close releases the mapping. Advisories already returned stay valid (they own their memory).
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.data == nil {
		return nil
	}
	db.data, db.keys, db.keyStr, db.postings, db.recOffs, db.recSrc, db.records = nil, nil, nil, nil, nil, nil, nil
	db.kevIdx, db.kevData, db.epss = nil, nil, nil
	db.nrec = 0
	db.dec.Close()
	return db.unmap()
}
