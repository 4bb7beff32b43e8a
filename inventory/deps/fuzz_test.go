package deps

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzParser feeds the named parser arbitrary input, seeded with the files of the given
// testdata folders. Whatever the input, Parse must not panic, must return either a
// well-formed graph or an ErrInvalid/ErrTooLarge error, never both. Crashers found are
// kept by `go test -fuzz` in testdata/fuzz/<FuzzName>/.
func fuzzParser(f *testing.F, name string, seedDirs ...string) {
	p := parserNamed(f, name)
	for _, dir := range seedDirs {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := p.Parse("fuzz.input", bytes.NewReader(data))
		if err != nil {
			if g != nil {
				t.Errorf("graph returned with error %v", err)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v is neither ErrInvalid nor ErrTooLarge", err)
			}
			return
		}
		checkGraph(t, g)
	})
}

func FuzzParseNPM(f *testing.F)          { fuzzParser(f, "npm/package-lock", "npm") }
func FuzzParseYarn(f *testing.F)         { fuzzParser(f, "npm/yarn-lock", "yarn") }
func FuzzParsePNPM(f *testing.F)         { fuzzParser(f, "npm/pnpm-lock", "pnpm") }
func FuzzParseGoMod(f *testing.F)        { fuzzParser(f, "go/go-mod", "gomod") }
func FuzzParseCargo(f *testing.F)        { fuzzParser(f, "rust/cargo-lock", "cargo") }
func FuzzParsePoetry(f *testing.F)       { fuzzParser(f, "python/poetry-lock", "poetry") }
func FuzzParseUV(f *testing.F)           { fuzzParser(f, "python/uv-lock", "uv") }
func FuzzParsePipfile(f *testing.F)      { fuzzParser(f, "python/pipfile-lock", "pipfile") }
func FuzzParseRequirements(f *testing.F) { fuzzParser(f, "python/requirements", "requirements") }
func FuzzParseComposer(f *testing.F)     { fuzzParser(f, "php/composer-lock", "composer") }
func FuzzParseGemfile(f *testing.F)      { fuzzParser(f, "ruby/gemfile-lock", "gemfile") }
func FuzzParseNuGet(f *testing.F)        { fuzzParser(f, "dotnet/packages-lock", "nuget") }
func FuzzParsePOM(f *testing.F)          { fuzzParser(f, "java/pom-xml", "maven") }
func FuzzParseDpkg(f *testing.F)         { fuzzParser(f, "os/dpkg", "dpkg") }
func FuzzParseAPK(f *testing.F)          { fuzzParser(f, "os/apk", "apk") }
