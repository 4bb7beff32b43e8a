#!/usr/bin/env bash
# compare.sh — `hallmark scan` and osv-scanner on the same fixtures with the same advisory data:
# which (package, version, vulnerability) each reports, and every difference, explained or not.
# docs/bench.md ("Scanning accuracy and speed against osv-scanner") explains how to read it.
#
# Usage: bench/scan/compare.sh [fixture...]
# Fixtures (testdata/scan/): go-module go-binary python (default with the real data);
#   npm-2000 as well with COMPARE_DATA=synth.
#
# Environment:
#   COMPARE_DATA          real (default): the real Go and PyPI OSV exports and the KEV catalog in
#                         $HALLMARK_VULNDB; synth: the full-size synthetic export (bench/vulndb/gen)
#   HALLMARK_VULNDB       where the real data is (default /work/shared/vulndb)
#   HALLMARK_BENCH_CACHE  tools, databases and outputs (default ~/.cache/hallmark-bench)
#
# Exit status: 0 when every difference is explained in bench/scan/known-differences.txt, 1
# otherwise. Until hallmark has `scan` and `db import`, only osv-scanner runs and its findings
# are listed.
#
# Needs: go, unzip, and the Go module proxy for the first run (to install osv-scanner).
set -euo pipefail
# shellcheck source=bench/scan/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA=${COMPARE_DATA:-real}
case $DATA in
real) DEFAULT_FIXTURES="go-module go-binary python" ;;
synth) DEFAULT_FIXTURES="npm-2000 go-module go-binary python" ;;
*) die "COMPARE_DATA must be real or synth, not $DATA" ;;
esac
FIXTURE_LIST=${*:-$DEFAULT_FIXTURES}
OUT=$WORK/compare/$DATA

# fixture NAME sets TARGET (what hallmark scans) and OSV_ARGS (what osv-scanner is given) to the
# same input. osv-scanner's `scan source` has no -L parser for Go binaries; it reads them in a
# directory scan with the go/binary plugin. Call analysis is off: it needs the Go toolchain and
# module sources, and does not change which vulnerabilities are reported (only whether called).
fixture() {
	case $1 in
	go-module)
		TARGET=$FIXTURES/go-module/go.mod
		OSV_ARGS=(-L "$TARGET")
		;;
	go-binary)
		TARGET=$FIXTURES/go-binary/small
		OSV_ARGS=(--experimental-plugins=go/binary "$FIXTURES/go-binary")
		;;
	python)
		TARGET=$FIXTURES/python/requirements.txt
		OSV_ARGS=(-L "$TARGET")
		;;
	npm-2000)
		[[ $DATA == synth ]] || die "npm-2000 has no real advisories here (no npm export): use COMPARE_DATA=synth"
		TARGET=$FIXTURES/npm-2000/package-lock.json
		OSV_ARGS=(-L "$TARGET")
		;;
	*) die "unknown fixture $1 (known: go-module go-binary python npm-2000)" ;;
	esac
	OSV_ARGS=(--no-call-analysis=all "${OSV_ARGS[@]}")
}

main() {
	command -v unzip >/dev/null || die "needs unzip"
	mkdir -p "$WORK" "$OUT"
	install_osv_scanner
	build_hallmark
	(cd "$ROOT" && go build -o "$BIN/scan-cmp" ./bench/scan/cmp)

	local export osvdb=$WORK/$DATA/osv hdb=$WORK/$DATA/hallmark-db inputs=()
	if [[ $DATA == real ]]; then
		export=$VULNDB/osv
		[[ -d $export ]] || die "no real OSV data in $export (set HALLMARK_VULNDB)"
		inputs=("$export"/*/all.zip)
		[[ -e $VULNDB/kev/known_exploited_vulnerabilities.json ]] && inputs+=("$VULNDB/kev/known_exploited_vulnerabilities.json")
	else
		synth_export
		export=$SYNTH
		inputs=("$export"/*/all.zip)
		[[ -e $export/kev.json ]] && inputs+=("$export/kev.json")
		[[ -e $export/epss.csv ]] && inputs+=("$export/epss.csv")
	fi
	osv_layout "$export" "$osvdb"
	if ((HALLMARK_SCAN)); then
		log "importing ${#inputs[@]} inputs into hallmark's database $hdb"
		import_hallmark_db "$hdb" "${inputs[@]}"
	fi

	local f rc=0 args
	: >"$OUT/report.txt"
	for f in $FIXTURE_LIST; do
		fixture "$f"
		mkdir -p "$OUT/$f"
		log "$f: osv-scanner scan source --offline --format json ${OSV_ARGS[*]}"
		run_osv_scanner "$osvdb" "$OUT/$f/osv-scanner.json" "${OSV_ARGS[@]}"
		args=(-fixture "$f" -osv-scanner "$OUT/$f/osv-scanner.json" -known "$HERE/known-differences.txt")
		if ((HALLMARK_SCAN)); then
			log "$f: hallmark scan $TARGET --db $hdb --format json"
			run_hallmark_scan "$hdb" "$OUT/$f/hallmark.json" "$TARGET"
			args+=(-hallmark "$OUT/$f/hallmark.json")
		fi
		"$BIN/scan-cmp" "${args[@]}" | tee -a "$OUT/report.txt" || rc=1
	done
	log "outputs and report.txt in $OUT"
	return $rc
}

main
