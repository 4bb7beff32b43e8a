package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/tlog"
)

func newBuildCmd(e *env) *cobra.Command {
	var outputDir, keyPath, builderID, sourceDir, bundlePath string
	var envNames []string
	cmd := &cobra.Command{
		Use:   "build --output-dir DIR --key KEY [flags] -- COMMAND [ARG...]",
		Short: "Run a build command and sign SLSA provenance of its outputs",
		Long: `Run COMMAND (standard input, output and error passed through) from the git checkout
--source, then sign an in-toto statement whose subjects are every regular file under
--output-dir (path relative to it, SHA-256) and whose predicate is SLSA Provenance v1 of build
type ` + attest.BuildTypeLocal + `: the command, the working directory, the git
source (origin URL, ref, commit, whether the tree was dirty), the source tree digest, the
values of the --env variables (and no others), the builder id, an invocation id and the start
and finish times.

The source is recorded before the command runs. A dirty tree is recorded, not refused:
"hallmark verify-provenance" refuses it unless told --allow-dirty.

If COMMAND fails, nothing is signed and hallmark exits 1. The key is loaded (and its password
asked for) before the build, so a wrong password does not cost a build.

The bundle is written to DIR.provenance.sigstore.json next to DIR unless --bundle says
otherwise; it carries no transparency-log entry yet.`,
		Example: `  hallmark build --output-dir dist --key release.key -- make dist
  hallmark build --output-dir out --key ci.key --builder-id https://ci.example.com/runners/v1 --env GOFLAGS -- sh -c 'go build -o out/app ./cmd/app'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("no build command: give it after --, e.g. hallmark build --output-dir dist --key K -- make dist")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case outputDir == "":
				return usageError{errors.New("--output-dir is required: the directory the build writes its outputs to")}
			case keyPath == "":
				return usageError{errors.New("--key is required: the private key to sign the provenance with")}
			}
			vars := map[string]string{}
			for _, name := range envNames {
				if name == "" || strings.ContainsAny(name, "=\x00") {
					return usageError{fmt.Errorf("--env %q: want a variable name", name)}
				}
				// Unset and empty are the same to getenv: both are left out.
				if v := e.getenv(name); v != "" {
					vars[name] = v
				}
			}
			if bundlePath == "" {
				bundlePath = provenanceBundlePath(outputDir)
			}
			signer, err := loadSigner(e, keyPath)
			if err != nil {
				return err
			}
			wd, err := os.Getwd()
			if err != nil {
				return codedError{code: ExitInternal, err: err}
			}
			rec, err := attest.LocalBuild{
				Command:   args,
				WorkDir:   wd,
				SourceDir: sourceDir,
				OutputDir: outputDir,
				BuilderID: builderID,
				Env:       vars,
				Stdin:     e.stdin,
				Stdout:    e.stdout,
				Stderr:    e.stderr,
			}.Run(cmd.Context())
			switch {
			case errors.Is(err, attest.ErrBuildFailed):
				return codedError{code: ExitNo, err: err}
			case errors.Is(err, attest.ErrNoGit), errors.Is(err, attest.ErrNoSubjects):
				return codedError{code: ExitUsage, err: err}
			case err != nil:
				return codedError{code: ExitInternal, err: err}
			}
			statement, err := rec.Statement()
			if err != nil {
				return codedError{code: ExitInternal, err: err}
			}
			b, err := sign.SignStatement(cmd.Context(), signer, statement)
			if err != nil {
				return codedError{code: ExitInternal, err: fmt.Errorf("signing provenance: %w", err)}
			}
			if err := writeBundle(e, bundlePath, b); err != nil {
				return err
			}
			if !e.quiet {
				src, _ := rec.Provenance.Source()
				dirty := ""
				if src.Dirty != nil && *src.Dirty {
					dirty = " (dirty tree)"
				}
				where := bundlePath
				if where == "-" {
					where = "standard output"
				}
				fmt.Fprintf(e.stderr, "hallmark: built %d output(s) in %s from %s at %s%s; provenance signed with key %s, written to %s\n",
					len(rec.Subjects), outputDir, src.Repo, src.Commit, dirty,
					b.GetVerificationMaterial().GetPublicKey().GetHint(), where)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	// Everything after the first argument is the build command's, flags included.
	fl.SetInterspersed(false)
	fl.StringVar(&outputDir, "output-dir", "", "directory holding the build outputs; every regular file under it is a subject (required)")
	fl.StringVar(&keyPath, "key", "", "private key file (required)")
	fl.StringVar(&builderID, "builder-id", attest.DefaultBuilderID, "builder id recorded in the provenance")
	fl.StringArrayVar(&envNames, "env", nil, "record the value of this environment variable (repeatable); no other variable is recorded")
	fl.StringVar(&sourceDir, "source", ".", "git checkout the build is from")
	fl.StringVar(&bundlePath, "bundle", "", "write the bundle to FILE, - for standard output (default DIR.provenance.sigstore.json)")
	return cmd
}

// provenanceBundlePath is DIR.provenance.sigstore.json next to DIR; "." and ".." are named by
// their absolute path so the bundle does not become a hidden file inside the outputs.
func provenanceBundlePath(dir string) string {
	clean := filepath.Clean(dir)
	if base := filepath.Base(clean); base == "." || base == ".." || base == string(filepath.Separator) {
		if abs, err := filepath.Abs(clean); err == nil {
			clean = abs
		}
	}
	return clean + ".provenance.sigstore.json"
}

type verifyProvenanceFlags struct {
	bundle, key, format string
	want                attest.ProvenanceExpectations
}

func newVerifyProvenanceCmd(e *env) *cobra.Command {
	var f verifyProvenanceFlags
	cmd := &cobra.Command{
		Use:   "verify-provenance ARTIFACT --bundle BUNDLE --key PUB [flags]",
		Short: "Verify signed SLSA provenance of a file against the builder, source and ref you expect",
		Long: `Verify that BUNDLE carries an in-toto statement signed with the key PUB, about ARTIFACT (one of
its subjects has ARTIFACT's SHA-256), whose predicate is SLSA Provenance v1
(https://slsa.dev/provenance/v1), and that the provenance says what you expect:

  --builder-id    the builder id, exactly
  --build-type    the build type, exactly
  --source-repo   the git repository (compared without "git+", ".git" or ref)
  --ref           the git ref, e.g. refs/tags/v1.2.0
  --allow-dirty   accept a build from a tree with uncommitted changes (refused by default,
                  as is a source that does not say whether it was clean)

An expectation not given is not checked, except cleanliness. Pin at least the builder and the
source repository: a valid signature only says who signed, not what was built from what.

With --format json the result is one JSON document on standard output, also when verification
fails: {"verified": false, "error": {"code": ..., "message": ...}} (docs/commands/verify-provenance.md).

Exit status: 0 verified (what was verified is printed); 1 not verified (signature, subject,
predicate type, or a provenance field that does not match: the message names the field and
both values); 2 malformed input (bundle, key, statement, or a predicate that is not SLSA
Provenance v1).`,
		Example: `  hallmark verify-provenance dist/app.tar.gz --bundle dist.provenance.sigstore.json --key release.pub \
    --builder-id https://hallmark.dev/builders/local@v1 --source-repo https://github.com/org/app --ref refs/tags/v1.2.0

  # The same, for a script: what was verified, or why not, as JSON
  hallmark verify-provenance dist/app.tar.gz --bundle dist.provenance.sigstore.json --key release.pub \
    --builder-id https://hallmark.dev/builders/local@v1 --format json | jq .source.commit`,
		Args: exactArgs(1, "ARTIFACT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(f.format, verifyFormats) {
				return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(verifyFormats, ", "))}
			}
			r, err := verifyProvenance(cmd, &f, args[0])
			if f.format == "json" {
				if err != nil {
					r = &provenanceReport{SchemaVersion: 1, File: args[0], Bundle: f.bundle, Error: &reportError{Code: verifyErrorCode(err), Message: err.Error()}}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if werr := enc.Encode(r); werr != nil && err == nil {
					return werr
				}
				return err
			}
			if err != nil {
				return err
			}
			return writeProvenanceText(e.stdout, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "Sigstore bundle holding the provenance attestation (required)")
	fl.StringVar(&f.key, "key", "", "PEM public key the provenance must be signed with (required)")
	fl.StringVar(&f.want.BuilderID, "builder-id", "", "required builder id")
	fl.StringVar(&f.want.BuildType, "build-type", "", "required build type URI")
	fl.StringVar(&f.want.SourceRepo, "source-repo", "", "required source repository URI")
	fl.StringVar(&f.want.Ref, "ref", "", "required git ref of the source")
	fl.BoolVar(&f.want.AllowDirty, "allow-dirty", false, "accept a build from a dirty tree")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(verifyFormats, ", "))
	return cmd
}

// provenanceReport is what verify-provenance verified, and its JSON output, schema version 1
// (docs/commands/verify-provenance.md). On failure only the first four fields and Error are
// set.
type provenanceReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	Verified      bool   `json:"verified"`
	File          string `json:"file"`
	Bundle        string `json:"bundle"`
	// Artifact is the SHA-256 of File, "sha256:<hex>"; Subject the statement subject with
	// that digest, Subjects all of the statement's subjects.
	Artifact string           `json:"artifact,omitempty"`
	Subject  *attest.Subject  `json:"subject,omitempty"`
	Subjects []attest.Subject `json:"subjects,omitempty"`
	// Signer is who signed the statement (a key: its SHA-256 key id).
	Signer        *sign.VerifiedSigner `json:"signer,omitempty"`
	PredicateType string               `json:"predicateType,omitempty"`
	BuilderID     string               `json:"builderId,omitempty"`
	BuildType     string               `json:"buildType,omitempty"`
	// Source is the git source the provenance records; nil when it records none.
	Source *provenanceSource `json:"source,omitempty"`
	// Checks are the checks made, all passed; NotChecked the expectations that were not
	// given (or waived, for cleanTree with --allow-dirty). Both are in a fixed order.
	Checks     []string     `json:"checks,omitempty"`
	NotChecked []string     `json:"notChecked,omitempty"`
	Error      *reportError `json:"error,omitempty"`
}

// provenanceSource is the git source of a provenance as verify-provenance reports it: every
// field is present, ref "" when the source names none, dirty null when it does not say.
type provenanceSource struct {
	Repo   string `json:"repo"`
	Ref    string `json:"ref"`
	Commit string `json:"commit"`
	Dirty  *bool  `json:"dirty"`
}

// reportError is why a verification failed: a stable code (verifyErrorCode) and the
// message also written to standard error.
type reportError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func verifyProvenance(cmd *cobra.Command, f *verifyProvenanceFlags, file string) (*provenanceReport, error) {
	switch {
	case f.bundle == "":
		return nil, usageError{errors.New("--bundle is required")}
	case f.key == "":
		return nil, usageError{errors.New("--key is required: the public key the provenance must be signed with")}
	}
	keyPEM, err := readVerifyInput(f.key, "--key")
	if err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(keyPEM)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: not a PEM public key: %w", f.key, err)}
	}
	policy, err := sign.NewKeyPolicy(pub, nil)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: err}
	}
	bundleJSON, err := readVerifyInput(f.bundle, "--bundle")
	if err != nil {
		return nil, err
	}
	subject, err := fileSubject(file)
	if err != nil {
		return nil, err
	}
	digest := "sha256:" + subject.Digest["sha256"]
	res, st, err := sign.VerifyAttestation(cmd.Context(), digest, bundleJSON, policy, attest.SLSAProvenanceV1)
	if err != nil {
		return nil, verifyError(file, f.bundle, err)
	}
	prov, err := attest.ParseProvenance(st.Predicate)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("%s: %w", f.bundle, err)}
	}
	if err := attest.VerifyProvenance(prov, f.want); err != nil {
		return nil, codedError{code: ExitNo, err: fmt.Errorf("%s: not verified: %w", file, err)}
	}
	r := &provenanceReport{
		SchemaVersion: 1, Verified: true, File: file, Bundle: f.bundle, Artifact: digest,
		Subjects: st.Subject, Signer: &res.Signer, PredicateType: st.PredicateType,
		BuilderID: prov.RunDetails.Builder.ID, BuildType: prov.BuildDefinition.BuildType,
		Checks: []string{"signature", "subject", "predicateType"},
	}
	for i, s := range st.Subject {
		if s.Digest["sha256"] == subject.Digest["sha256"] {
			r.Subject = &st.Subject[i]
			break
		}
	}
	if src, ok := prov.Source(); ok {
		r.Source = &provenanceSource{Repo: src.Repo, Ref: src.Ref, Commit: src.Commit, Dirty: src.Dirty}
	}
	for _, c := range []struct {
		name   string
		pinned bool
	}{
		{"builderId", f.want.BuilderID != ""}, {"buildType", f.want.BuildType != ""},
		{"sourceRepo", f.want.SourceRepo != ""}, {"ref", f.want.Ref != ""}, {"cleanTree", !f.want.AllowDirty},
	} {
		if c.pinned {
			r.Checks = append(r.Checks, c.name)
		} else {
			r.NotChecked = append(r.NotChecked, c.name)
		}
	}
	return r, nil
}

// verifyErrorCode names why a verification failed, for --format json of verify,
// verify-attestation and verify-provenance: the most specific sentinel error the failure
// matches (docs/commands/verify.md lists them), else what its exit code says.
func verifyErrorCode(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{attest.ErrProvenance, "provenance-mismatch"},
		{sign.ErrSubjectMismatch, "subject-mismatch"},
		{sign.ErrPredicateTypeMismatch, "predicate-type-mismatch"},
		{tlog.ErrNoLogEntry, "no-log-entry"},
		{tlog.ErrEntryMismatch, "log-entry-mismatch"},
		{tlog.ErrInclusionProof, "inclusion-proof"},
		{oci.ErrNoSignature, "no-signature"},
		{sign.ErrCertificateIdentity, "certificate-identity"},
		{sign.ErrUntrustedCertificate, "untrusted-certificate"},
		{sign.ErrTransparencyLog, "transparency-log"},
		{sign.ErrTimestamp, "timestamp"},
		{sign.ErrSignature, "signature"},
		{sign.ErrDigestMismatch, "digest-mismatch"},
		{sign.ErrAlgorithm, "algorithm"},
		{sign.ErrVerification, "not-verified"},
		{attest.ErrInvalidProvenance, "malformed-provenance"},
		{sign.ErrNotAttestation, "not-attestation"},
		{sign.ErrMalformedBundle, "malformed-bundle"},
		{sign.ErrInvalidPolicy, "invalid-key"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	switch exitCode(err) {
	case ExitUsage:
		return "malformed-input"
	case ExitNo:
		return "not-verified"
	}
	return "internal"
}

func writeProvenanceText(w io.Writer, r *provenanceReport) error {
	pinned := func(check string) string {
		if slices.Contains(r.Checks, check) {
			return " (as required)"
		}
		return " (not checked)"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Verified provenance: %s\n", r.File)
	fmt.Fprintf(&b, "  artifact:      %s\n", r.Artifact)
	if r.Subject != nil {
		fmt.Fprintf(&b, "  subject:       %s\n", r.Subject.Name)
	}
	fmt.Fprintf(&b, "  signed by:     key %s\n", r.Signer.KeyID)
	fmt.Fprintf(&b, "  builder:       %s%s\n", r.BuilderID, pinned("builderId"))
	fmt.Fprintf(&b, "  build type:    %s%s\n", r.BuildType, pinned("buildType"))
	if src := r.Source; src != nil {
		fmt.Fprintf(&b, "  source:        %s%s\n", src.Repo, pinned("sourceRepo"))
		fmt.Fprintf(&b, "  commit:        %s\n", src.Commit)
		ref := src.Ref
		if ref == "" {
			ref = "(none)"
		}
		fmt.Fprintf(&b, "  ref:           %s%s\n", ref, pinned("ref"))
		dirty := "unknown"
		if src.Dirty != nil {
			dirty = fmt.Sprint(*src.Dirty)
		}
		fmt.Fprintf(&b, "  dirty:         %s\n", dirty)
	} else {
		fmt.Fprintf(&b, "  source:        (no git source recorded)\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
