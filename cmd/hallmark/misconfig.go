package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/misconfig"
	"github.com/hallmark-dev/hallmark/report"
)

// misconfigFlags are the options of `hallmark misconfig`.
type misconfigFlags struct {
	format, output, failOn, config string
	allowPartial                   bool
}

func newMisconfigCmd(e *env) *cobra.Command {
	var f misconfigFlags
	cmd := &cobra.Command{
		Use:   "misconfig PATH...",
		Short: "Check Kubernetes manifests and Dockerfiles for insecure configuration",
		Long: `Check Kubernetes manifests and Dockerfiles against hardening rules, and report each
misconfiguration at its file and line with the fix.

Kubernetes: Pods and every pod controller (Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job, CronJob), all containers, init and ephemeral containers, in
multi-document YAML, JSON, List kinds and Helm-rendered output, per the NSA/CISA Kubernetes
Hardening Guidance and the Pod Security Standards "restricted" profile. Dockerfiles: running
as root, unpinned or latest bases, ADD from URLs, curl | sh, secrets in ENV/ARG, package
installs without cleanup. The rules are listed in docs/misconfig.md.

PATH is a file or a directory; a directory is walked for *.yaml, *.yml, *.json, Dockerfile,
*.Dockerfile and Containerfile (Helm chart templates/ directories are skipped: render them
with helm template first). Files that cannot be checked are listed, and make the result
partial.

--config names a YAML or JSON file that disables rules, overrides severities, lists the
trusted registries and skips paths (docs/misconfig.md#configuration).

Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above --fail-on; 2 bad usage,
a bad configuration, or files that could not be checked (unless --allow-partial).`,
		Example: `  hallmark misconfig deploy/
  hallmark misconfig k8s/app.yaml Dockerfile --fail-on medium
  helm template my-chart | tee rendered.yaml >/dev/null && hallmark misconfig rendered.yaml
  hallmark misconfig . --format sarif --output misconfig.sarif
  hallmark misconfig . --config misconfig.yaml --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s: want PATH..., got no argument", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runMisconfig(cmd.Context(), e, &f, args) },
	}
	cmd.Flags().StringVarP(&f.format, "format", "f", "table", "output format: "+strings.Join(report.MisconfigFormats, ", "))
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write to FILE instead of stdout (written atomically)")
	cmd.Flags().StringVar(&f.failOn, "fail-on", misconfig.SeverityHigh, "exit 1 when a finding has this severity or worse: critical, high, medium, low, or none")
	cmd.Flags().StringVar(&f.config, "config", "", "rule configuration file (YAML or JSON): disabled_rules, severity, trusted_registries, skip")
	cmd.Flags().BoolVar(&f.allowPartial, "allow-partial", false, "do not exit 2 when some files could not be checked (they are still listed)")
	return cmd
}

func runMisconfig(ctx context.Context, e *env, f *misconfigFlags, paths []string) error {
	if !slices.Contains(report.MisconfigFormats, f.format) {
		return usageError{fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(report.MisconfigFormats, ", "))}
	}
	threshold := strings.ToLower(f.failOn)
	if threshold != "none" && !slices.Contains(misconfig.Severities, threshold) {
		return usageError{fmt.Errorf("--fail-on %q: want critical, high, medium, low or none", f.failOn)}
	}
	ts, err := timestamp(e)
	if err != nil {
		return err
	}
	var cfg misconfig.Config
	if f.config != "" {
		if cfg, err = misconfig.LoadConfig(f.config); err != nil {
			return codedError{code: ExitUsage, err: err}
		}
	}
	s, err := misconfig.New(ctx, cfg)
	if err != nil {
		if errors.Is(err, misconfig.ErrConfig) {
			return codedError{code: ExitUsage, err: fmt.Errorf("--config %s: %w", f.config, err)}
		}
		return err
	}
	res, err := s.Scan(ctx, paths)
	if err != nil {
		return err
	}
	err = writeOutput(f.output, e.stdout, func(w io.Writer) error {
		return report.WriteMisconfig(w, res, report.Options{Format: f.format, ToolName: version.Name, ToolVersion: version.String(), Timestamp: ts})
	})
	if err != nil {
		return err
	}
	if f.format != "table" || f.output != "" {
		// The table lists them itself; otherwise the user sees them here too.
		for _, fe := range res.Errors {
			fmt.Fprintf(e.stderr, "hallmark: could not check %s\n", fe.Error())
		}
	}
	if res.Partial() && !f.allowPartial {
		return codedError{code: ExitUsage, err: fmt.Errorf("%d %s could not be checked (--allow-partial to accept a partial result)",
			len(res.Errors), plural(len(res.Errors), "file", "files"))}
	}
	if threshold != "none" {
		n := 0
		for _, fd := range res.Findings {
			if misconfig.AtLeast(fd.Severity, threshold) {
				n++
			}
		}
		if n > 0 {
			return codedError{code: ExitNo, err: fmt.Errorf("%d %s with severity %s or worse", n, plural(n, "misconfiguration", "misconfigurations"), threshold)}
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
