package webhook

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := newTTLCache[string](time.Minute, 3)
	c.put("a", "1", t0, time.Time{})
	if v, ok := c.get("a", t0.Add(59*time.Second)); !ok || v != "1" {
		t.Errorf("get before expiry: %q %v", v, ok)
	}
	if _, ok := c.get("a", t0.Add(time.Minute)); ok {
		t.Error("get at expiry found the entry")
	}
	// An earlier "until" wins over the TTL.
	c.put("b", "2", t0, t0.Add(10*time.Second))
	if _, ok := c.get("b", t0.Add(11*time.Second)); ok {
		t.Error("entry outlived its until")
	}
	// The bound holds: expired entries go first, then arbitrary ones.
	for i := range 10 {
		c.put(strconv.Itoa(i), "x", t0.Add(2*time.Minute), time.Time{})
		if n := c.len(); n > 3 {
			t.Fatalf("%d entries, bound 3", n)
		}
	}
	if _, ok := c.get("9", t0.Add(2*time.Minute)); !ok {
		t.Error("the newest entry was evicted")
	}
	// TTL 0 caches nothing.
	z := newTTLCache[string](0, 3)
	z.put("a", "1", t0, time.Time{})
	if _, ok := z.get("a", t0); ok {
		t.Error("a zero-TTL cache kept an entry")
	}
}

func TestMetricsHistogram(t *testing.T) {
	m := newMetrics()
	m.review(ResultAllowed, 300*time.Microsecond) // ≤ 0.0005
	m.review(ResultAllowed, 10*time.Millisecond)  // ≤ 0.01 (the bound itself)
	m.review(ResultDenied, 30*time.Second)        // only +Inf
	m.cache(cacheVerdict, true)
	m.cache(cacheVerdict, false)
	var b bytes.Buffer
	if err := m.write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`hallmark_admission_review_duration_seconds_bucket{le="0.0005"} 1`,
		`hallmark_admission_review_duration_seconds_bucket{le="0.005"} 1`,
		`hallmark_admission_review_duration_seconds_bucket{le="0.01"} 2`,
		`hallmark_admission_review_duration_seconds_bucket{le="10"} 2`,
		`hallmark_admission_review_duration_seconds_bucket{le="+Inf"} 3`,
		`hallmark_admission_review_duration_seconds_count 3`,
		`hallmark_admission_reviews_total{result="allowed"} 2`,
		`hallmark_admission_reviews_total{result="denied"} 1`,
		`hallmark_admission_cache_hits_total{cache="verdict"} 1`,
		`hallmark_admission_cache_misses_total{cache="verdict"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	// Every sample line belongs to a family declared with HELP and TYPE before it.
	declared := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			declared[strings.Fields(f)[0]] = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !declared[name] && !declared[base] {
			t.Errorf("sample %q of an undeclared family", line)
		}
	}
}
