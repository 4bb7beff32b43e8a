package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		name string
		purl string
		want key
	}{
		{"npm_scoped", "pkg:npm/%40Babel/Core@7.24.0", key{"npm", "@babel", "core", "7.24.0"}},
		{"pypi_pep503", "pkg:pypi/Zope.Interface@6.0", key{"pypi", "", "zope-interface", "6.0"}},
		{"pypi_underscore_runs", "pkg:pypi/foo__bar.baz@1", key{"pypi", "", "foo-bar-baz", "1"}},
		{"golang_v_prefix", "pkg:golang/github.com/BurntSushi/toml@v1.6.0", key{"golang", "github.com/burntsushi", "toml", "1.6.0"}},
		{"golang_no_v", "pkg:golang/github.com/burntsushi/toml@1.6.0", key{"golang", "github.com/burntsushi", "toml", "1.6.0"}},
		{"golang_stdlib_go_prefix", "pkg:golang/stdlib@go1.22.1", key{"golang", "", "stdlib", "1.22.1"}},
		{"deb_qualifiers_dropped", "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12", key{"deb", "debian", "zlib1g", "1:1.2.13.dfsg-1"}},
		{"rpm_epoch_qualifier", "pkg:rpm/redhat/openssl@1.1.1k-7.el8?arch=x86_64&epoch=1", key{"rpm", "redhat", "openssl", "1:1.1.1k-7.el8"}},
		{"rpm_epoch_zero", "pkg:rpm/redhat/bash@0:5.1-2?epoch=0", key{"rpm", "redhat", "bash", "5.1-2"}},
		{"maven_case_kept", "pkg:maven/com.zaxxer/HikariCP@5.0.1?type=jar", key{"maven", "com.zaxxer", "HikariCP", "5.0.1"}},
		{"nuget_case_folded", "pkg:nuget/Newtonsoft.Json@13.0.3", key{"nuget", "", "newtonsoft.json", "13.0.3"}},
		{"subpath_dropped", "pkg:golang/golang.org/x/net@v0.7.0#html", key{"golang", "golang.org/x", "net", "0.7.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalise(tc.purl)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(key{})); diff != "" {
				t.Errorf("normalise(%q) mismatch (-want +got):\n%s", tc.purl, diff)
			}
		})
	}
}

func TestCompareExplainsMisses(t *testing.T) {
	ref := &sbom{pkgs: map[key]pkg{}}
	cand := &sbom{pkgs: map[key]pkg{}}
	add := func(s *sbom, purl, loc string) {
		k, err := normalise(purl)
		if err != nil {
			t.Fatal(err)
		}
		s.pkgs[k] = pkg{purl: purl, location: loc}
	}
	add(ref, "pkg:npm/left-pad@1.3.0", "/a/package-lock.json")
	add(cand, "pkg:npm/left-pad@1.3.0", "a/package-lock.json")
	add(ref, "pkg:npm/lodash@4.17.21", "/a/package-lock.json")
	add(cand, "pkg:npm/lodash@4.17.20", "a/package-lock.json")
	add(ref, "pkg:maven/org.apache/logging@1.2", "/usr/share/java/commons-logging-1.2.jar")
	add(cand, "pkg:maven/commons-logging/commons-logging@1.2", "usr/share/java/commons-logging-1.2.jar")
	add(ref, "pkg:golang/cmd/go", "/usr/lib/go/bin/go")
	add(ref, "pkg:generic/python@3.11.2", "/usr/bin/python3.11")

	r := compare(ref, cand, map[string]bool{"npm": true, "maven": true, "golang": true})
	var got []string
	for _, m := range r.refOnly {
		got = append(got, m.k.String()+" → "+m.reason)
	}
	want := []string{
		"golang:cmd/go@ → not found",
		"maven:org.apache/logging@1.2 → same file, other identity: maven:commons-logging/commons-logging@1.2",
		"npm:lodash@4.17.21 → other version: 4.17.20",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("misses (-want +got):\n%s", diff)
	}
	if r.refInScope != 4 || r.both != 1 {
		t.Errorf("in scope %d, both %d; want 4, 1", r.refInScope, r.both)
	}
	if got, want := r.fileRecall(), 0.5; got != want {
		t.Errorf("fileRecall = %v, want %v", got, want)
	}
	if r.refOutScope["generic"] != 1 {
		t.Errorf("out of scope = %v, want generic 1", r.refOutScope)
	}
}
