package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
)

func newAttestCmd(e *env) *cobra.Command {
	var keyPath, bundlePath, typeName, predicatePath, tlogURL string
	cmd := &cobra.Command{
		Use:   "attest (SUBJECT|registry:IMAGE) --type TYPE --predicate FILE --key KEY",
		Short: "Sign an in-toto attestation about a file and write a Sigstore bundle",
		Long: `Make an in-toto Statement v1 whose subject is SUBJECT (its base name and SHA-256) and whose
predicate is the JSON object in --predicate (an SBOM, a scan result, a VEX document,
provenance), sign it as a DSSE envelope with a private key and write a Sigstore bundle (v0.3).

--type is the predicate type: a short name as cosign knows it (` + strings.Join(attest.PredicateTypeNames(), ", ") + `)
or an absolute URI. --key and its password work as in "hallmark sign". The bundle is written
atomically to --bundle (default SUBJECT.att.sigstore.json; - for standard output).

Without --tlog the bundle carries no transparency-log entry: it verifies offline with the
public key, with "hallmark verify-attestation" or "cosign verify-blob-attestation --key P.pub
--bundle B --type TYPE --insecure-ignore-tlog=true SUBJECT". --tlog URL submits the envelope to
a hallmark transparency log (hallmark log serve) and embeds the entry, its inclusion proof and
the log's checkpoint in the bundle; verify it with --tlog-key LOG.vkey [--require-tlog].

registry:IMAGE attests a container image in a registry, as "cosign attest" (v3) does: the
statement's subject is the image's repository and manifest digest (a tag is resolved once), and
the bundle is pushed next to the image as an OCI 1.1 referrer (or under the sha256-<hex>
referrers tag). --bundle, if given, also writes a copy. Verify with "hallmark
verify-attestation registry:IMAGE --key P.pub --type TYPE".`,
		Example: `  hallmark sbom app.tar.gz --format cyclonedx-json --output sbom.cdx.json
  hallmark attest app.tar.gz --type cyclonedx --predicate sbom.cdx.json --key release.key
  hallmark attest app.tar.gz --type https://example.com/review/v1 --predicate review.json --key ci.key --bundle -
  hallmark attest registry:ghcr.io/org/app:1.4.0 --type cyclonedx --predicate sbom.cdx.json --key release.key
  hallmark attest app.tar.gz --type slsaprovenance1 --predicate prov.json --key release.key --tlog http://log.example.com:8090`,
		Args: exactArgs(1, "SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			switch {
			case keyPath == "":
				return usageError{errors.New("--key is required: the private key to sign with (hallmark key generate makes one)")}
			case typeName == "":
				return usageError{errors.New("--type is required: a predicate type name (" + strings.Join(attest.PredicateTypeNames(), ", ") + ") or URI")}
			case predicatePath == "":
				return usageError{errors.New("--predicate is required: the JSON file to attest")}
			}
			predicateType, err := attest.PredicateType(typeName)
			if err != nil {
				return usageError{fmt.Errorf("--type: %w", err)}
			}
			if ref, ok := strings.CutPrefix(name, source.RegistryPrefix); ok {
				return runAttestImage(cmd, e, ref, keyPath, bundlePath, predicatePath, predicateType, tlogURL)
			}
			if bundlePath == "" {
				bundlePath = name + ".att.sigstore.json"
			}
			// Read the inputs before the key: a typo should not cost a password prompt.
			subject, err := fileSubject(name)
			if err != nil {
				return err
			}
			predicate, err := readVerifyInput(predicatePath, "--predicate")
			if err != nil {
				return err
			}
			statement, err := attest.New([]attest.Subject{subject}, predicateType, predicate)
			if err != nil {
				return codedError{code: ExitUsage, err: fmt.Errorf("--predicate %s: %w", predicatePath, err)}
			}
			signer, err := loadSigner(e, keyPath)
			if err != nil {
				return err
			}
			b, err := sign.SignStatement(cmd.Context(), signer, statement)
			if err != nil {
				return signError("attesting", name, err)
			}
			where, err := logAndWriteBundle(cmd.Context(), e, tlogURL, bundlePath, b, signer.Public())
			if err != nil {
				return err
			}
			if !e.quiet {
				fmt.Fprintf(e.stderr, "hallmark: attested %s (sha256:%s) as %s with %s key %s; bundle written to %s\n",
					name, subject.Digest["sha256"], predicateType, signer.Algorithm(),
					b.GetVerificationMaterial().GetPublicKey().GetHint(), where)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&typeName, "type", "", "predicate type: a short name or an absolute URI (required)")
	fl.StringVar(&predicatePath, "predicate", "", "JSON file holding the predicate (required)")
	fl.StringVar(&keyPath, "key", "", "private key file (required)")
	fl.StringVar(&bundlePath, "bundle", "", "write the bundle to FILE, - for standard output (default SUBJECT.att.sigstore.json)")
	fl.StringVar(&tlogURL, "tlog", "", "submit the attestation to the hallmark transparency log at URL and embed the inclusion proof")
	return cmd
}

// runAttestImage attests an image in a registry and pushes the bundle as a referrer.
func runAttestImage(cmd *cobra.Command, e *env, ref, keyPath, bundlePath, predicatePath, predicateType, tlogURL string) error {
	predicate, err := readVerifyInput(predicatePath, "--predicate")
	if err != nil {
		return err
	}
	// The statement is built (and validated) inside AttestImage; check the predicate before
	// the password prompt anyway.
	if _, err := attest.New([]attest.Subject{{Digest: map[string]string{"sha256": strings.Repeat("0", 64)}}}, predicateType, predicate); err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--predicate %s: %w", predicatePath, err)}
	}
	signer, err := loadSigner(e, keyPath)
	if err != nil {
		return err
	}
	pushed, err := oci.AttestImage(cmd.Context(), ref, signer, predicateType, predicate, imageOptions(e, tlogURL, signer))
	if err != nil {
		return signError("attesting", source.RegistryPrefix+ref, err)
	}
	if err := writeBundleCopy(e, bundlePath, pushed); err != nil {
		return err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: attested %s (%s) as %s with %s key %s; attestation pushed as referrer %s\n",
			source.RegistryPrefix+ref, pushed.Image, predicateType, signer.Algorithm(),
			pushed.Bundle.GetVerificationMaterial().GetPublicKey().GetHint(), pushed.Referrer)
	}
	return nil
}

// fileSubject reads the file a statement is about: its base name and SHA-256.
func fileSubject(path string) (attest.Subject, error) {
	f, err := os.Open(path)
	if err != nil {
		return attest.Subject{}, codedError{code: ExitUsage, err: err}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return attest.Subject{}, codedError{code: ExitUsage, err: fmt.Errorf("%s is a directory; attest a file", path)}
	}
	s, err := attest.FileSubject(filepath.Base(path), f)
	if err != nil {
		return attest.Subject{}, codedError{code: ExitUsage, err: err}
	}
	return s, nil
}

type verifyAttestationFlags struct {
	verifyFlags // key or keyless, as for hallmark verify
	typeName    string
}

func newVerifyAttestationCmd(e *env) *cobra.Command {
	var f verifyAttestationFlags
	cmd := &cobra.Command{
		Use:   "verify-attestation (SUBJECT --bundle BUNDLE | registry:IMAGE) (--key PUB | --trusted-root ROOT --certificate-identity ID --certificate-oidc-issuer ISSUER) --type TYPE",
		Short: "Verify a signed in-toto attestation about a file, offline, and print its predicate",
		Long: `Verify that BUNDLE (a Sigstore bundle holding a DSSE envelope, as "hallmark attest" and
"cosign attest-blob --bundle" write it) carries an in-toto statement signed with the key PUB,
about SUBJECT (one of its subjects has SUBJECT's SHA-256), of predicate type TYPE (a short name
or an absolute URI, as for "hallmark attest"). Only then is the predicate printed: with
--format text (the default) the predicate JSON alone on standard output and a summary on
standard error, so it pipes into jq or a policy; with --format json one object holding the
verification result, the statement's subjects and the predicate.

Nothing is fetched. With --key alone only the signature is checked (like cosign's
--insecure-ignore-tlog); with --trusted-root the transparency log and timestamps it lists are
required too. Keyless attestations are verified with --trusted-root and the
--certificate-identity/--certificate-oidc-issuer flags (or their -regexp forms), as for
"hallmark verify".

registry:IMAGE (no --bundle) reads the attestations referring to the image's manifest digest
from its registry (OCI 1.1 referrers or the sha256-<hex> referrers tag) and prints the
predicate of each one of type TYPE that verified, one per line.

Exit status: 0 verified; 1 not verified (signature, subject mismatch, predicate type
mismatch); 2 malformed input (unreadable or malformed bundle or key, a blob bundle rather
than an attestation, an invalid statement, bad flags).`,
		Example: `  hallmark verify-attestation app.tar.gz --bundle app.tar.gz.att.sigstore.json --key release.pub --type cyclonedx > sbom.cdx.json
  hallmark verify-attestation app.tar.gz --bundle app.att.json --key release.pub --type slsaprovenance1 --format json`,
		Args: exactArgs(1, "SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyAttestation(cmd, e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "Sigstore bundle holding the attestation (required)")
	fl.StringVar(&f.typeName, "type", "", "expected predicate type: a short name or an absolute URI (required)")
	f.register(fl, "attestation")
	return cmd
}

func runVerifyAttestation(cmd *cobra.Command, e *env, f *verifyAttestationFlags, file string) error {
	if !validFormat(f.format, verifyFormats) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(verifyFormats, ", "))}
	}
	ref, registry := strings.CutPrefix(file, source.RegistryPrefix)
	switch {
	case f.bundle == "" && !registry:
		return usageError{errors.New("--bundle is required")}
	case f.bundle != "" && registry:
		return usageError{errors.New("--bundle is not used with registry:IMAGE: the attestations are read from the registry")}
	case f.typeName == "":
		// Never "any type": a signed provenance must not pass where an SBOM was expected.
		return usageError{errors.New("--type is required: the predicate type the attestation must have")}
	}
	predicateType, err := attest.PredicateType(f.typeName)
	if err != nil {
		return usageError{fmt.Errorf("--type: %w", err)}
	}
	policy, err := verifyPolicy(&f.verifyFlags)
	if err != nil {
		return err
	}
	if registry {
		return runVerifyImageAttestation(cmd, e, f.format, ref, policy, predicateType)
	}
	bundleJSON, err := readVerifyInput(f.bundle, "--bundle")
	if err != nil {
		return err
	}
	subject, err := fileSubject(file)
	if err != nil {
		return err
	}
	res, st, err := sign.VerifyAttestation(cmd.Context(), "sha256:"+subject.Digest["sha256"], bundleJSON, policy, predicateType)
	if err != nil {
		return verifyError(file, f.bundle, err)
	}
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(verifyAttestationOutput{
			verifyOutput: verifyOutput{SchemaVersion: 1, Verified: true, File: file, Bundle: f.bundle, Result: res},
			Subjects:     st.Subject,
			Predicate:    st.Predicate,
		})
	}
	// The predicate as signed (compact or not), one trailing newline.
	out := append(bytes.TrimSpace(st.Predicate), '\n')
	if _, err := e.stdout.Write(out); err != nil {
		return err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: verified %s attestation of %s (%s) signed by %s%s\n",
			st.PredicateType, file, res.Artifact, signedBy(res.Signer), logSummary(res.TransparencyLog))
	}
	return nil
}

// verifyAttestationOutput is the JSON output of `hallmark verify-attestation`, schema version 1
// (docs/commands/attest.md): verify's output plus the statement's subjects and predicate.
type verifyAttestationOutput struct {
	verifyOutput
	Subjects  []attest.Subject `json:"subjects"`
	Predicate json.RawMessage  `json:"predicate"`
}

// runVerifyImageAttestation verifies the attestations of an image in a registry and prints
// their predicates (text) or the full results (json).
func runVerifyImageAttestation(cmd *cobra.Command, e *env, format, ref string, policy sign.Policy, predicateType string) error {
	if format == "json" {
		return runVerifyImage(cmd, e, format, ref, policy, predicateType)
	}
	target := source.RegistryPrefix + ref
	verified, err := oci.VerifyImage(cmd.Context(), ref, policy, oci.VerifyOptions{PredicateType: predicateType})
	if err != nil {
		return verifyImageError(target, err)
	}
	for _, v := range verified {
		var out bytes.Buffer
		if err := json.Compact(&out, v.Statement.Predicate); err != nil {
			return err
		}
		out.WriteByte('\n')
		if _, err := e.stdout.Write(out.Bytes()); err != nil {
			return err
		}
		if !e.quiet {
			fmt.Fprintf(e.stderr, "hallmark: verified %s attestation of %s (%s, referrer %s) signed by %s%s\n",
				v.Statement.PredicateType, target, v.Image, v.Referrer, signedBy(v.Result.Signer), logSummary(v.Result.TransparencyLog))
		}
	}
	return nil
}

// signedBy names a verified signer for a summary line: its key, or its certificate identity
// and OIDC issuer.
func signedBy(s sign.VerifiedSigner) string {
	if s.KeyID != "" {
		return "key " + s.KeyID
	}
	return s.Identity + " (" + s.Issuer + ")"
}
