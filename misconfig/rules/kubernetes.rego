# Kubernetes workload hardening: the NSA/CISA Kubernetes Hardening Guidance (v1.2, August 2022)
# and the Pod Security Standards "restricted" profile.
#
# input.objects[i] is {api_version, kind, name, namespace, object}. A result names the object
# by index, the path of the offending field (for a field that is missing, where it belongs),
# and the container, when it is about one.
package hallmark.misconfig.kubernetes

import data.hallmark.misconfig.image

nsa := "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF"

pss_restricted := "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"

pss_baseline := "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"

# ---------------------------------------------------------------------------------------------
# Pods and containers.

# Where each workload kind keeps its pod template, and the API groups that serve it (a custom
# resource that happens to be called Deployment is not one).
pod_spec_paths := {
	"Pod": {"groups": {""}, "path": ["spec"]},
	"PodTemplate": {"groups": {""}, "path": ["template", "spec"]},
	"ReplicationController": {"groups": {""}, "path": ["spec", "template", "spec"]},
	"Deployment": {"groups": {"apps", "extensions"}, "path": ["spec", "template", "spec"]},
	"ReplicaSet": {"groups": {"apps", "extensions"}, "path": ["spec", "template", "spec"]},
	"DaemonSet": {"groups": {"apps", "extensions"}, "path": ["spec", "template", "spec"]},
	"StatefulSet": {"groups": {"apps"}, "path": ["spec", "template", "spec"]},
	"Job": {"groups": {"batch"}, "path": ["spec", "template", "spec"]},
	"CronJob": {"groups": {"batch"}, "path": ["spec", "jobTemplate", "spec", "template", "spec"]},
}

api_group(o) := "" if {
	not contains(o.api_version, "/")
} else := split(o.api_version, "/")[0]

# pods[i] is the pod spec of object i and its path in the object.
pods[i] := {"path": p.path, "spec": spec} if {
	some i, o in input.objects
	p := pod_spec_paths[o.kind]
	api_group(o) in p.groups
	spec := object.get(o.object, p.path, null)
	is_object(spec)
}

container_fields := ["containers", "initContainers", "ephemeralContainers"]

# containers: every container, init container and ephemeral container of every pod.
containers contains c if {
	some i, pod in pods
	some field in container_fields
	list := pod.spec[field]
	is_array(list)
	some j, ctr in list
	is_object(ctr)
	c := {"i": i, "field": field, "ctr": ctr, "path": array.concat(pod.path, [field, j]), "name": container_name(ctr, field, j)}
}

container_name(ctr, field, j) := ctr.name if {
	is_string(ctr.name)
} else := sprintf("%s[%d]", [field, j])

what(c) := sprintf("container %q", [c.name]) if {
	c.field == "containers"
} else := sprintf("init container %q", [c.name]) if {
	c.field == "initContainers"
} else := sprintf("ephemeral container %q", [c.name])

# A result names the field it is about by its path in the object; the finding is reported at
# that field's line, or at the line of its nearest enclosing field that exists (for a field
# that is missing), which Go looks up in the object's lines.
at(c, id, path, msg) := {"target": "kubernetes", "rule": id, "index": c.i, "container": c.name, "path": path, "message": msg}

at_pod(i, id, rel, msg) := {"target": "kubernetes", "rule": id, "index": i, "container": "", "path": array.concat(pods[i].path, rel), "message": msg}

cpath(c, rel) := array.concat(c.path, rel)

# The container's and the pod's security contexts ({} when absent).
csc(c) := s if {
	s := c.ctr.securityContext
	is_object(s)
} else := {}

psc(i) := s if {
	s := pods[i].spec.securityContext
	is_object(s)
} else := {}

# effective is the value of a field both security contexts carry (runAsNonRoot, runAsUser,
# seccompProfile, …) that applies to the container, and where it is set: "If set in both
# SecurityContext and PodSecurityContext, the value specified in SecurityContext takes
# precedence" (PodSecurityContext, Kubernetes API reference). Unset: value null, and the path
# where the container would set it.
effective(c, field) := {"value": v, "path": cpath(c, ["securityContext", field]), "from": "container"} if {
	v := csc(c)[field]
	v != null
} else := {"value": v, "path": array.concat(pods[c.i].path, ["securityContext", field]), "from": "pod"} if {
	v := psc(c.i)[field]
	v != null
} else := {"value": null, "path": cpath(c, ["securityContext", field]), "from": ""}

# ---------------------------------------------------------------------------------------------
# Rules.

rules["HM-K8S-001"] := {
	"title": "Privileged container",
	"severity": "critical",
	"target": "kubernetes",
	"description": "A privileged container has every Linux capability and access to all host devices; escaping to the node is trivial. Forbidden by the Pod Security Standards (baseline and restricted) and the NSA/CISA guidance.",
	"remediation": "Remove securityContext.privileged (or set it to false); grant only the specific capabilities the workload needs.",
	"references": [pss_baseline, nsa],
}

deny contains at(c, "HM-K8S-001", cpath(c, ["securityContext", "privileged"]), msg) if {
	some c in containers
	csc(c).privileged == true
	msg := sprintf("%s is privileged: it has every capability and all host devices", [what(c)])
}

rules["HM-K8S-002"] := {
	"title": "Privilege escalation allowed",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent (setuid binaries, file capabilities). The restricted profile requires false.",
	"remediation": "Set securityContext.allowPrivilegeEscalation: false on every container.",
	"references": [pss_restricted, nsa],
}

deny contains at(c, "HM-K8S-002", cpath(c, ["securityContext", "allowPrivilegeEscalation"]), msg) if {
	some c in containers
	not csc(c).allowPrivilegeEscalation == false
	msg := sprintf("%s allows privilege escalation: securityContext.allowPrivilegeEscalation is not false", [what(c)])
}

rules["HM-K8S-003"] := {
	"title": "May run as root",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Without runAsNonRoot: true (on the container or the pod), the container runs as whatever user the image names, root by default. The restricted profile requires runAsNonRoot: true.",
	"remediation": "Set securityContext.runAsNonRoot: true on the pod (or each container) and run as a non-zero UID (runAsUser, or USER in the image).",
	"references": [pss_restricted, nsa],
}

deny contains at(c, "HM-K8S-003", e.path, msg) if {
	some c in containers
	e := effective(c, "runAsNonRoot")
	e.value != true
	msg := sprintf("%s may run as root: %s", [what(c), nonroot_reason(e)])
}

nonroot_reason(e) := "runAsNonRoot is set on neither the container nor the pod" if {
	e.from == ""
} else := sprintf("runAsNonRoot is %v on the %s", [e.value, e.from])

rules["HM-K8S-004"] := {
	"title": "Runs as UID 0",
	"severity": "high",
	"target": "kubernetes",
	"description": "runAsUser: 0 runs the container as root whatever the image says. The restricted profile forbids it.",
	"remediation": "Set runAsUser to a non-zero UID (and runAsNonRoot: true), or leave it unset and set USER in the image.",
	"references": [pss_restricted, nsa],
}

deny contains at(c, "HM-K8S-004", e.path, msg) if {
	some c in containers
	e := effective(c, "runAsUser")
	e.value == 0
	msg := sprintf("%s runs as root: runAsUser is 0 on the %s", [what(c), e.from])
}

rules["HM-K8S-005"] := {
	"title": "Capabilities not dropped",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Containers start with the runtime's default capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, …). The restricted profile requires dropping ALL and adding back only NET_BIND_SERVICE.",
	"remediation": "Set securityContext.capabilities.drop: [\"ALL\"] and add back only what is needed (NET_BIND_SERVICE).",
	"references": [pss_restricted, nsa],
}

deny contains at(c, "HM-K8S-005", cpath(c, ["securityContext", "capabilities", "drop"]), msg) if {
	some c in containers
	not drops_all(c)
	msg := sprintf("%s does not drop ALL capabilities", [what(c)])
}

# Container runtimes read the capability names case-insensitively ("all" drops everything).
drops_all(c) if {
	drop := csc(c).capabilities.drop
	is_array(drop)
	some d in drop
	is_string(d)
	upper(d) == "ALL"
}

# The capabilities the baseline profile lets a container add (the container runtime's default
# set); adding any other is dangerous. The restricted profile allows only NET_BIND_SERVICE.
baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
	"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

added_capabilities contains [c, k, cap] if {
	some c in containers
	add := csc(c).capabilities.add
	is_array(add)
	some k, raw in add
	is_string(raw)
	cap := trim_prefix(upper(raw), "CAP_")
}

rules["HM-K8S-006"] := {
	"title": "Dangerous capability added",
	"severity": "high",
	"target": "kubernetes",
	"description": "Capabilities outside the runtime's default set — SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, NET_RAW, BPF, ALL, … — let a container reconfigure or escape to the node. Forbidden by the baseline profile.",
	"remediation": "Remove the capability from securityContext.capabilities.add; redesign the workload so it does not need it, or isolate it on dedicated nodes.",
	"references": [pss_baseline, nsa],
}

deny contains at(c, "HM-K8S-006", cpath(c, ["securityContext", "capabilities", "add", k]), msg) if {
	some [c, k, cap] in added_capabilities
	not cap in baseline_capabilities
	msg := sprintf("%s adds the dangerous capability %s", [what(c), cap])
}

rules["HM-K8S-007"] := {
	"title": "Capability added beyond NET_BIND_SERVICE",
	"severity": "medium",
	"target": "kubernetes",
	"description": "The restricted profile allows adding only NET_BIND_SERVICE; other default capabilities (CHOWN, SETUID, …) widen what a compromised process can do.",
	"remediation": "Remove the capability from securityContext.capabilities.add.",
	"references": [pss_restricted],
}

deny contains at(c, "HM-K8S-007", cpath(c, ["securityContext", "capabilities", "add", k]), msg) if {
	some [c, k, cap] in added_capabilities
	cap in baseline_capabilities
	cap != "NET_BIND_SERVICE"
	msg := sprintf("%s adds the capability %s (the restricted profile allows only NET_BIND_SERVICE)", [what(c), cap])
}

host_namespace_rules := {
	"hostNetwork": {"id": "HM-K8S-008", "what": "the node's network namespace: it sees all node traffic and can bind node ports"},
	"hostPID": {"id": "HM-K8S-009", "what": "the node's process namespace: it sees and can signal every process on the node"},
	"hostIPC": {"id": "HM-K8S-010", "what": "the node's IPC namespace: it can read other processes' shared memory"},
}

rules["HM-K8S-008"] := {
	"title": "Host network namespace",
	"severity": "high",
	"target": "kubernetes",
	"description": "hostNetwork: true puts the pod in the node's network namespace, bypassing NetworkPolicies and exposing node-local services.",
	"remediation": "Remove hostNetwork (or set it to false); expose the workload through a Service.",
	"references": [pss_baseline, nsa],
}

rules["HM-K8S-009"] := {
	"title": "Host PID namespace",
	"severity": "high",
	"target": "kubernetes",
	"description": "hostPID: true lets the pod see every process on the node, read their environment and, with ptrace, take them over.",
	"remediation": "Remove hostPID (or set it to false).",
	"references": [pss_baseline, nsa],
}

rules["HM-K8S-010"] := {
	"title": "Host IPC namespace",
	"severity": "high",
	"target": "kubernetes",
	"description": "hostIPC: true shares the node's IPC namespace, exposing shared memory of every process on the node.",
	"remediation": "Remove hostIPC (or set it to false).",
	"references": [pss_baseline, nsa],
}

deny contains at_pod(i, r.id, [field], msg) if {
	some i, pod in pods
	some field, r in host_namespace_rules
	pod.spec[field] == true
	msg := sprintf("the pod uses %s", [r.what])
}

rules["HM-K8S-011"] := {
	"title": "hostPath volume",
	"severity": "high",
	"target": "kubernetes",
	"description": "A hostPath volume mounts a directory of the node into the pod; writable mounts of /, /var/run/docker.sock, /etc or kubelet directories hand over the node.",
	"remediation": "Use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead of hostPath.",
	"references": [pss_baseline, nsa],
}

deny contains at_pod(i, "HM-K8S-011", ["volumes", k, "hostPath"], msg) if {
	some i, pod in pods
	vols := pod.spec.volumes
	is_array(vols)
	some k, v in vols
	is_object(v)
	is_object(v.hostPath)
	msg := sprintf("volume %q mounts the node's %s", [object.get(v, "name", ""), host_path(v.hostPath)])
}

host_path(h) := sprintf("%q", [h.path]) if {
	is_string(h.path)
} else := "filesystem"

rules["HM-K8S-012"] := {
	"title": "hostPort",
	"severity": "medium",
	"target": "kubernetes",
	"description": "A hostPort binds a port on the node's address, bypassing Services and NetworkPolicies and limiting scheduling. Forbidden by the baseline profile.",
	"remediation": "Remove hostPort and expose the port through a Service.",
	"references": [pss_baseline, nsa],
}

deny contains at(c, "HM-K8S-012", cpath(c, ["ports", k, "hostPort"]), msg) if {
	some c in containers
	ports := c.ctr.ports
	is_array(ports)
	some k, p in ports
	is_object(p)
	is_number(p.hostPort)
	p.hostPort != 0
	msg := sprintf("%s binds port %v on the node (hostPort)", [what(c), p.hostPort])
}

rules["HM-K8S-013"] := {
	"title": "Writable root filesystem",
	"severity": "low",
	"target": "kubernetes",
	"description": "A writable root filesystem lets an attacker drop tools and modify binaries in the running container. The NSA/CISA guidance recommends immutable containers.",
	"remediation": "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application must write.",
	"references": [nsa],
}

deny contains at(c, "HM-K8S-013", cpath(c, ["securityContext", "readOnlyRootFilesystem"]), msg) if {
	some c in containers
	c.field != "ephemeralContainers"
	not csc(c).readOnlyRootFilesystem == true
	msg := sprintf("%s has a writable root filesystem (readOnlyRootFilesystem is not true)", [what(c)])
}

rules["HM-K8S-014"] := {
	"title": "No resource limits",
	"severity": "low",
	"target": "kubernetes",
	"description": "Without CPU and memory limits one container can starve the node (denial of service). The NSA/CISA guidance recommends limits on every container.",
	"remediation": "Set resources.limits.cpu and resources.limits.memory (or a LimitRange in the namespace).",
	"references": [nsa],
}

deny contains at(c, "HM-K8S-014", cpath(c, ["resources", "limits"]), msg) if {
	some c in containers
	c.field != "ephemeralContainers" # ephemeral containers may not have resources
	missing := [r | some r in ["cpu", "memory"]; not has_limit(c, r)]
	count(missing) > 0
	msg := sprintf("%s has no %s limit", [what(c), concat(" or ", missing)])
}

has_limit(c, r) if {
	v := c.ctr.resources.limits[r]
	v != null
}

rules["HM-K8S-015"] := {
	"title": "No seccomp profile",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Without a seccomp profile of type RuntimeDefault or Localhost the container may run Unconfined, with every system call available to an attacker. Required by the restricted profile.",
	"remediation": "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or each container).",
	"references": [pss_restricted, nsa],
}

deny contains at(c, "HM-K8S-015", seccomp_path(e), msg) if {
	some c in containers
	e := effective(c, "seccompProfile")
	not seccomp_confined(e.value)
	msg := sprintf("%s %s", [what(c), seccomp_reason(e)])
}

seccomp_path(e) := array.concat(e.path, ["type"]) if {
	is_object(e.value)
} else := e.path

seccomp_confined(p) if {
	is_object(p)
	p.type in {"RuntimeDefault", "Localhost"}
}

seccomp_reason(e) := "has no seccomp profile (set on neither the container nor the pod)" if {
	e.from == ""
} else := sprintf("has seccomp profile type %v (set on the %s)", [object.get(e.value, "type", "unset"), e.from]) if {
	is_object(e.value)
} else := sprintf("has an invalid seccomp profile (set on the %s)", [e.from])

rules["HM-K8S-016"] := {
	"title": "Service account token mounted",
	"severity": "low",
	"target": "kubernetes",
	"description": "By default every pod gets a token for its service account; a compromised container can use it against the API server. The NSA/CISA guidance recommends disabling the automount where the pod does not talk to the API.",
	"remediation": "Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount), and mount a projected token only where needed.",
	"references": [nsa],
}

deny contains at_pod(i, "HM-K8S-016", ["automountServiceAccountToken"], msg) if {
	some i, pod in pods
	not automount_disabled(i)
	msg := sprintf("the pod mounts the token of service account %q (automountServiceAccountToken is not false)", [service_account(i)])
}

automount_disabled(i) if pods[i].spec.automountServiceAccountToken == false

# Unset in the pod: the ServiceAccount's setting applies, when it is among the objects checked.
automount_disabled(i) if {
	object.get(pods[i].spec, "automountServiceAccountToken", null) == null
	[input.objects[i].namespace, service_account(i)] in quiet_service_accounts
}

# The ServiceAccounts (namespace, name) that disable the automount.
quiet_service_accounts contains [o.namespace, o.name] if {
	some o in input.objects
	o.kind == "ServiceAccount"
	o.api_version == "v1"
	o.object.automountServiceAccountToken == false
}

service_account(i) := n if {
	n := pods[i].spec.serviceAccountName
	is_string(n)
	n != ""
} else := n if {
	n := pods[i].spec.serviceAccount
	is_string(n)
	n != ""
} else := "default"

images contains [c, ref, image.parse(ref)] if {
	some c in containers
	ref := c.ctr.image
	image.checkable(ref)
}

rules["HM-K8S-017"] := {
	"title": "Image uses latest or no tag",
	"severity": "medium",
	"target": "kubernetes",
	"description": "An image without a tag means :latest, which changes under the deployment: two nodes can run different code, and a rollback does not roll back.",
	"remediation": "Reference the image by digest (name@sha256:…), or at least by an immutable version tag.",
	"references": [nsa],
}

deny contains at(c, "HM-K8S-017", cpath(c, ["image"]), msg) if {
	some [c, ref, p] in images
	image.mutable(p)
	msg := sprintf("%s uses image %q, %s", [what(c), ref, latest_reason(p)])
}

latest_reason(p) := "which has no tag and so means :latest" if {
	p.tag == ""
} else := "whose :latest tag moves"

rules["HM-K8S-018"] := {
	"title": "Image not pinned by digest",
	"severity": "low",
	"target": "kubernetes",
	"description": "A tag can be moved to a different image by whoever controls the repository; only a digest names exactly the image that was tested and approved.",
	"remediation": "Reference the image by digest: name:tag@sha256:….",
	"references": [nsa],
}

deny contains at(c, "HM-K8S-018", cpath(c, ["image"]), msg) if {
	some [c, ref, p] in images
	p.digest == ""
	not image.mutable(p)
	msg := sprintf("%s uses image %q by tag, not by digest", [what(c), ref])
}

rules["HM-K8S-019"] := {
	"title": "Image from an untrusted registry",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Images should come only from approved registries. Images straight from Docker Hub (docker.io, and unqualified names, which resolve to it) are not vetted by you. The allowed registries are set with trusted_registries in the configuration.",
	"remediation": "Mirror the image into an approved registry and reference it there, or add the registry to trusted_registries.",
	"references": [nsa],
}

deny contains at(c, "HM-K8S-019", cpath(c, ["image"]), msg) if {
	some [c, ref, p] in images
	not image.trusted(p)
	msg := sprintf("%s uses image %q from %s", [what(c), ref, registry_reason(p)])
}

registry_reason(p) := "Docker Hub, which is not a trusted registry" if {
	p.registry == "docker.io"
} else := sprintf("%s, which is not a trusted registry", [p.registry])

rules["HM-K8S-020"] := {
	"title": "Namespace without a NetworkPolicy",
	"severity": "medium",
	"target": "kubernetes",
	"description": "Without a NetworkPolicy every pod can reach every other pod in the cluster. The NSA/CISA guidance recommends a default-deny policy in each namespace. Only the objects checked together are considered.",
	"remediation": "Add a NetworkPolicy to the namespace, starting with a default deny of ingress and egress, then allow what is needed.",
	"references": [nsa],
}

# The namespaces a NetworkPolicy among the objects covers ("" is whatever namespace the
# manifests are applied to).
policy_namespaces := {o.namespace |
	some o in input.objects
	o.kind == "NetworkPolicy"
	startswith(o.api_version, "networking.k8s.io/")
}

namespace_object(o) if {
	o.kind == "Namespace"
	o.api_version == "v1"
}

# A result for every object that could carry the finding (the Namespace object, and each
# workload in the namespace); "once" makes Go keep one per namespace, the one with the lowest
# rank and then index: the Namespace object if there is one, else the first workload.
deny contains f if {
	some i, o in input.objects
	some ns, rank in namespace_anchor(i, o)
	not ns in policy_namespaces
	f := {
		"target": "kubernetes", "rule": "HM-K8S-020", "index": i, "container": "", "path": [],
		"message": namespace_message(ns), "kind": "Namespace", "name": ns, "namespace": ns,
		"once": concat("", ["HM-K8S-020/", ns]), "rank": rank,
	}
}

namespace_anchor(_, o) := {o.name: 0} if namespace_object(o)

namespace_anchor(i, o) := {o.namespace: 1} if pods[i]

namespace_message(ns) := "no NetworkPolicy among the objects checked applies to objects without metadata.namespace" if {
	ns == ""
} else := sprintf("namespace %q has no NetworkPolicy among the objects checked", [ns])
