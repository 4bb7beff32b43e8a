#!/usr/bin/env bash
# Signature verification benchmark: `hallmark verify` against `cosign verify-blob` (v3.1.3) on
# the same bundles, in the same run, on one core (taskset -c $BENCH_CPU), offline.
#
#   bench/sign/run.sh            # BENCH_RUNS=50 per tool and case, BENCH_CPU=0, BENCH_TIME=2s
#
# Cases (inputs from sign/testdata, see the PROVENANCE.md files there):
#   key       cosign-made key bundle without tlog entry (keys/hello.txt.cosign.sigstore.json);
#             cosign needs --insecure-ignore-tlog=true, hallmark checks only the signature
#             when given no --trusted-root
#   key+tlog  conformance managed-key-happy-path, key plus public-good trusted root (the Rekor
#             entry is checked too)
#   keyless   conformance happy-path-v0.3 (Fulcio certificate, Rekor v1 entry, SCT) against
#             the public-good trusted_root.json, identity and issuer pinned
#
# Per-process: BENCH_RUNS timed invocations of each CLI per case after 3 warm-ups, the two tools
# alternating first; wall time around the process (bash EPOCHREALTIME). Everything runs inside
# `unshare -rn` (a network namespace with no interfaces) when available, so neither tool can
# fetch TUF metadata or reach Rekor: a tool that tried would fail, and the script stops.
# In-process: hallmark's `go test ./sign -bench Verify -cpu 1`, and bench/sign/inproc, which
# runs sign.Verify and sigstore-go (the engine cosign v3 uses for bundles) on the same inputs.
# cosign itself has no in-process number: its verify-blob is a CLI, not a library here.
#
# Results go to $HALLMARK_BENCH_CACHE/sign/<UTC time>/ (default ~/.cache/hallmark-bench) and
# .../sign/latest: timings.tsv (every run), gotest.txt, inproc.tsv, report.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

# run.sh --measure RUNS TIMINGS CASE... re-enters here inside the network namespace and on the
# pinned core: one line per timed run (and one peak-RSS line per tool and case) to TIMINGS.
if [ "${1:-}" = "--measure" ]; then
	shift
	runs=$1 timings=$2
	shift 2
	# Case definitions arrive as NAME|hallmark args|cosign args, fields separated by \x1f.
	for def in "$@"; do
		IFS='|' read -r name hargs cargs <<<"$def"
		IFS=$'\x1f' read -r -a h <<<"$hargs"
		IFS=$'\x1f' read -r -a c <<<"$cargs"
		for ((i = 0; i < 3; i++)); do
			"${h[@]}" >/dev/null 2>&1 || { echo "hallmark failed on $name:" >&2; "${h[@]}" >&2 || true; exit 1; }
			"${c[@]}" >/dev/null 2>&1 || { echo "cosign failed on $name:" >&2; "${c[@]}" >&2 || true; exit 1; }
		done
		for ((i = 1; i <= runs; i++)); do
			order=(hallmark cosign)
			((i % 2 == 0)) && order=(cosign hallmark)
			for tool in "${order[@]}"; do
				if [ "$tool" = hallmark ]; then cmd=("${h[@]}"); else cmd=("${c[@]}"); fi
				t0=$EPOCHREALTIME
				"${cmd[@]}" >/dev/null 2>&1 || { echo "$tool failed on $name (run $i)" >&2; exit 1; }
				t1=$EPOCHREALTIME
				printf '%s\t%s\t%d\t%.3f\n' "$name" "$tool" "$i" \
					"$(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)*1000}')" >>"$timings"
			done
		done
		# Peak RSS, one extra run each (not timed).
		for tool in hallmark cosign; do
			if [ "$tool" = hallmark ]; then cmd=("${h[@]}"); else cmd=("${c[@]}"); fi
			rss=$(/usr/bin/time -f '%M' "${cmd[@]}" 2>&1 >/dev/null | tail -1)
			printf '%s\t%s\trss\t%s\n' "$name" "$tool" "$rss" >>"$timings"
		done
	done
	exit 0
fi

cache="${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}"
runs="${BENCH_RUNS:-50}"
cpu="${BENCH_CPU:-0}"
benchtime="${BENCH_TIME:-1s}"
count="${BENCH_COUNT:-5}"
cosign_version=v3.1.3
bin="$cache/bin"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$cache/sign/$stamp"
mkdir -p "$bin" "$out"

cosign="$bin/cosign"
if ! "$cosign" version 2>/dev/null | grep -q "GitVersion: *$cosign_version\$"; then
	echo "installing cosign $cosign_version into $bin" >&2
	GOBIN="$bin" go install "github.com/sigstore/cosign/v3/cmd/cosign@$cosign_version"
fi
hallmark="$out/hallmark"
go build -o "$hallmark" ./cmd/hallmark
go build -o "$out/inproc" ./bench/sign/inproc
go test -c -o "$out/sign.test" ./sign

td="$repo/sign/testdata"
keys="$td/keys"
bv="$td/conformance/conformance-assets/bundle-verify"
root="$td/conformance/public-good-tuf/trusted_root.json"
id='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
iss='https://token.actions.githubusercontent.com'
join() { local IFS=$'\x1f'; echo "$*"; }
cases=(
	"key|$(join "$hallmark" verify "$keys/hello.txt" --key "$keys/cosign.pub" --bundle "$keys/hello.txt.cosign.sigstore.json")|$(join "$cosign" verify-blob --key "$keys/cosign.pub" --bundle "$keys/hello.txt.cosign.sigstore.json" --insecure-ignore-tlog=true "$keys/hello.txt")"
	"key+tlog|$(join "$hallmark" verify "$bv/a.txt" --key "$bv/managed-key-happy-path/key.pub" --bundle "$bv/managed-key-happy-path/bundle.sigstore.json" --trusted-root "$root")|$(join "$cosign" verify-blob --key "$bv/managed-key-happy-path/key.pub" --bundle "$bv/managed-key-happy-path/bundle.sigstore.json" --trusted-root "$root" "$bv/a.txt")"
	"keyless|$(join "$hallmark" verify "$bv/a.txt" --bundle "$bv/happy-path-v0.3/bundle.sigstore.json" --trusted-root "$root" --certificate-identity "$id" --certificate-oidc-issuer "$iss")|$(join "$cosign" verify-blob --bundle "$bv/happy-path-v0.3/bundle.sigstore.json" --trusted-root "$root" --certificate-identity "$id" --certificate-oidc-issuer "$iss" "$bv/a.txt")"
)

offline=(unshare -rn)
if ! unshare -rn true 2>/dev/null; then
	echo "warning: unshare -rn unavailable: per-process runs are NOT network-isolated" >&2
	offline=()
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "per-process: $runs runs per tool and case on CPU $cpu (load before: $load_before)" >&2
timings="$out/timings.tsv"
printf 'case\ttool\trun\tms\n' >"$timings"
"${offline[@]}" taskset -c "$cpu" "$0" --measure "$runs" "$timings" "${cases[@]}"

gobench='^BenchmarkVerify(Key|KeyWithTrustedRoot|Keyless)$'
echo "in-process: go test ./sign -bench '$gobench' -cpu 1 -benchtime $benchtime -count $count" >&2
(cd sign && taskset -c "$cpu" "$out/sign.test" -test.run '^$' -test.bench "$gobench" -test.cpu 1 \
	-test.benchtime "$benchtime" -test.count "$count" -test.benchmem) | tee "$out/gotest.txt" >&2
echo "in-process: bench/sign/inproc -benchtime $benchtime -count $count" >&2
taskset -c "$cpu" "$out/inproc" -dir "$td" -benchtime "$benchtime" -count "$count" | tee "$out/inproc.tsv" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo "# Signature verification: hallmark vs cosign $cosign_version"
	echo
	echo "$(date -u +%F) · hallmark $(git -C "$repo" describe --always --dirty) · $(go version | cut -d' ' -f3) ·" \
		"$(nproc) cores, runs pinned to CPU $cpu · load average before $load_before, after $load_after ·" \
		"per-process: $runs runs each${offline:+, inside unshare -rn (no network)}"
	echo
	echo "## Per process (whole CLI invocation)"
	echo
	echo "| case | tool | verifications/s | median ms | min ms | peak RSS MB | hallmark ÷ cosign (verifications/s) |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' '
		NR == 1 { next }
		$3 == "rss" { rss[$1 SUBSEP $2] = $4 / 1024; next }
		{ k = $1 SUBSEP $2; n[k]++; sum[k] += $4; v[k, n[k]] = $4; if (!(k in order)) { order[k] = ++no; key[no] = k } }
		END {
			for (j = 1; j <= no; j++) {
				k = key[j]; m = n[k]
				for (a = 1; a <= m; a++) s[a] = v[k, a]
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
				med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
				vps[k] = 1000 * m / sum[k]; mdn[k] = med; mn[k] = s[1]
			}
			for (j = 1; j <= no; j++) {
				k = key[j]; split(k, p, SUBSEP)
				ratio = ""
				if (p[2] == "hallmark") ratio = sprintf("**%.2f×**", vps[k] / vps[p[1] SUBSEP "cosign"])
				printf "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s |\n", p[1], p[2], vps[k], mdn[k], mn[k], rss[k], ratio
			}
		}' "$timings"
	echo
	echo "## In process"
	echo
	echo "Median of $count measurements of $benchtime each (range in the last column); \"reuse\" keeps the"
	echo "policy across verifications, \"full\" parses the key or trusted root and builds it every time."
	echo
	echo "| case | engine | mode | verifications/s | µs/op | allocs/op | hallmark ÷ sigstore-go | range |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -F'\t' '
		NR == 1 { next }
		{ n++; row[n] = $0; vps[$1 SUBSEP $2 SUBSEP $3] = $4 }
		END {
			for (i = 1; i <= n; i++) {
				split(row[i], f, "\t"); ratio = ""
				if (f[2] == "hallmark") ratio = sprintf("%.2f×", f[4] / vps[f[1] SUBSEP "sigstore-go" SUBSEP f[3]])
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5], f[6], ratio, f[7]
			}
		}' "$out/inproc.tsv"
	echo
	echo "\`go test ./sign -bench '$gobench' -cpu 1\`, median of $count:"
	echo
	echo "| benchmark | verifications/s | µs/op | allocs/op |"
	echo "|---|---|---|---|"
	awk '/^BenchmarkVerify/ {
			for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") ns = $i; if ($(i+1) == "allocs/op") al = $i }
			k = $1; m[k]++; v[k, m[k]] = ns; a[k] = al; if (!(k in seen)) { seen[k] = 1; order[++no] = k }
		}
		END {
			for (j = 1; j <= no; j++) {
				k = order[j]; c = m[k]
				for (x = 1; x <= c; x++) s[x] = v[k, x]
				for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++) if (s[y] < s[x]) { t = s[x]; s[x] = s[y]; s[y] = t }
				med = s[int((c + 1) / 2)]
				printf "| %s | %.0f | %.1f | %s |\n", k, 1e9 / med, med / 1000, a[k]
			}
		}' "$out/gotest.txt"
} >"$out/report.md"
ln -sfn "$stamp" "$cache/sign/latest"
cat "$out/report.md"
