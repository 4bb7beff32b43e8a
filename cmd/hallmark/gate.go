package main

import (
	"context"
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/internal/regoeng"
	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/match/reach"
	"github.com/hallmark-dev/hallmark/misconfig"
	"github.com/hallmark-dev/hallmark/policy"
	"github.com/hallmark-dev/hallmark/report"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
	"github.com/hallmark-dev/hallmark/vex"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// gateFlags are the options of `hallmark gate`.
type gateFlags struct {
	db            dbFlags
	policies      []string
	config        string
	keys          []string
	evidence      string
	writeEvidence string
	format        string
	output        string
	platform      string
	vexFiles      []string
	misconfig     []string
	allowPartial  bool
	attest        bool
	attestBundle  string
	trustedRoot   string
}

func newGateCmd(e *env) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate (TARGET | --evidence FILE) [--policy builtin|DIR]… [--config FILE] [--key PUB]… [--attest --key KEY]",
		Short: "Decide whether an artifact may ship or run: evidence in, allow or deny out",
		Long: `Gather the evidence about TARGET — its inventory, its vulnerabilities (matched against the
local advisory database, as "hallmark scan" does, with --vex applied), the misconfiguration of
a directory's Kubernetes manifests and Dockerfiles (and of --misconfig PATHs), and for
registry:IMAGE the image's verified signatures, SLSA provenance and SBOM attestations and its
configuration — and evaluate a Rego policy over it. The verdict names each violated rule, its severity and how to fix it.

TARGET is anything "hallmark sbom" reads; --evidence FILE decides on an evidence document
instead (docs/schema/evidence-v1.json, e.g. one written earlier with --write-evidence).

--policy builtin (the default) is hallmark's rule library: no fixable vulnerability at or above
a severity, no known exploited vulnerability, signed by a trusted key or identity, SLSA
provenance from a trusted builder and repository, images only from approved registries and
never straight from Docker Hub, images by digest, an SBOM meeting the NTIA minimum elements,
licence allow and deny lists, evidence no older than a limit. --policy DIR adds your own rules
(*.rego, Rego v1, packages under hallmark.rules); give both to combine them. --config FILE
(YAML or JSON) sets the rules' parameters and disables rules by id (docs/policy.md).

--key PUB (repeatable) is a public key signatures and attestations must verify with. With
--attest, --key also names the private key that signs a SLSA verification summary (VSA) of
the decision, bound to the subject digest: for registry:IMAGE it is pushed next to the image
as a referrer, otherwise it is written to --attest-bundle. The admission webhook can trust it
instead of deciding again.

A policy that fails at run time denies, with the reason (fail-closed), unless the
configuration sets on_error: allow.

Exit codes: 0 allowed; 1 denied; 2 bad usage or input (unreadable target, Rego that does not
compile — named file:line —, malformed configuration or evidence); 3 environment error (no
advisory database, registry unreachable).`,
		Example: `  # Decide on a directory with the built-in rules
  hallmark gate .

  # An image in a registry, its signatures verified with the release key; SARIF for code scanning
  hallmark gate registry:ghcr.io/acme/app@sha256:… --key release.pub --format sarif --output gate.sarif

  # Your rules beside the library, with a configuration; JUnit for CI
  hallmark gate ./app --policy builtin --policy ./policies --config policy.yaml --format junit

  # Decide and sign a verification summary the admission webhook trusts
  hallmark gate registry:ghcr.io/acme/app@sha256:… --key release.pub --attest --key ci.key

  # Decide again, later, on saved evidence
  hallmark gate registry:ghcr.io/acme/app:1.4 --write-evidence app.evidence.json
  hallmark gate --evidence app.evidence.json --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return usageError{fmt.Errorf("%s: want one TARGET, got %d arguments", cmd.CommandPath(), len(args))}
			case len(args) == 1 && f.evidence != "":
				return usageError{errors.New("give TARGET or --evidence FILE, not both")}
			case len(args) == 0 && f.evidence == "":
				return usageError{fmt.Errorf("%s: want TARGET or --evidence FILE", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 1 {
				target = args[0]
			}
			return runGate(cmd.Context(), e, &f, target)
		},
	}
	fl := cmd.Flags()
	f.db.register(cmd)
	fl.StringArrayVar(&f.policies, "policy", nil, "policy: builtin, or a directory of Rego modules (repeatable; default builtin)")
	fl.StringVar(&f.config, "config", "", "policy configuration, YAML or JSON (rule parameters, disabled rules)")
	fl.StringArrayVar(&f.keys, "key", nil, "public key signatures must verify with (repeatable); with --attest, also the private key that signs the summary")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted root JSON: also verify keyless signatures and attestations (the policy decides which identities are trusted)")
	fl.StringVar(&f.evidence, "evidence", "", "decide on this evidence document instead of gathering evidence for TARGET")
	fl.StringVar(&f.writeEvidence, "write-evidence", "", "also write the evidence the decision was made on to FILE")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(report.DecisionFormats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the decision to FILE instead of stdout (written atomically)")
	fl.StringVar(&f.platform, "platform", "", "image platform to pick from a multi-platform index, os/arch[/variant]")
	fl.StringArrayVar(&f.vexFiles, "vex", nil, "VEX document to apply to the findings: OpenVEX, CycloneDX VEX or CSAF VEX (repeatable)")
	fl.StringArrayVar(&f.misconfig, "misconfig", nil, "also check these Kubernetes manifests or Dockerfiles for misconfiguration (files or directories, repeatable); a directory TARGET is checked itself")
	fl.BoolVar(&f.allowPartial, "allow-partial", false, "decide even when some files could not be read (they are listed on stderr)")
	fl.BoolVar(&f.attest, "attest", false, "sign a SLSA verification summary of the decision with the private --key")
	fl.StringVar(&f.attestBundle, "attest-bundle", "", "where --attest writes its bundle (required unless TARGET is registry:IMAGE, where it is pushed)")
	return cmd
}

// gateKeys are the --key files, sorted by what they hold.
type gateKeys struct {
	verify     []crypto.PublicKey
	verifyPath []string
	signer     string // the private key file, for --attest
}

// classifyKeys reads each --key file: a PEM public key verifies, a private key signs the
// summary (with --attest, exactly one).
func classifyKeys(f *gateFlags) (gateKeys, error) {
	var k gateKeys
	for _, p := range f.keys {
		data, err := readVerifyInput(p, "--key")
		if err != nil {
			return k, err
		}
		block, _ := pem.Decode(data)
		if block == nil {
			return k, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: not a PEM key", p)}
		}
		if block.Type == "PUBLIC KEY" {
			pub, err := sign.UnmarshalPublicKey(data)
			if err != nil {
				return k, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: %w", p, err)}
			}
			k.verify = append(k.verify, pub)
			k.verifyPath = append(k.verifyPath, p)
			continue
		}
		if !f.attest {
			return k, usageError{fmt.Errorf("--key %s is a private key: give its public key to verify signatures, or --attest to sign a verification summary", p)}
		}
		if k.signer != "" {
			return k, usageError{fmt.Errorf("--key %s and %s are both private keys: --attest signs with one", k.signer, p)}
		}
		k.signer = p
	}
	switch {
	case f.attest && k.signer == "":
		return k, usageError{errors.New("--attest needs the private key that signs the summary: --key KEY")}
	case !f.attest && f.attestBundle != "":
		return k, usageError{errors.New("--attest-bundle needs --attest")}
	}
	return k, nil
}

// loadPolicy compiles the --policy sources with the --config file.
func loadPolicy(ctx context.Context, policies []string, configPath string, tests bool) (policy.Options, error) {
	opts := policy.Options{}
	if len(policies) == 0 {
		policies = []string{"builtin"}
	}
	for _, p := range policies {
		if p == "builtin" {
			opts.Builtin = true
			opts.Sources = append(opts.Sources, p)
			continue
		}
		mods, err := policy.LoadModules(p, tests)
		if err != nil {
			return opts, codedError{code: ExitUsage, err: fmt.Errorf("--policy %s: %w", p, err)}
		}
		opts.Modules = append(opts.Modules, mods...)
		opts.Sources = append(opts.Sources, p)
	}
	if configPath != "" {
		cfg, err := policy.LoadConfig(configPath)
		if err != nil {
			return opts, codedError{code: ExitUsage, err: fmt.Errorf("--config: %w", err)}
		}
		opts.Config = cfg
	}
	return opts, nil
}

func policyError(err error) error {
	if errors.Is(err, policy.ErrPolicy) || errors.Is(err, regoeng.ErrCompile) {
		return codedError{code: ExitUsage, err: err}
	}
	return err
}

func runGate(ctx context.Context, e *env, f *gateFlags, target string) error {
	if !validFormat(f.format, report.DecisionFormats) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(report.DecisionFormats, ", "))}
	}
	keys, err := classifyKeys(f)
	if err != nil {
		return err
	}
	registry := strings.HasPrefix(target, source.RegistryPrefix)
	if f.attest && f.attestBundle == "" && !registry {
		return usageError{errors.New("--attest: give --attest-bundle FILE (summaries are pushed to the registry only for registry:IMAGE targets)")}
	}
	now, err := timestamp(e)
	if err != nil {
		return err
	}
	// Compile the policy first: a Rego typo should fail before a slow scan.
	popts, err := loadPolicy(ctx, f.policies, f.config, false)
	if err != nil {
		return err
	}
	eng, err := policy.New(ctx, popts)
	if err != nil {
		return policyError(err)
	}

	var (
		ev     *policy.Evidence
		inputs []policy.VSAResource
	)
	if f.evidence != "" {
		fh, err := os.Open(f.evidence)
		if err != nil {
			return codedError{code: ExitUsage, err: fmt.Errorf("--evidence: %w", err)}
		}
		ev, err = policy.DecodeEvidence(fh)
		fh.Close()
		if err != nil {
			return codedError{code: ExitUsage, err: fmt.Errorf("--evidence %s: %w", f.evidence, err)}
		}
	} else {
		if ev, inputs, err = gatherEvidence(ctx, e, f, target, keys, now); err != nil {
			return err
		}
	}
	if f.writeEvidence != "" {
		if err := writeOutput(f.writeEvidence, e.stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(ev)
		}); err != nil {
			return err
		}
	}

	d := eng.Evaluate(ctx, ev, now)
	if err := writeOutput(f.output, e.stdout, func(w io.Writer) error {
		return report.WriteDecision(w, d, report.DecisionOptions{Format: f.format, ToolName: version.Name, ToolVersion: version.String()})
	}); err != nil {
		return err
	}
	if f.attest {
		if err := attestDecision(ctx, e, f, keys.signer, registry, d, ev, inputs); err != nil {
			return err
		}
	}
	if d.Error != "" {
		fmt.Fprintf(e.stderr, "hallmark: warning: the policy failed to evaluate: %s\n", d.Error)
	}
	if !d.Allow {
		return codedError{code: ExitNo, err: fmt.Errorf("denied by policy: %s", countViolations(d))}
	}
	return nil
}

func countViolations(d *policy.Decision) string {
	n := len(d.Violations)
	if n == 1 {
		return "1 violation"
	}
	return fmt.Sprintf("%d violations", n)
}

// gatherEvidence runs the earlier rooms over TARGET: inventory, match (with VEX),
// misconfiguration checks, and for a registry image, signature and attestation verification
// with each public key.
func gatherEvidence(ctx context.Context, e *env, f *gateFlags, target string, keys gateKeys, now time.Time) (*policy.Evidence, []policy.VSAResource, error) {
	var stmts []vex.Statement
	for _, p := range f.vexFiles {
		s, err := vex.Load(p)
		if err != nil {
			return nil, nil, codedError{code: ExitUsage, err: err}
		}
		stmts = append(stmts, s...)
	}
	dir, err := f.db.path(e)
	if err != nil {
		return nil, nil, err
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		return nil, nil, dbError(err)
	}
	defer db.Close()

	art, inv, err := loadArtifact(ctx, e, target, source.Options{Platform: f.platform})
	if err != nil {
		return nil, nil, err
	}
	if art != nil {
		defer art.Close()
	}
	// Never decide on a partial inventory the user did not accept: what could not be read
	// could be what the policy forbids.
	if err := partialResult(e, inv, f.allowPartial); err != nil {
		return nil, nil, err
	}
	res, err := match.Match(inv, db)
	if err != nil {
		return nil, nil, dbError(err)
	}
	if fsys, err := artifactFS(ctx, art, res); err != nil {
		fmt.Fprintf(e.stderr, "hallmark: warning: reachability not analysed: %v\n", err)
	} else if fsys != nil {
		if err := reach.Annotate(ctx, fsys, res); err != nil {
			fmt.Fprintf(e.stderr, "hallmark: warning: reachability analysis incomplete: %v\n", err)
		}
	}
	if len(stmts) > 0 {
		vex.Apply(res, stmts)
	}

	sbomSource, meta := policy.SBOMGenerated, policy.SBOMMetadata{}
	if art == nil {
		// TARGET is an SBOM: its header says who wrote it and when.
		sbomSource = policy.SBOMInput
		if doc, err := readVerifyInput(target, "TARGET"); err == nil {
			if meta, err = policy.ReadSBOMMetadata(doc); err != nil {
				fmt.Fprintf(e.stderr, "hallmark: warning: %s: %v\n", target, err)
			}
		}
	}
	ev := policy.NewEvidence(inv, now, sbomSource, meta)
	ev.AddFindings(res)
	if art != nil && art.Image != nil {
		ev.SetImageConfig(art.Image.Config)
	}
	if art != nil && art.Kind == source.KindDirectory {
		// A source tree's own manifests and Dockerfiles are evidence about it; files that do
		// not parse there (an unrendered Helm chart) are reported, not fatal.
		if ev.Misconfig, err = checkMisconfig(ctx, e, []string{art.Path}, true); err != nil {
			return nil, nil, err
		}
	}
	if len(f.misconfig) > 0 {
		more, err := checkMisconfig(ctx, e, f.misconfig, f.allowPartial)
		if err != nil {
			return nil, nil, err
		}
		ev.Misconfig = append(ev.Misconfig, more...)
	}
	var inputs []policy.VSAResource
	if ref, ok := strings.CutPrefix(target, source.RegistryPrefix); ok {
		im, err := policy.ParseImageRef(ref)
		if err != nil {
			return nil, nil, codedError{code: ExitUsage, err: err}
		}
		ev.Subject.Image = &im
		if inputs, err = verifyImageEvidence(ctx, e, ev, ref, keys, f.trustedRoot); err != nil {
			return nil, nil, err
		}
	}
	return ev, inputs, nil
}

// verifyImageEvidence verifies the image's signatures, SLSA provenance and SBOM attestations
// with each public key, at the digest that was inventoried (never the tag, which may have moved
// since), and records what verified. What does not verify is not evidence: it is reported on
// stderr and left out.
func verifyImageEvidence(ctx context.Context, e *env, ev *policy.Evidence, ref string, keys gateKeys, trustedRootPath string) ([]policy.VSAResource, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, codedError{code: ExitUsage, err: err}
	}
	pinned := r.Context().Digest(ev.Subject.Digest).String()
	var inputs []policy.VSAResource
	kinds := []struct{ predicateType, what string }{
		{"", "signature"},
		{attest.SLSAProvenanceV1, "SLSA provenance"},
		{"https://cyclonedx.org/bom", "CycloneDX SBOM attestation"},
		{"https://spdx.dev/Document", "SPDX SBOM attestation"},
	}
	type verifier struct {
		p     sign.Policy
		label string
	}
	var verifiers []verifier
	for i, pub := range keys.verify {
		p, err := sign.NewKeyPolicy(pub, nil)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: %w", keys.verifyPath[i], err)}
		}
		verifiers = append(verifiers, verifier{p, "--key " + keys.verifyPath[i]})
	}
	if trustedRootPath != "" {
		// Keyless: any certificate of the trusted root's CAs, logged and timestamped as the
		// root demands, is verified and recorded with its identity and issuer; the policy
		// (signed-by rule) decides which identities are trusted.
		data, err := readVerifyInput(trustedRootPath, "--trusted-root")
		if err != nil {
			return nil, err
		}
		tr, err := sign.ParseTrustedRoot(data)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--trusted-root %s: %w", trustedRootPath, err)}
		}
		p, err := sign.NewKeylessPolicy(tr, sign.Identity{SubjectAlternativeNameRegexp: ".*", IssuerRegexp: ".*"})
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--trusted-root %s: %w", trustedRootPath, err)}
		}
		verifiers = append(verifiers, verifier{p, "--trusted-root " + trustedRootPath})
	}
	for _, vf := range verifiers {
		p := vf.p
		for _, k := range kinds {
			verified, err := oci.VerifyImage(ctx, pinned, p, oci.VerifyOptions{PredicateType: k.predicateType})
			switch {
			case errors.Is(err, oci.ErrNoSignature):
				if k.predicateType == "" {
					fmt.Fprintf(e.stderr, "hallmark: %s has no signature\n", pinned)
				}
				continue
			case errors.Is(err, sign.ErrVerification):
				fmt.Fprintf(e.stderr, "hallmark: warning: no %s of %s verified with %s: %v\n", k.what, pinned, vf.label, err)
				continue
			case err != nil:
				return nil, err
			}
			for _, v := range verified {
				addVerified(e, ev, v, k.predicateType)
				inputs = append(inputs, policy.VSAResource{URI: r.Context().Digest(v.Referrer).String(), Digest: digestMap(v.Referrer)})
			}
		}
	}
	return inputs, nil
}

func addVerified(e *env, ev *policy.Evidence, v oci.Verified, predicateType string) {
	s := policy.Signature{Kind: "signature", Signer: signerOf(v.Result.Signer), Source: v.Referrer, Tlog: []policy.TlogEntry{}}
	if v.Statement != nil {
		s.PredicateType = v.Statement.PredicateType
	}
	if predicateType != "" {
		s.Kind = "attestation"
	}
	for _, t := range v.Result.TransparencyLog {
		s.Tlog = append(s.Tlog, policy.TlogEntry{LogID: t.LogID, LogIndex: t.LogIndex, IntegratedTime: t.IntegratedTime})
	}
	ev.Signatures = append(ev.Signatures, s)
	if v.Statement == nil {
		return
	}
	switch predicateType {
	case attest.SLSAProvenanceV1:
		prov, err := attest.ParseProvenance(v.Statement.Predicate)
		if err != nil {
			fmt.Fprintf(e.stderr, "hallmark: warning: provenance %s is signed but unreadable: %v\n", v.Referrer, err)
			return
		}
		p := policy.Provenance{BuilderID: prov.RunDetails.Builder.ID, BuildType: prov.BuildDefinition.BuildType, Signer: &s.Signer}
		if src, ok := prov.Source(); ok {
			p.SourceRepo, p.SourceRef, p.SourceCommit, p.Dirty = src.Repo, src.Ref, src.Commit, src.Dirty
		}
		ev.Provenance = append(ev.Provenance, p)
	case "https://cyclonedx.org/bom", "https://spdx.dev/Document":
		// A signed SBOM of the image: the evidence's SBOM is attested, and its header gives
		// the NTIA document elements.
		if meta, err := policy.ReadSBOMMetadata(v.Statement.Predicate); err == nil {
			ev.SBOM.Present, ev.SBOM.Source, ev.SBOM.Format = true, policy.SBOMAttestation, meta.Format
			ev.SBOM.Author, ev.SBOM.Timestamp = meta.Author, meta.Timestamp
		}
	}
}

// checkMisconfig runs the misconfiguration checks over paths. Files that cannot be checked
// are listed on stderr, and refused (exit 2) unless allowPartial.
func checkMisconfig(ctx context.Context, e *env, paths []string, allowPartial bool) ([]policy.MisconfigResult, error) {
	res, err := misconfig.Scan(ctx, paths, misconfig.Config{})
	switch {
	case errors.Is(err, misconfig.ErrRules):
		return nil, codedError{code: ExitInternal, err: err}
	case err != nil:
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("--misconfig: %w", err)}
	}
	for _, fe := range res.Errors {
		fmt.Fprintf(e.stderr, "hallmark: warning: could not check %v\n", fe)
	}
	if len(res.Errors) > 0 && !allowPartial {
		return nil, codedError{code: ExitUsage, err: fmt.Errorf("%d file(s) could not be checked for misconfiguration (listed above); use --allow-partial to accept", len(res.Errors))}
	}
	out := make([]policy.MisconfigResult, 0, len(res.Findings))
	for _, m := range res.Findings {
		resource := m.Kind + "/" + m.Name
		if m.Namespace != "" {
			resource = m.Kind + "/" + m.Namespace + "/" + m.Name
		}
		if m.Container != "" {
			resource += " container " + m.Container
		}
		out = append(out, policy.MisconfigResult{RuleID: m.RuleID, Severity: m.Severity, Message: m.Message, File: m.File, Line: m.Line, Resource: resource, Remediation: m.Remediation})
	}
	return out, nil
}

func signerOf(s sign.VerifiedSigner) policy.Signer {
	return policy.Signer{Kind: s.Kind, KeyID: s.KeyID, Identity: s.Identity, Issuer: s.Issuer}
}

func digestMap(d string) map[string]string {
	alg, hx, ok := strings.Cut(d, ":")
	if !ok {
		return nil
	}
	return map[string]string{alg: hx}
}

// attestDecision signs a SLSA verification summary of the decision about the subject digest:
// pushed as a referrer for registry images, else written to --attest-bundle.
func attestDecision(ctx context.Context, e *env, f *gateFlags, keyPath string, registry bool, d *policy.Decision, ev *policy.Evidence, inputs []policy.VSAResource) error {
	predicate, err := policy.VerificationSummary(d, ev, policy.VSAOptions{
		VerifierVersion:   map[string]string{version.Name: version.String()},
		InputAttestations: inputs,
	})
	if err != nil {
		return codedError{code: ExitUsage, err: err}
	}
	signer, err := loadSigner(e, keyPath)
	if err != nil {
		return err
	}
	if registry && f.attestBundle == "" {
		ref := policy.ResourceURI(ev) // repository@digest: the digest decided on
		pushed, err := oci.AttestImage(ctx, ref, signer, policy.VSAPredicateType, predicate, oci.Options{})
		if err != nil {
			return err
		}
		if !e.quiet {
			fmt.Fprintf(e.stderr, "hallmark: verification summary (%s) of %s pushed as referrer %s\n", verdictWord(d), pushed.Digest, pushed.Referrer)
		}
		return nil
	}
	sub, err := attest.DigestSubject(ev.Subject.Name, ev.Subject.Digest)
	if err != nil {
		return codedError{code: ExitUsage, err: err}
	}
	statement, err := attest.New([]attest.Subject{sub}, policy.VSAPredicateType, predicate)
	if err != nil {
		return err
	}
	b, err := sign.SignStatement(ctx, signer, statement)
	if err != nil {
		if errors.Is(err, sign.ErrSignerFault) {
			return codedError{code: ExitInternal, err: err}
		}
		return err
	}
	if err := writeBundle(e, f.attestBundle, b); err != nil {
		return err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: verification summary (%s) of %s written to %s\n", verdictWord(d), ev.Subject.Digest, f.attestBundle)
	}
	return nil
}

func verdictWord(d *policy.Decision) string {
	if d.Allow && d.Error == "" {
		return "PASSED"
	}
	return "FAILED"
}
