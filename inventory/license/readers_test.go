package license

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type readerCase struct {
	name    string
	file    string // under testdata/
	want    []string
	wantErr string // substring of the error
}

func runReaderCases(t *testing.T, read func(io.Reader) ([]string, error), tests []readerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := read(f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromPackageJSON(t *testing.T) {
	runReaderCases(t, FromPackageJSON, []readerCase{
		{name: "license-string", file: "npm/npm.json", want: []string{"Artistic-2.0"}},
		{name: "license-object", file: "npm/license-object.json", want: []string{"MIT"}},
		{name: "license-array", file: "npm/license-array.json", want: []string{"MIT", "Apache2"}},
		{name: "licenses-array", file: "npm/licenses-array.json", want: []string{"AFLv2.1", "BSD"}},
		{name: "licenses-name", file: "npm/licenses-name.json", want: []string{"Apache License, Version 2.0"}},
		{name: "expression-and", file: "npm/expression-and.json", want: []string{"(MIT AND Zlib)"}},
		{name: "expression-or", file: "npm/expression-or.json", want: []string{"(MIT OR CC0-1.0)"}},
		{name: "expression-deprecated-id", file: "npm/expression-deprecated-id.json", want: []string{"(BSD-3-Clause OR GPL-2.0)"}},
		{name: "see-license-in", file: "npm/see-license-in.json", want: []string{"SEE LICENSE IN LICENSE.md"}},
		{name: "public-domain", file: "npm/public-domain.json", want: []string{"Public Domain"}},
		{name: "bom", file: "npm/bom.json", want: []string{"ISC"}},
		{name: "odd-types", file: "npm/odd-types.json", want: []string{"MIT", "BSD-2-Clause"}},
		{name: "no-license", file: "npm/no-license.json", want: nil},
		{name: "top-level-array", file: "npm/top-level-array.json", wantErr: "package.json: json: cannot unmarshal array"},
		{name: "truncated", file: "npm/truncated.json", wantErr: "package.json: unexpected end of JSON input"},
	})
}

func TestFromPythonMetadata(t *testing.T) {
	runReaderCases(t, FromPythonMetadata, []readerCase{
		{name: "license-expression", file: "python/license-expression.METADATA", want: []string{"Apache-2.0"}},
		{name: "license-expression-and", file: "python/license-expression-and.METADATA", want: []string{"Apache-2.0 AND CNRI-Python"}},
		{name: "license-expression-preferred", file: "python/field-case-no-body.METADATA", want: []string{"(mit or apache-2.0)"}},
		{name: "license-alias", file: "python/license-alias-full.METADATA", want: []string{"ASL 2"}},
		{name: "license-or", file: "python/license-or.METADATA", want: []string{"BSD-3-Clause OR Apache-2.0"}},
		{name: "egg-pkg-info", file: "python/egg-gplv2.PKG-INFO", want: []string{"GPLv2"}},
		{name: "license-ambiguous-no-classifiers", file: "python/license-ambiguous.METADATA", want: []string{"BSD"}},
		{name: "license-text-first-line-name", file: "python/license-text-first-line-name.METADATA", want: []string{"BSD 3-Clause License"}},
		{name: "license-text-falls-back-to-classifier", file: "python/license-text-classifier.METADATA", want: []string{"MIT"}},
		{name: "license-prose-classifiers-win", file: "python/license-prose-classifiers.METADATA", want: []string{"BSD License", "Apache-2.0"}},
		{name: "license-list-classifiers-win", file: "python/license-list-classifiers.METADATA", want: []string{"Public Domain", "PSF-2.0", "BSD License", "GNU General Public License (GPL)"}},
		{name: "license-unknown", file: "python/license-unknown.METADATA", want: []string{"MIT"}},
		{name: "classifier-only", file: "python/classifier-only.METADATA", want: []string{"MIT"}},
		{name: "egg-classifier-wins", file: "python/egg-classifier-wins.PKG-INFO", want: []string{"LGPL-2.0-or-later"}},
		{name: "crlf-and-body-not-read", file: "python/crlf.METADATA", want: []string{"MIT"}},
		{name: "no-license", file: "python/no-license.PKG-INFO", want: nil},
	})
}

func TestFromDebianCopyright(t *testing.T) {
	runReaderCases(t, FromDebianCopyright, []readerCase{
		{name: "dep5-public-domain", file: "debian/dep5-tzdata.copyright", want: []string{"LicenseRef-public-domain"}},
		{name: "dep5-exceptions-and-unknown-names", file: "debian/dep5-libsigsegv2.copyright", want: []string{
			"GPL-2.0-or-later",
			"GPL-3.0-or-later WITH Autoconf-exception-3.0",
			"MIT",
			"GPL-2.0-or-later WITH Autoconf-exception-2.0",
			"FSFULL",
			"permissive",
		}},
		{name: "dep5-syscall-note-or", file: "debian/dep5-liburing2.copyright", want: []string{
			"MIT",
			"LGPL-2.1-or-later OR MIT",
			"GPL-2.0-only WITH Linux-syscall-note OR MIT",
		}},
		{name: "dep5-comma-and-unknown", file: "debian/dep5-less.copyright", want: []string{
			"GPL-3+ or Less",
			"GPL-3+ or Less, and X11",
			"Spencer-86",
			"LicenseRef-public-domain",
		}},
		{name: "dep5-or-later", file: "debian/dep5-libidn2-0.copyright", want: []string{
			"GPL-3.0-or-later",
			"LGPL-3.0-or-later OR GPL-2.0-or-later",
			"Unicode",
		}},
		{name: "dep5-perl", file: "debian/dep5-libjson-perl.copyright", want: []string{"Artistic-1.0-Perl OR GPL-1.0-or-later"}},
		{name: "text-two-references-or-later", file: "debian/text-libmpfr6.copyright", want: []string{"LGPL-3.0-or-later", "GFDL-1.2-or-later"}},
		{name: "text-artistic", file: "debian/text-fakeroot.copyright", want: []string{"GPL-3.0-or-later", "Artistic-1.0-Perl"}},
		{name: "text-quoted-reference", file: "debian/text-llvm.copyright", want: []string{"GPL-2.0-or-later"}},
		{name: "text-no-or-later", file: "debian/text-wget.copyright", want: []string{"GPL-3.0-only", "GFDL-1.2-only"}},
		{name: "text-unversioned", file: "debian/text-libnuma1.copyright", want: []string{"GPL", "LGPL"}},
		{name: "text-no-reference", file: "debian/text-libxau6.copyright", want: nil},
	})
}

func TestFromPOM(t *testing.T) {
	runReaderCases(t, FromPOM, []readerCase{
		{name: "apache-software-license", file: "maven/jansi.pom", want: []string{"The Apache Software License, Version 2.0"}},
		{name: "apache-2.0", file: "maven/error-prone.pom", want: []string{"Apache 2.0"}},
		{name: "apache-license-version", file: "maven/cdi-api.pom", want: []string{"Apache License, Version 2.0"}},
		{name: "dual-license-whitespace", file: "maven/dual-license.pom", want: []string{"Eclipse Public License - v 1.0", "GNU Lesser General Public License, Version 2.1"}},
		{name: "url-only", file: "maven/url-only.pom", want: []string{"https://www.apache.org/licenses/LICENSE-2.0.txt"}},
		{name: "latin1", file: "maven/latin1-name.pom", want: []string{"Licença MIT"}},
		{name: "profile-licenses-ignored", file: "maven/no-licenses.pom", want: nil},
		{name: "not-a-pom", file: "maven/not-a-pom.xml", wantErr: "pom.xml: root element is <settings>, not <project>"},
	})
}

// TestNormalizeReaderOutput runs the readers' real-world output through Normalize, as the
// inventory does, to show what ends up in an SBOM.
func TestNormalizeReaderOutput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want normalized
	}{
		{"npm-legacy-licenses-name", "Apache License, Version 2.0", normalized{"Apache-2.0", true}},
		{"npm-apache2", "Apache2", normalized{"Apache-2.0", true}},
		{"npm-afl", "AFLv2.1", normalized{"AFL-2.1", true}},
		{"python-asl", "ASL 2", normalized{"Apache-2.0", true}},
		{"python-gplv2", "GPLv2", normalized{"GPL-2.0-only", true}},
		{"python-first-line", "BSD 3-Clause License", normalized{"BSD-3-Clause", true}},
		{"maven-jansi", "The Apache Software License, Version 2.0", normalized{"Apache-2.0", true}},
		{"maven-lgpl", "GNU Lesser General Public License, Version 2.1", normalized{"LGPL-2.1-only", true}},
		{"maven-url", "https://www.apache.org/licenses/LICENSE-2.0.txt", normalized{"Apache-2.0", true}},
		{"debian-already-spdx", "GPL-2.0-only WITH Linux-syscall-note OR MIT", normalized{"GPL-2.0-only WITH Linux-syscall-note OR MIT", true}},
		{"debian-unknown-name", "GPL-3+ or Less", normalized{"GPL-3+ or Less", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr, ok := Normalize(tt.in)
			if diff := cmp.Diff(tt.want, normalized{expr, ok}); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestTooLarge checks every reader stops at its limit with ErrTooLarge.
func TestTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		read  func(io.Reader) ([]string, error)
		limit int64
		head  string
	}{
		{"package-json", FromPackageJSON, MaxFileSize, `{"license": "MIT", "x": "`},
		{"pom", FromPOM, MaxFileSize, `<project><licenses><license><name>MIT</name></license></licenses><!--`},
		{"debian-copyright", FromDebianCopyright, MaxCopyrightSize, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n "},
		{"python-header", FromPythonMetadata, MaxFileSize, "Metadata-Version: 2.1\nLicense: MIT\nSummary: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(tt.head), io.LimitReader(repeatReader('a'), tt.limit))
			_, err := tt.read(r)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("error = %v, want ErrTooLarge", err)
			}
		})
	}
	t.Run("python-body-not-counted", func(t *testing.T) {
		// The description body after the header may be any size.
		r := io.MultiReader(strings.NewReader("Metadata-Version: 2.1\nLicense: MIT\n\n"), io.LimitReader(repeatReader('a'), 2*MaxFileSize))
		got, err := FromPythonMetadata(r)
		if err != nil || !cmp.Equal(got, []string{"MIT"}) {
			t.Errorf("got %q, %v; want [MIT], nil", got, err)
		}
	})
	t.Run("at-limit", func(t *testing.T) {
		data := append([]byte(`{"license": "MIT", "x": "`), bytes.Repeat([]byte("a"), MaxFileSize)...)
		data = append(data[:MaxFileSize-2], '"', '}')
		got, err := FromPackageJSON(bytes.NewReader(data))
		if err != nil || !cmp.Equal(got, []string{"MIT"}) {
			t.Errorf("got %q, %v; want [MIT], nil", got, err)
		}
	})
}

// TestTooMany checks the bounds on how much work one file can ask for.
func TestTooMany(t *testing.T) {
	var npm, python, dep5, dep5Names strings.Builder
	npm.WriteString(`{"licenses": [`)
	python.WriteString("Metadata-Version: 2.1\n")
	dep5.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n")
	dep5Names.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n")
	for i := range maxDEP5Licenses + 1 {
		if i > 0 {
			npm.WriteString(",")
		}
		fmt.Fprintf(&npm, `"L%d"`, i)
		fmt.Fprintf(&python, "Classifier: License :: L%d\n", i)
		fmt.Fprintf(&dep5, "Files: f%d\nLicense: L%d and MIT\n\n", i, i)
	}
	for i := range maxDeclarations + 1 {
		fmt.Fprintf(&dep5Names, "Files: f%d\nLicense: L%d\n\n", i, i)
	}
	npm.WriteString("]}")
	tests := []struct {
		name string
		read func(io.Reader) ([]string, error)
		in   string
	}{
		{"package-json-declarations", FromPackageJSON, npm.String()},
		{"python-classifiers", FromPythonMetadata, python.String()},
		{"debian-distinct-license-fields", FromDebianCopyright, dep5.String()},
		{"debian-declarations", FromDebianCopyright, dep5Names.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.read(strings.NewReader(tt.in)); !errors.Is(err, ErrTooLarge) {
				t.Errorf("error = %v, want ErrTooLarge", err)
			}
		})
	}
	t.Run("debian-long-first-line-is-text", func(t *testing.T) {
		in := "Format: x\n\nFiles: *\nLicense: " + strings.Repeat("MIT and ", maxDEP5Line/8+1) + "MIT\n\nFiles: b\nLicense: ISC\n"
		got, err := FromDebianCopyright(strings.NewReader(in))
		if err != nil || !cmp.Equal(got, []string{"ISC"}) {
			t.Errorf("got %q, %v; want [ISC], nil", got, err)
		}
	})
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadError(t *testing.T) {
	for name, read := range map[string]func(io.Reader) ([]string, error){
		"package-json": FromPackageJSON, "python": FromPythonMetadata, "debian": FromDebianCopyright, "pom": FromPOM,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := read(errReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
				t.Errorf("error = %v, want the read error wrapped", err)
			}
		})
	}
}
