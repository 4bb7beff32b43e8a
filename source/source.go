// Package source opens the artifact a user names — a directory, a single file, a container
// image (OCI layout, OCI archive, docker-save tarball, registry reference) or an SBOM file —
// and computes its subject digest. It is the first room of the loop: every later piece of
// evidence is about the digest computed here.
//
// Source never decides what is inside; it offers a filesystem view (for images, the squashed
// layers with whiteouts applied and each file's introducing layer) to the inventory room.
// Everything it reads is hostile: archives are read with the limits in Limits, entry names may
// not escape the root, and symlinks are resolved inside the artifact, never on the host.
package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Kind says what sort of artifact a target is.
type Kind string

// Kinds.
const (
	KindDirectory Kind = "directory"
	KindFile      Kind = "file"
	KindImage     Kind = "image"
	KindSBOM      Kind = "sbom"
)

// Errors, matched with errors.Is. Each says what the caller should do.
var (
	// ErrNotFound: the target does not exist. Fix the path or reference.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt: the artifact is malformed, truncated or does not match its digests. Obtain a
	// good copy; hallmark will not describe a damaged artifact as if it were complete.
	ErrCorrupt = errors.New("corrupt artifact")
	// ErrUnsafe: an archive entry tries to escape the artifact root. Treat it as hostile.
	ErrUnsafe = errors.New("unsafe archive entry")
	// ErrLimit: a size, count or depth limit was exceeded (see Limits). Raise the limit only
	// for an artifact you trust.
	ErrLimit = errors.New("limit exceeded")
	// ErrRegistry: the registry could not be reached or refused the request. Check network
	// access and credentials (~/.docker/config.json).
	ErrRegistry = errors.New("registry error")
)

// RegistryPrefix marks a target as a registry reference, as in "registry:ghcr.io/a/b:1.0".
const RegistryPrefix = "registry:"

// Artifact is an opened target.
type Artifact struct {
	Kind Kind
	// Name is the target as the user named it (cleaned).
	Name string
	// Digest is the subject digest, "sha256:<hex>": the image manifest digest (for a docker-save
	// tarball, which has no manifest, the image ID = config digest), the file's sha256, or the
	// SBOM file's sha256. For a directory it is empty until WalkDir has computed the tree
	// digest (docs/sources.md), which the inventory's Subject carries.
	Digest string
	// Path is the local path for directories, files and SBOMs.
	Path string
	// Image is set for KindImage.
	Image *Image
}

// Options configures Open.
type Options struct {
	// Platform selects an image from a multi-platform index, "os/arch[/variant]". Empty means
	// linux and the running architecture.
	Platform string
	// Limits bounds what is read from archives; zero fields take DefaultLimits.
	Limits Limits
}

// Open identifies and opens target. It reads enough to know the kind and, for images, the
// manifest and config; layers are read later by Image.Squash.
func Open(ctx context.Context, target string, opts Options) (*Artifact, error) {
	if ref, ok := strings.CutPrefix(target, RegistryPrefix); ok {
		img, err := openRemote(ctx, ref, opts)
		if err != nil {
			return nil, err
		}
		return &Artifact{Kind: KindImage, Name: target, Digest: img.Digest, Image: img}, nil
	}
	clean := filepath.Clean(target)
	fi, err := os.Stat(clean)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or directory (a TARGET is a path, or %sREF for an image in a registry): %w", target, RegistryPrefix, ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	if fi.IsDir() {
		if isOCILayout(clean) {
			img, err := openLayout(clean, opts)
			if err != nil {
				return nil, err
			}
			return &Artifact{Kind: KindImage, Name: clean, Digest: img.Digest, Path: clean, Image: img}, nil
		}
		return &Artifact{Kind: KindDirectory, Name: clean, Path: clean}, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file or directory", target)
	}
	f, err := os.Open(clean)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	head = head[:n]
	switch {
	case looksLikeSBOM(head):
		d, err := FileDigest(clean)
		if err != nil {
			return nil, err
		}
		return &Artifact{Kind: KindSBOM, Name: clean, Digest: d, Path: clean}, nil
	case isTar(head):
		kind, err := tarImageKind(clean, opts.Limits.withDefaults())
		if err != nil {
			return nil, err
		}
		var img *Image
		switch kind {
		case "oci":
			img, err = openOCIArchive(clean, opts)
		case "docker":
			img, err = openDockerArchive(clean, opts)
		}
		if err != nil {
			return nil, err
		}
		if img != nil {
			return &Artifact{Kind: KindImage, Name: clean, Digest: img.Digest, Path: clean, Image: img}, nil
		}
	}
	d, err := FileDigest(clean)
	if err != nil {
		return nil, err
	}
	return &Artifact{Kind: KindFile, Name: clean, Digest: d, Path: clean}, nil
}

// Close releases temporary files held by the artifact.
func (a *Artifact) Close() error {
	if a.Image != nil {
		return a.Image.Close()
	}
	return nil
}

// looksLikeSBOM sniffs CycloneDX (JSON, XML) and SPDX (JSON, tag-value) documents. It is a
// cheap first look only — source comes before the sbom room and may not import it; sbom.Detect
// makes the real decision and its errors name what is wrong.
func looksLikeSBOM(head []byte) bool {
	h := bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n")
	switch {
	case bytes.HasPrefix(h, []byte("{")):
		return bytes.Contains(h, []byte(`"bomFormat"`)) || bytes.Contains(h, []byte(`"spdxVersion"`))
	case bytes.HasPrefix(h, []byte("<")):
		return bytes.Contains(h, []byte("cyclonedx.org/schema/bom"))
	case bytes.HasPrefix(h, []byte("SPDXVersion:")):
		return true
	}
	return bytes.Contains(h, []byte("\nSPDXVersion:")) && bytes.HasPrefix(h, []byte("#"))
}

func isTar(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

func isOCILayout(dir string) bool {
	_, err1 := os.Stat(filepath.Join(dir, "oci-layout"))
	_, err2 := os.Stat(filepath.Join(dir, "index.json"))
	return err1 == nil && err2 == nil
}
