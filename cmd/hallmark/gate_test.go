package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/policy"
)

const policyTestdata = "../../policy/testdata"

// atGoodEvidence is SOURCE_DATE_EPOCH one hour after policy/testdata/evidence/good.json was
// gathered (2024-06-01T12:00:00Z).
var atGoodEvidence = map[string]string{"SOURCE_DATE_EPOCH": "1717243200"}

func with(vars map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// TestGateRegistry gates a signed and an unsigned image in go-containerregistry's in-process
// registry, with the fixture advisory database, then signs a verification summary of the
// decision and verifies it as the admission webhook would.
func TestGateRegistry(t *testing.T) {
	db := fixtureDB(t)
	host := testRegistry(t)
	push := func(ref string) string { return pushRandomImage(t, ref) }
	signed := host + "/test/signed@" + push(host+"/test/signed:v1")
	unsigned := host + "/test/unsigned@" + push(host+"/test/unsigned:v1")
	key, pub := signKeys+"/cosign.key", signKeys+"/cosign.pub"
	dir := t.TempDir()
	if code, _, stderr := runKeyCLI(t, map[string]string{"HALLMARK_PASSWORD": "other"}, "", "key", "generate", "--output-prefix", filepath.Join(dir, "other")); code != ExitOK {
		t.Fatalf("key generate: %s", stderr)
	}
	if code, _, stderr := runKeyCLI(t, cosignPassword, "", "sign", "registry:"+host+"/test/signed:v1", "--key", key); code != ExitOK {
		t.Fatalf("sign: %s", stderr)
	}

	steps := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"signed", []string{"gate", "registry:" + signed, "--db", db, "--key", pub}, ExitOK, []string{"ALLOW  registry:" + signed, "0 violations"}},
		{"signed-json", []string{"gate", "registry:" + signed, "--db", db, "--key", pub, "--format", "json"}, ExitOK, []string{`"allow": true`, `"registry": "` + host + `"`}},
		{"unsigned", []string{"gate", "registry:" + unsigned, "--db", db, "--key", pub}, ExitNo, []string{"DENY  registry:" + unsigned, "signature-trusted: registry:" + unsigned + " is not signed", "has no signature", "denied by policy: 1 violation"}},
		{"wrong-key", []string{"gate", "registry:" + signed, "--db", db, "--key", filepath.Join(dir, "other.pub")}, ExitNo, []string{"no signature of " + host + "/test/signed@", "is not signed"}},
		{"trusted-key-id", []string{"gate", "registry:" + signed, "--db", db, "--key", pub, "--config", writeFile(t, "trusted.yaml", "signatures: {trusted_key_ids: [sha256:0000]}\n")}, ExitNo, []string{"signed only by untrusted signers: key sha256:"}},
		{"by-tag", []string{"gate", "registry:" + host + "/test/signed:v1", "--db", db, "--key", pub}, ExitNo, []string{"image-digest: image " + host + "/test/signed:v1 is referenced by tag"}},
		{"registry-not-approved", []string{"gate", "registry:" + signed, "--db", db, "--key", pub, "--config", writeFile(t, "reg.yaml", "registries: {allowed: [ghcr.io/acme]}\n")}, ExitNo, []string{"image-registry:", "is not from an approved registry (ghcr.io/acme)"}},
		{"attest", []string{"gate", "registry:" + signed, "--db", db, "--key", pub, "--attest", "--key", key}, ExitOK, []string{"verification summary (PASSED) of sha256:", "pushed as referrer"}},
		{"verify-vsa", []string{"verify-attestation", "registry:" + signed, "--key", pub, "--type", policy.VSAPredicateType}, ExitOK, []string{`"verificationResult":"PASSED"`, `"verifier":{"id":"` + policy.VerifierID}},
		{"attest-denied", []string{"gate", "registry:" + unsigned, "--db", db, "--key", pub, "--attest", "--key", key}, ExitNo, []string{"verification summary (FAILED)"}},
		{"verify-vsa-failed", []string{"verify-attestation", "registry:" + unsigned, "--key", pub, "--type", policy.VSAPredicateType}, ExitOK, []string{`"verificationResult":"FAILED"`, `"verifiedLevels":["FAILED"]`}},
		{"missing-image", []string{"gate", "registry:" + host + "/test/none:v1", "--db", db}, ExitUsage, []string{"not found"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, cosignPassword, "", st.args...)
			if code != st.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, st.code, stdout, stderr)
			}
			for _, want := range st.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGateEvidenceFile(t *testing.T) {
	good := policyTestdata + "/evidence/good.json"
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		code     int
		contains []string
	}{
		{"allow", atGoodEvidence, []string{"--evidence", good}, ExitOK, []string{"ALLOW  registry:ghcr.io/acme/app@sha256:9f86", "0 violations, 0 warnings; 11 rules of policy builtin"}},
		{"stale", map[string]string{"SOURCE_DATE_EPOCH": "1717416000"}, []string{"--evidence", good}, ExitNo, []string{"evidence-age: the evidence is 49 hours old (at most 24 allowed)"}},
		{"config", atGoodEvidence, []string{"--evidence", good, "--config", policyTestdata + "/config/strict.yaml"}, ExitOK, []string{"ALLOW", "10 rules"}},
		{"user-rules", atGoodEvidence, []string{"--evidence", good, "--policy", "builtin", "--policy", policyTestdata + "/policies/org"}, ExitNo, []string{"org.labels: the image has no org.opencontainers.image.source label", "policy builtin+" + policyTestdata + "/policies/org"}},
		{"only-user-rules", atGoodEvidence, []string{"--evidence", good, "--policy", policyTestdata + "/policies/org", "--config", writeFile(t, "c.yaml", "disabled: [org.labels]\n")}, ExitOK, []string{"ALLOW", "1 rules of policy"}},
		{"runtime-error-fails-closed", atGoodEvidence, []string{"--evidence", policyTestdata + "/evidence/minimal.json", "--policy", policyTestdata + "/policies/runtime-error"}, ExitNo, []string{"policy-error: policy evaluation failed:", "divide by zero", "the policy failed to evaluate"}},
		{"runtime-error-fails-open", atGoodEvidence, []string{"--evidence", policyTestdata + "/evidence/minimal.json", "--policy", policyTestdata + "/policies/runtime-error", "--config", writeFile(t, "open.yaml", "on_error: allow\n")}, ExitOK, []string{"ALLOW", "policy-error"}},
		{"bad-rego", atGoodEvidence, []string{"--evidence", good, "--policy", policyTestdata + "/policies/bad-syntax"}, ExitUsage, []string{"bad-syntax/bad.rego:5:"}},
		{"wrong-shape", atGoodEvidence, []string{"--evidence", good, "--policy", policyTestdata + "/policies/wrong-shape"}, ExitUsage, []string{"shape.rego:4: hallmark.rules.shape.deny must be a set"}},
		{"bad-config", atGoodEvidence, []string{"--evidence", good, "--config", policyTestdata + "/config/typo.yaml"}, ExitUsage, []string{"vulnerabilities.severty: unknown setting"}},
		{"bad-evidence", atGoodEvidence, []string{"--evidence", writeFile(t, "e.json", `{"schema_version":"1"}`)}, ExitUsage, []string{"invalid evidence document: subject.digest is missing"}},
		{"missing-evidence", atGoodEvidence, []string{"--evidence", "nope.json"}, ExitUsage, []string{"nope.json"}},
		{"target-and-evidence", atGoodEvidence, []string{".", "--evidence", good}, ExitUsage, []string{"not both"}},
		{"no-target", atGoodEvidence, nil, ExitUsage, []string{"want TARGET or --evidence FILE"}},
		{"bad-format", atGoodEvidence, []string{"--evidence", good, "--format", "html"}, ExitUsage, []string{"--format"}},
		{"private-key-without-attest", atGoodEvidence, []string{"--evidence", good, "--key", signKeys + "/cosign.key"}, ExitUsage, []string{"is a private key"}},
		{"attest-without-key", atGoodEvidence, []string{"--evidence", good, "--attest"}, ExitUsage, []string{"--attest needs the private key"}},
		{"attest-without-bundle", atGoodEvidence, []string{"--evidence", good, "--attest", "--key", signKeys + "/cosign.key"}, ExitUsage, []string{"--attest-bundle"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, tc.vars, "", append([]string{"gate"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
}

// TestGateFormats writes a denying decision in each format and checks each against its
// schema or grammar.
func TestGateFormats(t *testing.T) {
	stale := map[string]string{"SOURCE_DATE_EPOCH": "1717416000"}
	run := func(format string) []byte {
		out := filepath.Join(t.TempDir(), "decision."+format)
		code, stdout, stderr := runKeyCLI(t, stale, "", "gate", "--evidence", policyTestdata+"/evidence/good.json", "--format", format, "--output", out)
		if code != ExitNo || stdout != "" {
			t.Fatalf("%s: exit %d\n%s%s", format, code, stdout, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("json", func(t *testing.T) {
		doc := run("json")
		validateJSON(t, doc, "../../docs/schema/decision-v1.json", "../../docs/schema/evidence-v1.json")
		var d policy.Decision
		if err := json.Unmarshal(doc, &d); err != nil || d.Allow || d.Violations[0].RuleID != "evidence-age" {
			t.Errorf("%v %+v", err, d)
		}
	})
	t.Run("sarif", func(t *testing.T) {
		validateJSON(t, run("sarif"), scanSchemas["sarif"])
	})
	t.Run("junit", func(t *testing.T) {
		doc := run("junit")
		dec := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("JUnit output is not well-formed XML: %v\n%s", err, doc)
			}
		}
		if !bytes.Contains(doc, []byte(`<testcase name="evidence-age" classname="hallmark.policy">`)) || !bytes.Contains(doc, []byte(`failures="1"`)) {
			t.Errorf("JUnit output:\n%s", doc)
		}
	})
	t.Run("text", func(t *testing.T) {
		if doc := run("text"); !bytes.HasPrefix(doc, []byte("DENY  registry:ghcr.io/acme/app@")) {
			t.Errorf("text output:\n%s", doc)
		}
	})
}

// validateJSON validates doc against the schema file, with the other files registered under
// their $id for references.
func validateJSON(t *testing.T, doc []byte, schemaFile string, refs ...string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	load := func(p string) any {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		d, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	id := func(d any) string {
		if m, ok := d.(map[string]any); ok {
			if s, ok := m["$id"].(string); ok {
				return s
			}
		}
		return ""
	}
	for _, r := range refs {
		d := load(r)
		if err := c.AddResource(id(d), d); err != nil {
			t.Fatal(err)
		}
	}
	main := load(schemaFile)
	url := id(main)
	if url == "" {
		url = "file:///" + filepath.Base(schemaFile)
	}
	if err := c.AddResource(url, main); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("not valid against %s: %v\n%s", schemaFile, err, doc)
	}
}

// TestGateLocalTarget gathers evidence for a vulnerable requirements file, saves it, decides
// again on the saved evidence, and signs a verification summary into a bundle that
// verify-attestation accepts.
func TestGateLocalTarget(t *testing.T) {
	db := fixtureDB(t)
	target := fix + "/scan/python/requirements.txt"
	dir := t.TempDir()
	evFile, bundle := filepath.Join(dir, "ev.json"), filepath.Join(dir, "vsa.sigstore.json")
	code, stdout, stderr := runKeyCLI(t, with(cosignPassword, map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}), "", "gate", target, "--db", db,
		"--write-evidence", evFile, "--format", "json", "--attest", "--key", signKeys+"/cosign.key", "--attest-bundle", bundle)
	if code != ExitNo {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var first policy.Decision
	if err := json.Unmarshal([]byte(stdout), &first); err != nil {
		t.Fatal(err)
	}
	if first.Subject.Kind != "file" || len(first.Violations) == 0 || first.Violations[0].RuleID != "vuln-fixable" && first.Violations[0].RuleID != "vuln-kev" {
		t.Errorf("decision: %+v", first)
	}
	evDoc, err := os.ReadFile(evFile)
	if err != nil {
		t.Fatal(err)
	}
	validateJSON(t, evDoc, "../../docs/schema/evidence-v1.json")

	code, stdout, stderr = runKeyCLI(t, map[string]string{"SOURCE_DATE_EPOCH": "1700000060"}, "", "gate", "--evidence", evFile, "--format", "json")
	var again policy.Decision
	if code != ExitNo || json.Unmarshal([]byte(stdout), &again) != nil || len(again.Violations) != len(first.Violations) {
		t.Errorf("decision on the saved evidence: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = runKeyCLI(t, nil, "", "verify-attestation", target, "--bundle", bundle, "--key", signKeys+"/cosign.pub", "--type", policy.VSAPredicateType)
	if code != ExitOK || !strings.Contains(stdout, `"verificationResult":"FAILED"`) {
		t.Errorf("verify the summary: exit %d\n%s%s", code, stdout, stderr)
	}

	// Without an advisory database there is nothing to decide on: an environment error.
	if code, _, stderr := runKeyCLI(t, nil, "", "gate", target, "--db", t.TempDir()); code != ExitInternal {
		t.Errorf("no database: exit %d: %s", code, stderr)
	}
}

// privilegedPod is a Pod whose container is privileged: a critical misconfiguration.
const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: app
      image: ghcr.io/acme/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      securityContext:
        privileged: true
`

// TestGateMisconfig: a directory TARGET's manifests are checked, and --misconfig adds other
// files (the manifests that deploy an image, say); results become evidence the misconfig rule
// decides on.
func TestGateMisconfig(t *testing.T) {
	db := fixtureDB(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(privilegedPod), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runKeyCLI(t, nil, "", "gate", dir, "--db", db)
	if code != ExitNo || !strings.Contains(stdout, "x [critical] misconfig: HM-K8S-001:") || !strings.Contains(stdout, "on: "+filepath.Join(dir, "pod.yaml")+":11") {
		t.Errorf("directory with a privileged pod: exit %d\n%s%s", code, stdout, stderr)
	}
	clean := t.TempDir()
	code, stdout, stderr = runKeyCLI(t, nil, "", "gate", clean, "--db", db, "--misconfig", filepath.Join(dir, "pod.yaml"), "--format", "json")
	if code != ExitNo || !strings.Contains(stdout, `"rule_id": "misconfig"`) {
		t.Errorf("--misconfig: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runKeyCLI(t, nil, "", "gate", clean, "--db", db, "--misconfig", writeFile(t, "bad.yaml", "kind: [\n"))
	if code != ExitUsage || !strings.Contains(stderr, "could not be checked") {
		t.Errorf("--misconfig with a malformed file: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestPolicyTestCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"pass", []string{policyTestdata + "/policies/org"}, ExitOK, []string{"data.hallmark.rules_test.org.test_deny_root: PASS", "PASS: 4/4"}},
		{"pass-with-config", []string{policyTestdata + "/policies/org", "--config", policyTestdata + "/config/strict.yaml"}, ExitOK, []string{"PASS: 4/4"}},
		{"fail", []string{policyTestdata + "/policies/failing-tests"}, ExitNo, []string{"test_allow_three: FAIL", "failing-tests/rule_test.rego:11: failed: count(limit.deny) == 0", "FAIL: 1/2", "1 of 2 policy tests failed"}},
		{"error", []string{policyTestdata + "/policies/runtime-error"}, ExitNo, []string{"test_deny_empty_inventory: ERROR", "divide by zero", "1 of 1 policy tests failed"}},
		{"bad-rego", []string{policyTestdata + "/policies/bad-syntax"}, ExitUsage, []string{"bad-syntax/bad.rego:5:"}},
		{"no-tests", []string{policyTestdata + "/policies/no-tests"}, ExitUsage, []string{"no policy tests found"}},
		{"no-dir", []string{policyTestdata + "/policies/none"}, ExitUsage, []string{"unusable policy directory"}},
		{"bad-config", []string{policyTestdata + "/policies/org", "--config", policyTestdata + "/config/wrong-type.yaml"}, ExitUsage, []string{"registries.allowed: want a list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCLI(t, nil, "", append([]string{"policy", "test"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.contains {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
				}
			}
		})
	}
	code, stdout, stderr := runKeyCLI(t, nil, "", "policy", "rules", "--config", policyTestdata+"/config/strict.yaml")
	if code != ExitOK || !strings.Contains(stdout, "image-digest         off  Images referenced by digest") || strings.Count(stdout, "\n") != 11 {
		t.Errorf("policy rules: exit %d\n%s%s", code, stdout, stderr)
	}
}
