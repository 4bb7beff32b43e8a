package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestAttestOutputs: `sbom --attest` and `scan --attest` sign exactly what they wrote, about
// the scanned artifact, and verify-attestation accepts it with the right type only.
func TestAttestOutputs(t *testing.T) {
	const keys = "../../sign/testdata/keys/"
	pw := map[string]string{"HALLMARK_PASSWORD": "hallmark-test", "SOURCE_DATE_EPOCH": "1700000000"}
	dir := t.TempDir()
	target := fix + "/scan/python/requirements.txt"
	db := fixtureDB(t)

	cases := []struct {
		name, typ string
		args      []string
	}{
		{"sbom-cyclonedx", "cyclonedx", []string{"sbom", target, "-o", filepath.Join(dir, "bom.json"), "--attest", "--key", keys + "cosign.key"}},
		{"sbom-spdx", "spdx", []string{"sbom", target, "-f", "spdx-json", "-o", filepath.Join(dir, "bom.spdx.json"), "--attest", "--key", keys + "cosign.key"}},
		{"scan-json", "vuln", []string{"scan", "--db", db, target, "-f", "json", "-o", filepath.Join(dir, "scan.json"), "--attest", "--key", keys + "cosign.key"}},
		{"scan-openvex", "openvex", []string{"scan", "--db", db, target, "-f", "openvex", "-o", filepath.Join(dir, "scan.vex.json"), "--attest", "--key", keys + "cosign.key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runKeyCLI(t, pw, "", c.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			out := c.args[slicesIndex(c.args, "-o")+1]
			bundle := out + ".att.sigstore.json"
			code, stdout, stderr := runKeyCLI(t, pw, "", "verify-attestation", target, "--bundle", bundle, "--key", keys+"cosign.pub", "--type", c.typ)
			if code != ExitOK {
				t.Fatalf("verify-attestation: exit %d: %s", code, stderr)
			}
			written, _ := os.ReadFile(out)
			if c.typ == "vuln" {
				var p struct {
					Scanner struct {
						Result json.RawMessage `json:"result"`
					} `json:"scanner"`
				}
				if err := json.Unmarshal([]byte(stdout), &p); err != nil {
					t.Fatal(err)
				}
				stdout = string(p.Scanner.Result)
			}
			if !jsonEqual(t, written, []byte(stdout)) {
				t.Error("the attested predicate is not the document that was written")
			}
			if code, _, _ := runKeyCLI(t, pw, "", "verify-attestation", target, "--bundle", bundle, "--key", keys+"cosign.pub", "--type", "slsaprovenance"); code != ExitNo {
				t.Errorf("wrong --type: exit %d, want %d", code, ExitNo)
			}
			if code, _, _ := runKeyCLI(t, pw, "", "verify-attestation", fix+"/scan/npm-2000/package.json", "--bundle", bundle, "--key", keys+"cosign.pub", "--type", c.typ); code != ExitNo {
				t.Errorf("another artifact: exit %d, want %d", code, ExitNo)
			}
		})
	}

	for _, bad := range [][]string{
		{"sbom", target, "--attest", "--key", keys + "cosign.key"},       // stdout, no --attest-bundle
		{"sbom", target, "-o", filepath.Join(dir, "x.json"), "--attest"}, // no key
		{"sbom", target, "-f", "table", "-o", filepath.Join(dir, "x.txt"), "--attest", "--key", keys + "cosign.key"},
		{"scan", "--db", db, target, "-f", "sarif", "-o", filepath.Join(dir, "x.sarif"), "--attest", "--key", keys + "cosign.key"},
		{"sbom", target, "--key", keys + "cosign.key"}, // --key without --attest
	} {
		if code, _, stderr := runKeyCLI(t, pw, "", bad...); code != ExitUsage {
			t.Errorf("%s: exit %d, want %d (%s)", strings.Join(bad, " "), code, ExitUsage, stderr)
		}
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("written output is not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("predicate is not JSON: %v", err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// TestAttestImageSBOM: `sbom registry:IMAGE --attest` attaches the SBOM to the image as a
// referrer, bound to the digest that was inventoried; verify-attestation finds it there.
func TestAttestImageSBOM(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(reg)
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/test/app:v1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	const keys = "../../sign/testdata/keys/"
	pw := map[string]string{"HALLMARK_PASSWORD": "hallmark-test", "SOURCE_DATE_EPOCH": "1700000000"}
	out := filepath.Join(t.TempDir(), "bom.json")
	target := "registry:" + host + "/test/app:v1"
	if code, _, stderr := runKeyCLI(t, pw, "", "sbom", target, "-o", out, "--attest", "--key", keys+"cosign.key"); code != ExitOK {
		t.Fatalf("sbom --attest: exit %d: %s", code, stderr)
	} else if !strings.Contains(stderr, "pushed as referrer") {
		t.Errorf("no referrer reported: %s", stderr)
	}
	code, stdout, stderr := runKeyCLI(t, pw, "", "verify-attestation", target, "--key", keys+"cosign.pub", "--type", "cyclonedx")
	if code != ExitOK {
		t.Fatalf("verify-attestation: exit %d: %s", code, stderr)
	}
	written, _ := os.ReadFile(out)
	if !jsonEqual(t, written, []byte(strings.TrimSpace(stdout))) {
		t.Error("the predicate attached to the image is not the SBOM that was written")
	}
	if code, _, _ := runKeyCLI(t, pw, "", "verify-attestation", target, "--key", keys+"cosign.pub", "--type", "spdx"); code != ExitNo {
		t.Errorf("no spdx attestation: exit %d, want %d", code, ExitNo)
	}
}
