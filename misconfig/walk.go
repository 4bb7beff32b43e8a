package misconfig

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// collected is a file to check; explicit when the caller named it rather than a walk found it.
type collected struct {
	path     string
	explicit bool
}

// Directories a walk never enters: version control and package caches, which hold other
// people's YAML.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true}

// isDockerfile recognises Dockerfiles by name: Dockerfile, Containerfile, Dockerfile.<x>,
// <x>.Dockerfile (any case).
func isDockerfile(name string) bool {
	b := strings.ToLower(filepath.Base(name))
	return b == "dockerfile" || b == "containerfile" || strings.HasPrefix(b, "dockerfile.") ||
		strings.HasPrefix(b, "containerfile.") || strings.HasSuffix(b, ".dockerfile") || strings.HasSuffix(b, ".containerfile")
}

// isManifest recognises manifests by extension.
func isManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// collect expands paths: a file is checked whatever its name (if it is a manifest or a
// Dockerfile); a directory is walked for *.yaml, *.yml, *.json, Dockerfile, *.Dockerfile and
// Containerfile, without following symbolic links to directories. The templates/ directory of
// a Helm chart (beside Chart.yaml) is skipped: templates must be rendered to be checked. skip
// holds glob patterns (path.Match) matched against each path relative to the walked directory
// and against its base name.
func collect(ctx context.Context, paths []string, skip []string) ([]collected, []Skipped, []FileError, error) {
	var files []collected
	var skipped []Skipped
	var errs []FileError
	seen := map[string]bool{}
	add := func(p string, explicit bool) {
		if !seen[p] {
			seen[p] = true
			files = append(files, collected{path: p, explicit: explicit})
		}
	}
	for _, root := range paths {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("misconfig: %w", err)
		}
		if !fi.IsDir() {
			if !isDockerfile(root) && !isManifest(root) {
				errs = append(errs, FileError{File: root, Message: "not a Kubernetes manifest (.yaml, .yml, .json) or a Dockerfile (Dockerfile, *.Dockerfile, Containerfile)", Err: ErrUnsupported})
				continue
			}
			add(root, true)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err != nil {
				errs = append(errs, FileError{File: p, Message: err.Error(), Err: err})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if p != root && matchAny(skip, rel, d.Name()) {
				skipped = append(skipped, Skipped{File: p, Reason: "matches a skip pattern"})
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != root && skipDirs[d.Name()] {
					return fs.SkipDir
				}
				if d.Name() == "templates" {
					if _, err := os.Stat(filepath.Join(filepath.Dir(p), "Chart.yaml")); err == nil {
						skipped = append(skipped, Skipped{File: p, Reason: "Helm chart templates: render them (helm template) and check the output"})
						return fs.SkipDir
					}
				}
				return nil
			}
			if !isDockerfile(p) && !isManifest(p) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// Not followed: it could point anywhere on the machine running the check.
				skipped = append(skipped, Skipped{File: p, Reason: "symbolic link (not followed)"})
				return nil
			}
			if d.Type().IsRegular() {
				add(p, false)
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("misconfig: walking %s: %w", root, err)
		}
	}
	return files, skipped, errs, nil
}

func matchAny(patterns []string, rel, base string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		if ok, _ := path.Match(p, base); ok {
			return true
		}
		// "dir/**" skips everything under dir.
		if prefix, ok := strings.CutSuffix(p, "/**"); ok && (rel == prefix || strings.HasPrefix(rel, prefix+"/")) {
			return true
		}
	}
	return false
}
