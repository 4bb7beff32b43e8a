package inventory

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/inventory/deps"
	"github.com/hallmark-dev/hallmark/inventory/license"
)

// canonicalPURL returns the canonical form of a purl produced by an extractor, or the input
// when it does not parse (then it is still the extractor's best description).
func canonicalPURL(s string) string {
	c, err := purl.Canonical(s)
	if err != nil {
		return s
	}
	if !strings.HasPrefix(c, "pkg:npm/") || !strings.Contains(c, "source=") {
		return c
	}
	p, err := purl.Parse(c)
	if err != nil {
		return c
	}
	// osv-scalibr marks npm packages with a private "source" qualifier (PUBLIC_REGISTRY,
	// UNKNOWN) that the npm purl type does not define; it would make one package look like two.
	if p.Qualifier("source") != "" {
		var q []purl.Qualifier
		for _, kv := range p.Qualifiers {
			if kv.Key != "source" {
				q = append(q, kv)
			}
		}
		p.Qualifiers = q
		return p.String()
	}
	return c
}

// goVersion gives Go module versions their "v" back: osv-scalibr strips it (OSV's Go ranges
// are written without it), but Go, purls and every other SBOM tool write "v1.2.3".
func goVersion(v string) string {
	if v == "" || strings.HasPrefix(v, "v") || strings.HasPrefix(v, "(") {
		return v
	}
	return "v" + v
}

func isGraphFile(p string) bool {
	_, ok := deps.ForPath(p)
	return ok
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// joinKey is how graph nodes and extracted packages are matched within one file.
func joinKey(ecosystem, name, version string) string {
	n := name
	if ecosystem == "Go" {
		version = strings.TrimPrefix(version, "v")
	}
	if ecosystem == "PyPI" || strings.HasPrefix(ecosystem, "PyPI") {
		n = pep503.ReplaceAllString(strings.ToLower(n), "-")
	}
	return n + "\x00" + version
}

// addGraphs reads the dependency graph of every lockfile that produced packages and turns it
// into relationships, scopes and dev flags.
func (b *builder) addGraphs(inv *Inventory, byFile map[string][]*Package) {
	paths := make([]string, 0, len(byFile))
	for p := range byFile {
		paths = append(paths, p)
	}
	// Deterministic order for errors and edges.
	slices.Sort(paths)
	for _, file := range paths {
		parser, ok := deps.ForPath(file)
		if !ok {
			continue
		}
		data, ok := b.contents[file]
		if !ok {
			continue
		}
		g, err := parser.Parse(file, bytes.NewReader(data))
		if err != nil {
			layer := ""
			if ps := byFile[file]; len(ps) > 0 {
				layer = ps[0].mainLayer()
			}
			inv.Errors = append(inv.Errors, FileError{Path: file, LayerDigest: layer, Extractor: parser.Name, Message: "dependency graph: " + err.Error()})
			continue
		}
		pkgs := byFile[file]
		eco := ""
		if len(pkgs) > 0 {
			eco = pkgs[0].Ecosystem
		}
		byKey := map[string][]*Package{}
		for _, p := range pkgs {
			k := joinKey(p.Ecosystem, p.Name, p.Version)
			byKey[k] = append(byKey[k], p)
		}
		nodePkgs := map[string][]*Package{}
		roots := map[string]bool{}
		devOnly := map[*Package]bool{}
		for _, n := range g.Nodes {
			ps := byKey[joinKey(eco, n.Name, n.Version)]
			nodePkgs[n.Key] = ps
			if n.Root {
				roots[n.Key] = true
				continue
			}
			for _, p := range ps {
				switch {
				case n.Direct:
					p.Scope = ScopeDirect
				case n.DirectKnown && p.Scope == "":
					p.Scope = ScopeTransitive
				}
				if prev, seen := devOnly[p]; !seen {
					devOnly[p] = n.Dev
				} else {
					devOnly[p] = prev && n.Dev
				}
			}
		}
		for p, dev := range devOnly {
			p.Dev = dev
		}
		for _, e := range g.Edges {
			var froms []string
			if e.From == "" || roots[e.From] {
				froms = []string{SubjectRef}
			} else {
				for _, p := range nodePkgs[e.From] {
					froms = append(froms, p.ID)
				}
			}
			for _, f := range froms {
				for _, t := range nodePkgs[e.To] {
					inv.Relationships = append(inv.Relationships, Relationship{From: f, To: t.ID})
				}
			}
		}
	}
}

// isOwnLicenseSource reports files whose declared licences hallmark reads itself.
func isOwnLicenseSource(p string) bool {
	base := path.Base(p)
	switch {
	case base == "package.json" && strings.Contains(p, "node_modules/"):
		return true
	case base == "METADATA" && strings.HasSuffix(path.Dir(p), ".dist-info"):
		return true
	case base == "PKG-INFO" && strings.HasSuffix(path.Dir(p), ".egg-info"):
		return true
	}
	return isLicenseFile(p)
}

// addLicenses fills declared licences the extractors do not report, and normalises all of them
// to SPDX expressions where possible.
func (b *builder) addLicenses(inv *Inventory, fsys fs.FS) {
	// Java archives are opened once each, and released before the next one.
	byJar := map[string][]*Package{}
	var jarPaths []string
	for _, p := range inv.Packages {
		if len(p.Licenses) == 0 {
			p.Licenses = b.declaredLicenses(p)
		}
		if len(p.Licenses) == 0 && p.FoundBy == "java/archive" && len(p.Locations) > 0 {
			jp := p.Locations[0].Path
			if byJar[jp] == nil {
				jarPaths = append(jarPaths, jp)
			}
			byJar[jp] = append(byJar[jp], p)
		}
	}
	for _, jp := range jarPaths {
		if zr := openJar(fsys, jp); zr != nil {
			for _, p := range byJar[jp] {
				p.Licenses = jarLicenses(zr, p)
			}
		}
	}
	for _, p := range inv.Packages {
		for i, l := range p.Licenses {
			if expr, ok := license.Normalize(l); ok {
				p.Licenses[i] = expr
			}
		}
	}
}

func (b *builder) declaredLicenses(p *Package) []string {
	main := p.mainPath()
	var (
		data []byte
		read func([]byte) ([]string, error)
	)
	switch {
	case p.FoundBy == "javascript/packagejson":
		data, read = b.contents[main], func(d []byte) ([]string, error) { return license.FromPackageJSON(bytes.NewReader(d)) }
	case p.FoundBy == "python/wheelegg" && (path.Base(main) == "METADATA" || path.Base(main) == "PKG-INFO"):
		data, read = b.contents[main], func(d []byte) ([]string, error) { return license.FromPythonMetadata(bytes.NewReader(d)) }
	case p.FoundBy == "os/dpkg":
		data, read = b.contents["usr/share/doc/"+p.Name+"/copyright"], func(d []byte) ([]string, error) { return license.FromDebianCopyright(bytes.NewReader(d)) }
	}
	if data == nil || read == nil {
		return nil
	}
	l, err := read(data)
	if err != nil {
		// A licence we cannot read is unknown, not a failure of the inventory.
		return nil
	}
	return l
}

// maxJarForLicences bounds the archives opened again for their POM licences; the Java
// extractor has already read them, so a larger one is just skipped (licence unknown).
const maxJarForLicences = 256 << 20

// jarLicenses reads the licences declared in the POM a Java archive carries
// (META-INF/maven/<group>/<artifact>/pom.xml) for a package named "group:artifact". Archives
// nested inside others are not reopened.
func jarLicenses(zr *zip.Reader, p *Package) []string {
	group, artifact, ok := strings.Cut(p.Name, ":")
	if !ok {
		return nil
	}
	f, err := zr.Open("META-INF/maven/" + group + "/" + artifact + "/pom.xml")
	if err != nil {
		return nil
	}
	defer f.Close()
	l, err := license.FromPOM(f)
	if err != nil {
		return nil
	}
	return l
}

func openJar(fsys fs.FS, p string) *zip.Reader {
	if fsys == nil {
		return nil
	}
	fi, err := fs.Stat(fsys, p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxJarForLicences {
		return nil
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil
	}
	// The archive is read into memory: the reader must outlive this call, and fs.File does
	// not promise io.ReaderAt.
	data, err := io.ReadAll(io.LimitReader(f, maxJarForLicences))
	f.Close()
	if err != nil {
		return nil
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	return zr
}
