#!/usr/bin/env bash
# regenerate.sh rebuilds the generated fixtures under testdata/ from package registries
# (npm registry, Go module proxy, Debian archive). Hand-written fixtures are not touched; see
# testdata/PROVENANCE.md for which is which.
#
# Usage: testdata/gen/regenerate.sh [step...]
# Steps: node go python java rpm images bad (default: all, in that order; images needs the
# outputs of go and node, bad those of node).
# Needs: Debian 12 with the package lists fetched (apt-get update).
# Needs: bash, node+npm (npx), go, apt-get + dpkg-deb (Debian 12), rpmbuild/rpm (apt-get install rpm).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TD="$ROOT/testdata"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Resolution cut-off for npm: versions published after this date are ignored, so the
# lockfiles resolve the same tree on any later day (and include known-vulnerable versions).
NPM_BEFORE=2024-06-01T00:00:00Z
YARN1=yarn@1.22.22
YARN4=@yarnpkg/cli-dist@4.9.4
PNPM=pnpm@9.15.9

# Pinned Debian 12 (bookworm) packages. A version that has left the archive makes apt-get
# download fail: pick the current one and update PROVENANCE.md.
IMAGE_BASE_DEBS=(base-files=12.4+deb12u15 zlib1g=1:1.2.13.dfsg-1 libbz2-1.0=1.0.8-5+b1 netbase=6.4)
IMAGE_L2_DEBS=(liblzma5=5.4.1-1+deb12u2 libzstd1=1.5.4+dfsg2-5 ca-certificates=20250419~deb12u2 python3-six=1.16.0-4)
IMAGE_L3_DEBS=(python3-urllib3=1.26.12-1+deb12u4)
PY_DEBS=(python3-requests=2.28.1+dfsg-1 python3-urllib3=1.26.12-1+deb12u4 python3-six=1.16.0-4 python3-idna=3.3-1+deb12u1 python3-packaging=23.0-1 python3-attr=22.2.0-1 python3-chardet=5.1.0+dfsg-2)
JAVA_DEBS=(libcommons-cli-java=1.5.0-1 libhamcrest-java=2.2-1)

# Ignore the machine's ~/.npmrc (it may drop "resolved" from lockfiles).
export npm_config_userconfig="$WORK/npmrc"
printf 'fund=false\naudit=false\nupdate-notifier=false\n' >"$npm_config_userconfig"
export npm_config_yes=true

log() { printf '== %s\n' "$*" >&2; }

step_node() {
	local src="$TD/src/node" p
	log "node: package-lock v3, v2, v1"
	for p in lock-v3 lock-v2 lock-v1; do
		mkdir -p "$src/$p"
		cp "$TD/gen/node/package.json" "$src/$p/package.json"
		rm -f "$src/$p/package-lock.json"
	done
	(cd "$src/lock-v3" && npm install --package-lock-only --ignore-scripts --before="$NPM_BEFORE" --lockfile-version=3)
	(cd "$src/lock-v2" && npm install --package-lock-only --ignore-scripts --before="$NPM_BEFORE" --lockfile-version=2)
	(cd "$src/lock-v1" && npm install --package-lock-only --ignore-scripts --before="$NPM_BEFORE" --lockfile-version=1)

	# yarn v1 has no --before: import the npm resolution from an installed tree instead, so
	# every lockfile of this project lists the same versions.
	log "node: yarn.lock v1 ($YARN1)"
	local y1="$WORK/yarn1"
	mkdir -p "$y1" "$src/yarn-v1"
	cp "$src/lock-v1/package.json" "$src/lock-v1/package-lock.json" "$y1/" # yarn import reads lockfileVersion 1 only
	(cd "$y1" && npm ci --ignore-scripts --no-audit && npx "$YARN1" import --non-interactive --no-progress)
	cp "$y1/package.json" "$y1/yarn.lock" "$src/yarn-v1/"

	log "node: yarn berry lockfile ($YARN4, migrated from the v1 lockfile)"
	local y4="$WORK/yarn4"
	mkdir -p "$y4" "$src/yarn-berry"
	cp "$src/yarn-v1/package.json" "$src/yarn-v1/yarn.lock" "$y4/"
	printf 'nodeLinker: node-modules\nenableTelemetry: false\nnpmRegistryServer: "https://registry.npmjs.org"\n' >"$y4/.yarnrc.yml"
	(cd "$y4" && YARN_ENABLE_IMMUTABLE_INSTALLS=false npx "$YARN4" install --mode=update-lockfile)
	cp "$y4/package.json" "$y4/yarn.lock" "$src/yarn-berry/"

	log "node: pnpm-lock.yaml ($PNPM, imported from package-lock.json)"
	local pn="$WORK/pnpm"
	mkdir -p "$pn" "$src/pnpm"
	cp "$src/lock-v3/package.json" "$src/lock-v3/package-lock.json" "$pn/"
	(cd "$pn" && npx "$PNPM" import)
	cp "$pn/package.json" "$pn/pnpm-lock.yaml" "$src/pnpm/"

	log "node: installed node_modules tree"
	local nm="$src/installed"
	rm -rf "$nm"
	mkdir -p "$nm"
	cp "$TD/gen/node/installed.package.json" "$nm/package.json"
	(cd "$nm" && npm install --ignore-scripts --no-audit --before="$NPM_BEFORE")
}

step_go() {
	log "go: module graph and binary"
	local src="$TD/src/go"
	(
		cd "$src"
		printf 'module example.com/hallmark/fixture\n\ngo 1.22\n' >go.mod
		rm -f go.sum
		go get github.com/google/uuid@v1.6.0 golang.org/x/net@v0.7.0 golang.org/x/text@v0.7.0
		go mod tidy
		mkdir -p "$TD/bin"
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS=-buildvcs=false \
			go build -trimpath -ldflags='-s -w' -o "$TD/bin/gobinary" .
	)
}

# debs DIR PKG=VERSION... downloads Debian packages into DIR.
debs() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && apt-get download "$@") || {
		echo "apt-get download failed: run apt-get update, or update the pinned version" >&2
		exit 1
	}
}

step_python() {
	log "python: installed metadata from Debian packages"
	local dst="$TD/src/python/site-packages" x="$WORK/py"
	debs "$WORK/pydebs" "${PY_DEBS[@]}"
	mkdir -p "$x"
	for d in "$WORK"/pydebs/*.deb; do dpkg-deb -x "$d" "$x"; done
	rm -rf "$dst"
	mkdir -p "$dst"
	cp -r "$x"/usr/lib/python3/dist-packages/*.dist-info "$x"/usr/lib/python3/dist-packages/*.egg-info "$dst/"
}

step_java() {
	log "java: jars from Debian packages, and a war around one of them"
	local dst="$TD/src/java" x="$WORK/java"
	debs "$WORK/javadebs" "${JAVA_DEBS[@]}"
	mkdir -p "$x" "$dst/lib"
	for d in "$WORK"/javadebs/*.deb; do dpkg-deb -x "$d" "$x"; done
	cp "$x/usr/share/java/commons-cli.jar" "$dst/lib/commons-cli-1.5.0.jar"
	cp "$x/usr/share/java/hamcrest-2.2.jar" "$dst/lib/hamcrest-2.2.jar"
	(cd "$ROOT" && go run ./testdata/gen/mkfixtures war "$dst/lib/commons-cli-1.5.0.jar" "$dst/app.war")
}

step_rpm() {
	export SOURCE_DATE_EPOCH=1704067200
	log "rpm: rpmdb of locally built noarch packages"
	local root="$TD/src/rpmroot" top="$WORK/rpmbuild" spec
	command -v rpmbuild >/dev/null || { echo "rpmbuild missing: apt-get install rpm" >&2; exit 1; }
	mkdir -p "$top"
	for spec in "$TD"/gen/rpm/*.spec; do
		rpmbuild --define "_topdir $top" --define "_buildhost fixture.hallmark.test" \
			--define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
			-bb "$spec"
	done
	rm -rf "$root/var/lib/rpm"
	mkdir -p "$root/var/lib/rpm"
	rpm --root "$root" --dbpath /var/lib/rpm --initdb
	rpm --root "$root" --dbpath /var/lib/rpm -i --justdb --nodeps --noscripts --nosignature "$top"/RPMS/noarch/*.rpm
	rpm --root "$root" --dbpath /var/lib/rpm -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{LICENSE}\n' >&2
	rm -f "$root"/var/lib/rpm/*-shm "$root"/var/lib/rpm/*-wal "$root"/var/lib/rpm/.rpm.lock
}

step_images() {
	log "images: debian image (OCI layout, docker archive, OCI archive)"
	debs "$WORK/imgdebs/base" "${IMAGE_BASE_DEBS[@]}"
	debs "$WORK/imgdebs/l2" "${IMAGE_L2_DEBS[@]}"
	debs "$WORK/imgdebs/l3" "${IMAGE_L3_DEBS[@]}"
	(cd "$ROOT" && go run ./testdata/gen/mkfixtures images "$WORK/imgdebs")
}

step_bad() {
	log "bad: malformed and hostile inputs"
	(cd "$ROOT" && go run ./testdata/gen/mkfixtures bad)
}

main() {
	local steps=("$@")
	[[ ${#steps[@]} -gt 0 ]] || steps=(node go python java rpm images bad)
	for s in "${steps[@]}"; do
		"step_$s"
	done
}
main "$@"
