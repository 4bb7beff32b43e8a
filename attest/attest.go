// Package attest is the room that turns evidence into in-toto attestations: an SBOM, a scan
// result, a VEX document or build provenance becomes the predicate of an in-toto Statement v1
// whose subjects are the artifacts it is about (name + digest). The sign room wraps a statement
// in a DSSE envelope and a Sigstore bundle; verifiers and policy read it back through Parse,
// which checks the statement's field rules before anything trusts its content.
package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// StatementType is the in-toto Statement v1 type URI.
const StatementType = intoto.StatementTypeUri

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// ErrInvalid is matched by every error Parse and New return for a statement that breaks the
// in-toto Statement v1 rules (spec/v1/statement.md, resource_descriptor.md). Fix the input.
var ErrInvalid = errors.New("invalid in-toto statement")

// ErrPredicateType is returned by PredicateType for a name that is neither a known short name
// nor an absolute URI.
var ErrPredicateType = errors.New("unknown predicate type")

// predicateTypes are the short names `--type` accepts, as cosign names them, with the type URI
// each stands for.
var predicateTypes = map[string]string{
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2", // cosign's meaning, kept for compatibility
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"openvex":          "https://openvex.dev/ns",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// PredicateTypeNames lists the short names PredicateType accepts, sorted.
func PredicateTypeNames() []string {
	names := make([]string, 0, len(predicateTypes))
	for n := range predicateTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// PredicateType resolves a `--type` value: a short name (slsaprovenance, cyclonedx, spdx,
// openvex, vuln, custom, …) or an absolute URI, which is used as given.
func PredicateType(name string) (string, error) {
	if u, ok := predicateTypes[strings.ToLower(name)]; ok {
		return u, nil
	}
	if u, err := url.Parse(name); err == nil && u.Scheme != "" && u.Host != "" {
		return name, nil
	}
	return "", fmt.Errorf("%w %q: want one of %s, or an absolute URI", ErrPredicateType, name, strings.Join(PredicateTypeNames(), ", "))
}

// Subject is an artifact a statement is about: a name and its digests (algorithm → lowercase
// hex), e.g. {"app.tar.gz", {"sha256": "…"}}.
type Subject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// FileSubject reads r and returns a subject named name with its SHA-256 digest.
func FileSubject(name string, r io.Reader) (Subject, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return Subject{}, fmt.Errorf("attest: reading %s: %w", name, err)
	}
	return Subject{Name: name, Digest: map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))}}, nil
}

// DigestSubject makes a subject from a "sha256:<hex>" digest, as image and tree digests are
// written.
func DigestSubject(name, digest string) (Subject, error) {
	alg, hx, ok := strings.Cut(digest, ":")
	if !ok {
		return Subject{}, fmt.Errorf("%w: digest %q: want algorithm:hex", ErrInvalid, digest)
	}
	s := Subject{Name: name, Digest: map[string]string{alg: hx}}
	return s, checkSubject(0, s)
}

// Statement is a parsed, validated in-toto Statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// New builds the JSON of a Statement v1. predicate must be a JSON object (an SBOM, a scan
// result, a VEX document, provenance). The output is compact, deterministic JSON: the same
// inputs sign to the same bytes.
func New(subjects []Subject, predicateType string, predicate []byte) ([]byte, error) {
	st := Statement{Type: StatementType, Subject: subjects, PredicateType: predicateType}
	var compact bytes.Buffer
	if err := json.Compact(&compact, predicate); err != nil {
		return nil, fmt.Errorf("%w: predicate is not JSON: %v", ErrInvalid, err)
	}
	st.Predicate = compact.Bytes()
	if err := st.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Parse reads and validates a statement: the in-toto rules as the reference implementation
// checks them (type, at least one subject, each with a digest, a predicate type and a predicate
// object), plus the resource-descriptor digest rules (known algorithms with lowercase hex of
// the right length) and an absolute predicate type URI.
func Parse(b []byte) (*Statement, error) {
	var pb intoto.Statement
	if err := protojson.Unmarshal(b, &pb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := pb.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var st Statement
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := st.validate(); err != nil {
		return nil, err
	}
	return &st, nil
}

func (st *Statement) validate() error {
	if st.Type != StatementType {
		return fmt.Errorf("%w: _type %q, want %q", ErrInvalid, st.Type, StatementType)
	}
	if len(st.Subject) == 0 {
		return fmt.Errorf("%w: no subject", ErrInvalid)
	}
	for i, s := range st.Subject {
		if err := checkSubject(i, s); err != nil {
			return err
		}
	}
	if u, err := url.Parse(st.PredicateType); err != nil || u.Scheme == "" {
		return fmt.Errorf("%w: predicateType %q is not an absolute URI", ErrInvalid, st.PredicateType)
	}
	if p := bytes.TrimSpace(st.Predicate); len(p) == 0 || p[0] != '{' {
		return fmt.Errorf("%w: predicate must be a JSON object", ErrInvalid)
	}
	return nil
}

// digestLengths are the hex lengths of the fixed-size algorithms of resource_descriptor.md.
var digestLengths = map[string]int{
	"sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128, "sha512_224": 56, "sha512_256": 64,
	"sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "sha1": 40, "md5": 32,
	"gitCommit": 40, "gitTree": 40, "gitBlob": 40,
}

func checkSubject(i int, s Subject) error {
	if len(s.Digest) == 0 {
		return fmt.Errorf("%w: subject[%d] %q has no digest", ErrInvalid, i, s.Name)
	}
	for alg, hx := range s.Digest {
		n, known := digestLengths[alg]
		if known && len(hx) != n && !(strings.HasPrefix(alg, "git") && len(hx) == 64) {
			return fmt.Errorf("%w: subject[%d] %q: %s digest has %d hex digits, want %d", ErrInvalid, i, s.Name, alg, len(hx), n)
		}
		if hx == "" {
			return fmt.Errorf("%w: subject[%d] %q: empty %s digest", ErrInvalid, i, s.Name, alg)
		}
		for _, c := range hx {
			if known && !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return fmt.Errorf("%w: subject[%d] %q: %s digest is not lowercase hex", ErrInvalid, i, s.Name, alg)
			}
		}
	}
	return nil
}

// Matches reports whether one of the statement's subjects has the given digest
// ("sha256:<hex>"): how a verifier binds a statement to the artifact in hand.
func (st *Statement) Matches(digest string) bool {
	alg, hx, ok := strings.Cut(digest, ":")
	if !ok {
		return false
	}
	for _, s := range st.Subject {
		if v, ok := s.Digest[alg]; ok && strings.EqualFold(v, hx) {
			return true
		}
	}
	return false
}
