package webhook

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/misconfig"
)

// deployDir holds the manifests that install the webhook.
const deployDir = "../deploy"

func deployObjects(t *testing.T) []misconfig.Object {
	t.Helper()
	files, err := filepath.Glob(deployDir + "/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", deployDir, err)
	}
	var out []misconfig.Object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := misconfig.ParseManifests(f, b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, objs...)
	}
	return out
}

// TestDeployHardened: hallmark's own manifests pass hallmark's misconfiguration checks (the
// NSA/CISA guidance and the restricted Pod Security Standard).
func TestDeployHardened(t *testing.T) {
	res, err := misconfig.Scan(context.Background(), []string{deployDir}, misconfig.Config{TrustedRegistries: []string{"ghcr.io/hallmark-dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial() {
		t.Fatalf("manifests that could not be checked: %v", res.Errors)
	}
	for _, f := range res.Findings {
		t.Errorf("%s:%d: %s %s: %s", f.File, f.Line, f.RuleID, f.Severity, f.Message)
	}
}

// TestDeployMatchesServer: the ValidatingWebhookConfiguration sends exactly the workload kinds
// the server decides on (plus kubectl debug's subresource), with the settings the server
// relies on; the Deployment's deadline is well under the webhook's timeout, and its exempt
// namespaces are the ones the configuration leaves out.
func TestDeployMatchesServer(t *testing.T) {
	var vwc, dep *misconfig.Object
	objs := deployObjects(t)
	for i, o := range objs {
		switch o.Kind {
		case "ValidatingWebhookConfiguration":
			vwc = &objs[i]
		case "Deployment":
			dep = &objs[i]
		}
	}
	if vwc == nil || dep == nil {
		t.Fatal("deploy/ lacks the ValidatingWebhookConfiguration or the Deployment")
	}
	hooks := vwc.Value["webhooks"].([]any)
	if len(hooks) != 1 {
		t.Fatalf("%d webhooks, want 1", len(hooks))
	}
	hook := hooks[0].(map[string]any)
	if v := hook["admissionReviewVersions"]; !slices.Equal(strs(v), []string{"v1"}) {
		t.Errorf("admissionReviewVersions %v, want [v1]", v)
	}
	if hook["sideEffects"] != "None" || hook["failurePolicy"] != "Fail" {
		t.Errorf("sideEffects %v, failurePolicy %v", hook["sideEffects"], hook["failurePolicy"])
	}
	cc := hook["clientConfig"].(map[string]any)["service"].(map[string]any)
	if cc["path"] != "/validate" {
		t.Errorf("clientConfig path %v, want /validate", cc["path"])
	}

	// Resources sent → kinds the server decides on.
	resourceKind := map[string]string{
		"/pods": "Pod", "/replicationcontrollers": "ReplicationController",
		"apps/deployments": "Deployment", "apps/replicasets": "ReplicaSet", "apps/daemonsets": "DaemonSet", "apps/statefulsets": "StatefulSet",
		"batch/jobs": "Job", "batch/cronjobs": "CronJob",
	}
	sent := map[string]bool{}
	for _, r := range hook["rules"].([]any) {
		rule := r.(map[string]any)
		if ops := strs(rule["operations"]); !slices.Equal(ops, []string{"CREATE", "UPDATE"}) {
			t.Errorf("rule %v: operations %v, want CREATE and UPDATE", rule, ops)
		}
		for _, g := range strs(rule["apiGroups"]) {
			for _, res := range strs(rule["resources"]) {
				if res == "pods/ephemeralcontainers" {
					sent["Pod/ephemeral"] = true
					continue
				}
				kind, ok := resourceKind[g+"/"+res]
				if !ok {
					t.Errorf("the webhook is sent %s/%s, which the server does not decide on", g, res)
					continue
				}
				if !IsWorkload(GroupVersionKind{Group: g, Version: "v1", Kind: kind}) {
					t.Errorf("%s/%s is sent, but %s is not a workload to the server", g, res, kind)
				}
				sent[kind] = true
			}
		}
	}
	for kind := range podSpecPaths {
		if !sent[kind] {
			t.Errorf("the webhook is not sent %s", kind)
		}
	}
	if !sent["Pod/ephemeral"] {
		t.Error("the webhook is not sent pods/ephemeralcontainers (kubectl debug)")
	}

	// The namespaces the configuration leaves out are exempt in the server too.
	var skipped []string
	for _, e := range hook["namespaceSelector"].(map[string]any)["matchExpressions"].([]any) {
		skipped = append(skipped, strs(e.(map[string]any)["values"])...)
	}
	args := strs(dep.Value["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["args"])
	for _, ns := range skipped {
		if !slices.Contains(args, "--exempt-namespace="+ns) {
			t.Errorf("namespace %s is left out of admission but not --exempt-namespace", ns)
		}
	}
	timeout := time.Duration(hook["timeoutSeconds"].(int64)) * time.Second
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--deadline="); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d > timeout/2 {
				t.Errorf("--deadline=%s: want at most half the webhook's timeoutSeconds (%s)", v, timeout)
			}
		}
	}
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
