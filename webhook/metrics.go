package webhook

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Results a review is counted under (label result of hallmark_admission_reviews_total).
const (
	ResultAllowed = "allowed"
	// ResultDenied: the policy denied (enforce mode).
	ResultDenied = "denied"
	// ResultWarned: the policy denied, but in audit mode: allowed with warnings.
	ResultWarned = "warned"
	// ResultExempt: the namespace is exempt.
	ResultExempt = "exempt"
	// ResultSkipped: not a workload kind, or an operation that starts nothing (DELETE).
	ResultSkipped = "skipped"
	// ResultErrorDenied and ResultErrorAllowed: no decision in time, or evaluation failed;
	// denied (fail closed) or allowed (fail open).
	ResultErrorDenied  = "error_denied"
	ResultErrorAllowed = "error_allowed"
	// ResultBadRequest: the body was not an AdmissionReview (HTTP 4xx).
	ResultBadRequest = "bad_request"
)

var results = []string{ResultAllowed, ResultDenied, ResultWarned, ResultExempt, ResultSkipped, ResultErrorDenied, ResultErrorAllowed, ResultBadRequest}

// latencyBuckets are the upper bounds (seconds) of the review latency histogram: fine below
// the 25 ms budget, coarse up to the API server's 10 s timeout.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Caches counted by hallmark_admission_cache_{hits,misses}_total.
const (
	cacheDigest  = "digest"
	cacheVerdict = "verdict"
	cacheImage   = "image"
)

var caches = []string{cacheDigest, cacheVerdict, cacheImage}

// metrics are the server's counters, written in the Prometheus text exposition format
// (version 0.0.4) by hand: the format is small and stable, and client_golang is not a
// dependency of this module.
type metrics struct {
	reviews  map[string]*atomic.Uint64
	hits     map[string]*atomic.Uint64
	misses   map[string]*atomic.Uint64
	deadline atomic.Uint64
	vsa      map[string]*atomic.Uint64

	mu      sync.Mutex
	buckets []uint64 // per latencyBuckets, not cumulative
	count   uint64
	sum     float64
}

// VSA outcomes counted by hallmark_admission_verification_summaries_total.
const (
	vsaPassed   = "passed"
	vsaFailed   = "failed"
	vsaIgnored  = "ignored"
	vsaNotFound = "none"
)

var vsaOutcomes = []string{vsaPassed, vsaFailed, vsaIgnored, vsaNotFound}

func newMetrics() *metrics {
	counters := func(keys []string) map[string]*atomic.Uint64 {
		m := map[string]*atomic.Uint64{}
		for _, k := range keys {
			m[k] = new(atomic.Uint64)
		}
		return m
	}
	return &metrics{
		reviews: counters(results),
		hits:    counters(caches),
		misses:  counters(caches),
		vsa:     counters(vsaOutcomes),
		buckets: make([]uint64, len(latencyBuckets)),
	}
}

func (m *metrics) review(result string, d time.Duration) {
	m.reviews[result].Add(1)
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	m.mu.Lock()
	if i < len(m.buckets) {
		m.buckets[i]++
	}
	m.count++
	m.sum += s
	m.mu.Unlock()
}

func (m *metrics) cache(name string, hit bool) {
	if hit {
		m.hits[name].Add(1)
	} else {
		m.misses[name].Add(1)
	}
}

// write writes the exposition.
func (m *metrics) write(w io.Writer) error {
	ew := &errWriter{w: w}
	family := func(name, typ, help string) {
		ew.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	labelled := func(name, label string, keys []string, vals map[string]*atomic.Uint64) {
		for _, k := range keys {
			ew.printf("%s{%s=%q} %d\n", name, label, k, vals[k].Load())
		}
	}
	family("hallmark_admission_reviews_total", "counter", "Admission reviews answered, by result.")
	labelled("hallmark_admission_reviews_total", "result", results, m.reviews)

	m.mu.Lock()
	buckets, count, sum := slices.Clone(m.buckets), m.count, m.sum
	m.mu.Unlock()
	family("hallmark_admission_review_duration_seconds", "histogram", "Time from receiving a review to answering it.")
	var cum uint64
	for i, le := range latencyBuckets {
		cum += buckets[i]
		ew.printf("hallmark_admission_review_duration_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	ew.printf("hallmark_admission_review_duration_seconds_bucket{le=\"+Inf\"} %d\n", count)
	ew.printf("hallmark_admission_review_duration_seconds_sum %s\n", strconv.FormatFloat(sum, 'g', -1, 64))
	ew.printf("hallmark_admission_review_duration_seconds_count %d\n", count)

	family("hallmark_admission_cache_hits_total", "counter", "Cache lookups that found a live entry, by cache (digest: tag to digest; verdict: decision per reference and digest; image: signatures and verification summary per digest).")
	labelled("hallmark_admission_cache_hits_total", "cache", caches, m.hits)
	family("hallmark_admission_cache_misses_total", "counter", "Cache lookups that found nothing live, by cache.")
	labelled("hallmark_admission_cache_misses_total", "cache", caches, m.misses)

	family("hallmark_admission_deadline_exceeded_total", "counter", "Reviews not decided within the deadline (answered per the failure policy).")
	ew.printf("hallmark_admission_deadline_exceeded_total %d\n", m.deadline.Load())

	family("hallmark_admission_verification_summaries_total", "counter", "Verification summary lookups on a cache miss, by outcome (passed, failed, ignored: not usable for this policy or image, none: not found).")
	labelled("hallmark_admission_verification_summaries_total", "outcome", vsaOutcomes, m.vsa)
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
