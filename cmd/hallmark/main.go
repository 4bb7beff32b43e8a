// Command hallmark secures the software supply chain: it inventories artifacts and writes
// SBOMs, and (as later rooms land) scans, signs, attests, verifies and decides.
//
// This package is wiring only: it parses flags, assembles each room's small config, and maps
// errors to exit codes (docs/exit-codes.md). Business logic lives in the rooms.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// env is what every command may use from its environment; tests build their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
	quiet          bool
}

// run executes one hallmark invocation and returns its exit code.
func run(ctx context.Context, args []string, e *env) int {
	stderr := e.stderr
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if !isSilent(err) {
		fmt.Fprintf(stderr, "hallmark: %v\n", err)
	}
	if code == ExitUsage && isFlagError(err) {
		fmt.Fprintln(stderr, "Run 'hallmark --help' for usage.")
	}
	return code
}

func newRootCmd(e *env) *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "hallmark",
		Short: "Know what is inside your software, what is wrong with it, and where it came from",
		Long: `hallmark secures the software supply chain from a developer's laptop to production.

It inventories source trees, container images, binaries and OS packages, writes SBOMs
(CycloneDX 1.6, SPDX 2.3) that are complete, strictly valid and deterministic, and finds
known vulnerabilities in them offline, prioritised by CISA KEV, EPSS and CVSS. It signs
files into Sigstore bundles with cosign-compatible keys and verifies bundles — key-based or
keyless against a trusted root — offline.`,
		Example: `  # SBOM of the current directory, CycloneDX JSON on stdout
  hallmark sbom .

  # Fetch advisories once, then scan (offline, milliseconds) and fail CI on high or worse
  hallmark db update
  hallmark scan . --fail-on high

  # Sign a release file and verify it (cosign verifies the same bundle)
  hallmark key generate --output-prefix release
  hallmark sign app.tar.gz --key release.key --bundle app.tar.gz.sigstore.json
  hallmark verify app.tar.gz --key release.pub --bundle app.tar.gz.sigstore.json

  # SPDX SBOM of an image in a registry, written to a file
  hallmark sbom registry:ghcr.io/org/app:1.4 --format spdx-json --output app.spdx.json

  # Convert a syft or trivy SBOM to CycloneDX XML
  hallmark sbom convert syft.spdx.json --format cyclonedx-xml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			scalibrlog.SetLogger(scalibrLogger{e.log})
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debugging detail to stderr")
	root.PersistentFlags().BoolVarP(&e.quiet, "quiet", "q", false, "do not show progress")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newSBOMCmd(e), newScanCmd(e), newDBCmd(e), newKeyCmd(e), newSignCmd(e), newVerifyCmd(e), newAttestCmd(e), newVerifyAttestationCmd(e), newReleaseCmd(e), newBuildCmd(e), newVerifyProvenanceCmd(e), newLogCmd(e), newGateCmd(e), newPolicyCmd(e), newMisconfigCmd(e), newAdmissionCmd(e), newVersionCmd(e))
	root.CompletionOptions.HiddenDefaultCmd = true
	return root
}

// scalibrLogger routes osv-scalibr's logs to slog at debug level: the problems it logs that
// matter (unreadable files) reach the user as FileErrors in the inventory instead.
type scalibrLogger struct{ l *slog.Logger }

func (s scalibrLogger) Errorf(f string, a ...any) { s.l.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (s scalibrLogger) Error(a ...any)            { s.l.Debug("scalibr: " + fmt.Sprint(a...)) }
func (s scalibrLogger) Warnf(f string, a ...any)  { s.l.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (s scalibrLogger) Warn(a ...any)             { s.l.Debug("scalibr: " + fmt.Sprint(a...)) }
func (s scalibrLogger) Infof(f string, a ...any)  { s.l.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (s scalibrLogger) Info(a ...any)             { s.l.Debug("scalibr: " + fmt.Sprint(a...)) }
func (s scalibrLogger) Debugf(f string, a ...any) { s.l.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (s scalibrLogger) Debug(a ...any)            { s.l.Debug("scalibr: " + fmt.Sprint(a...)) }
