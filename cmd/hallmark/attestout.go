package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/attest"
	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
)

// attestFlags let `hallmark sbom` and `hallmark scan` sign their own output as an in-toto
// attestation about the scanned artifact, without a second command.
type attestFlags struct {
	on     bool
	key    string
	bundle string
	push   bool // the target is a registry image and no --attest-bundle was given
}

func (a *attestFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.on, "attest", false, "also sign the output as an in-toto attestation about TARGET (needs --key)")
	cmd.Flags().StringVar(&a.key, "key", "", "private key for --attest (password from HALLMARK_PASSWORD or a prompt)")
	cmd.Flags().StringVar(&a.bundle, "attest-bundle", "", "where --attest writes its bundle (default: pushed to the registry as a referrer for registry: targets, else OUTPUT.att.sigstore.json; required when the output goes to stdout)")
}

// check validates the flags before any work is done; predicateType is "" when the output
// format cannot be a predicate.
func (a *attestFlags) check(target, output, format, predicateType string) error {
	if !a.on {
		if a.key != "" || a.bundle != "" {
			return usageError{errors.New("--key and --attest-bundle need --attest")}
		}
		return nil
	}
	if a.key == "" {
		return usageError{errors.New("--attest needs --key KEY")}
	}
	if predicateType == "" {
		return usageError{fmt.Errorf("--attest: --format %s cannot be an attestation predicate (use a JSON format)", format)}
	}
	if a.bundle == "" && strings.HasPrefix(target, source.RegistryPrefix) {
		a.push = true // attach the attestation to the image in its registry
		return nil
	}
	if a.bundle == "" {
		if output == "" || output == "-" {
			return usageError{errors.New("--attest: give --attest-bundle FILE when the output goes to stdout")}
		}
		a.bundle = output + ".att.sigstore.json"
	}
	return nil
}

// sign signs doc as the predicate of a statement about subject and writes the bundle.
func (a *attestFlags) sign(ctx context.Context, e *env, subject inventory.Subject, predicateType string, doc []byte) error {
	sub, err := attest.DigestSubject(subject.Name, subject.Digest)
	if err != nil {
		return err
	}
	statement, err := attest.New([]attest.Subject{sub}, predicateType, doc)
	if err != nil {
		return err
	}
	signer, err := loadSigner(e, a.key)
	if err != nil {
		return err
	}
	if a.push {
		// Attach to the digest that was inventoried, not to whatever the tag names now.
		ref, err := name.ParseReference(strings.TrimPrefix(subject.Name, source.RegistryPrefix))
		if err != nil {
			return codedError{code: ExitUsage, err: err}
		}
		pushed, err := oci.AttestImage(ctx, ref.Context().Digest(subject.Digest).String(), signer, predicateType, doc, oci.Options{})
		if err != nil {
			return err
		}
		if !e.quiet {
			fmt.Fprintf(e.stderr, "hallmark: attested %s as %s; attestation pushed as referrer %s\n", pushed.Digest, predicateType, pushed.Referrer)
		}
		return nil
	}
	b, err := sign.SignStatement(ctx, signer, statement)
	if err != nil {
		if errors.Is(err, sign.ErrSignerFault) {
			return codedError{code: ExitInternal, err: err}
		}
		return err
	}
	if err := writeBundle(e, a.bundle, b); err != nil {
		return err
	}
	if !e.quiet {
		fmt.Fprintf(e.stderr, "hallmark: attested %s (%s) as %s; bundle written to %s\n", subject.Name, subject.Digest, predicateType, a.bundle)
	}
	return nil
}

// vulnPredicate wraps a scan result in cosign's vulnerability attestation predicate
// (https://cosign.sigstore.dev/attestation/vuln/v1: scanner, its database, the result, and
// the scan's time), so cosign and policy engines that know that type can read it.
func vulnPredicate(scanJSON []byte, dbBuilt, started, finished time.Time) ([]byte, error) {
	var result json.RawMessage = bytes.TrimSpace(scanJSON)
	p := map[string]any{
		"invocation": map[string]any{"uri": "", "event_id": "", "builder.id": ""},
		"scanner": map[string]any{
			"uri":     "https://github.com/hallmark-dev/hallmark",
			"version": version.String(),
			"db":      map[string]any{"uri": "https://osv.dev", "version": dbBuilt.UTC().Format(time.RFC3339)},
			"result":  result,
		},
		"metadata": map[string]any{
			"scanStartedOn":  started.UTC().Format(time.RFC3339),
			"scanFinishedOn": finished.UTC().Format(time.RFC3339),
		},
	}
	return json.Marshal(p)
}
