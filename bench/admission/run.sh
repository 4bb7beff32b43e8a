#!/usr/bin/env bash
# Admission webhook benchmark: `hallmark admission serve` on loopback, its own process, under a
# bounded open-loop load of AdmissionReviews with warm verdicts, then the worst case of a cache
# miss (tag resolution, verification summary lookup, signature verification against the
# in-process registry). See bench/admission/main.go for what each phase does.
#
#   bench/admission/run.sh          # BENCH_RATE=200 reviews/s for BENCH_DURATION=30s, BENCH_COLD=50
#
# Budget (DESIGN.md, "Performance budgets"): p99 ≤ 25 ms warm at 200 reviews/s on 2 cores; a miss never
# waits more than 1 s. Then `go test ./webhook -bench ReviewWarm` for one warm review in
# process.
#
# Results go to $HALLMARK_BENCH_CACHE/admission/<UTC time>/ (default ~/.cache/hallmark-bench) and
# .../admission/latest: report.md, latencies.tsv (every review), gotest.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}"
rate="${BENCH_RATE:-200}"
duration="${BENCH_DURATION:-30s}"
cold="${BENCH_COLD:-50}"
images="${BENCH_IMAGES:-20}"
benchtime="${BENCH_TIME:-2s}"
count="${BENCH_COUNT:-5}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$cache/admission/$stamp"
mkdir -p "$out"

go build -o "$out/hallmark" ./cmd/hallmark
go build -o "$out/load" ./bench/admission
"$out/load" -hallmark "$out/hallmark" -rate "$rate" -duration "$duration" -cold "$cold" -images "$images" -out "$out" | tee "$out/report.md"

echo >>"$out/report.md"
echo "## One warm review in process (go test ./webhook -bench ReviewWarm, benchtime $benchtime, count $count)" | tee -a "$out/report.md"
echo | tee -a "$out/report.md"
go test ./webhook -run '^$' -bench '^BenchmarkReviewWarm$' -benchtime "$benchtime" -count "$count" -benchmem | tee "$out/gotest.txt" |
	grep '^Benchmark' | sed 's/^/    /' | tee -a "$out/report.md"

ln -sfn "$stamp" "$cache/admission/latest"
echo "results: $out" >&2
