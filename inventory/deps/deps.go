// Package deps reads the dependency graph that a lockfile, manifest or OS package database
// records, for the inventory step of the loop: osv-scalibr's extractors say which packages
// a file names but not who depends on whom nor which ones the project chose itself, so
// inventory joins the nodes of a Graph to the extracted packages by (name, version) within
// the same file to fill Package.Scope, Package.Dev and Inventory.Relationships. Parsers
// read only the one file they are given and fetch nothing; what the file does not say is
// left unknown (DirectKnown false, no edges) rather than guessed.
package deps

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Graph is the dependency graph recorded in one lockfile or package database.
//
// Nodes are sorted by Key and Edges by (From, To). Every edge refers to nodes of the graph,
// except that From == "" stands for the root project, the file's owner. The root has an edge
// to exactly the nodes that are Direct.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Node is one package instance in the file.
type Node struct {
	// Key is unique within the graph and opaque: "name@version" for most formats, the
	// install path for npm ("node_modules/a/node_modules/b"), the snapshot key for pnpm
	// ("name@1.0.0(peer@2.0.0)"), "name:arch" for dpkg.
	Key string
	// Name and Version are as osv-scalibr reports them for the same file, so the two can be
	// joined (Go versions without the leading "v", Ruby versions without the platform).
	Name, Version string
	// Direct is set when the root project, or one of its own packages (Root), depends on the
	// package directly.
	Direct bool
	// DirectKnown is set when the file records the root's dependencies, so that a node that
	// is not Direct is known to be transitive.
	DirectKnown bool
	// Dev marks a development-only dependency, where the format records it or where it
	// follows from the root's dev dependencies (see the parser's doc).
	Dev bool
	// Root marks the project's own packages: workspace members, Cargo crates without a
	// source, uv's editable root. They are neither direct nor transitive dependencies;
	// the packages they depend on are Direct.
	Root bool
}

// Edge is a dependency: From depends on To. From == "" is the root project.
type Edge struct {
	From, To string
}

// Parser reads one kind of file.
type Parser struct {
	// Name identifies the parser, e.g. "npm/package-lock".
	Name string
	// Version changes whenever the parser's output for the same input changes.
	Version int
	// Match reports whether the parser reads the file at path (slash- or OS-separated,
	// relative to the artifact root).
	Match func(path string) bool
	// Parse reads the file. path is used in error messages only. A dependency that cannot
	// be resolved within the file is not an error: its edge is left out.
	Parse func(path string, r io.Reader) (*Graph, error)
}

// MaxFileSize is the largest file a parser reads (64 MiB), well above the largest real
// lockfiles; larger input is refused with ErrTooLarge rather than held in memory.
const MaxFileSize = 64 << 20

// Errors returned by Parse, matched with errors.Is. In both cases the caller should record
// the file as unreadable (inventory.FileError) and go on with the other files.
var (
	// ErrInvalid means the file is not a well-formed file of the parser's kind, or goes
	// beyond a limit that keeps hostile input from taking unbounded time or memory
	// (nesting depth, npm install path length, 1<<20 edges). The message names the file
	// and, where known, the line.
	ErrInvalid = errors.New("invalid file")
	// ErrTooLarge means the file is larger than MaxFileSize.
	ErrTooLarge = errors.New("file larger than deps.MaxFileSize")
)

// Parsers returns every parser, in a fixed order. This is the only registry.
func Parsers() []Parser {
	return []Parser{
		{Name: "npm/package-lock", Version: 1, Match: matchNPM, Parse: parseNPM},
		{Name: "npm/yarn-lock", Version: 1, Match: matchBase("yarn.lock"), Parse: parseYarn},
		{Name: "npm/pnpm-lock", Version: 1, Match: matchBase("pnpm-lock.yaml"), Parse: parsePNPM},
		{Name: "go/go-mod", Version: 1, Match: matchBase("go.mod"), Parse: parseGoMod},
		{Name: "rust/cargo-lock", Version: 1, Match: matchBase("Cargo.lock"), Parse: parseCargo},
		{Name: "python/poetry-lock", Version: 1, Match: matchBase("poetry.lock"), Parse: parsePoetry},
		{Name: "python/uv-lock", Version: 1, Match: matchBase("uv.lock"), Parse: parseUV},
		{Name: "python/pipfile-lock", Version: 1, Match: matchBase("Pipfile.lock"), Parse: parsePipfile},
		{Name: "python/requirements", Version: 1, Match: matchRequirements, Parse: parseRequirements},
		{Name: "php/composer-lock", Version: 1, Match: matchBase("composer.lock"), Parse: parseComposer},
		{Name: "ruby/gemfile-lock", Version: 1, Match: matchBase("Gemfile.lock", "gems.locked"), Parse: parseGemfile},
		{Name: "dotnet/packages-lock", Version: 1, Match: matchBase("packages.lock.json"), Parse: parseNuGet},
		{Name: "java/pom-xml", Version: 1, Match: matchBase("pom.xml"), Parse: parsePOM},
		{Name: "os/dpkg", Version: 1, Match: matchDpkg, Parse: parseDpkg},
		{Name: "os/apk", Version: 1, Match: matchAPK, Parse: parseAPK},
	}
}

// ForPath returns the first parser that reads the file at path.
func ForPath(p string) (Parser, bool) {
	for _, ps := range Parsers() {
		if ps.Match(p) {
			return ps, true
		}
	}
	return Parser{}, false
}

// cleanPath makes p slash-separated and relative, the form the matchers compare.
func cleanPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return strings.TrimLeft(path.Clean("/"+p), "/")
}

func matchBase(names ...string) func(string) bool {
	return func(p string) bool {
		base := path.Base(cleanPath(p))
		for _, n := range names {
			if base == n {
				return true
			}
		}
		return false
	}
}

// inNodeModules reports whether p lies inside a node_modules directory: lockfiles there
// belong to installed packages, not to the project (osv-scalibr skips them too).
func inNodeModules(p string) bool {
	dir := path.Dir(cleanPath(p))
	for _, part := range strings.Split(dir, "/") {
		if part == "node_modules" {
			return true
		}
	}
	return false
}

// readAll reads r, refusing more than MaxFileSize bytes.
func readAll(path string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w", path, ErrTooLarge)
	}
	return b, nil
}

// formatError is an ErrInvalid that names the file and, when known, the line.
type formatError struct {
	path string
	line int
	msg  string
}

func (e *formatError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.path, e.line, e.msg)
	}
	return e.path + ": " + e.msg
}

func (e *formatError) Unwrap() error { return ErrInvalid }

func invalid(path string, line int, format string, args ...any) error {
	return &formatError{path: path, line: line, msg: fmt.Sprintf(format, args...)}
}
