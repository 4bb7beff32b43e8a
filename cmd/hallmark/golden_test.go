package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/vulndb"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// transcript is one CLI invocation whose complete output is reviewed in diffs.
type transcript struct {
	name string
	args []string
	// stdin, when set, is fed to the command.
	stdin string
}

// fix is the fixture root relative to this package.
const fix = "../../testdata"

var transcripts = []transcript{
	{name: "help", args: []string{"--help"}},
	{name: "sbom-help", args: []string{"sbom", "--help"}},
	{name: "version-json-format-error", args: []string{"version", "--format", "yaml"}},
	{name: "sbom-image-table", args: []string{"sbom", fix + "/images/debian-oci", "--format", "table"}},
	{name: "sbom-image-cyclonedx", args: []string{"sbom", fix + "/images/debian-oci"}},
	{name: "sbom-image-spdx", args: []string{"sbom", fix + "/images/debian-oci", "--format", "spdx-json"}},
	{name: "sbom-docker-archive-table", args: []string{"sbom", fix + "/images/debian.docker.tar", "--format", "table"}},
	{name: "sbom-gomod-cyclonedx-xml", args: []string{"sbom", fix + "/src/go/go.mod", "--format", "cyclonedx-xml"}},
	{name: "sbom-lockfile-v3-cyclonedx", args: []string{"sbom", fix + "/src/node/lock-v3/package-lock.json"}},
	{name: "sbom-gobinary-table", args: []string{"sbom", fix + "/bin/gobinary", "--format", "table"}},
	{name: "sbom-missing", args: []string{"sbom", fix + "/does-not-exist"}},
	{name: "sbom-bad-format", args: []string{"sbom", ".", "--format", "yaml"}},
	{name: "sbom-no-target", args: []string{"sbom"}},
	{name: "sbom-truncated-docker", args: []string{"sbom", fix + "/bad/docker-truncated.tar"}},
	{name: "sbom-path-traversal", args: []string{"sbom", fix + "/bad/oci-path-traversal"}},
	{name: "sbom-altered-blob", args: []string{"sbom", fix + "/bad/oci-altered-blob"}},
	{name: "sbom-zipslip", args: []string{"sbom", fix + "/bad/zipslip.jar"}},
	{name: "sbom-partial", args: []string{"sbom", fix + "/bad/notjson-lock", "--format", "table"}},
	{name: "sbom-partial-allowed", args: []string{"sbom", fix + "/bad/notjson-lock", "--format", "table", "--allow-partial"}},
	{name: "sbom-truncated-lockfile-file", args: []string{"sbom", fix + "/bad/truncated-lock/package-lock.json"}},
	{name: "convert-syft-spdx-stdin-to-table", args: []string{"sbom", "convert", "-", "--format", "table"}, stdin: "file:../../sbom/testdata/foreign/syft-npm-go.spdx23.json"},
	{name: "convert-syft-tagvalue-to-cyclonedx", args: []string{"sbom", "convert", "../../sbom/testdata/foreign/syft-debian-rootfs.spdx23.spdx"}},
	{name: "sbom-of-syft-cyclonedx-xml", args: []string{"sbom", "../../sbom/testdata/foreign/syft-npm-go.cdx16.xml", "--format", "spdx-json"}},
	{name: "convert-not-sbom", args: []string{"sbom", "convert", fix + "/src/node/lock-v3/package-lock.json"}},

	// scan and db run against a database imported from testdata/advisories ("$DB", built once;
	// see fixtureDB). "$NODB" is an empty directory.
	{name: "scan-help", args: []string{"scan", "--help"}},
	{name: "db-help", args: []string{"db", "--help"}},
	{name: "db-status", args: []string{"db", "status", "--db", "$DB"}},
	{name: "db-status-json", args: []string{"db", "status", "--db", "$DB", "--format", "json"}},
	{name: "db-status-stale", args: []string{"db", "status", "--db", "$DB", "--max-age", "30m"}},
	{name: "db-status-no-db", args: []string{"db", "status", "--db", "$NODB"}},
	{name: "db-import-malformed-records", args: []string{"db", "import", "--db", "$NEWDB", "testdata/scan/bad-osv"}},
	{name: "db-import-corrupt-zip", args: []string{"db", "import", "--db", "$DB", "testdata/scan/corrupt-osv.zip"}},
	{name: "db-import-not-advisories", args: []string{"db", "import", "--db", "$DB", fix + "/scan/python/requirements.txt"}},
	{name: "scan-python-table", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt"}},
	{name: "scan-python-json", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--format", "json"}},
	{name: "scan-python-sarif", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--format", "sarif"}},
	{name: "scan-python-cyclonedx", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--format", "cyclonedx-json"}},
	{name: "scan-python-openvex", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--format", "openvex", "--vex", "testdata/scan/cryptography.openvex.json", "--author", "Example Security Team"}},
	{name: "scan-python-vex-json", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--format", "json", "--vex", "testdata/scan/cryptography.openvex.json", "--only-fixable"}},
	{name: "scan-python-fail-on-high", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--fail-on", "high", "--format", "json", "--output", "$TMP/out.json"}},
	{name: "scan-python-fail-on-critical-only-kev", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--fail-on", "critical", "--kev"}},
	{name: "scan-ignore-file", args: []string{"scan", "--db", "$DB", "testdata/scan/ignore", "--show-suppressed"}},
	{name: "scan-gomod-table", args: []string{"scan", "--db", "$DB", fix + "/scan/go-module/go.mod", "--no-reachability"}},
	{name: "scan-gobinary-table", args: []string{"scan", "--db", "$DB", fix + "/scan/go-binary/small"}},
	{name: "scan-gobinary-reachable-json", args: []string{"scan", "--db", "$DB", fix + "/scan/go-binary/small", "--reachable", "--format", "json"}},
	{name: "scan-image-table", args: []string{"scan", "--db", "$DB", fix + "/images/debian-oci"}},
	{name: "scan-stale-db", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--max-db-age", "30m", "--kev"}},
	{name: "scan-no-db", args: []string{"scan", "--db", "$NODB", fix + "/scan/python/requirements.txt"}},
	{name: "scan-sbom-without-purls", args: []string{"scan", "--db", "$DB", "testdata/scan/no-purls.cdx.json"}},
	{name: "scan-bad-format", args: []string{"scan", "--db", "$DB", ".", "--format", "html"}},
	{name: "scan-bad-fail-on", args: []string{"scan", "--db", "$DB", ".", "--fail-on", "severe"}},
	{name: "scan-openvex-no-findings", args: []string{"scan", "--db", "$DB", "testdata/scan/ignore/requirements.txt", "--format", "openvex", "--kev"}},
	{name: "scan-sbom-mixed-unmatched", args: []string{"scan", "--db", "$DB", "testdata/scan/mixed.cdx.json"}},
	{name: "key-help", args: []string{"key", "--help"}},
	{name: "sign-help", args: []string{"sign", "--help"}},
	{name: "verify-help", args: []string{"verify", "--help"}},
	{name: "verify-cosign-bundle-with-key", args: []string{"verify", "../../sign/testdata/keys/hello.txt", "--key", "../../sign/testdata/keys/cosign.pub", "--bundle", "../../sign/testdata/keys/hello.txt.cosign.sigstore.json"}},
	{name: "verify-hallmark-bundle-json", args: []string{"verify", "../../sign/testdata/keys/hello.txt", "--key", "../../sign/testdata/keys/openssl-ed25519.pub", "--bundle", "../../sign/testdata/keys/hello.txt.hallmark-ed25519.sigstore.json", "--format", "json"}},
	{name: "verify-wrong-key", args: []string{"verify", "../../sign/testdata/keys/hello.txt", "--key", "../../sign/testdata/keys/cosign.pub", "--bundle", "../../sign/testdata/keys/hello.txt.hallmark-ed25519.sigstore.json"}},
	{name: "verify-keyless-happy-path", args: []string{"verify", "../../sign/testdata/conformance/conformance-assets/bundle-verify/a.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"}},
	{name: "verify-keyless-wrong-identity", args: []string{"verify", "../../sign/testdata/conformance/conformance-assets/bundle-verify/a.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"}},
	{name: "verify-keyless-tampered-artifact", args: []string{"verify", "../../sign/testdata/keys/hello.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"}},
	{name: "attest-help", args: []string{"attest", "--help"}},
	{name: "verify-attestation-help", args: []string{"verify-attestation", "--help"}},
	{name: "release-help", args: []string{"release", "--help"}},
	{name: "build-help", args: []string{"build", "--help"}},
	{name: "verify-provenance-help", args: []string{"verify-provenance", "--help"}},
	{name: "verify-attestation-keyless", args: []string{"verify-attestation", "../../sign/testdata/conformance/conformance-assets/bundle-verify/a.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--type", "slsaprovenance1"}},
	{name: "verify-attestation-keyless-wrong-type", args: []string{"verify-attestation", "../../sign/testdata/conformance/conformance-assets/bundle-verify/a.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--type", "cyclonedx"}},
	{name: "verify-malformed-bundle", args: []string{"verify", "../../sign/testdata/conformance/conformance-assets/bundle-verify/a.txt", "--bundle", "../../sign/testdata/conformance/conformance-assets/bundle-verify/bundle-malformed-json_fail/bundle.sigstore.json", "--trusted-root", "../../sign/testdata/conformance/public-good-tuf/trusted_root.json", "--certificate-identity", "x", "--certificate-oidc-issuer", "y"}},
	{name: "scan-bad-vex", args: []string{"scan", "--db", "$DB", fix + "/scan/python/requirements.txt", "--vex", "testdata/scan/no-purls.cdx.json"}},
}

// fixtureDBTime is when the fixture database was built: two hours before the transcripts'
// SOURCE_DATE_EPOCH, so ages in the output are stable.
var fixtureDBTime = time.Unix(1700000000, 0).Add(-2 * time.Hour)

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// fixtureDB imports testdata/advisories (real Go/PyPI OSV records and KEV entries; synthetic
// EPSS scores and Debian records — see testdata/PROVENANCE.md) into a database shared by the
// tests of this package.
func fixtureDB(t testing.TB) string {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "hallmark-fixture-db-")
		if fixtureErr != nil {
			return
		}
		a := fix + "/advisories/"
		_, fixtureErr = vulndb.Build(context.Background(), fixtureDir, []vulndb.Input{
			{Path: a + "osv-Go.zip"}, {Path: a + "osv-PyPI.zip"}, {Path: a + "debian-synthetic"},
			{Path: a + "kev.json"}, {Path: a + "epss-synthetic.csv"},
		}, vulndb.BuildOptions{Now: fixtureDBTime})
	})
	if fixtureErr != nil {
		t.Fatalf("building the fixture advisory database: %v", fixtureErr)
	}
	return fixtureDir
}

// expandArgs replaces the placeholders of transcript arguments.
func expandArgs(t *testing.T, args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case a == "$DB":
			a = fixtureDB(t)
		case a == "$NODB":
			a = t.TempDir()
		case a == "$NEWDB":
			a = filepath.Join(t.TempDir(), "db")
		case strings.HasPrefix(a, "$TMP/"):
			a = filepath.Join(t.TempDir(), strings.TrimPrefix(a, "$TMP/"))
		}
		out[i] = a
	}
	return out
}

// runCLI runs hallmark in-process with a fixed clock.
func runCLI(t *testing.T, args []string, stdin string) (stdout, stderr string, code int) {
	t.Helper()
	var in bytes.Buffer
	if f, ok := strings.CutPrefix(stdin, "file:"); ok {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in.Write(b)
	} else {
		in.WriteString(stdin)
	}
	var out, errb bytes.Buffer
	e := &env{stdin: &in, stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}}
	code = run(context.Background(), args, e)
	return out.String(), errb.String(), code
}

// scrub replaces what legitimately differs between machines.
var scrubbers = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`go1\.[0-9.]+[^\s",<]*`), "go1.X"},
	{regexp.MustCompile(`/tmp/[^\s":]+`), "/tmp/X"},
	{regexp.MustCompile(`took: +[0-9.]+[µnm]?s`), "took: X"},
	// protobuf's error texts deliberately vary between a space and a no-break space.
	{regexp.MustCompile("\u00a0"), " "},
}

func scrub(s string) string {
	for _, sc := range scrubbers {
		s = sc.re.ReplaceAllString(s, sc.repl)
	}
	return s
}

func TestGolden(t *testing.T) {
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, expandArgs(t, tc.args), tc.stdin)
			validateOutput(t, tc.args, stdout)
			got := fmt.Sprintf("# hallmark %s\n# exit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(tc.args, " "), code, scrub(stdout), scrub(stderr))
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("transcript %s changed (-want +got); rerun with -update if intended:\n%s", path, diff)
			}
		})
	}
}

// validateOutput checks every SBOM the CLI printed against the official schema of its format.
func validateOutput(t *testing.T, args []string, stdout string) {
	t.Helper()
	out := strings.TrimSpace(stdout)
	if len(args) > 0 && args[0] == "scan" && strings.HasPrefix(out, "{") {
		validateScanOutput(t, args, []byte(stdout))
		return
	}
	if len(args) == 0 || args[0] != "sbom" || !(strings.HasPrefix(out, "{") || strings.HasPrefix(out, "<")) {
		return
	}
	format := "cyclonedx-json"
	for i, a := range args {
		if (a == "--format" || a == "-f") && i+1 < len(args) {
			format = args[i+1]
		}
	}
	var err error
	switch format {
	case "cyclonedx-json":
		err = sbomtest.ValidateCycloneDX([]byte(stdout))
	case "spdx-json":
		err = sbomtest.ValidateSPDX([]byte(stdout))
	case "cyclonedx-xml":
		err = sbomtest.ValidateCycloneDXXML([]byte(stdout))
	default:
		return
	}
	if err != nil {
		t.Errorf("%s output is not valid against its schema: %v", format, err)
	}
}

// scanSchemas are the schemas scan output is checked against: official ones for SARIF and
// OpenVEX (copied by the rooms that write them, with PROVENANCE notes), hallmark's published
// one for its JSON.
var scanSchemas = map[string]string{
	"sarif":   "../../report/testdata/schema/sarif-schema-2.1.0.json",
	"openvex": "../../vex/testdata/schema/openvex_json_schema.json",
	"json":    "../../docs/schema/scan-v1.json",
}

func validateScanOutput(t *testing.T, args []string, doc []byte) {
	t.Helper()
	format := ""
	for i, a := range args {
		if (a == "--format" || a == "-f") && i+1 < len(args) {
			format = args[i+1]
		}
	}
	if format == "cyclonedx-json" {
		if err := sbomtest.ValidateCycloneDX(doc); err != nil {
			t.Errorf("scan cyclonedx-json output is not valid against the CycloneDX 1.6 schema: %v", err)
		}
		return
	}
	file, ok := scanSchemas[format]
	if !ok {
		t.Fatalf("no schema for scan --format %q", format)
	}
	validateJSON(t, doc, file)
}
