package inventory

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	scalibrextractor "github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/hallmark-dev/hallmark/source"
)

// ErrUnrecognised is returned for a single-file target that no extractor understands. Pass a
// lockfile, manifest, Go binary, Java archive, image or SBOM, or the directory that holds it.
var ErrUnrecognised = errors.New("not a recognised lockfile, manifest, binary, archive or SBOM")

// Config configures Build. The zero value runs the default extractors.
type Config struct {
	// Extractors overrides the default list (Extractors()).
	Extractors []filesystem.Extractor
	// Progress, when set, receives human-readable progress for long work (image layers).
	Progress func(msg string)
}

// Build inventories a directory, file or image artifact. SBOM artifacts are decoded by the sbom
// room, not here. Files that cannot be read are recorded in Inventory.Errors and the rest is
// still inventoried; an error is returned only when nothing trustworthy can be said.
func Build(ctx context.Context, art *source.Artifact, cfg Config) (*Inventory, error) {
	exts := cfg.Extractors
	if exts == nil {
		var err error
		if exts, err = Extractors(); err != nil {
			return nil, err
		}
	}
	b := &builder{exts: exts, cfg: cfg}
	var inv *Inventory
	var err error
	switch art.Kind {
	case source.KindDirectory:
		inv, err = b.directory(ctx, art)
	case source.KindFile:
		inv, err = b.file(ctx, art)
	case source.KindImage:
		inv, err = b.image(ctx, art)
	default:
		return nil, fmt.Errorf("%s: cannot inventory a %s here", art.Name, art.Kind)
	}
	if err != nil {
		return nil, err
	}
	inv.Finalize()
	return inv, nil
}

type builder struct {
	exts []filesystem.Extractor
	cfg  Config

	mu       sync.Mutex
	found    []found
	errs     []FileError
	contents map[string][]byte // files read by hallmark's own readers (deps, licences), by path
	nextID   int
}

// found is one extractor result, before conversion.
type found struct {
	pkgs      []*scalibrextractor.Package
	extractor string
	path      string
}

// fileAPI implements filesystem.FileAPI for one candidate file.
type fileAPI struct {
	path string
	info fs.FileInfo
	stat func() (fs.FileInfo, error)
}

func (a *fileAPI) Path() string { return a.path }
func (a *fileAPI) Stat() (fs.FileInfo, error) {
	if a.info == nil && a.stat != nil {
		fi, err := a.stat()
		if err != nil {
			return nil, err
		}
		a.info = fi
	}
	if a.info == nil {
		return nil, fs.ErrNotExist
	}
	return a.info, nil
}

// required returns the extractors that want the file.
func (b *builder) required(api filesystem.FileAPI) []filesystem.Extractor {
	var out []filesystem.Extractor
	for _, e := range b.exts {
		if e.Requirements().ExtractFromDirs {
			continue
		}
		if e.FileRequired(api) {
			out = append(out, e)
		}
	}
	return out
}

// ownWanted reports files hallmark's own readers need besides the extractors' files.
func ownWanted(p string) bool {
	switch p {
	case "etc/os-release", "usr/lib/os-release", "lib/apk/db/installed":
		return true
	}
	if isDpkgFileList(p) {
		return true
	}
	return isOwnLicenseSource(p) || isGraphFile(p)
}

type task struct {
	path string
	info fs.FileInfo
	exts []filesystem.Extractor
}

// extractAll runs tasks on a pool of workers.
func (b *builder) extractAll(ctx context.Context, fsys scalibrfs.FS, root string, tasks <-chan task, layerOf func(string) string) {
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if ctx.Err() != nil {
					continue
				}
				for _, e := range t.exts {
					b.extractOne(ctx, fsys, root, t.path, t.info, e, layerOf)
				}
				if ownWanted(t.path) {
					b.keepContent(fsys, t.path)
				}
			}
		}()
	}
	wg.Wait()
}

// maxOwnRead bounds the files hallmark's own readers load (lockfiles for edges, licences).
const maxOwnRead = 64 << 20

func (b *builder) keepContent(fsys scalibrfs.FS, p string) {
	f, err := fsys.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOwnRead+1))
	if err != nil || len(data) > maxOwnRead {
		return
	}
	b.mu.Lock()
	if b.contents == nil {
		b.contents = map[string][]byte{}
	}
	b.contents[p] = data
	b.mu.Unlock()
}

func (b *builder) extractOne(ctx context.Context, fsys scalibrfs.FS, root, p string, info fs.FileInfo, e filesystem.Extractor, layerOf func(string) string) {
	f, err := fsys.Open(p)
	if err != nil {
		b.addErr(FileError{Path: p, LayerDigest: layerOf(p), Extractor: e.Name(), Message: err.Error()})
		return
	}
	defer f.Close()
	if info == nil {
		if info, err = f.Stat(); err != nil {
			b.addErr(FileError{Path: p, LayerDigest: layerOf(p), Extractor: e.Name(), Message: err.Error()})
			return
		}
	}
	if e.Name() == "java/archive" {
		if err := checkZipNames(f, info.Size()); err != nil {
			b.addErr(FileError{Path: p, LayerDigest: layerOf(p), Extractor: e.Name(), Message: err.Error()})
			return
		}
	}
	res, err := safeExtract(ctx, e, &filesystem.ScanInput{FS: fsys, Path: p, Root: root, Info: info, Reader: f})
	if err == nil && len(res) > 0 && e.Name() == "go/binary" {
		res = append(res, mainPackage(f, p)...)
	}
	if err != nil {
		b.addErr(FileError{Path: p, LayerDigest: layerOf(p), Extractor: e.Name(), Message: cleanMessage(err, p)})
	}
	if len(res) > 0 {
		b.mu.Lock()
		b.found = append(b.found, found{pkgs: res, extractor: e.Name(), path: p})
		b.mu.Unlock()
	}
}

// safeExtract runs one extractor, turning a panic inside a third-party parser into an error
// for that file rather than a crash of the whole run.
func safeExtract(ctx context.Context, e filesystem.Extractor, in *filesystem.ScanInput) (pkgs []*scalibrextractor.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("extractor %s crashed on this file: %v", e.Name(), r)
		}
	}()
	inv, err := e.Extract(ctx, in)
	return inv.Packages, err
}

func cleanMessage(err error, p string) string {
	m := err.Error()
	// Extractors often repeat the path; the FileError already names it.
	m = strings.ReplaceAll(m, p+": ", "")
	m = strings.TrimPrefix(m, "could not extract: ")
	// Nested archives wrap the same prefix once per level.
	for {
		i := strings.Index(m, "error(s) in extractor ")
		if i < 0 {
			break
		}
		j := strings.Index(m[i:], ": ")
		if j < 0 {
			break
		}
		m = m[:i] + m[i+j+2:]
	}
	if strings.Contains(m, "reached max zip depth") {
		m = "archives nested too deeply (more than 16 levels): " + m
	}
	return m
}

func (b *builder) addErr(e FileError) {
	b.mu.Lock()
	b.errs = append(b.errs, e)
	b.mu.Unlock()
}

func noLayer(string) string { return "" }

// directory walks a directory tree once: the walk feeds the extractors and the tree digest.
func (b *builder) directory(ctx context.Context, art *source.Artifact) (*Inventory, error) {
	root, err := filepath.Abs(art.Path)
	if err != nil {
		return nil, err
	}
	fsys := scalibrfs.DirFS(root)
	tasks := make(chan task, 64)
	done := make(chan struct{})
	go func() {
		b.extractAll(ctx, fsys, root, tasks, noLayer)
		close(done)
	}()
	var walked, queued atomic.Int64
	if b.cfg.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(2 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					b.cfg.Progress(fmt.Sprintf("walked %d files, %d read by extractors", walked.Load(), queued.Load()))
				case <-stop:
					return
				}
			}
		}()
	}
	digest, walkErrs, err := source.WalkDir(ctx, root, func(rel string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		walked.Add(1)
		api := &fileAPI{path: rel, stat: d.Info}
		exts := b.required(api)
		if len(exts) > 0 || ownWanted(rel) {
			queued.Add(1)
			tasks <- task{path: rel, exts: exts}
		}
		return nil
	})
	close(tasks)
	<-done
	if err != nil {
		return nil, fmt.Errorf("%s: %w", art.Name, err)
	}
	for _, we := range walkErrs {
		b.addErr(FileError{Path: we.Path, Message: we.Err.Error()})
	}
	art.Digest = digest
	inv := b.assemble(Subject{Kind: KindDirectory, Name: art.Name, Digest: digest}, fsys, nil)
	return inv, ctx.Err()
}

// file inventories a single file. When no extractor claims it by name, binaries and archives
// are recognised by their content.
func (b *builder) file(ctx context.Context, art *source.Artifact) (*Inventory, error) {
	abs, err := filepath.Abs(art.Path)
	if err != nil {
		return nil, err
	}
	dir, base := filepath.Split(abs)
	fsys := scalibrfs.DirFS(dir)
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", art.Name, err)
	}
	api := &fileAPI{path: base, info: info}
	exts := b.required(api)
	if len(exts) == 0 {
		exts = b.byContent(abs)
	}
	if len(exts) == 0 {
		return nil, fmt.Errorf("%s: %w", art.Name, ErrUnrecognised)
	}
	tasks := make(chan task, 1)
	tasks <- task{path: base, info: info, exts: exts}
	close(tasks)
	b.extractAll(ctx, fsys, dir, tasks, noLayer)
	if len(b.found) == 0 && len(b.errs) > 0 {
		// The one file could not be read: that is bad input, not a partial result.
		e := b.errs[0]
		return nil, fmt.Errorf("%s: %s: %w", art.Name, e.Message, ErrMalformed)
	}
	return b.assemble(Subject{Kind: KindFile, Name: art.Name, Digest: art.Digest}, fsys, nil), ctx.Err()
}

// ErrMalformed is returned when the only input file cannot be parsed. Fix or replace the file.
var ErrMalformed = errors.New("malformed input")

// byContent picks extractors for a file whose name says nothing: Go (and Rust auditable)
// binaries by executable magic, Java archives by zip magic.
func (b *builder) byContent(p string) []filesystem.Extractor {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil
	}
	var names []string
	switch {
	case bytes.Equal(head, []byte("\x7fELF")), bytes.Equal(head[:2], []byte("MZ")),
		bytes.Equal(head, []byte{0xfe, 0xed, 0xfa, 0xcf}), bytes.Equal(head, []byte{0xcf, 0xfa, 0xed, 0xfe}):
		names = []string{"go/binary", "rust/cargoauditable"}
	case bytes.Equal(head, []byte("PK\x03\x04")):
		names = []string{"java/archive"}
	}
	var out []filesystem.Extractor
	for _, e := range b.exts {
		if slices.Contains(names, e.Name()) {
			out = append(out, e)
		}
	}
	return out
}

// image squashes the layers (keeping only wanted files), then extracts from the squashed tree.
func (b *builder) image(ctx context.Context, art *source.Artifact) (*Inventory, error) {
	im := art.Image
	want := func(p string, info fs.FileInfo) bool {
		if ownWanted(p) {
			return true
		}
		exts := b.required(&fileAPI{path: p, info: info})
		if len(exts) == 0 {
			return false
		}
		// The binary extractors ask for every executable and shared object. Static archives
		// and object files (Go's pkg/*.a alone is hundreds of MB in a toolchain image) can
		// never carry Go or Rust build info, so they are not kept.
		if ext := path.Ext(p); ext == ".a" || ext == ".o" {
			for _, e := range exts {
				if n := e.Name(); n != "go/binary" && n != "rust/cargoauditable" {
					return true
				}
			}
			return false
		}
		return true
	}
	var progress func(done, total int, l source.Layer)
	if b.cfg.Progress != nil {
		progress = func(done, total int, l source.Layer) {
			b.cfg.Progress(fmt.Sprintf("read layer %d/%d %s", done, total, shortDigest(l.Digest)))
		}
	}
	tree, err := im.Squash(ctx, source.SquashOptions{Want: want, Progress: progress})
	if err != nil {
		return nil, err
	}
	layerOf := func(p string) string {
		if i := tree.LayerOf(p); i >= 0 {
			return im.Layers[i].Digest
		}
		return ""
	}
	for _, pr := range tree.Problems() {
		fe := FileError{Path: pr.Path, Message: pr.Err.Error()}
		if pr.Layer >= 0 {
			fe.LayerDigest = im.Layers[pr.Layer].Digest
		}
		b.addErr(fe)
	}
	tasks := make(chan task, 64)
	done := make(chan struct{})
	go func() {
		b.extractAll(ctx, tree, "", tasks, layerOf)
		close(done)
	}()
	_ = tree.Files(func(p string, info fs.FileInfo) error {
		exts := b.required(&fileAPI{path: p, info: info})
		if len(exts) > 0 || ownWanted(p) {
			tasks <- task{path: p, info: info, exts: exts}
		}
		return nil
	})
	close(tasks)
	<-done
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	subj := Subject{Kind: KindImage, Name: art.Name, Digest: art.Digest}
	if len(im.RepoTags) > 0 {
		subj.Name = im.RepoTags[0]
		if _, tag, ok := strings.Cut(path.Base(im.RepoTags[0]), ":"); ok {
			subj.Version = tag
		}
	}
	subj.PURL = imagePURL(subj.Name, art.Digest)
	attr := &layerAttribution{tree: tree, layers: im.Layers, b: b, ctx: ctx}
	return b.assemble(subj, tree, attr), nil
}

func shortDigest(d string) string {
	if _, h, ok := strings.Cut(d, ":"); ok && len(h) > 12 {
		return h[:12]
	}
	return d
}

// imagePURL builds pkg:oci/<name>@<digest>?repository_url=<repo> for an image subject.
func imagePURL(ref, digest string) string {
	if digest == "" {
		return ""
	}
	repo := ref
	if i := strings.LastIndex(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	name := path.Base(repo)
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, " \\") {
		return ""
	}
	name = strings.ToLower(name)
	q := ""
	if strings.Contains(repo, "/") && !strings.HasPrefix(repo, "/") && !strings.HasPrefix(repo, ".") {
		q = "?repository_url=" + pathEscapeQuery(strings.ToLower(repo))
	}
	return "pkg:oci/" + name + "@" + strings.ReplaceAll(digest, ":", "%3A") + q
}

func pathEscapeQuery(s string) string {
	var sb strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-', c == '_', c == '~', c == '/':
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

// checkZipNames refuses a Java archive whose entry names climb out of the archive ("zip slip").
// hallmark never extracts archives to disk, but such an archive is hostile by construction and
// its contents cannot be trusted to describe a package.
func checkZipNames(f fs.File, size int64) error {
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil // not a zip: the extractor reports it
	}
	if _, err := f.(io.Seeker).Seek(0, io.SeekStart); err != nil {
		return err
	}
	for _, zf := range zr.File {
		n := strings.ReplaceAll(zf.Name, "\\", "/")
		if strings.HasPrefix(n, "/") || slices.Contains(strings.Split(n, "/"), "..") {
			return fmt.Errorf("archive entry %q climbs out of the archive (zip slip): refusing the archive", zf.Name)
		}
	}
	return nil
}

// mainPackage reports the main package of a Go binary built outside any module (the Go
// toolchain's own commands: "cmd/compile", "cmd/vet"), which osv-scalibr leaves out because the
// build info names no main module. Without it, the application itself is missing from the SBOM.
func mainPackage(f fs.File, p string) []*scalibrextractor.Package {
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil
	}
	bi, err := buildinfo.Read(ra)
	if err != nil || bi.Main.Path != "" || bi.Path == "" {
		return nil
	}
	return []*scalibrextractor.Package{{Name: bi.Path, PURLType: "golang", Location: scalibrextractor.LocationFromPath(p)}}
}
