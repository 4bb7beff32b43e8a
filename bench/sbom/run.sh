#!/usr/bin/env bash
# run.sh — `hallmark sbom` and syft side by side on the same inputs: wall time, CPU time, peak
# RSS, and hallmark's package recall against syft's. docs/bench.md explains the inputs, what is
# measured and how to read the result.
#
# Usage: bench/sbom/run.sh [step...]
# Steps: tools inputs measure report (default: all four, in that order).
#
# Environment:
#   HALLMARK_BENCH_CACHE  where tools, inputs and results live (default ~/.cache/hallmark-bench)
#   BENCH_RUNS            measured runs per tool and input, after one warm-up run (default 3)
#   BENCH_INPUTS          inputs to measure (default "src image-oci image-docker")
#   BENCH_TOOLS           tools to measure (default "hallmark syft syft-lean")
#
# Needs: Debian 12 (apt-get, dpkg-deb; root to install the `time` package and run apt-get
# update), go, node+npm, and network access to the Go module proxy, the npm registry and the
# Debian archive — for the first run only: everything is cached, and inputs are built once.
set -euo pipefail

# --- pinned versions -------------------------------------------------------------------------
# syft: the newest release on the Go module proxy that builds with this repo's Go (1.26).
SYFT_VERSION=v1.57.0
# Go programs built into the image (go-module-binary catalogers). gopls v0.24 needs Go 1.27.
GO_BINARIES=(github.com/google/go-containerregistry/cmd/crane@v0.22.1 golang.org/x/tools/gopls@v0.23.0)
# npm resolves as if on this date, so the lockfiles list the same versions on any later day.
NPM_BEFORE=2025-06-01T00:00:00Z
# Debian packages of the image, one layer per group, bottom first. Each group's dependency
# closure (without Recommends) is resolved against an empty system, minus the lower layers.
# Versions are those of the Debian 12 archive on the day the image is built: see
# $CACHE/inputs/image.debs for the exact list.
IMAGE_GROUPS=(
	"base:apt"
	"java:openjdk-17-jre-headless libguava-java libcommons-lang3-java libjackson2-databind-java liblog4j2-java libcommons-io-java libslf4j-java libcommons-collections4-java libjsoup-java"
	"python:python3 python3-numpy python3-requests python3-yaml python3-jinja2 python3-cryptography python3-setuptools python3-pip python3-lxml python3-dateutil python3-tz"
	"perl-ruby:perl libwww-perl libjson-perl libyaml-perl ruby ruby-rack ruby-json"
	"node:nodejs node-lodash node-semver node-yargs node-chalk node-debug node-glob"
	"golang:golang-go"
)
# Purged in a later layer: both tools must not report it (whiteouts over its files).
IMAGE_PURGE=python3-yaml

# --- layout ----------------------------------------------------------------------------------
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/sbom
CACHE=${HALLMARK_BENCH_CACHE:-$HOME/.cache/hallmark-bench}
BIN=$CACHE/bin
IN=$CACHE/inputs
RES=$CACHE/results/latest # a symlink to the newest results/<time> of the measure step
RUNS=${BENCH_RUNS:-3}
INPUTS=${BENCH_INPUTS:-"src image-oci image-docker"}
TOOLS=${BENCH_TOOLS:-"hallmark syft syft-lean"}

# Neither tool may reach the network during a measured run: syft's update check is off, its
# Go cataloger's `go list` must use the module cache only, and npm is not involved.
export SYFT_CHECK_FOR_APP_UPDATE=false
export npm_config_userconfig=$CACHE/npmrc

log() { printf '== %s\n' "$*" >&2; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

# --- step: tools -----------------------------------------------------------------------------
step_tools() {
	mkdir -p "$BIN"
	if [[ ! -x /usr/bin/time ]]; then
		log "installing GNU time (Debian package time)"
		apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
	fi
	if [[ ! -x $BIN/syft-$SYFT_VERSION ]]; then
		log "installing syft $SYFT_VERSION from the Go module proxy"
		local gobin
		gobin=$(mktemp -d)
		# syft's version is normally stamped by its release build; do the same so its SBOMs
		# and `syft version` name the release.
		GOBIN=$gobin GOFLAGS=-trimpath go install -ldflags "-X main.version=$SYFT_VERSION" \
			"github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
		mv "$gobin/syft" "$BIN/syft-$SYFT_VERSION"
		rmdir "$gobin"
	fi
	ln -sfn "syft-$SYFT_VERSION" "$BIN/syft"
	log "building hallmark and the recall tool from $ROOT"
	(cd "$ROOT" && go build -o "$BIN/hallmark" ./cmd/hallmark && go build -o "$BIN/recall" ./bench/sbom/recall &&
		go build -o "$BIN/mkimage" ./bench/sbom/mkimage)
	git -C "$ROOT" describe --always --dirty 2>/dev/null >"$BIN/hallmark.version" || echo unknown >"$BIN/hallmark.version"
}

# --- step: inputs ----------------------------------------------------------------------------
step_inputs() {
	mkdir -p "$IN"
	printf 'fund=false\naudit=false\nupdate-notifier=false\n' >"$npm_config_userconfig"
	[[ -e $IN/src/.done ]] || make_src
	[[ -e $IN/image.done ]] || make_image
	log "inputs ready in $IN"
	cat "$IN/src.info" "$IN/image.info" >&2
}

# npm_project DIR MODE: resolve (MODE=lock) or install (MODE=install) the package.json in DIR.
npm_project() {
	local dir=$1 mode=$2
	local args=(--ignore-scripts --no-audit --no-fund --legacy-peer-deps --before="$NPM_BEFORE")
	if [[ $mode == lock ]]; then
		args+=(--package-lock-only)
	fi
	(cd "$dir" && npm install "${args[@]}" >/dev/null)
}

make_src() {
	local tmp=$IN/src.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "source tree: npm lockfile of a large front-end project (webpack, jest, eslint, angular, react-scripts)"
	mkdir -p "$tmp/web-app"
	cp "$HERE/inputs/web-app/package.json" "$tmp/web-app/"
	npm_project "$tmp/web-app" lock

	log "source tree: npm service installed with node_modules"
	mkdir -p "$tmp/node-service"
	cp "$HERE/inputs/node-service/package.json" "$tmp/node-service/"
	npm_project "$tmp/node-service" install

	log "source tree: Go module (client-go, client_golang, grpc, gin, cobra) — go mod tidy"
	mkdir -p "$tmp/go-service"
	cp "$HERE/inputs/go-service/go.mod.in" "$tmp/go-service/go.mod"
	cp "$HERE/inputs/go-service/main.go.in" "$tmp/go-service/main.go"
	(cd "$tmp/go-service" && GOWORK=off GOFLAGS=-mod=mod go mod tidy)

	# Installed Python distributions and jars, unpacked from the Debian packages of the image.
	fetch_debs
	log "source tree: Python dist-packages and jars from Debian packages"
	local x=$IN/src.debx deb
	rm -rf "$x"
	mkdir -p "$x"
	grep -E '/(python3-[^/]*|lib[^/]*-java)_[^/]*\.deb$' "$IN/image.debs" | while read -r deb; do
		dpkg-deb -x "$deb" "$x"
	done
	mkdir -p "$tmp/python-site/lib/python3/site-packages" "$tmp/java-libs/lib"
	cp -a "$x/usr/lib/python3/dist-packages/." "$tmp/python-site/lib/python3/site-packages/"
	find "$x/usr/share/java" -type f -name '*.jar' -exec cp {} "$tmp/java-libs/lib/" \;
	rm -rf "$x"

	log "source tree: the repository's hand-written fixtures (testdata/src: Python, Ruby, Rust, PHP, .NET, Java, …)"
	cp -a "$ROOT/testdata/src" "$tmp/fixtures"

	touch "$tmp/.done"
	rm -rf "$IN/src"
	mv "$tmp" "$IN/src"
	{
		printf 'src: %s files, %s\n' "$(find "$IN/src" -type f | wc -l)" "$(du -sh "$IN/src" | cut -f1)"
		printf 'src: npm lockfile entries: web-app %s, node-service %s; go.mod requires: %s\n' \
			"$(grep -c '"node_modules/' "$IN/src/web-app/package-lock.json")" \
			"$(grep -c '"node_modules/' "$IN/src/node-service/package-lock.json")" \
			"$(grep -cE '^\s+[a-z0-9.-]+\.[a-z]+/\S+ v' "$IN/src/go-service/go.mod")"
	} >"$IN/src.info"
}

# fetch_debs resolves IMAGE_GROUPS and downloads the .deb files to $IN/debs. It writes one
# list of .deb paths per layer ($IN/layers/NN-group.list) and all of them to $IN/image.debs.
fetch_debs() {
	[[ -e $IN/image.debs ]] && return
	if ! apt-cache show --no-all-versions openjdk-17-jre-headless >/dev/null 2>&1; then
		log "apt-get update"
		apt-get update >/dev/null
	fi
	local empty=$IN/apt-empty-status
	: >"$empty"
	mkdir -p "$IN/debs" "$IN/layers.tmp"
	# The Essential: yes set of a Debian system belongs to the base layer, like in debian:12.
	local essential
	essential=$(apt-cache dumpavail | awk '/^Package:/{p=$2} /^Essential: yes/{print p}' | sort -u | tr '\n' ' ')
	local want="$essential" seen=" " i=0 g name pkgs closure
	for g in "${IMAGE_GROUPS[@]}"; do
		name=${g%%:*}
		pkgs=${g#*:}
		want="$want $pkgs"
		# shellcheck disable=SC2086 # word splitting of package lists is intended
		closure=$(apt-get -s -o Dir::State::status="$empty" -o Debug::NoLocking=1 \
			install --no-install-recommends $want | awk '/^Inst /{print $2 "=" substr($3, 2)}')
		local list
		list=$IN/layers.tmp/$(printf '%02d' $i)-$name.list
		: >"$list"
		local pv p
		for pv in $closure; do
			p=${pv%%=*}
			[[ $seen == *" $p "* ]] && continue
			seen="$seen$p "
			printf '%s\n' "$pv" >>"$list"
		done
		log "image layer $i ($name): $(wc -l <"$list") packages"
		i=$((i + 1))
	done
	log "downloading $(cat "$IN"/layers.tmp/*.list | wc -l) Debian packages"
	# shellcheck disable=SC2046
	(cd "$IN/debs" && apt-get -o APT::Sandbox::User=root download $(cat "$IN"/layers.tmp/*.list) >/dev/null)
	# Map name=version back to the downloaded file (epochs are %3a-escaped in file names).
	local f
	for f in "$IN"/layers.tmp/*.list; do
		local out=${f%.list}.debs
		: >"$out"
		while IFS='=' read -r p v; do
			local files=("$IN/debs/${p}_${v/:/%3a}_"*.deb)
			[[ -e ${files[0]} ]] || die "download of $p=$v failed"
			printf '%s\n' "${files[0]}" >>"$out"
		done <"$f"
	done
	rm -rf "$IN/layers"
	mv "$IN/layers.tmp" "$IN/layers"
	cat "$IN"/layers/*.debs >"$IN/image.debs"
}

make_image() {
	fetch_debs
	[[ -e $IN/src/.done ]] || die "the image copies projects from the source tree: build it first"
	log "building Go binaries for the image"
	local gobin=$IN/gobin m
	mkdir -p "$gobin"
	for m in "${GO_BINARIES[@]}"; do
		local b=${m%@*}
		b=${b##*/}
		[[ -x $gobin/$b ]] || GOBIN=$gobin GOFLAGS=-trimpath go install "$m"
	done
	cp "$BIN/syft-$SYFT_VERSION" "$gobin/syft"

	log "assembling the image (OCI layout and docker-save tarball)"
	rm -rf "$IN/image-oci" "$IN/image.docker.tar"
	local args=() l
	for l in "$IN"/layers/*.debs; do
		args+=(-debs "$l")
	done
	args+=(-purge "$IMAGE_PURGE")
	args+=(-dir "$IN/src/node-service=/app/node-service")
	args+=(-dir "$IN/src/web-app=/app/web-app")
	for b in "$gobin"/*; do
		args+=(-file "$b=/usr/local/bin/$(basename "$b")")
	done
	"$BIN/mkimage" "${args[@]}" -oci "$IN/image-oci" -docker "$IN/image.docker.tar" >"$IN/image.info"
	touch "$IN/image.done"
}

# --- step: measure ---------------------------------------------------------------------------
# target INPUT TOOL: the argument that makes TOOL read INPUT.
target() {
	local input=$1 tool=$2
	case $input:$tool in
	src:hallmark) echo "$IN/src" ;;
	src:syft*) echo "dir:$IN/src" ;;
	image-oci:hallmark) echo "$IN/image-oci" ;;
	image-oci:syft*) echo "oci-dir:$IN/image-oci" ;;
	image-docker:hallmark) echo "$IN/image.docker.tar" ;;
	image-docker:syft*) echo "docker-archive:$IN/image.docker.tar" ;;
	*) die "unknown input or tool: $input $tool" ;;
	esac
}

# measure_one INPUT TOOL RUN: run TOOL once under /usr/bin/time -v and append a line to
# timings.tsv: input tool run wall_s user_s sys_s maxrss_kb exit load1.
measure_one() {
	local input=$1 tool=$2 run=$3
	local dir=$RES/$input out t cmd
	mkdir -p "$dir"
	out=$dir/$tool.$run.cdx.json
	t=$(target "$input" "$tool")
	case $tool in
	hallmark) cmd=("$BIN/hallmark" sbom "$t" --format cyclonedx-json --output "$out" --allow-partial -q) ;;
	syft) cmd=("$BIN/syft" scan "$t" -o "cyclonedx-json=$out" -q) ;;
	# syft without the work hallmark does not do: file digests and metadata, executable
	# analysis, and running `go list` on go.mod files.
	syft-lean) cmd=(env SYFT_FILE_METADATA_SELECTION=none SYFT_GOLANG_USE_PACKAGES_LIB=false
		"$BIN/syft" scan "$t" --select-catalogers=-file -o "cyclonedx-json=$out" -q) ;;
	*) die "unknown tool $tool" ;;
	esac
	local load rc=0
	load=$(cut -d' ' -f1 /proc/loadavg)
	# GOPROXY=off keeps syft's `go list` (and anything else) off the network.
	GOPROXY=off GOFLAGS=-mod=mod /usr/bin/time -v -o "$dir/$tool.$run.time" "${cmd[@]}" >"$dir/$tool.$run.log" 2>&1 || rc=$?
	awk -v input="$input" -v tool="$tool" -v run="$run" -v rc="$rc" -v ld="$load" '
		/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + a[i] }
		/User time \(seconds\)/ { user = $NF }
		/System time \(seconds\)/ { sys = $NF }
		/Maximum resident set size/ { rss = $NF }
		END { printf "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\n", input, tool, run, wall, user, sys, rss, rc, ld }
	' "$dir/$tool.$run.time" | tee -a "$RES/timings.tsv" >&2
	if [[ $rc != 0 ]]; then
		log "$tool on $input exited $rc; see $dir/$tool.$run.log"
	fi
}

step_measure() {
	[[ -x $BIN/hallmark && -x $BIN/syft ]] || die "run the tools step first"
	[[ -e $IN/src/.done && -e $IN/image.done ]] || die "run the inputs step first"
	local dir
	dir=$CACHE/results/$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$dir"
	if [[ -d $RES && ! -L $RES ]]; then
		mv "$RES" "$dir.previous"
	fi
	ln -sfn "$(basename "$dir")" "$RES"
	printf 'input\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tload1\n' >"$RES/timings.tsv"
	local input run tool tools
	for input in $INPUTS; do
		# Run 0 is a warm-up (page cache, first-run costs) and is left out of the medians.
		# The tool order rotates each run so no tool always follows the same one.
		read -ra tools <<<"$TOOLS"
		for ((run = 0; run <= RUNS; run++)); do
			for tool in "${tools[@]}"; do
				measure_one "$input" "$tool" "$run"
			done
			tools=("${tools[@]:1}" "${tools[0]}")
		done
	done
}

# --- step: report ----------------------------------------------------------------------------
step_report() {
	[[ -s $RES/timings.tsv ]] || die "no measurements in $RES: run the measure step first"
	# What was measured, from the measurements themselves (the variables may have changed).
	local input tool last
	INPUTS=$(awk -F'\t' 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$RES/timings.tsv")
	TOOLS=$(awk -F'\t' 'NR > 1 && !seen[$2]++ { printf "%s ", $2 }' "$RES/timings.tsv")
	RUNS=$(awk -F'\t' 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$RES/timings.tsv")
	last=$RUNS
	[[ " $TOOLS " == *" syft "* && " $TOOLS " == *" hallmark "* ]] || die "the report compares hallmark with syft: measure both"
	: >"$RES/recall.tsv"
	for input in $INPUTS; do
		for tool in $TOOLS; do
			[[ $tool == syft ]] && continue
			# Compare the last measured run of each tool with syft's (all runs give the same
			# packages; a difference would show in the package counts of the table).
			"$BIN/recall" -summary "$RES/$input/$tool.summary" \
				"$RES/$input/syft.$last.cdx.json" "$RES/$input/$tool.$last.cdx.json" >"$RES/$input/recall-$tool.txt"
			printf '%s\t%s\t%s\n' "$input" "$tool" "$(cat "$RES/$input/$tool.summary")" >>"$RES/recall.tsv"
		done
	done
	report_table | tee "$RES/table.txt"
	log "details: $RES/<input>/recall-hallmark.txt (every package syft found that hallmark did not)"
	log "JSON: $RES/summary.json"
}

# report_table prints the medians and ratios and writes summary.json.
report_table() {
	awk -F'\t' -v json="$RES/summary.json" -v syftv="$SYFT_VERSION" -v hmv="$(cat "$BIN/hallmark.version")" \
		-v runs="$RUNS" -v nproc="$(nproc)" -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v order="$INPUTS" -v torder="$TOOLS" '
	function least(list,    n, a, i, m) {
		n = split(list, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
		return m
	}
	function median(list,    n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		if (n == 0) return 0
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	FILENAME ~ /recall.tsv$/ {
		# input tool syft_total tool_total syft_scope tool_scope both recall file_recall
		pk[$1, "syft"] = $3; pk[$1, $2] = $4; rec[$1, $2] = $8; frec[$1, $2] = $9; scope[$1, "syft"] = $5; scope[$1, $2] = $6
		next
	}
	FNR == 1 { next }
	$3 == 0 { warm[$1, $2] = $4; next }
	{
		wall[$1, $2] = wall[$1, $2] " " $4
		cpu[$1, $2] = cpu[$1, $2] " " ($5 + $6)
		rss[$1, $2] = rss[$1, $2] " " $7
		ld[$1, $2] = ld[$1, $2] " " $9
		if ($8 != 0) bad[$1, $2] = 1
	}
	END {
		ni = split(order, inputs, " "); nt = split(torder, tools, " ")
		printf "%-13s %-10s %8s %8s %8s %8s %7s %7s %7s %7s %7s %8s %8s %6s\n", "input", "tool", "wall s", "best s", "cpu s", "rss MB", "pkgs", "wall ×", "best ×", "cpu ×", "rss ×", "recall", "+file", "load"
		printf "{\n  \"date\": \"%s\",\n  \"syft\": \"%s\",\n  \"hallmark\": \"%s\",\n  \"cores\": %d,\n  \"runs\": %d,\n  \"results\": [", date, syftv, hmv, nproc, runs > json
		sep = ""
		for (i = 1; i <= ni; i++) {
			in_ = inputs[i]
			hw = median(wall[in_, "hallmark"]); hb = least(wall[in_, "hallmark"]); hc = median(cpu[in_, "hallmark"]); hr = median(rss[in_, "hallmark"])
			for (j = 1; j <= nt; j++) {
				t = tools[j]
				if (!((in_, t) in wall)) continue
				w = median(wall[in_, t]); b = least(wall[in_, t]); c = median(cpu[in_, t]); r = median(rss[in_, t]) / 1024; l = median(ld[in_, t])
				wr = (t != "hallmark" && hw > 0) ? sprintf("%.1f", w / hw) : "-"
				br = (t != "hallmark" && hb > 0) ? sprintf("%.1f", b / hb) : "-"
				cr = (t != "hallmark" && hc > 0) ? sprintf("%.1f", c / hc) : "-"
				rr = (t != "hallmark" && hr > 0) ? sprintf("%.1f", median(rss[in_, t]) / hr) : "-"
				rc = ((in_, t) in rec) ? sprintf("%.2f%%", 100 * rec[in_, t]) : "-"
				fc = ((in_, t) in frec) ? sprintf("%.2f%%", 100 * frec[in_, t]) : "-"
				p = ((in_, t) in pk) ? pk[in_, t] : "?"
				printf "%-13s %-10s %8.2f %8.2f %8.2f %8.0f %7s %7s %7s %7s %7s %8s %8s %6.1f%s\n", in_, t, w, b, c, r, p, wr, br, cr, rr, rc, fc, l, ((in_, t) in bad) ? "  (non-zero exit)" : ""
				printf "%s\n    {\"input\": \"%s\", \"tool\": \"%s\", \"wall_s\": %.2f, \"best_wall_s\": %.2f, \"cpu_s\": %.2f, \"rss_mb\": %.0f, \"warmup_wall_s\": %.2f, \"packages\": %s, \"packages_compared\": %s, \"wall_ratio_vs_hallmark\": %s, \"best_wall_ratio_vs_hallmark\": %s, \"cpu_ratio_vs_hallmark\": %s, \"rss_ratio_vs_hallmark\": %s, \"recall_vs_syft\": %s, \"recall_vs_syft_same_file\": %s, \"load1\": %.1f, \"ok\": %s}", \
					sep, in_, t, w, b, c, r, warm[in_, t], (p == "?" ? "null" : p), (((in_, t) in scope) ? scope[in_, t] : "null"), \
					(wr == "-" ? "null" : wr), (br == "-" ? "null" : br), (cr == "-" ? "null" : cr), (rr == "-" ? "null" : rr), \
					(((in_, t) in rec) ? rec[in_, t] : "null"), (((in_, t) in frec) ? frec[in_, t] : "null"), l, (((in_, t) in bad) ? "false" : "true") > json
				sep = ","
			}
		}
		printf "\n  ]\n}\n" > json
		printf "\nwall s: median wall time; best s: the fastest run; cpu s: median user + system time.\n"
		printf "wall ×, best ×, cpu ×, rss ×: the tool'"'"'s figure divided by hallmark'"'"'s (2.0 = hallmark twice as fast / half the memory).\n"
		printf "recall: share of syft'"'"'s packages (purl types both catalogue) that the tool also found; +file: also counting\n"
		printf "files the tool identified as another package (see recall-*.txt). load: 1-minute load average before the runs.\n"
	}' "$RES/recall.tsv" "$RES/timings.tsv"
}

# --- main ------------------------------------------------------------------------------------
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(tools inputs measure report)
for s in "${steps[@]}"; do
	case $s in
	tools | inputs | measure | report) "step_$s" ;;
	*) die "unknown step $s (want: tools inputs measure report)" ;;
	esac
done
