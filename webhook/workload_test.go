package webhook

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadWorkload(t *testing.T) {
	// Every workload kind holds the same pod spec: one init container, one container, one
	// ephemeral container (testdata/objects/<kind>.json).
	kinds := []struct {
		file string
		gvk  GroupVersionKind
		base string
	}{
		{"pod", GroupVersionKind{"", "v1", "Pod"}, "/spec"},
		{"replicationcontroller", GroupVersionKind{"", "v1", "ReplicationController"}, "/spec/template/spec"},
		{"deployment", GroupVersionKind{"apps", "v1", "Deployment"}, "/spec/template/spec"},
		{"statefulset", GroupVersionKind{"apps", "v1", "StatefulSet"}, "/spec/template/spec"},
		{"daemonset", GroupVersionKind{"apps", "v1", "DaemonSet"}, "/spec/template/spec"},
		{"replicaset", GroupVersionKind{"apps", "v1", "ReplicaSet"}, "/spec/template/spec"},
		{"job", GroupVersionKind{"batch", "v1", "Job"}, "/spec/template/spec"},
		{"cronjob", GroupVersionKind{"batch", "v1", "CronJob"}, "/spec/jobTemplate/spec/template/spec"},
	}
	for _, k := range kinds {
		t.Run(k.file, func(t *testing.T) {
			obj, err := os.ReadFile("testdata/objects/" + k.file + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if !IsWorkload(k.gvk) {
				t.Fatalf("%v is not a workload", k.gvk)
			}
			w, err := ReadWorkload(k.gvk, obj)
			if err != nil {
				t.Fatal(err)
			}
			if w.Name != k.file {
				t.Errorf("name %q, want %q", w.Name, k.file)
			}
			got := w.Containers
			want := []Container{
				{Name: "init", What: "init container", Image: "registry.example/init:1", Path: k.base + "/initContainers/0/image"},
				{Name: "app", What: "container", Image: "registry.example/app@sha256:" + strings.Repeat("a", 64), Path: k.base + "/containers/0/image"},
				{Name: "debug", What: "ephemeral container", Image: "busybox", Path: k.base + "/ephemeralContainers/0/image"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadWorkloadBad(t *testing.T) {
	pod := GroupVersionKind{"", "v1", "Pod"}
	tests := []struct {
		name     string
		gvk      GroupVersionKind
		object   string
		contains string // "" means no error and no containers
	}{
		{"not-a-workload", GroupVersionKind{"", "v1", "ConfigMap"}, `{}`, "ConfigMap is not a workload kind"},
		{"custom-group", GroupVersionKind{"example.com", "v1", "Deployment"}, `{}`, "Deployment.example.com is not a workload kind"},
		{"no-spec", pod, `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-"}}`, ""},
		{"spec-not-object", pod, `{"apiVersion":"v1","kind":"Pod","spec":"x"}`, "/spec is not an object"},
		{"containers-not-list", pod, `{"apiVersion":"v1","kind":"Pod","spec":{"containers":{"a":1}}}`, "/spec/containers is not a list"},
		{"container-not-object", pod, `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[3]}}`, "/spec/containers/0 is not an object"},
		{"no-image", pod, `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"web"}]}}`, `container "web" (/spec/containers/0) has no image`},
		{"image-not-string", pod, `{"apiVersion":"v1","kind":"Pod","spec":{"initContainers":[{"image":5}]}}`, `init container "initContainers[0]" (/spec/initContainers/0) has no image`},
		{"duplicate-key", pod, `{"apiVersion":"v1","kind":"Pod","spec":{},"spec":{}}`, `duplicate key "spec"`},
		{"not-json", pod, `{"apiVersion":"v1",`, "request.object"},
		{"template-not-object", GroupVersionKind{"apps", "v1", "Deployment"}, `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":[1]}}`, "/spec/template is not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ReadWorkload(tc.gvk, []byte(tc.object))
			if tc.contains == "" {
				if err != nil || len(w.Containers) != 0 || w.Name != "web-" {
					t.Fatalf("got %+v, %v; want web- without containers", w, err)
				}
				return
			}
			if !errors.Is(err, ErrWorkload) {
				t.Fatalf("error %v, want ErrWorkload", err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", err, tc.contains)
			}
		})
	}
}

// FuzzReadWorkload: any object either yields containers with images or is ErrWorkload; never a
// panic.
func FuzzReadWorkload(f *testing.F) {
	for _, k := range []string{"pod", "deployment", "cronjob"} {
		b, err := os.ReadFile("testdata/objects/" + k + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k, b)
	}
	gvks := map[string]GroupVersionKind{
		"pod":        {"", "v1", "Pod"},
		"deployment": {"apps", "v1", "Deployment"},
		"cronjob":    {"batch", "v1", "CronJob"},
	}
	f.Fuzz(func(t *testing.T, kind string, object []byte) {
		gvk, ok := gvks[kind]
		if !ok {
			gvk = GroupVersionKind{"", "v1", "Pod"}
		}
		w, err := ReadWorkload(gvk, object)
		if err != nil {
			if !errors.Is(err, ErrWorkload) {
				t.Fatalf("error %v is not ErrWorkload", err)
			}
			return
		}
		for _, c := range w.Containers {
			if strings.TrimSpace(c.Image) == "" || c.Name == "" {
				t.Fatalf("container without image or name: %+v", c)
			}
		}
	})
}
