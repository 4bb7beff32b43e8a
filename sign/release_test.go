package sign

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/attest"
)

// releaseTree is a small release with nested directories and names that sort differently
// by directory entry and by whole path ("a/…" and "a.txt").
var releaseTree = map[string]string{
	"README.md":                 "hello release\n",
	"a.txt":                     "a\n",
	"a/b.txt":                   "b\n",
	"a/deep/c.bin":              "\x00\x01\x02",
	"bin/app":                   "#!/bin/sh\necho app\n",
	"sbom.cdx.json":             `{"bomFormat":"CycloneDX","specVersion":"1.6"}`,
	"provenance.intoto.jsonl":   `{"payloadType":"application/vnd.in-toto+json"}`,
	"docs/empty":                "",
	".hidden/config":            "x=1\n",
	"docs/with space/file name": "spaces\n",
}

func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signTree signs dir with a fixture key and writes the bundle where the CLI does.
func signTree(t testing.TB, dir, key string, opts ReleaseOptions) []byte {
	t.Helper()
	b, _, err := SignRelease(t.Context(), fixtureSigner(t, key), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(ReleaseBundlePath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func fixturePolicy(t testing.TB, pubName string) Policy {
	t.Helper()
	pub, err := UnmarshalPublicKey(readKeyFixture(t, pubName))
	if err != nil {
		t.Fatal(err)
	}
	return mustKeyPolicy(t, pub)
}

func TestReleaseRoundTrip(t *testing.T) {
	for _, k := range []struct{ key, pub string }{
		{"cosign.key", "cosign.pub"},
		{"cosign-ed25519.key", "cosign-ed25519.pub"},
	} {
		t.Run(k.key, func(t *testing.T) {
			dir := writeTree(t, releaseTree)
			opts := ReleaseOptions{SBOM: []string{"sbom.cdx.json"}, Provenance: []string{"provenance.intoto.jsonl"}}
			bundleJSON := signTree(t, dir, k.key, opts)
			rep, err := VerifyRelease(t.Context(), dir, bundleJSON, fixturePolicy(t, k.pub))
			if err != nil {
				t.Fatalf("VerifyRelease: %v (report %+v)", err, rep)
			}
			if len(rep.Problems) != 0 {
				t.Errorf("problems: %+v", rep.Problems)
			}
			var want []ReleaseFile
			for name, content := range releaseTree {
				want = append(want, ReleaseFile{Path: name, Size: int64(len(content)), SHA256: hexSum(content)})
			}
			sortFiles := cmpopts.SortSlices(func(a, b ReleaseFile) bool { return a.Path < b.Path })
			if diff := cmp.Diff(want, rep.Manifest.Files, sortFiles); diff != "" {
				t.Errorf("manifest files (-want +got):\n%s", diff)
			}
			for i := 1; i < len(rep.Manifest.Files); i++ {
				if rep.Manifest.Files[i-1].Path >= rep.Manifest.Files[i].Path {
					t.Errorf("files not sorted by path: %q before %q", rep.Manifest.Files[i-1].Path, rep.Manifest.Files[i].Path)
				}
			}
			wantRefs := &ReleaseManifest{
				SBOM:       []ReleaseRef{{Path: "sbom.cdx.json", SHA256: hexSum(releaseTree["sbom.cdx.json"])}},
				Provenance: []ReleaseRef{{Path: "provenance.intoto.jsonl", SHA256: hexSum(releaseTree["provenance.intoto.jsonl"])}},
			}
			if diff := cmp.Diff(wantRefs, rep.Manifest, cmpopts.IgnoreFields(ReleaseManifest{}, "Files")); diff != "" {
				t.Errorf("references (-want +got):\n%s", diff)
			}
			if rep.Result == nil || rep.Result.Signer.Kind != "key" || rep.Result.Statement == nil ||
				rep.Result.Statement.PredicateType != ReleasePredicateType || len(rep.Result.Statement.Subjects) != len(releaseTree) {
				t.Errorf("result = %+v", rep.Result)
			}

			// Every file is a subject, so a generic attestation verifier (sigstore-go, cosign
			// verify-blob-attestation) accepts the bundle for any single file of the release.
			if _, _, err := VerifyAttestation(t.Context(), "sha256:"+hexSum(releaseTree["bin/app"]), bundleJSON,
				fixturePolicy(t, k.pub), ReleasePredicateType); err != nil {
				t.Errorf("VerifyAttestation of one file: %v", err)
			}
			if err := sigstoreVerifyDSSE(mustBundle(t, bundleJSON), fixturePolicy(t, k.pub).key, "sha256:"+hexSum(releaseTree["a/b.txt"])); err != nil {
				t.Errorf("sigstore-go verify of one file: %v", err)
			}

			// Re-signing a signed directory gives the same manifest: the bundle is not listed.
			_, m2, err := SignRelease(t.Context(), fixtureSigner(t, k.key), dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rep.Manifest, m2); diff != "" {
				t.Errorf("re-signed manifest differs (-first +second):\n%s", diff)
			}
		})
	}
}

func mustBundle(t testing.TB, bundleJSON []byte) *bundle.Bundle {
	t.Helper()
	b, _, err := parseBundle(bundleJSON)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReleaseProblems(t *testing.T) {
	dir := writeTree(t, releaseTree)
	bundleJSON := signTree(t, dir, "cosign.key", ReleaseOptions{})
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/new.txt", "not signed\n")                  // added
	os.Remove(filepath.Join(dir, "a", "deep", "c.bin")) // removed
	write("a/b.txt", "B\n")                             // modified, same size
	write("README.md", "hello release, patched\n")      // size changed
	os.Remove(filepath.Join(dir, "bin", "app"))         // replaced by a link: not regular
	if err := os.Symlink("../README.md", filepath.Join(dir, "bin", "app")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "a", "passwd")); err != nil { // added link
		t.Fatal(err)
	}

	rep, err := VerifyRelease(t.Context(), dir, bundleJSON, fixturePolicy(t, "cosign.pub"))
	if !errors.Is(err, ErrReleaseMismatch) || !errors.Is(err, ErrVerification) {
		t.Fatalf("err = %v, want ErrReleaseMismatch", err)
	}
	want := []ReleaseProblem{
		{Kind: ProblemSizeChanged, Path: "README.md", Want: "14", Got: "23"},
		{Kind: ProblemModified, Path: "a/b.txt", Want: "sha256:" + hexSum("b\n"), Got: "sha256:" + hexSum("B\n")},
		{Kind: ProblemRemoved, Path: "a/deep/c.bin"},
		{Kind: ProblemAdded, Path: "a/new.txt"},
		{Kind: ProblemNotRegular, Path: "a/passwd", Detail: "a symbolic link, not in the manifest"},
		{Kind: ProblemNotRegular, Path: "bin/app", Detail: "a symbolic link"},
	}
	if diff := cmp.Diff(want, rep.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if rep.Result == nil || rep.Manifest == nil {
		t.Error("a mismatch report must carry the verified result and manifest")
	}
}

// editPayload rewrites the statement inside a bundle without re-signing it.
func editPayload(t testing.TB, bundleJSON []byte, edit func(string) string) []byte {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(bundleJSON, &raw); err != nil {
		t.Fatal(err)
	}
	env := raw["dsseEnvelope"].(map[string]any)
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(payload))
	if edited == string(payload) {
		t.Fatal("edit changed nothing")
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(edited))
	out, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyReleaseFailures(t *testing.T) {
	dir := writeTree(t, releaseTree)
	bundleJSON := signTree(t, dir, "cosign.key", ReleaseOptions{})
	signer := fixtureSigner(t, "cosign.key")

	// A validly signed statement that is not a release manifest, and one whose predicate
	// lies about its subjects.
	otherType, err := attest.New([]attest.Subject{{Name: "a.txt", Digest: map[string]string{"sha256": hexSum("a\n")}}},
		"https://slsa.dev/provenance/v1", []byte(`{"buildDefinition":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	otherBundle, err := SignStatement(t.Context(), signer, otherType)
	if err != nil {
		t.Fatal(err)
	}
	otherJSON, _ := MarshalBundle(otherBundle)
	lying := fmt.Sprintf(`{"_type":%q,"subject":[{"name":"a.txt","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{"files":[{"path":"a.txt","size":2,"sha256":%q}]}}`,
		attest.StatementType, hexSum("a\n"), ReleasePredicateType, hexSum("evil\n"))
	blob := signBlobForTest(t, signer.key, []byte("a\n"))

	for _, tc := range []struct {
		name       string
		bundle     []byte
		pub        string
		want       error
		sigProblem bool
	}{
		{"tampered-manifest", editPayload(t, bundleJSON, func(s string) string {
			// Vouch for a patched README: still a well-formed manifest, no longer signed.
			return strings.ReplaceAll(s, hexSum(releaseTree["README.md"]), hexSum("evil\n"))
		}), "cosign.pub", ErrSignature, true},
		{"wrong-key", bundleJSON, "cosign-ed25519.pub", ErrSignature, true},
		{"malformed-bundle", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":`), "cosign.pub", ErrMalformedBundle, false},
		{"empty-bundle", nil, "cosign.pub", ErrMalformedBundle, false},
		{"blob-bundle", blob, "cosign.pub", ErrNotAttestation, false},
		{"other-predicate-type", otherJSON, "cosign.pub", ErrPredicateTypeMismatch, false},
		{"subjects-disagree-with-files", signEnvelope(t, signer, attest.PayloadType, []byte(lying)), "cosign.pub", ErrMalformedManifest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := VerifyRelease(t.Context(), dir, tc.bundle, fixturePolicy(t, tc.pub))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.sigProblem {
				if rep == nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemSignature || rep.Manifest != nil {
					t.Errorf("report = %+v, want one signature problem and no manifest", rep)
				}
			} else if rep != nil {
				t.Errorf("report = %+v, want none for bad input", rep)
			}
		})
	}

	if _, err := VerifyRelease(t.Context(), filepath.Join(dir, "a.txt"), bundleJSON, fixturePolicy(t, "cosign.pub")); !errors.Is(err, ErrReleaseTree) {
		t.Errorf("a file as release directory: err = %v, want ErrReleaseTree", err)
	}
	if _, err := VerifyRelease(t.Context(), dir, bundleJSON, Policy{}); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("empty policy: err = %v, want ErrInvalidPolicy", err)
	}
}

func TestSignReleaseRefuses(t *testing.T) {
	signer := fixtureSigner(t, "cosign.key")
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		opts  ReleaseOptions
		want  string
	}{
		{"symlink", func(t *testing.T, dir string) {
			if err := os.Symlink("README.md", filepath.Join(dir, "a", "link")); err != nil {
				t.Fatal(err)
			}
		}, ReleaseOptions{}, "a/link is a symbolic link"},
		{"symlink-to-dir", func(t *testing.T, dir string) {
			if err := os.Symlink("/etc", filepath.Join(dir, "etc")); err != nil {
				t.Fatal(err)
			}
		}, ReleaseOptions{}, "etc is a symbolic link"},
		{"sbom-not-in-tree", nil, ReleaseOptions{SBOM: []string{"missing.cdx.json"}}, "SBOM missing.cdx.json is not a file"},
		{"provenance-is-a-dir", nil, ReleaseOptions{Provenance: []string{"a"}}, "provenance a is not a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, releaseTree)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			_, _, err := SignRelease(t.Context(), signer, dir, tc.opts)
			if !errors.Is(err, ErrReleaseTree) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrReleaseTree containing %q", err, tc.want)
			}
		})
	}
	if _, _, err := SignRelease(t.Context(), signer, t.TempDir(), ReleaseOptions{}); !errors.Is(err, ErrReleaseTree) {
		t.Errorf("empty directory: err = %v, want ErrReleaseTree", err)
	}
	if _, _, err := SignRelease(t.Context(), signer, filepath.Join(t.TempDir(), "nope"), ReleaseOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: err = %v, want ErrNotExist", err)
	}
}

func manifestStatement(files, extra string) []byte {
	subjects := ""
	var fs []ReleaseFile
	_ = json.Unmarshal([]byte(files), &fs)
	for i, f := range fs {
		if i > 0 {
			subjects += ","
		}
		subjects += fmt.Sprintf(`{"name":%q,"digest":{"sha256":%q}}`, f.Path, f.SHA256)
	}
	return fmt.Appendf(nil, `{"_type":%q,"subject":[%s],"predicateType":%q,"predicate":{"files":%s%s}}`,
		attest.StatementType, subjects, ReleasePredicateType, files, extra)
}

func TestParseReleaseManifestErrors(t *testing.T) {
	a, b := hexSum("a"), hexSum("b")
	for _, tc := range []struct {
		name      string
		statement []byte
		want      string
	}{
		{"not-json", []byte("{"), "invalid in-toto statement"},
		{"other-type", []byte(fmt.Sprintf(`{"_type":%q,"subject":[{"name":"x","digest":{"sha256":%q}}],"predicateType":"https://example.com/x","predicate":{}}`, attest.StatementType, a)), "predicate type"},
		{"no-files", manifestStatement(`[]`, ""), "invalid in-toto statement"},
		{"absolute-path", manifestStatement(fmt.Sprintf(`[{"path":"/etc/passwd","size":1,"sha256":%q}]`, a), ""), "not a clean relative slash path"},
		{"dotdot", manifestStatement(fmt.Sprintf(`[{"path":"../x","size":1,"sha256":%q}]`, a), ""), "not a clean relative slash path"},
		{"bundle-itself", manifestStatement(fmt.Sprintf(`[{"path":%q,"size":1,"sha256":%q}]`, ReleaseBundlePath, a), ""), "not a clean relative slash path"},
		{"duplicate", manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q},{"path":"x","size":1,"sha256":%q}]`, a, a), ""), "listed twice or out of order"},
		{"unsorted", manifestStatement(fmt.Sprintf(`[{"path":"y","size":1,"sha256":%q},{"path":"x","size":1,"sha256":%q}]`, a, b), ""), "listed twice or out of order"},
		{"negative-size", manifestStatement(fmt.Sprintf(`[{"path":"x","size":-1,"sha256":%q}]`, a), ""), "negative size"},
		{"unknown-field", manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q}]`, a), `,"signedBy":"me"`), "unknown field"},
		{"dangling-sbom", manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q}]`, a), fmt.Sprintf(`,"sbom":[{"path":"y","sha256":%q}]`, a)), "not a listed file"},
		{"sbom-wrong-digest", manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q}]`, a), fmt.Sprintf(`,"sbom":[{"path":"x","sha256":%q}]`, b)), "not a listed file"},
		{"subject-missing", []byte(fmt.Sprintf(`{"_type":%q,"subject":[{"name":"x","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{"files":[{"path":"x","size":1,"sha256":%q},{"path":"y","size":1,"sha256":%q}]}}`,
			attest.StatementType, a, ReleasePredicateType, a, b)), "1 subjects for 2 files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReleaseManifest(tc.statement)
			if !errors.Is(err, ErrMalformedManifest) || !errors.Is(err, ErrMalformedBundle) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrMalformedManifest containing %q", err, tc.want)
			}
		})
	}
	good := manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q},{"path":"y/z","size":0,"sha256":%q}]`, a, b), "")
	m, err := ParseReleaseManifest(good)
	if err != nil {
		t.Fatal(err)
	}
	want := &ReleaseManifest{Files: []ReleaseFile{{Path: "x", Size: 1, SHA256: a}, {Path: "y/z", Size: 0, SHA256: b}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
}

func FuzzParseReleaseManifest(f *testing.F) {
	a := hexSum("a")
	f.Add(manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q}]`, a), ""))
	f.Add(manifestStatement(fmt.Sprintf(`[{"path":"x","size":1,"sha256":%q}]`, a), fmt.Sprintf(`,"sbom":[{"path":"x","sha256":%q}]`, a)))
	f.Add(manifestStatement(fmt.Sprintf(`[{"path":"../x","size":1,"sha256":%q}]`, a), ""))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseReleaseManifest(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedManifest) {
				t.Fatalf("error %v does not match ErrMalformedManifest", err)
			}
			return
		}
		// What parses must be what NewReleaseStatement would have signed.
		var opts ReleaseOptions
		for _, r := range m.SBOM {
			opts.SBOM = append(opts.SBOM, r.Path)
		}
		for _, r := range m.Provenance {
			opts.Provenance = append(opts.Provenance, r.Path)
		}
		st, err := NewReleaseStatement(m.Files, opts)
		if err != nil {
			t.Fatalf("parsed manifest does not rebuild: %v", err)
		}
		m2, err := ParseReleaseManifest(st)
		if err != nil {
			t.Fatalf("rebuilt statement does not parse: %v", err)
		}
		if diff := cmp.Diff(m, m2, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-parsed +rebuilt):\n%s", diff)
		}
	})
}

// BenchmarkVerifyRelease1000Files measures the customer side: signature plus hashing 1000
// files of 16 KiB (16 MiB).
func BenchmarkVerifyRelease1000Files(b *testing.B) {
	files := map[string]string{}
	content := strings.Repeat("x", 16<<10)
	for i := range 1000 {
		files[fmt.Sprintf("d%02d/f%03d.bin", i%20, i)] = content
	}
	dir := writeTree(b, files)
	bundleJSON := signTree(b, dir, "cosign.key", ReleaseOptions{})
	p := fixturePolicy(b, "cosign.pub")
	b.SetBytes(int64(len(files) * len(content)))
	b.ResetTimer()
	for b.Loop() {
		if rep, err := VerifyRelease(b.Context(), dir, bundleJSON, p); err != nil || len(rep.Problems) != 0 {
			b.Fatal(err)
		}
	}
}

// TestCosignVerifiesReleaseFile checks the interop claim of the docs: cosign, knowing nothing
// of release manifests, verifies the release bundle for any one file of the release, and
// refuses a file that is not in it.
func TestCosignVerifiesReleaseFile(t *testing.T) {
	bin := keysCosign(t)
	dir := writeTree(t, releaseTree)
	signTree(t, dir, "cosign.key", ReleaseOptions{})
	bundlePath := filepath.Join(dir, filepath.FromSlash(ReleaseBundlePath))
	pub := filepath.Join("testdata", "keys", "cosign.pub")
	verify := func(file string) (string, error) {
		return runCosign(t, bin, nil, "verify-blob-attestation", "--key", pub, "--bundle", bundlePath,
			"--type", ReleasePredicateType, "--insecure-ignore-tlog=true", file)
	}
	if out, err := verify(filepath.Join(dir, "a", "deep", "c.bin")); err != nil {
		t.Errorf("cosign verify-blob-attestation of a release file: %v\n%s", err, out)
	}
	stranger := filepath.Join(t.TempDir(), "stranger")
	if err := os.WriteFile(stranger, []byte("not released\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(stranger); err == nil {
		t.Errorf("cosign accepted a file outside the release:\n%s", out)
	}
}
