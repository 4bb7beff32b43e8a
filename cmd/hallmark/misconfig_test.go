package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const mc = "../../misconfig/testdata"

// misconfigTranscripts are hallmark misconfig invocations whose whole output is reviewed in
// testdata/misconfig/golden (go test -run TestMisconfigGolden -update rewrites them).
var misconfigTranscripts = []transcript{
	{name: "help", args: []string{"misconfig", "--help"}},
	{name: "cronjob-table", args: []string{"misconfig", mc + "/real/kubernetes/istio-inject-cronjob.yaml"}},
	{name: "helm-rendered-json", args: []string{"misconfig", mc + "/real/kubernetes/istio-addons-prometheus.yaml", "--format", "json"}},
	{name: "dockerfile-sarif", args: []string{"misconfig", mc + "/real/dockerfile/docker-credential-helpers.Dockerfile", "--format", "sarif"}},
	{name: "directory-fail-on-critical", args: []string{"misconfig", mc + "/real/kubernetes/prometheus-operator", "--fail-on", "critical"}},
	{name: "fail-on-low", args: []string{"misconfig", mc + "/real/kubernetes/prometheus-operator", "--fail-on", "low", "--format", "json", "--output", "$TMP/out.json"}},
	{name: "fail-on-none", args: []string{"misconfig", mc + "/rules/HM-K8S-001/deny-pod.yaml", "--fail-on", "none"}},
	{name: "hardened", args: []string{"misconfig", mc + "/rules/hardened.yaml", mc + "/rules/hardened.Dockerfile", "--fail-on", "low"}},
	{name: "config", args: []string{"misconfig", mc + "/rules/HM-K8S-017/deny.yaml", "--config", "testdata/misconfig/config.yaml", "--fail-on", "high"}},
	{name: "partial", args: []string{"misconfig", mc + "/parse", "--fail-on", "none"}},
	{name: "partial-allowed-json", args: []string{"misconfig", mc + "/parse", "--fail-on", "none", "--allow-partial", "--format", "json"}},
	{name: "template", args: []string{"misconfig", mc + "/real/errors/cert-manager-cainjector-deployment.yaml"}},
	{name: "not-a-manifest", args: []string{"misconfig", "testdata/misconfig/config.yaml", "../../README.md"}},
	{name: "bad-config", args: []string{"misconfig", ".", "--config", "testdata/misconfig/bad-config.yaml"}},
	{name: "missing-config", args: []string{"misconfig", ".", "--config", "testdata/misconfig/nope.yaml"}},
	{name: "missing-path", args: []string{"misconfig", mc + "/does-not-exist"}},
	{name: "no-path", args: []string{"misconfig"}},
	{name: "bad-format", args: []string{"misconfig", ".", "--format", "html"}},
	{name: "bad-fail-on", args: []string{"misconfig", ".", "--fail-on", "severe"}},
}

func TestMisconfigGolden(t *testing.T) {
	for _, tc := range misconfigTranscripts {
		t.Run(tc.name, func(t *testing.T) {
			args := expandArgs(t, tc.args)
			stdout, stderr, code := runCLI(t, args, tc.stdin)
			validateMisconfigOutput(t, tc.args, []byte(stdout))
			for i, a := range tc.args {
				if strings.HasPrefix(a, "$TMP/") {
					b, err := os.ReadFile(args[i])
					if err != nil {
						t.Fatalf("--output not written: %v", err)
					}
					validateMisconfigOutput(t, tc.args, b)
					stdout += "-- " + a + " --\n" + string(b)
				}
			}
			got := fmt.Sprintf("# hallmark %s\n# exit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(tc.args, " "), code, scrub(stdout), scrub(stderr))
			path := filepath.Join("testdata", "misconfig", "golden", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestMisconfigGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("transcript %s changed (-want +got); rerun with -update if intended:\n%s", path, diff)
			}
		})
	}
}

// TestMisconfigExitCodes states the exit code contract apart from the transcripts.
func TestMisconfigExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"misconfig", mc + "/rules/hardened.yaml"}, ExitOK},
		{[]string{"misconfig", mc + "/rules/HM-K8S-001/deny-pod.yaml"}, ExitNo},                      // critical ≥ high
		{[]string{"misconfig", mc + "/rules/HM-K8S-013/deny.yaml", "--fail-on", "critical"}, ExitOK}, // nothing critical
		{[]string{"misconfig", mc + "/parse", "--fail-on", "none"}, ExitUsage},
		{[]string{"misconfig", mc + "/parse", "--fail-on", "none", "--allow-partial"}, ExitOK},
		{[]string{"misconfig", mc + "/parse", "--allow-partial"}, ExitNo}, // podlist.json is privileged
		{[]string{"misconfig", mc + "/nope"}, ExitUsage},
		{[]string{"misconfig", ".", "--format", "xml"}, ExitUsage},
	} {
		_, stderr, code := runCLI(t, c.args, "")
		if code != c.want {
			t.Errorf("hallmark %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
}

// validateMisconfigOutput checks JSON output against docs/schema/misconfig-v1.json and SARIF
// output against the SARIF 2.1.0 schema.
func validateMisconfigOutput(t *testing.T, args []string, out []byte) {
	t.Helper()
	format := "table"
	for i, a := range args {
		if (a == "--format" || a == "-f") && i+1 < len(args) {
			format = args[i+1]
		}
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return
	}
	file := map[string]string{"json": "../../docs/schema/misconfig-v1.json", "sarif": "../../report/testdata/schema/sarif-schema-2.1.0.json"}[format]
	if file == "" {
		return
	}
	validateJSON(t, out, file)
}
