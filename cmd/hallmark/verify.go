package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
)

// maxBundleSize bounds what `hallmark verify` reads as a bundle or trusted root: a bundle with
// an attested SBOM is a few MB; anything far larger is not a bundle.
const maxBundleSize = 64 << 20

type verifyFlags struct {
	bundle, key, trustedRoot string
	identity, identityRegexp string
	issuer, issuerRegexp     string
	format                   string
	tlogKey                  string
	requireTlog              bool
}

// register adds the key, keyless and --format flags every verifying command shares (flag
// names as cosign names them); what names the thing that must be signed.
func (f *verifyFlags) register(fl *pflag.FlagSet, what string) {
	fl.StringVar(&f.key, "key", "", "PEM public key the "+what+" must be signed with")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted root JSON (required for keyless; with --key, also checks the transparency log)")
	fl.StringVar(&f.identity, "certificate-identity", "", "expected certificate identity (Subject Alternative Name), exact")
	fl.StringVar(&f.identityRegexp, "certificate-identity-regexp", "", "expected certificate identity, Go regular expression")
	fl.StringVar(&f.issuer, "certificate-oidc-issuer", "", "expected OIDC issuer of the certificate, exact")
	fl.StringVar(&f.issuerRegexp, "certificate-oidc-issuer-regexp", "", "expected OIDC issuer, Go regular expression")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(verifyFormats, ", "))
	fl.StringVar(&f.tlogKey, "tlog-key", "", "C2SP verifier key file of a hallmark transparency log (its log.vkey): check the bundle's entries in that log offline")
	fl.BoolVar(&f.requireTlog, "require-tlog", false, "fail unless the bundle has a verified entry in the --tlog-key log")
}

var verifyFormats = []string{"text", "json"}

func newVerifyCmd(e *env) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify (FILE --bundle BUNDLE | registry:IMAGE) (--key PUB | --trusted-root ROOT --certificate-identity ID --certificate-oidc-issuer ISSUER)",
		Short: "Verify a Sigstore bundle for a file, with a key or keyless, offline",
		Long: `Verify that BUNDLE (a Sigstore bundle, v0.1 to v0.3, as cosign sign-blob --bundle and
hallmark sign write it) is a valid signature of FILE. Nothing is fetched: verification is
offline against the key or trusted root given.

Key-based (--key PUB, a PEM public key): the signature must verify with that key. Add
--trusted-root to also require and check the bundle's transparency log entry and timestamps.

Keyless (--trusted-root ROOT.json, e.g. the trusted_root.json of Sigstore's TUF repository): the
Fulcio certificate must chain to a CA of the root at a time a transparency log or timestamp
authority of the root vouches for, carry an SCT from one of its CT logs, and name the expected
identity (--certificate-identity or --certificate-identity-regexp) and OIDC issuer
(--certificate-oidc-issuer or --certificate-oidc-issuer-regexp). Regular expressions are not
anchored, as in cosign: write ^...$.

registry:IMAGE (no --bundle) verifies a container image in a registry: the tag is resolved to
its manifest digest and every Sigstore bundle referring to that digest (OCI 1.1 referrers, or
the sha256-<hex> referrers tag) is verified as a signature of it, as "hallmark sign
registry:IMAGE" and "cosign sign" (v3) push them. Every signature that verified is listed; one
is enough. cosign's legacy ".sig" tag signatures are not read.

Exit status: 0 verified; 1 not verified (the reason is named: signature, artifact digest
mismatch, certificate identity, untrusted certificate, transparency log, timestamp, algorithm;
for an image, also no signature found); 2 malformed input (unreadable or malformed bundle, key
or trusted root; bad flags; no such image); 3 the registry could not be reached.`,
		Example: `  # A blob signed with a key (hallmark sign, cosign sign-blob --key)
  hallmark verify app.tar.gz --bundle app.tar.gz.sigstore.json --key cosign.pub

  # A blob signed keyless in GitHub Actions, against Sigstore's public-good trusted root
  hallmark verify app.tar.gz --bundle app.sigstore.json --trusted-root trusted_root.json \
    --certificate-identity https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.4.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com

  # Any release workflow of the organisation, JSON output
  hallmark verify app.tar.gz --bundle app.sigstore.json --trusted-root trusted_root.json \
    --certificate-identity-regexp '^https://github\.com/org/' \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com --format json

  # An image signed in its registry (hallmark sign registry:..., cosign sign)
  hallmark verify registry:ghcr.io/org/app:1.4.0 --key release.pub`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd, e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "Sigstore bundle to verify (required)")
	f.register(fl, "artifact")
	return cmd
}

func runVerify(cmd *cobra.Command, e *env, f *verifyFlags, file string) error {
	if !validFormat(f.format, verifyFormats) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(verifyFormats, ", "))}
	}
	ref, registry := strings.CutPrefix(file, source.RegistryPrefix)
	switch {
	case f.bundle == "" && !registry:
		return usageError{errors.New("--bundle is required")}
	case f.bundle != "" && registry:
		return usageError{errors.New("--bundle is not used with registry:IMAGE: the signatures are read from the registry")}
	}
	err := runVerifyOnce(cmd, e, f, file, ref, registry)
	if err != nil && f.format == "json" && !isUsage(err) {
		// A script reading the JSON gets an answer on failure too; the message also goes to
		// standard error and the exit code is unchanged.
		bundle := f.bundle
		if registry {
			bundle = ""
		}
		encodeJSON(e.stdout, verifyFailure{SchemaVersion: 1, Verified: false, File: file, Bundle: bundle,
			Error: reportError{Code: verifyErrorCode(err), Message: err.Error()}})
	}
	return err
}

// verifyFailure is the JSON output of a verification that failed (docs/commands/verify.md).
type verifyFailure struct {
	SchemaVersion int         `json:"schemaVersion"`
	Verified      bool        `json:"verified"`
	File          string      `json:"file"`
	Bundle        string      `json:"bundle,omitempty"`
	Error         reportError `json:"error"`
}

// isUsage reports a bad-flags error: no verification was attempted, so no JSON answer.
func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runVerifyOnce(cmd *cobra.Command, e *env, f *verifyFlags, file, ref string, registry bool) error {
	policy, err := verifyPolicy(f)
	if err != nil {
		return err
	}
	if registry {
		return runVerifyImage(cmd, e, f.format, ref, policy, "")
	}
	bundleJSON, err := readVerifyInput(f.bundle, "--bundle")
	if err != nil {
		return err
	}
	art, err := os.Open(file)
	if err != nil {
		return codedError{code: ExitUsage, err: err}
	}
	defer art.Close()

	res, err := sign.Verify(cmd.Context(), art, bundleJSON, policy)
	if err != nil {
		return verifyError(file, f.bundle, err)
	}
	if f.format == "json" {
		return writeVerifyJSON(e.stdout, file, f.bundle, res)
	}
	return writeVerifyText(e.stdout, file, res)
}

// verifyError gives a failed verification its exit code: malformed input is 2, a bundle that
// does not verify is 1, anything else (an unreadable artifact, cancellation) is 3.
func verifyError(file, bundlePath string, err error) error {
	switch {
	case errors.Is(err, sign.ErrMalformedBundle), errors.Is(err, sign.ErrTrustedRoot), errors.Is(err, sign.ErrInvalidPolicy):
		return codedError{code: ExitUsage, err: fmt.Errorf("%s: %w", bundlePath, err)}
	case errors.Is(err, sign.ErrVerification):
		return codedError{code: ExitNo, err: fmt.Errorf("%s: not verified: %w", file, err)}
	case isPathError(err):
		return codedError{code: ExitUsage, err: err}
	}
	return codedError{code: ExitInternal, err: err}
}

// readVerifyInput reads a small input file named by a flag, at most maxBundleSize bytes.
func readVerifyInput(path, flag string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("%s: %w", flag, err)}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxBundleSize+1))
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("%s %s: %w", flag, path, err)}
	}
	if len(data) > maxBundleSize {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("%s %s: larger than %d MiB", flag, path, maxBundleSize>>20)}
	}
	return data, nil
}

func writeVerifyText(w io.Writer, file string, r *sign.Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Verified OK: %s\n", file)
	fmt.Fprintf(&b, "  artifact:      %s\n", r.Artifact)
	switch r.Signer.Kind {
	case "certificate":
		fmt.Fprintf(&b, "  signed by:     %s\n", r.Signer.Identity)
		fmt.Fprintf(&b, "  OIDC issuer:   %s\n", r.Signer.Issuer)
		fmt.Fprintf(&b, "  certificate:   issued by %s\n", r.Signer.CertificateAuthority)
	default:
		fmt.Fprintf(&b, "  signed by:     key %s\n", r.Signer.KeyID)
	}
	if s := r.Statement; s != nil {
		fmt.Fprintf(&b, "  attestation:   %s (%d subject(s))\n", s.PredicateType, len(s.Subjects))
	}
	if len(r.TransparencyLog) == 0 {
		fmt.Fprintf(&b, "  tlog:          not checked (no --trusted-root or --tlog-key)\n")
	}
	for _, e := range r.TransparencyLog {
		fmt.Fprintf(&b, "  tlog entry:    %s index %d", e.LogURL, e.LogIndex)
		if e.IntegratedTime != nil {
			fmt.Fprintf(&b, ", integrated %s", e.IntegratedTime.Format("2006-01-02T15:04:05Z"))
		}
		b.WriteString("\n")
	}
	for _, t := range r.Timestamps {
		fmt.Fprintf(&b, "  timestamp:     %s by %s", t.Time.Format("2006-01-02T15:04:05Z"), t.Source)
		if t.URI != "" {
			fmt.Fprintf(&b, " (%s)", t.URI)
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// verifyOutput is the JSON output of `hallmark verify`, schema version 1
// (docs/commands/verify.md).
type verifyOutput struct {
	SchemaVersion int    `json:"schemaVersion"`
	Verified      bool   `json:"verified"`
	File          string `json:"file"`
	Bundle        string `json:"bundle"`
	*sign.Result
}

func writeVerifyJSON(w io.Writer, file, bundlePath string, r *sign.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(verifyOutput{SchemaVersion: 1, Verified: true, File: file, Bundle: bundlePath, Result: r})
}

// runVerifyImage verifies the signatures (or, with predicateType, the attestations) of an
// image in a registry and prints what verified.
func runVerifyImage(cmd *cobra.Command, e *env, format, ref string, policy sign.Policy, predicateType string) error {
	target := source.RegistryPrefix + ref
	verified, err := oci.VerifyImage(cmd.Context(), ref, policy, oci.VerifyOptions{PredicateType: predicateType})
	if err != nil {
		return verifyImageError(target, err)
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(verifyImageOutput{SchemaVersion: 1, Verified: true, Target: target, Image: verified[0].Image, Bundles: verified})
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Verified OK: %s\n", target)
	fmt.Fprintf(&b, "  image:         %s\n", verified[0].Image)
	for _, v := range verified {
		fmt.Fprintf(&b, "  %-14s referrer %s\n", v.Kind+":", v.Referrer)
		var one bytes.Buffer
		if err := writeVerifyText(&one, "", v.Result); err != nil {
			return err
		}
		// Reuse the file report's detail lines, indented under their referrer.
		lines := strings.Split(strings.TrimRight(one.String(), "\n"), "\n")[1:]
		for _, l := range lines {
			if strings.HasPrefix(l, "  artifact:") {
				continue
			}
			b.WriteString("  " + l + "\n")
		}
	}
	_, err = e.stdout.Write(b.Bytes())
	return err
}

// verifyImageError gives a failed image verification its exit code: no (valid) signature is
// 1, whatever the bundles' own failures were; registry errors keep the source room's codes.
func verifyImageError(target string, err error) error {
	switch {
	case errors.Is(err, oci.ErrNoSignature), errors.Is(err, oci.ErrNoValidSignature):
		return codedError{code: ExitNo, err: fmt.Errorf("%s: not verified: %w", target, err)}
	case errors.Is(err, source.ErrRegistry), errors.Is(err, source.ErrNotFound):
		return err
	}
	return verifyError(target, target, err)
}

// verifyImageOutput is the JSON output of `hallmark verify registry:IMAGE`, schema version 1
// (docs/commands/verify.md).
type verifyImageOutput struct {
	SchemaVersion int            `json:"schemaVersion"`
	Verified      bool           `json:"verified"`
	Target        string         `json:"target"`
	Image         string         `json:"image"`
	Bundles       []oci.Verified `json:"bundles"`
}

// verifyPolicy builds the verification policy from the key and keyless flags, for verify and
// release verify alike.
func verifyPolicy(f *verifyFlags) (sign.Policy, error) {
	keyless := f.identity != "" || f.identityRegexp != "" || f.issuer != "" || f.issuerRegexp != ""
	switch {
	case f.key != "" && keyless:
		return sign.Policy{}, usageError{errors.New("--key and --certificate-* flags are exclusive: verify with a key or keyless, not both")}
	case f.key == "" && f.trustedRoot == "":
		return sign.Policy{}, usageError{errors.New("give --key PUB, or --trusted-root with --certificate-identity and --certificate-oidc-issuer")}
	case f.key == "" && !keyless:
		return sign.Policy{}, usageError{errors.New("keyless verification needs --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp)")}
	}
	var trusted root.TrustedMaterial
	if f.trustedRoot != "" {
		data, err := readVerifyInput(f.trustedRoot, "--trusted-root")
		if err != nil {
			return sign.Policy{}, err
		}
		tr, err := sign.ParseTrustedRoot(data)
		if err != nil {
			return sign.Policy{}, codedError{code: ExitUsage, err: fmt.Errorf("--trusted-root %s: %w", f.trustedRoot, err)}
		}
		trusted = tr
	}
	var (
		p   sign.Policy
		err error
	)
	if f.key != "" {
		data, rerr := readVerifyInput(f.key, "--key")
		if rerr != nil {
			return sign.Policy{}, rerr
		}
		pub, perr := cryptoutils.UnmarshalPEMToPublicKey(data)
		if perr != nil {
			return sign.Policy{}, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: not a PEM public key: %w", f.key, perr)}
		}
		p, err = sign.NewKeyPolicy(pub, trusted)
	} else {
		p, err = sign.NewKeylessPolicy(trusted, sign.Identity{
			SubjectAlternativeName: f.identity, SubjectAlternativeNameRegexp: f.identityRegexp,
			Issuer: f.issuer, IssuerRegexp: f.issuerRegexp,
		})
	}
	if err != nil {
		return sign.Policy{}, codedError{code: ExitUsage, err: err}
	}
	return applyTlogFlags(p, f.tlogKey, f.requireTlog)
}
