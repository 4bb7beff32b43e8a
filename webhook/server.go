package webhook

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/singleflight"

	"github.com/hallmark-dev/hallmark/policy"
	"github.com/hallmark-dev/hallmark/sign"
)

// ErrConfig: the server's configuration is contradictory or out of range. The message names
// the setting.
var ErrConfig = errors.New("invalid admission configuration")

// errMediaType: the body is not declared as JSON (HTTP 415).
var errMediaType = errors.New("unsupported media type: want application/json")

// Mode says what a denial does.
type Mode string

const (
	// ModeEnforce denies workloads the policy denies.
	ModeEnforce Mode = "enforce"
	// ModeAudit allows everything, turning what would be denied into warnings (shown by
	// kubectl) and audit annotations: for rolling a policy out.
	ModeAudit Mode = "audit"
)

// FailurePolicy says what happens when an image is not decided within the deadline, or its
// evaluation fails (registry unreachable, policy error at run time).
type FailurePolicy string

const (
	// FailClosed denies, naming what failed.
	FailClosed FailurePolicy = "fail"
	// FailOpenUnsafe allows with a warning: a slow or broken registry, or a broken policy,
	// then lets everything through. Choose it only where availability beats enforcement.
	FailOpenUnsafe FailurePolicy = "ignore"
)

// Defaults of Config.
const (
	DefaultDeadline      = 2 * time.Second
	DefaultCacheTTL      = 10 * time.Minute
	DefaultSummaryMaxAge = 24 * time.Hour
	DefaultFetchTimeout  = 30 * time.Second
	// maxDeadline is the API server's largest webhook timeout (timeoutSeconds ≤ 30).
	maxDeadline = 30 * time.Second
	// cacheEntries bounds each cache.
	cacheEntries = 50_000
)

// Config is what a Server is built from.
type Config struct {
	// Policy is what to compile: the same options `hallmark gate` compiles, so that a
	// verification summary of the gate names the same policy digest.
	Policy policy.Options
	// Keys are the trusted public keys: image signatures and verification summaries verify
	// with them. Without keys no signature is evidence and no summary is trusted.
	Keys []crypto.PublicKey
	// Mode is ModeEnforce (the default) or ModeAudit.
	Mode Mode
	// ExemptNamespaces are allowed without a look.
	ExemptNamespaces []string
	// FailurePolicy is FailClosed (the default) or FailOpenUnsafe.
	FailurePolicy FailurePolicy
	// Deadline bounds the decision of one review, registry round trips included (default
	// 2 s, well under the API server's default webhook timeout of 10 s; at most 30 s).
	Deadline time.Duration
	// CacheTTL is how long resolved digests, verified signatures and verdicts are reused
	// (default 10 minutes).
	CacheTTL time.Duration
	// SummaryMaxAge is the age beyond which a verification summary is not used (default 24 h,
	// the built-in evidence-age rule's default).
	SummaryMaxAge time.Duration
	// FetchTimeout bounds registry work that continues in the background after a review's
	// deadline, so that the next review of the image finds it cached (default 30 s).
	FetchTimeout time.Duration
	// Remote are extra go-containerregistry options (transport, auth). Without an auth option
	// the credentials of ~/.docker/config.json and its helpers are used.
	Remote []remote.Option
	// Logger receives one line per review that is denied or fails, and debug detail; nil
	// discards.
	Logger *slog.Logger
	// Now is the clock (nil: time.Now). Decisions compare evidence ages with it.
	Now func() time.Time
}

// Server answers admission reviews. Build it with New; it is safe for concurrent use.
type Server struct {
	cfg     Config
	full    *policy.Engine // the policy as configured
	ref     *policy.Engine // only its reference-level rules: the summary path
	keys    []sign.Policy
	exempt  map[string]bool
	log     *slog.Logger
	metrics *metrics

	digests  *ttlCache[string]
	images   *ttlCache[*imageFacts]
	verdicts *ttlCache[*verdict]
	flights  singleflight.Group
}

// referenceRules are the built-in rules about the reference a workload uses rather than the
// image's content: a verification summary cannot vouch for them, since the gate saw another
// reference (or none), so they are evaluated again at admission.
var referenceRules = []string{"image-registry", "image-digest"}

// New validates cfg and compiles its policy. Errors match ErrConfig or the policy room's
// errors (policy.ErrPolicy, with file:line for Rego that does not compile).
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeEnforce
	}
	if cfg.FailurePolicy == "" {
		cfg.FailurePolicy = FailClosed
	}
	if cfg.Deadline == 0 {
		cfg.Deadline = DefaultDeadline
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.SummaryMaxAge == 0 {
		cfg.SummaryMaxAge = DefaultSummaryMaxAge
	}
	if cfg.FetchTimeout == 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Mode != ModeEnforce && cfg.Mode != ModeAudit:
		return nil, fmt.Errorf("%w: mode %q: want enforce or audit", ErrConfig, cfg.Mode)
	case cfg.FailurePolicy != FailClosed && cfg.FailurePolicy != FailOpenUnsafe:
		return nil, fmt.Errorf("%w: failure policy %q: want fail or ignore", ErrConfig, cfg.FailurePolicy)
	case cfg.Deadline < 0 || cfg.Deadline > maxDeadline:
		return nil, fmt.Errorf("%w: deadline %s: want more than 0 and at most %s (the API server's longest webhook timeout); keep it well under the webhook's timeoutSeconds", ErrConfig, cfg.Deadline, maxDeadline)
	case cfg.CacheTTL < 0:
		return nil, fmt.Errorf("%w: cache TTL %s is negative", ErrConfig, cfg.CacheTTL)
	case cfg.SummaryMaxAge < 0:
		return nil, fmt.Errorf("%w: summary max age %s is negative", ErrConfig, cfg.SummaryMaxAge)
	case cfg.FetchTimeout < cfg.Deadline:
		return nil, fmt.Errorf("%w: fetch timeout %s is shorter than the deadline %s", ErrConfig, cfg.FetchTimeout, cfg.Deadline)
	}
	s := &Server{
		cfg:      cfg,
		exempt:   map[string]bool{},
		log:      cfg.Logger,
		metrics:  newMetrics(),
		digests:  newTTLCache[string](cfg.CacheTTL, cacheEntries),
		images:   newTTLCache[*imageFacts](cfg.CacheTTL, cacheEntries),
		verdicts: newTTLCache[*verdict](cfg.CacheTTL, cacheEntries),
	}
	for _, ns := range cfg.ExemptNamespaces {
		if ns == "" {
			return nil, fmt.Errorf("%w: an exempt namespace is empty", ErrConfig)
		}
		s.exempt[ns] = true
	}
	for i, k := range cfg.Keys {
		p, err := sign.NewKeyPolicy(k, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrConfig, i+1, err)
		}
		s.keys = append(s.keys, p)
	}
	var err error
	if s.full, err = policy.New(ctx, cfg.Policy); err != nil {
		return nil, err
	}
	if s.ref, err = policy.New(ctx, referenceOptions(cfg.Policy, s.full)); err != nil {
		return nil, err
	}
	return s, nil
}

// referenceOptions are opts with every rule disabled but the reference-level ones.
func referenceOptions(opts policy.Options, full *policy.Engine) policy.Options {
	cfg := policy.Config{Data: map[string]any{}, OnError: policy.OnErrorDeny}
	if opts.Config != nil {
		cfg = *opts.Config
		cfg.Disabled = slices.Clone(cfg.Disabled)
	}
	for _, r := range full.Rules() {
		if !slices.Contains(referenceRules, r.ID) {
			cfg.Disabled = append(cfg.Disabled, r.ID)
		}
	}
	opts.Config = &cfg
	return opts
}

// Policy identifies the policy the server enforces (its digest is what verification
// summaries must name).
func (s *Server) Policy() policy.PolicyInfo { return s.full.Info() }

// Handler routes the server's endpoints: POST /validate (AdmissionReview v1), GET /healthz
// and GET /metrics (Prometheus text format).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /validate", s.handle(s.validate))
	mux.Handle("GET /healthz", s.handle(func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.Write([]byte("ok\n"))
		return err
	}))
	mux.Handle("GET /metrics", s.handle(func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		return s.metrics.write(w)
	}))
	return mux
}

// handle adapts a handler that returns an error to the one error renderer.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// renderError is the one place an error becomes an HTTP status: bad input is the caller's
// (4xx, with the reason as the body, which the API server logs), anything else is ours (500).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMalformedReview):
		code = http.StatusBadRequest
	case errors.Is(err, errMediaType):
		code = http.StatusUnsupportedMediaType
	}
	if code == http.StatusInternalServerError {
		s.log.Error("admission: internal error", "path", r.URL.Path, "err", err)
	} else {
		s.log.Warn("admission: bad request", "path", r.URL.Path, "remote", r.RemoteAddr, "status", code, "err", err)
	}
	http.Error(w, "hallmark: "+err.Error(), code)
}

// validate answers one AdmissionReview.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.metrics.review(ResultBadRequest, time.Since(start))
			return fmt.Errorf("%w (got %q)", errMediaType, ct)
		}
	}
	rv, err := DecodeReview(r.Body)
	if err != nil {
		s.metrics.review(ResultBadRequest, time.Since(start))
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.deadline(r))
	defer cancel()
	resp, result := s.review(ctx, rv.Request)
	out, err := json.Marshal(Review{APIVersion: ReviewAPIVersion, Kind: ReviewKind, Response: resp})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(out)
	s.metrics.review(result, time.Since(start))
	return err
}

// deadline is the configured deadline, shortened to half the API server's own timeout for
// this call when that is smaller (the API server appends ?timeout=10s to the webhook's URL):
// an answer after the API server gave up is wasted, and its failurePolicy would decide instead.
func (s *Server) deadline(r *http.Request) time.Duration {
	d := s.cfg.Deadline
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 && t/2 < d {
		d = t / 2
	}
	return d
}

// Review decides one admission request within ctx's deadline. It is what POST /validate does
// after decoding, for callers that have a Request already.
func (s *Server) Review(ctx context.Context, req *Request) *Response {
	resp, _ := s.review(ctx, req)
	return resp
}
