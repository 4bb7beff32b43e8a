#!/usr/bin/env bash
# Transparency-log load benchmark on loopback: sustained appends/s and submission-to-inclusion-
# proof latency (p50/p90/p99/max) for
#   hallmark-posix   hallmark log serve on a directory (defaults: checkpoint 250 ms, batch 100 ms/512)
#   hallmark-mysql   hallmark log serve --mysql on the local MariaDB (checkpoint 1 s: tessera's MySQL minimum)
#   tessera-posix    tessera's own POSIX conformance server (github.com/transparency-dev/tessera/cmd/conformance/posix
#                    @v1.0.4, installed from the Go module proxy; its fixed settings: checkpoint 1 s, batch 1 s/256;
#                    run with its persistent -antispam, like hallmark's)
# Sustained = proofs completed per second between the end of a warm-up (a fifth of the run, at most
# 5 s) and the end of the offered load; overall = all acknowledged over the whole run, tail included.
# all under the same offered load from bench/tlog/load (open loop, bounded in-flight; entries are the same
# canonical Rekor v2 hashedrekord bodies; every proof is verified against a signed checkpoint).
#
#   bench/tlog/run.sh                       # BENCH_RATE=1500 BENCH_DURATION=30s BENCH_TARGETS="hallmark-posix hallmark-mysql tessera-posix"
#
# MySQL: BENCH_MYSQL (go-sql-driver DSN of a server; a fresh database is created and dropped), default
# root@tcp(127.0.0.1:3306)/ on this machine's MariaDB. Results go to $HALLMARK_BENCH_CACHE/tlog/<UTC time>/
# (default ~/.cache/hallmark-bench): results.jsonl, server logs, report.md; .../tlog/latest links there.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
cache=${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}
rate=${BENCH_RATE:-1500}
duration=${BENCH_DURATION:-30s}
targets=${BENCH_TARGETS:-hallmark-posix hallmark-mysql tessera-posix}
mysql_server=${BENCH_MYSQL:-root@tcp(127.0.0.1:3306)/}
out="$cache/tlog/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out" "$cache/bin"
ln -sfn "$out" "$cache/tlog/latest"

echo "==> building hallmark and the load generator"
go build -o "$out/hallmark" ./cmd/hallmark
go build -o "$out/load" ./bench/tlog/load
if [ ! -x "$cache/bin/tessera-posix-v1.0.4" ]; then
	echo "==> installing tessera's POSIX conformance server v1.0.4 from the Go module proxy"
	tmp=$(mktemp -d)
	GOBIN="$tmp" go install github.com/transparency-dev/tessera/cmd/conformance/posix@v1.0.4
	mv "$tmp/posix" "$cache/bin/tessera-posix-v1.0.4"
	rm -rf "$tmp"
fi

port=18490
wait_up() { # URL
	for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1/checkpoint" 2>/dev/null && return 0; sleep 0.1; done
	echo "server at $1 did not come up" >&2
	return 1
}
stop() { # PID
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
}

for target in $targets; do
	port=$((port + 1))
	url="http://127.0.0.1:$port"
	dir="$out/$target"
	mkdir -p "$dir"
	echo "==> $target: $rate/s for $duration"
	case $target in
	hallmark-posix)
		"$out/hallmark" log serve --storage "$dir" --listen "127.0.0.1:$port" --origin bench.hallmark.local 2>"$out/$target.log" &
		pid=$!
		kind=hallmark vkey="$dir/log.vkey"
		;;
	hallmark-mysql)
		db="hallmark_bench_tlog_$$"
		mysql_dsn="${mysql_server%/}/$db"
		host=$(sed -E 's/.*tcp\(([^:)]*):?([0-9]*)\).*/\1/' <<<"$mysql_server")
		mport=$(sed -E 's/.*tcp\(([^:)]*):?([0-9]*)\).*/\2/' <<<"$mysql_server")
		user=$(sed -E 's/^([^:@]*).*/\1/' <<<"$mysql_server")
		mysql -h "$host" -P "${mport:-3306}" -u "$user" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
		"$out/hallmark" log serve --storage "$dir" --listen "127.0.0.1:$port" --origin bench.hallmark.local --mysql "$mysql_dsn" 2>"$out/$target.log" &
		pid=$!
		kind=hallmark vkey="$dir/log.vkey"
		;;
	tessera-posix)
		"$out/load" -genkey bench.tessera.local -keydir "$dir"
		"$cache/bin/tessera-posix-v1.0.4" --storage_dir "$dir/tiles" --listen "127.0.0.1:$port" --private_key "$dir/log.key" --antispam 2>"$out/$target.log" &
		pid=$!
		kind=tessera vkey="$dir/log.vkey"
		;;
	*) echo "unknown target $target" >&2; exit 2 ;;
	esac
	wait_up "$url"
	"$out/load" -target "$kind" -url "$url" -vkey "$vkey" -rate "$rate" -duration "$duration" -label "$target" >>"$out/results.jsonl"
	stop "$pid"
	if [ "$target" = hallmark-mysql ]; then
		mysql -h "$host" -P "${mport:-3306}" -u "$user" -e "DROP DATABASE IF EXISTS $db"
	fi
	rm -rf "$dir/tiles" "$dir/antispam"
done

{
	echo "# Transparency log load: $rate appends/s offered for $duration ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load and server on one machine)"
	echo
	echo "| target | sent | acknowledged with proof | failed | shed | sustained appends/s (steady state) | overall appends/s | p50 ms | p90 ms | p99 ms | max ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	python3 - "$out/results.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"| {r['label']} | {r['sent']} | {r['acknowledgedWithProof']} | {r['failed']} | {r['shed']} | {r['sustainedAppendsPerSecond']:.0f} | {r['overallAppendsPerSecond']:.0f} | {r['p50ms']:.0f} | {r['p90ms']:.0f} | {r['p99ms']:.0f} | {r['maxMs']:.0f} |")
EOF
} >"$out/report.md"
cat "$out/report.md"
echo "results in $out"
