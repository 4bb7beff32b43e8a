// Command gen writes a synthetic full-size OSV/KEV/EPSS corpus for vulndb benchmarks:
//
//	go run ./bench/vulndb/gen -out DIR [-records N] [-seed S] [-names-npm FILE]
//
// FILE lists npm package names, one per line; each gets advisories so that a real lockfile
// with those packages finds matches in the synthetic database.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/vulndb/synth"
)

func main() {
	out := flag.String("out", "", "output directory (required)")
	records := flag.Int("records", synth.DefaultRecords, "total OSV records")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same files")
	namesNPM := flag.String("names-npm", "", "file of npm package names (one per line) to force advisories for")
	namesPyPI := flag.String("names-pypi", "", "file of PyPI package names (one per line) to force advisories for")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	opts := synth.Options{Seed: *seed, Records: *records, Names: map[string][]string{}}
	for eco, file := range map[string]string{"npm": *namesNPM, "PyPI": *namesPyPI} {
		if file == "" {
			continue
		}
		names, err := readNames(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		opts.Names[eco] = names
	}
	start := time.Now()
	st, err := synth.Generate(*out, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d records (%d withdrawn, %d forced), %d KEV, %d EPSS, %.1f MB in %s to %s\n",
		st.Total, st.Withdrawn, st.ForcedHits, st.KEV, st.EPSS, float64(st.Bytes)/1e6, time.Since(start).Round(time.Millisecond), *out)
	for _, f := range st.Files {
		fmt.Println(" ", f)
	}
}

func readNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" && !strings.HasPrefix(n, "#") {
			names = append(names, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return names, nil
}
