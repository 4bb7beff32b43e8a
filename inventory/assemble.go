package inventory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	scalibrextractor "github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/hallmark-dev/hallmark/source"
)

// assemble converts the extractor results into an Inventory and adds what hallmark reads
// itself: the distro, dependency edges, declared licences and, for images, the layer that
// introduced each package.
func (b *builder) assemble(subj Subject, fsys scalibrfs.FS, attr *layerAttribution) *Inventory {
	inv := &Inventory{Subject: subj, Errors: b.errs}
	inv.Distro = readDistro(fsys)
	byFile := map[string][]*Package{}
	owned := b.osOwnedFiles()
	for _, f := range b.found {
		if declarationExtractors[f.extractor] && owned[f.path] {
			// A lockfile or manifest that an OS package installed (a Go source tree's go.mod
			// files, /usr/share/doc/*/requirements.txt, the Gemfile.lock a gem ships) describes
			// how that package's upstream was developed, not software installed in the
			// artifact; the OS package itself already stands for it.
			continue
		}
		var first []*Package
		for _, sp := range f.pkgs {
			b.nextID++
			p := convert(sp, f, b.nextID)
			if p == nil {
				continue
			}
			first = append(first, p)
		}
		if attr != nil {
			attr.attribute(f, first)
		}
		for _, p := range first {
			inv.Packages = append(inv.Packages, p)
			byFile[p.mainPath()] = append(byFile[p.mainPath()], p)
		}
	}
	b.addGraphs(inv, byFile)
	b.addLicenses(inv, fsys)
	// Packages no edge reaches are contained by the subject itself.
	reached := map[*Package]bool{}
	ids := map[string]*Package{}
	for _, p := range inv.Packages {
		ids[p.ID] = p
	}
	for _, r := range inv.Relationships {
		if p := ids[r.To]; p != nil {
			reached[p] = true
		}
	}
	for _, p := range inv.Packages {
		if !reached[p] {
			inv.Relationships = append(inv.Relationships, Relationship{From: SubjectRef, To: p.ID})
		}
	}
	return inv
}

// convert maps one scalibr package to hallmark's Package. It assigns a temporary ID, unique in
// the run, that Finalize replaces with a stable one.
func convert(sp *scalibrextractor.Package, f found, n int) *Package {
	if sp.Name == "" || (f.extractor == "java/archive" && sp.Name == "unknown") {
		// The Java archive extractor names what it cannot identify "unknown"; that is not a
		// package anyone can look up.
		return nil
	}
	p := &Package{
		ID:      fmt.Sprintf("tmp-%d", n),
		Name:    sp.Name,
		Version: sp.Version,
		FoundBy: f.extractor,
	}
	if eco := sp.Ecosystem(); !eco.IsEmpty() {
		p.Ecosystem = eco.String()
	}
	if f.extractor == "go/binary" && sp.Name == "go" {
		// The toolchain a binary was built with is what Go advisories call "stdlib".
		p.Name = "stdlib"
	}
	if p.Ecosystem == "Go" && p.Name != "stdlib" {
		p.Version = goVersion(p.Version)
	}
	if pu := sp.PURL(); pu != nil {
		if p.Name == "stdlib" && pu.Name == "go" {
			pu.Name = "stdlib"
		}
		if p.Ecosystem == "Go" {
			pu.Version = p.Version
		}
		p.PURL = canonicalPURL(pu.String())
	}
	loc := Location{Path: f.path}
	if d := sp.Location.Descriptor; d != nil && d.File != nil && d.File.Path != "" {
		loc.Path = strings.TrimPrefix(d.File.Path, "/")
		loc.Line = d.File.LineNumber
	}
	p.Locations = []Location{loc}
	for _, l := range sp.Licenses {
		if l = strings.TrimSpace(l); l != "" {
			p.Licenses = append(p.Licenses, l)
		}
	}
	switch m := sp.Metadata.(type) {
	case *dpkgmeta.Metadata:
		p.Name = m.PackageName
		p.Supplier = m.Maintainer
		src := SourcePackage{Name: m.SourceName, Version: m.SourceVersion}
		if src.Name == "" {
			src.Name = m.PackageName
		}
		if src.Version == "" {
			src.Version = m.PackageVersion
		}
		p.Source = &src
	case *apkmeta.Metadata:
		p.Name = m.PackageName
		p.Supplier = m.Maintainer
		src := SourcePackage{Name: m.OriginName, Version: sp.Version}
		if src.Name == "" {
			src.Name = m.PackageName
		}
		p.Source = &src
	case *rpmmeta.Metadata:
		p.Name = m.PackageName
		p.Supplier = m.Vendor
		if n, v, ok := parseSourceRPM(m.SourceRPM); ok {
			p.Source = &SourcePackage{Name: n, Version: v}
		}
	}
	return p
}

// parseSourceRPM splits "name-version-release.src.rpm" into name and "version-release".
func parseSourceRPM(s string) (name, version string, ok bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".rpm"), ".src")
	i := strings.LastIndex(s, "-")
	if i <= 0 {
		return "", "", false
	}
	j := strings.LastIndex(s[:i], "-")
	if j <= 0 {
		return "", "", false
	}
	return s[:j], s[j+1:], true
}

// readDistro reads os-release (etc/os-release, then usr/lib/os-release).
func readDistro(fsys scalibrfs.FS) *Distro {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		f, err := fsys.Open(p)
		if err != nil {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(f, 64<<10))
		f.Close()
		if err != nil {
			continue
		}
		kv := ParseOSRelease(data)
		if kv["ID"] == "" {
			continue
		}
		return &Distro{ID: kv["ID"], VersionID: kv["VERSION_ID"], Codename: kv["VERSION_CODENAME"], PrettyName: kv["PRETTY_NAME"]}
	}
	return nil
}

// ParseOSRelease parses the os-release format (freedesktop.org): KEY=value lines, values
// optionally in single or double quotes with backslash escapes; comments and junk are ignored.
func ParseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	for line := range bytes.Lines(data) {
		l := strings.TrimSpace(string(line))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				var sb strings.Builder
				for i := 0; i < len(v); i++ {
					if v[i] == '\\' && i+1 < len(v) {
						i++
					}
					sb.WriteByte(v[i])
				}
				v = sb.String()
			}
		}
		out[k] = v
	}
	return out
}

// layerAttribution finds the layer that introduced each package of an image.
type layerAttribution struct {
	ctx    context.Context
	tree   *source.Tree
	layers []source.Layer
	b      *builder
}

// attribute sets each package's layer. A package database (dpkg status, apk installed, rpmdb)
// is rewritten by every layer that installs something, so the layer that last wrote the file is
// not the layer that introduced the package: for files with several retained copies, the
// extractor is run on each older copy, and a package is attributed to the earliest layer from
// which it is present in every later copy.
func (a *layerAttribution) attribute(f found, pkgs []*Package) {
	for _, p := range pkgs {
		for i := range p.Locations {
			if li := a.tree.LayerOf(p.Locations[i].Path); li >= 0 {
				p.Locations[i].LayerDigest = a.layers[li].Digest
				p.Locations[i].LayerDiffID = a.layers[li].DiffID
			}
		}
	}
	hist := a.tree.History(f.path)
	if len(hist) < 2 {
		return
	}
	var ext filesystem.Extractor
	for _, e := range a.b.exts {
		if e.Name() == f.extractor {
			ext = e
		}
	}
	if ext == nil {
		return
	}
	// present[j] holds the identities found in copy j (the last copy is the current one).
	present := make([]map[string]bool, len(hist))
	present[len(hist)-1] = nil
	for j := 0; j < len(hist)-1; j++ {
		r, err := a.tree.OpenVersion(hist[j])
		if err != nil {
			continue
		}
		info, err := a.tree.Stat(f.path)
		if err != nil {
			r.Close()
			continue
		}
		res, err := safeExtract(a.ctx, ext, &filesystem.ScanInput{FS: a.tree, Path: f.path, Info: versionInfo{info, hist[j].Size}, Reader: r})
		r.Close()
		if err != nil {
			continue
		}
		set := map[string]bool{}
		for _, sp := range res {
			set[sp.Name+"\x00"+sp.Version] = true
		}
		present[j] = set
	}
	for _, p := range pkgs {
		key := p.Name + "\x00" + p.Version
		first := len(hist) - 1
		for j := len(hist) - 2; j >= 0; j-- {
			if present[j] == nil || !present[j][key] {
				break
			}
			first = j
		}
		li := hist[first].Layer
		p.Locations[0].LayerDigest = a.layers[li].Digest
		p.Locations[0].LayerDiffID = a.layers[li].DiffID
	}
}

// versionInfo reports an older copy's size under the current file's other metadata.
type versionInfo struct {
	fs.FileInfo
	size int64
}

func (v versionInfo) Size() int64 { return v.size }

func isLicenseFile(p string) bool {
	// usr/share/doc/<package>/copyright (Debian)
	if strings.HasPrefix(p, "usr/share/doc/") && path.Base(p) == "copyright" && strings.Count(p, "/") == 4 {
		return true
	}
	return false
}

// declarationExtractors read manifests and lockfiles: files that say what a project was built
// from, as opposed to evidence that something is installed (package databases, installed
// metadata, binaries, archives).
var declarationExtractors = map[string]bool{
	"go/gomod": true, "javascript/package-lock": true, "javascript/yarnlock": true,
	"javascript/pnpmlock": true, "javascript/bunlock": true, "python/requirements": true,
	"python/poetrylock": true, "python/pipfilelock": true, "python/uvlock": true,
	"python/pdmlock": true, "python/pylock": true, "java/pomxml": true,
	"java/gradlelockfile": true, "rust/cargolock": true, "ruby/gemfilelock": true,
	"php/composerlock": true, "dotnet/packageslockjson": true, "dotnet/packagesconfig": true,
	"dart/pubspec": true, "elixir/mixlock": true, "cpp/conanlock": true,
	"swift/packageresolved": true, "swift/podfilelock": true, "haskell/cabal": true,
	"haskell/stacklock": true, "r/renvlock": true,
}

// isDpkgFileList matches var/lib/dpkg/info/<package>[:arch].list.
func isDpkgFileList(p string) bool {
	return strings.HasPrefix(p, "var/lib/dpkg/info/") && strings.HasSuffix(p, ".list") && strings.Count(p, "/") == 4
}

// osOwnedFiles lists the files installed by dpkg (info/*.list) and apk (installed db F:/R:),
// relative to the artifact root. rpm's file lists live inside the rpmdb and are not read.
func (b *builder) osOwnedFiles() map[string]bool {
	owned := map[string]bool{}
	for p, data := range b.contents {
		switch {
		case isDpkgFileList(p):
			for line := range bytes.Lines(data) {
				if f := strings.TrimPrefix(strings.TrimSpace(string(line)), "/"); f != "" {
					owned[f] = true
				}
			}
		case p == "lib/apk/db/installed":
			dir := ""
			for line := range bytes.Lines(data) {
				l := strings.TrimSpace(string(line))
				switch {
				case strings.HasPrefix(l, "F:"):
					dir = l[2:]
				case strings.HasPrefix(l, "R:"):
					owned[path.Join(dir, l[2:])] = true
				}
			}
		}
	}
	return owned
}
