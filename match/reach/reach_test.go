package reach

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

func TestSplitSymbol(t *testing.T) {
	type split struct {
		Pkg, Sym string
		OK       bool
	}
	for _, c := range []struct {
		name, in string
		want     split
	}{
		{"func", "golang.org/x/text/language.ParseAcceptLanguage", split{"golang.org/x/text/language", "ParseAcceptLanguage", true}},
		{"pointer-method", "golang.org/x/net/html.(*Tokenizer).Next", split{"golang.org/x/net/html", "Tokenizer.Next", true}},
		{"value-method", "golang.org/x/text/unicode/norm.Form.String", split{"golang.org/x/text/unicode/norm", "Form.String", true}},
		{"closure", "net/http.(*conn).serve.func1", split{"net/http", "conn.serve", true}},
		{"nested-closure", "main.main.func1.2", split{"main", "main", true}},
		{"deferwrap", "os.ReadFile.deferwrap1", split{"os", "ReadFile", true}},
		{"method-value", "bufio.(*Reader).Read-fm", split{"bufio", "Reader.Read", true}},
		{"generic-func", "slices.Index[go.shape.[]string,go.shape.string]", split{"slices", "Index", true}},
		{"generic-method", "example.com/m/v2/p.(*List[go.shape.struct { Name example.com/q.T }]).Push", split{"example.com/m/v2/p", "List.Push", true}},
		{"escaped-dot", "gopkg.in/yaml%2ev3.Unmarshal", split{"gopkg.in/yaml.v3", "Unmarshal", true}},
		{"stdlib-vendor", "vendor/golang.org/x/net/http/httpguts.ValidHeaderFieldName", split{"vendor/golang.org/x/net/http/httpguts", "ValidHeaderFieldName", true}},
		{"type-descriptor", "type:.eq.main.T", split{}},
		{"linker", "go:buildid", split{}},
		{"glob-closure", "main.glob..func1", split{}},
		{"no-package", "runtime", split{}},
		{"unbalanced", "p.F[int", split{}},
		{"empty", "", split{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got split
			got.Pkg, got.Sym, got.OK = SplitSymbol(c.in)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("SplitSymbol(%q) (-want +got):\n%s", c.in, diff)
			}
		})
	}
}

func ExampleSplitSymbol() {
	pkg, sym, _ := SplitSymbol("golang.org/x/net/html.(*Tokenizer).Next.func2")
	fmt.Println(pkg, sym)
	// Output: golang.org/x/net/html Tokenizer.Next
}

func TestReach(t *testing.T) {
	s := newSymbols()
	s.GOOS, s.GOARCH = "linux", "amd64"
	s.add("golang.org/x/text/language", "Make")
	s.add("golang.org/x/text/language", "Tag.String")
	s.add("net/http", "Get")
	s.addPackage("example.com/opaque")
	s.opaque["example.com/opaque"] = true
	s.add("example.com/opaque", "Open")
	s.selected = map[string]bool{"Close": true}

	type result struct {
		Level match.Reachability
		Used  []string
	}
	for _, c := range []struct {
		name    string
		imports []vulndb.Import
		want    result
	}{
		{"no-imports", nil, result{match.ReachUnknown, nil}},
		{"symbol-called", []vulndb.Import{{Path: "golang.org/x/text/language", Symbols: []string{"Parse", "Make"}}}, result{match.ReachCalled, []string{"golang.org/x/text/language.Make"}}},
		{"method-called", []vulndb.Import{{Path: "golang.org/x/text/language", Symbols: []string{"Tag.String"}}}, result{match.ReachCalled, []string{"golang.org/x/text/language.Tag.String"}}},
		{"imported-only", []vulndb.Import{{Path: "golang.org/x/text/language", Symbols: []string{"ParseAcceptLanguage"}}}, result{match.ReachImported, nil}},
		{"not-imported", []vulndb.Import{{Path: "golang.org/x/text/unicode/norm", Symbols: []string{"Form.String"}}}, result{match.ReachNotImported, nil}},
		{"package-without-symbols", []vulndb.Import{{Path: "net/http"}}, result{match.ReachCalled, nil}},
		{"best-of-several", []vulndb.Import{
			{Path: "golang.org/x/text/unicode/norm", Symbols: []string{"Form.String"}},
			{Path: "golang.org/x/text/language", Symbols: []string{"Parse"}},
		}, result{match.ReachImported, nil}},
		{"other-goos", []vulndb.Import{{Path: "net/http", Symbols: []string{"Get"}, GOOS: []string{"windows"}}}, result{match.ReachNotImported, nil}},
		{"same-goos", []vulndb.Import{{Path: "net/http", Symbols: []string{"Get"}, GOOS: []string{"linux", "windows"}, GOARCH: []string{"amd64"}}}, result{match.ReachCalled, []string{"net/http.Get"}}},
		{"other-goarch", []vulndb.Import{{Path: "net/http", Symbols: []string{"Get"}, GOARCH: []string{"arm64"}}}, result{match.ReachNotImported, nil}},
		{"opaque-method-by-name", []vulndb.Import{{Path: "example.com/opaque", Symbols: []string{"File.Close"}}}, result{match.ReachCalled, []string{"example.com/opaque.File.Close"}}},
		{"opaque-function-not-seen", []vulndb.Import{{Path: "example.com/opaque", Symbols: []string{"Remove", "File.Write"}}}, result{match.ReachImported, nil}},
		{"opaque-function-seen", []vulndb.Import{{Path: "example.com/opaque", Symbols: []string{"Open"}}}, result{match.ReachCalled, []string{"example.com/opaque.Open"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got result
			got.Level, got.Used = s.Reach(c.imports)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Reach (-want +got):\n%s", diff)
			}
		})
	}
}
