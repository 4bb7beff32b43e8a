package vulndb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Build reads every input, writes a new index file next to the old one and renames it into
// place. On any error (including ctx cancellation) the previous DB is left exactly as it was.
//
// With opts.Replace false, sources already in the DB whose Name is not among the inputs are
// kept: their records, KEV entries and EPSS scores are copied into the new index unchanged.
func Build(ctx context.Context, dir string, inputs []Input, opts BuildOptions) (*Meta, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	srcs := make([]*source, 0, len(inputs))
	names := map[string]bool{}
	for _, in := range inputs {
		s, err := resolve(in)
		if err != nil {
			return nil, err
		}
		if names[s.name] {
			return nil, fmt.Errorf("vulndb: two inputs share the source name %q; give them distinct names", s.name)
		}
		names[s.name] = true
		srcs = append(srcs, s)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Leftovers of builds that crashed; we hold the lock, so none is in progress.
	if old, _ := filepath.Glob(filepath.Join(dir, ".index-*.tmp")); len(old) > 0 {
		for _, p := range old {
			os.Remove(p)
		}
	}

	var old *DB
	if !opts.Replace {
		old, err = Open(dir)
		switch {
		case errors.Is(err, ErrNoDB):
			old = nil
		case err != nil:
			return nil, fmt.Errorf("%w (or build with Replace to start afresh)", err)
		default:
			defer old.Close()
		}
	}

	tmp, err := os.CreateTemp(dir, ".index-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp's 0600 would hide the index from other users
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	b := &builder{ctx: ctx, now: now, progress: opts.Progress, f: tmp, sum: sha256.New(), keyIDs: map[string]uint32{}}
	b.w = bufio.NewWriterSize(io.MultiWriter(tmp, b.sum), 1<<20)
	if _, err := tmp.Write(make([]byte, headerSize)); err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	b.pos = headerSize

	keptMap, err := b.chooseDict(old, names, srcs)
	if err != nil {
		return nil, err
	}
	encOpts := []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false)}
	if len(b.dict) > 0 {
		encOpts = append(encOpts, zstd.WithEncoderDictRaw(dictID, b.dict))
	}
	if b.enc, err = zstd.NewWriter(nil, encOpts...); err != nil {
		return nil, fmt.Errorf("vulndb: zstd: %w", err)
	}
	defer b.enc.Close()

	if old != nil {
		if err := b.keep(old, keptMap); err != nil {
			return nil, err
		}
	}
	for _, s := range srcs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := b.importSource(s); err != nil {
			return nil, err
		}
	}
	meta, err := b.finish()
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("vulndb: sync %s: %w", tmp.Name(), err)
	}
	if err := verifyFile(tmp); err != nil {
		return nil, fmt.Errorf("vulndb: the index just written does not verify (disk or memory fault?): %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, indexFile)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; some platforms cannot sync a directory
		d.Close()
	}
	meta.Path = final
	return meta, nil
}

// verifyFile checks a freshly written index as Verify does. It hashes the body with plain reads
// rather than through the mapping, so the check does not pull the whole file into the
// process's resident memory; the table checks touch only the small sections.
func verifyFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return err
	}
	db, err := openBytes(f.Name(), data)
	if err != nil {
		unmap()
		return err
	}
	db.unmap = unmap
	defer db.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, headerSize, st.Size()-headerSize)); err != nil {
		return err
	}
	if [32]byte(h.Sum(nil)) != db.sum {
		return corrupt(f.Name(), "body checksum mismatch")
	}
	return db.verifyTables()
}

// lockDir serialises builds in dir with an advisory lock on dir/.lock, waiting for a running
// build to finish until ctx is done.
func lockDir(ctx context.Context, dir string) (func(), error) {
	p := filepath.Join(dir, lockName)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vulndb: lock: %w", err)
	}
	for {
		busy, err := lockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("vulndb: lock %s: %w", p, err)
		}
		if !busy {
			return func() { unlockFile(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("vulndb: another build holds %s and did not finish in time: %w", p, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type kevItem struct {
	key uint64
	kev *KEV
	src uint16
}

type epssItem struct {
	epssRow
	src uint16
}

type builder struct {
	ctx      context.Context
	now      time.Time
	progress func(Progress)
	f        *os.File
	w        *bufio.Writer
	sum      hash.Hash
	pos      uint64 // file offset of the next body byte
	dict     []byte
	enc      *zstd.Encoder

	sources []SourceMeta
	recOffs []uint64 // relative to headerSize, one per record plus the end
	recSrc  []uint16 // source of each record
	// Key ids of the kept records (which come first) are collected by inverting the old
	// postings, into keptKeys. New records' key ids are flattened: record len(keptKeys)+j has
	// recKeyIDs[recKeyOff[j]:recKeyOff[j+1]], which saves a slice per record at full size.
	keptKeys  [][]uint32
	recKeyOff []uint32
	recKeyIDs []uint32
	keyIDs    map[string]uint32
	keyList   []string
	kevs      []kevItem
	epss      []epssItem
}

func (b *builder) write(p []byte) error {
	n, err := b.w.Write(p)
	b.pos += uint64(n)
	if err != nil {
		return fmt.Errorf("vulndb: write %s: %w", b.f.Name(), err)
	}
	return nil
}

func (b *builder) keyID(k string) uint32 {
	id, ok := b.keyIDs[k]
	if !ok {
		id = uint32(len(b.keyList))
		b.keyIDs[k] = id
		b.keyList = append(b.keyList, k)
	}
	return id
}

func (b *builder) addSource(m SourceMeta) (uint16, error) {
	if len(b.sources) >= math.MaxUint16 {
		return 0, errors.New("vulndb: too many sources")
	}
	b.sources = append(b.sources, m)
	return uint16(len(b.sources) - 1), nil
}

// appendRecord writes one compressed record; kept records pass kept=true and get their keys
// later from the old postings.
func (b *builder) appendRecord(frame []byte, src uint16, kept bool, keys []uint32) error {
	if len(b.recOffs) == 0 {
		b.recOffs = append(b.recOffs, 0)
	}
	if err := b.write(frame); err != nil {
		return err
	}
	b.recOffs = append(b.recOffs, b.pos-headerSize)
	b.recSrc = append(b.recSrc, src)
	if kept {
		b.keptKeys = append(b.keptKeys, nil)
		return nil
	}
	if len(b.recKeyOff) == 0 {
		b.recKeyOff = append(b.recKeyOff, 0)
	}
	b.recKeyIDs = append(b.recKeyIDs, keys...)
	b.recKeyOff = append(b.recKeyOff, uint32(len(b.recKeyIDs)))
	return nil
}

// keysOf returns the key ids of record r.
func (b *builder) keysOf(r int) []uint32 {
	if r < len(b.keptKeys) {
		return b.keptKeys[r]
	}
	j := r - len(b.keptKeys)
	return b.recKeyIDs[b.recKeyOff[j]:b.recKeyOff[j+1]]
}

// chooseDict picks the records' shared zstd dictionary. Kept records are copied compressed, so
// when there are any the old dictionary stays; otherwise a new one is sampled from the inputs.
// It returns, per old source index, whether that source is kept.
func (b *builder) chooseDict(old *DB, names map[string]bool, srcs []*source) ([]bool, error) {
	var kept []bool
	keptRecords := 0
	if old != nil {
		kept = make([]bool, len(old.meta.Sources))
		for i, s := range old.meta.Sources {
			kept[i] = !names[s.Name]
		}
		for i := range old.nrec {
			if s := int(u16(old.recSrc[2*i:])); s < len(kept) && kept[s] {
				keptRecords++
			}
		}
	}
	if keptRecords > 0 {
		h, _ := parseHeader(old.data)
		b.dict = slices.Clone(old.data[h.sections[secDict][0] : h.sections[secDict][0]+h.sections[secDict][1]])
		return kept, nil
	}
	var err error
	b.dict, err = sampleDict(b.ctx, srcs, b.now)
	return kept, err
}

// sampleDict builds a raw zstd dictionary from records spread evenly over the OSV inputs: the
// field values records share (URLs, CVSS vectors, ecosystem names, phrasing) then cost a few
// bytes each in every frame.
func sampleDict(ctx context.Context, srcs []*source, now time.Time) ([]byte, error) {
	const samples, maxDict = 400, 112 << 10
	var osv []*source
	for _, s := range srcs {
		if s.kind == "osv" {
			osv = append(osv, s)
		}
	}
	var dict []byte
	for _, s := range osv {
		jobs, closeFn, err := s.osvJobs()
		if err != nil {
			return nil, err
		}
		per := max(1, samples/len(osv))
		step := max(1, len(jobs)/per)
		for i := 0; i < len(jobs) && len(dict) < maxDict*len(osv); i += step {
			if ctx.Err() != nil {
				closeFn()
				return nil, ctx.Err()
			}
			data, tooBig, err := readEntry(jobs[i])
			if err != nil || tooBig {
				continue // the import proper reports it
			}
			if a, err := parseOSV(data, now); err == nil {
				dict = encodeAdvisory(dict, a)
			}
		}
		closeFn()
	}
	// zstd favours the end of a raw dictionary; keep the most recent samples when trimming.
	if len(dict) > maxDict {
		dict = dict[len(dict)-maxDict:]
	}
	if len(dict) < 1024 {
		return nil, nil
	}
	return dict, nil
}

// keep copies what the old DB holds for sources that are not re-imported.
func (b *builder) keep(old *DB, kept []bool) error {
	srcMap := make([]int, len(old.meta.Sources))
	for i, s := range old.meta.Sources {
		srcMap[i] = -1
		if kept[i] {
			n, err := b.addSource(s)
			if err != nil {
				return err
			}
			srcMap[i] = int(n)
		}
	}
	recMap := make([]int32, old.nrec)
	for i := range old.nrec {
		recMap[i] = -1
		if i%4096 == 0 && b.ctx.Err() != nil {
			return b.ctx.Err()
		}
		s := int(u16(old.recSrc[2*i:]))
		if s >= len(srcMap) {
			return corrupt(old.path, "record %d names an unknown source", i)
		}
		if srcMap[s] < 0 {
			continue
		}
		start, end := u64(old.recOffs[8*i:]), u64(old.recOffs[8*i+8:])
		if start > end || end > uint64(len(old.records)) {
			return corrupt(old.path, "record %d out of range", i)
		}
		recMap[i] = int32(len(b.recSrc))
		if err := b.appendRecord(old.records[start:end], uint16(srcMap[s]), true, nil); err != nil {
			return err
		}
	}
	for k := range len(old.keys) / keyRowSize {
		key, err := old.keyAt(k)
		if err != nil {
			return err
		}
		row := old.keys[k*keyRowSize:]
		off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
		if off+n > uint64(len(old.postings)/4) {
			return corrupt(old.path, "postings of key %d out of range", k)
		}
		id := uint32(math.MaxUint32)
		for j := off; j < off+n; j++ {
			r := u32(old.postings[4*j:])
			if int(r) >= old.nrec {
				return corrupt(old.path, "key %d lists record %d of %d", k, r, old.nrec)
			}
			if nr := recMap[r]; nr >= 0 {
				if id == math.MaxUint32 {
					id = b.keyID(string(key))
				}
				b.keptKeys[nr] = append(b.keptKeys[nr], id)
			}
		}
	}
	for i := range len(old.kevIdx) / kevRowSize {
		row := old.kevIdx[i*kevRowSize:]
		s := int(u16(row[16:]))
		if s >= len(srcMap) || srcMap[s] < 0 {
			continue
		}
		off, n := uint64(u32(row[8:])), uint64(u32(row[12:]))
		if off+n > uint64(len(old.kevData)) {
			return corrupt(old.path, "KEV row %d out of range", i)
		}
		k, err := decodeKEV(old.kevData[off : off+n])
		if err != nil {
			return corrupt(old.path, "KEV row %d: %v", i, err)
		}
		b.kevs = append(b.kevs, kevItem{key: u64(row), kev: k, src: uint16(srcMap[s])})
	}
	for i := range len(old.epss) / epssRowSize {
		row := old.epss[i*epssRowSize:]
		s := int(u16(row[24:]))
		if s >= len(srcMap) || srcMap[s] < 0 {
			continue
		}
		b.epss = append(b.epss, epssItem{epssRow{key: u64(row), score: f64(row[8:]), pct: f64(row[16:])}, uint16(srcMap[s])})
	}
	return nil
}

func (b *builder) importSource(s *source) error {
	m := SourceMeta{Name: s.name, Kind: s.kind, Origin: s.in.Origin, ETag: s.in.ETag,
		LastModified: s.in.LastModified, ImportedAt: b.now}
	switch s.kind {
	case "osv":
		return b.importOSV(s, m)
	case "kev":
		data, err := readAllLimit(s.in.Path, maxKEVBytes)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		sum := sha256.Sum256(data)
		m.SHA256 = fmt.Sprintf("%x", sum)
		res, err := parseKEV(data)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		m.CatalogVersion, m.Released = res.catalogVersion, res.released
		m.Records, m.Skipped = len(res.entries), len(res.skipped)
		m.SkippedSamples = res.skipped[:min(len(res.skipped), maxSkipSamples)]
		idx, err := b.addSource(m)
		if err != nil {
			return err
		}
		for _, k := range res.entries {
			key, _ := cveKey(k.CVE)
			b.kevs = append(b.kevs, kevItem{key: key, kev: k, src: idx})
		}
		b.report(Progress{Source: s.name, Records: m.Records + m.Skipped, Bytes: int64(len(data)), Total: int64(len(data)), Done: true})
		return nil
	case "epss":
		f, err := os.Open(s.in.Path)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		defer f.Close()
		h := sha256.New()
		res, err := parseEPSS(io.TeeReader(f, h))
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
		}
		m.SHA256 = fmt.Sprintf("%x", h.Sum(nil))
		m.ModelVersion, m.ScoreDate = res.modelVersion, res.scoreDate
		m.Records, m.Skipped, m.SkippedSamples = len(res.rows), res.bad, res.skipped
		idx, err := b.addSource(m)
		if err != nil {
			return err
		}
		for _, r := range res.rows {
			b.epss = append(b.epss, epssItem{r, idx})
		}
		b.report(Progress{Source: s.name, Records: m.Records + m.Skipped, Bytes: s.size, Total: s.size, Done: true})
		return nil
	}
	return fmt.Errorf("vulndb: unknown kind %q", s.kind)
}

func readAllLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return data, nil
}

func (b *builder) report(p Progress) {
	if b.progress != nil {
		b.progress(p)
	}
}

// osvResult is what a worker makes of one osvJob.
type osvResult struct {
	seq       int
	entry     string
	size      int64
	id        string
	frame     []byte
	keys      []string
	ecos      int
	withdrawn bool
	skip      string
	fatal     error
}

// work reads, decodes, converts and compresses one record; it runs on the worker pool.
func (b *builder) work(j osvJob, buf []byte) (osvResult, []byte) {
	r := osvResult{seq: j.seq, entry: j.entry, size: j.size}
	if !strings.EqualFold(filepath.Ext(j.entry), ".json") {
		r.skip = "not a .json entry"
		return r, buf
	}
	data, tooBig, err := readEntry(j)
	if err != nil {
		r.fatal = err
		return r, buf
	}
	if tooBig {
		r.skip = fmt.Sprintf("record larger than %d MiB", maxRecordBytes>>20)
		return r, buf
	}
	a, err := parseOSV(data, b.now)
	switch {
	case errors.Is(err, errWithdrawn):
		r.withdrawn = true
		return r, buf
	case err != nil:
		r.skip = err.Error()
		return r, buf
	}
	r.id, r.keys = a.ID, a.keys()
	buf = encodeAdvisory(buf[:0], a)
	r.frame = b.enc.EncodeAll(buf, nil)
	return r, buf
}

// importOSV decodes an OSV input on a worker pool and writes its records in input order, so the
// same inputs always give the same index.
func (b *builder) importOSV(s *source, m SourceMeta) error {
	jobs, closeFn, err := s.osvJobs()
	if err != nil {
		return err
	}
	defer closeFn()
	if m.SHA256, err = s.digest(jobs); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, s.in.Path, err)
	}
	idx, err := b.addSource(m)
	if err != nil {
		return err
	}
	sm := &b.sources[idx]
	var total int64
	for _, j := range jobs {
		total += j.size
	}

	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	const window = 512 // results allowed ahead of the writer
	jobCh := make(chan osvJob)
	resCh := make(chan osvResult, window)
	sem := make(chan struct{}, window)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for j := range jobCh {
				var r osvResult
				r, buf = b.work(j, buf)
				resCh <- r
			}
		}()
	}
	go func() {
		defer close(jobCh)
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobCh <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(resCh) }()

	pending := map[int]osvResult{}
	next, read := 0, 0
	var bytesRead int64
	ids := map[string]bool{}
	var keys []uint32
	var firstErr error
	take := func(r osvResult) error {
		read++
		bytesRead += r.size
		if read%2000 == 0 {
			b.report(Progress{Source: s.name, Records: read, Bytes: bytesRead, Total: total})
		}
		switch {
		case r.fatal != nil:
			return fmt.Errorf("%w: %s: entry %s: %v", ErrMalformed, s.in.Path, r.entry, r.fatal)
		case r.withdrawn:
			sm.Withdrawn++
			return nil
		case r.skip == "" && ids[r.id]:
			r.skip = fmt.Sprintf("duplicate id %s", r.id)
		}
		if r.skip != "" {
			sm.Skipped++
			if len(sm.SkippedSamples) < maxSkipSamples {
				sm.SkippedSamples = append(sm.SkippedSamples, Skip{Entry: r.entry, Reason: r.skip})
			}
			return nil
		}
		ids[r.id] = true
		keys = keys[:0]
		for _, k := range r.keys {
			keys = append(keys, b.keyID(k))
		}
		sm.Records++
		return b.appendRecord(r.frame, idx, false, keys)
	}
	for r := range resCh {
		if firstErr != nil {
			continue // drain so the workers can exit
		}
		pending[r.seq] = r
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-sem
			if err := take(p); err != nil {
				firstErr = err
				cancel()
				break
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := b.ctx.Err(); err != nil {
		return err
	}
	if next != len(jobs) {
		return fmt.Errorf("vulndb: %s: read %d of %d records", s.in.Path, next, len(jobs))
	}
	b.report(Progress{Source: s.name, Records: read, Bytes: bytesRead, Total: total, Done: true})
	return nil
}

// finish writes the tables, the metadata and the header.
func (b *builder) finish() (*Meta, error) {
	var h header
	h.version = formatVersion
	h.sections[secRecords] = [2]uint64{headerSize, b.pos - headerSize}
	if len(b.recOffs) == 0 {
		b.recOffs = []uint64{0}
	}
	section := func(i int, fill func() error) error {
		start := b.pos
		if err := fill(); err != nil {
			return err
		}
		h.sections[i] = [2]uint64{start, b.pos - start}
		return nil
	}
	var scratch []byte
	put := func(p []byte) error { return b.write(p) }

	if err := section(secRecOffs, func() error {
		scratch = scratch[:0]
		for _, o := range b.recOffs {
			scratch = binary.LittleEndian.AppendUint64(scratch, o)
		}
		return put(scratch)
	}); err != nil {
		return nil, err
	}
	if err := section(secRecSrc, func() error {
		scratch = scratch[:0]
		for _, s := range b.recSrc {
			scratch = binary.LittleEndian.AppendUint16(scratch, s)
		}
		return put(scratch)
	}); err != nil {
		return nil, err
	}

	// Postings per key in record order, and records per ecosystem.
	postings := make([][]uint32, len(b.keyList))
	ecoOf := make([]string, len(b.keyList))
	for i, k := range b.keyList {
		ecoOf[i], _, _ = strings.Cut(k, "\x00")
	}
	ecosystems := map[string]int{}
	var seen []string
	for r := range b.recSrc {
		seen = seen[:0]
		for _, k := range b.keysOf(r) {
			postings[k] = append(postings[k], uint32(r))
			if e := ecoOf[k]; !slices.Contains(seen, e) {
				seen = append(seen, e)
				ecosystems[e]++
			}
		}
	}
	order := make([]uint32, len(b.keyList))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int { return strings.Compare(b.keyList[x], b.keyList[y]) })
	var keyRows, keyStr, post []byte
	for _, k := range order {
		keyRows = binary.LittleEndian.AppendUint32(keyRows, uint32(len(keyStr)))
		keyRows = binary.LittleEndian.AppendUint32(keyRows, uint32(len(b.keyList[k])))
		keyRows = binary.LittleEndian.AppendUint32(keyRows, uint32(len(post)/4))
		keyRows = binary.LittleEndian.AppendUint32(keyRows, uint32(len(postings[k])))
		keyStr = append(keyStr, b.keyList[k]...)
		for _, r := range postings[k] {
			post = binary.LittleEndian.AppendUint32(post, r)
		}
	}
	if len(keyStr) > math.MaxUint32 || len(post)/4 > math.MaxUint32 {
		return nil, errors.New("vulndb: key table too large")
	}
	for _, s := range []struct {
		i int
		b []byte
	}{{secKeys, keyRows}, {secKeyStr, keyStr}, {secPostings, post}} {
		if err := section(s.i, func() error { return put(s.b) }); err != nil {
			return nil, err
		}
	}

	// KEV and EPSS: sorted by CVE; where two sources list one CVE the later source wins.
	slices.SortStableFunc(b.kevs, func(x, y kevItem) int { return cmpU64(x.key, y.key) })
	b.kevs = lastPerKey(b.kevs, func(k kevItem) uint64 { return k.key })
	var kevRows, kevData []byte
	for _, k := range b.kevs {
		start := len(kevData)
		kevData = encodeKEV(kevData, k.kev)
		kevRows = binary.LittleEndian.AppendUint64(kevRows, k.key)
		kevRows = binary.LittleEndian.AppendUint32(kevRows, uint32(start))
		kevRows = binary.LittleEndian.AppendUint32(kevRows, uint32(len(kevData)-start))
		kevRows = binary.LittleEndian.AppendUint16(kevRows, k.src)
	}
	slices.SortStableFunc(b.epss, func(x, y epssItem) int { return cmpU64(x.key, y.key) })
	b.epss = lastPerKey(b.epss, func(e epssItem) uint64 { return e.key })
	epssRows := make([]byte, 0, len(b.epss)*epssRowSize)
	for _, e := range b.epss {
		epssRows = binary.LittleEndian.AppendUint64(epssRows, e.key)
		epssRows = binary.LittleEndian.AppendUint64(epssRows, math.Float64bits(e.score))
		epssRows = binary.LittleEndian.AppendUint64(epssRows, math.Float64bits(e.pct))
		epssRows = binary.LittleEndian.AppendUint16(epssRows, e.src)
	}
	im := indexMeta{BuiltAt: b.now, Sources: b.sources, Ecosystems: ecosystems, Records: len(b.recSrc),
		Packages: len(b.keyList), KEVs: len(b.kevs), EPSSScores: len(b.epss)}
	metaJSON, err := json.Marshal(im)
	if err != nil {
		return nil, fmt.Errorf("vulndb: meta: %w", err)
	}
	for _, s := range []struct {
		i int
		b []byte
	}{{secKEVIdx, kevRows}, {secKEVData, kevData}, {secEPSS, epssRows}, {secDict, b.dict}, {secMeta, metaJSON}} {
		if err := section(s.i, func() error { return put(s.b) }); err != nil {
			return nil, err
		}
	}
	if err := b.w.Flush(); err != nil {
		return nil, fmt.Errorf("vulndb: write %s: %w", b.f.Name(), err)
	}
	copy(h.sum[:], b.sum.Sum(nil))
	if _, err := b.f.WriteAt(h.marshal(), 0); err != nil {
		return nil, fmt.Errorf("vulndb: write %s: %w", b.f.Name(), err)
	}
	return &Meta{Size: int64(b.pos), BuiltAt: b.now, Format: formatVersion, Sources: b.sources,
		Ecosystems: ecosystems, Records: im.Records, Packages: im.Packages, KEVs: im.KEVs, EPSSScores: im.EPSSScores}, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lastPerKey keeps the last of each run of equal keys in a sorted slice.
func lastPerKey[T any](s []T, key func(T) uint64) []T {
	out := s[:0]
	for i, v := range s {
		if i+1 < len(s) && key(s[i+1]) == key(v) {
			continue
		}
		out = append(out, v)
	}
	return out
}
