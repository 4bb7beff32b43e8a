package imagetest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RefNameAnnotation is the OCI annotation that names an image in a layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img as an OCI image layout in dir, which must not exist or be empty.
// A non-empty ref is recorded as the image's org.opencontainers.image.ref.name annotation.
func WriteLayout(dir string, img v1.Image, ref string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("imagetest: layout directory %s is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("imagetest: %w", err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	var opts []layout.Option
	if ref != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: ref}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	// go-containerregistry writes blobs through 0600 temp files; make the layout readable
	// like one written by other tools, and independent of the umask.
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
}

// WriteDockerArchive writes img in the `docker save` format (manifest.json, config and layer
// blobs at the top level) to file, tagged tag ("example.test/app:1").
func WriteDockerArchive(file string, img v1.Image, tag string) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("imagetest: tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(file, t, img); err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	return nil
}

// WriteOCIArchive writes img as an OCI archive: a tar of an OCI image layout (oci-layout,
// index.json, blobs/), the format of `skopeo copy … oci-archive:` and `buildah push`. A
// non-empty ref is recorded as in WriteLayout.
func WriteOCIArchive(file string, img v1.Image, ref string) error {
	tmp, err := os.MkdirTemp("", "imagetest-oci-")
	if err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := WriteLayout(tmp, img, ref); err != nil {
		return err
	}
	out, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	if err := TarDir(out, tmp); err != nil {
		out.Close()
		return fmt.Errorf("imagetest: %s: %w", file, err)
	}
	return out.Close()
}

// TarDir writes the tree under dir to w as an uncompressed tar with paths relative to dir,
// in sorted order, owned by root and stamped with DefaultCreated, so equal trees give equal
// bytes.
func TarDir(w io.Writer, dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		var link string
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.ModTime = DefaultCreated
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
		hdr.Format = tar.FormatUnknown // USTAR when it fits, PAX otherwise
		hdr.PAXRecords = nil
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// WriteGzipBomb streams to w a gzip-compressed tar holding one regular file, name, of size
// zero bytes. At the best deflate ratio (about 1:1030) a 2 GiB file compresses to about
// 2 MiB; nothing of that size is ever held in memory.
func WriteGzipBomb(w io.Writer, name string, size int64) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     size,
		ModTime:  DefaultCreated,
		Format:   tar.FormatPAX, // USTAR cannot hold sizes of 8 GiB and more
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, zeros{}, size); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// GzipBombImage writes a gzip bomb layer (see WriteGzipBomb) to blobFile and returns a
// one-layer OCI image that reads it from there; the file must stay until the image has been
// written out. Computing the layer's diff ID decompresses the whole stream once.
func GzipBombImage(blobFile, name string, size int64) (v1.Image, error) {
	f, err := os.Create(blobFile)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	if err := WriteGzipBomb(f, name, size); err != nil {
		f.Close()
		return nil, fmt.Errorf("imagetest: %s: %w", blobFile, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	l, err := tarball.LayerFromFile(blobFile, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: DefaultCreated}, CreatedBy: "imagetest gzip bomb"},
	})
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", v1.Time{Time: DefaultCreated}
	return mutate.ConfigFile(img, cf)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
