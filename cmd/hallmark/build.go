package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/sign"
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
	bundle, key string
	want        attest.ProvenanceExpectations
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

Exit status: 0 verified (what was verified is printed); 1 not verified (signature, subject,
predicate type, or a provenance field that does not match: the message names the field and
both values); 2 malformed input (bundle, key, statement, or a predicate that is not SLSA
Provenance v1).`,
		Example: `  hallmark verify-provenance dist/app.tar.gz --bundle dist.provenance.sigstore.json --key release.pub \
    --builder-id https://hallmark.dev/builders/local@v1 --source-repo https://github.com/org/app --ref refs/tags/v1.2.0`,
		Args: exactArgs(1, "ARTIFACT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyProvenance(cmd, e, &f, args[0])
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
	return cmd
}

func runVerifyProvenance(cmd *cobra.Command, e *env, f *verifyProvenanceFlags, file string) error {
	switch {
	case f.bundle == "":
		return usageError{errors.New("--bundle is required")}
	case f.key == "":
		return usageError{errors.New("--key is required: the public key the provenance must be signed with")}
	}
	keyPEM, err := readVerifyInput(f.key, "--key")
	if err != nil {
		return err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(keyPEM)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--key %s: not a PEM public key: %w", f.key, err)}
	}
	policy, err := sign.NewKeyPolicy(pub, nil)
	if err != nil {
		return codedError{code: ExitUsage, err: err}
	}
	bundleJSON, err := readVerifyInput(f.bundle, "--bundle")
	if err != nil {
		return err
	}
	subject, err := fileSubject(file)
	if err != nil {
		return err
	}
	digest := "sha256:" + subject.Digest["sha256"]
	res, st, err := sign.VerifyAttestation(cmd.Context(), digest, bundleJSON, policy, attest.SLSAProvenanceV1)
	if err != nil {
		return verifyError(file, f.bundle, err)
	}
	prov, err := attest.ParseProvenance(st.Predicate)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("%s: %w", f.bundle, err)}
	}
	if err := attest.VerifyProvenance(prov, f.want); err != nil {
		return codedError{code: ExitNo, err: fmt.Errorf("%s: not verified: %w", file, err)}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Verified provenance: %s\n", file)
	fmt.Fprintf(&b, "  artifact:      %s\n", digest)
	for _, s := range st.Subject {
		if s.Digest["sha256"] == subject.Digest["sha256"] {
			fmt.Fprintf(&b, "  subject:       %s\n", s.Name)
			break
		}
	}
	fmt.Fprintf(&b, "  signed by:     key %s\n", res.Signer.KeyID)
	fmt.Fprintf(&b, "  builder:       %s%s\n", prov.RunDetails.Builder.ID, checked(f.want.BuilderID))
	fmt.Fprintf(&b, "  build type:    %s%s\n", prov.BuildDefinition.BuildType, checked(f.want.BuildType))
	if src, ok := prov.Source(); ok {
		fmt.Fprintf(&b, "  source:        %s%s\n", src.Repo, checked(f.want.SourceRepo))
		fmt.Fprintf(&b, "  commit:        %s\n", src.Commit)
		ref := src.Ref
		if ref == "" {
			ref = "(none)"
		}
		fmt.Fprintf(&b, "  ref:           %s%s\n", ref, checked(f.want.Ref))
		dirty := "unknown"
		if src.Dirty != nil {
			dirty = fmt.Sprint(*src.Dirty)
		}
		fmt.Fprintf(&b, "  dirty:         %s\n", dirty)
	} else {
		fmt.Fprintf(&b, "  source:        (no git source recorded)\n")
	}
	_, err = e.stdout.Write(b.Bytes())
	return err
}

// checked marks the fields the verifier pinned, so that an unpinned one is not mistaken for a
// verified one.
func checked(want string) string {
	if want == "" {
		return " (not checked)"
	}
	return " (as required)"
}
