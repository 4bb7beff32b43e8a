package purl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// componentDefinition is the part of a type definition's
// <component>_definition that the rules table mirrors.
type componentDefinition struct {
	Requirement   string `json:"requirement"`
	CaseSensitive *bool  `json:"case_sensitive"` // default true
}

func (c *componentDefinition) lower() bool {
	return c != nil && c.CaseSensitive != nil && !*c.CaseSensitive
}

// TestRulesMatchDefinitions checks the rules table against the purl-spec
// type definitions in testdata: every registered type is in the table, and
// its namespace requirement, case-insensitive components and required
// qualifiers are those of the definition.
func TestRulesMatchDefinitions(t *testing.T) {
	files, err := filepath.Glob("testdata/purl-spec/types/*-definition.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no type definitions: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var def struct {
			Type       string               `json:"type"`
			Namespace  *componentDefinition `json:"namespace_definition"`
			Name       *componentDefinition `json:"name_definition"`
			Version    *componentDefinition `json:"version_definition"`
			Subpath    *componentDefinition `json:"subpath_definition"`
			Qualifiers []struct {
				Key         string `json:"key"`
				Requirement string `json:"requirement"`
			} `json:"qualifiers_definition"`
		}
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		seen[def.Type] = true
		t.Run(strings.ReplaceAll(def.Type, "-", "_"), func(t *testing.T) {
			rule, ok := rules[def.Type]
			if !ok {
				t.Fatalf("type %s is not in the rules table", def.Type)
			}
			type summary struct {
				Namespace                                             string
				LowerNamespace, LowerName, LowerVersion, LowerSubpath bool
				RequiredQualifiers                                    []string
			}
			want := summary{
				Namespace:      "optional",
				LowerNamespace: def.Namespace.lower(),
				LowerName:      def.Name.lower(),
				LowerVersion:   def.Version.lower(),
				LowerSubpath:   def.Subpath.lower(),
			}
			if def.Namespace != nil && def.Namespace.Requirement != "" {
				want.Namespace = def.Namespace.Requirement
			}
			for _, q := range def.Qualifiers {
				if q.Requirement == "required" {
					want.RequiredQualifiers = append(want.RequiredQualifiers, q.Key)
				}
			}
			got := summary{
				Namespace:          [...]string{optional: "optional", required: "required", prohibited: "prohibited"}[rule.namespace],
				LowerNamespace:     rule.lowerNamespace,
				LowerName:          rule.lowerName,
				LowerVersion:       rule.lowerVersion,
				LowerSubpath:       rule.lowerSubpath,
				RequiredQualifiers: slices.Clone(rule.requiredQualifiers),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rules[%q] does not match %s (-definition +table):\n%s", def.Type, filepath.Base(f), diff)
			}
		})
	}
	for typ := range rules {
		if !seen[typ] {
			t.Errorf("rules has type %s, which has no definition in testdata", typ)
		}
	}
}
