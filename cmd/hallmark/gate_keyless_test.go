package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/sign/signtest"
)

// TestGateKeyless: with --trusted-root the gate verifies keyless image signatures (certificate,
// log entry, timestamp of a virtual Sigstore) and records the identity; the signature-trusted
// rule then allows a trusted identity and denies another.
func TestGateKeyless(t *testing.T) {
	db := fixtureDB(t)
	vs := signtest.NewVirtualSigstore(t)
	host := testRegistry(t)
	root := vs.WriteTrustedRoot(t, filepath.Join(t.TempDir(), "root.json"), signtest.RootParts{TLog: true, TSA: true})
	ref := host + "/test/keyless:v1"
	pushRandomImage(t, ref)
	s := vs.Signer(t, "builder@hallmark.dev", "https://accounts.hallmark.dev")
	pushed, err := oci.SignImage(t.Context(), ref, s, oci.Options{Transparency: signtest.Keyless(s, signtest.Evidence{Log: vs, TSA: vs})})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref)
	pinned := r.Context().Digest(pushed.Image[strings.LastIndex(pushed.Image, "@")+1:]).String()
	trusted := writeFile(t, "trusted.yaml", "signatures:\n  trusted_identities:\n    - {issuer: \"https://accounts.hallmark.dev\", subject: \"builder@hallmark.dev\"}\n")
	untrusted := writeFile(t, "untrusted.yaml", "signatures:\n  trusted_identities:\n    - {issuer: \"https://accounts.hallmark.dev\", subject: \"someone-else@hallmark.dev\"}\n")
	steps := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"trusted identity", []string{"gate", "registry:" + pinned, "--db", db, "--trusted-root", root, "--config", trusted, "--format", "json"}, ExitOK, []string{`"allow": true`}},
		{"other identity", []string{"gate", "registry:" + pinned, "--db", db, "--trusted-root", root, "--config", untrusted}, ExitNo, []string{"signature-trusted", "builder@hallmark.dev"}},
		{"no trusted root", []string{"gate", "registry:" + pinned, "--db", db, "--config", trusted}, ExitNo, []string{"signature-trusted"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", st.args...)
			if code != st.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, st.code, stdout, stderr)
			}
			for _, want := range st.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}
