package source

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image formats.
const (
	FormatOCILayout     = "oci-layout"
	FormatOCIArchive    = "oci-archive"
	FormatDockerArchive = "docker-archive"
	FormatRegistry      = "registry"
)

// Image is an opened container image. Its layers are read by Squash.
type Image struct {
	// Format is one of the Format* constants.
	Format string
	// Ref is the image reference or path.
	Ref string
	// Digest is the subject digest: the manifest digest, or for docker-save tarballs (which
	// carry no manifest) the image ID, which is the config digest.
	Digest string
	// ManifestDigest is empty for docker-save tarballs.
	ManifestDigest string
	// ConfigDigest is the image ID.
	ConfigDigest string
	// RepoTags are the tags recorded in a docker-save tarball or the OCI layout annotation.
	RepoTags []string
	Config   *v1.ConfigFile
	Layers   []Layer

	limits Limits
	tmpDir string
}

// Layer is one filesystem layer of an image.
type Layer struct {
	// Digest is the layer's blob digest as in the manifest. For layers stored uncompressed
	// (docker-save tarballs) it is the DiffID.
	Digest string
	// DiffID is the digest of the uncompressed tar.
	DiffID    string
	Size      int64
	MediaType string
	// CreatedBy is the history command that made the layer, when the config records it.
	CreatedBy string

	// layer reads the blob, unless open is set.
	layer v1.Layer
	// verifyCompressed is true when Digest names the compressed bytes we read.
	verifyCompressed bool
	// open, when set, returns the layer's bytes as stored (compressed or not), bypassing
	// go-containerregistry's decompression; used for docker-save members (see
	// openDockerArchive).
	open func() (io.ReadCloser, error)
}

// Close removes temporary files.
func (im *Image) Close() error {
	if im.tmpDir != "" {
		err := os.RemoveAll(im.tmpDir)
		im.tmpDir = ""
		return err
	}
	return nil
}

func platformOf(opts Options) (*v1.Platform, error) {
	if opts.Platform == "" {
		return &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(opts.Platform)
	if err != nil {
		return nil, fmt.Errorf("--platform %q: %w", opts.Platform, err)
	}
	return p, nil
}

// openLayout opens an OCI image layout directory.
func openLayout(dir string, opts Options) (*Image, error) {
	return openLayoutAs(dir, dir, FormatOCILayout, opts)
}

func openLayoutAs(dir, display, format string, opts Options) (*Image, error) {
	lim := opts.Limits.withDefaults()
	if err := checkSize(filepath.Join(dir, "index.json"), lim.MaxMetadataBytes); err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", display, err)
	}
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: reading OCI layout: %v: %w", display, err, ErrCorrupt)
	}
	plat, err := platformOf(opts)
	if err != nil {
		return nil, err
	}
	img, tags, err := selectImage(ii, plat, display, 0)
	if err != nil {
		return nil, err
	}
	im, err := newImage(img, display, format, lim)
	if err != nil {
		return nil, err
	}
	im.RepoTags = tags
	return im, nil
}

// selectImage picks the one image an index refers to, descending into nested indexes and
// choosing by platform when there are several.
func selectImage(ii v1.ImageIndex, plat *v1.Platform, display string, depth int) (v1.Image, []string, error) {
	if depth > 4 {
		return nil, nil, fmt.Errorf("%s: image indexes nested too deeply: %w", display, ErrLimit)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: index: %v: %w", display, err, ErrCorrupt)
	}
	var cands []v1.Descriptor
	for _, d := range im.Manifests {
		if d.MediaType.IsImage() || d.MediaType.IsIndex() {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return nil, nil, fmt.Errorf("%s: the index lists no image: %w", display, ErrCorrupt)
	}
	if len(cands) > 1 {
		var matching []v1.Descriptor
		for _, d := range cands {
			if d.Platform != nil && d.Platform.Satisfies(*plat) {
				matching = append(matching, d)
			}
		}
		if len(matching) == 0 {
			// Nested indexes and images without a platform: only unambiguous if single.
			for _, d := range cands {
				if d.Platform == nil {
					matching = append(matching, d)
				}
			}
		}
		if len(matching) != 1 {
			var names []string
			for _, d := range cands {
				n := d.Digest.String()
				if r := d.Annotations["org.opencontainers.image.ref.name"]; r != "" {
					n += " (" + r + ")"
				}
				if d.Platform != nil {
					n += " [" + d.Platform.String() + "]"
				}
				names = append(names, n)
			}
			return nil, nil, fmt.Errorf("%s: %d images in the index and --platform %s does not pick exactly one: %s", display, len(cands), plat, strings.Join(names, ", "))
		}
		cands = matching
	}
	d := cands[0]
	var tags []string
	if r := d.Annotations["org.opencontainers.image.ref.name"]; r != "" {
		tags = append(tags, r)
	}
	if d.MediaType.IsIndex() {
		child, err := ii.ImageIndex(d.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: index %s: %v: %w", display, d.Digest, err, ErrCorrupt)
		}
		img, more, err := selectImage(child, plat, display, depth+1)
		return img, append(tags, more...), err
	}
	img, err := ii.Image(d.Digest)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: image %s: %v: %w", display, d.Digest, err, ErrCorrupt)
	}
	return img, tags, nil
}

// newImage reads the manifest and config of img and lists its layers.
func newImage(img v1.Image, display, format string, lim Limits) (*Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %v: %w", display, err, ErrCorrupt)
	}
	dig, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%s: manifest digest: %v: %w", display, err, ErrCorrupt)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: config: %v: %w", display, err, ErrCorrupt)
	}
	cdig, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("%s: config digest: %v: %w", display, err, ErrCorrupt)
	}
	im := &Image{Format: format, Ref: display, Digest: dig.String(), ManifestDigest: dig.String(),
		ConfigDigest: cdig.String(), Config: cfg, limits: lim}
	var fsLayers []v1.Descriptor
	for _, l := range m.Layers {
		if !isFilesystemLayer(l.MediaType) {
			continue
		}
		fsLayers = append(fsLayers, l)
	}
	if len(fsLayers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%s: manifest lists %d layers but the config has %d diff IDs: %w", display, len(fsLayers), len(cfg.RootFS.DiffIDs), ErrCorrupt)
	}
	history := layerHistory(cfg)
	for i, d := range fsLayers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %v: %w", display, d.Digest, err, ErrCorrupt)
		}
		im.Layers = append(im.Layers, Layer{
			Digest: d.Digest.String(), DiffID: cfg.RootFS.DiffIDs[i].String(), Size: d.Size,
			MediaType: string(d.MediaType), CreatedBy: history[i], layer: l, verifyCompressed: true,
		})
	}
	return im, nil
}

// isFilesystemLayer tells tar layers (plain, gzip, zstd, foreign/non-distributable) from
// artifact blobs that some tools attach as "layers" (signatures, attestations, JSON).
func isFilesystemLayer(mt types.MediaType) bool {
	return mt == "" || strings.Contains(string(mt), "tar")
}

func layerHistory(cfg *v1.ConfigFile) []string {
	var out []string
	for _, h := range cfg.History {
		if h.EmptyLayer {
			continue
		}
		out = append(out, h.CreatedBy)
	}
	for len(out) < len(cfg.RootFS.DiffIDs) {
		out = append(out, "")
	}
	return out
}

// openRemote opens an image in a registry, with anonymous access or the credentials in
// ~/.docker/config.json (and credential helpers named there).
func openRemote(ctx context.Context, ref string, opts Options) (*Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%s%s: not a valid image reference: %v", RegistryPrefix, ref, err)
	}
	plat, err := platformOf(opts)
	if err != nil {
		return nil, err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithPlatform(*plat)}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, registryErr(ref, err)
	}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		ii, err := desc.ImageIndex()
		if err != nil {
			return nil, registryErr(ref, err)
		}
		img, _, err = selectImage(ii, plat, RegistryPrefix+ref, 0)
		if err != nil {
			return nil, err
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, registryErr(ref, err)
		}
	}
	im, err := newImage(img, RegistryPrefix+ref, FormatRegistry, opts.Limits.withDefaults())
	if err != nil {
		return nil, err
	}
	if t, ok := r.(name.Tag); ok {
		im.RepoTags = []string{t.String()}
	}
	return im, nil
}

func registryErr(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%s%s: %w in the registry (%v)", RegistryPrefix, ref, ErrNotFound, err)
		}
	}
	return fmt.Errorf("%s%s: %w: %v", RegistryPrefix, ref, ErrRegistry, err)
}

// tarImageKind tells whether the tarball at p is an OCI archive ("oci"), a docker-save
// archive ("docker") or neither (""), reading only entry headers.
func tarImageKind(p string, lim Limits) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var hasLayout, hasIndex, hasManifest bool
	for n := 0; ; n++ {
		if n > lim.MaxEntries {
			return "", fmt.Errorf("%s: more than %d entries: %w", p, lim.MaxEntries, ErrLimit)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: truncated or corrupt tarball: %v: %w", p, err, ErrCorrupt)
		}
		switch path.Clean(strings.TrimPrefix(h.Name, "./")) {
		case "oci-layout":
			hasLayout = true
		case "index.json":
			hasIndex = true
		case "manifest.json":
			hasManifest = true
		}
	}
	// A tar ends with two zero blocks; archive/tar accepts a stream cut at a block boundary
	// without them, so check for the trailer to tell a complete archive from a truncated one.
	if fi, err := f.Stat(); err == nil && fi.Size() >= 1024 {
		tail := make([]byte, 1024)
		if _, err := f.ReadAt(tail, fi.Size()-1024); err == nil && !allZero(tail) {
			return "", fmt.Errorf("%s: truncated tarball (no end-of-archive marker): %w", p, ErrCorrupt)
		}
	}
	switch {
	case hasLayout && hasIndex:
		return "oci", nil
	case hasManifest:
		return "docker", nil
	}
	return "", nil
}

// openOCIArchive unpacks an OCI layout from a tarball into a temporary directory (only the
// layout's own files, with entry-name and size checks) and opens it.
func openOCIArchive(p string, opts Options) (*Image, error) {
	lim := opts.Limits.withDefaults()
	tmp, err := os.MkdirTemp("", "hallmark-oci-")
	if err != nil {
		return nil, err
	}
	if err := unpackLayout(p, tmp, lim); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	im, err := openLayoutAs(tmp, p, FormatOCIArchive, opts)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	im.tmpDir = tmp
	return im, nil
}

func unpackLayout(p, dst string, lim Limits) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: truncated or corrupt OCI archive: %v: %w", p, err, ErrCorrupt)
		}
		rel, err := cleanEntryName(h.Name, lim)
		if err != nil {
			return fmt.Errorf("%s: entry %q: %w", p, h.Name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		parts := strings.Split(rel, "/")
		ok := rel == "oci-layout" || rel == "index.json" ||
			(len(parts) == 3 && parts[0] == "blobs" && validHex(parts[2]))
		if !ok {
			continue
		}
		total += h.Size
		if total > lim.MaxImageBytes {
			return fmt.Errorf("%s: more than %d bytes: %w", p, lim.MaxImageBytes, ErrLimit)
		}
		out := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		w, err := os.Create(out)
		if err != nil {
			return err
		}
		_, cerr := io.Copy(w, io.LimitReader(tr, h.Size))
		if err := w.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return fmt.Errorf("%s: entry %q: %v: %w", p, h.Name, cerr, ErrCorrupt)
		}
	}
}

func validHex(s string) bool {
	if len(s) < 32 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// dockerManifest is one entry of a docker-save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive opens a `docker save` tarball. Such an archive has no registry manifest,
// so the subject digest is the image ID (config digest) and layers are identified by DiffID.
func openDockerArchive(p string, opts Options) (*Image, error) {
	lim := opts.Limits.withDefaults()
	opener := func() (io.ReadCloser, error) { return os.Open(p) }
	raw, err := readTarMember(p, "manifest.json", lim.MaxMetadataBytes)
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %v: %w", p, err, ErrCorrupt)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s: manifest.json lists no image: %w", p, ErrCorrupt)
	}
	if len(ms) > 1 {
		var all []string
		for _, m := range ms {
			all = append(all, strings.Join(m.RepoTags, ","))
		}
		return nil, fmt.Errorf("%s: %d images in the archive (%s); save one image per archive", p, len(ms), strings.Join(all, "; "))
	}
	var tag *name.Tag
	if len(ms[0].RepoTags) > 0 {
		if t, err := name.NewTag(ms[0].RepoTags[0]); err == nil {
			tag = &t
		}
	}
	img, err := tarball.Image(opener, tag)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", p, err, ErrCorrupt)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: config: %v: %w", p, err, ErrCorrupt)
	}
	cdig, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("%s: config digest: %v: %w", p, err, ErrCorrupt)
	}
	if len(ms[0].Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%s: manifest.json lists %d layers but the config has %d diff IDs: %w", p, len(ms[0].Layers), len(cfg.RootFS.DiffIDs), ErrCorrupt)
	}
	im := &Image{Format: FormatDockerArchive, Ref: p, Digest: cdig.String(), ConfigDigest: cdig.String(),
		RepoTags: ms[0].RepoTags, Config: cfg, limits: lim}
	history := layerHistory(cfg)
	sizes, err := tarMemberSizes(p)
	if err != nil {
		return nil, err
	}
	for i, diff := range cfg.RootFS.DiffIDs {
		member := path.Clean(strings.TrimPrefix(ms[0].Layers[i], "./"))
		size, ok := sizes[member]
		if !ok {
			return nil, fmt.Errorf("%s: manifest.json names layer %q, which is not in the archive: %w", p, member, ErrCorrupt)
		}
		im.Layers = append(im.Layers, Layer{Digest: diff.String(), DiffID: diff.String(), Size: size,
			MediaType: string(types.DockerUncompressedLayer), CreatedBy: history[i],
			open: func() (io.ReadCloser, error) { return openTarMember(p, member) }})
	}
	return im, nil
}

// tarMemberSizes lists the regular files of a tarball with their sizes, reading headers only.
func tarMemberSizes(p string) (map[string]int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	out := map[string]int64{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: truncated or corrupt tarball: %v: %w", p, err, ErrCorrupt)
		}
		if h.Typeflag == tar.TypeReg {
			out[path.Clean(strings.TrimPrefix(h.Name, "./"))] = h.Size
		}
	}
}

// openTarMember returns a reader over one member of a tarball, as stored. A docker-save layer
// member may be a plain tar or gzip/zstd-compressed; the layer reader detects which, and
// decompresses with klauspost/compress, about twice as fast as the standard library's gzip that
// go-containerregistry's Uncompressed uses.
func openTarMember(p, member string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			f.Close()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("member %s missing", member)
			}
			return nil, err
		}
		if path.Clean(strings.TrimPrefix(h.Name, "./")) == member {
			return struct {
				io.Reader
				io.Closer
			}{tr, f}, nil
		}
	}
}

func readTarMember(p, member string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no %s: %w", p, member, ErrCorrupt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: truncated or corrupt tarball: %v: %w", p, err, ErrCorrupt)
		}
		if path.Clean(strings.TrimPrefix(h.Name, "./")) != member {
			continue
		}
		if h.Size > limit {
			return nil, fmt.Errorf("%s: %s is %d bytes (limit %d): %w", p, member, h.Size, limit, ErrLimit)
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v: %w", p, member, err, ErrCorrupt)
		}
		return b, nil
	}
}

func checkSize(p string, limit int64) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.Size() > limit {
		return fmt.Errorf("%d bytes (limit %d): %w", fi.Size(), limit, ErrLimit)
	}
	return nil
}

// cleanEntryName validates an archive entry name and returns it relative to the root, slash
// separated, without a leading "/" or "./". Names that climb out of the root are rejected.
func cleanEntryName(n string, lim Limits) (string, error) {
	if strings.ContainsRune(n, 0) {
		return "", fmt.Errorf("NUL in name: %w", ErrUnsafe)
	}
	n = strings.ReplaceAll(n, "\\", "/")
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("path climbs out of the root with \"..\": %w", ErrUnsafe)
		}
	}
	c := strings.TrimPrefix(path.Clean("/"+n), "/")
	if strings.Count(c, "/") >= lim.MaxPathDepth {
		return "", fmt.Errorf("path deeper than %d components: %w", lim.MaxPathDepth, ErrLimit)
	}
	return c, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
