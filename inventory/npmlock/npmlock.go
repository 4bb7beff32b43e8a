// Package npmlock is hallmark's extractor for npm's package-lock.json and npm-shrinkwrap.json
// (lockfile versions 1, 2 and 3): every package the lockfile installs, with its version, its
// dev/optional/bundled groups, where it was resolved from, the git commit it is pinned to and the
// line of its entry. It is an osv-scalibr filesystem.Extractor, so the inventory runs it like
// any other, and it reports what osv-scalibr's javascript/packagelockjson extractor reports for
// the same file; the package's equivalence test holds it to that.
//
// It replaces osv-scalibr's extractor for speed. That one finds each entry's line with a JSON
// path query over the whole file, which is quadratic: on testdata/scan/npm-2000 (2,440 entries,
// 1.2 MB) it took 0.9-1.2 s of CPU, 86% of a whole `hallmark scan`. This one decodes the file
// once with encoding/json and finds every line in one more pass over the bytes: 22-27 ms, about
// 40 times faster (BenchmarkExtract), and that scan went from about 1 s to 0.11 s.
//
// Its name is "javascript/package-lock", not osv-scalibr's: it is a different plugin with its
// own version, and the inventory finds extractors by name, so one name for two implementations
// would make that lookup and the found-by of every package ambiguous.
//
// Where osv-scalibr's answer depended on Go's map order (which copy of a package installed at
// several paths gave its line), this one is deterministic: the first copy in the file.
package npmlock

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/metadata"
	scalibrinv "github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// Name is the extractor's name, which inventory records as a package's found-by.
const Name = "javascript/package-lock"

// Extractor extracts npm packages from package-lock.json and npm-shrinkwrap.json files.
type Extractor struct {
	maxSize int64 // 0: no limit
}

// New returns the extractor. A positive cfg.MaxFileSizeBytes makes it skip larger files.
func New(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	return &Extractor{maxSize: cfg.GetMaxFileSizeBytes()}, nil
}

// Name of the extractor.
func (e *Extractor) Name() string { return Name }

// Version of the extractor.
func (e *Extractor) Version() int { return 0 }

// Requirements of the extractor: none.
func (e *Extractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

// FileRequired accepts package-lock.json and npm-shrinkwrap.json outside node_modules: a
// lockfile inside an installed package describes how that package was developed, not what
// the project installed.
func (e *Extractor) FileRequired(api filesystem.FileAPI) bool {
	p := filepath.ToSlash(api.Path())
	if base := path.Base(p); base != "package-lock.json" && base != "npm-shrinkwrap.json" {
		return false
	}
	if slices.Contains(strings.Split(path.Dir(p), "/"), "node_modules") {
		return false
	}
	info, err := api.Stat()
	if err != nil {
		return false
	}
	return e.maxSize <= 0 || info.Size() <= e.maxSize
}

// Extract reads one lockfile. A package-lock.json next to an npm-shrinkwrap.json yields
// nothing: npm installs from the shrinkwrap then, and that file is extracted instead.
func (e *Extractor) Extract(ctx context.Context, in *filesystem.ScanInput) (scalibrinv.Inventory, error) {
	if path.Base(filepath.ToSlash(in.Path)) == "package-lock.json" && in.FS != nil {
		sw := path.Join(path.Dir(filepath.ToSlash(in.Path)), "npm-shrinkwrap.json")
		if f, err := in.FS.Open(sw); err == nil {
			f.Close()
			return scalibrinv.Inventory{}, nil
		}
	}
	if in.Reader == nil {
		return scalibrinv.Inventory{}, fmt.Errorf("%s: no reader", in.Path)
	}
	data, err := io.ReadAll(in.Reader)
	if err != nil {
		return scalibrinv.Inventory{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	if err := ctx.Err(); err != nil {
		return scalibrinv.Inventory{}, err
	}
	pkgs, err := parse(in.Path, data)
	if err != nil {
		return scalibrinv.Inventory{}, err
	}
	return scalibrinv.Inventory{Packages: pkgs}, nil
}

// parse extracts the packages of one lockfile, whose path is recorded in their locations.
// Errors name the file.
func parse(file string, data []byte) ([]*extractor.Package, error) {
	lock, err := decode(file, data)
	if err != nil {
		return nil, err
	}
	var c collector
	if lock.Packages != nil {
		lines := packageLines(data)
		for installPath, p := range lock.Packages {
			if installPath == "" || p.Link {
				// The root project, and symlinks to workspace members (the members have their
				// own entries).
				continue
			}
			at, ok := lines[installPath]
			if !ok {
				at = unknown
			}
			c.addPackage(installPath, p, at)
		}
	} else if err := c.addDependencies(file, lock.Dependencies, dependencyLines(data)); err != nil {
		return nil, err
	}
	return c.packages(file), nil
}

// entry is one package as the lockfile lists it, before copies are merged.
type entry struct {
	key                         string // name@version, or name@commit
	name, version, commit, repo string
	groups                      []string
	source                      metadata.NPMPackageSource
	at                          position
}

// unknown is the position of an entry the line index did not find (see lines.go).
var unknown = position{line: 0, off: -1}

// before reports whether e comes before o in the file. Entries whose position is unknown come
// last, in an order of their own fields, so that the choice between them does not depend on
// Go's map order (copies that tie there give the same package whichever is chosen).
func (e *entry) before(o *entry) bool {
	switch {
	case e.at.off >= 0 && o.at.off >= 0:
		return e.at.off < o.at.off
	case e.at.off >= 0 || o.at.off >= 0:
		return e.at.off >= 0
	}
	return cmp.Or(strings.Compare(e.version, o.version), strings.Compare(e.repo, o.repo), strings.Compare(e.name, o.name)) < 0
}

// collector merges the copies of a package installed at several paths: one package per name
// and version (or commit), in the groups all copies share (none if any copy is a production
// dependency) and from the best source any copy names; its line and other fields are the
// first copy's.
type collector struct {
	byKey map[string]*entry
	list  []*entry
}

func (c *collector) add(key string, e entry) {
	if c.byKey == nil {
		c.byKey = map[string]*entry{}
	}
	old, ok := c.byKey[key]
	if !ok {
		e.key = key
		c.byKey[key] = &e
		c.list = append(c.list, &e)
		return
	}
	groups := mergeGroups(old.groups, e.groups)
	source := old.source
	if sourceRank(e.source) > sourceRank(source) {
		source = e.source
	}
	if e.before(old) {
		e.key = key
		*old = e
	}
	old.groups, old.source = groups, source
}

// mergeGroups: a package is in a group only when every copy is; no groups means production.
func mergeGroups(a, b []string) []string {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// packages returns the merged packages, in the order of their first lines.
func (c *collector) packages(file string) []*extractor.Package {
	slices.SortFunc(c.list, func(a, b *entry) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	out := make([]*extractor.Package, 0, len(c.list))
	for _, e := range c.list {
		groups := e.groups
		if groups == nil {
			groups = []string{}
		}
		typ := purl.TypeNPM
		if e.commit != "" {
			typ = purl.TypeGit
		}
		out = append(out, &extractor.Package{
			Name:       e.name,
			Version:    e.version,
			SourceCode: &extractor.SourceCodeIdentifier{Commit: e.commit, Repo: e.repo},
			PURLType:   typ,
			Metadata:   &metadata.JavascriptPackageMetadata{DepGroupVals: groups, Source: e.source},
			Location:   extractor.LocationFromPathAndLine(file, e.at.line),
		})
	}
	return out
}

// addPackage adds an entry of a version 2 or 3 lockfile's "packages".
func (c *collector) addPackage(installPath string, p lockPackage, at position) {
	name := p.Name // set when the install path is an alias
	if name == "" {
		name = nameFromPath(installPath)
	}
	commit := commitOf(p.Resolved)
	if commit == "" && p.Version != "" {
		commit = commitOf(p.Version)
	}
	// Copies pinned to one commit are one package whatever version they claim.
	key, repo := p.Version, ""
	if commit != "" {
		key = commit
		if repo = repoOf(p.Resolved); repo == "" && p.Version != "" {
			repo = repoOf(p.Version)
		}
	}
	c.add(name+"@"+key, entry{
		name: name, version: p.Version, commit: commit, repo: repo,
		groups: p.groups(), source: sourceOf(p.Resolved, commit), at: at,
	})
}

// nameFromPath returns the package name an install path ends in: "…/node_modules/@s/b" → "@s/b".
func nameFromPath(p string) string {
	name := path.Base(p)
	if scope := path.Base(path.Dir(p)); strings.HasPrefix(scope, "@") {
		return scope + "/" + name
	}
	return name
}

// addDependencies adds the entries of a version 1 lockfile's "dependencies" tree, nested
// entries first.
func (c *collector) addDependencies(file string, deps map[string]lockDependency, lines map[string]*depNode) error {
	for name, d := range deps {
		at := unknown
		var nested map[string]*depNode
		if node := lines[name]; node != nil {
			nested, at = node.deps, node.at
		}
		if d.Dependencies != nil {
			if err := c.addDependencies(file, d.Dependencies, nested); err != nil {
				return err
			}
		}
		key := d.Version
		version := d.Version
		// An alias installs "npm:real-name@version" under another name.
		if rest, ok := strings.CutPrefix(d.Version, "npm:"); ok {
			at := strings.LastIndexByte(rest, '@')
			if at < 0 {
				return &parseError{file: file, msg: fmt.Sprintf("dependency %q: alias %q names no version", name, d.Version)}
			}
			name, version = rest[:at], rest[at+1:]
		}
		commit, repo := "", ""
		if strings.HasPrefix(d.Version, "file:") {
			// A local directory or tarball has no version anyone can look up.
			version = ""
		} else {
			if commit = commitOf(d.Version); commit == "" && d.Resolved != "" {
				commit = commitOf(d.Resolved)
			}
			if commit != "" {
				// Version 1 writes the git URL where the version goes: the package has no
				// version, and copies pinned to one commit are one package.
				version, key = "", commit
				if repo = repoOf(d.Version); repo == "" && d.Resolved != "" {
					repo = repoOf(d.Resolved)
				}
			}
		}
		c.add(name+"@"+key, entry{
			name: name, version: version, commit: commit, repo: repo,
			groups: d.groups(), source: sourceOf(d.Resolved, commit), at: at,
		})
	}
	return nil
}
