package imagetest

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// LayerFiles reads the entries of one layer back, in archive order, with paths in the form
// File.Path uses (no "./" prefix, no trailing slash). Whiteout entries are returned as they
// are stored (".wh.<name>").
func LayerFiles(l v1.Layer) ([]File, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	defer rc.Close()
	return readTar(rc)
}

// ImageFiles returns the image's flattened filesystem (whiteouts applied) keyed by path.
func ImageFiles(img v1.Image) (map[string]File, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	files, err := readTar(rc)
	if err != nil {
		return nil, err
	}
	out := make(map[string]File, len(files))
	for _, f := range files {
		out[f.Path] = f
	}
	return out, nil
}

func readTar(r io.Reader) ([]File, error) {
	tr := tar.NewReader(r)
	var out []File
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("imagetest: %w", err)
		}
		f := File{
			Path:     strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/"),
			Type:     hdr.Typeflag,
			Mode:     hdr.Mode & 0o7777,
			Linkname: hdr.Linkname,
			ModTime:  hdr.ModTime,
		}
		if hdr.Typeflag == tar.TypeReg {
			if f.Data, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("imagetest: %s: %w", hdr.Name, err)
			}
		}
		out = append(out, f)
	}
}
