package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/sign"
)

func newSignCmd(e *env) *cobra.Command {
	var keyPath, bundlePath string
	cmd := &cobra.Command{
		Use:   "sign FILE",
		Short: "Sign a file with a key and write a Sigstore bundle",
		Long: `Sign FILE (any blob: a release archive, a binary, an SBOM) with a private key and write
a Sigstore bundle (v0.3 JSON) holding the signature, the file's SHA-256 and the key's hint.

--key is a key pair's private half from "hallmark key generate" or cosign (encrypted; the
password comes from $HALLMARK_PASSWORD or a terminal prompt), or an unencrypted PKCS#8 or
EC private key PEM. The bundle is written atomically to --bundle (default FILE.sigstore.json;
- for standard output). FILE may be - for standard input, with --bundle given.

The bundle carries no transparency-log entry yet: it verifies offline with the public key,
with "hallmark verify" or "cosign verify-blob --key P.pub --bundle B --insecure-ignore-tlog=true FILE".`,
		Example: `  hallmark sign app.tar.gz --key release.key
  hallmark sign app.tar.gz --key release.key --bundle app.tar.gz.sigstore.json
  HALLMARK_PASSWORD=... hallmark sign sbom.cdx.json --key ci.key --bundle - > sbom.bundle.json`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if keyPath == "" {
				return usageError{errors.New("--key is required: the private key to sign with (hallmark key generate makes one)")}
			}
			if bundlePath == "" {
				if name == "-" {
					return usageError{errors.New("--bundle is required when FILE is standard input")}
				}
				bundlePath = name + ".sigstore.json"
			}
			// Open FILE first: a typo should not cost a password prompt.
			var r io.Reader = e.stdin
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return codedError{code: ExitUsage, err: err}
				}
				defer f.Close()
				r = f
			}
			signer, err := loadSigner(e, keyPath)
			if err != nil {
				return err
			}
			b, err := sign.SignBlob(cmd.Context(), signer, r)
			if err != nil {
				if errors.Is(err, sign.ErrSignerFault) {
					return codedError{code: ExitInternal, err: err}
				}
				return fmt.Errorf("signing %s: %w", name, err)
			}
			out, err := sign.MarshalBundle(b)
			if err != nil {
				return err
			}
			if err := writeOutput(bundlePath, e.stdout, func(w io.Writer) error {
				_, err := w.Write(out)
				return err
			}); err != nil {
				return err
			}
			if !e.quiet {
				where := bundlePath
				if where == "-" {
					where = "standard output"
				}
				digest := hex.EncodeToString(b.GetMessageSignature().GetMessageDigest().GetDigest())
				fmt.Fprintf(e.stderr, "hallmark: signed %s (sha256:%s) with %s key %s; bundle written to %s\n",
					name, digest, signer.Algorithm(), b.GetVerificationMaterial().GetPublicKey().GetHint(), where)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key file (required)")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "write the bundle to FILE, - for standard output (default FILE.sigstore.json)")
	return cmd
}

// loadSigner reads a private key file, asking for the password only when it is encrypted.
func loadSigner(e *env, path string) (*sign.KeySigner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--key: %w", err)}
	}
	var password []byte
	if sign.KeyIsEncrypted(data) {
		// Empty is allowed here (cosign keys may have one); generate and import refuse it.
		if password, err = readPassword(e, false); err != nil {
			return nil, err
		}
	}
	s, err := sign.LoadSigner(data, password)
	if err != nil {
		return nil, keyError(path, err)
	}
	return s, nil
}
