package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/hallmark-dev/hallmark/attest"
)

// A signed release is a directory whose every regular file is listed, with its size and
// SHA-256, in an in-toto statement of predicate type ReleasePredicateType, signed as a DSSE
// envelope in a Sigstore bundle stored inside the directory at ReleaseBundlePath. A customer
// checks the whole download with one bundle: VerifyRelease verifies the signature, then walks
// the directory and lists every difference, not just the first.

// ReleasePredicateType is the predicate type of a release manifest statement.
const ReleasePredicateType = "https://hallmark.dev/release/v1"

// ReleaseBundlePath is where SignRelease's bundle lives in the release directory (slash
// path). It is the one file the manifest never lists: it cannot contain its own digest.
const ReleaseBundlePath = ".hallmark/release.sigstore.json"

// Sentinel errors of release signing and verification, in addition to those of Verify.
var (
	// ErrReleaseTree: the directory cannot be signed as a release: it holds a symbolic link,
	// a device, pipe or socket (only regular files are listed; a link's target could change
	// after signing), it has no file at all, or an --sbom/--provenance reference is not one of
	// its files. Bad input (CLI exit 2): fix the directory.
	ErrReleaseTree = errors.New("release directory")

	// ErrMalformedManifest: the bundle verified, but its statement is not a well-formed
	// release manifest (bad paths or digests, duplicate files, subjects that disagree with
	// the file list, unknown fields). It matches ErrMalformedBundle: bad input, CLI exit 2.
	ErrMalformedManifest = fmt.Errorf("%w: malformed release manifest", ErrMalformedBundle)

	// ErrReleaseMismatch: the manifest is validly signed, but the directory differs from it
	// (ReleaseReport.Problems lists every difference). It matches ErrVerification: do not
	// install the release.
	ErrReleaseMismatch = fmt.Errorf("%w: the directory does not match its signed manifest", ErrVerification)
)

// ReleaseFile is one file of a release: its slash path relative to the release directory,
// its size in bytes and its SHA-256 (lowercase hex).
type ReleaseFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ReleaseRef points at a file of the release that plays a role: an SBOM, a provenance
// attestation. The file itself is also in Files; the reference tells a customer where to look.
type ReleaseRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ReleaseManifest is the predicate of a release statement.
type ReleaseManifest struct {
	// Files are every regular file of the directory except ReleaseBundlePath, sorted by path.
	Files []ReleaseFile `json:"files"`
	// SBOM and Provenance reference files of Files.
	SBOM       []ReleaseRef `json:"sbom,omitempty"`
	Provenance []ReleaseRef `json:"provenance,omitempty"`
}

// ReleaseOptions name the files of the release that are its SBOMs and provenance, as slash
// paths relative to the release directory.
type ReleaseOptions struct {
	SBOM       []string
	Provenance []string
}

// ScanRelease lists every regular file under dir (ReleaseBundlePath excluded) with its size
// and SHA-256, sorted by path. A symbolic link or any other non-regular file is an
// ErrReleaseTree error naming it: a manifest must not vouch for what a link may point to later.
func ScanRelease(ctx context.Context, dir string) ([]ReleaseFile, error) {
	var files []ReleaseFile
	err := walkRelease(ctx, dir, func(root *os.Root, path string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is %s, not a regular file; a release lists regular files only", ErrReleaseTree, path, fileKind(d.Type()))
		}
		size, sum, err := hashReleaseFile(ctx, root, path)
		if err != nil {
			return err
		}
		files = append(files, ReleaseFile{Path: path, Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir visits "a/b" before "a.txt" (directory entries sort by name); the manifest is
	// sorted by whole path, so that its order is one a reader can check.
	slices.SortFunc(files, func(a, b ReleaseFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// walkRelease calls fn for every non-directory entry under dir except ReleaseBundlePath, in
// lexical order. os.Root keeps every open inside dir, whatever the tree holds.
func walkRelease(ctx context.Context, dir string, fn func(root *os.Root, path string, d fs.DirEntry) error) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return fs.WalkDir(root.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || path == ReleaseBundlePath {
			return nil
		}
		return fn(root, path, d)
	})
}

func hashReleaseFile(ctx context.Context, root *os.Root, path string) (int64, string, error) {
	f, err := root.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx: ctx, r: f})
	if err != nil {
		return 0, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + m.String() + ")"
}

// NewReleaseStatement builds the in-toto statement of a release: one subject per file (name
// = its path, digest = its SHA-256), so that tools that only read subjects (cosign
// verify-blob-attestation, policy engines) can match any single file, and the manifest as
// predicate. refs are resolved against files.
func NewReleaseStatement(files []ReleaseFile, opts ReleaseOptions) ([]byte, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files to sign", ErrReleaseTree)
	}
	byPath := make(map[string]ReleaseFile, len(files))
	subjects := make([]attest.Subject, 0, len(files))
	for _, f := range files {
		byPath[f.Path] = f
		subjects = append(subjects, attest.Subject{Name: f.Path, Digest: map[string]string{"sha256": f.SHA256}})
	}
	m := ReleaseManifest{Files: files}
	resolve := func(role string, paths []string) ([]ReleaseRef, error) {
		var refs []ReleaseRef
		for _, p := range paths {
			f, ok := byPath[p]
			if !ok {
				return nil, fmt.Errorf("%w: %s %s is not a file of the release directory", ErrReleaseTree, role, p)
			}
			refs = append(refs, ReleaseRef{Path: f.Path, SHA256: f.SHA256})
		}
		return refs, nil
	}
	var err error
	if m.SBOM, err = resolve("SBOM", opts.SBOM); err != nil {
		return nil, err
	}
	if m.Provenance, err = resolve("provenance", opts.Provenance); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	pred, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return attest.New(subjects, ReleasePredicateType, pred)
}

// SignRelease scans dir, builds its release statement and signs it with s (SignStatement).
// The caller writes the bundle to ReleaseBundlePath inside dir (or elsewhere).
func SignRelease(ctx context.Context, s Signer, dir string, opts ReleaseOptions) (*bundle.Bundle, *ReleaseManifest, error) {
	files, err := ScanRelease(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	statement, err := NewReleaseStatement(files, opts)
	if err != nil {
		return nil, nil, err
	}
	b, err := SignStatement(ctx, s, statement)
	if err != nil {
		return nil, nil, err
	}
	m, err := ParseReleaseManifest(statement)
	if err != nil {
		return nil, nil, err
	}
	return b, m, nil
}

// ParseReleaseManifest reads a release statement: a valid in-toto statement (attest.Parse) of
// predicate type ReleasePredicateType whose predicate is a ReleaseManifest with no unknown
// fields (a reader of v1 must not skip what a later version adds), clean relative slash paths
// listed once each and sorted, SHA-256 digests as 64 lowercase hex digits, references to
// listed files, and subjects naming exactly the listed files with their digests. Errors match
// ErrMalformedManifest.
func ParseReleaseManifest(statement []byte) (*ReleaseManifest, error) {
	st, err := attest.Parse(statement)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedManifest, err)
	}
	if st.PredicateType != ReleasePredicateType {
		return nil, fmt.Errorf("%w: predicate type %q, want %q", ErrMalformedManifest, st.PredicateType, ReleasePredicateType)
	}
	dec := json.NewDecoder(bytes.NewReader(st.Predicate))
	dec.DisallowUnknownFields()
	var m ReleaseManifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: predicate: %v", ErrMalformedManifest, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	// The subjects are what generic tools match; the predicate is what VerifyRelease compares.
	// Both are signed, but they must say the same thing, or the two kinds of verifier would
	// disagree about the release.
	if len(st.Subject) != len(m.Files) {
		return nil, fmt.Errorf("%w: %d subjects for %d files", ErrMalformedManifest, len(st.Subject), len(m.Files))
	}
	for i, s := range st.Subject {
		f := m.Files[i]
		if s.Name != f.Path || len(s.Digest) != 1 || s.Digest["sha256"] != f.SHA256 {
			return nil, fmt.Errorf("%w: subject[%d] %q does not match file %q", ErrMalformedManifest, i, s.Name, f.Path)
		}
	}
	return &m, nil
}

func (m *ReleaseManifest) validate() error {
	if len(m.Files) == 0 {
		return fmt.Errorf("%w: no files", ErrMalformedManifest)
	}
	byPath := make(map[string]string, len(m.Files))
	for i, f := range m.Files {
		if !fs.ValidPath(f.Path) || f.Path == "." || f.Path == ReleaseBundlePath {
			return fmt.Errorf("%w: files[%d]: path %q is not a clean relative slash path of a release file", ErrMalformedManifest, i, f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return fmt.Errorf("%w: files[%d]: %q is listed twice or out of order", ErrMalformedManifest, i, f.Path)
		}
		if f.Size < 0 {
			return fmt.Errorf("%w: files[%d] %q: negative size", ErrMalformedManifest, i, f.Path)
		}
		if !isSHA256Hex(f.SHA256) {
			return fmt.Errorf("%w: files[%d] %q: sha256 %q is not 64 lowercase hex digits", ErrMalformedManifest, i, f.Path, f.SHA256)
		}
		byPath[f.Path] = f.SHA256
	}
	for role, refs := range map[string][]ReleaseRef{"sbom": m.SBOM, "provenance": m.Provenance} {
		for i, r := range refs {
			if sum, ok := byPath[r.Path]; !ok || sum != r.SHA256 {
				return fmt.Errorf("%w: %s[%d] %q is not a listed file with that digest", ErrMalformedManifest, role, i, r.Path)
			}
		}
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Kinds of ReleaseProblem.
const (
	ProblemSignature   = "signature"    // the bundle did not verify; nothing else was compared
	ProblemAdded       = "added"        // a file not in the manifest
	ProblemRemoved     = "removed"      // a manifest file that is missing
	ProblemModified    = "modified"     // same size, different SHA-256
	ProblemSizeChanged = "size-changed" // different size (so different content; not hashed)
	ProblemNotRegular  = "not-regular"  // a symbolic link, device, pipe or socket
)

// ReleaseProblem is one difference between a release directory and its signed manifest, or
// the signature failure that stopped the comparison.
type ReleaseProblem struct {
	Kind string `json:"kind"`
	Path string `json:"path,omitempty"`
	// Want is what the manifest says, Got what the directory holds: "sha256:<hex>" for
	// modified files, a size in bytes for size changes.
	Want   string `json:"want,omitempty"`
	Got    string `json:"got,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ReleaseReport is the outcome of VerifyRelease.
type ReleaseReport struct {
	// Result is the verified signature; nil when the signature did not verify.
	Result *Result `json:"result,omitempty"`
	// Manifest is the verified manifest; nil when the signature did not verify.
	Manifest *ReleaseManifest `json:"manifest,omitempty"`
	// Problems lists every difference, sorted by path then kind; empty when the release
	// verified.
	Problems []ReleaseProblem `json:"problems"`
}

// VerifyRelease checks a release directory against its bundle under policy p, offline. In the
// order a customer asks: is the bundle a signed in-toto statement (else ErrMalformedBundle or
// ErrNotAttestation), does the signature verify per p (else the report's one problem is the
// signature, and the error matches that failure's sentinel: an unsigned manifest proves
// nothing, so nothing is compared), is it a release manifest (else ErrPredicateTypeMismatch or
// ErrMalformedManifest), and does the directory match it: every added, removed, modified,
// resized or non-regular file is listed, and the error then matches ErrReleaseMismatch. A nil
// error means the directory is exactly what was signed.
func VerifyRelease(ctx context.Context, dir string, bundleJSON []byte, p Policy) (*ReleaseReport, error) {
	if p.verifier == nil {
		return nil, fmt.Errorf("%w: empty policy (use NewKeyPolicy or NewKeylessPolicy)", ErrInvalidPolicy)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrReleaseTree, dir)
	}
	b, entries, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, fmt.Errorf("%w: the bundle holds a message signature (a signed blob), not a release manifest", ErrNotAttestation)
	}
	if env.GetPayloadType() != attest.PayloadType {
		return nil, fmt.Errorf("%w: DSSE payload type %q, want %q", ErrNotAttestation, env.GetPayloadType(), attest.PayloadType)
	}
	sigErr := p.checkShape(b)
	var res *verify.VerificationResult
	if sigErr == nil {
		// The statement has one subject per file; they are compared below, file by file,
		// against the manifest, so the signature is checked without an artifact here.
		var policyOpt verify.PolicyOption
		if p.identity != nil {
			policyOpt = verify.WithCertificateIdentity(*p.identity)
		} else {
			policyOpt = verify.WithKey()
		}
		var verr error
		if res, verr = p.verifier.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), policyOpt)); verr != nil {
			sigErr = p.classify(verr)
		}
	}
	if sigErr != nil {
		if !errors.Is(sigErr, ErrVerification) {
			return nil, sigErr
		}
		return &ReleaseReport{Problems: []ReleaseProblem{{Kind: ProblemSignature, Detail: sigErr.Error()}}}, sigErr
	}
	st, err := attest.Parse(env.GetPayload())
	if err != nil {
		return nil, fmt.Errorf("%w: signed payload: %w", ErrNotAttestation, err)
	}
	if st.PredicateType != ReleasePredicateType {
		return nil, fmt.Errorf("%w: the statement attests %s, want %s", ErrPredicateTypeMismatch, st.PredicateType, ReleasePredicateType)
	}
	m, err := ParseReleaseManifest(env.GetPayload())
	if err != nil {
		return nil, err
	}
	r, err := p.result(b, entries, res, "")
	if err != nil {
		return nil, err
	}
	problems, err := CompareRelease(ctx, dir, m)
	if err != nil {
		return nil, err
	}
	rep := &ReleaseReport{Result: r, Manifest: m, Problems: problems}
	if len(problems) > 0 {
		return rep, fmt.Errorf("%w: %d problem(s)", ErrReleaseMismatch, len(problems))
	}
	return rep, nil
}

// CompareRelease walks dir and lists every difference with manifest m, sorted by path then
// kind. A file whose size differs is reported as resized without being hashed. It fails only
// when the directory cannot be read; differences are data, not errors.
func CompareRelease(ctx context.Context, dir string, m *ReleaseManifest) ([]ReleaseProblem, error) {
	want := make(map[string]ReleaseFile, len(m.Files))
	for _, f := range m.Files {
		want[f.Path] = f
	}
	seen := make(map[string]bool, len(m.Files))
	problems := []ReleaseProblem{}
	err := walkRelease(ctx, dir, func(root *os.Root, path string, d fs.DirEntry) error {
		w, listed := want[path]
		seen[path] = true
		switch {
		case !d.Type().IsRegular():
			pr := ReleaseProblem{Kind: ProblemNotRegular, Path: path, Detail: fileKind(d.Type())}
			if !listed {
				pr.Detail += ", not in the manifest"
			}
			problems = append(problems, pr)
			return nil
		case !listed:
			problems = append(problems, ReleaseProblem{Kind: ProblemAdded, Path: path})
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() != w.Size {
			problems = append(problems, ReleaseProblem{Kind: ProblemSizeChanged, Path: path,
				Want: fmt.Sprint(w.Size), Got: fmt.Sprint(fi.Size())})
			return nil
		}
		size, sum, err := hashReleaseFile(ctx, root, path)
		if err != nil {
			return err
		}
		switch {
		case size != w.Size:
			// Changed between the stat and the read.
			problems = append(problems, ReleaseProblem{Kind: ProblemSizeChanged, Path: path,
				Want: fmt.Sprint(w.Size), Got: fmt.Sprint(size)})
		case sum != w.SHA256:
			problems = append(problems, ReleaseProblem{Kind: ProblemModified, Path: path,
				Want: "sha256:" + w.SHA256, Got: "sha256:" + sum})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if !seen[f.Path] {
			problems = append(problems, ReleaseProblem{Kind: ProblemRemoved, Path: f.Path})
		}
	}
	slices.SortFunc(problems, func(a, b ReleaseProblem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return problems, nil
}
