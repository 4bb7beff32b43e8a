// Package misconfig is the room of the loop that checks how software is configured to run,
// beside what it is made of: Kubernetes manifests against the NSA/CISA Kubernetes Hardening
// Guidance and the Pod Security Standards "restricted" profile, and Dockerfiles against the
// common build mistakes (running as root, unpinned bases, curl | sh, secrets in ENV/ARG). The
// checks are Rego rules embedded in the binary and evaluated with internal/regoeng; this
// package parses the files (with the line of every field), feeds the rules and returns a
// Result whose every Finding names file:line. The policy room reads Results as evidence.
package misconfig

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Errors. A FileError in Result.Errors wraps one of the first three; Scan and New return the
// others.
var (
	// ErrMalformed: a file does not parse as YAML/JSON or as a Dockerfile, or is not a valid
	// Kubernetes object; the message names file:line. Fix the file or leave it out.
	ErrMalformed = errors.New("malformed file")
	// ErrTemplate: a manifest does not parse and holds template actions ({{ … }}): an
	// unrendered Helm or Go template. Render it first (helm template …) and check the output.
	ErrTemplate = errors.New("unrendered template")
	// ErrUnsupported: a file named on the command line is neither a Kubernetes manifest
	// (.yaml, .yml, .json) nor a Dockerfile, or holds no Kubernetes object.
	ErrUnsupported = errors.New("not a Kubernetes manifest or Dockerfile")
	// ErrTooLarge: a file is over MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrConfig: the configuration names an unknown rule or severity, or does not parse.
	ErrConfig = errors.New("invalid misconfiguration config")
	// ErrRules: the built-in rules failed to compile or evaluate — a bug in hallmark.
	ErrRules = errors.New("misconfiguration rules failed")
)

// MaxFileSize bounds each file read; manifests and Dockerfiles are far smaller.
const MaxFileSize = 32 << 20

// Severity levels, worst first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Severities lists the levels worst first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// SeverityRank orders levels worst first (critical is 0); an unknown level ranks last.
func SeverityRank(s string) int {
	if i := slices.Index(Severities, s); i >= 0 {
		return i
	}
	return len(Severities)
}

// AtLeast reports whether severity s is threshold or worse.
func AtLeast(s, threshold string) bool {
	return SeverityRank(s) <= SeverityRank(threshold) && SeverityRank(s) < len(Severities)
}

// Targets of rules.
const (
	TargetKubernetes = "kubernetes"
	TargetDockerfile = "dockerfile"
)

// Rule describes one check.
type Rule struct {
	ID    string
	Title string
	// Severity is the level after the configuration's overrides.
	Severity string
	// Target is TargetKubernetes or TargetDockerfile.
	Target      string
	Description string
	Remediation string
	// References are the guidance the rule implements (URLs).
	References []string
}

// Finding is one misconfiguration at one place.
type Finding struct {
	RuleID, Title, Severity string
	// File and Line locate the offending field (or, for a missing field, the object or
	// container that should carry it).
	File string
	Line int
	// Kind, Name and Namespace identify the Kubernetes object ("Dockerfile" and the stage name
	// for Dockerfiles); Container names the container, when the finding is about one.
	Kind, Name, Namespace, Container string
	// Source is the Helm template a rendered document came from ("# Source:" comment).
	Source      string
	Message     string
	Remediation string
}

// FileError is a file that could not be checked.
type FileError struct {
	File string
	// Line is where the problem is, when known.
	Line    int
	Message string
	// Err is the sentinel the problem matches (ErrMalformed, ErrTemplate, …).
	Err error
}

func (e FileError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
	}
	return loc + ": " + e.Message
}

func (e FileError) Unwrap() error { return e.Err }

// Skipped is a file a directory walk passed over, and why.
type Skipped struct {
	File, Reason string
}

// Result is the outcome of a check.
type Result struct {
	// Findings are ordered by file, line, rule and container.
	Findings []Finding
	// Files are the files checked: manifests with at least one Kubernetes object, and
	// Dockerfiles.
	Files []string
	// Objects counts the Kubernetes objects and Dockerfiles checked.
	Objects int
	// Errors are the files that could not be checked; a result with errors is partial.
	Errors []FileError
	// Skipped are files a directory walk found that hold nothing to check.
	Skipped []Skipped
	// Rules are the rules that ran (not disabled), with their configured severity.
	Rules []Rule
}

// Scan checks the files and directories at paths with a Scanner built from cfg (see
// Scanner.Scan). Callers that check repeatedly should keep a Scanner instead: it compiles the
// rules once.
func Scan(ctx context.Context, paths []string, cfg Config) (*Result, error) {
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s.Scan(ctx, paths)
}

// File is an input held in memory: its name decides how it is read (Dockerfile by name,
// anything else as YAML/JSON manifests).
type File struct {
	Name string
	Data []byte
}

// Scan checks the files and directories at paths. A file is checked whatever its name if it
// is a manifest (.yaml, .yml, .json) or a Dockerfile (Dockerfile, Dockerfile.*, *.Dockerfile,
// Containerfile), and is an error otherwise; a directory is walked for those names, without
// entering .git or node_modules, following symbolic links, or reading a Helm chart's
// templates/ (listed in Result.Skipped, with the files that hold no object and those matching
// Config.Skip). A path that does not exist is an error; files that cannot be checked are
// listed in Result.Errors and the rest are still checked. All files are checked together, so
// the rules that look across documents see them all.
func (s *Scanner) Scan(ctx context.Context, paths []string) (*Result, error) {
	files, skipped, errs, err := collect(ctx, paths, s.cfg.Skip)
	if err != nil {
		return nil, err
	}
	var in []File
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := readLimited(f.path)
		if err != nil {
			errs = append(errs, FileError{File: f.path, Message: err.Error(), Err: errorKind(err)})
			continue
		}
		in = append(in, File{Name: f.path, Data: data})
	}
	res, err := s.Check(ctx, in, explicitSet(files))
	if err != nil {
		return nil, err
	}
	res.Errors = append(res.Errors, errs...)
	res.Skipped = append(res.Skipped, skipped...)
	sortResult(res)
	return res, nil
}

func explicitSet(files []collected) map[string]bool {
	m := map[string]bool{}
	for _, f := range files {
		if f.explicit {
			m[f.path] = true
		}
	}
	return m
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, MaxFileSize)
	}
	return data, nil
}

func errorKind(err error) error {
	for _, s := range []error{ErrMalformed, ErrTemplate, ErrUnsupported, ErrTooLarge} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// Check checks files held in memory, as Scan checks files on disk. A manifest named in
// explicit (which may be nil) that holds no Kubernetes object is an error (ErrUnsupported);
// one not named there is skipped.
func (s *Scanner) Check(ctx context.Context, files []File, explicit map[string]bool) (*Result, error) {
	res := &Result{Rules: s.Rules()}
	var objs []Object
	var dfs []*Dockerfile
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if isDockerfile(f.Name) {
			df, err := ParseDockerfile(f.Name, f.Data)
			if err != nil {
				res.Errors = append(res.Errors, fileError(f.Name, err))
				continue
			}
			dfs = append(dfs, df)
			res.Files = append(res.Files, f.Name)
			continue
		}
		o, err := ParseManifests(f.Name, f.Data)
		switch {
		case err != nil:
			res.Errors = append(res.Errors, fileError(f.Name, err))
		case len(o) == 0 && explicit[f.Name]:
			res.Errors = append(res.Errors, FileError{File: f.Name, Message: "no Kubernetes objects (apiVersion and kind) in it", Err: ErrUnsupported})
		case len(o) == 0:
			res.Skipped = append(res.Skipped, Skipped{File: f.Name, Reason: "no Kubernetes objects"})
		default:
			objs = append(objs, o...)
			res.Files = append(res.Files, f.Name)
		}
	}
	res.Objects = len(objs) + len(dfs)
	found, err := s.eval(ctx, objs, dfs)
	if err != nil {
		return nil, err
	}
	res.Findings = found
	sortResult(res)
	return res, nil
}

// fileError turns a parse error into a FileError, keeping the line the message names.
func fileError(file string, err error) FileError {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, file+":"); ok {
		msg = rest
		var n int
		if _, e := fmt.Sscanf(rest, "%d:", &n); e == nil && n > 0 {
			line = n
			msg = strings.TrimPrefix(rest, fmt.Sprintf("%d:", n))
		}
		msg = strings.TrimSpace(msg)
	}
	if line == 0 {
		// yaml.v3 puts the line inside its message: "…: line 7: mapping values are not allowed".
		if i := strings.Index(msg, "line "); i >= 0 {
			var n int
			if _, e := fmt.Sscanf(msg[i:], "line %d", &n); e == nil && n > 0 {
				line = n
			}
		}
	}
	return FileError{File: file, Line: line, Message: msg, Err: errorKind(err)}
}

func sortResult(r *Result) {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Container, b.Container), cmp.Compare(a.Message, b.Message))
	})
	slices.Sort(r.Files)
	r.Files = slices.Compact(r.Files)
	slices.SortStableFunc(r.Errors, func(a, b FileError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	slices.SortStableFunc(r.Skipped, func(a, b Skipped) int { return cmp.Compare(a.File, b.File) })
}

// Count returns the number of findings at each severity.
func (r *Result) Count() map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		m[f.Severity]++
	}
	return m
}

// Partial reports whether some files could not be checked.
func (r *Result) Partial() bool { return len(r.Errors) > 0 }
