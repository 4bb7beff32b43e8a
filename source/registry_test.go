package source

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestRegistryAuthFromDockerConfig serves the image from a registry that demands basic auth and
// checks that hallmark uses the credentials in $DOCKER_CONFIG/config.json, as docker does.
func TestRegistryAuthFromDockerConfig(t *testing.T) {
	const user, pass = "ci-bot", "s3cret"
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="hallmark-test"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer s.Close()
	host := mustHost(t, s.URL)
	ref := host + "/private/app:2.0"
	tag, _ := name.NewTag(ref)
	img := threeLayers(t)
	if err := remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Fatal(err)
	}

	// Without credentials: a registry error, not "not found".
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := Open(context.Background(), RegistryPrefix+ref, Options{}); !errors.Is(err, ErrRegistry) {
		t.Fatalf("anonymous: err = %v, want ErrRegistry", err)
	}

	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	art, err := Open(context.Background(), RegistryPrefix+ref, Options{})
	if err != nil {
		t.Fatalf("with docker config: %v", err)
	}
	defer art.Close()
	want, _ := img.Digest()
	if art.Digest != want.String() {
		t.Errorf("digest = %s, want %s", art.Digest, want)
	}
	tree, err := art.Image.Squash(context.Background(), SquashOptions{Want: func(string, fs.FileInfo) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(tree, "usr/bin/tool"); err != nil {
		t.Errorf("layer content: %v", err)
	}
}

// TestRegistryByDigest opens an image by digest.
func TestRegistryByDigest(t *testing.T) {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer s.Close()
	host := mustHost(t, s.URL)
	img := threeLayers(t)
	tag, _ := name.NewTag(host + "/app:1")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	art, err := Open(context.Background(), RegistryPrefix+host+"/app@"+d.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer art.Close()
	if art.Digest != d.String() {
		t.Errorf("digest = %s, want %s", art.Digest, d)
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestPlatformSelection picks one image of a multi-platform index by --platform.
func TestPlatformSelection(t *testing.T) {
	amd := threeLayers(t)
	arm := imageOf(t, []entry{file("arm.txt", "arm")})
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	dir := t.TempDir()
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	armDigest, _ := arm.Digest()
	art, err := Open(context.Background(), dir, Options{Platform: "linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	art.Close()
	if art.Digest != armDigest.String() {
		t.Errorf("linux/arm64 picked %s, want %s", art.Digest, armDigest)
	}
	if _, err := Open(context.Background(), dir, Options{Platform: "linux/s390x"}); err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("unknown platform: err = %v, want one listing the choices", err)
	}
}
