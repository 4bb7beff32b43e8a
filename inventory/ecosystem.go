package inventory

import (
	"strings"

	"github.com/hallmark-dev/hallmark/internal/purl"
)

// CanonicalPURL returns the canonical form of a package URL, or s unchanged (trimmed) when it
// does not parse: a foreign SBOM's purl is still its best description of the package.
func CanonicalPURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return canonicalPURL(s)
}

// purlEcosystems maps purl types to OSV ecosystem names for the language ecosystems.
var purlEcosystems = map[string]string{
	"npm": "npm", "pypi": "PyPI", "golang": "Go", "maven": "Maven", "cargo": "crates.io",
	"gem": "RubyGems", "composer": "Packagist", "nuget": "NuGet", "pub": "Pub", "hex": "Hex",
	"hackage": "Hackage", "cran": "CRAN", "swift": "SwiftURL", "conan": "ConanCenter",
}

// EcosystemOf derives the OSV ecosystem of a package from its purl, for SBOMs made by other
// tools, which do not record one. OS packages need the release: it is taken from the purl's
// distro qualifier ("debian-12", "alpine-3.20.3") or else from the distro the SBOM describes.
// It returns "" when the purl does not say enough.
func EcosystemOf(p string, distro *Distro) string {
	u, err := purl.Parse(p)
	if err != nil {
		return ""
	}
	if e, ok := purlEcosystems[u.Type]; ok {
		return e
	}
	release := func(id string) string {
		q := u.Qualifier("distro")
		if v, ok := strings.CutPrefix(q, id+"-"); ok {
			return v
		}
		if distro != nil && distro.ID == id {
			return distro.VersionID
		}
		return ""
	}
	switch u.Type {
	case "deb":
		switch u.Namespace {
		case "debian":
			if v := release("debian"); v != "" {
				v, _, _ = strings.Cut(v, ".")
				return "Debian:" + v
			}
			return "Debian"
		case "ubuntu":
			if v := release("ubuntu"); v != "" {
				return "Ubuntu:" + v
			}
			return "Ubuntu"
		}
	case "apk":
		if u.Namespace == "alpine" {
			if v := release("alpine"); v != "" {
				parts := strings.SplitN(v, ".", 3)
				if len(parts) >= 2 {
					return "Alpine:v" + parts[0] + "." + parts[1]
				}
			}
			return "Alpine"
		}
	}
	return ""
}
