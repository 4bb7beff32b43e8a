package inventory

import (
	"fmt"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/cpp/conanlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dart/pubspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packagesconfig"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/elixir/mixlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/haskell/cabal"
	"github.com/google/osv-scalibr/extractor/filesystem/language/haskell/stacklock"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradlelockfile"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/pomxml"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/bunlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/condameta"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pdmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/r/renvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/swift/packageresolved"
	"github.com/google/osv-scalibr/extractor/filesystem/language/swift/podfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/pacman"
	"github.com/google/osv-scalibr/extractor/filesystem/os/portage"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"

	"github.com/hallmark-dev/hallmark/inventory/npmlock"
)

// Extractors returns the extractors hallmark runs, built fresh. This list is the one place
// that says which file types hallmark understands (docs/inventory.md lists them for users);
// adding an extractor means adding a line here and a test fixture.
func Extractors() ([]filesystem.Extractor, error) {
	ctors := []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		// Go
		gomod.New, gobinary.New,
		// JavaScript
		npmlock.New, yarnlock.New, pnpmlock.New, bunlock.New, packagejson.New,
		// Python
		requirements.New, poetrylock.New, pipfilelock.New, uvlock.New, pdmlock.New, pylock.New,
		wheelegg.New, condameta.New,
		// Java
		pomxml.New, gradlelockfile.New, javaarchive.New,
		// Rust
		cargolock.New, cargoauditable.New,
		// Ruby
		gemfilelock.New, gemspec.New,
		// PHP
		composerlock.New,
		// .NET
		packageslockjson.New, packagesconfig.New, depsjson.New,
		// Others
		pubspec.New, mixlock.New, conanlock.New, packageresolved.New, podfilelock.New,
		cabal.New, stacklock.New, renvlock.New,
		// Operating-system package databases
		dpkg.New, apk.New, rpm.New, pacman.New, portage.New,
	}
	out := make([]filesystem.Extractor, 0, len(ctors))
	for _, c := range ctors {
		e, err := c(&cpb.PluginConfig{})
		if err != nil {
			return nil, fmt.Errorf("creating extractor: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
