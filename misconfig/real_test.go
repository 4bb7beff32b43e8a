package misconfig

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/real/golden")

// TestRealWorld checks manifests and Dockerfiles from well-known projects (testdata/real,
// PROVENANCE.md there) and compares the findings with reviewed golden files: which rules fire,
// where, about which object and container. Each file is checked on its own, except
// directories, which are checked together (the ServiceAccount beside a Deployment counts).
func TestRealWorld(t *testing.T) {
	var targets []string
	for _, dir := range []string{"kubernetes", "dockerfile"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "real", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			targets = append(targets, filepath.Join("testdata", "real", dir, e.Name()))
		}
	}
	if len(targets) < 15 {
		t.Fatalf("only %d real-world targets", len(targets))
	}
	s := scannerFor(t, "")
	for _, target := range targets {
		rel, _ := filepath.Rel(filepath.Join("testdata", "real"), target)
		t.Run(rel, func(t *testing.T) {
			res, err := s.Scan(context.Background(), []string{target})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 || len(res.Files) == 0 {
				t.Fatalf("files %v, errors %v", res.Files, res.Errors)
			}
			var b strings.Builder
			for _, f := range res.Findings {
				file, _ := filepath.Rel(filepath.Join("testdata", "real"), f.File)
				b.WriteString(file + ":" + formatFinding(f))
				if f.Source != "" {
					b.WriteString(" (source " + f.Source + ")")
				}
				b.WriteByte('\n')
			}
			golden := filepath.Join("testdata", "real", "golden", strings.ReplaceAll(rel, string(filepath.Separator), "__")+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("findings changed (-want +got); rerun with -update if intended:\n%s", diff)
			}
		})
	}
}

// TestRealWorldTemplate: an unrendered Helm template from a real chart is refused with a
// clear error, not checked as if it were a manifest.
func TestRealWorldTemplate(t *testing.T) {
	path := filepath.Join("testdata", "real", "errors", "cert-manager-cainjector-deployment.yaml")
	res, err := scannerFor(t, "").Scan(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrTemplate) || res.Errors[0].File != path || len(res.Findings) != 0 {
		t.Fatalf("errors %v, findings %d", res.Errors, len(res.Findings))
	}
}
