package misconfig

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scanners caches one Scanner per configuration file ("" for the zero Config).
var (
	scannersMu sync.Mutex
	scanners   = map[string]*Scanner{}
)

func scannerFor(t testing.TB, configFile string) *Scanner {
	t.Helper()
	scannersMu.Lock()
	defer scannersMu.Unlock()
	if s, ok := scanners[configFile]; ok {
		return s
	}
	var cfg Config
	if configFile != "" {
		var err error
		if cfg, err = LoadConfig(configFile); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	scanners[configFile] = s
	return s
}

// checkFile checks one file as if named on the command line.
func checkFile(t testing.TB, s *Scanner, path string) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Check(context.Background(), []File{{Name: path, Data: data}}, map[string]bool{path: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var yamlWant = regexp.MustCompile(`#\s*want\s*$`)

// wantLines reads the expectations of a rule test file. In YAML a trailing "# want" marks the
// line a finding must be reported at; in a Dockerfile (where # only starts a comment at the
// start of a line) a "# want" line marks the next instruction.
func wantLines(path string, data []byte) []int {
	lines := strings.Split(string(data), "\n")
	var want []int
	for i, l := range lines {
		if isDockerfile(path) {
			if strings.TrimSpace(l) != "# want" {
				continue
			}
			for j := i + 1; j < len(lines); j++ {
				if !isBlankOrComment(lines[j]) {
					want = append(want, j+1)
					break
				}
			}
			continue
		}
		if yamlWant.MatchString(l) {
			want = append(want, i+1)
		}
	}
	return want
}

// TestRules runs every rule over its deny and allow cases in testdata/rules/<rule ID>: a deny
// case must produce a finding of that rule at each marked line and nowhere else; an allow
// case must produce none. A case may have a configuration beside it (<case>.config).
func TestRules(t *testing.T) {
	rules, err := BuiltinRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 27 {
		t.Fatalf("only %d rules", len(rules))
	}
	for _, r := range rules {
		dir := filepath.Join("testdata", "rules", r.ID)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Errorf("%s has no test cases: %v", r.ID, err)
			continue
		}
		var deny, allow int
		for _, e := range entries {
			name := e.Name()
			if strings.HasSuffix(name, ".config") {
				continue
			}
			switch {
			case strings.HasPrefix(name, "deny"):
				deny++
			case strings.HasPrefix(name, "allow"):
				allow++
			default:
				t.Errorf("%s/%s: case names start with deny or allow", r.ID, name)
				continue
			}
			path := filepath.Join(dir, name)
			t.Run(r.ID+"/"+name, func(t *testing.T) {
				cfg := ""
				if _, err := os.Stat(path + ".config"); err == nil {
					cfg = path + ".config"
				}
				data, _ := os.ReadFile(path)
				want := wantLines(path, data)
				if strings.HasPrefix(name, "deny") && len(want) == 0 {
					t.Fatal("a deny case marks no line")
				}
				if strings.HasPrefix(name, "allow") && len(want) != 0 {
					t.Fatal("an allow case marks lines")
				}
				res := checkFile(t, scannerFor(t, cfg), path)
				if len(res.Errors) > 0 {
					t.Fatalf("errors: %v", res.Errors)
				}
				var got []int
				for _, f := range res.Findings {
					if f.RuleID != r.ID {
						continue
					}
					got = append(got, f.Line)
					if f.Message == "" || f.Title != r.Title || f.Severity != r.Severity || f.Remediation == "" || f.File != path {
						t.Errorf("incomplete finding %+v", f)
					}
				}
				slices.Sort(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("lines of %s findings (-want +got):\n%s\nall findings:\n%s", r.ID, diff, describeFindings(res))
				}
			})
		}
		if deny == 0 || allow == 0 {
			t.Errorf("%s needs deny and allow cases (has %d deny, %d allow)", r.ID, deny, allow)
		}
	}
}

// TestHardened: manifests and a Dockerfile that follow every recommendation pass every rule.
func TestHardened(t *testing.T) {
	for _, f := range []string{"hardened.yaml", "hardened.Dockerfile"} {
		t.Run(f, func(t *testing.T) {
			res := checkFile(t, scannerFor(t, ""), filepath.Join("testdata", "rules", f))
			if len(res.Findings) != 0 || len(res.Errors) != 0 || res.Objects == 0 {
				t.Errorf("objects %d, errors %v, findings:\n%s", res.Objects, res.Errors, describeFindings(res))
			}
		})
	}
}

func describeFindings(res *Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		b.WriteString(formatFinding(f))
		b.WriteByte('\n')
	}
	return b.String()
}

func formatFinding(f Finding) string {
	obj := f.Kind
	if f.Namespace != "" {
		obj += "/" + f.Namespace
	}
	if f.Name != "" {
		obj += "/" + f.Name
	}
	if f.Container != "" {
		obj += "[" + f.Container + "]"
	}
	return strings.Join([]string{itoa(f.Line), f.RuleID, f.Severity, obj, f.Message}, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }
