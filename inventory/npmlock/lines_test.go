package npmlock

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestPackageLines(t *testing.T) {
	tests := []struct {
		name, data string
		want       map[string]int
	}{
		{"npm_layout", "{\n  \"packages\": {\n    \"\": {\"name\": \"x\"},\n    \"node_modules/a\": {\n      \"version\": \"1\"\n    },\n    \"node_modules/b\": {}\n  }\n}", map[string]int{"": 3, "node_modules/a": 4, "node_modules/b": 7}},
		{"value_on_next_line", "{\"packages\": {\"a\":\n\n {}}}", map[string]int{"a": 3}},
		{"first_duplicate_counts", "{\"packages\": {\"a\": {},\n\"a\": {}}}", map[string]int{"a": 1}},
		{"duplicate_packages_objects", "{\"packages\": {\"a\": {}},\n\"packages\": {\"a\": {}, \"b\": null}}", map[string]int{"a": 1, "b": 2}},
		{"escaped_key", "{\"packages\": {\n\"node_modules/\\u0061\": {}}}", map[string]int{"node_modules/a": 2}},
		{"strings_with_braces", "{\"x\": \"{\\\"packages\\\": {\", \"packages\": {\"a\": {\"v\": \"}\\\\\"},\n\"b\": [{}]}}", map[string]int{"a": 1, "b": 2}},
		{"other_spelling_ignored", "{\"Packages\": {\"a\": {}}}", map[string]int{}},
		{"not_an_object", "{\"packages\": null}", map[string]int{}},
		{"nested_packages_key_ignored", "{\"x\": {\"packages\": {\"a\": {}}}}", map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]int{}
			for k, at := range packageLines([]byte(tc.data)) {
				got[k] = at.line
				if at.off < 0 || at.off >= len(tc.data) || (tc.data[at.off] != '{' && tc.data[at.off] != 'n' && tc.data[at.off] != '[') {
					t.Errorf("%q: offset %d is not at its value", k, at.off)
				}
			}
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDependencyLines(t *testing.T) {
	data := `{
  "dependencies": {
    "a": {
      "version": "1",
      "dependencies": {
        "b": {"version": "2"}
      }
    },
    "b": {"version": "3", "requires": {"a": "1"}},
    "a": {"dependencies": {"b": {}, "c": {}}}
  }
}`
	want := map[string]int{"a": 3, "a/b": 6, "a/c": 10, "b": 9}
	got := map[string]int{}
	var flatten func(prefix string, m map[string]*depNode)
	flatten = func(prefix string, m map[string]*depNode) {
		for k, n := range m {
			got[prefix+k] = n.at.line
			if data[n.at.off] != '{' {
				t.Errorf("%s: offset %d is not at its value", prefix+k, n.at.off)
			}
			flatten(prefix+k+"/", n.deps)
		}
	}
	flatten("", dependencyLines([]byte(data)))
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
