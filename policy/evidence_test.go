package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/source"
	"github.com/hallmark-dev/hallmark/vulndb"
)

const schemaBase = "https://raw.githubusercontent.com/hallmark-dev/hallmark/main/docs/schema/"

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// schema compiles docs/schema/<name> (evidence-v1.json, decision-v1.json), resolving the
// references between them.
func schema(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		for _, n := range []string{"evidence-v1.json", "decision-v1.json"} {
			f, err := os.Open(filepath.Join("..", "docs", "schema", n))
			if err != nil {
				schemasErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				schemasErr = err
				return
			}
			if err := c.AddResource(schemaBase+n, doc); err != nil {
				schemasErr = err
				return
			}
		}
		schemas = map[string]*jsonschema.Schema{}
		for _, n := range []string{"evidence-v1.json", "decision-v1.json"} {
			s, err := c.Compile(schemaBase + n)
			if err != nil {
				schemasErr = err
				return
			}
			schemas[n] = s
		}
	})
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemas[name]
}

func validate(t testing.TB, name string, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return schema(t, name).Validate(inst)
}

func TestEvidenceFilesMatchSchema(t *testing.T) {
	for _, f := range []string{"good.json", "minimal.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "evidence", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, "evidence-v1.json", b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		ev, err := DecodeEvidence(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// What hallmark writes back validates too (normalised lists, omitted empties).
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, "evidence-v1.json", out); err != nil {
			t.Errorf("%s re-encoded: %v\n%s", f, err, out)
		}
	}
}

// TestDecodeEvidenceRejects: each malformed document is refused by DecodeEvidence with a
// message naming the field, and by the published schema too.
func TestDecodeEvidenceRejects(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "evidence", "minimal.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct{ name, doc, want string }{
		{"not-json", "{", "unexpected EOF"},
		{"unknown-field", edit(func(m map[string]any) { m["extra"] = 1 }), `unknown field "extra"`},
		{"wrong-version", edit(func(m map[string]any) { m["schema_version"] = "2" }), `schema_version "2"`},
		{"no-digest", edit(func(m map[string]any) { delete(m["subject"].(map[string]any), "digest") }), "subject.digest is missing"},
		{"bad-digest", edit(func(m map[string]any) { m["subject"].(map[string]any)["digest"] = "sha256:XYZ" }), "want algorithm:hex"},
		{"bad-kind", edit(func(m map[string]any) { m["subject"].(map[string]any)["kind"] = "directory" }), `subject.kind "directory"`},
		{"no-time", edit(func(m map[string]any) { delete(m, "generated_at") }), "generated_at is missing"},
		{"bad-severity", edit(func(m map[string]any) {
			m["findings"] = []any{map[string]any{"id": "X", "package": map[string]any{}, "severity": "HIGH"}}
		}), `findings[0].severity "HIGH"`},
		{"bad-signer", edit(func(m map[string]any) {
			m["signatures"] = []any{map[string]any{"kind": "signature", "signer": map[string]any{"kind": "password"}}}
		}), `signatures[0].signer.kind "password"`},
		{"bad-provenance", edit(func(m map[string]any) {
			m["provenance"] = []any{map[string]any{"builder_id": ""}}
		}), "provenance[0]: builder_id and build_type are required"},
		{"wrong-type", edit(func(m map[string]any) { m["findings"] = "none" }), "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEvidence(strings.NewReader(tc.doc))
			if !errors.Is(err, ErrEvidence) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DecodeEvidence err = %v, want ErrEvidence containing %q", err, tc.want)
			}
			if tc.name != "not-json" && validate(t, "evidence-v1.json", []byte(tc.doc)) == nil {
				t.Errorf("the schema accepts what DecodeEvidence rejects")
			}
		})
	}
	if _, err := DecodeEvidence(strings.NewReader(string(good) + string(good))); !errors.Is(err, ErrEvidence) {
		t.Errorf("two documents: %v", err)
	}
}

var (
	dbOnce sync.Once
	dbDir  string
	dbErr  error
)

// fixtureDB imports the repository's fixture advisories (testdata/advisories, see
// testdata/PROVENANCE.md) once.
func fixtureDB(t testing.TB) *vulndb.DB {
	t.Helper()
	const a = "../testdata/advisories/"
	if _, err := os.Stat(a); err != nil {
		t.Skipf("fixture advisories not available: %v", err)
	}
	dbOnce.Do(func() {
		dbDir, dbErr = os.MkdirTemp("", "hallmark-policy-db-")
		if dbErr != nil {
			return
		}
		_, dbErr = vulndb.Build(context.Background(), dbDir, []vulndb.Input{
			{Path: a + "osv-Go.zip"}, {Path: a + "osv-PyPI.zip"}, {Path: a + "kev.json"}, {Path: a + "epss-synthetic.csv"},
		}, vulndb.BuildOptions{Now: decisionTime})
	})
	if dbErr != nil {
		t.Fatal(dbErr)
	}
	db, err := vulndb.Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestNewEvidenceFromScan gathers evidence the way the gate does — inventory, match — for a
// real requirements file, checks it against the schema, and decides on it.
func TestNewEvidenceFromScan(t *testing.T) {
	db := fixtureDB(t)
	ctx := context.Background()
	art, err := source.Open(ctx, "../testdata/scan/python/requirements.txt", source.Options{})
	if err != nil {
		t.Skipf("fixture lockfile not available: %v", err)
	}
	defer art.Close()
	inv, err := inventory.Build(ctx, art, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := match.Match(inv, db)
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvidence(inv, decisionTime.Add(-time.Minute), SBOMGenerated, SBOMMetadata{})
	ev.AddFindings(res)
	if len(ev.Findings) == 0 || len(ev.Inventory.Packages) == 0 || len(ev.Licenses) != len(ev.Inventory.Packages) {
		t.Fatalf("evidence has %d findings, %d packages, %d licences", len(ev.Findings), len(ev.Inventory.Packages), len(ev.Licenses))
	}
	if ev.Subject.Kind != KindFile || !strings.HasPrefix(ev.Subject.Digest, "sha256:") || !ev.SBOM.Present || ev.SBOM.Author != "hallmark" {
		t.Errorf("subject %+v, sbom %+v", ev.Subject, ev.SBOM)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, "evidence-v1.json", b); err != nil {
		t.Fatalf("gathered evidence does not match the schema: %v", err)
	}
	if _, err := DecodeEvidence(bytes.NewReader(b)); err != nil {
		t.Fatalf("gathered evidence does not decode: %v", err)
	}
	d := newEngine(t, Options{Builtin: true}).Evaluate(ctx, ev, decisionTime)
	if d.Allow || len(ids(d.Violations)) == 0 || ids(d.Violations)[0] != "vuln-fixable" {
		t.Errorf("decision on a vulnerable requirements file: %+v", d.Violations)
	}
	t.Logf("%d findings; violations %v; warnings %v", len(ev.Findings), ids(d.Violations), ids(d.Warnings))
}

func TestPackageLicense(t *testing.T) {
	tests := []struct {
		decl    []string
		expr    string
		valid   bool
		choices int
	}{
		{nil, "", false, 0},
		{[]string{"MIT"}, "MIT", true, 1},
		{[]string{"MIT", "MIT"}, "MIT", true, 1},
		{[]string{"MIT OR Apache-2.0", "BSD-3-Clause"}, "(MIT OR Apache-2.0) AND (BSD-3-Clause)", true, 2},
		{[]string{"NOASSERTION"}, "NOASSERTION", false, 0},
		{[]string{"BSD"}, "BSD", false, 0},
	}
	for _, tc := range tests {
		l := PackageLicense(&inventory.Package{Name: "p", Version: "1", Licenses: tc.decl})
		if l.Expression != tc.expr || l.Valid != tc.valid || len(l.Choices) != tc.choices || l.Package != "p@1" || (!l.Valid && l.Error == "") {
			t.Errorf("%v: %+v", tc.decl, l)
		}
	}
}

func FuzzDecodeEvidence(f *testing.F) {
	for _, n := range []string{"good.json", "minimal.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "evidence", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema_version":"1"}`))
	e, err := New(context.Background(), Options{Builtin: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvidence(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("error %v is not ErrEvidence", err)
			}
			return
		}
		// Whatever decodes can be decided on, without panicking; a failure fails closed.
		d := e.Evaluate(context.Background(), ev, decisionTime)
		if d.Error != "" && d.Allow {
			t.Fatalf("a failed evaluation allowed: %+v", d)
		}
	})
}
