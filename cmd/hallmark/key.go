package main

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hallmark-dev/hallmark/sign"
)

// passwordEnv holds the private key password for non-interactive use (cosign's is COSIGN_PASSWORD).
const passwordEnv = "HALLMARK_PASSWORD"

func newKeyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Generate or import signing key pairs (cosign-compatible)",
		Long: `Manage the key pairs hallmark signs with.

A key pair is two files: P.key, the private key encrypted with a password in exactly the
format cosign uses (so cosign keys work in hallmark and hallmark keys work in cosign), and
P.pub, the public key as PKIX PEM, which you give to whoever verifies.

The password comes from $HALLMARK_PASSWORD, else from a prompt on the terminal.`,
		Example: `  hallmark key generate
  hallmark key generate --output-prefix release --algorithm ed25519
  HALLMARK_PASSWORD=... hallmark key import ci-signing.pem --output-prefix ci`,
	}
	cmd.AddCommand(newKeyGenerateCmd(e), newKeyImportCmd(e))
	return cmd
}

func newKeyGenerateCmd(e *env) *cobra.Command {
	var prefix, algorithm string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a key pair: P.key (encrypted private key) and P.pub",
		Long: `Generate a new key pair and write P.key (mode 0600, encrypted with the password) and
P.pub. Existing files are never overwritten.

Algorithms: ecdsa-p256 (default; ECDSA P-256 with SHA-256, cosign's default) or ed25519
(pure Ed25519).`,
		Example: `  hallmark key generate
  hallmark key generate --output-prefix release --algorithm ed25519
  HALLMARK_PASSWORD="$(cat /run/secrets/pw)" hallmark key generate --output-prefix ci`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			alg := sign.Algorithm(algorithm)
			if !validFormat(algorithm, algorithmNames()) {
				return usageError{fmt.Errorf("--algorithm %q: want one of %s", algorithm, strings.Join(algorithmNames(), ", "))}
			}
			if err := checkNoKeyFiles(prefix); err != nil {
				return err
			}
			password, err := readPassword(e, true)
			if err != nil {
				return err
			}
			key, err := sign.GenerateKey(alg)
			if err != nil {
				return err
			}
			return writeKeyPair(e, prefix, key, password)
		},
	}
	cmd.Flags().StringVar(&prefix, "output-prefix", "hallmark", "write PREFIX.key and PREFIX.pub")
	cmd.Flags().StringVar(&algorithm, "algorithm", string(sign.ECDSAP256), "key algorithm: "+strings.Join(algorithmNames(), ", "))
	return cmd
}

func newKeyImportCmd(e *env) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "import PEM",
		Short: "Import an unencrypted private key as an encrypted key pair",
		Long: `Read an unencrypted private key (PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY" PEM, as
openssl writes them; ECDSA P-256 or ed25519) and write it as a key pair: P.key encrypted with
the password, and P.pub. PEM may be - for standard input. Existing files are never
overwritten. Delete the unencrypted original once you have checked the import.

A key already in cosign's encrypted format needs no import: use it as it is.`,
		Example: `  openssl genpkey -algorithm ed25519 -out plain.pem
  hallmark key import plain.pem --output-prefix release
  vault read -field=key secret/signing | HALLMARK_PASSWORD=... hallmark key import - --output-prefix ci`,
		Args: exactArgs(1, "PEM"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, name, err := readInput(e, args[0])
			if err != nil {
				return err
			}
			if sign.KeyIsEncrypted(data) {
				return usageError{fmt.Errorf("%s is already an encrypted key in cosign's format: use it as it is (hallmark sign --key %s)", name, name)}
			}
			key, err := sign.UnmarshalPrivateKey(data, nil)
			if err != nil {
				return keyError(name, err)
			}
			if err := checkNoKeyFiles(prefix); err != nil {
				return err
			}
			password, err := readPassword(e, true)
			if err != nil {
				return err
			}
			return writeKeyPair(e, prefix, key, password)
		},
	}
	cmd.Flags().StringVar(&prefix, "output-prefix", "hallmark", "write PREFIX.key and PREFIX.pub")
	return cmd
}

func algorithmNames() []string {
	names := make([]string, len(sign.Algorithms))
	for i, a := range sign.Algorithms {
		names[i] = string(a)
	}
	return names
}

// checkNoKeyFiles refuses before anything is generated or a password asked, so that a user
// never types a password for a key that is then not written.
func checkNoKeyFiles(prefix string) error {
	if prefix == "" {
		return usageError{errors.New("--output-prefix is empty")}
	}
	for _, p := range []string{prefix + ".key", prefix + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return codedError{code: ExitUsage, err: fmt.Errorf("%s already exists; hallmark never overwrites key files (choose another --output-prefix or move it away)", p)}
		}
	}
	return nil
}

// writeKeyPair writes PREFIX.key (0600) and PREFIX.pub (0644), each created exclusively, and
// leaves neither behind if either fails.
func writeKeyPair(e *env, prefix string, key crypto.Signer, password []byte) error {
	privPEM, err := sign.MarshalPrivateKey(key, password)
	if err != nil {
		return err
	}
	pubPEM, err := sign.MarshalPublicKey(key.Public())
	if err != nil {
		return err
	}
	keyPath, pubPath := prefix+".key", prefix+".pub"
	if err := createExclusive(keyPath, privPEM, 0o600); err != nil {
		return err
	}
	if err := createExclusive(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(keyPath)
		return err
	}
	if !e.quiet {
		alg, _ := sign.AlgorithmOf(key.Public())
		fmt.Fprintf(e.stderr, "hallmark: wrote %s (%s private key, encrypted) and %s (public key)\n", keyPath, alg, pubPath)
	}
	return nil
}

func createExclusive(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return codedError{code: ExitUsage, err: fmt.Errorf("%s already exists; hallmark never overwrites key files", path)}
		}
		return codedError{code: ExitUsage, err: err}
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readPassword returns the private key password: $HALLMARK_PASSWORD, else typed at a terminal
// prompt (twice when confirm). It refuses to prompt when standard input is not a terminal: a
// password read from a pipe would silently consume input meant for something else.
func readPassword(e *env, confirm bool) ([]byte, error) {
	if p := e.getenv(passwordEnv); p != "" {
		return []byte(p), nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, usageError{fmt.Errorf("no password: set %s (standard input is not a terminal, so hallmark cannot prompt for it)", passwordEnv)}
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(e.stderr, prompt)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		return pw, nil
	}
	pw, err := read("Enter password for private key: ")
	if err != nil {
		return nil, err
	}
	if !confirm {
		return pw, nil
	}
	if len(pw) == 0 {
		return nil, usageError{errors.New("empty password: anyone who gets the key file could sign as you")}
	}
	again, err := read("Enter password for private key again: ")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pw, again) {
		return nil, usageError{errors.New("the passwords do not match")}
	}
	return pw, nil
}

// readInput reads a file named on the command line, or standard input for "-".
func readInput(e *env, name string) ([]byte, string, error) {
	if name == "-" {
		b, err := io.ReadAll(e.stdin)
		return b, "<stdin>", err
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, name, codedError{code: ExitUsage, err: err}
	}
	return b, name, nil
}

// keyError names the key file and makes a bad key bad input (exit 2).
func keyError(name string, err error) error {
	err = fmt.Errorf("%s: %w", name, err)
	if errors.Is(err, sign.ErrWrongPassword) || errors.Is(err, sign.ErrMalformedKey) || errors.Is(err, sign.ErrUnsupportedKey) {
		return codedError{code: ExitUsage, err: err}
	}
	return err
}
