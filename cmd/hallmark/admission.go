package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/webhook"
)

// admissionFlags are the options of `hallmark admission serve`.
type admissionFlags struct {
	listen           string
	tlsCert, tlsKey  string
	policies         []string
	config           string
	mode             string
	keys             []string
	exempt           []string
	failurePolicy    string
	deadline         time.Duration
	cacheTTL         time.Duration
	summaryMaxAge    time.Duration
	shutdownDeadline time.Duration
}

func newAdmissionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admission",
		Short: "Kubernetes admission: decide on workloads' images as the cluster creates them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("%s: want a subcommand (serve)", cmd.CommandPath())}
		},
	}
	cmd.AddCommand(newAdmissionServeCmd(e))
	return cmd
}

func newAdmissionServeCmd(e *env) *cobra.Command {
	var f admissionFlags
	cmd := &cobra.Command{
		Use:   "serve --tls-cert FILE --tls-key FILE [--listen ADDR] [--policy builtin|DIR]… [--config FILE] [--mode enforce|audit] [--key PUB]…",
		Short: "Serve a validating admission webhook (AdmissionReview v1) over HTTPS",
		Long: `Serve Kubernetes' validating admission webhook: the API server POSTs an AdmissionReview v1
to /validate for each Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job and CronJob created or updated, and hallmark answers allow or deny
for the image of every container, init container and ephemeral container, with the reasons.
deploy/ holds the manifests; docs/admission.md explains them and the certificates.

Each image reference is resolved to its digest (tags only) and decided once; the verdict is
reused for --cache-ttl. On a cache miss, hallmark looks in the registry for a verification
summary that "hallmark gate --attest" pushed next to the image, signed by a trusted --key:
when it passed under this very policy (same rules, same configuration), the image's content
is decided and only the reference the workload uses is checked (registry, digest pinning).
Otherwise the policy is evaluated on what admission can know cheaply: the reference and the
image's signatures verified with the --key keys. Rules that need the image's inventory (an
SBOM, vulnerabilities, licences) then deny for lack of evidence: gate images in CI.

--deadline bounds each review, registry included, well under the webhook's timeoutSeconds.
An image not decided in time, or whose decision fails (registry error, policy error at run
time), is denied with the reason (--failure-policy fail) or allowed with a warning
(--failure-policy ignore). The lookup continues in the background, so a retry finds it.
--mode audit allows everything and turns denials into warnings and audit annotations.

Also served: GET /healthz, and GET /metrics in the Prometheus text format. SIGINT or SIGTERM
stops the server after the reviews in flight are answered.`,
		Example: `  # With certificates from cert-manager, the built-in policy and the CI key trusted
  hallmark admission serve --listen :8443 --tls-cert /tls/tls.crt --tls-key /tls/tls.key \
    --policy builtin --config /etc/hallmark/policy.yaml --key /etc/hallmark/keys/ci.pub \
    --exempt-namespace kube-system --exempt-namespace hallmark-system

  # Roll a policy out: warn, do not deny
  hallmark admission serve --tls-cert tls.crt --tls-key tls.key --mode audit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAdmissionServe(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", ":8443", "address to serve HTTPS on (port 0 picks a free port)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate chain the server presents (required); its CA is the webhook's caBundle")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert (required)")
	fl.StringArrayVar(&f.policies, "policy", nil, "policy: builtin, or a directory of Rego modules (repeatable; default builtin) — as given to hallmark gate")
	fl.StringVar(&f.config, "config", "", "policy configuration, YAML or JSON — as given to hallmark gate")
	fl.StringVar(&f.mode, "mode", string(webhook.ModeEnforce), "enforce (deny) or audit (allow, with warnings)")
	fl.StringArrayVar(&f.keys, "key", nil, "trusted public key: image signatures and verification summaries verify with it (repeatable)")
	fl.StringArrayVar(&f.exempt, "exempt-namespace", nil, "namespace whose workloads are allowed without a look (repeatable)")
	fl.StringVar(&f.failurePolicy, "failure-policy", string(webhook.FailClosed), "when an image is not decided in time or its decision fails: fail (deny) or ignore (allow, with a warning)")
	fl.DurationVar(&f.deadline, "deadline", webhook.DefaultDeadline, "longest a review may take, registry included; keep it well under the webhook's timeoutSeconds")
	fl.DurationVar(&f.cacheTTL, "cache-ttl", webhook.DefaultCacheTTL, "how long resolved digests, verified signatures and verdicts are reused")
	fl.DurationVar(&f.summaryMaxAge, "summary-max-age", webhook.DefaultSummaryMaxAge, "verification summaries older than this are not used")
	fl.DurationVar(&f.shutdownDeadline, "shutdown-timeout", 10*time.Second, "on SIGTERM, how long to wait for reviews in flight")
	return cmd
}

func runAdmissionServe(ctx context.Context, e *env, f *admissionFlags) error {
	switch {
	case f.tlsCert == "" || f.tlsKey == "":
		return usageError{errors.New("--tls-cert and --tls-key are required: the API server calls webhooks over HTTPS only (docs/admission.md explains how to make them)")}
	case f.mode != string(webhook.ModeEnforce) && f.mode != string(webhook.ModeAudit):
		return usageError{fmt.Errorf("--mode %q: want enforce or audit", f.mode)}
	case f.failurePolicy != string(webhook.FailClosed) && f.failurePolicy != string(webhook.FailOpenUnsafe):
		return usageError{fmt.Errorf("--failure-policy %q: want fail or ignore", f.failurePolicy)}
	case f.deadline <= 0 || f.deadline > 30*time.Second:
		return usageError{fmt.Errorf("--deadline %s: want more than 0 and at most 30s, well under the webhook's timeoutSeconds", f.deadline)}
	case f.cacheTTL < 0 || f.summaryMaxAge < 0:
		return usageError{errors.New("--cache-ttl and --summary-max-age must not be negative")}
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--tls-cert %s / --tls-key %s: %w", f.tlsCert, f.tlsKey, err)}
	}
	keys, err := admissionKeys(f.keys)
	if err != nil {
		return err
	}
	popts, err := loadPolicy(ctx, f.policies, f.config, false)
	if err != nil {
		return err
	}
	srv, err := webhook.New(ctx, webhook.Config{
		Policy:           popts,
		Keys:             keys,
		Mode:             webhook.Mode(f.mode),
		ExemptNamespaces: f.exempt,
		FailurePolicy:    webhook.FailurePolicy(f.failurePolicy),
		Deadline:         f.deadline,
		CacheTTL:         f.cacheTTL,
		SummaryMaxAge:    f.summaryMaxAge,
		Logger:           e.log,
	})
	switch {
	case errors.Is(err, webhook.ErrConfig):
		return usageError{err}
	case err != nil:
		return policyError(err)
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--listen %s: %w", f.listen, err)}
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      40 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	pi := srv.Policy()
	fmt.Fprintf(e.stderr, "hallmark: admission webhook serving on https://%s/validate (mode %s, failure policy %s, deadline %s, %d trusted keys)\nhallmark: policy %s, digest %s\n",
		ln.Addr(), f.mode, f.failurePolicy, f.deadline, len(keys), strings.Join(pi.Sources, "+"), pi.Digest)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- hs.ServeTLS(ln, "", "") }()
	select {
	case err = <-served:
	case <-sigs:
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), f.shutdownDeadline)
	defer cancel()
	if serr := hs.Shutdown(stopCtx); serr != nil && err == nil {
		err = serr
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return codedError{code: ExitInternal, err: err}
	}
	if !e.quiet {
		fmt.Fprintln(e.stderr, "hallmark: admission webhook stopped")
	}
	return nil
}

// admissionKeys reads the --key files: PEM public keys only (the webhook verifies, it never
// signs).
func admissionKeys(paths []string) ([]crypto.PublicKey, error) {
	var out []crypto.PublicKey
	for _, p := range paths {
		data, err := readVerifyInput(p, "--key")
		if err != nil {
			return nil, err
		}
		if block, _ := pem.Decode(data); block != nil && block.Type != "PUBLIC KEY" {
			return nil, usageError{fmt.Errorf("--key %s holds a %s: give the public key (hallmark key generate writes it next to the private one)", p, strings.ToLower(block.Type))}
		}
		pub, err := sign.UnmarshalPublicKey(data)
		if err != nil {
			return nil, codedError{code: ExitUsage, err: fmt.Errorf("--key %s: %w", p, err)}
		}
		out = append(out, pub)
	}
	return out, nil
}
