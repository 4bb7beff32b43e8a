#!/usr/bin/env bash
# speed.sh — scanning speed and memory of `hallmark scan` against osv-scanner's offline mode on
# a full-size advisory database, plus hallmark's SBOM scan time and database import rate.
# docs/bench.md ("Scanning accuracy and speed against osv-scanner") explains the figures.
#
# Usage: bench/scan/speed.sh [step...]
# Steps: tools data sbom measure report (default: all five, in that order).
#
# Environment:
#   HALLMARK_BENCH_CACHE  tools, data, inputs and results (default ~/.cache/hallmark-bench);
#                         the synthetic export and the two databases take about 1 GB
#   BENCH_RUNS            measured runs per tool and input, after one warm-up run (default 5)
#   BENCH_HIT_EVERY       advisories for every Nth lockfile name only (default 1 = all; see lib.sh)
#
# Needs: go, unzip, node+npm, GNU time (installed with apt-get if missing), and for the first
# run the Go module proxy (osv-scanner) and the npm registry (the SBOM input).
set -euo pipefail
# shellcheck source=bench/scan/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${BENCH_RUNS:-5}
LOCK=$FIXTURES/npm-2000/package-lock.json
IN=$WORK/inputs
SBOM=$IN/sbom-5000.cdx.json
SBOM_COMPONENTS=5000
RES=$WORK/speed/latest # a symlink to the newest speed/<time> of the measure step
HDB=$SYNTH_DIR/hallmark-db
OSVDB=$SYNTH_DIR/osv
# npm resolves as if on this date, so the SBOM input lists the same versions on any later day.
NPM_BEFORE=2025-06-01T00:00:00Z
export npm_config_userconfig=$WORK/npmrc

# --- step: tools -----------------------------------------------------------------------------
step_tools() {
	mkdir -p "$WORK"
	if [[ ! -x /usr/bin/time ]]; then
		log "installing GNU time (Debian package time)"
		apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
	fi
	install_osv_scanner
	build_hallmark
	((HALLMARK_SCAN)) || die "hallmark has no scan / db import command: nothing to compare"
}

# --- step: data ------------------------------------------------------------------------------
# The synthetic export is generated once; the import into hallmark's database is measured
# every time this step runs (records/s), and the same files are laid out for osv-scanner.
step_data() {
	synth_export
	local records inputs
	records=$(export_records "$SYNTH")
	((records >= 520000)) || log "warning: the synthetic export has only $records records (full size is ≥520,000)"
	inputs=("$SYNTH"/*/all.zip)
	[[ -e $SYNTH/kev.json ]] && inputs+=("$SYNTH/kev.json")
	[[ -e $SYNTH/epss.csv ]] && inputs+=("$SYNTH/epss.csv")
	log "hallmark db import of $records OSV records (+ KEV, EPSS) into $HDB"
	import_hallmark_db "$HDB" "${inputs[@]}"
	osv_layout "$SYNTH" "$OSVDB"
	{
		printf 'records\t%s\n' "$records"
		printf 'export_bytes\t%s\n' "$(du -sb "$SYNTH" | cut -f1)"
		printf 'import_seconds\t%s\n' "$IMPORT_SECONDS"
		printf 'import_rss_kb\t%s\n' "$IMPORT_RSS_KB"
		printf 'index_bytes\t%s\n' "$(du -sb "$HDB" | cut -f1)"
	} >"$SYNTH_DIR/import.tsv"
	log "import: $records records in $IMPORT_SECONDS s = $(awk -v n="$records" -v s="$IMPORT_SECONDS" 'BEGIN { printf "%.0f", n / s }') records/s, peak RSS $((IMPORT_RSS_KB / 1024)) MB"
}

# --- step: sbom ------------------------------------------------------------------------------
# A CycloneDX SBOM of exactly 5,000 real components: hallmark's SBOM of a tree holding a large
# npm lockfile (bench/scan/inputs/sbom-5000, resolved from the npm registry at a pinned date)
# and the scan fixtures, cut to its first 5,000 components (dependencies pruned to match).
step_sbom() {
	[[ -e $SBOM ]] && return
	mkdir -p "$IN"
	printf 'fund=false\naudit=false\nupdate-notifier=false\n' >"$npm_config_userconfig"
	local lock=$IN/sbom-5000 tree=$IN/sbom-tree
	if [[ ! -e $lock/.done ]] || ! cmp -s "$HERE/inputs/sbom-5000/package.json" "$lock/package.json"; then
		rm -rf "$lock"
		mkdir -p "$lock"
		cp "$HERE/inputs/sbom-5000/package.json" "$lock/"
		log "resolving bench/scan/inputs/sbom-5000/package.json with npm (a few minutes)"
		(cd "$lock" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund \
			--legacy-peer-deps --before="$NPM_BEFORE" >/dev/null)
		touch "$lock/.done"
	fi
	rm -rf "$tree"
	mkdir -p "$tree/toolchains" "$tree/web" "$tree/go"
	cp "$lock/package.json" "$lock/package-lock.json" "$tree/toolchains/"
	cp "$FIXTURES/npm-2000/package.json" "$FIXTURES/npm-2000/package-lock.json" "$tree/web/"
	cp -r "$FIXTURES/python" "$tree/python"
	cp "$FIXTURES/go-module/go.mod" "$FIXTURES/go-module/go.sum" "$tree/go/"
	"$BIN/hallmark" sbom "$tree" --format cyclonedx-json --output "$IN/sbom-tree.cdx.json"
	local n
	n=$(jq '.components | length' "$IN/sbom-tree.cdx.json")
	((n >= SBOM_COMPONENTS)) || die "the SBOM of $tree has only $n components, want $SBOM_COMPONENTS"
	jq --argjson n "$SBOM_COMPONENTS" '
		.components = .components[:$n]
		| ([.metadata.component."bom-ref"?, (.components[]."bom-ref")] | map(select(. != null) | {(.): true}) | add) as $keep
		| if .dependencies then
			.dependencies = [.dependencies[] | select($keep[.ref]) | .dependsOn = [(.dependsOn // [])[] | select($keep[.])]]
		  else . end' "$IN/sbom-tree.cdx.json" >"$SBOM.tmp"
	mv "$SBOM.tmp" "$SBOM"
	log "SBOM with $(jq '.components | length' "$SBOM") components (of $n) in $SBOM"
}

# --- step: measure ---------------------------------------------------------------------------
# run_timed TOOL INPUT RUN OUT CMD… runs CMD with stdout to OUT and appends one line to
# timings.tsv: wall seconds (bash's clock around the process), CPU seconds and peak RSS (GNU
# time), exit code.
run_timed() {
	local tool=$1 input=$2 run=$3 out=$4 t0 t1 rc=0
	shift 4
	local tf=$out.time
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$tf" "$@" >"$out" 2>"$out.log" || rc=$?
	t1=$EPOCHREALTIME
	((rc <= 1)) || {
		cat "$out.log" >&2
		die "$tool on $input exited $rc (see $out.log)"
	}
	local user sys rss
	read -r user sys rss < <(tail -n1 "$tf")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$input" "$run" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$rss" "$rc" >>"$RES/timings.tsv"
}

step_measure() {
	[[ -d $HDB && -d $OSVDB ]] || die "no databases: run the data step first"
	[[ -e $SBOM ]] || die "no SBOM input: run the sbom step first"
	local dir
	dir=$WORK/speed/$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$dir"
	ln -sfn "$dir" "$RES"
	printf 'tool\tinput\trun\twall_s\tcpu_s\tmax_rss_kb\texit\n' >"$RES/timings.tsv"
	uptime >"$RES/load.txt"
	cp "$SYNTH_DIR/import.tsv" "$RES/" 2>/dev/null || true
	echo "osv-scanner $("$BIN/osv-scanner" --version | sed -n 's/^osv-scanner version: //p') · hallmark $(cat "$BIN/hallmark.version")" >"$RES/versions.txt"
	local run tools=(hallmark osv-scanner)
	# Run 0 warms the page cache (and osv-scanner's zip, hallmark's index) and is not counted.
	for ((run = 0; run <= RUNS; run++)); do
		# Alternate which tool goes first, so neither always runs on a machine the other warmed.
		if ((run % 2)); then tools=(osv-scanner hallmark); else tools=(hallmark osv-scanner); fi
		for tool in "${tools[@]}"; do
			log "run $run/$RUNS: $tool on npm-2000"
			case $tool in
			hallmark)
				run_timed hallmark npm-2000 "$run" "$RES/hallmark-npm-2000.json" \
					"$BIN/hallmark" scan "$LOCK" --db "$HDB" --format json
				;;
			osv-scanner)
				run_timed osv-scanner npm-2000 "$run" "$RES/osv-scanner-npm-2000.json" \
					env OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY="$OSVDB" OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$OSVDB" \
					"$BIN/osv-scanner" scan source --offline --no-call-analysis=all --format json -L "$LOCK"
				;;
			esac
		done
		log "run $run/$RUNS: hallmark on sbom-5000"
		run_timed hallmark sbom-5000 "$run" "$RES/hallmark-sbom-5000.json" \
			"$BIN/hallmark" scan "$SBOM" --db "$HDB" --format json
	done
}

# --- step: report ----------------------------------------------------------------------------
# median of the measured runs (run > 0) of a column, per tool and input.
median() {
	local tool=$1 input=$2 col=$3
	awk -F'\t' -v t="$tool" -v i="$input" -v c="$col" 'NR > 1 && $1 == t && $2 == i && $3 > 0 { print $c }' \
		"$RES/timings.tsv" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() {
	awk -F'\t' -v t="$1" -v i="$2" 'NR > 1 && $1 == t && $2 == i && $3 > 0 { print $4 }' "$RES/timings.tsv" | sort -g | head -1
}

step_report() {
	[[ -e $RES/timings.tsv ]] || die "no measurements: run the measure step first"
	local hw hb hc hr ow ob oc orss sw sb sc sr hf of
	hw=$(median hallmark npm-2000 4) hb=$(best hallmark npm-2000) hc=$(median hallmark npm-2000 5) hr=$(median hallmark npm-2000 6)
	ow=$(median osv-scanner npm-2000 4) ob=$(best osv-scanner npm-2000) oc=$(median osv-scanner npm-2000 5) orss=$(median osv-scanner npm-2000 6)
	sw=$(median hallmark sbom-5000 4) sb=$(best hallmark sbom-5000) sc=$(median hallmark sbom-5000 5) sr=$(median hallmark sbom-5000 6)
	hf=$(jq '.findings | length' "$RES/hallmark-npm-2000.json")
	of=$(jq '[.results[].packages[].groups[]] | length' "$RES/osv-scanner-npm-2000.json")
	{
		printf '%s · load average before: %s\n' "$(cat "$RES/versions.txt")" "$(sed 's/.*load average: //' "$RES/load.txt")"
		echo
		echo "| input | tool | wall ms (median of $RUNS) | best ms | CPU ms | peak RSS MB | findings | osv-scanner ÷ hallmark: wall | RSS |"
		echo "|---|---|---|---|---|---|---|---|---|"
		awk -v w="$hw" -v b="$hb" -v c="$hc" -v r="$hr" -v f="$hf" -v ow="$ow" -v orss="$orss" \
			'BEGIN { printf "| npm-2000 | hallmark | %.0f | %.0f | %.0f | %.1f | %d | **%.1f×** | **%.1f×** |\n", w*1000, b*1000, c*1000, r/1024, f, ow/w, orss/r }'
		awk -v w="$ow" -v b="$ob" -v c="$oc" -v r="$orss" -v f="$of" \
			'BEGIN { printf "| npm-2000 | osv-scanner | %.0f | %.0f | %.0f | %.1f | %d | | |\n", w*1000, b*1000, c*1000, r/1024, f }'
		awk -v w="$sw" -v b="$sb" -v c="$sc" -v r="$sr" -v f="$(jq '.findings | length' "$RES/hallmark-sbom-5000.json")" \
			'BEGIN { printf "| sbom-5000 | hallmark | %.0f | %.0f | %.0f | %.1f | %d | | |\n", w*1000, b*1000, c*1000, r/1024, f }'
		if [[ -e $RES/import.tsv ]]; then
			awk -F'\t' '{ v[$1] = $2 } END { printf "\nhallmark db import: %d records (%.0f MB of zips) in %.1f s = **%.0f records/s**, peak RSS %.0f MB, index %.0f MB\n",
				v["records"], v["export_bytes"]/1048576, v["import_seconds"], v["records"]/v["import_seconds"], v["import_rss_kb"]/1024, v["index_bytes"]/1048576 }' "$RES/import.tsv"
		fi
	} | tee "$RES/report.md"
	log "timings in $RES/timings.tsv, report in $RES/report.md"
}

STEPS=${*:-tools data sbom measure report}
for s in $STEPS; do
	case $s in
	tools | data | sbom | measure | report) ;;
	*) die "unknown step $s (steps: tools data sbom measure report)" ;;
	esac
done
# Later steps need $BIN/hallmark; build it (and check for osv-scanner) unless tools runs anyway.
[[ " $STEPS " == *" tools "* ]] || { [[ -x $BIN/hallmark && -x $BIN/osv-scanner ]] || die "run the tools step first"; }
for s in $STEPS; do
	"step_$s"
done
