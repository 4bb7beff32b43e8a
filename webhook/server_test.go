package webhook

import (
	"context"
	"crypto"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/regoeng"
	"github.com/hallmark-dev/hallmark/policy"
)

func badModule() []regoeng.Module {
	return []regoeng.Module{{Path: "bad.rego", Source: "package hallmark.rules.bad\n\ndeny contains x if {\n"}}
}

// cheapConfig is the built-in policy without the SBOM rule: what can be decided from the
// reference and the signatures alone, without a verification summary.
const cheapConfig = "disabled: [sbom-present]\n"

// wantResponse is what a test expects of a response.
type wantResponse struct {
	allowed  bool
	code     int32    // status code, when denied
	contains []string // in the status message (denied) or the warnings (allowed)
	lacks    []string
	decision string // audit annotation "decision"
}

func checkResponse(t *testing.T, resp *Response, uid string, w wantResponse) {
	t.Helper()
	if resp.UID != uid {
		t.Errorf("uid %q, want %q", resp.UID, uid)
	}
	text := strings.Join(resp.Warnings, "\n")
	if resp.Status != nil {
		text = resp.Status.Message + "\n" + text
	}
	if resp.Allowed != w.allowed {
		t.Fatalf("allowed %v, want %v:\n%s", resp.Allowed, w.allowed, text)
	}
	if !w.allowed && (resp.Status == nil || resp.Status.Code != w.code) {
		t.Errorf("status %+v, want code %d", resp.Status, w.code)
	}
	for _, c := range w.contains {
		if !strings.Contains(text, c) {
			t.Errorf("response lacks %q:\n%s", c, text)
		}
	}
	for _, c := range w.lacks {
		if strings.Contains(text, c) {
			t.Errorf("response has %q:\n%s", c, text)
		}
	}
	if w.decision != "" && resp.AuditAnnotations["decision"] != w.decision {
		t.Errorf("audit annotation decision %q, want %q (%v)", resp.AuditAnnotations["decision"], w.decision, resp.AuditAnnotations)
	}
}

// TestAdmission sends real AdmissionReview JSON over TLS for Pods, a Deployment and a CronJob
// whose images are signed or not in an in-process registry, under the built-in policy
// (without its SBOM rule) with the sign room's test key trusted.
func TestAdmission(t *testing.T) {
	reg := newTestRegistry(t)
	key := cosignKey(t)
	signedTag := reg.host + "/shop/signed:v1"
	signed := reg.host + "/shop/signed@" + reg.push(t, "shop/signed:v1")
	signImage(t, signed, key)
	unsigned := reg.host + "/shop/unsigned@" + reg.push(t, "shop/unsigned:v1")
	other := reg.host + "/shop/other@" + reg.push(t, "shop/other:v1")
	signImage(t, other, otherKey(t))

	policyOpts := policy.Options{Builtin: true, Config: mustConfig(t, cheapConfig), Sources: []string{"builtin"}}
	enforce := Config{Policy: policyOpts, Keys: []crypto.PublicKey{key.pub}, ExemptNamespaces: []string{"kube-system", "finance-exempt"}}
	audit := enforce
	audit.Mode = ModeAudit
	_, ets, elogs := startServer(t, enforce)
	_, ats, _ := startServer(t, audit)

	tests := []struct {
		name   string
		ts     string // "enforce" or "audit"
		file   string
		images map[string]string
		edit   func(string) string
		uid    string
		want   wantResponse
	}{
		{"pod-signed", "enforce", "pod", map[string]string{"IMAGE": signed}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{allowed: true, decision: ResultAllowed}},
		{"pod-unsigned", "enforce", "pod", map[string]string{"IMAGE": unsigned}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{code: 403, decision: ResultDenied, contains: []string{"hallmark denied Pod shop/web: image " + unsigned + ` (container "web"): signature-trusted: ` + unsigned + " is not signed"}}},
		{"pod-untrusted-signer", "enforce", "pod", map[string]string{"IMAGE": other}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{code: 403, contains: []string{"signature-trusted:", "is not signed"}}},
		{"deployment-by-tag", "enforce", "deployment", map[string]string{"IMAGE": signedTag}, nil, "e911857d-c318-11e8-bbad-025000000001",
			wantResponse{code: 403, decision: ResultDenied, contains: []string{"hallmark denied Deployment.apps shop/checkout", "image-digest: image " + signedTag + " is referenced by tag"}, lacks: []string{"signature-trusted"}}},
		{"cronjob-unsigned", "enforce", "cronjob", map[string]string{"IMAGE": unsigned}, nil, "4b0c9a8e-5b7f-4a8f-bf54-9f6f1a9c3d21",
			wantResponse{code: 403, contains: []string{"CronJob.batch finance/nightly-report", `container "report"`, "is not signed"}}},
		{"cronjob-signed", "enforce", "cronjob", map[string]string{"IMAGE": signed}, nil, "4b0c9a8e-5b7f-4a8f-bf54-9f6f1a9c3d21",
			wantResponse{allowed: true}},
		{"init-and-ephemeral", "enforce", "pod-init-ephemeral", map[string]string{"IMAGE": signed, "INIT": unsigned, "EPHEMERAL": other}, nil, "c3a1e6f0-2b4d-4d8e-9a51-0d7a3f1e2b11",
			wantResponse{code: 403, contains: []string{`image ` + unsigned + ` (init container "migrate")`, `image ` + other + ` (ephemeral container "debugger-x7k2p")`}, lacks: []string{`container "api"`}}},
		{"two-containers-one-image", "enforce", "pod-init-ephemeral", map[string]string{"IMAGE": unsigned, "INIT": signed, "EPHEMERAL": signed}, nil, "c3a1e6f0-2b4d-4d8e-9a51-0d7a3f1e2b11",
			wantResponse{code: 403, contains: []string{`(container "api", container "sidecar")`}}},
		{"audit-unsigned", "audit", "pod", map[string]string{"IMAGE": unsigned}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{allowed: true, decision: ResultWarned, contains: []string{"hallmark audit: would deny: image " + unsigned, "signature-trusted"}}},
		{"audit-signed", "audit", "pod", map[string]string{"IMAGE": signed}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{allowed: true, decision: ResultAllowed, lacks: []string{"would deny"}}},
		{"exempt-namespace", "enforce", "pod", map[string]string{"IMAGE": unsigned}, func(s string) string { return strings.ReplaceAll(s, `"shop"`, `"kube-system"`) }, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{allowed: true, decision: ResultExempt}},
		{"unknown-kind", "enforce", "configmap", map[string]string{"IMAGE": unsigned}, nil, "9d2f6c1e-7a3b-4c5d-8e9f-0a1b2c3d4e5f",
			wantResponse{allowed: true, decision: ResultSkipped}},
		{"custom-resource-named-deployment", "enforce", "custom-deployment", map[string]string{"IMAGE": unsigned}, nil, "1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
			wantResponse{allowed: true, decision: ResultSkipped}},
		{"delete", "enforce", "pod-delete", map[string]string{"IMAGE": unsigned}, nil, "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
			wantResponse{allowed: true}},
		{"invalid-image-reference", "enforce", "pod", map[string]string{"IMAGE": "Not A Reference"}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{code: 403, contains: []string{"image-reference: invalid image reference"}}},
		{"container-without-image", "enforce", "pod", map[string]string{"IMAGE": unsigned}, func(s string) string { return strings.Replace(s, `"image": "`+unsigned+`", `, "", 1) }, "705ab4f5-6393-11e8-b7cc-42010a800002",
			wantResponse{code: 403, contains: []string{`workload: unreadable workload: container "web" (/spec/containers/0) has no image`}}},
		{"docker-hub", "enforce", "pod", map[string]string{"IMAGE": "nginx@sha256:" + strings.Repeat("0", 64)}, nil, "705ab4f5-6393-11e8-b7cc-42010a800002",
			// No key verifies anything on Docker Hub from here: the reference alone denies.
			wantResponse{code: 403, contains: []string{"image-registry: image nginx@sha256:", "names no registry, so the runtime pulls it from Docker Hub"}}},
	}
	servers := map[string]string{"enforce": ets.URL, "audit": ats.URL}
	for _, tc := range tests {
		if tc.name == "docker-hub" {
			continue // needs a server without keys, below
		}
		t.Run(tc.name, func(t *testing.T) {
			body := string(review(t, tc.file, tc.images))
			if tc.edit != nil {
				body = tc.edit(body)
			}
			ts := ets
			if servers[tc.ts] == ats.URL {
				ts = ats
			}
			code, resp, raw := post(t, ts, []byte(body))
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, raw)
			}
			checkResponse(t, resp, tc.uid, tc.want)
		})
	}
	if !strings.Contains(elogs.String(), "kind is not a workload, allowed") || !strings.Contains(elogs.String(), "kind=/v1/ConfigMap") {
		t.Errorf("the unknown kind was not logged:\n%s", elogs)
	}

	// Without trusted keys the server reaches no registry for a reference by digest.
	_, nts, _ := startServer(t, Config{Policy: policyOpts})
	for _, tc := range tests {
		if tc.name != "docker-hub" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			code, resp, raw := post(t, nts, review(t, tc.file, tc.images))
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, raw)
			}
			checkResponse(t, resp, tc.uid, tc.want)
		})
	}
}

// TestAdmissionBadRequests: what is not an AdmissionReview is answered with a 4xx and the
// reason, never a panic or a decision.
func TestAdmissionBadRequests(t *testing.T) {
	s, ts, _ := startServer(t, Config{Policy: policy.Options{Builtin: true}})
	tests := []struct {
		name, method, path, ctype, body string
		code                            int
		contains                        string
	}{
		{"malformed-json", "POST", "/validate", "application/json", `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {`, 400, "malformed AdmissionReview: the JSON ends early"},
		{"not-json", "POST", "/validate", "application/json", `<xml/>`, 400, "malformed AdmissionReview: line 1 column 1: invalid character '<'"},
		{"v1beta1", "POST", "/validate", "application/json", `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}`, 400, "want \"admission.k8s.io/v1\""},
		{"no-uid", "POST", "/validate", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"operation":"CREATE","object":{}}}`, 400, "request.uid is missing"},
		{"yaml-content-type", "POST", "/validate", "application/yaml", `{}`, 415, "want application/json"},
		{"get", "GET", "/validate", "", "", 405, ""},
		{"unknown-path", "POST", "/mutate", "application/json", `{}`, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.code || !strings.Contains(string(b), tc.contains) {
				t.Errorf("HTTP %d %q, want %d with %q", res.StatusCode, b, tc.code, tc.contains)
			}
		})
	}
	if got := s.metrics.reviews[ResultBadRequest].Load(); got != 5 {
		t.Errorf("%d bad requests counted, want 5", got)
	}
}

// TestAdmissionSummary: a verification summary pushed by the gate, signed by a trusted key and
// naming this policy, stands for the image's content; the reference the workload uses is
// still checked; summaries for another policy, by another key, or too old are not used.
func TestAdmissionSummary(t *testing.T) {
	reg := newTestRegistry(t)
	key := cosignKey(t)
	// The full built-in policy: without a summary, an image has no SBOM at admission time.
	policyOpts := policy.Options{Builtin: true, Sources: []string{"builtin"}}
	s, ts, _ := startServer(t, Config{Policy: policyOpts, Keys: []crypto.PublicKey{key.pub}})
	pd := s.Policy().Digest
	now := time.Now()
	image := func(repo string) (tag, pinned string) {
		d := reg.push(t, repo+":v1")
		return reg.host + "/" + repo + ":v1", reg.host + "/" + repo + "@" + d
	}
	passedTag, passed := image("gated/passed")
	attestSummary(t, passed, key, summaryOpts{allow: true, policyDigest: pd, verified: now.Add(-time.Hour)})
	_, failed := image("gated/failed")
	attestSummary(t, failed, key, summaryOpts{allow: false, policyDigest: pd, verified: now.Add(-time.Hour)})
	_, refailed := image("gated/refixed")
	attestSummary(t, refailed, key, summaryOpts{allow: false, policyDigest: pd, verified: now.Add(-2 * time.Hour)})
	attestSummary(t, refailed, key, summaryOpts{allow: true, policyDigest: pd, verified: now.Add(-time.Hour)})
	_, otherPolicy := image("gated/other-policy")
	attestSummary(t, otherPolicy, key, summaryOpts{allow: true, policyDigest: "sha256:" + strings.Repeat("ab", 32), verified: now})
	_, byOtherKey := image("gated/other-key")
	attestSummary(t, byOtherKey, otherKey(t), summaryOpts{allow: true, policyDigest: pd, verified: now})
	_, stale := image("gated/stale")
	attestSummary(t, stale, key, summaryOpts{allow: true, policyDigest: pd, verified: now.Add(-48 * time.Hour)})
	_, elsewhere := image("gated/elsewhere")
	attestSummary(t, elsewhere, key, summaryOpts{allow: true, policyDigest: pd, verified: now, resource: "ghcr.io/acme/app@sha256:" + strings.Repeat("1", 64)})

	tests := []struct {
		name, image string
		want        wantResponse
	}{
		{"passed", passed, wantResponse{allowed: true}},
		{"passed-by-tag", passedTag, wantResponse{code: 403, contains: []string{"image-digest: image " + passedTag + " is referenced by tag"}, lacks: []string{"sbom-present", "signature-trusted"}}},
		{"failed", failed, wantResponse{code: 403, contains: []string{"verification-summary: hallmark gate denied sha256:", "under this policy"}}},
		{"newest-decides", refailed, wantResponse{allowed: true}},
		{"other-policy", otherPolicy, wantResponse{code: 403, contains: []string{"sbom-present:", "verification summary not usable: it is for policy sha256:abab"}}},
		{"other-key", byOtherKey, wantResponse{code: 403, contains: []string{"sbom-present:", "verification summary not trusted"}}},
		{"stale", stale, wantResponse{code: 403, contains: []string{"sbom-present:", "more than 24h0m0s ago"}}},
		{"other-resource", elsewhere, wantResponse{code: 403, contains: []string{"it is about ghcr.io/acme/app@sha256:1111"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, resp, raw := post(t, ts, review(t, "pod", map[string]string{"IMAGE": tc.image}))
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, raw)
			}
			checkResponse(t, resp, "705ab4f5-6393-11e8-b7cc-42010a800002", tc.want)
		})
	}
	if got := s.metrics.vsa[vsaPassed].Load(); got != 2 {
		t.Errorf("%d summaries passed, want 2 (passed and newest-decides; passed-by-tag is cached)", got)
	}
}

// TestAdmissionPolicyRuntimeError: a policy that fails at run time denies with the reason when
// failing closed, and allows with a warning when failing open.
func TestAdmissionPolicyRuntimeError(t *testing.T) {
	mods, err := policy.LoadModules("../policy/testdata/policies/runtime-error", false)
	if err != nil {
		t.Fatal(err)
	}
	opts := policy.Options{Modules: mods, Sources: []string{"runtime-error"}}
	image := "registry.example/app@sha256:" + strings.Repeat("c", 64)
	for _, tc := range []struct {
		fp   FailurePolicy
		want wantResponse
	}{
		{FailClosed, wantResponse{code: 503, decision: ResultErrorDenied, contains: []string{"hallmark could not decide on Pod shop/web, and fails closed:", "the policy failed at run time:", "divide by zero"}}},
		{FailOpenUnsafe, wantResponse{allowed: true, decision: ResultErrorAllowed, contains: []string{"hallmark: allowed without a decision: image " + image, "the policy failed at run time"}}},
	} {
		t.Run(string(tc.fp), func(t *testing.T) {
			_, ts, _ := startServer(t, Config{Policy: opts, FailurePolicy: tc.fp})
			code, resp, raw := post(t, ts, review(t, "pod", map[string]string{"IMAGE": image}))
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, raw)
			}
			checkResponse(t, resp, "705ab4f5-6393-11e8-b7cc-42010a800002", tc.want)
			// The audit log has the whole reason, whatever the warning's length limit cut.
			if !strings.Contains(resp.AuditAnnotations["errors"], "divide by zero") {
				t.Errorf("audit annotation errors %q lacks the reason", resp.AuditAnnotations["errors"])
			}
		})
	}
}

// TestAdmissionSlowRegistry: a registry that stalls past the deadline does not stall the
// answer: fail closed denies, fail open allows with a warning, both well before the registry
// would have answered; the lookup goes on in the background and the next review finds it.
func TestAdmissionSlowRegistry(t *testing.T) {
	reg := newTestRegistry(t)
	key := cosignKey(t)
	tag := reg.host + "/slow/app:v1"
	d := reg.push(t, "slow/app:v1")
	signImage(t, reg.host+"/slow/app@"+d, key)
	stall := 20 * time.Second
	reg.stall("slow/app", stall)
	opts := policy.Options{Builtin: true, Config: mustConfig(t, cheapConfig+"images: {require_digest: false}\n")}
	for _, tc := range []struct {
		fp   FailurePolicy
		want wantResponse
	}{
		{FailClosed, wantResponse{code: 503, decision: ResultErrorDenied, contains: []string{"fails closed", "image " + tag + ` (container "web"): not decided within the`, "context deadline exceeded"}}},
		{FailOpenUnsafe, wantResponse{allowed: true, decision: ResultErrorAllowed, contains: []string{"hallmark: allowed without a decision: image " + tag, "not decided within the"}}},
	} {
		t.Run(string(tc.fp), func(t *testing.T) {
			s, ts, _ := startServer(t, Config{Policy: opts, Keys: []crypto.PublicKey{key.pub}, FailurePolicy: tc.fp, Deadline: 200 * time.Millisecond, FetchTimeout: time.Second})
			start := time.Now()
			code, resp, raw := post(t, ts, review(t, "pod", map[string]string{"IMAGE": tag}))
			if elapsed := time.Since(start); elapsed > stall/2 {
				t.Errorf("answered after %s: the deadline did not hold against a registry stalling %s", elapsed, stall)
			}
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, raw)
			}
			checkResponse(t, resp, "705ab4f5-6393-11e8-b7cc-42010a800002", tc.want)
			if got := s.metrics.deadline.Load(); got != 1 {
				t.Errorf("deadline exceeded counted %d times, want 1", got)
			}
		})
	}

	// The registry answers the tag after 600 ms: the first review misses its 200 ms deadline,
	// the lookup completes in the background, and a later review is decided from the cache.
	reg.stall("slow/app", 0)
	reg.stall("slow/app/manifests/v1", 600*time.Millisecond)
	s, ts, _ := startServer(t, Config{Policy: opts, Keys: []crypto.PublicKey{key.pub}, Deadline: 200 * time.Millisecond, FetchTimeout: 20 * time.Second})
	body := review(t, "pod", map[string]string{"IMAGE": tag})
	_, resp, _ := post(t, ts, body)
	checkResponse(t, resp, "705ab4f5-6393-11e8-b7cc-42010a800002", wantResponse{code: 503, contains: []string{"not decided within"}})
	var last *Response
	for range 100 {
		time.Sleep(100 * time.Millisecond)
		if s.images.len() > 0 {
			_, last, _ = post(t, ts, body)
			break
		}
	}
	if last == nil {
		t.Fatal("the background lookup never completed")
	}
	checkResponse(t, last, "705ab4f5-6393-11e8-b7cc-42010a800002", wantResponse{allowed: true, decision: ResultAllowed})
}

// TestAdmissionCache: a second review of the same images is decided without the registry.
func TestAdmissionCache(t *testing.T) {
	reg := newTestRegistry(t)
	key := cosignKey(t)
	tag := reg.host + "/shop/app:v1"
	d := reg.push(t, "shop/app:v1")
	signImage(t, reg.host+"/shop/app@"+d, key)
	opts := policy.Options{Builtin: true, Config: mustConfig(t, cheapConfig+"images: {require_digest: false}\n")}
	s, ts, _ := startServer(t, Config{Policy: opts, Keys: []crypto.PublicKey{key.pub}})
	body := review(t, "deployment", map[string]string{"IMAGE": tag})

	before := reg.requests.Load()
	_, resp, _ := post(t, ts, body)
	checkResponse(t, resp, "e911857d-c318-11e8-bbad-025000000001", wantResponse{allowed: true})
	if !strings.Contains(resp.AuditAnnotations["images"], tag+"="+d+" (policy)") {
		t.Errorf("audit annotation images %q lacks the resolved digest", resp.AuditAnnotations["images"])
	}
	cold := reg.requests.Load() - before
	if cold == 0 {
		t.Fatal("the first review did not reach the registry")
	}
	before = reg.requests.Load()
	for range 3 {
		_, resp, _ = post(t, ts, body)
		checkResponse(t, resp, "e911857d-c318-11e8-bbad-025000000001", wantResponse{allowed: true})
	}
	if warm := reg.requests.Load() - before; warm != 0 {
		t.Errorf("warm reviews made %d registry requests, want 0 (the cold one made %d)", warm, cold)
	}
	if h, m := s.metrics.hits[cacheDigest].Load(), s.metrics.misses[cacheDigest].Load(); h != 3 || m != 1 {
		t.Errorf("digest cache %d hits, %d misses; want 3, 1", h, m)
	}
	if h, m := s.metrics.hits[cacheVerdict].Load(), s.metrics.misses[cacheVerdict].Load(); h != 3 || m != 1 {
		t.Errorf("verdict cache %d hits, %d misses; want 3, 1", h, m)
	}

	// The exposition carries the counters and the histogram.
	res, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`hallmark_admission_reviews_total{result="allowed"} 4`,
		`hallmark_admission_cache_hits_total{cache="verdict"} 3`,
		`hallmark_admission_cache_misses_total{cache="digest"} 1`,
		`hallmark_admission_review_duration_seconds_bucket{le="+Inf"} 4`,
		`hallmark_admission_review_duration_seconds_count 4`,
		`hallmark_admission_deadline_exceeded_total 0`,
		`hallmark_admission_verification_summaries_total{outcome="none"} 1`,
		"# TYPE hallmark_admission_review_duration_seconds histogram",
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics Content-Type %q", ct)
	}
	res, err = ts.Client().Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "ok\n" {
		t.Errorf("/healthz: %d %q", res.StatusCode, b)
	}
}

func TestNewRejects(t *testing.T) {
	builtin := policy.Options{Builtin: true}
	tests := []struct {
		name string
		cfg  Config
		want error
		msg  string
	}{
		{"mode", Config{Policy: builtin, Mode: "warn"}, ErrConfig, `mode "warn"`},
		{"failure-policy", Config{Policy: builtin, FailurePolicy: "open"}, ErrConfig, `failure policy "open"`},
		{"deadline", Config{Policy: builtin, Deadline: time.Minute}, ErrConfig, "deadline 1m0s"},
		{"negative-ttl", Config{Policy: builtin, CacheTTL: -1}, ErrConfig, "cache TTL"},
		{"fetch-timeout", Config{Policy: builtin, Deadline: 5 * time.Second, FetchTimeout: time.Second}, ErrConfig, "fetch timeout"},
		{"empty-namespace", Config{Policy: builtin, ExemptNamespaces: []string{""}}, ErrConfig, "exempt namespace is empty"},
		{"bad-key", Config{Policy: builtin, Keys: []crypto.PublicKey{"not a key"}}, ErrConfig, "key 1"},
		{"bad-rego", Config{Policy: policy.Options{Modules: badModule()}}, policy.ErrPolicy, "bad.rego:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %v with %q", err, tc.want, tc.msg)
			}
		})
	}
}
