package sign

import (
	"errors"
	"fmt"
)

// Sentinel errors of bundle verification (Verify, VerifyDigest); match them with errors.Is.
// Every verification failure wraps exactly one of the specific errors below, and all of them
// except the three input errors (ErrMalformedBundle, ErrTrustedRoot, ErrInvalidPolicy) also
// match ErrVerification, so a caller that only needs "valid or not" checks that one.
var (
	// ErrVerification: the bundle did not verify. It is the parent of every specific failure
	// below; on its own (no more specific error matches) it means sigstore-go refused the
	// bundle for a reason hallmark does not classify — still a failure. Do not trust the
	// artifact.
	ErrVerification = errors.New("verification failed")

	// ErrMalformedBundle: the bundle is not a Sigstore bundle hallmark can read: not JSON,
	// truncated, an unknown media type or version, or required fields missing or undecodable.
	// Bad input (CLI exit 2): fetch the bundle again; nothing was verified.
	ErrMalformedBundle = errors.New("malformed bundle")

	// ErrTrustedRoot: the trusted root is not a valid Sigstore trusted root (TrustedRoot JSON),
	// or holds nothing that could vouch for a signature. Bad input (CLI exit 2).
	ErrTrustedRoot = errors.New("malformed trusted root")

	// ErrInvalidPolicy: a verification policy or request is incomplete or contradictory (no
	// key, no identity, a regular expression that does not compile, an artifact digest that is
	// not "sha256:<hex>"). Bad input (CLI exit 2).
	ErrInvalidPolicy = errors.New("invalid verification policy")

	// ErrSignature: the signature does not verify with the trusted key or certificate: the
	// payload was tampered with, or it was signed by another key. Do not trust the artifact.
	ErrSignature = fmt.Errorf("%w: signature", ErrVerification)

	// ErrDigestMismatch: the artifact is not the one that was signed (its digest differs from
	// the digest in the bundle or in the attestation's subjects), e.g. a signature moved to
	// another file. Check that the right file and bundle were paired.
	ErrDigestMismatch = fmt.Errorf("%w: artifact digest mismatch", ErrVerification)

	// ErrCertificateIdentity: the signing certificate is valid but was issued to another
	// identity (SAN) or by another OIDC issuer than the policy expects, or the bundle carries no
	// certificate at all when an identity was asked for. Someone else signed it.
	ErrCertificateIdentity = fmt.Errorf("%w: certificate identity", ErrVerification)

	// ErrUntrustedCertificate: the signing certificate does not chain to a certificate
	// authority of the trusted root, was not valid at the time the signature was observed
	// (expired, not yet valid), or lacks a valid SCT from a trusted certificate transparency
	// log.
	ErrUntrustedCertificate = fmt.Errorf("%w: untrusted certificate", ErrVerification)

	// ErrTransparencyLog: a transparency log entry the policy requires is missing, is not
	// from a trusted log, or is invalid: bad inclusion proof, bad checkpoint, bad signed entry
	// timestamp, or an entry that records a different signature, key or artifact.
	ErrTransparencyLog = fmt.Errorf("%w: transparency log", ErrVerification)

	// ErrTimestamp: no trusted time could be established for the signature: an RFC 3161
	// timestamp is invalid, from an untrusted or expired authority, or too few timestamps were
	// verified.
	ErrTimestamp = fmt.Errorf("%w: timestamp", ErrVerification)

	// ErrAlgorithm: the bundle uses a digest or signature algorithm hallmark does not accept
	// here, or one that does not match the trusted key (e.g. an ed25519 message signature
	// checked against a digest only).
	ErrAlgorithm = fmt.Errorf("%w: algorithm", ErrVerification)
)
