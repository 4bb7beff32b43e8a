#!/bin/sh
# Rebuilds the fixture binaries in bin/ from accept/ and tagonly/. Needs the Go toolchain
# and the module proxy (golang.org/x/text v0.3.7 is fetched into a temporary module cache).
# The binaries are stored gzip-compressed to keep the fixtures small; the tests inflate them.
set -eu
cd "$(dirname "$0")"
cache=$(mktemp -d)
trap 'chmod -R u+w "$cache"; rm -rf "$cache"' EXIT
export GOMODCACHE="$cache" GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
build() { # name goos goarch ldflags
	out="bin/$1"
	(cd "$(echo "$1" | cut -d- -f1)" && GOOS=$2 GOARCH=$3 go build -trimpath -ldflags="$4" -o "../$out" .)
	gzip -9 -n -f "$out"
}
build accept-linux-amd64-stripped linux amd64 "-s -w"
build tagonly-linux-amd64 linux amd64 "-w"
build tagonly-linux-amd64-stripped linux amd64 "-s -w"
build accept-darwin-arm64-stripped darwin arm64 "-s -w"
build accept-windows-amd64-stripped windows amd64 "-s -w"
go version > bin/VERSION
