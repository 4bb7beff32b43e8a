package policy

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseImageRef(t *testing.T) {
	const d = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct {
		in   string
		want ImageRef
	}{
		{"alpine", ImageRef{Registry: "docker.io", Repository: "library/alpine", Tag: "latest", ReferencedBy: "tag", Unqualified: true}},
		{"alpine:3.20", ImageRef{Registry: "docker.io", Repository: "library/alpine", Tag: "3.20", ReferencedBy: "tag", Unqualified: true}},
		{"bitnami/redis:7", ImageRef{Registry: "docker.io", Repository: "bitnami/redis", Tag: "7", ReferencedBy: "tag", Unqualified: true}},
		{"docker.io/library/alpine:3.20", ImageRef{Registry: "docker.io", Repository: "library/alpine", Tag: "3.20", ReferencedBy: "tag"}},
		{"docker.io/alpine", ImageRef{Registry: "docker.io", Repository: "library/alpine", Tag: "latest", ReferencedBy: "tag"}},
		{"index.docker.io/library/nginx:1", ImageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "1", ReferencedBy: "tag"}},
		{"registry-1.docker.io/org/app:1", ImageRef{Registry: "docker.io", Repository: "org/app", Tag: "1", ReferencedBy: "tag"}},
		{"ghcr.io/acme/app:1.4", ImageRef{Registry: "ghcr.io", Repository: "acme/app", Tag: "1.4", ReferencedBy: "tag"}},
		{"ghcr.io/acme/app@" + d, ImageRef{Registry: "ghcr.io", Repository: "acme/app", Digest: d, ReferencedBy: "digest"}},
		{"ghcr.io/acme/app:1.4@" + d, ImageRef{Registry: "ghcr.io", Repository: "acme/app", Tag: "1.4", Digest: d, ReferencedBy: "digest"}},
		{"localhost:5000/app:dev", ImageRef{Registry: "localhost:5000", Repository: "app", Tag: "dev", ReferencedBy: "tag"}},
		{"localhost/app", ImageRef{Registry: "localhost", Repository: "app", Tag: "latest", ReferencedBy: "tag"}},
		{"127.0.0.1:34567/test/app:v1", ImageRef{Registry: "127.0.0.1:34567", Repository: "test/app", Tag: "v1", ReferencedBy: "tag"}},
		{"Registry.Example.com/team/app", ImageRef{Registry: "registry.example.com", Repository: "team/app", Tag: "latest", ReferencedBy: "tag"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseImageRef(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Reference = tc.in
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "UPPER/case", "a:b:c", "app@sha256:short", "ghcr.io/app:"} {
		if _, err := ParseImageRef(bad); !errors.Is(err, ErrImageRef) {
			t.Errorf("ParseImageRef(%q) err = %v, want ErrImageRef", bad, err)
		}
	}
}

func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"alpine", "ghcr.io/a/b:1@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "localhost:5000/x", "docker.io/library/a:b", "a/b/c/d:e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseImageRef(s)
		if err != nil {
			if !errors.Is(err, ErrImageRef) {
				t.Fatalf("error %v is not ErrImageRef", err)
			}
			return
		}
		if r.Registry == "" || r.Repository == "" || (r.ReferencedBy == "digest") != (r.Digest != "") {
			t.Fatalf("%q parsed to %+v", s, r)
		}
		if r.Unqualified && r.Registry != DockerHub {
			t.Fatalf("%q: unqualified but registry %q", s, r.Registry)
		}
	})
}
