#!/usr/bin/env bash
# Full-size vulndb benchmark: generates the synthetic 520,000-record OSV/KEV/EPSS corpus once
# (cached in ~/.cache/hallmark-bench/vulndb-synth), imports it, and prints import records/s,
# index size, Open time and Lookup latency. RECORDS=N overrides the corpus size.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}"
records="${RECORDS:-520000}"
corpus="$cache/vulndb-synth"
stamp="$corpus/.complete-$records-seed1"
if [ ! -f "$stamp" ]; then
	rm -rf "$corpus"
	go run ./bench/vulndb/gen -out "$corpus" -records "$records" -seed 1
	touch "$stamp"
fi
go build -o "$cache/vulndb-measure" ./bench/vulndb/measure
"$cache/vulndb-measure" -corpus "$corpus" -db "$cache/vulndb-db"
