#!/usr/bin/env bash
# Regenerates the syft and trivy fixtures in this directory from inputs/ (see PROVENANCE.md).
# Needs syft and trivy on PATH (or SYFT=… TRIVY=…); trivy runs offline (licence scanner only).
# Not run by tests or CI: the fixtures are checked in.
set -euo pipefail
cd "$(dirname "$0")"
SYFT=${SYFT:-syft}
TRIVY=${TRIVY:-trivy}
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_DISABLE_VEX_NOTICE=1
out=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for input in npm-go debian-rootfs; do
	cp -r "inputs/$input" "$work/$input"
	find "$work/$input" -name '*.in' -exec sh -c 'mv "$1" "${1%.in}"' _ {} \;
done

syft() { # format file source-name source-version
	"$SYFT" scan dir:. -q -o "$1=$out/$2" --source-name "$3" --source-version "$4"
}
(
	cd "$work/npm-go"
	for v in 1.2 1.3 1.4 1.5 1.6; do syft "cyclonedx-json@$v" "syft-npm-go.cdx${v/./}.json" fixture-app 1.0.0; done
	syft cyclonedx-json syft-npm-go.cdx17.json fixture-app 1.0.0
	syft cyclonedx-xml@1.2 syft-npm-go.cdx12.xml fixture-app 1.0.0
	syft cyclonedx-xml@1.6 syft-npm-go.cdx16.xml fixture-app 1.0.0
	syft cyclonedx-xml syft-npm-go.cdx17.xml fixture-app 1.0.0
	syft spdx-json syft-npm-go.spdx23.json fixture-app 1.0.0
	syft spdx-json@2.2 syft-npm-go.spdx22.json fixture-app 1.0.0
	syft spdx-tag-value syft-npm-go.spdx23.spdx fixture-app 1.0.0
	syft spdx-tag-value@2.2 syft-npm-go.spdx22.spdx fixture-app 1.0.0
	for f in cyclonedx:cdx16.json spdx-json:spdx23.json spdx:spdx23.spdx; do
		"$TRIVY" fs --quiet --scanners license --skip-db-update --offline-scan --skip-java-db-update \
			--include-dev-deps --format "${f%%:*}" --output "$out/trivy-npm-go.${f#*:}" .
	done
)
(
	cd "$work/debian-rootfs"
	syft cyclonedx-json@1.6 syft-debian-rootfs.cdx16.json debian-rootfs 12
	syft cyclonedx-xml@1.6 syft-debian-rootfs.cdx16.xml debian-rootfs 12
	syft spdx-json syft-debian-rootfs.spdx23.json debian-rootfs 12
	syft spdx-tag-value syft-debian-rootfs.spdx23.spdx debian-rootfs 12
	for f in cyclonedx:cdx16.json spdx-json:spdx23.json spdx:spdx23.spdx; do
		"$TRIVY" rootfs --quiet --scanners license --skip-db-update --offline-scan --skip-java-db-update \
			--format "${f%%:*}" --output "$out/trivy-debian-rootfs.${f#*:}" .
	done
)
