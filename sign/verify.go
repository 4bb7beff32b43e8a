package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// Identity is who must have signed, for keyless (Fulcio certificate) bundles: the certificate's
// Subject Alternative Name and the OIDC issuer recorded in it, each given exactly or as a Go
// regular expression. As in cosign, a regular expression is not anchored: write ^…$ to match
// the whole value.
type Identity struct {
	SubjectAlternativeName       string `json:"subjectAlternativeName,omitempty"`
	SubjectAlternativeNameRegexp string `json:"subjectAlternativeNameRegexp,omitempty"`
	Issuer                       string `json:"issuer,omitempty"`
	IssuerRegexp                 string `json:"issuerRegexp,omitempty"`
}

// Policy says what a bundle must prove to verify: a signature by one public key (NewKeyPolicy),
// or a certificate from a trusted Fulcio CA for one identity (NewKeylessPolicy). Its zero value
// verifies nothing. A Policy is immutable and safe for concurrent use: build it once, verify
// many bundles with it.
type Policy struct {
	verifier *verify.Verifier
	// key is set for key policies; keyHint is its bundle hint (KeyHint).
	key     crypto.PublicKey
	keyHint string
	// identity is set for keyless policies.
	identity *verify.CertificateIdentity
	// trusted is the trusted root, nil for a key policy without one; tlog says whether the
	// verifier requires (and so has verified) transparency log entries.
	trusted root.TrustedMaterial
	tlog    bool
	// logCheck, when set, runs after the signature verified (WithLogCheck).
	logCheck LogCheck
}

// LogCheck is a transparency-log check beyond the trusted root: hallmark's own log, whose
// entries are verified offline with the log's verifier key (package tlog). It gets the bundle
// whose signature just verified and the policy's key (nil for keyless policies), and returns
// the entries it verified. An error that is not already ErrVerification or ErrMalformedBundle
// is reported as ErrTransparencyLog.
type LogCheck func(b *bundle.Bundle, key crypto.PublicKey) ([]VerifiedLogEntry, error)

// WithLogCheck returns p with c run on every bundle p verifies (blobs, attestations, image
// signatures, release manifests alike).
func (p Policy) WithLogCheck(c LogCheck) Policy {
	p.logCheck = c
	return p
}

// runLogCheck applies p.logCheck to a verified result.
func (p Policy) runLogCheck(b *bundle.Bundle, res *Result) (*Result, error) {
	if p.logCheck == nil {
		return res, nil
	}
	entries, err := p.logCheck(b, p.key)
	if err != nil {
		if errors.Is(err, ErrVerification) || errors.Is(err, ErrMalformedBundle) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrTransparencyLog, err)
	}
	res.TransparencyLog = append(res.TransparencyLog, entries...)
	return res, nil
}

// ParseTrustedRoot reads a Sigstore trusted root (TrustedRoot JSON, e.g. the trusted_root.json
// of a TUF repository). Nothing is fetched: verification stays offline.
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTrustedRoot, err)
	}
	return tr, nil
}

// NewKeyPolicy accepts bundles signed by pub (ECDSA, RSA or ed25519, as a PKIX key).
//
// With trusted nil only the signature is checked: transparency log entries and timestamps in
// the bundle are ignored, as cosign does with --insecure-ignore-tlog, and the Result says so
// (no TransparencyLog entries). With a trusted root, the bundle must also carry what the root
// can check: an entry in one of its transparency logs (inclusion proof or signed entry
// timestamp) when it lists any, and a verified time (integrated time or RFC 3161 timestamp).
func NewKeyPolicy(pub crypto.PublicKey, trusted root.TrustedMaterial) (Policy, error) {
	if pub == nil {
		return Policy{}, fmt.Errorf("%w: no public key", ErrInvalidPolicy)
	}
	v, err := keyVerifier(pub)
	if err != nil {
		return Policy{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: public key: %w", ErrInvalidPolicy, err)
	}
	sum := sha256.Sum256(der)
	p := Policy{key: pub, keyHint: base64.StdEncoding.EncodeToString(sum[:]), trusted: trusted}
	// The bundle's key hint is unauthenticated, so the key the caller trusts answers for
	// any hint; the signature check decides.
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	})
	if trusted == nil {
		p.verifier, err = verify.NewVerifier(keys, verify.WithNoObserverTimestamps())
	} else {
		var opts []verify.VerifierOption
		opts, p.tlog, err = trustedRootOptions(trusted, false)
		if err == nil {
			p.verifier, err = verify.NewVerifier(root.TrustedMaterialCollection{trusted, keys}, opts...)
		}
	}
	if err != nil {
		return Policy{}, err
	}
	return p, nil
}

// NewKeylessPolicy accepts bundles signed with a short-lived certificate issued by a
// certificate authority of trusted to id. The trusted root dictates the rest, as the Sigstore
// client specification asks: the certificate chain is validated at a time a transparency log or
// timestamp authority of the root vouches for, the certificate must carry an SCT from one of
// the root's CT logs when it lists any, and the bundle an entry in one of its transparency logs
// when it lists any.
func NewKeylessPolicy(trusted root.TrustedMaterial, id Identity) (Policy, error) {
	if trusted == nil {
		return Policy{}, fmt.Errorf("%w: keyless verification needs a trusted root", ErrInvalidPolicy)
	}
	if (id.SubjectAlternativeName == "") == (id.SubjectAlternativeNameRegexp == "") {
		return Policy{}, fmt.Errorf("%w: give exactly one of a certificate identity or an identity regexp", ErrInvalidPolicy)
	}
	if (id.Issuer == "") == (id.IssuerRegexp == "") {
		return Policy{}, fmt.Errorf("%w: give exactly one of a certificate OIDC issuer or an issuer regexp", ErrInvalidPolicy)
	}
	ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.SubjectAlternativeName, id.SubjectAlternativeNameRegexp)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if len(trusted.FulcioCertificateAuthorities()) == 0 {
		return Policy{}, fmt.Errorf("%w: it lists no certificate authority, so no certificate can be trusted", ErrTrustedRoot)
	}
	opts, tlog, err := trustedRootOptions(trusted, true)
	if err != nil {
		return Policy{}, err
	}
	v, err := verify.NewVerifier(trusted, opts...)
	if err != nil {
		return Policy{}, err
	}
	return Policy{verifier: v, identity: &ci, trusted: trusted, tlog: tlog}, nil
}

// trustedRootOptions derives sigstore-go's verifier thresholds from what the trusted root
// lists, so that a private deployment without CT logs or without Rekor still verifies, while
// the public-good root demands everything it can vouch for. It reports whether transparency log
// entries are required.
func trustedRootOptions(tm root.TrustedMaterial, keyless bool) ([]verify.VerifierOption, bool, error) {
	logs := len(tm.RekorLogs()) > 0
	if !logs && len(tm.TimestampingAuthorities()) == 0 {
		return nil, false, fmt.Errorf("%w: it lists neither a transparency log nor a timestamp authority, so no signing time can be established", ErrTrustedRoot)
	}
	// One observer timestamp (a log's integrated time or an RFC 3161 timestamp) fixes the
	// time at which the certificate, or the key's validity, is checked.
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if logs {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if keyless && len(tm.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	return opts, logs, nil
}

// keyVerifier loads the signature verifier for a trusted public key with the algorithm the
// Sigstore algorithm registry assigns to it (P-256 → ECDSA-SHA256, …).
func keyVerifier(pub crypto.PublicKey) (signature.Verifier, error) {
	if k, ok := pub.(ed25519.PublicKey); ok {
		return newEd25519Verifier(k)
	}
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrInvalidPolicy, ErrAlgorithm, err)
	}
	return v, nil
}

// ed25519Verifier accepts pure Ed25519 (RFC 8032 PureEdDSA: what DSSE envelopes and hallmark's
// blob signatures use) and Ed25519ph (HashEdDSA over SHA-512: what Rekor's hashedrekord needs,
// and what cosign writes for blobs). The two cannot be confused: Ed25519ph signs under a
// dom2 prefix that pure Ed25519 never does, so accepting both does not widen what a key vouches
// for.
type ed25519Verifier struct {
	pure *signature.ED25519Verifier
	ph   *signature.ED25519phVerifier
}

func newEd25519Verifier(k ed25519.PublicKey) (*ed25519Verifier, error) {
	if len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: ed25519 key of %d bytes", ErrInvalidPolicy, len(k))
	}
	pure, err := signature.LoadED25519Verifier(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	ph, err := signature.LoadED25519phVerifier(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	return &ed25519Verifier{pure: pure, ph: ph}, nil
}

func (v *ed25519Verifier) PublicKey(opts ...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return v.pure.PublicKey(opts...)
}

func (v *ed25519Verifier) VerifySignature(sig, message io.Reader, opts ...signature.VerifyOption) error {
	var digest []byte
	for _, o := range opts {
		o.ApplyDigest(&digest)
	}
	if digest != nil {
		// Only a digest is known: only the prehashed form can be checked.
		return v.ph.VerifySignature(sig, message, opts...)
	}
	s, err := io.ReadAll(sig)
	if err != nil {
		return err
	}
	// Pure Ed25519 needs the whole message in memory; the artifact was always going to be
	// read whole for it.
	m, err := io.ReadAll(message)
	if err != nil {
		return err
	}
	if v.pure.VerifySignature(bytes.NewReader(s), bytes.NewReader(m)) == nil {
		return nil
	}
	return v.ph.VerifySignature(bytes.NewReader(s), bytes.NewReader(m))
}

// Result is what a successful verification established. Every field was checked; nothing
// unverified is reported here.
type Result struct {
	// MediaType is the bundle's media type, which carries its version.
	MediaType string `json:"mediaType"`
	// Artifact is the digest of the artifact the signature covers, "sha256:<hex>" (or the
	// algorithm of the digest VerifyDigest was given).
	Artifact string `json:"artifact"`
	// Signer is who signed: the key, or the certificate identity.
	Signer VerifiedSigner `json:"signer"`
	// Statement is set for DSSE bundles: the verified in-toto statement's header.
	Statement *VerifiedStatement `json:"statement,omitempty"`
	// TransparencyLog lists the bundle's entries in logs of the trusted root, all verified. It
	// is empty when the policy did not require a log (a key policy without trusted root).
	TransparencyLog []VerifiedLogEntry `json:"transparencyLog,omitempty"`
	// Timestamps are the verified times at which the signature was observed.
	Timestamps []VerifiedTimestamp `json:"timestamps,omitempty"`
	// Payload is the verified DSSE payload (nil for message signatures), for callers that read
	// the predicate; the JSON form leaves it out.
	Payload []byte `json:"-"`
}

// VerifiedSigner identifies the signer of a verified bundle.
type VerifiedSigner struct {
	// Kind is "key" or "certificate".
	Kind string `json:"kind"`
	// KeyID is the SHA-256 of the trusted key's PKIX DER, "sha256:<hex>" (key bundles).
	KeyID string `json:"keyId,omitempty"`
	// Identity is the certificate's Subject Alternative Name; Issuer its OIDC issuer;
	// CertificateAuthority the subject of the CA that issued it (certificate bundles).
	Identity             string `json:"identity,omitempty"`
	Issuer               string `json:"issuer,omitempty"`
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
}

// VerifiedStatement is the header of a verified in-toto statement.
type VerifiedStatement struct {
	PayloadType   string             `json:"payloadType"`
	Type          string             `json:"type"`
	PredicateType string             `json:"predicateType"`
	Subjects      []StatementSubject `json:"subjects"`
}

// StatementSubject is one subject of an in-toto statement: a name and its digests by
// algorithm ("sha256" → hex).
type StatementSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// VerifiedLogEntry is a verified transparency log entry.
type VerifiedLogEntry struct {
	// LogID is the log's key ID (hex); LogURL its base URL from the trusted root.
	LogID  string `json:"logId"`
	LogURL string `json:"logUrl,omitempty"`
	// LogIndex is the entry's index in the log.
	LogIndex int64 `json:"logIndex"`
	// Kind is the entry type and version, e.g. "hashedrekord/0.0.1".
	Kind string `json:"kind"`
	// IntegratedTime is when the log says it added the entry (Rekor v1; Rekor v2 logs carry
	// no integrated time and rely on RFC 3161 timestamps).
	IntegratedTime *time.Time `json:"integratedTime,omitempty"`
}

// VerifiedTimestamp is a verified observation time of the signature.
type VerifiedTimestamp struct {
	// Source is "transparency-log" or "timestamp-authority"; URI names it when known.
	Source string    `json:"source"`
	URI    string    `json:"uri,omitempty"`
	Time   time.Time `json:"time"`
}

// Verify checks that bundleJSON (a Sigstore bundle, v0.1 to v0.3) is a valid signature of the
// artifact read from artifact under policy p, offline. It reads the artifact once, to its end.
// It returns a Result only when everything verified; otherwise the error matches one of the
// sentinel errors of this package (see errors.go), and ErrVerification for every failure of
// the bundle itself.
func Verify(ctx context.Context, artifact io.Reader, bundleJSON []byte, p Policy) (*Result, error) {
	return verifyBundle(ctx, artifact, "", bundleJSON, p)
}

// VerifyDigest is Verify for an artifact known only by its digest, "sha256:<hex>" (also sha384,
// sha512), e.g. an image manifest. Message signatures made with pure Ed25519 cannot be checked
// this way (ErrAlgorithm): they sign the artifact itself, not its digest.
func VerifyDigest(ctx context.Context, digest string, bundleJSON []byte, p Policy) (*Result, error) {
	if digest == "" {
		return nil, fmt.Errorf("%w: empty artifact digest", ErrInvalidPolicy)
	}
	return verifyBundle(ctx, nil, digest, bundleJSON, p)
}

// hashNames maps the digest algorithms hallmark accepts between the bundle's protobuf names,
// in-toto's names and Go.
var hashNames = []struct {
	proto, name string
	hash        crypto.Hash
	new         func() hash.Hash
}{
	{"SHA2_256", "sha256", crypto.SHA256, sha256.New},
	{"SHA2_384", "sha384", crypto.SHA384, sha512.New384},
	{"SHA2_512", "sha512", crypto.SHA512, sha512.New},
}

func verifyBundle(ctx context.Context, artifact io.Reader, digest string, bundleJSON []byte, p Policy) (*Result, error) {
	if p.verifier == nil {
		return nil, fmt.Errorf("%w: empty policy (use NewKeyPolicy or NewKeylessPolicy)", ErrInvalidPolicy)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, entries, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	if err := p.checkShape(b); err != nil {
		return nil, err
	}
	msg := b.GetMessageSignature()
	var msgAlg string // the bundle's digest algorithm, for message signatures
	if msg != nil {
		msgAlg = hashName(msg.GetMessageDigest().GetAlgorithm())
		if msgAlg == "" {
			return nil, fmt.Errorf("%w: the bundle signs a %s digest; hallmark accepts SHA2_256, SHA2_384 and SHA2_512",
				ErrAlgorithm, msg.GetMessageDigest().GetAlgorithm())
		}
		if err := p.checkKeyAlgorithm(msgAlg); err != nil {
			return nil, err
		}
	}

	// The artifact side: either we hash it as sigstore-go reads it (one pass, and the digest
	// we report is the one of the bytes that were verified), or we were given its digest.
	var (
		artifactOpt verify.ArtifactPolicyOption
		hashes      map[string]hash.Hash
		tee         io.Reader
		given       struct{ alg, hex string }
	)
	if artifact != nil {
		hashes = map[string]hash.Hash{"sha256": sha256.New()}
		if msgAlg != "" && msgAlg != "sha256" {
			hashes[msgAlg] = newHash(msgAlg)
		}
		ws := make([]io.Writer, 0, len(hashes))
		for _, h := range hashes {
			ws = append(ws, h)
		}
		tee = io.TeeReader(cancelReader{ctx, artifact}, io.MultiWriter(ws...))
		artifactOpt = verify.WithArtifact(tee)
	} else {
		alg, hx, ok := strings.Cut(digest, ":")
		raw, err := hex.DecodeString(hx)
		if !ok || err != nil || newHash(alg) == nil || len(raw) != newHash(alg).Size() {
			return nil, fmt.Errorf("%w: artifact digest %q: want sha256:<64 hex digits> (or sha384, sha512)", ErrInvalidPolicy, digest)
		}
		if msgAlg != "" && msgAlg != alg {
			return nil, fmt.Errorf("%w: the bundle signs a %s digest, but a %s digest was given", ErrAlgorithm, msgAlg, alg)
		}
		given.alg, given.hex = alg, hx
		artifactOpt = verify.WithArtifactDigest(alg, raw)
	}
	var policyOpt verify.PolicyOption
	if p.identity != nil {
		policyOpt = verify.WithCertificateIdentity(*p.identity)
	} else {
		policyOpt = verify.WithKey()
	}

	res, verr := p.verifier.Verify(b, verify.NewPolicy(artifactOpt, policyOpt))

	artifactDigest := given.alg + ":" + given.hex
	if tee != nil {
		// sigstore-go stops reading early when an earlier step fails; finish the digest so
		// that a failure can still say whether this was the signed artifact at all.
		if _, err := io.Copy(io.Discard, tee); err != nil {
			return nil, fmt.Errorf("reading artifact: %w", err)
		}
		artifactDigest = "sha256:" + hex.EncodeToString(hashes["sha256"].Sum(nil))
	}
	if verr != nil {
		if msg != nil {
			signed := hex.EncodeToString(msg.GetMessageDigest().GetDigest())
			got := given.hex
			if hashes != nil {
				got = hex.EncodeToString(hashes[msgAlg].Sum(nil))
			}
			if got != signed {
				return nil, fmt.Errorf("%w: the artifact's %s digest is %s, the bundle signs %s (%w)",
					ErrDigestMismatch, msgAlg, got, signed, verr)
			}
		}
		return nil, p.classify(verr)
	}
	return p.result(b, entries, res, artifactDigest)
}

// parseBundle decodes a Sigstore bundle (JSON, v0.1 to v0.3) and checks that its parts decode:
// media type, signature content, verification material, timestamps and transparency log
// entries. Nothing is verified yet. A bundle that does not decode is ErrMalformedBundle; a
// transparency log entry that is missing its inclusion proof or promise, or whose body
// contradicts itself (sigstore-go checks the entry's signature with the entry's key while
// decoding it), is ErrTransparencyLog: the bundle was read, its log evidence is bad.
func parseBundle(data []byte) (*bundle.Bundle, []*tlog.Entry, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, fmt.Errorf("%w: empty input", ErrMalformedBundle)
	}
	pb := new(protobundle.Bundle)
	if err := protojson.Unmarshal(data, pb); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	// Check the parts in the order a reader would name them, before bundle.NewBundle, whose
	// validation looks at the log entries first and would report an empty certificate chain
	// as a log problem.
	raw := &bundle.Bundle{Bundle: pb}
	if _, err := raw.Version(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	if _, err := raw.SignatureContent(); err != nil {
		return nil, nil, fmt.Errorf("%w: signature content: %w", ErrMalformedBundle, err)
	}
	if env := pb.GetDsseEnvelope(); env != nil && len(env.GetSignatures()) != 1 {
		// The bundle specification allows exactly one signature in the envelope.
		return nil, nil, fmt.Errorf("%w: DSSE envelope has %d signatures, want 1", ErrMalformedBundle, len(env.GetSignatures()))
	}
	if _, err := raw.VerificationContent(); err != nil {
		return nil, nil, fmt.Errorf("%w: verification material: %w", ErrMalformedBundle, err)
	}
	if _, err := raw.Timestamps(); err != nil {
		return nil, nil, fmt.Errorf("%w: timestamps: %w", ErrMalformedBundle, err)
	}
	// The entries are decoded once here (decoding checks each entry's own signature: not
	// cheap) and handed to result, instead of decoding them again there.
	entries, err := raw.TlogEntries()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: invalid entry: %w", ErrTransparencyLog, err)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		// Versioned requirements on the log entries: v0.1 needs inclusion promises, v0.2 and
		// later inclusion proofs.
		if msg := err.Error(); strings.Contains(msg, "inclusion promises missing") || strings.Contains(msg, "inclusion proof missing") {
			return nil, nil, fmt.Errorf("%w: %w", ErrTransparencyLog, err)
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	return b, entries, nil
}

// checkShape refuses, with a precise reason, a bundle whose kind of signer cannot satisfy the
// policy at all: sigstore-go would also refuse it, with a less helpful message.
func (p Policy) checkShape(b *bundle.Bundle) error {
	vc, err := b.VerificationContent()
	if err != nil {
		return fmt.Errorf("%w: verification material: %w", ErrMalformedBundle, err)
	}
	switch {
	case p.identity != nil && vc.Certificate() == nil:
		return fmt.Errorf("%w: the bundle is signed with a public key, not a certificate, so it has no identity to check; verify it with the key", ErrCertificateIdentity)
	case p.key != nil && vc.Certificate() != nil:
		return fmt.Errorf("%w: the bundle is signed with a certificate (keyless), not with the key given", ErrSignature)
	}
	return nil
}

// checkKeyAlgorithm refuses a message signature whose digest algorithm is not the one the
// trusted key signs with: ECDSA P-256 signs SHA-256, so a bundle naming SHA-512 was not made
// with this key as the registry defines it. Ed25519 keys are exempt: pure Ed25519 signs the
// message whatever the bundle's digest says.
func (p Policy) checkKeyAlgorithm(msgAlg string) error {
	if p.key == nil {
		return nil
	}
	if _, ok := p.key.(ed25519.PublicKey); ok {
		return nil
	}
	d, err := signature.GetDefaultAlgorithmDetails(p.key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAlgorithm, err)
	}
	if want := hashNameOf(d.GetHashType()); want != msgAlg {
		return fmt.Errorf("%w: the bundle signs a %s digest, but the key (%s) signs %s", ErrAlgorithm, msgAlg, d.GetSignatureAlgorithm(), want)
	}
	return nil
}

// sigstore-go v1.3.0 returns untyped errors from Verifier.Verify, but wraps each with a fixed
// prefix naming the step of the Sigstore client specification that failed (pkg/verify/
// signed_entity.go): log inclusion, then timestamps, then the certificate (chain, SCTs), then
// the signature, then the identity. classify matches those prefixes — the step decides the
// kind — and, inside the tlog and signature steps, the few inner messages that separate a
// certificate-validity, digest or algorithm problem from a bad log entry or signature. Typed
// errors (bundle.ErrValidation, ErrNoMatchingCertificateIdentity) are matched first with
// errors.Is/As. A message not in these tables still fails, as bare ErrVerification. The
// conformance test pins every mapping, so an upgrade that rewords a message shows up there.
var verifySteps = []struct {
	prefix string
	kind   error
	inner  []innerKind
}{
	{"failed to verify log inclusion:", ErrTransparencyLog, []innerKind{
		// The log saw the entry when the certificate was not valid: a certificate failure.
		{"integrated time outside certificate validity", ErrUntrustedCertificate},
	}},
	{"failed to verify timestamps:", ErrTimestamp, nil},
	{"failed to fetch verification content:", ErrMalformedBundle, nil},
	{"expected key signature, not certificate", ErrSignature, nil},
	{"must provide timestamp to verify certificate", ErrTimestamp, nil},
	{"failed to summarize certificate:", ErrUntrustedCertificate, nil},
	{"failed to verify leaf certificate:", ErrUntrustedCertificate, nil},
	{"failed to verify signed certificate timestamp:", ErrUntrustedCertificate, nil},
	{"signature time outside of public key validity window", ErrSignature, nil},
	{"SCTs required but bundle is signed with a public key", ErrCertificateIdentity, nil},
	{"failed to fetch signature content:", ErrMalformedBundle, nil},
	{"failed to fetch entity version:", ErrMalformedBundle, nil},
	{"failed to get signature verifier:", ErrAlgorithm, nil},
	{"failed to verify signature:", ErrSignature, []innerKind{
		{"artifact digest does not match message digest", ErrDigestMismatch},
		{"artifact does not match digest", ErrDigestMismatch},
		{"not match digests in statement", ErrDigestMismatch},
		{"does not match any digest in statement", ErrDigestMismatch},
		{"no matching artifact hash algorithm", ErrAlgorithm},
		{"unable to determine hash functions", ErrAlgorithm},
		{"could not verify message digest algorithm", ErrAlgorithm},
		{"can only be verified with artifacts", ErrAlgorithm},
		{"unable to extract statement from envelope", ErrMalformedBundle},
		{"no subjects found in statement", ErrMalformedBundle},
	}},
	{"failed to fetch envelope statement:", ErrMalformedBundle, nil},
	{"can't verify certificate identities:", ErrCertificateIdentity, nil},
	{"failed to verify certificate identity:", ErrCertificateIdentity, nil},
}

type innerKind struct {
	substring string
	kind      error
}

// classify maps an error of sigstore-go's Verifier.Verify to this package's sentinel errors,
// keeping sigstore-go's error in the chain and its message as the detail.
func (p Policy) classify(err error) error {
	var idErr *verify.ErrNoMatchingCertificateIdentity
	switch {
	case errors.Is(err, bundle.ErrValidation):
		return fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	case errors.As(err, &idErr):
		return fmt.Errorf("%w: %w", ErrCertificateIdentity, err)
	}
	msg := err.Error()
	for _, s := range verifySteps {
		if !strings.HasPrefix(msg, s.prefix) {
			continue
		}
		kind := s.kind
		for _, in := range s.inner {
			if strings.Contains(msg, in.substring) {
				kind = in.kind
				break
			}
		}
		if kind == ErrSignature && p.key != nil {
			return fmt.Errorf("%w: not signed by the key given (key hint %s): %w", kind, p.keyHint, err)
		}
		return fmt.Errorf("%w: %w", kind, err)
	}
	return fmt.Errorf("%w: %w", ErrVerification, err)
}

// result turns sigstore-go's verification result into ours.
func (p Policy) result(b *bundle.Bundle, entries []*tlog.Entry, res *verify.VerificationResult, artifactDigest string) (*Result, error) {
	r := &Result{MediaType: b.GetMediaType(), Artifact: artifactDigest}
	switch {
	case res.Signature != nil && res.Signature.Certificate != nil:
		c := res.Signature.Certificate
		r.Signer = VerifiedSigner{Kind: "certificate", Identity: c.SubjectAlternativeName, Issuer: c.Issuer, CertificateAuthority: c.CertificateIssuer}
	default:
		der, err := x509.MarshalPKIXPublicKey(p.key)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(der)
		r.Signer = VerifiedSigner{Kind: "key", KeyID: "sha256:" + hex.EncodeToString(sum[:])}
	}
	if st := res.Statement; st != nil {
		env := b.GetDsseEnvelope()
		vs := &VerifiedStatement{PayloadType: env.GetPayloadType(), Type: st.GetType(), PredicateType: st.GetPredicateType()}
		for _, s := range st.GetSubject() {
			vs.Subjects = append(vs.Subjects, StatementSubject{Name: s.GetName(), Digest: s.GetDigest()})
		}
		r.Statement = vs
		r.Payload = env.GetPayload()
	}
	if p.tlog {
		logs := p.trusted.RekorLogs()
		for _, e := range entries {
			id := hex.EncodeToString([]byte(e.LogKeyID()))
			log, ok := logs[id]
			if !ok {
				// sigstore-go skips entries of logs the root does not list; so do we.
				continue
			}
			kv := e.TransparencyLogEntry().GetKindVersion()
			le := VerifiedLogEntry{LogID: id, LogURL: log.BaseURL, LogIndex: e.LogIndex(), Kind: kv.GetKind() + "/" + kv.GetVersion()}
			if t := e.IntegratedTime(); !e.IsRekorV2() && !t.IsZero() {
				t = t.UTC()
				le.IntegratedTime = &t
			}
			r.TransparencyLog = append(r.TransparencyLog, le)
		}
	}
	for _, ts := range res.VerifiedTimestamps {
		src := ts.Type
		switch ts.Type {
		case "Tlog":
			src = "transparency-log"
		case "TimestampAuthority":
			src = "timestamp-authority"
		}
		r.Timestamps = append(r.Timestamps, VerifiedTimestamp{Source: src, URI: ts.URI, Time: ts.Timestamp.UTC()})
	}
	return p.runLogCheck(b, r)
}

func hashName(a protocommon.HashAlgorithm) string {
	for _, h := range hashNames {
		if h.proto == a.String() {
			return h.name
		}
	}
	return ""
}

func hashNameOf(h crypto.Hash) string {
	for _, n := range hashNames {
		if n.hash == h {
			return n.name
		}
	}
	return h.String()
}

func newHash(name string) hash.Hash {
	for _, h := range hashNames {
		if h.name == name {
			return h.new()
		}
	}
	return nil
}

// cancelReader stops a long artifact read when ctx is cancelled.
type cancelReader struct {
	ctx context.Context
	r   io.Reader
}

func (c cancelReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
