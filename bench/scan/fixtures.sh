#!/usr/bin/env bash
# fixtures.sh — regenerates the scanning fixtures in testdata/scan/ from the Go module proxy and
# the npm registry, with the exact versions and commands they were made with
# (testdata/scan/PROVENANCE.md). The Python requirements.txt is hand-written and not touched.
#
# Usage: bench/scan/fixtures.sh [go-module] [go-binary] [npm-2000]   (default: all three)
#
# Needs: go (the fixtures were made with go1.26.8, whose version the binary records), node+npm,
# network access to the Go module proxy and the npm registry. Work happens in a temp dir; only
# the fixture files are copied into testdata/scan/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/testdata/scan
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Module versions with published Go advisories. MVS keeps them because nothing here requires
# newer ones: gin v1.5.0 is the newest gin that accepts yaml.v2 v2.2.2, and this golang.org/x/net
# the newest that accepts x/text v0.3.5.
GO_MODULES=(
	github.com/gin-gonic/gin@v1.5.0
	golang.org/x/text@v0.3.5
	golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110
	golang.org/x/crypto@v0.0.0-20201216223049-8b5274cf687f
	gopkg.in/yaml.v2@v2.2.2
	github.com/dgrijalva/jwt-go@v3.2.0+incompatible
	github.com/gorilla/websocket@v1.4.0
	google.golang.org/protobuf@v1.28.0
	github.com/tidwall/gjson@v1.6.0
	github.com/go-chi/chi/v5@v5.0.7
)
# npm resolves as if on this date, so the lockfile lists the same versions on any later day.
NPM_BEFORE=2025-06-01T00:00:00Z

go_module() {
	local m=$TMP/gomod
	mkdir -p "$m/cmd/small"
	cp "$OUT/go-module/main.go" "$m/"
	cp "$OUT/go-module/cmd/small/main.go" "$m/cmd/small/"
	(
		cd "$m"
		go mod init example.com/hallmark-scan-fixture
		go mod edit -go=1.26.8
		GOFLAGS=-mod=mod go get "${GO_MODULES[@]}"
		GOFLAGS=-mod=mod go mod tidy
		go build ./...
	)
	cp "$m/go.mod" "$m/go.sum" "$OUT/go-module/"
}

go_binary() {
	[[ -e $TMP/gomod/go.mod ]] || go_module
	# Only cmd/small: four vulnerable modules and no net/http keep it at 3.5 MB (the full
	# program is 9.8 MB). -trimpath and a fixed toolchain make the build reproducible.
	(cd "$TMP/gomod" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o "$OUT/go-binary/small" ./cmd/small)
}

npm_2000() {
	local n=$TMP/npm
	mkdir -p "$n"
	cp "$OUT/npm-2000/package.json" "$n/"
	printf 'fund=false\naudit=false\nupdate-notifier=false\n' >"$TMP/npmrc"
	(cd "$n" && npm_config_userconfig=$TMP/npmrc npm install --package-lock-only --ignore-scripts \
		--no-audit --no-fund --legacy-peer-deps --before="$NPM_BEFORE")
	cp "$n/package-lock.json" "$OUT/npm-2000/"
	# The names the synthetic advisory generator forces records for (bench/vulndb/gen -names-npm).
	jq -r '.packages | to_entries[] | select(.key != "") | (.value.name // (.key | sub(".*node_modules/"; "")))' \
		"$OUT/npm-2000/package-lock.json" | LC_ALL=C sort -u >"$OUT/npm-2000/names.txt"
}

for f in ${*:-go-module go-binary npm-2000}; do
	case $f in
	go-module) go_module ;;
	go-binary) go_binary ;;
	npm-2000) npm_2000 ;;
	*)
		echo "fixtures.sh: unknown fixture $f" >&2
		exit 2
		;;
	esac
done
