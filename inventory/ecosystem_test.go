package inventory_test

import (
	"testing"

	"github.com/hallmark-dev/hallmark/inventory"
)

func TestEcosystemOf(t *testing.T) {
	for _, c := range []struct {
		purl   string
		distro *inventory.Distro
		want   string
	}{
		{"pkg:npm/%40babel/core@7.24.0", nil, "npm"},
		{"pkg:pypi/Requests@2.31.0", nil, "PyPI"},
		{"pkg:golang/golang.org/x/net@v0.7.0", nil, "Go"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", nil, "Maven"},
		{"pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12", nil, "Debian:12"},
		{"pkg:deb/debian/zlib1g@1.2.13?arch=amd64", &inventory.Distro{ID: "debian", VersionID: "12"}, "Debian:12"},
		{"pkg:deb/ubuntu/zlib1g@1.2.13?distro=ubuntu-22.04", nil, "Ubuntu:22.04"},
		{"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3", nil, "Alpine:v3.20"},
		{"pkg:apk/alpine/musl@1.2.5-r0", &inventory.Distro{ID: "alpine", VersionID: "3.20.3"}, "Alpine:v3.20"},
		{"pkg:generic/openssl@3.0.0", nil, ""},
		{"not a purl", nil, ""},
	} {
		if got := inventory.EcosystemOf(c.purl, c.distro); got != c.want {
			t.Errorf("EcosystemOf(%q) = %q, want %q", c.purl, got, c.want)
		}
	}
}
