// Package sign is the room where evidence gets a signature. The rooms before it decide what is
// true about an artifact (inventory, findings, policy decisions, in-toto statements); this room
// binds that evidence, or the artifact itself, to a key, so that a customer or a cluster can later
// check who vouched for it and that nothing changed since. It owns key pairs (generated, imported,
// and stored encrypted at rest in the format cosign uses, so keys move freely between the two
// tools), the Signer interface that a file key implements today and a KMS or hardware key can
// implement later, and Sigstore bundles (v0.3), the one container in which signatures, their
// verification material and, once the tlog room lands, transparency-log proofs travel. Bundles
// are built with the protobuf-specs types and checked with sigstore-go, so what this room writes
// is exactly what sigstore-go and cosign read.
package sign
