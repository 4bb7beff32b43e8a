package main

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
)

func newSignCmd(e *env) *cobra.Command {
	var keyPath, bundlePath, tlogURL string
	cmd := &cobra.Command{
		Use:   "sign FILE|registry:IMAGE",
		Short: "Sign a file with a key and write a Sigstore bundle",
		Long: `Sign FILE (any blob: a release archive, a binary, an SBOM) with a private key and write
a Sigstore bundle (v0.3 JSON) holding the signature, the file's SHA-256 and the key's hint.

--key is a key pair's private half from "hallmark key generate" or cosign (encrypted; the
password comes from $HALLMARK_PASSWORD or a terminal prompt), or an unencrypted PKCS#8 or
EC private key PEM. The bundle is written atomically to --bundle (default FILE.sigstore.json;
- for standard output). FILE may be - for standard input, with --bundle given.

Without --tlog the bundle carries no transparency-log entry: it verifies offline with the
public key, with "hallmark verify" or "cosign verify-blob --key P.pub --bundle B
--insecure-ignore-tlog=true FILE". --tlog URL submits the signature (digest, signature, public
key: a Rekor v2 hashedrekord entry) to a hallmark transparency log (hallmark log serve) and
embeds the entry, its inclusion proof and the log's checkpoint in the bundle; verify it with
--tlog-key LOG.vkey [--require-tlog]. Ed25519 blob signatures cannot be logged (the log checks
signatures over the digest); use an ECDSA key.

registry:IMAGE signs a container image in a registry, as cosign v3 does: the tag is resolved
to the manifest digest, an in-toto statement about that digest (predicate type
https://sigstore.dev/cosign/sign/v1) is signed into a bundle, and the bundle is pushed next to
the image as an OCI 1.1 referrer (or under the sha256-<hex> referrers tag when the registry
lacks the referrers API). Registry credentials come from ~/.docker/config.json. --bundle, if
given, also writes a copy of the bundle. Verify with "hallmark verify registry:IMAGE --key P.pub"
or "cosign verify --key P.pub --insecure-ignore-tlog=true IMAGE".`,
		Example: `  hallmark sign app.tar.gz --key release.key
  hallmark sign app.tar.gz --key release.key --bundle app.tar.gz.sigstore.json
  HALLMARK_PASSWORD=... hallmark sign sbom.cdx.json --key ci.key --bundle - > sbom.bundle.json
  hallmark sign registry:ghcr.io/org/app:1.4.0 --key release.key
  hallmark sign app.tar.gz --key release.key --tlog http://log.example.com:8090`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if keyPath == "" {
				return usageError{errors.New("--key is required: the private key to sign with (hallmark key generate makes one)")}
			}
			if ref, ok := strings.CutPrefix(name, source.RegistryPrefix); ok {
				return runSignImage(cmd, e, keyPath, bundlePath, tlogURL, ref)
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
				return signError("signing", name, err)
			}
			where, err := logAndWriteBundle(cmd.Context(), e, tlogURL, bundlePath, b, signer.Public())
			if err != nil {
				return err
			}
			if !e.quiet {
				digest := hex.EncodeToString(b.GetMessageSignature().GetMessageDigest().GetDigest())
				fmt.Fprintf(e.stderr, "hallmark: signed %s (sha256:%s) with %s key %s; bundle written to %s\n",
					name, digest, signer.Algorithm(), b.GetVerificationMaterial().GetPublicKey().GetHint(), where)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key file (required)")
	cmd.Flags().StringVar(&bundlePath, "bundle", "", "write the bundle to FILE, - for standard output (default FILE.sigstore.json)")
	cmd.Flags().StringVar(&tlogURL, "tlog", "", "submit the signature to the hallmark transparency log at URL and embed the inclusion proof")
	return cmd
}

// runSignImage signs an image in a registry and pushes the signature as a referrer.
func runSignImage(cmd *cobra.Command, e *env, keyPath, bundlePath, tlogURL, ref string) error {
	signer, err := loadSigner(e, keyPath)
	if err != nil {
		return err
	}
	pushed, err := oci.SignImage(cmd.Context(), ref, signer, imageOptions(e, tlogURL, signer))
	if err != nil {
		return signError("signing", source.RegistryPrefix+ref, err)
	}
	if err := writeBundleCopy(e, bundlePath, pushed); err != nil {
		return err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: signed %s (%s) with %s key %s; signature pushed as referrer %s\n",
			source.RegistryPrefix+ref, pushed.Image, signer.Algorithm(),
			pushed.Bundle.GetVerificationMaterial().GetPublicKey().GetHint(), pushed.Referrer)
	}
	return nil
}

// signError gives a signing failure its exit code: a signer that misbehaved is an internal
// error (3); anything else keeps the code of its cause.
func signError(verb, name string, err error) error {
	if errors.Is(err, sign.ErrSignerFault) {
		return codedError{code: ExitInternal, err: err}
	}
	return fmt.Errorf("%s %s: %w", verb, name, err)
}

// logAndWriteBundle submits a freshly signed bundle to the transparency log at tlogURL (when
// given), then writes it to bundlePath; it returns where the bundle went, for the summary line.
func logAndWriteBundle(ctx context.Context, e *env, tlogURL, bundlePath string, b *bundle.Bundle, pub crypto.PublicKey) (string, error) {
	if tlogURL != "" {
		if err := logBundle(ctx, e, tlogURL, b, pub); err != nil {
			return "", err
		}
	}
	if err := writeBundle(e, bundlePath, b); err != nil {
		return "", err
	}
	if bundlePath == "-" {
		return "standard output", nil
	}
	return bundlePath, nil
}

// imageOptions are the sign/oci options of an image signature: with --tlog, the bundle is
// logged (and the entry embedded) before it is pushed.
func imageOptions(e *env, tlogURL string, signer sign.Signer) oci.Options {
	var o oci.Options
	if tlogURL != "" {
		o.Transparency = func(ctx context.Context, b *bundle.Bundle) error {
			return logBundle(ctx, e, tlogURL, b, signer.Public())
		}
	}
	return o
}

// writeBundleCopy writes the bundle pushed to a registry to bundlePath too, when asked.
func writeBundleCopy(e *env, bundlePath string, pushed *oci.Pushed) error {
	if bundlePath == "" {
		return nil
	}
	return writeBundle(e, bundlePath, pushed.Bundle)
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

// writeBundle writes a bundle as JSON to path (atomically; "-" is stdout).
func writeBundle(e *env, path string, b *bundle.Bundle) error {
	out, err := sign.MarshalBundle(b)
	if err != nil {
		return err
	}
	return writeOutput(path, e.stdout, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
}
