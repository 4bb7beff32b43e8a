# lib.sh — what bench/scan/compare.sh and bench/scan/speed.sh share: pinned tool versions,
# installing osv-scanner and building hallmark, and laying one OSV export out both as
# hallmark's database and as osv-scanner's offline database. Sourced, not run.

# --- pinned versions -------------------------------------------------------------------------
# osv-scanner: the newest release on the Go module proxy that builds with this repo's Go
# (v2.6.0 needs Go 1.27). Its version is a constant in the source, so no -ldflags are needed.
OSV_SCANNER_VERSION=v2.5.0

# --- layout ----------------------------------------------------------------------------------
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/scan
FIXTURES=$ROOT/testdata/scan
CACHE=${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}
BIN=$CACHE/bin
WORK=$CACHE/scan
# The real OSV exports and KEV catalog (see /work/shared/vulndb/README.md).
VULNDB=${HALLMARK_VULNDB:-/work/shared/vulndb}

log() { printf '== %s\n' "$*" >&2; }
die() {
	printf '%s: %s\n' "$(basename "$0")" "$*" >&2
	exit 1
}

# install_osv_scanner installs the pinned osv-scanner into $BIN, once.
install_osv_scanner() {
	mkdir -p "$BIN"
	if [[ ! -x $BIN/osv-scanner-$OSV_SCANNER_VERSION ]]; then
		log "installing osv-scanner $OSV_SCANNER_VERSION from the Go module proxy (about 5 minutes)"
		local gobin
		gobin=$(mktemp -d)
		(cd "$gobin" && GOBIN=$gobin GOFLAGS=-trimpath go install \
			"github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION")
		mv "$gobin/osv-scanner" "$BIN/osv-scanner-$OSV_SCANNER_VERSION"
		rmdir "$gobin"
	fi
	ln -sfn "osv-scanner-$OSV_SCANNER_VERSION" "$BIN/osv-scanner"
}

# build_hallmark builds hallmark from the work tree into $BIN and sets HALLMARK_SCAN=1 when it
# has the scan and db commands (they are being written; until then only osv-scanner runs).
build_hallmark() {
	mkdir -p "$BIN"
	HALLMARK_SCAN=0
	log "building hallmark from $ROOT"
	if ! (cd "$ROOT" && go build -o "$BIN/hallmark" ./cmd/hallmark); then
		log "hallmark does not build: measuring osv-scanner only"
		return
	fi
	git -C "$ROOT" describe --always --dirty 2>/dev/null >"$BIN/hallmark.version" || echo unknown >"$BIN/hallmark.version"
	if "$BIN/hallmark" scan --help >/dev/null 2>&1 && "$BIN/hallmark" db import --help >/dev/null 2>&1; then
		HALLMARK_SCAN=1
	else
		log "this hallmark has no 'scan' or 'db import' command yet: measuring osv-scanner only"
	fi
}

# osv_layout EXPORT DIR lays the OSV export EXPORT (<Ecosystem>/all.zip) out as osv-scanner's
# offline database in DIR, by symlinks. osv-scanner v2.5.0 (osv-scalibr's vulnmatch/osvlocal)
# reads $OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY/osv-scalibr/<Ecosystem>/all.zip; older releases
# read $OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY/osv-scanner/<Ecosystem>/all.zip, so both are laid
# out and both variables are set by run_osv_scanner.
osv_layout() {
	local export=$1 dir=$2 zip eco
	rm -rf "$dir"
	for zip in "$export"/*/all.zip; do
		[[ -e $zip ]] || die "no <Ecosystem>/all.zip in $export"
		eco=$(basename "$(dirname "$zip")")
		mkdir -p "$dir/osv-scalibr/$eco"
		ln -s "$(cd "$(dirname "$zip")" && pwd)/all.zip" "$dir/osv-scalibr/$eco/all.zip"
	done
	ln -s osv-scalibr "$dir/osv-scanner"
}

# run_osv_scanner DBDIR OUT ARGS… runs osv-scanner offline against DBDIR, JSON to OUT, its log
# to OUT.log. Exit 0 (nothing found) and 1 (vulnerabilities found) are success.
#
# --offline is required: --offline-vulnerabilities alone reports nothing at all in v2.5.0 (the
# local matcher never runs, and the exit code is 0). osv-scanner runs in $WORK, not the
# repository, because a file or directory named like a subcommand ("source") in the working
# directory changes how it parses its arguments.
run_osv_scanner() {
	local db=$1 out=$2 rc=0
	shift 2
	(cd "$WORK" && OSV_SCALIBR_LOCAL_DB_CACHE_DIRECTORY=$db OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=$db \
		"$BIN/osv-scanner" scan source --offline --format json "$@" >"$out" 2>"$out.log") || rc=$?
	if ((rc > 1)); then
		cat "$out.log" >&2
		die "osv-scanner exited $rc (see $out.log)"
	fi
	if grep -q 'could not load db\|no offline version of the OSV database' "$out.log"; then
		cat "$out.log" >&2
		die "osv-scanner did not find its offline database in $db"
	fi
}

# run_hallmark_scan DBDIR OUT TARGET… runs hallmark scan against DBDIR, JSON to OUT.
run_hallmark_scan() {
	local db=$1 out=$2 rc=0
	shift 2
	"$BIN/hallmark" scan "$@" --db "$db" --format json >"$out" 2>"$out.log" || rc=$?
	if ((rc > 1)); then
		cat "$out.log" >&2
		die "hallmark scan exited $rc (see $out.log)"
	fi
}

# synth_export generates the full-size synthetic OSV export (with the npm-2000 fixture's
# package names forced in, so that its lookups hit) into $WORK/synth/export, once.
#
# BENCH_HIT_EVERY=N forces advisories for every Nth name of the lockfile only (default 1: every
# name, the stress case where all 2,000 packages have advisories). N=10 is closer to real
# lockfiles, where a minority of packages have any published advisory; each N gets its own
# export and databases ($SYNTH_DIR).
SYNTH_DIR=$WORK/synth
if [[ ${BENCH_HIT_EVERY:-1} != 1 ]]; then SYNTH_DIR=$WORK/synth-every${BENCH_HIT_EVERY}; fi
synth_export() {
	SYNTH=$SYNTH_DIR/export
	[[ -e $SYNTH_DIR/export.done ]] && return
	log "generating the synthetic full-size OSV export into $SYNTH (once)"
	rm -rf "$SYNTH"
	mkdir -p "$SYNTH"
	awk -v n="${BENCH_HIT_EVERY:-1}" '(NR - 1) % n == 0' "$FIXTURES/npm-2000/names.txt" >"$SYNTH_DIR/names.txt"
	(cd "$ROOT" && go run ./bench/vulndb/gen -out "$SYNTH" -names-npm "$SYNTH_DIR/names.txt")
	touch "$SYNTH_DIR/export.done"
}

# export_records EXPORT prints the number of OSV records (zip entries ending in .json) in an
# export.
export_records() {
	local zip n=0 c
	for zip in "$1"/*/all.zip; do
		c=$(unzip -Z1 "$zip" | grep -c '\.json$' || true)
		n=$((n + c))
	done
	echo "$n"
}

# import_hallmark_db DBDIR INPUT… builds hallmark's database in DBDIR (replacing it) from the
# inputs, and sets IMPORT_SECONDS (wall) and IMPORT_RSS_KB.
import_hallmark_db() {
	local db=$1 t0 t1
	shift
	rm -rf "$db"
	mkdir -p "$db"
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M' -o "$db.rss" "$BIN/hallmark" db import --db "$db" "$@" >"$db.log" 2>&1 ||
		{
			cat "$db.log" >&2
			die "hallmark db import failed (see $db.log)"
		}
	t1=$EPOCHREALTIME
	IMPORT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	IMPORT_RSS_KB=$(tail -n1 "$db.rss")
}
