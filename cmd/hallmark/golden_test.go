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
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
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
			stdout, stderr, code := runCLI(t, tc.args, tc.stdin)
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
