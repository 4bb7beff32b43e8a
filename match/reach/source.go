package reach

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// SourceOptions configures Source. The zero value analyses for the running platform with the
// module cache and standard library found from the environment.
type SourceOptions struct {
	// ModCache is the module cache (GOMODCACHE layout: path@version directories, escaped).
	// nil uses $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else ~/go/pkg/mod.
	ModCache fs.FS
	// GOROOT is the Go installation whose src/ holds the standard library. nil uses $GOROOT,
	// else the GOROOT of the toolchain that built hallmark.
	GOROOT fs.FS
	// GOOS and GOARCH select the files that build; empty means the running platform.
	GOOS, GOARCH string
	// Tags are extra build tags.
	Tags []string
}

// ErrNoModule is returned by Source when the tree has no readable go.mod at its root.
var ErrNoModule = errors.New("not a Go module")

// Source analyses a Go module tree (fsys rooted at the directory holding go.mod): the packages
// imported by the main module's non-test files and, through the module cache and the
// standard library sources, transitively by them; and the functions and methods their code
// may call. It reads no types, so it over-approximates: a method counts as called when any
// reached code selects a method of that name, and every function of the main module counts
// as reached. When sources are missing (no module cache, a module not downloaded, no GOROOT)
// the result is Partial, with what is missing in Reason.
func Source(ctx context.Context, fsys fs.FS, opts SourceOptions) (*Symbols, error) {
	data, err := fs.ReadFile(fsys, "go.mod")
	if err != nil {
		return nil, fmt.Errorf("%w: go.mod: %v", ErrNoModule, err)
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoModule, err)
	}
	if mf.Module == nil || mf.Module.Mod.Path == "" {
		return nil, fmt.Errorf("%w: go.mod: no module directive", ErrNoModule)
	}
	a := &analysis{
		ctx:     ctx,
		s:       newSymbols(),
		main:    fsys,
		modPath: mf.Module.Mod.Path,
		pkgs:    map[string]*srcPkg{},
		reached: map[string]bool{},
	}
	a.s.GOOS, a.s.GOARCH = cmpOr(opts.GOOS, runtime.GOOS), cmpOr(opts.GOARCH, runtime.GOARCH)
	a.setup(mf, opts)

	mainDirs, err := a.mainPackages()
	if err != nil {
		return nil, err
	}
	if len(mainDirs) == 0 {
		return nil, fmt.Errorf("%w: no Go packages under the go.mod", ErrNoModule)
	}
	for _, d := range mainDirs {
		if _, err := a.load(a.modPath+strings.TrimPrefix("/"+d, "/."), rootMain, d); err != nil {
			return nil, err
		}
	}
	if err := a.loadAll(); err != nil {
		return nil, err
	}
	if err := a.walk(); err != nil {
		return nil, err
	}
	a.s.selected = a.selected
	return a.s, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Roots of the virtual filesystem the go/build context sees.
const (
	rootMain  = "/main"
	rootCache = "/modcache"
	rootGo    = "/goroot"
)

type analysis struct {
	ctx     context.Context
	s       *Symbols
	bctx    build.Context
	main    fs.FS
	cache   fs.FS
	goroot  fs.FS
	modPath string
	reqs    map[string]module.Version // module path → the version (or replacement) to read
	local   map[string]string         // module path → directory inside the main tree (replace ./dir)
	vendor  bool

	pkgs     map[string]*srcPkg
	queue    []string // import paths still to load
	reached  map[string]bool
	selected map[string]bool
	work     []node
}

// srcPkg is one package's declarations and what each of them references.
type srcPkg struct {
	path   string
	name   string
	main   bool // part of the main module: every declaration is reached
	opaque bool // sources not read
	decls  map[string]*refs
	byName map[string][]string // method name → "T.M" keys
	init   []*refs             // init functions and package-level initialisers
	files  []*fileInfo
}

type fileInfo struct {
	imports map[string]string // local name → import path ("" name for unaliased, resolved later)
	unnamed []string          // import paths imported without a name
	dots    []string
}

// refs are the identifiers one declaration uses.
type refs struct {
	file   *fileInfo
	idents map[string]bool
	quals  map[string]map[string]bool // X → Sel for X.Sel with X a bare identifier
	sels   map[string]bool            // other selector names
}

type node struct{ pkg, key string }

func (a *analysis) setup(mf *modfile.File, opts SourceOptions) {
	a.reqs = map[string]module.Version{}
	a.local = map[string]string{}
	for _, r := range mf.Require {
		a.reqs[r.Mod.Path] = r.Mod
	}
	for _, r := range mf.Replace {
		if _, ok := a.reqs[r.Old.Path]; !ok || r.Old.Version != "" && r.Old.Version != a.reqs[r.Old.Path].Version {
			continue
		}
		if r.New.Version != "" {
			a.reqs[r.Old.Path] = r.New
			continue
		}
		// A directory replacement: readable only when it stays inside the tree.
		if dir := path.Clean(filepath.ToSlash(r.New.Path)); fs.ValidPath(dir) {
			a.local[r.Old.Path] = dir
		} else {
			a.local[r.Old.Path] = ""
		}
	}
	if _, err := fs.Stat(a.main, "vendor/modules.txt"); err == nil {
		a.vendor = true
	}
	a.cache = opts.ModCache
	if a.cache == nil {
		if dir := defaultModCache(); dir != "" {
			a.cache = os.DirFS(dir)
		}
	}
	a.goroot = opts.GOROOT
	if a.goroot == nil {
		if dir := cmpOr(os.Getenv("GOROOT"), runtime.GOROOT()); dir != "" {
			a.goroot = os.DirFS(dir)
		}
	}
	a.selected = map[string]bool{}

	a.bctx = build.Default
	a.bctx.GOOS, a.bctx.GOARCH = a.s.GOOS, a.s.GOARCH
	if a.bctx.GOOS != runtime.GOOS || a.bctx.GOARCH != runtime.GOARCH {
		a.bctx.CgoEnabled = false
	}
	a.bctx.BuildTags = opts.Tags
	a.bctx.GOROOT, a.bctx.GOPATH, a.bctx.Dir = "", "", ""
	a.bctx.JoinPath = path.Join
	a.bctx.IsAbsPath = func(p string) bool { return strings.HasPrefix(p, "/") }
	a.bctx.SplitPathList = func(string) []string { return nil }
	a.bctx.HasSubdir = func(root, dir string) (string, bool) { return "", false }
	a.bctx.IsDir = func(p string) bool {
		fsys, rel := a.resolve(p)
		fi, err := fs.Stat(fsys, rel)
		return err == nil && fi.IsDir()
	}
	a.bctx.ReadDir = func(p string) ([]fs.FileInfo, error) {
		fsys, rel := a.resolve(p)
		ents, err := fs.ReadDir(fsys, rel)
		if err != nil {
			return nil, err
		}
		out := make([]fs.FileInfo, 0, len(ents))
		for _, e := range ents {
			if fi, err := e.Info(); err == nil {
				out = append(out, fi)
			}
		}
		return out, nil
	}
	a.bctx.OpenFile = func(p string) (io.ReadCloser, error) {
		fsys, rel := a.resolve(p)
		return fsys.Open(rel)
	}
}

// resolve maps a virtual path to its filesystem.
func (a *analysis) resolve(p string) (fs.FS, string) {
	for _, r := range []struct {
		root string
		fsys fs.FS
	}{{rootMain, a.main}, {rootCache, a.cache}, {rootGo, a.goroot}} {
		if rest, ok := strings.CutPrefix(p, r.root); ok && r.fsys != nil && (rest == "" || rest[0] == '/') {
			rest = strings.TrimPrefix(rest, "/")
			if rest == "" {
				rest = "."
			}
			return r.fsys, rest
		}
	}
	return emptyFS{}, "."
}

type emptyFS struct{}

func (emptyFS) Open(string) (fs.File, error) { return nil, fs.ErrNotExist }

func defaultModCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// mainPackages lists the directories of the main module that hold Go files, leaving out
// testdata, vendor, hidden directories and nested modules.
func (a *analysis) mainPackages() ([]string, error) {
	var dirs []string
	err := fs.WalkDir(a.main, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if d.IsDir() {
			n := d.Name()
			if p != "." && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return fs.SkipDir
			}
			if p != "." {
				if _, err := fs.Stat(a.main, path.Join(p, "go.mod")); err == nil {
					return fs.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			if dir := path.Dir(p); len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	slices.Sort(dirs)
	return slices.Compact(dirs), err
}

// locate finds the virtual directory of an import path, or "" with the reason it is unread.
func (a *analysis) locate(ip string) (string, string) {
	if ip == a.modPath || strings.HasPrefix(ip, a.modPath+"/") {
		return path.Join(rootMain, strings.TrimPrefix(ip, a.modPath)), ""
	}
	first, _, _ := strings.Cut(ip, "/")
	if !strings.Contains(first, ".") {
		if a.goroot == nil {
			return "", "standard library sources not found (set GOROOT)"
		}
		return path.Join(rootGo, "src", ip), ""
	}
	if rest, ok := strings.CutPrefix(ip, "vendor/"); ok {
		return path.Join(rootGo, "src/vendor", rest), ""
	}
	if a.vendor {
		return path.Join(rootMain, "vendor", ip), ""
	}
	best := ""
	for m := range a.reqs {
		if (ip == m || strings.HasPrefix(ip, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	for m := range a.local {
		if (ip == m || strings.HasPrefix(ip, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	if best == "" {
		return "", "go.mod has no requirement providing " + ip
	}
	rest := strings.TrimPrefix(ip, best)
	if dir, ok := a.local[best]; ok {
		if dir == "" {
			return "", "the replacement of " + best + " lies outside the analysed tree"
		}
		return path.Join(rootMain, dir, rest), ""
	}
	v := a.reqs[best]
	ep, err1 := module.EscapePath(v.Path)
	ev, err2 := module.EscapeVersion(v.Version)
	if err1 != nil || err2 != nil {
		return "", "go.mod requirement " + v.String() + " is not a valid module version"
	}
	if a.cache == nil {
		return "", "no module cache found (run go mod download, or set GOMODCACHE)"
	}
	dir := path.Join(rootCache, ep+"@"+ev)
	if !a.bctx.IsDir(dir) {
		return "", "module cache lacks " + v.String() + " (run go mod download)"
	}
	return path.Join(dir, rest), ""
}

// load reads and parses one package; vdir is its virtual directory ("" to locate it).
func (a *analysis) load(ip, root, dir string) (*srcPkg, error) {
	if p := a.pkgs[ip]; p != nil {
		return p, nil
	}
	if err := a.ctx.Err(); err != nil {
		return nil, err
	}
	p := &srcPkg{path: ip, decls: map[string]*refs{}, byName: map[string][]string{},
		main: ip == a.modPath || strings.HasPrefix(ip, a.modPath+"/")}
	a.pkgs[ip] = p
	a.s.addPackage(ip)
	vdir := ""
	if dir != "" {
		vdir = path.Join(root, dir)
	} else if ip == "unsafe" || ip == "C" {
		return p, nil // no source: unsafe is built in, C is cgo's pseudo-package
	} else {
		var why string
		if vdir, why = a.locate(ip); vdir == "" {
			p.opaque = true
			a.s.opaque[ip] = true
			a.s.partial(why)
			return p, nil
		}
	}
	bp, err := a.bctx.ImportDir(vdir, 0)
	if err != nil {
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return p, nil // nothing builds on this platform: present, with no code
		}
		if p.main {
			return nil, fmt.Errorf("%s: %v", strings.TrimPrefix(vdir, rootMain+"/"), err)
		}
		p.opaque = true
		a.s.opaque[ip] = true
		a.s.partial(fmt.Sprintf("%s: %v", ip, err))
		return p, nil
	}
	p.name = bp.Name
	fset := token.NewFileSet()
	for _, name := range append(slices.Clone(bp.GoFiles), bp.CgoFiles...) {
		fp := path.Join(vdir, name)
		rc, err := a.bctx.OpenFile(fp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fp, err)
		}
		src, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fp, err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			if p.main {
				return nil, fmt.Errorf("%s: %v", strings.TrimPrefix(fp, rootMain+"/"), err)
			}
			a.s.partial(fmt.Sprintf("%s: %v", ip, err))
		}
		if f != nil {
			p.addFile(f)
		}
	}
	for _, imp := range bp.Imports {
		if strings.HasPrefix(vdir, rootGo+"/") && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
			imp = "vendor/" + imp // the standard library vendors its golang.org/x dependencies
		}
		if a.pkgs[imp] == nil {
			a.queue = append(a.queue, imp)
		}
	}
	return p, nil
}

func (a *analysis) loadAll() error {
	for len(a.queue) > 0 {
		ip := a.queue[0]
		a.queue = a.queue[1:]
		if _, err := a.load(ip, "", ""); err != nil {
			return err
		}
	}
	return nil
}

// addFile records the declarations of one file and what each references.
func (p *srcPkg) addFile(f *ast.File) {
	fi := &fileInfo{imports: map[string]string{}}
	p.files = append(p.files, fi)
	for _, imp := range f.Imports {
		ip, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		switch {
		case imp.Name == nil:
			fi.unnamed = append(fi.unnamed, ip)
		case imp.Name.Name == ".":
			fi.dots = append(fi.dots, ip)
		case imp.Name.Name != "_":
			fi.imports[imp.Name.Name] = ip
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			r := collect(fi, d)
			if d.Recv == nil {
				if d.Name.Name == "init" {
					p.init = append(p.init, r)
					continue
				}
				p.merge(d.Name.Name, r)
				continue
			}
			if len(d.Recv.List) == 1 {
				if t := recvType(d.Recv.List[0].Type); t != "" {
					key := t + "." + d.Name.Name
					p.merge(key, r)
					p.byName[d.Name.Name] = append(p.byName[d.Name.Name], key)
				}
			}
		case *ast.GenDecl:
			if d.Tok == token.VAR {
				p.init = append(p.init, collect(fi, d))
			}
		}
	}
}

func (p *srcPkg) merge(key string, r *refs) {
	if old := p.decls[key]; old != nil {
		p.init = append(p.init, r) // a duplicate (other build variant): keep both reachable
		return
	}
	p.decls[key] = r
}

// recvType returns the receiver's base type name: (*T[K]) → T.
func recvType(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

func collect(fi *fileInfo, n ast.Node) *refs {
	r := &refs{file: fi, idents: map[string]bool{}, quals: map[string]map[string]bool{}, sels: map[string]bool{}}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok {
				if r.quals[x.Name] == nil {
					r.quals[x.Name] = map[string]bool{}
				}
				r.quals[x.Name][n.Sel.Name] = true
				r.idents[x.Name] = true
				return false
			}
			r.sels[n.Sel.Name] = true
			ast.Inspect(n.X, func(m ast.Node) bool { return visit(m) })
			return false
		case *ast.Ident:
			r.idents[n.Name] = true
		}
		return true
	}
	ast.Inspect(n, visit)
	return r
}

// walk propagates reachability from the roots: every declaration of the main module, and the
// initialisers of every loaded package.
func (a *analysis) walk() error {
	for _, p := range a.pkgs {
		for key := range p.decls {
			if p.main {
				a.reach(p.path, key)
			}
		}
	}
	for _, p := range a.pkgs {
		for _, r := range p.init {
			a.follow(p, r)
		}
	}
	for len(a.work) > 0 {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		n := a.work[len(a.work)-1]
		a.work = a.work[:len(a.work)-1]
		p := a.pkgs[n.pkg]
		if r := p.decls[n.key]; r != nil {
			a.follow(p, r)
		}
	}
	return nil
}

func (a *analysis) reach(pkg, key string) {
	k := pkg + "\x00" + key
	if a.reached[k] {
		return
	}
	a.reached[k] = true
	a.s.add(pkg, key)
	if p := a.pkgs[pkg]; p != nil && p.decls[key] != nil {
		a.work = append(a.work, node{pkg, key})
	}
}

// importName is the name a file refers to an import by.
func (a *analysis) importName(ip string) string {
	if p := a.pkgs[ip]; p != nil && p.name != "" {
		return p.name
	}
	// Sources not read: guess as the go command's convention does, from the last element
	// without a major-version suffix.
	elem := path.Base(ip)
	if strings.HasPrefix(elem, "v") && allDigits(elem[1:]) && strings.Contains(ip, "/") {
		elem = path.Base(path.Dir(ip))
	}
	elem = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSuffix(elem, ".go"), "-go"), "go-")
	return strings.NewReplacer(".", "_", "-", "_").Replace(elem)
}

func (a *analysis) follow(p *srcPkg, r *refs) {
	named := map[string]string{}
	for name, ip := range r.file.imports {
		named[name] = p.importPath(ip)
	}
	for _, ip := range r.file.unnamed {
		ip = p.importPath(ip)
		named[a.importName(ip)] = ip
	}
	for x, sels := range r.quals {
		ip, isPkg := named[x]
		for sel := range sels {
			if isPkg {
				a.reach(ip, sel)
			} else {
				a.selectName(sel)
			}
		}
	}
	for id := range r.idents {
		if _, isPkg := named[id]; isPkg {
			continue
		}
		if p.decls[id] != nil {
			a.reach(p.path, id)
		}
		for _, ip := range r.file.dots {
			if q := a.pkgs[p.importPath(ip)]; q != nil && q.decls[id] != nil {
				a.reach(q.path, id)
			}
		}
	}
	for sel := range r.sels {
		a.selectName(sel)
	}
}

// importPath maps an import as written in p to the loaded package's path (the standard
// library's vendored golang.org/x packages are loaded under vendor/).
func (p *srcPkg) importPath(ip string) string {
	if !p.main && isStd(p.path) && strings.Contains(strings.SplitN(ip, "/", 2)[0], ".") {
		return "vendor/" + ip
	}
	return ip
}

func isStd(ip string) bool {
	first, _, _ := strings.Cut(ip, "/")
	return !strings.Contains(first, ".") || strings.HasPrefix(ip, "vendor/")
}

// selectName records a selected method name and reaches every method so named.
func (a *analysis) selectName(m string) {
	if a.selected[m] {
		return
	}
	a.selected[m] = true
	for _, p := range a.pkgs {
		for _, key := range p.byName[m] {
			a.reach(p.path, key)
		}
	}
}
