// Package synth generates a synthetic, full-size advisory corpus shaped like today's OSV data:
// one <Ecosystem>/all.zip export per ecosystem, a CISA KEV catalog (kev.json) and a FIRST EPSS
// CSV (epss.csv). The ecosystem mix, id schemes, range shapes, severities, text lengths and
// reference lists follow the real exports, so the vulndb importer and index can be measured
// at the size users run them (≥520,000 records) without downloading anything. Output is
// deterministic for a given seed.
package synth

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
)

// DefaultRecords is the size of today's full OSV export, roughly.
const DefaultRecords = 520_000

// Options control Generate.
type Options struct {
	Seed    uint64 // same seed, same files
	Records int    // total OSV records; 0 means DefaultRecords
	// Names forces advisories for these package names, per OSV ecosystem ("npm", "PyPI", …), so
	// that a benchmark's real lockfile hits records. Each name gets one to three records; they
	// count towards Records.
	Names map[string][]string
	// Now anchors published/modified dates; zero means 2025-06-01.
	Now time.Time
}

// Stats tells what Generate wrote.
type Stats struct {
	Records    map[string]int // per export directory ("npm", "Debian", …)
	Total      int
	Withdrawn  int // records carrying a past "withdrawn" time (importers drop them)
	KEV        int
	EPSS       int
	Files      []string // relative paths written
	Bytes      int64    // total size of the files written
	CVEs       int      // distinct CVE ids in the pool (EPSS covers all of them)
	ForcedHits int      // records written for Options.Names
}

// An export is one <dir>/all.zip and the share of records it gets.
type export struct {
	dir    string
	weight float64
	kinds  []kind
}

// A kind is one id scheme inside an export, with its share of that export's records.
type kind struct {
	name   string
	weight float64
}

// exports approximates the OSV ecosystem mix (mid-2025): npm dominated by ~200k MAL- records
// of the OpenSSF malicious-packages feed, then the Linux distributions, then the language
// ecosystems.
var exports = []export{
	{"npm", 0.413, []kind{{"MAL", 0.915}, {"GHSA", 0.085}}},
	{"Debian", 0.105, []kind{{"DEBIAN-CVE", 0.86}, {"DSA", 0.07}, {"DLA", 0.07}}},
	{"Ubuntu", 0.095, []kind{{"UBUNTU-CVE", 1}}},
	{"SUSE", 0.075, []kind{{"SUSE-SU", 1}}},
	{"Red Hat", 0.055, []kind{{"RHSA", 1}}},
	{"Alpine", 0.055, []kind{{"ALPINE-CVE", 1}}},
	{"PyPI", 0.033, []kind{{"PYSEC", 0.35}, {"GHSA", 0.2}, {"MAL", 0.45}}},
	{"Linux", 0.018, []kind{{"LINUX-CVE", 1}}},
	{"Android", 0.014, []kind{{"ASB", 1}}},
	{"Maven", 0.011, []kind{{"GHSA", 1}}},
	{"Go", 0.009, []kind{{"GO", 1}}},
	{"Packagist", 0.009, []kind{{"GHSA", 1}}},
	{"OSS-Fuzz", 0.008, []kind{{"OSV", 1}}},
	{"crates.io", 0.004, []kind{{"RUSTSEC", 1}}},
	{"RubyGems", 0.0025, []kind{{"GHSA", 1}}},
	{"NuGet", 0.002, []kind{{"GHSA", 1}}},
	{"Hex", 0.0003, []kind{{"GHSA", 1}}},
	{"Pub", 0.0002, []kind{{"GHSA", 1}}},
}

// Generate writes the corpus into dir (created if needed).
func Generate(dir string, opts Options) (Stats, error) {
	if opts.Records == 0 {
		opts.Records = DefaultRecords
	}
	if opts.Records < 0 {
		return Stats{}, fmt.Errorf("synth: Records is %d", opts.Records)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	for eco := range opts.Names {
		if exportOf(eco) == nil {
			return Stats{}, fmt.Errorf("synth: Names: no export for ecosystem %q", eco)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	counts := split(opts.Records)
	st := Stats{Records: map[string]int{}}
	pool := newCVEPool(opts.Records)
	st.CVEs = len(pool)

	type result struct {
		dir                string
		n, withdrawn, hits int
		size               int64
		err                error
	}
	results := make([]result, len(exports))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2) // the reference machine has two cores
	for i, ex := range exports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			g := newGen(opts, ex, pool)
			r := result{dir: ex.dir}
			r.n, r.withdrawn, r.hits, r.size, r.err = g.writeZip(filepath.Join(dir, ex.dir, "all.zip"), counts[i], opts.Names[ex.dir])
			results[i] = r
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return Stats{}, r.err
		}
		st.Records[r.dir] = r.n
		st.Total += r.n
		st.Withdrawn += r.withdrawn
		st.ForcedHits += r.hits
		st.Bytes += r.size
		st.Files = append(st.Files, r.dir+"/all.zip")
	}
	n, size, err := writeKEV(filepath.Join(dir, "kev.json"), opts, pool)
	if err != nil {
		return Stats{}, err
	}
	st.KEV, st.Bytes, st.Files = n, st.Bytes+size, append(st.Files, "kev.json")
	n, size, err = writeEPSS(filepath.Join(dir, "epss.csv"), opts, pool)
	if err != nil {
		return Stats{}, err
	}
	st.EPSS, st.Bytes, st.Files = n, st.Bytes+size, append(st.Files, "epss.csv")
	return st, nil
}

func exportOf(dir string) *export {
	for i := range exports {
		if exports[i].dir == dir {
			return &exports[i]
		}
	}
	return nil
}

// split shares total among the exports by weight, exactly.
func split(total int) []int {
	var sum float64
	for _, e := range exports {
		sum += e.weight
	}
	out := make([]int, len(exports))
	left := total
	for i, e := range exports {
		out[i] = int(math.Floor(float64(total) * e.weight / sum))
		left -= out[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(out) {
		out[i]++
		left--
	}
	return out
}

// cvePool is the set of CVE ids the corpus uses; KEV and EPSS are drawn from it.
type cvePool []string

func newCVEPool(records int) cvePool {
	n := max(2000, records*6/10)
	p := make(cvePool, n)
	for i := range p {
		year := 2005 + i%21
		p[i] = fmt.Sprintf("CVE-%d-%d", year, 1000+(i/21)*7)
	}
	return p
}

// gen generates the records of one export.
type gen struct {
	r     *rand.Rand
	opts  Options
	ex    export
	pool  cvePool
	names []string
	used  map[string]bool
}

func newGen(opts Options, ex export, pool cvePool) *gen {
	h := fnv.New64a()
	io.WriteString(h, ex.dir)
	return &gen{r: rand.New(rand.NewPCG(opts.Seed, h.Sum64())), opts: opts, ex: ex, pool: pool, used: map[string]bool{}}
}

// writeZip writes n records (the forced ones first) to path.
func (g *gen) writeZip(path string, n int, forced []string) (written, withdrawn, hits int, size int64, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, 0, 0, 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	// One reused compressor: a fresh flate writer per entry costs more than the entry.
	fw, err := flate.NewWriter(nil, flate.BestSpeed)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		fw.Reset(w)
		return fw, nil
	})
	g.names = g.namePool(max(50, n/3))
	put := func(rec *record) error {
		for g.used["id:"+rec.ID] {
			rec.ID = g.bumpID(rec.ID)
		}
		g.used["id:"+rec.ID] = true
		if rec.Withdrawn != "" {
			withdrawn++
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: rec.ID + ".json", Method: zip.Deflate,
			Modified: g.opts.Now})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			return err
		}
		written++
		return nil
	}
	for _, name := range forced {
		for range 1 + g.r.IntN(3) {
			if written >= n {
				break
			}
			if err := put(g.record(g.pickKind(true), name)); err != nil {
				return 0, 0, 0, 0, err
			}
			hits++
		}
	}
	for written < n {
		if err := put(g.record(g.pickKind(false), "")); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return written, withdrawn, hits, st.Size(), f.Close()
}

func (g *gen) pickKind(forced bool) string {
	if forced {
		// A forced record is a reviewed advisory, not a malicious-package report.
		for _, k := range g.ex.kinds {
			if k.name != "MAL" {
				return k.name
			}
		}
	}
	x := g.r.Float64()
	for _, k := range g.ex.kinds {
		if x < k.weight {
			return k.name
		}
		x -= k.weight
	}
	return g.ex.kinds[len(g.ex.kinds)-1].name
}

// pick draws from the package name pool with a Zipf-like skew: a few packages (the kernel,
// openssl, django) carry many advisories, most carry one or two.
func (g *gen) pick() string {
	u := g.r.Float64()
	i := int(math.Pow(u, 3) * float64(len(g.names)))
	return g.names[min(i, len(g.names)-1)]
}

// uniqueName makes a fresh package name (malicious packages are almost all distinct).
func (g *gen) uniqueName() string {
	for {
		n := g.word(2 + g.r.IntN(2))
		if g.r.IntN(4) == 0 {
			n = "@" + g.word(1) + "/" + n
		}
		if !g.used[n] {
			g.used[n] = true
			return n
		}
	}
}

var syllables = strings.Fields("ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo za zo an en in on ex ix ox tr st pl gr cl fl json yaml http util core lib net xml auth")

func (g *gen) word(parts int) string {
	var b strings.Builder
	for i := range parts {
		if i > 0 && g.r.IntN(3) == 0 {
			b.WriteByte("-_."[g.r.IntN(3)])
		}
		for range 2 + g.r.IntN(2) {
			b.WriteString(syllables[g.r.IntN(len(syllables))])
		}
	}
	return b.String()
}

// namePool returns n distinct package names spelled the way the ecosystem spells them.
func (g *gen) namePool(n int) []string {
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		var s string
		switch g.ex.dir {
		case "Maven":
			s = "org." + g.word(1) + "." + g.word(1) + ":" + g.word(2)
		case "Go":
			s = "github.com/" + g.word(1) + "/" + g.word(2)
			if len(out) == 0 {
				s = "stdlib"
			}
		case "Packagist":
			s = g.word(1) + "/" + g.word(2)
		case "npm":
			s = g.word(2)
			if g.r.IntN(5) == 0 {
				s = "@" + g.word(1) + "/" + s
			}
		case "Linux":
			s = "Kernel"
		case "Android":
			s = "platform/" + g.word(1) + "/" + g.word(1)
		default:
			s = strings.ToLower(g.word(1 + g.r.IntN(2)))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
		if g.ex.dir == "Linux" {
			break
		}
	}
	return out
}

// bumpID makes a colliding id unique while keeping its scheme: the last number grows.
func (g *gen) bumpID(id string) string {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	if i == len(id) || strings.HasPrefix(id, "GHSA-") { // GHSA ids are random, not numbered
		return g.ghsa()
	}
	n := 0
	fmt.Sscan(id[i:], &n)
	return fmt.Sprintf("%s%d", id[:i], n+1+g.r.IntN(50))
}
