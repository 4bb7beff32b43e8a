// Package inventory answers "what is inside?" — the first step of the loop after a source has
// been opened. It runs a single walk over an artifact's filesystem, hands each file to the
// extractors that want it (osv-scalibr's, plus hallmark's own dependency-graph and licence
// readers), and returns one Inventory: packages with canonical purls, the files and layers
// they came from, declared licences, and dependency edges where the source records them.
//
// Inventory is the hinge type of hallmark: SBOM encoders write it, SBOM decoders read it back,
// and matching, policy and the server consume it.
package inventory

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Inventory is everything known about what an artifact contains.
type Inventory struct {
	// Subject is the artifact that was inventoried.
	Subject Subject
	// Distro describes the operating system found in the artifact, if any.
	Distro *Distro
	// Packages are sorted by (PURL, first location); see Sort.
	Packages []*Package
	// Relationships are dependency edges between packages (and from the subject to its direct
	// dependencies, with From set to SubjectRef).
	Relationships []Relationship
	// Errors lists the files that could not be read. A non-empty list means the inventory is
	// partial, and every consumer must say so.
	Errors []FileError
}

// SubjectRef is the Relationship endpoint that stands for the subject itself.
const SubjectRef = "subject"

// Subject kinds.
const (
	KindDirectory = "directory"
	KindFile      = "file"
	KindImage     = "image"
	KindSBOM      = "sbom"
)

// Subject identifies the artifact an inventory describes: always a digest plus a name.
type Subject struct {
	// Kind is one of the Kind* constants.
	Kind string
	// Name is what the user called it: a path, an image reference, a file name.
	Name string
	// Digest is "sha256:<hex>": the image manifest digest, the file's sha256, or the directory
	// tree digest (docs/sources.md).
	Digest string
	// Version is an optional version of the subject (image tag, module version).
	Version string
	// PURL is an optional package URL of the subject (pkg:oci/… for images).
	PURL string
}

// Distro is the operating system found via os-release.
type Distro struct {
	ID         string // "debian", "alpine", "rhel"
	VersionID  string // "12", "3.20.3"
	Codename   string // "bookworm"
	PrettyName string
}

// Package is one software package found in the artifact.
type Package struct {
	// ID is a stable identifier, unique within the inventory, derived from the purl and the
	// first location (see Finalize). SBOMs use it as bom-ref / SPDXID suffix.
	ID      string
	Name    string
	Version string
	// Ecosystem is the OSV ecosystem name ("npm", "PyPI", "Go", "Maven", "crates.io",
	// "RubyGems", "Packagist", "NuGet", "Debian:12", "Alpine:v3.20", …). Empty when unknown.
	Ecosystem string
	// PURL is the canonical package URL.
	PURL string
	// Type is the package's role: "library" (default), "application", "operating-system".
	Type string
	// Locations are the files that evidence the package, first is the main one.
	Locations []Location
	// Licenses are the declared licences as found, preferably SPDX expressions.
	Licenses []string
	// Source is the source package of an OS binary package; advisories for Debian, Ubuntu and
	// Alpine are filed against it.
	Source *SourcePackage
	// Supplier is the organisation or person that supplied the package, when the source says.
	Supplier string
	// Scope tells whether the subject depends on the package directly ("direct"),
	// transitively ("transitive"), or it is not known ("").
	Scope string
	// Dev marks development-only dependencies where the lockfile says so.
	Dev bool
	// FoundBy names the extractor that found the package.
	FoundBy string
	// Hashes are content digests, algorithm → lowercase hex (e.g. "SHA-256" → "…").
	Hashes map[string]string
}

// Scopes.
const (
	ScopeDirect     = "direct"
	ScopeTransitive = "transitive"
)

// SourcePackage is the source package an OS binary package was built from.
type SourcePackage struct {
	Name    string
	Version string
}

// Location is a file that evidences a package.
type Location struct {
	// Path is slash-separated and relative to the artifact root (no leading slash).
	Path string
	// Line is the 1-based line in Path, 0 when unknown.
	Line int
	// LayerDigest is the compressed layer blob digest (as in the image manifest) of the layer
	// that introduced the package; empty outside images.
	LayerDigest string
	// LayerDiffID is the uncompressed digest of the same layer.
	LayerDiffID string
}

// Relationship is a dependency edge: From depends on To. Both are package IDs or SubjectRef.
type Relationship struct {
	From string
	To   string
}

// FileError is a file that could not be read.
type FileError struct {
	Path        string
	LayerDigest string
	// Extractor names the reader that failed, if any.
	Extractor string
	Message   string
}

// Finalize assigns IDs, merges exact duplicates, drops dangling edges and sorts everything, so
// that the same artifact always yields the same inventory.
func (inv *Inventory) Finalize() {
	// Merge packages that are the same package found at the same main location (two
	// extractors reading one file), keeping the union of their facts.
	byKey := map[string]*Package{}
	var kept []*Package
	remap := map[string]string{} // old ID → surviving package's old ID
	for _, p := range inv.Packages {
		k := p.PURL + "\x00" + p.mainPath()
		if p.PURL == "" {
			k = p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.mainPath()
		}
		if q, ok := byKey[k]; ok {
			q.merge(p)
			if p.ID != "" {
				remap[p.ID] = q.ID
			}
			continue
		}
		byKey[k] = p
		kept = append(kept, p)
	}
	inv.Packages = kept
	for _, p := range inv.Packages {
		p.normalize()
	}
	inv.Sort()

	// Assign stable IDs, keeping a map from the extractor-local IDs used in relationships.
	newID := map[string]string{}
	seen := map[string]int{}
	for _, p := range inv.Packages {
		id := stableID(p)
		if n := seen[id]; n > 0 {
			seen[id] = n + 1
			id = id + "-" + strconv.Itoa(n+1)
		} else {
			seen[id] = 1
		}
		if p.ID != "" {
			newID[p.ID] = id
		}
		p.ID = id
	}
	for old, surv := range remap {
		if id, ok := newID[surv]; ok {
			newID[old] = id
		}
	}
	rels := inv.Relationships[:0]
	dedup := map[Relationship]bool{}
	for _, r := range inv.Relationships {
		from, to := r.From, r.To
		if from != SubjectRef {
			from = newID[from]
		}
		to = newID[to]
		if from == "" || to == "" || from == to {
			continue
		}
		nr := Relationship{From: from, To: to}
		if dedup[nr] {
			continue
		}
		dedup[nr] = true
		rels = append(rels, nr)
	}
	inv.Relationships = rels
	slices.SortFunc(inv.Relationships, func(a, b Relationship) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	slices.SortFunc(inv.Errors, func(a, b FileError) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.LayerDigest, b.LayerDigest),
			cmp.Compare(a.Extractor, b.Extractor), cmp.Compare(a.Message, b.Message))
	})
	inv.Errors = slices.Compact(inv.Errors)
}

// Sort orders packages by purl, then name, version and main location.
func (inv *Inventory) Sort() {
	slices.SortStableFunc(inv.Packages, func(a, b *Package) int {
		return cmp.Or(cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.mainPath(), b.mainPath()),
			cmp.Compare(a.mainLayer(), b.mainLayer()))
	})
}

// Partial reports whether some files could not be read.
func (inv *Inventory) Partial() bool { return len(inv.Errors) > 0 }

// Package returns the package with the given ID, or nil.
func (inv *Inventory) Package(id string) *Package {
	for _, p := range inv.Packages {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (p *Package) mainPath() string {
	if len(p.Locations) == 0 {
		return ""
	}
	return p.Locations[0].Path
}

func (p *Package) mainLayer() string {
	if len(p.Locations) == 0 {
		return ""
	}
	return p.Locations[0].LayerDigest
}

func cmpLocation(a, b Location) int {
	return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.LayerDigest, b.LayerDigest))
}

func (p *Package) merge(q *Package) {
	// Whatever order the extractors returned duplicates in, the same main location wins.
	if len(q.Locations) > 0 && (len(p.Locations) == 0 || cmpLocation(q.Locations[0], p.Locations[0]) < 0) {
		p.Locations = append([]Location{q.Locations[0]}, p.Locations...)
	}
	for _, l := range q.Locations {
		if !slices.Contains(p.Locations, l) {
			p.Locations = append(p.Locations, l)
		}
	}
	for _, l := range q.Licenses {
		if !slices.Contains(p.Licenses, l) {
			p.Licenses = append(p.Licenses, l)
		}
	}
	if p.Source == nil {
		p.Source = q.Source
	}
	if p.Supplier == "" {
		p.Supplier = q.Supplier
	}
	if p.Scope == "" || q.Scope == ScopeDirect {
		p.Scope = q.Scope
	}
	p.Dev = p.Dev && q.Dev
	for k, v := range q.Hashes {
		if p.Hashes == nil {
			p.Hashes = map[string]string{}
		}
		if _, ok := p.Hashes[k]; !ok {
			p.Hashes[k] = v
		}
	}
}

func (p *Package) normalize() {
	if p.Type == "" {
		p.Type = "library"
	}
	var lic []string
	for _, l := range p.Licenses {
		l = strings.TrimSpace(l)
		if l != "" && !slices.Contains(lic, l) {
			lic = append(lic, l)
		}
	}
	slices.Sort(lic)
	p.Licenses = lic
	// Keep the main location (the file that describes the package) first, sort the rest.
	if len(p.Locations) > 1 {
		rest := slices.Clone(p.Locations[1:])
		slices.SortFunc(rest, cmpLocation)
		p.Locations = append(p.Locations[:1], rest...)
		p.Locations = slices.Compact(p.Locations)
	}
}

// stableID derives a short, stable identifier from the package's identity and main location.
func stableID(p *Package) string {
	h := sha256.New()
	h.Write([]byte(p.PURL))
	h.Write([]byte{0})
	h.Write([]byte(p.Name + "\x00" + p.Version + "\x00" + p.Ecosystem + "\x00"))
	h.Write([]byte(p.mainPath()))
	h.Write([]byte{0})
	h.Write([]byte(p.mainLayer()))
	return "pkg-" + hex.EncodeToString(h.Sum(nil))[:16]
}
