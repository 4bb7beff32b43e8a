package reach

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/source"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// scanTree lays out the fixture binaries and module sources in one directory and
// inventories it with the real inventory room, as a scan would.
func scanTree(t *testing.T) (string, *inventory.Inventory) {
	t.Helper()
	root := t.TempDir()
	write := func(rel string, data []byte, mode os.FileMode) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, prog := range []string{"accept", "tagonly"} {
		write("bin/"+prog, fixture(t, prog+"-linux-amd64-stripped"), 0o755)
		for _, f := range []string{"go.mod", "go.sum", "main.go"} {
			data, err := os.ReadFile(filepath.Join("testdata", prog, f))
			if err != nil {
				t.Fatal(err)
			}
			write("src/"+prog+"/"+f, data, 0o644)
		}
	}
	ctx := context.Background()
	art, err := source.Open(ctx, root, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer art.Close()
	inv, err := inventory.Build(ctx, art, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return root, inv
}

func TestAnnotate(t *testing.T) {
	root, inv := scanTree(t)
	noImports := osvRecord(t, "GO-2021-0113")
	noImports.Affected[0].Imports = nil
	records := []*vulndb.Advisory{osvRecord(t, "GO-2022-1059"), osvRecord(t, "GO-2026-5970"), noImports}

	// One finding per (x/text package location, record), as matching would produce.
	res := &match.Result{Inventory: inv}
	for _, p := range inv.Packages {
		if p.Ecosystem == "Go" && p.Name == "golang.org/x/text" {
			for _, r := range records {
				res.Findings = append(res.Findings, &match.Finding{ID: r.ID, Package: p, Advisories: []*vulndb.Advisory{r}})
			}
		}
	}
	// A Go package whose location is not a Go binary, and a finding of another ecosystem.
	bogus := &inventory.Package{Name: "golang.org/x/text", Version: "v0.3.7", Ecosystem: "Go", Locations: []inventory.Location{{Path: "src/accept/main.go"}}}
	res.Findings = append(res.Findings,
		&match.Finding{ID: "GO-2022-1059", Package: bogus, Advisories: records[:1]},
		&match.Finding{ID: "GO-2022-1059", Package: &inventory.Package{Name: "golang.org/x/text", Ecosystem: "npm", Locations: bogus.Locations}, Advisories: records[:1]})

	if err := Annotate(context.Background(), os.DirFS(root), res); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Package.Ecosystem+" "+f.Package.Locations[0].Path+" "+f.ID] = string(f.Reachability) + " " + strings.Join(f.Symbols, ",")
	}
	const called = "called golang.org/x/text/language.ParseAcceptLanguage"
	want := map[string]string{
		"Go bin/accept GO-2022-1059":          called,
		"Go bin/accept GO-2026-5970":          "not-imported ",
		"Go bin/accept GO-2021-0113":          " ", // the record lists no imports: unknown
		"Go bin/tagonly GO-2022-1059":         "imported ",
		"Go bin/tagonly GO-2026-5970":         "not-imported ",
		"Go bin/tagonly GO-2021-0113":         " ",
		"Go src/accept/go.mod GO-2022-1059":   called,
		"Go src/accept/go.mod GO-2026-5970":   "not-imported ",
		"Go src/accept/go.mod GO-2021-0113":   " ",
		"Go src/tagonly/go.mod GO-2022-1059":  "imported ",
		"Go src/tagonly/go.mod GO-2026-5970":  "not-imported ",
		"Go src/tagonly/go.mod GO-2021-0113":  " ",
		"Go src/accept/main.go GO-2022-1059":  " ",
		"npm src/accept/main.go GO-2022-1059": " ",
	}
	if _, err := os.Stat(filepath.Join(defaultModCache(), "golang.org", "x", "text@v0.3.7")); err != nil {
		// Without x/text's sources the module analyses are partial: only "called" stands.
		t.Logf("module cache lacks golang.org/x/text@v0.3.7: expecting partial source results")
		for _, k := range []string{"Go src/accept/go.mod GO-2026-5970", "Go src/tagonly/go.mod GO-2022-1059", "Go src/tagonly/go.mod GO-2026-5970"} {
			want[k] = " "
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reachability (-want +got):\n%s", diff)
	}
	var warned bool
	for _, w := range res.Warnings {
		if strings.Contains(w, "src/accept/main.go") && strings.Contains(w, "not a readable Go binary") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming the unreadable location; warnings: %q", res.Warnings)
	}
}

func TestAnnotateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &inventory.Package{Name: "golang.org/x/text", Ecosystem: "Go", Locations: []inventory.Location{{Path: "bin/accept"}}}
	res := &match.Result{Findings: []*match.Finding{{ID: "GO-2022-1059", Package: p, Advisories: []*vulndb.Advisory{osvRecord(t, "GO-2022-1059")}}}}
	if err := Annotate(ctx, os.DirFS(t.TempDir()), res); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
