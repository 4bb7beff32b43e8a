package webhook

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/misconfig"
)

// ErrWorkload: the object of a review is not a workload hallmark can read (a pod spec that is
// not an object, a container list that is not a list, a container without an image). The
// message names the field; the review is answered, denying (or warning, in audit mode).
var ErrWorkload = errors.New("unreadable workload")

// podSpecPath says where a workload kind keeps its pod spec, and which API groups serve it: a
// custom resource that happens to be called Deployment is not one. The table is the one the
// misconfig room's Kubernetes rules use (misconfig/rules/kubernetes.rego, pod_spec_paths),
// less PodTemplate, which runs nothing.
type podSpecPath struct {
	groups []string
	path   []string
}

var podSpecPaths = map[string]podSpecPath{
	"Pod":                   {[]string{""}, []string{"spec"}},
	"ReplicationController": {[]string{""}, []string{"spec", "template", "spec"}},
	"Deployment":            {[]string{"apps", "extensions"}, []string{"spec", "template", "spec"}},
	"ReplicaSet":            {[]string{"apps", "extensions"}, []string{"spec", "template", "spec"}},
	"DaemonSet":             {[]string{"apps", "extensions"}, []string{"spec", "template", "spec"}},
	"StatefulSet":           {[]string{"apps"}, []string{"spec", "template", "spec"}},
	"Job":                   {[]string{"batch"}, []string{"spec", "template", "spec"}},
	"CronJob":               {[]string{"batch"}, []string{"spec", "jobTemplate", "spec", "template", "spec"}},
}

// IsWorkload reports whether the kind (of an API group) holds a pod spec hallmark decides on.
func IsWorkload(gvk GroupVersionKind) bool {
	p, ok := podSpecPaths[gvk.Kind]
	return ok && slices.Contains(p.groups, gvk.Group)
}

// containerFields are the pod spec's container lists, in the order they are reported.
var containerFields = []struct{ field, what string }{
	{"initContainers", "init container"},
	{"containers", "container"},
	{"ephemeralContainers", "ephemeral container"},
}

// Container is one container of a workload.
type Container struct {
	// Name is the container's name; What says which list it is in ("container", "init
	// container", "ephemeral container").
	Name, What string
	// Image is the image reference as written.
	Image string
	// Path is the JSON Pointer of the image field in the object.
	Path string
}

func (c Container) String() string { return fmt.Sprintf("%s %q", c.What, c.Name) }

// Workload is what a workload object says about what it runs.
type Workload struct {
	// Name is the object's metadata.name, else its generateName.
	Name       string
	Containers []Container
}

// ReadWorkload reads every container, init container and ephemeral container of a workload
// object (raw JSON) of kind gvk, which must be one IsWorkload accepts. The object is read with
// the misconfig room's manifest parser, as `hallmark misconfig` reads it from a file.
func ReadWorkload(gvk GroupVersionKind, object []byte) (*Workload, error) {
	p, ok := podSpecPaths[gvk.Kind]
	if !ok || !slices.Contains(p.groups, gvk.Group) {
		return nil, fmt.Errorf("%w: %s is not a workload kind", ErrWorkload, kindName(gvk))
	}
	objs, err := misconfig.ParseManifests("request.object", object)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWorkload, err)
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("%w: request.object holds %d objects, want one", ErrWorkload, len(objs))
	}
	w := &Workload{Name: objs[0].Name}
	var spec any = objs[0].Value
	ptr := ""
	for _, k := range p.path {
		m, ok := spec.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s is not an object", ErrWorkload, orRoot(ptr))
		}
		ptr += "/" + k
		if spec, ok = m[k]; !ok || spec == nil {
			// No pod spec (yet): nothing runs, nothing to decide.
			return w, nil
		}
	}
	podSpec, ok := spec.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an object", ErrWorkload, ptr)
	}
	out := &w.Containers
	for _, f := range containerFields {
		raw, ok := podSpec[f.field]
		if !ok || raw == nil {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s/%s is not a list", ErrWorkload, ptr, f.field)
		}
		for i, item := range list {
			at := ptr + "/" + f.field + "/" + strconv.Itoa(i)
			ctr, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: %s is not an object", ErrWorkload, at)
			}
			name, _ := ctr["name"].(string)
			if name == "" {
				name = f.field + "[" + strconv.Itoa(i) + "]"
			}
			image, ok := ctr["image"].(string)
			if !ok || strings.TrimSpace(image) == "" {
				return nil, fmt.Errorf("%w: %s %q (%s) has no image", ErrWorkload, f.what, name, at)
			}
			*out = append(*out, Container{Name: name, What: f.what, Image: image, Path: at + "/image"})
		}
	}
	return w, nil
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "the object"
	}
	return ptr
}

func kindName(gvk GroupVersionKind) string {
	if gvk.Group == "" {
		return gvk.Kind
	}
	return gvk.Kind + "." + gvk.Group
}
