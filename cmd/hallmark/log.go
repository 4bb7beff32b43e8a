package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/tlog"
)

func newLogCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Run, inspect and monitor a transparency log",
		Long: `A transparency log is a public, append-only record of every signature and attestation:
anyone can check that an entry is in it (inclusion proof), that the log never rewrote its
history (consistency proof), and whether a key signed something its owner did not.

hallmark's log is built on Trillian Tessera and speaks the C2SP tlog-tiles read API
(checkpoint, tile/…, tile/entries/…) with C2SP signed-note checkpoints (Ed25519). Its write
API accepts Rekor v2 entry requests (hashedrekord and dsse), so entries are what Rekor v2
would log, and the inclusion proof comes back in the answer. See docs/transparency-log.md.`,
	}
	cmd.AddCommand(newLogServeCmd(e))
	cmd.AddCommand(newLogClientCmds(e)...)
	return cmd
}

func newLogServeCmd(e *env) *cobra.Command {
	var (
		dir, listen, dsn, origin string
		cfg                      tlog.ServerConfig
	)
	cmd := &cobra.Command{
		Use:   "serve --storage DIR --listen ADDR [--mysql DSN]",
		Short: "Serve a transparency log (POSIX directory, or MySQL/MariaDB)",
		Long: `Serve a transparency log. On first start it creates the log's checkpoint signing key in
DIR/log.key (mode 0600) and writes the log's C2SP verifier key to DIR/log.vkey: give that file
to clients (--tlog-key). The log's entries are stored in DIR/tiles (POSIX, zero setup) or, with
--mysql, in a MySQL or MariaDB database (tables are created when missing); DIR still holds the
keys.

Write API: POST /api/v2/log/entries with a Rekor v2 CreateEntryRequest (JSON). The signature
in it must verify under the public key or certificate it names, or the entry is refused (HTTP
400). The answer (HTTP 201; 200 for a duplicate, with the original index) is a Sigstore
TransparencyLogEntry: index, canonical entry, inclusion proof and the signed checkpoint that
commits to it. The answer comes once a checkpoint covering the entry is published, so every
acknowledged index is durable.

Read API (C2SP tlog-tiles): GET /checkpoint, /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>]
(also under /api/v2/). GET /metrics is Prometheus text; GET /healthz answers ok.

SIGINT or SIGTERM stops the server after the entries in flight are published.`,
		Example: `  # Zero setup: a log in a directory
  hallmark log serve --storage /var/lib/hallmark-log --listen 127.0.0.1:8090 --origin log.example.com/hallmark

  # On MariaDB/MySQL
  hallmark log serve --storage /etc/hallmark-log --listen :8090 --mysql 'hallmark:pw@tcp(db:3306)/tlog'

  # Clients
  hallmark sign app.tar.gz --key release.key --tlog http://127.0.0.1:8090
  hallmark verify app.tar.gz --bundle app.tar.gz.sigstore.json --key release.pub \
    --tlog-key /var/lib/hallmark-log/log.vkey --require-tlog`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError{errors.New("--storage DIR is required (it holds the log's keys, and its entries unless --mysql is given)")}
			}
			if listen == "" {
				return usageError{errors.New("--listen ADDR is required, e.g. 127.0.0.1:8090")}
			}
			if origin == "" {
				if _, err := os.Stat(filepath.Join(dir, tlog.PrivateKeyFile)); err != nil {
					host, _ := os.Hostname()
					if host == "" {
						host = "localhost"
					}
					origin = host
				}
			}
			cfg.Dir, cfg.MySQLDSN, cfg.Origin = dir, dsn, origin
			cfg.Logger = e.log
			return runLogServe(cmd.Context(), e, cfg, listen)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "storage", "", "directory of the log: keys, and entries unless --mysql (created if missing)")
	fl.StringVar(&listen, "listen", "", "address to serve HTTP on, e.g. 127.0.0.1:8090 (port 0 picks a free port)")
	fl.StringVar(&dsn, "mysql", "", "store entries in MySQL/MariaDB, DSN user:pass@tcp(host:3306)/db")
	fl.StringVar(&origin, "origin", "", "the log's name in checkpoints, set on first start (default: this host's name). Use the host name clients reach the log at: Sigstore clients given a trusted root expect it")
	fl.DurationVar(&cfg.CheckpointInterval, "checkpoint-interval", 0, "how often to publish a checkpoint (default 250ms; at least 1s with --mysql)")
	fl.DurationVar(&cfg.BatchMaxAge, "batch-max-age", 0, "longest an entry waits to be sequenced with others (default 100ms)")
	fl.UintVar(&cfg.BatchMaxSize, "batch-max-size", 0, "most entries sequenced together (default 512)")
	return cmd
}

func runLogServe(ctx context.Context, e *env, cfg tlog.ServerConfig, listen string) error {
	srv, err := tlog.OpenServer(ctx, cfg)
	if err != nil {
		return codedError{code: ExitUsage, err: err}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		srv.Close(context.Background())
		return codedError{code: ExitUsage, err: fmt.Errorf("--listen %s: %w", listen, err)}
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	backend := "directory " + filepath.Join(cfg.Dir, "tiles")
	if cfg.MySQLDSN != "" {
		backend = "MySQL"
	}
	fmt.Fprintf(e.stderr, "hallmark: log %s serving on http://%s (%s)\nhallmark: verifier key (%s): %s\n",
		srv.Key().Origin, ln.Addr(), backend, filepath.Join(cfg.Dir, tlog.VerifierKeyFile), srv.Key().Text)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err = <-served:
	case <-sigs:
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hs.Shutdown(stopCtx)
	if cerr := srv.Close(stopCtx); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return codedError{code: ExitInternal, err: err}
	}
	if !e.quiet {
		fmt.Fprintln(e.stderr, "hallmark: log stopped")
	}
	return nil
}
