package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/sign"
)

func newReleaseCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Sign a release directory, and verify a downloaded one against its signed manifest",
		Long: `A signed release is a directory whose every file is listed, with its size and SHA-256, in an
in-toto statement (predicate type ` + sign.ReleasePredicateType + `) signed into a Sigstore bundle
stored in the directory itself, at ` + sign.ReleaseBundlePath + `.

The supplier runs "hallmark release sign DIR" before publishing; the customer runs "hallmark
release verify DIR" after downloading, before installing, and gets every difference at once.`,
	}
	cmd.AddCommand(newReleaseSignCmd(e), newReleaseVerifyCmd(e))
	return cmd
}

func newReleaseSignCmd(e *env) *cobra.Command {
	var keyPath string
	var sboms, provenance []string
	cmd := &cobra.Command{
		Use:   "sign DIR --key KEY [--sbom FILE]... [--provenance FILE]...",
		Short: "Sign a manifest of every file in a release directory",
		Long: `List every regular file under DIR (its path relative to DIR, size and SHA-256) in an in-toto
statement of predicate type ` + sign.ReleasePredicateType + `, one subject per file, sign it as a
DSSE envelope with a private key and write the Sigstore bundle to DIR/` + sign.ReleaseBundlePath + `
(that file is the only one not listed; an earlier bundle there is replaced).

A symbolic link, device, pipe or socket anywhere under DIR is refused: the manifest vouches for
file contents, and a link's target could change after signing. Hidden files are listed too.

--sbom and --provenance mark files of the release (paths as given on the command line, which
must lie inside DIR) as its SBOM or provenance, so that a customer knows where to find them;
repeat them for several. --key and its password work as in "hallmark sign".

The bundle carries no transparency-log entry yet. Because every file is a subject, any single
file also verifies with "hallmark verify-attestation FILE --bundle B --key P.pub --type
` + sign.ReleasePredicateType + `" or cosign verify-blob-attestation.`,
		Example: `  hallmark release sign dist --key release.key --sbom dist/sbom.cdx.json --provenance dist/app.intoto.jsonl
  HALLMARK_PASSWORD=... hallmark release sign ./out --key ci.key`,
		Args: exactArgs(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if keyPath == "" {
				return usageError{errors.New("--key is required: the private key to sign with (hallmark key generate makes one)")}
			}
			fi, err := os.Stat(dir)
			if err != nil {
				return codedError{code: ExitUsage, err: err}
			}
			if !fi.IsDir() {
				return codedError{code: ExitUsage, err: fmt.Errorf("%s is not a directory; sign a file with hallmark sign", dir)}
			}
			var opts sign.ReleaseOptions
			if opts.SBOM, err = releaseRefs(dir, "--sbom", sboms); err != nil {
				return err
			}
			if opts.Provenance, err = releaseRefs(dir, "--provenance", provenance); err != nil {
				return err
			}
			// Check the tree and references before the key: a stray symlink should not cost a
			// password prompt. SignRelease scans again; the second walk is what gets signed.
			files, err := sign.ScanRelease(cmd.Context(), dir)
			if err != nil {
				return releaseSignError(dir, err)
			}
			if _, err := sign.NewReleaseStatement(files, opts); err != nil {
				return releaseSignError(dir, err)
			}
			signer, err := loadSigner(e, keyPath)
			if err != nil {
				return err
			}
			b, m, err := sign.SignRelease(cmd.Context(), signer, dir, opts)
			if err != nil {
				return releaseSignError(dir, err)
			}
			bundlePath := filepath.Join(dir, filepath.FromSlash(sign.ReleaseBundlePath))
			if err := os.MkdirAll(filepath.Dir(bundlePath), 0o755); err != nil {
				return codedError{code: ExitUsage, err: err}
			}
			if err := writeBundle(e, bundlePath, b); err != nil {
				return err
			}
			if !e.quiet {
				fmt.Fprintf(e.stderr, "hallmark: signed release %s: %d file(s), %d SBOM(s), %d provenance file(s), with %s key %s; bundle written to %s\n",
					dir, len(m.Files), len(m.SBOM), len(m.Provenance), signer.Algorithm(),
					b.GetVerificationMaterial().GetPublicKey().GetHint(), bundlePath)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&keyPath, "key", "", "private key file (required)")
	fl.StringArrayVar(&sboms, "sbom", nil, "a file inside DIR that is the release's SBOM (repeatable)")
	fl.StringArrayVar(&provenance, "provenance", nil, "a file inside DIR that is the release's provenance (repeatable)")
	return cmd
}

// releaseRefs turns --sbom/--provenance paths, as given on the command line, into slash paths
// relative to dir; a path outside dir is a usage error, since the manifest only vouches for
// files it lists.
func releaseRefs(dir, flag string, paths []string) ([]string, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: err}
	}
	var refs []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("%s %s: %w", flag, p, err)}
		}
		rel, err := filepath.Rel(absDir, abs)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, usageError{fmt.Errorf("%s %s: not a file inside %s; the manifest can only point at files it lists", flag, p, dir)}
		}
		refs = append(refs, filepath.ToSlash(rel))
	}
	return refs, nil
}

func releaseSignError(dir string, err error) error {
	switch {
	case errors.Is(err, sign.ErrSignerFault):
		return codedError{code: ExitInternal, err: err}
	case errors.Is(err, sign.ErrReleaseTree), isPathError(err):
		return codedError{code: ExitUsage, err: fmt.Errorf("signing release %s: %w", dir, err)}
	}
	return fmt.Errorf("signing release %s: %w", dir, err)
}

func newReleaseVerifyCmd(e *env) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify DIR (--key PUB | --trusted-root ROOT --certificate-identity ID --certificate-oidc-issuer ISSUER)",
		Short: "Verify a release directory against its signed manifest, offline, listing every difference",
		Long: `Verify the release bundle (default DIR/` + sign.ReleaseBundlePath + `, or --bundle), then compare
DIR with the signed manifest and list every problem, not just the first: files added, removed,
modified (same size, other SHA-256), resized, or replaced by a symbolic link or other
non-regular file. When the signature does not verify, that is the one problem reported: an
unsigned manifest proves nothing, so nothing is compared.

Key and keyless flags work as in "hallmark verify". Nothing is fetched.

Exit status: 0 the directory is exactly what was signed; 1 not verified (signature, predicate
type, or any difference; all listed on standard output); 2 malformed input (unreadable or
malformed bundle or manifest, not a directory, bad key, bad flags).`,
		Example: `  hallmark release verify ./app-1.4.0 --key vendor.pub
  hallmark release verify ./app-1.4.0 --key vendor.pub --format json
  hallmark release verify ./app-1.4.0 --bundle app-1.4.0.release.sigstore.json --trusted-root trusted_root.json \
    --certificate-identity-regexp '^https://github\.com/org/app/' \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
		Args: exactArgs(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReleaseVerify(cmd, e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "release bundle (default DIR/"+sign.ReleaseBundlePath+")")
	f.register(fl, "release")
	return cmd
}

func runReleaseVerify(cmd *cobra.Command, e *env, f *verifyFlags, dir string) error {
	if !validFormat(f.format, verifyFormats) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(verifyFormats, ", "))}
	}
	policy, err := verifyPolicy(f)
	if err != nil {
		return err
	}
	bundlePath := f.bundle
	if bundlePath == "" {
		bundlePath = filepath.Join(dir, filepath.FromSlash(sign.ReleaseBundlePath))
	}
	bundleJSON, err := readVerifyInput(bundlePath, "--bundle")
	if err != nil {
		return err
	}
	rep, err := sign.VerifyRelease(cmd.Context(), dir, bundleJSON, policy)
	if rep == nil {
		// Nothing was compared: bad input, or a statement that is not a release manifest.
		if errors.Is(err, sign.ErrReleaseTree) {
			return codedError{code: ExitUsage, err: err}
		}
		return verifyError(dir, bundlePath, err)
	}
	out := releaseVerifyOutput{SchemaVersion: 1, Verified: err == nil, Dir: dir, Bundle: bundlePath,
		Result: rep.Result, Manifest: rep.Manifest, Problems: rep.Problems}
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(out); werr != nil {
			return werr
		}
	} else if werr := writeReleaseText(e.stdout, out); werr != nil {
		return werr
	}
	if err != nil {
		return codedError{code: ExitNo, err: fmt.Errorf("release %s: not verified: %w", dir, err)}
	}
	return nil
}

// releaseVerifyOutput is the JSON output of `hallmark release verify`, schema version 1
// (docs/commands/release.md).
type releaseVerifyOutput struct {
	SchemaVersion int                   `json:"schemaVersion"`
	Verified      bool                  `json:"verified"`
	Dir           string                `json:"dir"`
	Bundle        string                `json:"bundle"`
	Result        *sign.Result          `json:"result,omitempty"`
	Manifest      *sign.ReleaseManifest `json:"manifest,omitempty"`
	Problems      []sign.ReleaseProblem `json:"problems"`
}

func writeReleaseText(w io.Writer, o releaseVerifyOutput) error {
	var b bytes.Buffer
	if o.Verified {
		fmt.Fprintf(&b, "Verified OK: %s\n", o.Dir)
		fmt.Fprintf(&b, "  files:         %d, each matching the signed manifest (size and SHA-256)\n", len(o.Manifest.Files))
	} else {
		fmt.Fprintf(&b, "NOT VERIFIED: %s: %d problem(s)\n", o.Dir, len(o.Problems))
	}
	if r := o.Result; r != nil {
		switch r.Signer.Kind {
		case "certificate":
			fmt.Fprintf(&b, "  signed by:     %s (OIDC issuer %s)\n", r.Signer.Identity, r.Signer.Issuer)
		default:
			fmt.Fprintf(&b, "  signed by:     key %s\n", r.Signer.KeyID)
		}
	}
	if m := o.Manifest; m != nil {
		for _, s := range m.SBOM {
			fmt.Fprintf(&b, "  SBOM:          %s\n", s.Path)
		}
		for _, s := range m.Provenance {
			fmt.Fprintf(&b, "  provenance:    %s\n", s.Path)
		}
	}
	for _, p := range o.Problems {
		switch p.Kind {
		case sign.ProblemSignature:
			fmt.Fprintf(&b, "  %-13s  %s\n", p.Kind, p.Detail)
		case sign.ProblemModified:
			fmt.Fprintf(&b, "  %-13s  %s (signed %s, found %s)\n", p.Kind, p.Path, p.Want, p.Got)
		case sign.ProblemSizeChanged:
			fmt.Fprintf(&b, "  %-13s  %s (signed %s bytes, found %s)\n", p.Kind, p.Path, p.Want, p.Got)
		case sign.ProblemNotRegular:
			fmt.Fprintf(&b, "  %-13s  %s (%s)\n", p.Kind, p.Path, p.Detail)
		default:
			fmt.Fprintf(&b, "  %-13s  %s\n", p.Kind, p.Path)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
