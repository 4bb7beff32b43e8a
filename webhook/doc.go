// Package webhook is hallmark's Kubernetes validating admission webhook: the edge of the loop
// where a decision made in CI meets the cluster. The API server POSTs an AdmissionReview (v1)
// for each Pod or pod controller (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job, CronJob) created or updated; the server answers allow or deny for
// the images of every container, init container and ephemeral container, with the reasons.
//
// Decisions are made once and reused. An image reference is resolved to its manifest digest
// (tags only; cached), and the verdict for a (reference, digest) pair is cached for a TTL. On a
// miss, the server looks for a SLSA verification summary that `hallmark gate --attest` pushed
// next to the image, signed by a trusted key: when it passed under this very policy, only the
// reference-level rules (registry, digest pinning) are evaluated again, for the reference the
// workload uses. Otherwise it gathers the evidence that is cheap at admission time — the
// reference's facts and the image's verified signatures — and evaluates the whole policy. All
// of it runs under a hard deadline well under the API server's webhook timeout; what is not
// decided by then fails closed (deny) or open (allow with a warning), as configured, while the
// registry work continues in the background so that the next attempt finds a warm cache.
//
// The package is wiring: the policy room decides, the sign room verifies, the misconfig room
// parses manifests. docs/admission.md explains deployment and certificates.
package webhook
