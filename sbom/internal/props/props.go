// Package props names the hallmark-specific facts that neither CycloneDX nor SPDX has a field
// for, and turns them into name/value pairs: CycloneDX carries them as properties, SPDX as
// annotations whose comment is "name=value". Both encoders use the same names, so a fact
// survives any chain of conversions between the two formats.
package props

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/inventory"
)

// Property names. All start with "hallmark:", the namespace hallmark owns (CycloneDX property
// taxonomy convention).
const (
	// Convention marks a document written by hallmark; its value is ConventionVersion. Decoders
	// apply heuristics meant for other tools' documents only when it is absent.
	Convention        = "hallmark:inventory:version"
	ConventionVersion = "1"

	// Partial is "true" when some files could not be read; Unreadable (one per file) holds a
	// FileError as JSON.
	Partial    = "hallmark:partial"
	Unreadable = "hallmark:unreadable"

	// SubjectKind is the inventory.Subject Kind; SubjectDigest carries a digest that is not a
	// hash the format can hold.
	SubjectKind   = "hallmark:subject:kind"
	SubjectDigest = "hallmark:subject:digest"

	// Distro* mark the operating-system component or package made from inventory.Distro.
	DistroID         = "hallmark:distro:id"
	DistroVersionID  = "hallmark:distro:versionID"
	DistroCodename   = "hallmark:distro:codename"
	DistroPrettyName = "hallmark:distro:prettyName"

	// Package facts.
	Ecosystem     = "hallmark:ecosystem"
	Type          = "hallmark:type"
	Scope         = "hallmark:scope"
	Dev           = "hallmark:dev"
	FoundBy       = "hallmark:found-by"
	SourceName    = "hallmark:source:name"
	SourceVersion = "hallmark:source:version"
	// LayerDigest and LayerDiffID appear once per location, in location order, when any
	// location has a layer (CycloneDX: aligned with evidence.occurrences).
	LayerDigest = "hallmark:layer:digest"
	LayerDiffID = "hallmark:layer:diffID"
	// Line appears once per location, in location order, when any location has a line and
	// the format cannot hold it natively (CycloneDX XML as written by cyclonedx-go, which puts
	// occurrence line numbers in an attribute that the 1.6 XSD does not allow).
	Line = "hallmark:line"
	// Location holds a whole inventory.Location as JSON (SPDX, which has no location field).
	Location = "hallmark:location"
	// License holds one licence string exactly as inventoried, when the format's own licence
	// field cannot give it back verbatim (SPDX, which holds one expression per package).
	License = "hallmark:license"
	// PURL holds a purl that the format cannot hold as an identifier (SPDX reference locators
	// allow no whitespace).
	PURL = "hallmark:purl"
	// HashPrefix + algorithm holds a hash the format cannot hold (unknown algorithm or a value
	// that is not hex of a standard length).
	HashPrefix = "hallmark:hash:"
)

// Property is one name/value pair.
type Property struct {
	Name, Value string
}

// Get returns the value of the first property called name.
func Get(ps []Property, name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// All returns the values of every property called name, in order.
func All(ps []Property, name string) []string {
	var vs []string
	for _, p := range ps {
		if p.Name == name {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// Package returns the properties for the package facts that no format has a field for, in a
// fixed order. typ is set when the format cannot express p.Type natively.
func Package(p *inventory.Package, typ bool) []Property {
	var ps []Property
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, Property{name, value})
		}
	}
	add(Ecosystem, p.Ecosystem)
	if typ {
		add(Type, p.Type)
	}
	add(Scope, p.Scope)
	if p.Dev {
		add(Dev, "true")
	}
	add(FoundBy, p.FoundBy)
	if p.Source != nil {
		// Both are written, even when empty, so that a source package with an empty version
		// still round-trips.
		ps = append(ps, Property{SourceName, p.Source.Name}, Property{SourceVersion, p.Source.Version})
	}
	return ps
}

// ApplyPackage sets the facts written by Package.
func ApplyPackage(p *inventory.Package, ps []Property) error {
	for _, pr := range ps {
		switch pr.Name {
		case Ecosystem:
			p.Ecosystem = pr.Value
		case Type:
			p.Type = pr.Value
		case Scope:
			p.Scope = pr.Value
		case Dev:
			b, err := strconv.ParseBool(pr.Value)
			if err != nil {
				return fmt.Errorf("property %s: %q is not a boolean", Dev, pr.Value)
			}
			p.Dev = b
		case FoundBy:
			p.FoundBy = pr.Value
		case SourceName:
			if p.Source == nil {
				p.Source = &inventory.SourcePackage{}
			}
			p.Source.Name = pr.Value
		case SourceVersion:
			if p.Source == nil {
				p.Source = &inventory.SourcePackage{}
			}
			p.Source.Version = pr.Value
		}
	}
	return nil
}

// Distro returns the properties that mark and describe d.
func Distro(d *inventory.Distro) []Property {
	return []Property{
		{DistroID, d.ID},
		{DistroVersionID, d.VersionID},
		{DistroCodename, d.Codename},
		{DistroPrettyName, d.PrettyName},
	}
}

// IsDistro reports whether ps mark a component or package made from inventory.Distro.
func IsDistro(ps []Property) bool {
	_, ok := Get(ps, DistroID)
	return ok
}

// ApplyDistro sets the distro facts written by Distro.
func ApplyDistro(d *inventory.Distro, ps []Property) {
	for _, pr := range ps {
		switch pr.Name {
		case DistroID:
			d.ID = pr.Value
		case DistroVersionID:
			d.VersionID = pr.Value
		case DistroCodename:
			d.Codename = pr.Value
		case DistroPrettyName:
			d.PrettyName = pr.Value
		}
	}
}

// fileError is the JSON form of inventory.FileError.
type fileError struct {
	Path        string `json:"path"`
	LayerDigest string `json:"layerDigest,omitempty"`
	Extractor   string `json:"extractor,omitempty"`
	Message     string `json:"message"`
}

// location is the JSON form of inventory.Location.
type location struct {
	Path        string `json:"path"`
	Line        int    `json:"line,omitempty"`
	LayerDigest string `json:"layerDigest,omitempty"`
	LayerDiffID string `json:"layerDiffID,omitempty"`
}

// Errors returns the document properties that record unreadable files: Partial, then one
// Unreadable per file. It returns nil for a complete inventory.
func Errors(errs []inventory.FileError) []Property {
	if len(errs) == 0 {
		return nil
	}
	ps := []Property{{Partial, "true"}}
	for _, e := range errs {
		ps = append(ps, Property{Unreadable, compact(fileError(e))})
	}
	return ps
}

// ErrNoDetail is the message of the FileError recorded for a document that says it is partial
// without saying which files were unreadable: the inventory must still read as partial.
const ErrNoDetail = "the SBOM says it is partial but does not say which files could not be read"

// ApplyErrors returns the unreadable files recorded by Errors.
func ApplyErrors(ps []Property) ([]inventory.FileError, error) {
	var errs []inventory.FileError
	partial := false
	for _, pr := range ps {
		switch pr.Name {
		case Partial:
			partial = pr.Value == "true"
		case Unreadable:
			var fe fileError
			if err := strictJSON(pr.Value, &fe); err != nil {
				return nil, fmt.Errorf("property %s: %w", Unreadable, err)
			}
			errs = append(errs, inventory.FileError(fe))
		}
	}
	if partial && len(errs) == 0 {
		errs = append(errs, inventory.FileError{Message: ErrNoDetail})
	}
	return errs, nil
}

// EncodeLocation returns the JSON form of l, for Location.
func EncodeLocation(l inventory.Location) string { return compact(location(l)) }

// DecodeLocation parses a Location property value.
func DecodeLocation(s string) (inventory.Location, error) {
	var l location
	if err := strictJSON(s, &l); err != nil {
		return inventory.Location{}, fmt.Errorf("property %s: %w", Location, err)
	}
	if l.Line < 0 {
		return inventory.Location{}, fmt.Errorf("property %s: negative line %d", Location, l.Line)
	}
	return inventory.Location(l), nil
}

// compact marshals v without HTML escaping or a trailing newline. v is one of this package's
// structs, which always marshal.
func compact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // unreachable: plain structs of strings and ints
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func strictJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON value %.80q: %v", s, err)
	}
	if dec.More() {
		return fmt.Errorf("invalid JSON value %.80q: trailing data", s)
	}
	return nil
}
