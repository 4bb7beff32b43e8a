// Command mkimage builds the container image that bench/sbom/run.sh inventories with hallmark
// and syft: Debian packages installed layer by layer with a real dpkg database, a layer that
// purges some of them, then host directories and files (an npm project with node_modules, Go
// binaries) copied in, as a Dockerfile would. It writes the image as an OCI layout and as a
// docker-save tarball. The layers are assembled by internal/imagetest; see docs/bench.md.
//
// Usage:
//
//	mkimage -debs base.list -debs java.list … [-purge pkg,pkg] [-dir SRC=DST]… [-file SRC=DST]…
//	        -oci DIR -docker FILE [-tag REF]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hallmark-dev/hallmark/internal/imagetest"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var debLists, dirs, files listFlag
	flag.Var(&debLists, "debs", "file listing .deb paths, one per line, installed as one layer (repeatable, bottom first)")
	flag.Var(&dirs, "dir", "SRC=DST: copy host directory SRC to image path DST as its own layer (repeatable)")
	flag.Var(&files, "file", "SRC=DST: copy host file SRC to image path DST, mode 0755; all -file flags make one layer (repeatable)")
	purge := flag.String("purge", "", "comma-separated Debian packages to purge in a layer after the -debs layers")
	ociDir := flag.String("oci", "", "write an OCI image layout to this directory (must not exist or be empty)")
	docker := flag.String("docker", "", "write a docker-save tarball to this file")
	tag := flag.String("tag", "hallmark.bench/sbom-image:1", "image reference recorded in both outputs")
	flag.Parse()
	if flag.NArg() != 0 || *ociDir == "" && *docker == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(debLists, *purge, dirs, files, *ociDir, *docker, *tag); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(debLists []string, purge string, dirs, files []string, ociDir, docker, tag string) error {
	var layers []imagetest.Layer
	for _, list := range debLists {
		debs, err := readList(list)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(list), filepath.Ext(list))
		layers = append(layers, imagetest.Layer{
			CreatedBy: fmt.Sprintf("RUN apt-get install -y # %s: %d packages", name, len(debs)),
			Debs:      debs,
		})
	}
	if purge != "" {
		names := strings.Split(purge, ",")
		layers = append(layers, imagetest.Layer{
			CreatedBy:  "RUN apt-get purge -y " + strings.Join(names, " "),
			RemoveDebs: names,
		})
	}
	for _, d := range dirs {
		src, dst, ok := strings.Cut(d, "=")
		if !ok {
			return fmt.Errorf("-dir %q: want SRC=DST", d)
		}
		layers = append(layers, imagetest.Layer{
			CreatedBy: "COPY " + filepath.Base(src) + " " + dst,
			Dirs:      map[string]string{src: dst},
		})
	}
	if len(files) > 0 {
		l := imagetest.Layer{CreatedBy: "COPY binaries"}
		for _, f := range files {
			src, dst, ok := strings.Cut(f, "=")
			if !ok {
				return fmt.Errorf("-file %q: want SRC=DST", f)
			}
			data, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			l.Files = append(l.Files, imagetest.File{Path: dst, Data: data, Mode: 0o755})
		}
		layers = append(layers, l)
	}

	img, err := imagetest.Build(layers, imagetest.Config{
		Env:        []string{"PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"},
		Cmd:        []string{"/bin/bash"},
		WorkingDir: "/app",
	})
	if err != nil {
		return err
	}
	if err := describe(os.Stdout, img, layers); err != nil {
		return err
	}
	if ociDir != "" {
		if err := imagetest.WriteLayout(ociDir, img, tag); err != nil {
			return err
		}
	}
	if docker != "" {
		if err := imagetest.WriteDockerArchive(docker, img, tag); err != nil {
			return err
		}
	}
	return nil
}

// describe prints the image's size and contents, for docs/bench.md's table of inputs.
func describe(w io.Writer, img v1.Image, specs []imagetest.Layer) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed, uncompressed int64
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return err
		}
		compressed += n
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		u, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
		uncompressed += u
	}
	debs := 0
	for _, s := range specs {
		debs += len(s.Debs) - len(s.RemoveDebs)
	}
	_, err = fmt.Fprintf(w, "image: %d layers, %d Debian packages installed, %.0f MB uncompressed, %.0f MB compressed (gzip)\n",
		len(layers), debs, float64(uncompressed)/1e6, float64(compressed)/1e6)
	return err
}

// readList reads a file of paths, one per line; blank lines and "#" comments are skipped.
func readList(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .deb files listed", file)
	}
	return out, nil
}
