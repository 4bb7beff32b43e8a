// Package policy decides. It is the room of the loop after matching, VEX and misconfiguration
// checks: everything known about one artifact — its subject, inventory, findings with their VEX
// decisions, verified signatures and provenance, image configuration, licences, SBOM quality and
// misconfiguration results — is gathered into one Evidence document, and a Rego policy (OPA, Rego
// v1) turns it into a Decision: allow or deny, with violations and warnings that each name a
// rule, a severity and a remediation.
//
// An Engine is compiled once — the embedded built-in library (builtin/*.rego), the user's
// modules and the configuration data — and evaluated many times, concurrently, by the CLI gate
// and by the admission webhook. A policy that fails at run time denies with the reason
// (fail-closed) unless the configuration explicitly says otherwise. The contract between
// evidence, rules and decisions is documented in docs/policy.md; the evidence and decision JSON
// schemas are docs/schema/evidence-v1.json and docs/schema/decision-v1.json.
//
// The policy room gathers nothing itself and verifies no signature: the caller (cmd, webhook)
// runs the earlier rooms, verifies with the sign room, and fills the evidence as plain data.
package policy
