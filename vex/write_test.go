package vex

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/write")

// triagedResult is scanResult after triage: every kind of finding WriteOpenVEX writes.
func triagedResult() *match.Result {
	res := scanResult()
	f := res.Findings
	// libssl3: not_affected by an OpenVEX statement.
	f[0].Suppression = &match.Suppression{Kind: "vex", Status: StatusNotAffected, Justification: JustVulnerableCodeNotPresent,
		Statement: "affected functions were removed before packaging", Source: "/home/me/alpine.vex.json"}
	// libcrypto3: not_affected with a CycloneDX justification OpenVEX has no label for.
	f[1].Suppression = &match.Suppression{Kind: "vex", Status: StatusNotAffected, Justification: "protected_at_perimeter",
		Statement: "the WAF rejects such inputs", Source: "bom.vex.json"}
	// django: accepted risk.
	f[2].Fixed = []string{"4.2.1", "4.1.9"}
	f[2].Suppression = &match.Suppression{Kind: "ignore", Status: "ignored", Justification: "not reachable: we never upload several files",
		Source: ".hallmark.yaml", Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}
	// urllib3: open, with a fix and reachability.
	f[3].Fixed = []string{"1.26.18"}
	f[3].Reachability = match.ReachCalled
	f[3].Symbols = []string{"PoolManager.urlopen"}
	// vendored: open, no fix, no purl. A second finding for it at another location is a
	// duplicate statement and is written once.
	f = append(f, &match.Finding{ID: "CVE-2024-0001", IDs: []string{"CVE-2024-0001"}, Package: &inventory.Package{Name: "vendored", Version: "1.0"}})
	f[4].Package.Version = "1.0"
	// A fixed one.
	f = append(f, &match.Finding{ID: "CVE-2023-2650", IDs: []string{"CVE-2023-2650"}, Package: f[0].Package,
		Suppression: &match.Suppression{Kind: "vex", Status: StatusFixed, Source: "alpine.vex.json"}})
	res.Findings = f
	return res
}

var writeOpts = WriteOptions{Author: "Example Shop PSIRT <psirt@shop.example.com>", ToolName: "hallmark", ToolVersion: "0.3.0",
	Timestamp: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}

func TestWriteOpenVEX(t *testing.T) {
	noSubject := triagedResult()
	noSubject.Subject = inventory.Subject{Kind: inventory.KindDirectory, Name: "."}
	digestOnly := triagedResult()
	digestOnly.Subject.PURL = ""
	tests := []struct {
		name string
		res  *match.Result
		opts WriteOptions
	}{
		{"image", triagedResult(), writeOpts},
		{"noSubject", noSubject, writeOpts},
		{"digestOnly", digestOnly, WriteOptions{Timestamp: writeOpts.Timestamp, ID: "https://shop.example.com/vex/2025-03-01"}},
	}
	schema := compileSchema(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteOpenVEX(&buf, tc.res, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "write", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("output differs from %s (-want +got; rerun with -update to accept):\n%s", golden, diff)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("output does not validate against the OpenVEX schema: %v", err)
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/schema/openvex_json_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time, iri and uri are checked too
	const url = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaRejects makes sure the schema check in TestWriteOpenVEX can fail.
func TestSchemaRejects(t *testing.T) {
	schema := compileSchema(t)
	for name, doc := range map[string]string{
		"affectedWithoutAction": `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x", "author": "a", "timestamp": "2025-03-01T10:00:00Z", "version": 1,
			"statements": [{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "affected"}]}`,
		"badTimestamp": `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x", "author": "a", "timestamp": "yesterday", "version": 1,
			"statements": [{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed"}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(inst) == nil {
			t.Errorf("%s: schema accepted an invalid document", name)
		}
	}
}

// TestWriteOpenVEXRoundTrip: what hallmark writes, hallmark reads back, and applying it to a
// fresh scan of the same subject suppresses the same findings with the same statuses.
func TestWriteOpenVEXRoundTrip(t *testing.T) {
	for _, name := range []string{"image", "noSubject"} {
		t.Run(name, func(t *testing.T) {
			res := triagedResult()
			if name == "noSubject" {
				res.Subject = inventory.Subject{}
			}
			var buf bytes.Buffer
			if err := WriteOpenVEX(&buf, res, writeOpts); err != nil {
				t.Fatal(err)
			}
			stmts, err := Decode("out.vex.json", &buf)
			if err != nil {
				t.Fatal(err)
			}
			fresh := triagedResult()
			fresh.Subject = res.Subject
			var want []string
			for _, f := range fresh.Findings {
				status := ""
				if s := f.Suppression; s != nil && s.Kind == "vex" {
					status = s.Status // ignore rules are exported as affected: not suppressed
				}
				want = append(want, status)
				f.Suppression = nil
			}
			Apply(fresh, stmts)
			var got []string
			for _, f := range fresh.Findings {
				status := ""
				if f.Suppression != nil {
					status = f.Suppression.Status
				}
				got = append(got, status)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses after the round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteOpenVEXDeterministic: the order of findings does not change the bytes.
func TestWriteOpenVEXDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	res := triagedResult()
	if err := WriteOpenVEX(&a, res, writeOpts); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(res.Findings)
	if err := WriteOpenVEX(&b, res, writeOpts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Errorf("reversed findings give different output (-first +second):\n%s", diff)
	}
}

func TestWriteOpenVEXErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, &match.Result{}, writeOpts); !errors.Is(err, ErrNoFindings) {
		t.Errorf("no findings: err = %v, want ErrNoFindings", err)
	}
	tests := []struct {
		name string
		f    *match.Finding
		want string
	}{
		{"noPackage", &match.Finding{ID: "CVE-1"}, "vex: finding CVE-1 has no package"},
		{"noID", &match.Finding{Package: &inventory.Package{PURL: "pkg:npm/a@1"}}, "vex: a finding has no ID"},
		{"anonymousPackage", &match.Finding{ID: "CVE-1", Package: &inventory.Package{Version: "1"}}, "vex: finding CVE-1: its package has neither a purl nor a name"},
		{"unknownSuppression", &match.Finding{ID: "CVE-1", Package: &inventory.Package{PURL: "pkg:npm/a@1"}, Suppression: &match.Suppression{Kind: "vex", Status: "wontfix"}},
			"vex: finding CVE-1: suppression vex/wontfix has no OpenVEX equivalent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteOpenVEX(&buf, &match.Result{Findings: []*match.Finding{tc.f}}, writeOpts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
