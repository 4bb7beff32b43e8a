package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom"
	"github.com/hallmark-dev/hallmark/source"
)

// sbomFormats are the output formats of `hallmark sbom`.
var sbomFormats = []string{string(sbom.CycloneDXJSON), string(sbom.CycloneDXXML), string(sbom.SPDXJSON), "table"}

func newSBOMCmd(e *env) *cobra.Command {
	var (
		format, output, platform string
		allowPartial             bool
		att                      attestFlags
	)
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write a software bill of materials for a directory, file, image or SBOM",
		Long: `Inventory TARGET and write its SBOM.

TARGET is one of:
  a directory                      source tree or unpacked filesystem
  a file                           lockfile, manifest, Go binary, jar/war/ear
  an OCI image layout directory    (contains oci-layout and index.json)
  an OCI archive or docker-save tarball
  registry:REF                     image in a registry, e.g. registry:ghcr.io/org/app:1.4
                                   (anonymous, or credentials from ~/.docker/config.json)
  an SBOM                          CycloneDX JSON/XML, SPDX JSON/tag-value (syft, trivy, hallmark)

Output is deterministic: with SOURCE_DATE_EPOCH set, the same input gives byte-identical
output. Files that cannot be read are listed on stderr and in the SBOM; the command then
exits 2 unless --allow-partial is given.

With --attest --key KEY, the SBOM (cyclonedx-json or spdx-json) is also signed as an in-toto
attestation about TARGET's digest, in a Sigstore bundle (verify it with
"hallmark verify-attestation" or "cosign verify-blob-attestation").`,
		Example: `  hallmark sbom .
  hallmark sbom package-lock.json --format spdx-json
  hallmark sbom image.tar --format cyclonedx-xml --output image.cdx.xml
  hallmark sbom registry:docker.io/library/alpine:3.20 --platform linux/arm64
  SOURCE_DATE_EPOCH=0 hallmark sbom ./app --output app.cdx.json
  hallmark sbom app.tar -o app.cdx.json --attest --key release.key`,
		Args: exactArgs(1, "TARGET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format, sbomFormats) {
				return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(sbomFormats, ", "))}
			}
			if err := att.check(args[0], output, format, sbomPredicateType(format)); err != nil {
				return err
			}
			ts, err := timestamp(e)
			if err != nil {
				return err
			}
			inv, err := load(cmd.Context(), e, args[0], source.Options{Platform: platform})
			if err != nil {
				return err
			}
			if !att.on {
				if err := writeSBOM(output, e.stdout, format, inv, ts); err != nil {
					return err
				}
				return partialResult(e, inv, allowPartial)
			}
			if err := partialResult(e, inv, allowPartial); err != nil {
				return err // never attest a partial inventory the user did not accept
			}
			var doc bytes.Buffer
			if err := writeSBOM("", &doc, format, inv, ts); err != nil {
				return err
			}
			if err := writeOutput(output, e.stdout, func(w io.Writer) error { _, err := w.Write(doc.Bytes()); return err }); err != nil {
				return err
			}
			return att.sign(cmd.Context(), e, inv.Subject, sbomPredicateType(format), doc.Bytes())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", string(sbom.CycloneDXJSON), "output format: "+strings.Join(sbomFormats, ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout (written atomically)")
	cmd.Flags().StringVar(&platform, "platform", "", "image platform to pick from a multi-platform index, os/arch[/variant] (default linux/<this machine's arch>)")
	cmd.Flags().BoolVar(&allowPartial, "allow-partial", false, "exit 0 even when some files could not be read (they are still listed)")
	att.register(cmd)
	cmd.AddCommand(newSBOMConvertCmd(e))
	return cmd
}

func newSBOMConvertCmd(e *env) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "convert SBOM",
		Short: "Convert an SBOM between CycloneDX and SPDX",
		Long: `Read a CycloneDX (JSON, XML) or SPDX (JSON, tag-value) SBOM, from any tool, and write it
in another format, keeping purls, versions, licences and dependency edges.`,
		Example: `  hallmark sbom convert syft.spdx.json --format cyclonedx-json
  hallmark sbom convert bom.xml --format spdx-json --output bom.spdx.json
  cat bom.json | hallmark sbom convert - --format cyclonedx-xml`,
		Args: exactArgs(1, "SBOM"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format, sbomFormats) {
				return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(sbomFormats, ", "))}
			}
			ts, err := timestamp(e)
			if err != nil {
				return err
			}
			var r io.Reader
			name := args[0]
			if name == "-" {
				r, name = e.stdin, "<stdin>"
			} else {
				f, err := os.Open(name)
				if err != nil {
					return codedError{code: ExitUsage, err: err}
				}
				defer f.Close()
				r = f
			}
			inv, err := sbom.Decode(name, r)
			if err != nil {
				return codedError{code: ExitUsage, err: err}
			}
			return writeSBOM(output, e.stdout, format, inv, ts)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", string(sbom.CycloneDXJSON), "output format: "+strings.Join(sbomFormats, ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout (written atomically)")
	return cmd
}

// sbomPredicateType is the attestation predicate type of an SBOM format, "" if it has none.
func sbomPredicateType(format string) string {
	switch format {
	case string(sbom.CycloneDXJSON):
		return "https://cyclonedx.org/bom"
	case string(sbom.SPDXJSON):
		return "https://spdx.dev/Document"
	}
	return ""
}

// load opens TARGET and returns its inventory: built from the artifact, or decoded when the
// target is itself an SBOM.
func load(ctx context.Context, e *env, target string, opts source.Options) (*inventory.Inventory, error) {
	art, inv, err := loadArtifact(ctx, e, target, opts)
	if art != nil {
		art.Close()
	}
	return inv, err
}

// loadArtifact is load, keeping the opened artifact (nil for an SBOM target) so that later
// steps can read its files again; the caller closes it.
func loadArtifact(ctx context.Context, e *env, target string, opts source.Options) (*source.Artifact, *inventory.Inventory, error) {
	art, err := source.Open(ctx, target, opts)
	if err != nil {
		return nil, nil, err
	}
	if art.Kind == source.KindSBOM {
		defer art.Close()
		f, err := os.Open(art.Path)
		if err != nil {
			return nil, nil, codedError{code: ExitUsage, err: err}
		}
		defer f.Close()
		inv, err := sbom.Decode(art.Path, f)
		if err != nil {
			// Any SBOM that does not decode is bad input.
			return nil, nil, codedError{code: ExitUsage, err: err}
		}
		return nil, inv, nil
	}
	cfg := inventory.Config{}
	if p := e.progress(); p != nil {
		cfg.Progress = func(msg string) { p("%s", msg) }
	}
	inv, err := inventory.Build(ctx, art, cfg)
	if err != nil {
		art.Close()
		return nil, nil, err
	}
	return art, inv, nil
}

// partialResult reports unreadable files and turns a partial inventory into exit code 2 unless
// the user accepted it.
func partialResult(e *env, inv *inventory.Inventory, allow bool) error {
	if !inv.Partial() {
		return nil
	}
	for _, fe := range inv.Errors {
		where := fe.Path
		if fe.LayerDigest != "" {
			where += " (layer " + fe.LayerDigest + ")"
		}
		by := ""
		if fe.Extractor != "" {
			by = " [" + fe.Extractor + "]"
		}
		fmt.Fprintf(e.stderr, "hallmark: warning: could not read %s: %s%s\n", where, fe.Message, by)
	}
	if allow {
		return nil
	}
	return codedError{code: ExitUsage, err: fmt.Errorf("the inventory is partial: %d file(s) could not be read (listed above and in the SBOM); use --allow-partial to accept", len(inv.Errors))}
}

// writeSBOM writes inv in format (an SBOM format or "table") to output or stdout.
func writeSBOM(output string, stdout io.Writer, format string, inv *inventory.Inventory, ts time.Time) error {
	return writeOutput(output, stdout, func(w io.Writer) error {
		if format == "table" {
			return writeTable(w, inv)
		}
		return sbom.Encode(w, sbom.Format(format), inv, sbom.EncodeOptions{Timestamp: ts, ToolName: version.Name, ToolVersion: version.String()})
	})
}

// timestamp is SOURCE_DATE_EPOCH when set (reproducible builds convention), else now.
func timestamp(e *env) (time.Time, error) {
	s := e.getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, usageError{fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative integer number of seconds", s)}
	}
	return time.Unix(n, 0).UTC(), nil
}

// writeOutput writes to stdout, or atomically to path: a temporary file in the same directory
// renamed into place, so a failed run never leaves a truncated SBOM behind.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// A device, pipe or socket (/dev/null, /dev/stdout, a FIFO): write to it as it is;
		// renaming a file over it would replace the device.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return codedError{code: ExitUsage, err: fmt.Errorf("--output %s: %w", path, err)}
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return codedError{code: ExitUsage, err: fmt.Errorf("--output %s: %w", path, err)}
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeTable(w io.Writer, inv *inventory.Inventory) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tECOSYSTEM\tLOCATION")
	for _, p := range inv.Packages {
		loc := ""
		if len(p.Locations) > 0 {
			loc = p.Locations[0].Path
		}
		eco := p.Ecosystem
		if eco == "" {
			eco = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Version, eco, loc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d packages in %s (%s)\n", len(inv.Packages), inv.Subject.Name, inv.Subject.Digest)
	return nil
}

func validFormat(f string, allowed []string) bool { return slices.Contains(allowed, f) }

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s: want %s, got %d argument(s)", cmd.CommandPath(), names, len(args))}
		}
		return nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
