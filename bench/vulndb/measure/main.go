// Command measure imports a synthetic corpus written by ./bench/vulndb/gen into an advisory
// database and prints what the vulndb budgets are about: import records/s, index size, Open
// time and Lookup latency (a 2,000-package scan's worth of keys, cold and warm).
//
//	go run ./bench/vulndb/measure -corpus DIR -db DIR [-keys 2000]
package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/vulndb"
)

func main() {
	corpus := flag.String("corpus", "", "directory written by bench/vulndb/gen (required)")
	dbDir := flag.String("db", "", "database directory to (re)build (required)")
	nkeys := flag.Int("keys", 2000, "package keys to look up")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the import to this file")
	flag.Parse()
	if *corpus == "" || *dbDir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*corpus, *dbDir, *nkeys, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

func run(corpus, dbDir string, nkeys int, cpuProfile string) error {
	fmt.Printf("machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadavg())
	zips, _ := filepath.Glob(filepath.Join(corpus, "*", "all.zip"))
	if len(zips) == 0 {
		return fmt.Errorf("no */all.zip under %s", corpus)
	}
	var inputs []vulndb.Input
	var inBytes int64
	for _, z := range zips {
		inputs = append(inputs, vulndb.Input{Path: z})
		if st, err := os.Stat(z); err == nil {
			inBytes += st.Size()
		}
	}
	inputs = append(inputs, vulndb.Input{Path: filepath.Join(corpus, "kev.json")}, vulndb.Input{Path: filepath.Join(corpus, "epss.csv")})

	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	m, err := vulndb.Build(context.Background(), dbDir, inputs, vulndb.BuildOptions{Replace: true})
	if err != nil {
		return err
	}
	took := time.Since(start)
	pprof.StopCPUProfile()
	read := 0
	for _, s := range m.Sources {
		if s.Kind == "osv" {
			read += s.Records + s.Withdrawn + s.Skipped
		}
	}
	fmt.Printf("import: %d records read (%d stored, %d packages, %d KEV, %d EPSS) from %.0f MB of zips in %s: %.0f records/s; peak RSS %s\n",
		read, m.Records, m.Packages, m.KEVs, m.EPSSScores, float64(inBytes)/1e6, took.Round(time.Millisecond), float64(read)/took.Seconds(), peakRSS())
	fmt.Printf("index: %s, %.1f MB (%.0f bytes/record)\n", m.Path, float64(m.Size)/1e6, float64(m.Size)/float64(max(1, m.Records)))

	// The common incremental case: refresh one small source, keep the 500k records.
	start = time.Now()
	if _, err := vulndb.Build(context.Background(), dbDir, []vulndb.Input{{Path: filepath.Join(corpus, "kev.json")}}, vulndb.BuildOptions{}); err != nil {
		return err
	}
	fmt.Printf("incremental: re-import kev.json keeping every other source in %s\n", time.Since(start).Round(time.Millisecond))

	var opens []time.Duration
	for range 21 {
		t := time.Now()
		db, err := vulndb.Open(dbDir)
		if err != nil {
			return err
		}
		opens = append(opens, time.Since(t))
		db.Close()
	}
	fmt.Printf("open: median %s, max %s (21 opens, page cache warm)\n", median(opens), slices.Max(opens))
	t := time.Now()
	db, err := vulndb.Open(dbDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Verify(); err != nil {
		return err
	}
	fmt.Printf("verify: %s\n", time.Since(t).Round(time.Millisecond))

	keys, err := sampleKeys(zips, nkeys)
	if err != nil {
		return err
	}
	for _, pass := range []string{"cold", "warm"} {
		var lat []time.Duration
		recs := 0
		t := time.Now()
		for _, k := range keys {
			t0 := time.Now()
			as, err := db.Lookup(k[0], k[1])
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
			recs += len(as)
		}
		total := time.Since(t)
		slices.Sort(lat)
		fmt.Printf("lookup %s: %d keys, %d records in %s (p50 %s, p99 %s, max %s)\n", pass, len(keys), recs,
			total.Round(time.Microsecond), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	return nil
}

// sampleKeys reads package names from entries spread over the zips, so lookups hit.
func sampleKeys(zips []string, n int) ([][2]string, error) {
	var keys [][2]string
	seen := map[[2]string]bool{}
	per := max(1, n/len(zips))
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			return nil, err
		}
		step := max(1, len(zr.File)/per)
		for i := 0; i < len(zr.File); i += step {
			rc, err := zr.File[i].Open()
			if err != nil {
				zr.Close()
				return nil, err
			}
			var rec struct {
				Affected []struct {
					Package struct{ Ecosystem, Name string } `json:"package"`
				} `json:"affected"`
			}
			err = json.NewDecoder(rc).Decode(&rec)
			rc.Close()
			if err != nil || len(rec.Affected) == 0 {
				continue
			}
			k := [2]string{rec.Affected[0].Package.Ecosystem, rec.Affected[0].Package.Name}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		zr.Close()
	}
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
