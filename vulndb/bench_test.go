package vulndb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/vulndb/synth"
)

// The benchmarks run on a synthetic corpus of benchRecords records (HALLMARK_BENCH_RECORDS
// overrides; bench/vulndb/run.sh measures the full 520,000).
var bench struct {
	once   sync.Once
	root   string // corpus and database, removed by TestMain
	inputs []Input
	db     string
	meta   *Meta
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.root != "" {
		os.RemoveAll(bench.root)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		n := 20_000
		if s := os.Getenv("HALLMARK_BENCH_RECORDS"); s != "" {
			if n, bench.err = strconv.Atoi(s); bench.err != nil {
				return
			}
		}
		if bench.root, bench.err = os.MkdirTemp("", "hallmark-vulndb-bench-"); bench.err != nil {
			return
		}
		corpus := filepath.Join(bench.root, "corpus")
		if _, bench.err = synth.Generate(corpus, synth.Options{Seed: 1, Records: n}); bench.err != nil {
			return
		}
		zips, _ := filepath.Glob(filepath.Join(corpus, "*", "all.zip"))
		for _, z := range zips {
			bench.inputs = append(bench.inputs, Input{Path: z})
		}
		bench.inputs = append(bench.inputs, Input{Path: filepath.Join(corpus, "kev.json")}, Input{Path: filepath.Join(corpus, "epss.csv")})
		bench.db = filepath.Join(bench.root, "db")
		bench.meta, bench.err = Build(context.Background(), bench.db, bench.inputs, BuildOptions{Now: testNow})
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

func BenchmarkBuild(b *testing.B) {
	benchSetup(b)
	read := 0
	for _, s := range bench.meta.Sources {
		if s.Kind == "osv" {
			read += s.Records + s.Withdrawn + s.Skipped
		}
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		dir := b.TempDir()
		if _, err := Build(context.Background(), dir, bench.inputs, BuildOptions{Now: testNow, Replace: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(read*b.N)/time.Since(start).Seconds(), "records/s")
}

func BenchmarkOpen(b *testing.B) {
	benchSetup(b)
	for b.Loop() {
		db, err := Open(bench.db)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// benchKeys returns every (ecosystem, name) key of the database.
func benchKeys(b *testing.B, db *DB) [][2]string {
	var keys [][2]string
	for i := range len(db.keys) / keyRowSize {
		k, err := db.keyAt(i)
		if err != nil {
			b.Fatal(err)
		}
		eco, name, _ := strings.Cut(string(k), "\x00")
		keys = append(keys, [2]string{eco, name})
	}
	return keys
}

func BenchmarkLookup(b *testing.B) {
	benchSetup(b)
	db, err := Open(bench.db)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	keys := benchKeys(b, db)
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			recs, i := 0, 0
			for b.Loop() {
				k := keys[(i*7919)%len(keys)]
				i++
				if mode == "cold" {
					db.cache = map[uint32]*Advisory{}
				}
				as, err := db.Lookup(k[0], k[1])
				if err != nil {
					b.Fatal(err)
				}
				recs += len(as)
			}
			b.ReportMetric(float64(recs)/float64(i), "records/op")
		})
	}
}

func BenchmarkKEVEPSS(b *testing.B) {
	benchSetup(b)
	db, err := Open(bench.db)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i := 0
	for b.Loop() {
		cve := fmt.Sprintf("CVE-%d-%d", 2005+i%21, 1000+(i%5000)*7)
		i++
		db.KEV(cve)
		db.EPSS(cve)
	}
}
