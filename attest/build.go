package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hallmark-dev/hallmark/source"
)

// DefaultBuilderID is the builder id `hallmark build` records when none is given: a local,
// unattested machine (SLSA Build L1 at most). A CI system that vouches for its runners passes
// its own id, and verifiers pin it.
const DefaultBuilderID = "https://hallmark.dev/builders/local@v1"

// Sentinel errors of LocalBuild.Run and ParseProvenance.
var (
	// ErrBuildFailed: the build command could not start or exited unsuccessfully. Nothing is
	// attested: provenance of a failed build would vouch for whatever the output directory
	// happens to hold. Fix the build and run it again.
	ErrBuildFailed = errors.New("build command failed")

	// ErrNoSubjects: the build succeeded but its output directory holds no regular file, so
	// there is nothing to attest. Check --output-dir.
	ErrNoSubjects = errors.New("no build outputs")

	// ErrInvalidProvenance: a predicate is not SLSA Provenance v1 (not a JSON object of that
	// shape, or a required field is missing). The input is malformed, not merely unexpected.
	ErrInvalidProvenance = errors.New("invalid SLSA provenance v1 predicate")
)

// SourceTreeName is the name of the resolved dependency holding the source tree digest: the
// same digest `hallmark sbom`/`scan` give the source directory (source.WalkDir), so an SBOM of
// the checkout and the provenance of its build can be tied together.
const SourceTreeName = "source-tree"

// LocalBuild is one run of a build command on this machine, to be recorded as SLSA Provenance
// v1 of build type BuildTypeLocal.
type LocalBuild struct {
	// Command is the argv to run; Command[0] is looked up in PATH.
	Command []string
	// WorkDir is where the command runs; it is recorded as an absolute path.
	WorkDir string
	// SourceDir is the git checkout the build is from.
	SourceDir string
	// OutputDir holds the outputs: every regular file under it after the build is a subject.
	OutputDir string
	// BuilderID is recorded as runDetails.builder.id; empty means DefaultBuilderID.
	BuilderID string
	// Env holds the allow-listed environment variables recorded as internal parameters. The
	// command itself inherits the whole environment: only what is listed here is disclosed.
	Env map[string]string
	// The command's standard streams; nil means no input and discarded output.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// BuildRecord is what a successful LocalBuild produced: its outputs and their provenance.
type BuildRecord struct {
	Subjects   []Subject
	Provenance Provenance
}

// Run records the source, runs the command, and on success hashes the outputs. The source is
// described before the command runs: provenance names the inputs, and a build that writes
// into its own checkout must not turn its tree dirty after the fact. A dirty tree is recorded
// (annotation "dirty"), not refused: refusing is the verifier's call.
func (b LocalBuild) Run(ctx context.Context) (*BuildRecord, error) {
	if len(b.Command) == 0 {
		return nil, fmt.Errorf("%w: no command given", ErrBuildFailed)
	}
	builder := b.BuilderID
	if builder == "" {
		builder = DefaultBuilderID
	}
	workDir, err := filepath.Abs(b.WorkDir)
	if err != nil {
		return nil, err
	}
	git, err := GitSource(ctx, b.SourceDir)
	if err != nil {
		return nil, err
	}
	tree, errs, err := source.WalkDir(ctx, b.SourceDir, func(string, fs.DirEntry) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("source tree %s: %w", b.SourceDir, err)
	}
	if len(errs) > 0 {
		// A digest that silently leaves files out would describe a tree that never existed.
		return nil, fmt.Errorf("source tree %s: cannot read %s: %w", b.SourceDir, errs[0].Path, errs[0].Err)
	}
	_, treeHex, _ := strings.Cut(tree, ":")

	started := time.Now().UTC()
	cmd := exec.CommandContext(ctx, b.Command[0], b.Command[1:]...)
	cmd.Dir = workDir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = b.Stdin, b.Stdout, b.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBuildFailed, strings.Join(b.Command, " "), err)
	}
	finished := time.Now().UTC()

	subjects, err := outputSubjects(ctx, b.OutputDir)
	if err != nil {
		return nil, err
	}
	env := map[string]any{}
	for k, v := range b.Env {
		env[k] = v
	}
	return &BuildRecord{
		Subjects: subjects,
		Provenance: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType: BuildTypeLocal,
				ExternalParameters: map[string]any{
					"command":          b.Command,
					"workingDirectory": workDir,
					"source":           map[string]any{"uri": git.URI, "digest": git.Digest},
				},
				InternalParameters: map[string]any{"env": env},
				ResolvedDependencies: []ResourceDescriptor{
					git,
					{Name: SourceTreeName, Digest: map[string]string{"sha256": treeHex}},
				},
			},
			RunDetails: RunDetails{
				Builder: Builder{ID: builder},
				Metadata: &BuildMetadata{
					InvocationID: uuid.New().URN(),
					StartedOn:    &started,
					FinishedOn:   &finished,
				},
			},
		},
	}, nil
}

// Statement returns the in-toto statement of the record: its subjects, predicate type
// SLSAProvenanceV1 and the provenance, ready for sign.SignStatement.
func (r *BuildRecord) Statement() ([]byte, error) {
	pred, err := json.Marshal(r.Provenance)
	if err != nil {
		return nil, err
	}
	return New(r.Subjects, SLSAProvenanceV1, pred)
}

// outputSubjects names every regular file under dir by its slash-separated path relative to
// dir, with its SHA-256, in lexical order. Symlinks and other special files are not outputs:
// a symlink's target could change after signing.
func outputSubjects(ctx context.Context, dir string) ([]Subject, error) {
	var subjects []Subject
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		s, err := FileSubject(filepath.ToSlash(rel), f)
		if err != nil {
			return err
		}
		subjects = append(subjects, s)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the build did not create %s: %v", ErrNoSubjects, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: %s holds no regular file after the build", ErrNoSubjects, dir)
	}
	return subjects, nil
}

// ParseProvenance decodes an SLSA Provenance v1 predicate. Unknown fields are ignored, as the
// SLSA parsing rules require of consumers; the fields the spec marks REQUIRED (buildType,
// externalParameters, builder.id) must be present.
func ParseProvenance(b []byte) (*Provenance, error) {
	var p Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	switch {
	case p.BuildDefinition.BuildType == "":
		return nil, fmt.Errorf("%w: buildDefinition.buildType is missing", ErrInvalidProvenance)
	case p.BuildDefinition.ExternalParameters == nil:
		return nil, fmt.Errorf("%w: buildDefinition.externalParameters is missing", ErrInvalidProvenance)
	case p.RunDetails.Builder.ID == "":
		return nil, fmt.Errorf("%w: runDetails.builder.id is missing", ErrInvalidProvenance)
	}
	return &p, nil
}

// ProvenanceSource is the git source of a provenance, as VerifyProvenance reads it.
type ProvenanceSource struct {
	Repo   string // repository URI without "git+", ".git" or ref
	Ref    string // "refs/heads/main", "" if none
	Commit string
	// Dirty is nil when the provenance does not say whether the tree was clean.
	Dirty *bool
}

// Source returns the git source among the resolved dependencies (the first "git+" URI with a
// gitCommit digest), false if there is none.
func (p *Provenance) Source() (ProvenanceSource, bool) {
	src, ok := p.source()
	if !ok {
		return ProvenanceSource{}, false
	}
	out := ProvenanceSource{Repo: repoOf(src.URI), Ref: refOf(src.URI), Commit: src.Digest["gitCommit"]}
	if d, known := src.Annotations["dirty"].(bool); known {
		out.Dirty = &d
	}
	return out, true
}
