package main

import (
	"bytes"
	"context"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/sign"
)

// signKeys is sign's key fixture directory (sign/testdata/keys/PROVENANCE.md).
const signKeys = "../../sign/testdata/keys"

// runKeyCLI runs one hallmark invocation like run does, with the key and sign commands
// registered even before main.go lists them, and returns exit code, stdout and stderr.
func runKeyCLI(t testing.TB, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = exitCode(err)
		if !isSilent(err) {
			stderr.WriteString("hallmark: " + err.Error() + "\n")
		}
	}
	return code, stdout.String(), stderr.String()
}

var withPassword = map[string]string{"HALLMARK_PASSWORD": "cli test password"}

func TestKeyGenerate(t *testing.T) {
	for _, alg := range sign.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "release")
			code, _, stderr := runKeyCLI(t, withPassword, "", "key", "generate", "--output-prefix", prefix, "--algorithm", string(alg))
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "wrote "+prefix+".key") {
				t.Errorf("stderr = %q", stderr)
			}
			checkMode(t, prefix+".key", 0o600)
			checkMode(t, prefix+".pub", 0o644)
			privPEM, _ := os.ReadFile(prefix + ".key")
			pubPEM, _ := os.ReadFile(prefix + ".pub")
			key, err := sign.UnmarshalPrivateKey(privPEM, []byte(withPassword["HALLMARK_PASSWORD"]))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := sign.AlgorithmOf(key.Public()); got != alg {
				t.Errorf("algorithm %q, want %q", got, alg)
			}
			pub, err := sign.UnmarshalPublicKey(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			if h1, _ := sign.KeyHint(pub); h1 != mustHint(t, key.Public()) {
				t.Error(".pub is not the public half of .key")
			}

			// A second run never overwrites.
			code, _, stderr = runKeyCLI(t, withPassword, "", "key", "generate", "--output-prefix", prefix)
			if code != ExitUsage || !strings.Contains(stderr, "already exists") {
				t.Fatalf("second generate: exit %d, stderr %q", code, stderr)
			}
			if again, _ := os.ReadFile(prefix + ".key"); !bytes.Equal(again, privPEM) {
				t.Fatal("existing key file was changed")
			}
		})
	}
}

func mustHint(t *testing.T, pub any) string {
	t.Helper()
	h, err := sign.KeyHint(pub)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got&^0o022 != want&^0o022 || got&0o077 > want&0o077 {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestKeyCLIErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	os.WriteFile(existing+".pub", []byte("x"), 0o644)
	for _, tc := range []struct {
		name   string
		vars   map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no-password-no-terminal", nil, []string{"key", "generate", "--output-prefix", filepath.Join(dir, "a")}, ExitUsage, "set HALLMARK_PASSWORD"},
		{"bad-algorithm", withPassword, []string{"key", "generate", "--output-prefix", filepath.Join(dir, "b"), "--algorithm", "rsa"}, ExitUsage, `--algorithm "rsa": want one of ecdsa-p256, ed25519`},
		{"pub-exists", withPassword, []string{"key", "generate", "--output-prefix", existing}, ExitUsage, existing + ".pub already exists"},
		{"extra-arg", withPassword, []string{"key", "generate", "x"}, ExitUsage, "want no arguments"},
		{"import-already-encrypted", withPassword, []string{"key", "import", signKeys + "/cosign.key", "--output-prefix", filepath.Join(dir, "c")}, ExitUsage, "already an encrypted key"},
		{"import-public-key", withPassword, []string{"key", "import", signKeys + "/cosign.pub", "--output-prefix", filepath.Join(dir, "d")}, ExitUsage, "malformed key"},
		{"import-rsa", withPassword, []string{"key", "import", signKeys + "/openssl-rsa.pem", "--output-prefix", filepath.Join(dir, "e")}, ExitUsage, "unsupported key: RSA"},
		{"import-missing", withPassword, []string{"key", "import", filepath.Join(dir, "nope.pem")}, ExitUsage, "no such file"},
		{"import-no-arg", withPassword, []string{"key", "import"}, ExitUsage, "want PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runKeyCLI(t, tc.vars, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	// Nothing was written by the failures.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"existing.pub"}, names); diff != "" {
		t.Errorf("files left behind (-want +got):\n%s", diff)
	}
}

func TestKeyImport(t *testing.T) {
	for _, tc := range []struct{ pem, pub string }{
		{"openssl-ed25519.pem", "openssl-ed25519.pub"},
		{"openssl-ec.pem", "openssl-ec.pub"},
		{"openssl-ec-pkcs8.pem", "openssl-ec.pub"},
	} {
		t.Run(tc.pem, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "imported")
			in, _ := os.ReadFile(filepath.Join(signKeys, tc.pem))
			// Through standard input, as from a secret store.
			code, _, stderr := runKeyCLI(t, withPassword, string(in), "key", "import", "-", "--output-prefix", prefix)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			privPEM, _ := os.ReadFile(prefix + ".key")
			if !sign.KeyIsEncrypted(privPEM) {
				t.Fatal("imported key is not encrypted")
			}
			key, err := sign.UnmarshalPrivateKey(privPEM, []byte(withPassword["HALLMARK_PASSWORD"]))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := sign.UnmarshalPrivateKey(in, nil)
			if !orig.(interface{ Equal(crypto.PrivateKey) bool }).Equal(key) {
				t.Fatal("imported key differs from the original")
			}
			gotPub, _ := os.ReadFile(prefix + ".pub")
			wantPub, _ := os.ReadFile(filepath.Join(signKeys, tc.pub))
			if diff := cmp.Diff(string(wantPub), string(gotPub)); diff != "" {
				t.Errorf(".pub differs from openssl's (-openssl +hallmark):\n%s", diff)
			}
		})
	}
}
