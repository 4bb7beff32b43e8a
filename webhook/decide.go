package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/hallmark-dev/hallmark/policy"
	"github.com/hallmark-dev/hallmark/sign"
	"github.com/hallmark-dev/hallmark/sign/oci"
	"github.com/hallmark-dev/hallmark/source"
)

// Rule ids of the violations the webhook itself reports (the policy's rules report theirs).
const (
	// RuleImageReference: a container's image reference does not parse.
	RuleImageReference = "image-reference"
	// RuleWorkload: the workload's containers cannot be read.
	RuleWorkload = "workload"
	// RuleSummary: a trusted verification summary of the image's digest, for this policy,
	// says the gate denied it.
	RuleSummary = "verification-summary"
)

// ErrUndecided: an image was not decided — the deadline passed, the registry failed, or the
// policy failed at run time. The failure policy then denies or allows; the message says why.
var ErrUndecided = errors.New("no decision")

// Limits on what a response carries: kubectl prints every warning, and the API server may
// truncate warnings over 256 characters.
const (
	maxWarnings      = 20
	maxWarningLen    = 256
	maxMessageLen    = 4000
	maxAnnotationLen = 1000
)

// verdict is the decision about one image reference at one digest.
type verdict struct {
	image, digest string
	allow         bool
	// source is "summary" (a verification summary vouched for the content) or "policy".
	source     string
	violations []policy.Violation
	warnings   []policy.Violation
	// notes explain what the decision rested on when it is not obvious (a summary that could
	// not be used).
	notes []string
}

// imageFacts is what the registry says about one image digest: the verified signatures, and
// the newest usable verification summary.
type imageFacts struct {
	signatures []policy.Signature
	summary    *summary
	notes      []string
}

// imageResult is one image's verdict, or why there is none.
type imageResult struct {
	image      string
	containers []Container
	v          *verdict
	err        error
}

// review decides req and says under which result to count it.
func (s *Server) review(ctx context.Context, req *Request) (*Response, string) {
	resp := &Response{UID: req.UID, Allowed: true}
	who := kindName(req.Kind) + " " + objectName(req)
	switch {
	case s.exempt[req.Namespace]:
		resp.AuditAnnotations = map[string]string{"decision": "exempt"}
		return resp, ResultExempt
	case req.Operation != OpCreate && req.Operation != OpUpdate:
		return resp, ResultSkipped
	case !IsWorkload(req.Kind):
		// The webhook configuration sends something that is not a workload: answer, and
		// say so, since every such request costs the API server a round trip.
		s.log.Warn("admission: kind is not a workload, allowed", "kind", req.Kind.Group+"/"+req.Kind.Version+"/"+req.Kind.Kind, "object", objectName(req), "uid", req.UID)
		resp.AuditAnnotations = map[string]string{"decision": "skipped", "reason": "not a workload kind: " + kindName(req.Kind)}
		return resp, ResultSkipped
	}
	now := s.cfg.Now()
	w, err := ReadWorkload(req.Kind, req.Object)
	if err != nil {
		v := &verdict{violations: []policy.Violation{{RuleID: RuleWorkload, Message: err.Error(), Severity: policy.SeverityHigh, Remediation: "fix the workload's container list"}}}
		return s.respond(req, resp, who, []imageResult{{image: "the workload", v: v}})
	}
	if req.Name == "" && w.Name != "" {
		who = kindName(req.Kind) + " " + objectName(&Request{Namespace: req.Namespace, Name: w.Name})
	}
	containers := w.Containers
	// One decision per distinct image, concurrently: a pod's images are independent.
	var order []string
	byImage := map[string]*imageResult{}
	for _, c := range containers {
		r, ok := byImage[c.Image]
		if !ok {
			r = &imageResult{image: c.Image}
			byImage[c.Image] = r
			order = append(order, c.Image)
		}
		r.containers = append(r.containers, c)
	}
	budget := s.cfg.Deadline
	if dl, ok := ctx.Deadline(); ok {
		budget = dl.Sub(time.Now()).Round(time.Millisecond)
	}
	var wg sync.WaitGroup
	for _, img := range order {
		r := byImage[img]
		wg.Go(func() { r.v, r.err = s.decideImage(ctx, img, now) })
	}
	wg.Wait()
	out := make([]imageResult, 0, len(order))
	deadline := false
	for _, img := range order {
		r := byImage[img]
		if r.err != nil && errors.Is(r.err, context.DeadlineExceeded) {
			deadline = true
			r.err = fmt.Errorf("not decided within the %s deadline (the lookup goes on in the background; a retry may find it cached): %w", budget, r.err)
		}
		out = append(out, *r)
	}
	if deadline {
		s.metrics.deadline.Add(1)
	}
	return s.respond(req, resp, who, out)
}

// respond turns the images' verdicts into the response, per mode and failure policy.
func (s *Server) respond(req *Request, resp *Response, who string, rs []imageResult) (*Response, string) {
	var denials, failures, warnings []string
	var digests []string
	for _, r := range rs {
		where := r.image
		if len(r.containers) > 0 {
			names := make([]string, len(r.containers))
			for i, c := range r.containers {
				names[i] = c.String()
			}
			where = fmt.Sprintf("image %s (%s)", r.image, strings.Join(names, ", "))
		}
		if r.err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", where, r.err))
			continue
		}
		if r.v.digest != "" {
			digests = append(digests, r.image+"="+r.v.digest+" ("+r.v.source+")")
		}
		if len(r.v.violations) > 0 {
			reasons := make([]string, len(r.v.violations))
			for i, v := range r.v.violations {
				reasons[i] = v.RuleID + ": " + v.Message
			}
			denials = append(denials, where+": "+strings.Join(reasons, "; "))
		}
		for _, v := range r.v.warnings {
			warnings = append(warnings, fmt.Sprintf("%s: %s: %s", r.image, v.RuleID, v.Message))
		}
		for _, n := range r.v.notes {
			warnings = append(warnings, r.image+": "+n)
		}
	}
	ann := map[string]string{"policy": s.full.Info().Digest}
	if len(digests) > 0 {
		ann["images"] = clip(strings.Join(digests, ","), maxAnnotationLen)
	}
	if len(denials) > 0 {
		ann["violations"] = clip(strings.Join(denials, "; "), maxAnnotationLen)
	}
	if len(failures) > 0 {
		ann["errors"] = clip(strings.Join(failures, "; "), maxAnnotationLen)
	}
	resp.AuditAnnotations = ann

	var result string
	switch {
	case len(denials) > 0 && s.cfg.Mode == ModeEnforce:
		result = ResultDenied
		resp.Allowed = false
		resp.Status = &Status{Status: "Failure", Reason: "Forbidden", Code: http.StatusForbidden,
			Message: clip(fmt.Sprintf("hallmark denied %s: %s", who, strings.Join(denials, "; ")), maxMessageLen)}
		for _, f := range failures {
			warnings = append(warnings, "not decided: "+f)
		}
	case len(failures) > 0 && s.cfg.Mode == ModeEnforce && s.cfg.FailurePolicy == FailClosed:
		result = ResultErrorDenied
		resp.Allowed = false
		resp.Status = &Status{Status: "Failure", Reason: "ServiceUnavailable", Code: http.StatusServiceUnavailable,
			Message: clip(fmt.Sprintf("hallmark could not decide on %s, and fails closed: %s", who, strings.Join(failures, "; ")), maxMessageLen)}
	default:
		result = ResultAllowed
		var front []string
		for _, d := range denials {
			front = append(front, "hallmark audit: would deny: "+d)
		}
		for _, f := range failures {
			front = append(front, "hallmark: allowed without a decision: "+f)
		}
		warnings = append(front, warnings...)
		switch {
		case len(denials) > 0:
			result = ResultWarned
		case len(failures) > 0:
			result = ResultErrorAllowed
		}
	}
	ann["decision"] = result
	resp.Warnings = limitWarnings(warnings)
	if result != ResultAllowed {
		msg := ""
		if resp.Status != nil {
			msg = resp.Status.Message
		}
		s.log.Warn("admission: "+result, "object", who, "namespace", req.Namespace, "user", req.UserInfo.Username, "uid", req.UID, "message", msg, "warnings", len(resp.Warnings))
	} else {
		s.log.Debug("admission: allowed", "object", who, "namespace", req.Namespace, "uid", req.UID)
	}
	return resp, result
}

// decideImage decides one image reference: resolve the digest, then reuse a verdict, or make
// one from a verification summary or from the policy.
func (s *Server) decideImage(ctx context.Context, image string, now time.Time) (*verdict, error) {
	ref, err := policy.ParseImageRef(image)
	if err != nil {
		return &verdict{image: image, violations: []policy.Violation{{RuleID: RuleImageReference, Message: err.Error(), Severity: policy.SeverityHigh, Remediation: "write a valid image reference, registry/repository@sha256:…"}}}, nil
	}
	gref, err := name.ParseReference(image)
	if err != nil { // ParseImageRef checks with the same parser; kept for the type
		return nil, fmt.Errorf("%w: %v", ErrUndecided, err)
	}
	digest := ref.Digest
	if digest == "" {
		var ok bool
		digest, ok = s.digests.get(gref.Name(), now)
		s.metrics.cache(cacheDigest, ok)
		if !ok {
			s.metrics.cache(cacheVerdict, false)
		}
	}
	if digest != "" {
		v, ok := s.verdicts.get(image+"\x00"+digest, now)
		s.metrics.cache(cacheVerdict, ok)
		if ok {
			return v, nil
		}
	}
	digest, facts, err := s.lookup(ctx, image, gref, ref, digest, now)
	if err != nil {
		return nil, err
	}
	key := image + "\x00" + digest
	ev := &policy.Evidence{
		SchemaVersion: policy.EvidenceSchemaVersion,
		GeneratedAt:   now.UTC(),
		Subject:       policy.Subject{Name: image, Digest: digest, Kind: policy.KindImage, Image: &ref},
		Signatures:    facts.signatures,
	}
	v := &verdict{image: image, digest: digest, source: "policy", notes: facts.notes}
	until := time.Time{}
	eng := s.full
	if sum := facts.summary; sum != nil {
		if !sum.passed {
			v.source = "summary"
			v.violations = []policy.Violation{{
				RuleID:      RuleSummary,
				Message:     fmt.Sprintf("hallmark gate denied %s on %s under this policy (verification summary %s)", digest, sum.verified.UTC().Format(time.RFC3339), sum.referrer),
				Severity:    policy.SeverityHigh,
				Remediation: "fix what the gate reported (hallmark gate registry:IMAGE), then gate and attest the fixed image",
			}}
			s.verdicts.put(key, v, now, sum.verified.Add(s.cfg.SummaryMaxAge))
			return v, nil
		}
		// The gate decided on the image's content under this policy: only what depends on
		// the reference the workload uses is left to decide.
		v.source, eng = "summary", s.ref
		ev.GeneratedAt = sum.verified.UTC()
		until = sum.verified.Add(s.cfg.SummaryMaxAge)
	}
	d := eng.Evaluate(ctx, ev, now)
	if d.Error != "" {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: policy evaluation: %w", ErrUndecided, ctx.Err())
		}
		return nil, fmt.Errorf("%w: the policy failed at run time: %s", ErrUndecided, d.Error)
	}
	v.allow, v.violations, v.warnings = d.Allow, d.Violations, d.Warnings
	s.verdicts.put(key, v, now, until)
	return v, nil
}

// lookup is the registry work of a decision: the digest of a tag (unless known) and what the
// registry holds about that digest. It runs as one flight per reference: concurrent reviews of
// the same image wait for one lookup, and a lookup whose review gave up goes on to fill the
// caches.
func (s *Server) lookup(ctx context.Context, image string, gref name.Reference, ref policy.ImageRef, digest string, now time.Time) (string, *imageFacts, error) {
	if digest != "" {
		f, ok := s.images.get(gref.Context().Digest(digest).String(), now)
		s.metrics.cache(cacheImage, ok)
		if ok {
			return digest, f, nil
		}
	}
	type found struct {
		digest string
		facts  *imageFacts
	}
	v, err := s.flight(ctx, "lookup\x00"+image, func(ctx context.Context) (any, error) {
		d := digest
		if d == "" {
			var err error
			if d, err = s.resolve(ctx, gref); err != nil {
				return nil, fmt.Errorf("resolving the tag: %w", err)
			}
		}
		pinned := gref.Context().Digest(d)
		if f, ok := s.images.get(pinned.String(), s.cfg.Now()); ok {
			return found{d, f}, nil
		}
		f, err := s.gather(ctx, pinned, ref.Registry+"/"+ref.Repository+"@"+d, now)
		if err != nil {
			return nil, err
		}
		until := time.Time{}
		if f.summary != nil {
			until = f.summary.verified.Add(s.cfg.SummaryMaxAge)
		}
		s.images.put(pinned.String(), f, s.cfg.Now(), until)
		return found{d, f}, nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrUndecided, err)
	}
	r := v.(found)
	return r.digest, r.facts, nil
}

// resolve returns the digest a tag names now, with one HEAD request (GET where the registry
// does not answer HEAD), and caches it.
func (s *Server) resolve(ctx context.Context, ref name.Reference) (string, error) {
	opts := s.remoteOptions(ctx)
	desc, err := remote.Head(ref, opts...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusMethodNotAllowed {
		var full *remote.Descriptor
		if full, err = remote.Get(ref, opts...); err == nil {
			desc = &full.Descriptor
		}
	}
	if err != nil {
		return "", registryError(ref.Name(), err)
	}
	d := desc.Digest.String()
	s.digests.put(ref.Name(), d, s.cfg.Now(), time.Time{})
	return d, nil
}

// gather verifies what the registry holds about an image digest with the trusted keys: first
// verification summaries, and only when none is usable, signatures.
func (s *Server) gather(ctx context.Context, pinned name.Digest, resource string, now time.Time) (*imageFacts, error) {
	f := &imageFacts{}
	ref := pinned.String()
	opts := oci.Options{Remote: s.cfg.Remote}
	check := summaryCheck{resource: resource, policyDigest: s.full.Info().Digest, now: now, maxAge: s.cfg.SummaryMaxAge}
	outcome := vsaNotFound
	for _, p := range s.keys {
		vs, err := oci.VerifyImage(ctx, ref, p, oci.VerifyOptions{Options: opts, PredicateType: policy.VSAPredicateType})
		switch {
		case errors.Is(err, oci.ErrNoSignature):
			continue
		case errors.Is(err, sign.ErrVerification):
			// Summaries signed by other keys, or broken: not evidence.
			f.notes = append(f.notes, "verification summary not trusted: "+err.Error())
			outcome = vsaIgnored
			continue
		case err != nil:
			return nil, fmt.Errorf("verification summaries: %w", err)
		}
		for _, v := range vs {
			if v.Statement == nil {
				continue
			}
			sum, err := checkSummary(v.Statement.Predicate, check)
			if err != nil {
				f.notes = append(f.notes, err.Error())
				outcome = vsaIgnored
				continue
			}
			sum.referrer = v.Referrer
			if f.summary == nil || sum.verified.After(f.summary.verified) {
				f.summary = &sum
			}
		}
	}
	if f.summary != nil {
		// The newest usable summary decides; older or unusable ones are history.
		f.notes = nil
		outcome = vsaFailed
		if f.summary.passed {
			outcome = vsaPassed
		}
		s.metrics.vsa[outcome].Add(1)
		return f, nil
	}
	s.metrics.vsa[outcome].Add(1)
	for _, p := range s.keys {
		vs, err := oci.VerifyImage(ctx, ref, p, oci.VerifyOptions{Options: opts})
		switch {
		case errors.Is(err, sign.ErrVerification):
			// Unsigned, or not by this key: the policy's signature rule says what that means.
			continue
		case err != nil:
			return nil, fmt.Errorf("signatures: %w", err)
		}
		for _, v := range vs {
			f.signatures = append(f.signatures, signatureOf(v))
		}
	}
	slices.SortFunc(f.signatures, func(a, b policy.Signature) int { return strings.Compare(a.Source, b.Source) })
	return f, nil
}

func signatureOf(v oci.Verified) policy.Signature {
	sig := policy.Signature{
		Kind:   "signature",
		Signer: policy.Signer{Kind: v.Result.Signer.Kind, KeyID: v.Result.Signer.KeyID, Identity: v.Result.Signer.Identity, Issuer: v.Result.Signer.Issuer},
		Source: v.Referrer,
		Tlog:   []policy.TlogEntry{},
	}
	if v.Statement != nil {
		sig.PredicateType = v.Statement.PredicateType
	}
	for _, t := range v.Result.TransparencyLog {
		sig.Tlog = append(sig.Tlog, policy.TlogEntry{LogID: t.LogID, LogIndex: t.LogIndex, IntegratedTime: t.IntegratedTime})
	}
	return sig
}

// flight runs fn once for concurrent callers of the same key, in a context detached from the
// caller's deadline (bounded by FetchTimeout): a caller whose deadline passes stops waiting,
// but the work goes on and fills the cache for the next review of the image.
func (s *Server) flight(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := s.flights.DoChan(key, func() (any, error) {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.FetchTimeout)
		defer cancel()
		return fn(bg)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Server) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	return append(opts, s.cfg.Remote...)
}

// registryError names a registry failure as the source room does.
func registryError(ref string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w in the registry (%v)", ref, source.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w: %v", ref, source.ErrRegistry, err)
}

func objectName(req *Request) string {
	n := req.Name
	if n == "" {
		n = "(unnamed)"
	}
	if req.Namespace != "" {
		return req.Namespace + "/" + n
	}
	return n
}

func limitWarnings(ws []string) []string {
	if len(ws) == 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range ws {
		w = clip(w, maxWarningLen)
		if seen[w] {
			continue
		}
		seen[w] = true
		if len(out) == maxWarnings-1 && len(ws) > maxWarnings {
			out = append(out, fmt.Sprintf("hallmark: %d more warnings not shown (see the audit log)", len(ws)-len(out)))
			break
		}
		out = append(out, w)
	}
	return out
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
