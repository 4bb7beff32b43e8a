package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/vex"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// scanTime is when the fixture scans "ran".
var scanTime = time.Date(2026, 9, 3, 10, 0, 0, 0, time.UTC)

func baseOpts(format string) Options {
	return Options{Format: format, ToolName: "hallmark", ToolVersion: "v0.9.0-test", Timestamp: scanTime}
}

type goldenCase struct {
	name    string
	result  func(testing.TB) *match.Result
	opts    Options
	wantErr error
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	ext := map[string]string{"table": "txt", "json": "json", "sarif": "sarif", "cyclonedx-json": "cdx.json", "openvex": "openvex.json"}
	for _, f := range Formats {
		cs = append(cs, goldenCase{name: "full." + ext[f], result: fullResult, opts: baseOpts(f)})
		c := goldenCase{name: "empty." + ext[f], result: emptyResult, opts: baseOpts(f)}
		if f == "openvex" {
			c.wantErr = vex.ErrNoFindings
		}
		cs = append(cs, c)
	}
	suppressed := baseOpts("table")
	suppressed.ShowSuppressed = true
	narrow := baseOpts("table")
	narrow.Width = 60
	wide := baseOpts("table")
	wide.Width = 132
	untimed := baseOpts("json")
	untimed.Timestamp = time.Time{}
	untimedCDX := baseOpts("cyclonedx-json")
	untimedCDX.Timestamp = time.Time{}
	return append(cs,
		goldenCase{name: "full-suppressed.txt", result: fullResult, opts: suppressed},
		goldenCase{name: "full-60.txt", result: fullResult, opts: narrow},
		goldenCase{name: "full-132.txt", result: fullResult, opts: wide},
		goldenCase{name: "full-untimed.json", result: fullResult, opts: untimed},
		goldenCase{name: "full-untimed.cdx.json", result: fullResult, opts: untimedCDX},
	)
}

// TestGolden renders the fixtures in every format and compares with testdata/golden; run
// `go test ./report -update` to rewrite them, and review the diff.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.result(t), c.opts)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Write: got error %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", c.name)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got):\n%s", c.name, diff)
			}
		})
	}
}

// TestDeterministic checks that two renderings of one result are byte-identical (map order,
// fingerprints, serial numbers).
func TestDeterministic(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := Write(&a, fullResult(t), baseOpts(f)); err != nil {
				t.Fatal(err)
			}
			if err := Write(&b, fullResult(t), baseOpts(f)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two renderings differ")
			}
		})
	}
}

var scanSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(filepath.Join("..", "docs", "schema", "scan-v1.json"), "https://raw.githubusercontent.com/hallmark-dev/hallmark/main/docs/schema/scan-v1.json")
})

var sarifSchemaC = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(filepath.Join("testdata", "schema", "sarif-schema-2.1.0.json"), sarifSchema)
})

func compileSchema(file, url string) (*jsonschema.Schema, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

func validateWith(t *testing.T, schema func() (*jsonschema.Schema, error), doc []byte) error {
	t.Helper()
	s, err := schema()
	if err != nil {
		t.Fatalf("compiling schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// TestSchemas validates every golden-case output of the structured formats against its
// official schema (SARIF 2.1.0, CycloneDX 1.6) or hallmark's published one (scan JSON).
func TestSchemas(t *testing.T) {
	for _, c := range goldenCases() {
		if c.wantErr != nil || c.opts.Format == "table" || c.opts.Format == "openvex" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c.result(t), c.opts); err != nil {
				t.Fatal(err)
			}
			var err error
			switch c.opts.Format {
			case "json":
				err = validateWith(t, scanSchema, buf.Bytes())
			case "sarif":
				err = validateWith(t, sarifSchemaC, buf.Bytes())
			case "cyclonedx-json":
				err = sbomtest.ValidateCycloneDX(buf.Bytes())
			}
			if err != nil {
				t.Errorf("%s is not valid: %v", c.name, err)
			}
		})
	}
}

// TestSchemaRejects makes sure the scan schema is not vacuous: documents with a wrong
// version, a misspelled field or a bad value fail it.
func TestSchemaRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullResult(t), baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"version", `"schema_version": "1"`, `"schema_version": "2"`},
		{"unknown-field", `"summary":`, `"sumary":`},
		{"severity-level", `"level": "CRITICAL"`, `"level": "SEVERE"`},
		{"reachability", `"reachability": "called"`, `"reachability": "maybe"`},
		{"priority-label", `"label": "P1"`, `"label": "urgent"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(buf.String(), c.old, c.new, 1)
			if doc == buf.String() {
				t.Fatalf("%q not in the document", c.old)
			}
			if err := validateWith(t, scanSchema, []byte(doc)); err == nil {
				t.Error("the schema accepts it")
			}
			if _, err := ReadJSON(strings.NewReader(doc)); err == nil {
				t.Error("ReadJSON accepts it")
			}
		})
	}
}

// TestTableWidth renders tables at several widths, with hostile cells (very long names, wide
// characters, escape sequences), and checks that no line is wider than asked and no control
// character reaches the terminal.
func TestTableWidth(t *testing.T) {
	hostile := func(t testing.TB) *match.Result {
		res := fullResult(t)
		p := res.Findings[0].Package
		p.Name = "github.com/" + strings.Repeat("very-long-organisation-name/", 6) + "模块名称测试"
		p.Version = "v1.2.3-\x1b[31mred\x1b[0m"
		res.Findings[0].ID = "GHSA-" + strings.Repeat("x", 60)
		res.Findings[0].Fixed = []string{strings.Repeat("9", 40), "1"}
		res.Warnings = append(res.Warnings, "line one\nline two \u202Ereversed\u202C "+strings.Repeat("長", 80))
		return res
	}
	for _, width := range []int{30, 40, 60, 80, 100, 132} {
		for _, show := range []bool{false, true} {
			for name, build := range map[string]func(testing.TB) *match.Result{"full": fullResult, "hostile": hostile, "empty": emptyResult} {
				opts := baseOpts("table")
				opts.Width, opts.ShowSuppressed = width, show
				var buf bytes.Buffer
				if err := Write(&buf, build(t), opts); err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(&buf)
				for n := 1; sc.Scan(); n++ {
					line := sc.Text()
					if w := width1(line); w > width {
						t.Errorf("%s width %d show=%v: line %d is %d columns: %q", name, width, show, n, w, line)
					}
					if strings.ContainsFunc(line, unsafeRune) {
						t.Errorf("%s width %d: line %d has a control character: %q", name, width, n, line)
					}
				}
			}
		}
	}
}

func TestTableDefaultWidth(t *testing.T) {
	var buf bytes.Buffer
	opts := baseOpts("")
	if err := Write(&buf, fullResult(t), opts); err != nil {
		t.Fatal(err)
	}
	max := 0
	for _, l := range strings.Split(buf.String(), "\n") {
		max = maxInt(max, width1(l))
	}
	if max > DefaultWidth || max < DefaultWidth-10 {
		t.Errorf("widest line is %d columns, want close to but at most %d", max, DefaultWidth)
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestFit(t *testing.T) {
	for _, c := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"fits", "abc", 3, "abc"},
		{"cut", "abcdef", 4, "abc…"},
		{"zero", "abc", 0, ""},
		{"one", "abc", 1, "…"},
		{"wide", "漢字漢字", 5, "漢字…"},
		{"wide-odd", "漢字漢字", 4, "漢…"},
		{"combining", "e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fit(c.in, c.n); got != c.want {
				t.Errorf("fit(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
			}
		})
	}
}

// TestRoundTrip writes the fixtures as JSON, reads them back, and checks that the result is
// the same, that writing it again gives the same bytes, and that every other format renders
// the replayed result exactly as the original.
func TestRoundTrip(t *testing.T) {
	for name, build := range map[string]func(testing.TB) *match.Result{"full": fullResult, "empty": emptyResult} {
		t.Run(name, func(t *testing.T) {
			orig := build(t)
			var first bytes.Buffer
			if err := Write(&first, orig, baseOpts("json")); err != nil {
				t.Fatal(err)
			}
			back, err := ReadJSON(bytes.NewReader(first.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(orig, back, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ReadJSON(Write(res)) differs (-orig +back):\n%s", diff)
			}
			// Findings share the inventory's packages, as the matcher's do.
			for i, f := range back.Findings {
				if back.Inventory.Package(f.Package.ID) != f.Package {
					t.Errorf("findings[%d].Package is not the inventory's package", i)
				}
			}
			var second bytes.Buffer
			if err := Write(&second, back, baseOpts("json")); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first.String(), second.String()); diff != "" {
				t.Errorf("JSON → Result → JSON differs:\n%s", diff)
			}
			for _, f := range Formats {
				var a, b bytes.Buffer
				errA := Write(&a, orig, baseOpts(f))
				errB := Write(&b, back, baseOpts(f))
				if (errA == nil) != (errB == nil) || a.String() != b.String() {
					t.Errorf("%s: replayed output differs (errors %v, %v):\n%s", f, errA, errB, cmp.Diff(a.String(), b.String()))
				}
			}
		})
	}
}

// TestRoundTripWithoutInventory covers results whose findings' packages are not in an
// inventory: they are read back as one package per id.
func TestRoundTripWithoutInventory(t *testing.T) {
	res := fullResult(t)
	res.Inventory = nil
	var first bytes.Buffer
	if err := Write(&first, res, baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&first)
	if err != nil {
		t.Fatal(err)
	}
	if back.Findings[1].Package != back.Findings[2].Package {
		t.Error("two findings of one package do not share it")
	}
	var second bytes.Buffer
	if err := Write(&second, back, baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := Write(&again, res, baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(again.String(), second.String()); diff != "" {
		t.Errorf("JSON → Result → JSON differs:\n%s", diff)
	}
	if err := Write(&bytes.Buffer{}, back, baseOpts("cyclonedx-json")); err == nil {
		t.Error("cyclonedx-json without an inventory: no error")
	}
}

// TestReadJSONErrors feeds ReadJSON broken documents: each must fail with ErrBadJSON and a
// message naming the field.
func TestReadJSONErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullResult(t), baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	edit := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("%q not in the fixture JSON", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, c := range []struct {
		name, doc, want string
	}{
		{"empty", " \n", "the input is empty"},
		{"not-json", "<html>", "invalid character"},
		{"array", "[]", "cannot unmarshal array"},
		{"no-version", `{"findings": []}`, "schema_version is missing"},
		{"future-version", `{"schema_version": "2", "brand_new": true}`, `schema_version "2" is not supported`},
		{"no-findings", `{"schema_version": "1", "subject": {}, "db": {}}`, "findings is missing"},
		{"unknown-field", edit(`"summary":`, `"sumary":`), `unknown field "sumary"`},
		{"trailing", good + "{}", "data after the document"},
		{"bad-time", edit(`"built_at": "2026-08-22T06:00:00Z"`, `"built_at": "yesterday"`), `db.built_at "yesterday"`},
		{"bad-level", edit(`"level": "CRITICAL"`, `"level": "SEVERE"`), `findings[5].severity.level "SEVERE"`},
		{"bad-score", edit(`"score": 9.8`, `"score": 98`), "findings[5].severity.score 98"},
		{"bad-label", edit(`"label": "P1"`, `"label": "P2"`), `findings[0].priority.label "P2" does not match rank 1`},
		{"bad-rank", edit(`"rank": 1`, `"rank": 7`), "findings[0].priority.rank 7"},
		{"bad-reach", edit(`"reachability": "called"`, `"reachability": "maybe"`), `findings[4].reachability "maybe"`},
		{"id-not-in-ids", edit(`"id": "GO-2025-3459",`, `"id": "GO-2099-0001",`), `findings[0].ids does not contain`},
		{"no-package-name", edit(`"name": "github.com/wazuh/wazuh",`, `"name": "",`), "inventory.packages"},
		{"package-mismatch", edit(`"version": "3.0.30",`, `"version": "3.0.31",`), "does not match inventory package"},
		{"bad-relationship", edit(`"to": "pkg-`, `"to": "nope-`), "inventory.relationships[0].to"},
		{"bad-suppression", edit(`"kind": "vex"`, `"kind": "waiver"`), `suppression.kind "waiver"`},
		{"bad-epss", edit(`"score": 0.61734`, `"score": 61.7`), "findings[4].epss"},
		{"negative-upgrade", edit(`"findings": 3`, `"findings": -3`), "upgrades[1].findings is negative"},
		{"negative-line", edit(`"line": 8`, `"line": -8`), "locations[0].line is negative"},
		{"negative-unmatched", edit(`"no ecosystem": 1`, `"no ecosystem": -1`), "unmatched"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(c.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrBadJSON) {
				t.Errorf("error %v does not wrap ErrBadJSON", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestReadJSONDuplicateID(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullResult(t), baseOpts("json")); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	inv := doc["inventory"].(map[string]any)
	pkgs := inv["packages"].([]any)
	inv["packages"] = append(pkgs, pkgs[0])
	data, _ := json.Marshal(doc)
	_, err := ReadJSON(bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "is used twice") {
		t.Errorf("duplicate package id: got %v", err)
	}
}

func TestReadJSONTooLarge(t *testing.T) {
	defer func(n int64) { maxJSONSize = n }(maxJSONSize)
	maxJSONSize = 1 << 20
	r := &repeatReader{n: 1<<20 + 10}
	if _, err := ReadJSON(r); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized input: got %v", err)
	}
}

// repeatReader yields n spaces without holding them in memory.
type repeatReader struct{ n int }

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = ' '
	}
	r.n -= k
	return k, nil
}

func TestWriteErrors(t *testing.T) {
	noPkg := fullResult(t)
	noPkg.Findings[2].Package = nil
	noID := fullResult(t)
	noID.Findings[0].ID = ""
	nilFinding := fullResult(t)
	nilFinding.Findings[1] = nil
	stranger := fullResult(t)
	stranger.Findings[0].Package = &inventory.Package{ID: "pkg-elsewhere", Name: "elsewhere", Version: "1"}
	for _, c := range []struct {
		name string
		res  *match.Result
		opts Options
		want string
	}{
		{"unknown-format", fullResult(t), Options{Format: "html"}, `unknown output format "html" (valid: table, json, sarif, cyclonedx-json, openvex)`},
		{"negative-width", fullResult(t), Options{Width: -1}, "negative table width"},
		{"nil-result", nil, Options{}, "nil result"},
		{"no-package", noPkg, Options{Format: "json"}, "findings[2] (PYSEC-2020-103) has no package"},
		{"no-id", noID, Options{Format: "sarif"}, "findings[0] has no id"},
		{"nil-finding", nilFinding, Options{}, "findings[1] is nil"},
		{"cdx-unknown-package", stranger, baseOpts("cyclonedx-json"), "elsewhere 1, which is not in the inventory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, c.res, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
			if buf.Len() > 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
	if _, err := New(&bytes.Buffer{}, Options{Format: "xml"}); !errors.Is(err, ErrFormat) {
		t.Errorf("New with an unknown format: %v, want ErrFormat", err)
	}
}

// TestHandlerOrder checks that handlers refuse messages out of order instead of writing a
// malformed document.
func TestHandlerOrder(t *testing.T) {
	f := fullResult(t).Findings[0]
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			h, err := New(&bytes.Buffer{}, Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Finding(f); err == nil || !strings.Contains(err.Error(), "before Header") {
				t.Errorf("Finding before Header: %v", err)
			}
			if err := h.Header(&Header{}); err != nil {
				t.Fatal(err)
			}
			if err := h.Header(&Header{}); err == nil {
				t.Error("second Header accepted")
			}
		})
	}
}

// TestCycloneDXSameComponents checks that the scan BOM names packages exactly as `hallmark
// sbom` does, so a finding's affects[].ref resolves in either document.
func TestCycloneDXSameComponents(t *testing.T) {
	res := fullResult(t)
	var scan, sbom bytes.Buffer
	if err := Write(&scan, res, baseOpts("cyclonedx-json")); err != nil {
		t.Fatal(err)
	}
	if err := cyclonedx.Encode(&sbom, res.Inventory, cyclonedx.Options{Timestamp: scanTime, ToolName: "hallmark", ToolVersion: "v0.9.0-test"}); err != nil {
		t.Fatal(err)
	}
	type bom struct {
		Components      []json.RawMessage `json:"components"`
		Vulnerabilities []struct {
			BOMRef  string `json:"bom-ref"`
			ID      string
			Affects []struct{ Ref string }
		} `json:"vulnerabilities"`
	}
	var a, b bom
	if err := json.Unmarshal(scan.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sbom.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Components, a.Components, cmp.Comparer(func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })); diff != "" {
		t.Errorf("components differ from cyclonedx.Encode (-sbom +scan):\n%s", diff)
	}
	if len(a.Vulnerabilities) != len(res.Findings) {
		t.Fatalf("%d vulnerabilities for %d findings", len(a.Vulnerabilities), len(res.Findings))
	}
	for i, v := range a.Vulnerabilities {
		f := res.Findings[i]
		if v.ID != f.ID || len(v.Affects) != 1 || v.Affects[0].Ref != f.Package.ID {
			t.Errorf("vulnerabilities[%d] = %s affecting %v, want %s affecting %s", i, v.ID, v.Affects, f.ID, f.Package.ID)
		}
	}
}

// TestSARIFResults checks the facts code-scanning UIs depend on, beyond schema validity.
func TestSARIFResults(t *testing.T) {
	res := fullResult(t)
	log := toSARIF(res, baseOpts("sarif"))
	run := log.Runs[0]
	type got struct {
		Rule, Level, URI string
		Line             int
		Suppressed       bool
	}
	var gots []got
	for _, r := range run.Results {
		g := got{Rule: run.Tool.Driver.Rules[r.RuleIndex].ID, Level: r.Level, Suppressed: len(r.Suppressions) > 0}
		if pl := r.Locations[0].PhysicalLocation; pl != nil {
			g.URI = pl.ArtifactLocation.URI
			if pl.Region != nil {
				g.Line = pl.Region.StartLine
			}
		}
		gots = append(gots, g)
	}
	want := []got{
		{"GO-2025-3459", "warning", "go.mod", 12, false},
		{"PYSEC-2020-102", "warning", "ops/requirements.txt", 3, false},
		{"PYSEC-2020-103", "warning", "ops/requirements.txt", 3, false},
		{"PYSEC-2020-104", "warning", "ops/requirements.txt", 3, false},
		{"GO-2024-2687", "warning", "go.mod", 8, false},
		{"PYSEC-2024-10", "error", "services/legacy-build-tools/packaging/gentoo/overlay/requirements-dev.txt", 7, false},
		{"GO-2023-2102", "warning", "go.mod", 8, false},
		{"PYSEC-2017-105", "error", "ops/requirements.txt", 2, false},
		{"PYSEC-2023-203", "warning", "ops/requirements.txt", 1, true},
		{"GO-2023-1988", "warning", "go.mod", 8, true},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if n := len(run.Tool.Driver.Rules); n != len(res.Findings) {
		t.Errorf("%d rules for %d distinct ids", n, len(res.Findings))
	}
	if got := run.Tool.Driver.Rules[5].Properties["security-severity"]; got != "9.8" {
		t.Errorf("PYSEC-2024-10 security-severity = %v, want 9.8", got)
	}
}

func TestFileURI(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"go.mod", "go.mod"},
		{"dir with space/req.txt", "dir%20with%20space/req.txt"},
		{"c:odd/file", "./c:odd/file"},
		{"100%/x", "100%25/x"},
	} {
		if got := fileURI(c.in); got != c.want {
			t.Errorf("fileURI(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEncodeVulnerabilitiesRefs(t *testing.T) {
	inv := fullResult(t).Inventory
	id := "GO-2023-1988"
	for _, c := range []struct {
		name string
		refs []string
		opts cyclonedx.Options
		want string
	}{
		{"unknown-ref", []string{"pkg-nope"}, cyclonedx.Options{}, `affects[0].ref "pkg-nope" is not a component`},
		{"no-affects", nil, cyclonedx.Options{}, "affects no component"},
		{"xml", []string{inv.Packages[0].ID}, cyclonedx.Options{XML: true}, "JSON only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var affects []cdx.Affects
			for _, r := range c.refs {
				affects = append(affects, cdx.Affects{Ref: r})
			}
			var buf bytes.Buffer
			err := cyclonedx.EncodeVulnerabilities(&buf, inv, []cdx.Vulnerability{{ID: id, Affects: &affects}}, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if buf.Len() > 0 {
				t.Error("wrote output before failing")
			}
		})
	}
}
