package cyclonedx

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/limits"
	"github.com/hallmark-dev/hallmark/sbom/internal/props"
)

// ErrUnsupported is returned (wrapped) for a document that is well-formed but not a CycloneDX
// BOM this package reads: another bomFormat, an unknown specVersion or XML namespace.
var ErrUnsupported = errors.New("unsupported document")

// Decode reads a CycloneDX BOM, JSON (spec 1.2–1.7) or XML (1.0–1.7), and returns its
// inventory, finalized (inventory.Finalize). Documents written by hallmark decode to the
// inventory they were made from; other tools' documents (syft, trivy, …) are mapped as far as
// their fields allow. Errors say which field is wrong.
func Decode(r io.Reader) (*inventory.Inventory, error) {
	b, err := limits.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	bom, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	inv, err := fromBOM(bom)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	return inv, nil
}

var jsonVersions = map[string]bool{"1.2": true, "1.3": true, "1.4": true, "1.5": true, "1.6": true, "1.7": true}

func parse(b []byte) (bom *cdx.BOM, err error) {
	// cyclonedx-go's custom unmarshalers are not hardened against hostile input; a panic in
	// them must still reach the caller as an error.
	defer func() {
		if r := recover(); r != nil {
			bom, err = nil, fmt.Errorf("malformed BOM (decoder panicked: %v)", r)
		}
	}()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("empty document")
	}
	switch trimmed[0] {
	case '{':
		var head struct {
			BOMFormat   *string          `json:"bomFormat"`
			SpecVersion *json.RawMessage `json:"specVersion"`
		}
		if err := json.Unmarshal(trimmed, &head); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", jsonError(trimmed, err))
		}
		switch {
		case head.BOMFormat == nil:
			return nil, fmt.Errorf("bomFormat is missing: %w", ErrUnsupported)
		case *head.BOMFormat != cdx.BOMFormat:
			return nil, fmt.Errorf("bomFormat is %.100q, want %q: %w", *head.BOMFormat, cdx.BOMFormat, ErrUnsupported)
		case head.SpecVersion == nil:
			return nil, fmt.Errorf("specVersion is missing: %w", ErrUnsupported)
		}
		var sv string
		if json.Unmarshal(*head.SpecVersion, &sv) != nil || !jsonVersions[sv] {
			return nil, fmt.Errorf("unsupported specVersion %.100s (this reader knows 1.2 to 1.7): %w", *head.SpecVersion, ErrUnsupported)
		}
		var doc bomDoc
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return nil, fmt.Errorf("decoding JSON BOM: %w", jsonError(trimmed, err))
		}
		bom = doc.bom()
	case '<':
		if err := checkXMLRoot(trimmed); err != nil {
			return nil, err
		}
		bom = new(cdx.BOM)
		if err := cdx.NewBOMDecoder(bytes.NewReader(trimmed), cdx.BOMFileFormatXML).Decode(bom); err != nil {
			return nil, fmt.Errorf("decoding XML BOM: %w", err)
		}
		if bom.SpecVersion == 0 {
			return nil, fmt.Errorf("unsupported XML namespace %.100q: %w", bom.XMLNS, ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("neither JSON nor XML (starts with %.20q)", trimmed)
	}
	return bom, nil
}

// jsonError adds the line and column to a JSON syntax or type error.
func jsonError(b []byte, err error) error {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return err
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// checkXMLRoot checks that the document element is a CycloneDX bom, so that other XML (SPDX
// RDF, a web page) gets a clear error instead of an empty BOM.
func checkXMLRoot(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("invalid XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "bom" || !strings.HasPrefix(se.Name.Space, "http://cyclonedx.org/schema/bom/") {
				return fmt.Errorf("XML document element is {%.100s}%.100s, want a CycloneDX bom: %w", se.Name.Space, se.Name.Local, ErrUnsupported)
			}
			return nil
		}
	}
}

// decoder holds the state of one fromBOM call.
type decoder struct {
	f       limits.Fields
	foreign bool // the BOM was not written by hallmark
	inv     *inventory.Inventory
	// refs holds every bom-ref of a component or service; pkg maps those of packages (and
	// the subject) to the ID used in inventory relationships.
	refs map[string]string // bom-ref → where it was declared
	pkg  map[string]string
}

func fromBOM(bom *cdx.BOM) (*inventory.Inventory, error) {
	d := &decoder{
		inv:  &inventory.Inventory{},
		refs: map[string]string{},
		pkg:  map[string]string{},
	}
	var metaProps []props.Property
	if m := bom.Metadata; m != nil {
		metaProps = d.props("metadata", m.Properties)
	}
	_, hallmark := props.Get(metaProps, props.Convention)
	d.foreign = !hallmark

	// Every bom-ref first, so that duplicates are found wherever they are.
	if m := bom.Metadata; m != nil && m.Component != nil {
		if err := d.declare("metadata.component", m.Component); err != nil {
			return nil, err
		}
	}
	for i := range deref(bom.Components) {
		if err := d.declare(fmt.Sprintf("components[%d]", i), &(*bom.Components)[i]); err != nil {
			return nil, err
		}
	}
	for i := range deref(bom.Services) {
		if err := d.declareService(fmt.Sprintf("services[%d]", i), &(*bom.Services)[i]); err != nil {
			return nil, err
		}
	}

	if m := bom.Metadata; m != nil && m.Component != nil {
		if err := d.subject(m.Component); err != nil {
			return nil, err
		}
		for i := range deref(m.Component.Components) {
			if err := d.component(fmt.Sprintf("metadata.component.components[%d]", i), &(*m.Component.Components)[i]); err != nil {
				return nil, err
			}
		}
	}
	for i := range deref(bom.Components) {
		if err := d.component(fmt.Sprintf("components[%d]", i), &(*bom.Components)[i]); err != nil {
			return nil, err
		}
	}
	if err := d.dependencies(bom); err != nil {
		return nil, err
	}

	errs, err := props.ApplyErrors(metaProps)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	d.inv.Errors = errs
	if d.foreign {
		for i, c := range deref(bom.Compositions) {
			if strings.HasPrefix(string(c.Aggregate), "incomplete") {
				d.inv.Errors = append(d.inv.Errors, inventory.FileError{
					Message: fmt.Sprintf("the SBOM declares its content incomplete (compositions[%d].aggregate %q)", i, c.Aggregate),
				})
				break
			}
		}
	}
	if err := d.f.Err(); err != nil {
		return nil, err
	}
	d.inv.Finalize()
	return d.inv, nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func (d *decoder) declareRef(where, ref string) error {
	if ref == "" {
		return nil
	}
	d.f.Check(where+".bom-ref", ref)
	if prev, dup := d.refs[ref]; dup {
		return fmt.Errorf("duplicate bom-ref %.200q (%s and %s)", ref, prev, where)
	}
	d.refs[ref] = where
	return nil
}

func (d *decoder) declare(where string, c *cdx.Component) error {
	if err := d.declareRef(where, c.BOMRef); err != nil {
		return err
	}
	for i := range deref(c.Components) {
		if err := d.declare(fmt.Sprintf("%s.components[%d]", where, i), &(*c.Components)[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) declareService(where string, s *cdx.Service) error {
	if err := d.declareRef(where, s.BOMRef); err != nil {
		return err
	}
	for i := range deref(s.Services) {
		if err := d.declareService(fmt.Sprintf("%s.services[%d]", where, i), &(*s.Services)[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) props(where string, ps *[]cdx.Property) []props.Property {
	var out []props.Property
	for i, p := range deref(ps) {
		at := fmt.Sprintf("%s.properties[%d]", where, i)
		out = append(out, props.Property{Name: d.f.Check(at+".name", p.Name), Value: d.f.Check(at+".value", p.Value)})
	}
	return out
}

// subjectKinds maps metadata.component types back to subject kinds, for BOMs without the
// hallmark:subject:kind property.
var subjectKinds = map[cdx.ComponentType]string{
	cdx.ComponentTypeContainer:   inventory.KindImage,
	cdx.ComponentTypeFile:        inventory.KindFile,
	cdx.ComponentTypeApplication: inventory.KindDirectory,
}

// hashDigests maps CycloneDX hash algorithms to digest prefixes, best first.
var hashDigests = []struct {
	alg    cdx.HashAlgorithm
	prefix string
}{
	{cdx.HashAlgoSHA256, "sha256"},
	{cdx.HashAlgoSHA512, "sha512"},
	{cdx.HashAlgoSHA384, "sha384"},
	{cdx.HashAlgoSHA1, "sha1"},
	{cdx.HashAlgoMD5, "md5"},
}

func (d *decoder) subject(c *cdx.Component) error {
	const where = "metadata.component"
	ps := d.props(where, c.Properties)
	s := inventory.Subject{
		Name:    d.f.Check(where+".name", c.Name),
		Version: d.f.Check(where+".version", c.Version),
		PURL:    strings.TrimSpace(d.f.Check(where+".purl", c.PackageURL)),
		Kind:    subjectKinds[c.Type],
	}
	if k, ok := props.Get(ps, props.SubjectKind); ok {
		s.Kind = k
	}
	hashes := deref(c.Hashes)
	for _, hd := range hashDigests {
		if s.Digest != "" {
			break
		}
		for _, h := range hashes {
			if h.Algorithm == hd.alg && h.Value != "" {
				s.Digest = hd.prefix + ":" + strings.ToLower(d.f.Check(where+".hashes", h.Value))
				break
			}
		}
	}
	if v, ok := props.Get(ps, props.SubjectDigest); ok {
		s.Digest = v
	}
	d.inv.Subject = s
	if c.BOMRef != "" {
		d.pkg[c.BOMRef] = inventory.SubjectRef
	}
	return nil
}

// component maps one component and, recursively, the components nested in it.
func (d *decoder) component(where string, c *cdx.Component) error {
	ps := d.props(where, c.Properties)
	switch {
	case props.IsDistro(ps) && d.inv.Distro == nil:
		dist := &inventory.Distro{}
		props.ApplyDistro(dist, ps)
		d.inv.Distro = dist
	case d.foreign && c.Type == cdx.ComponentTypeOS && c.PackageURL == "" && d.inv.Distro == nil:
		d.inv.Distro = d.foreignDistro(where, c, ps)
	case d.foreign && c.Type == cdx.ComponentTypeFile && c.PackageURL == "":
		// Other tools list the files they read as file components; hallmark keeps those as
		// package locations, not as packages.
	case d.foreign && c.PackageURL == "" && hasProp(ps, "aquasecurity:trivy:Class"):
		// trivy groups packages under one component per lockfile or OS; the lockfile's
		// dependsOn are the subject's direct dependencies.
		if v, _ := props.Get(ps, "aquasecurity:trivy:Class"); v == "lang-pkgs" && c.BOMRef != "" {
			d.pkg[c.BOMRef] = inventory.SubjectRef
		}
	default:
		p, err := d.packageOf(where, c, ps)
		if err != nil {
			return err
		}
		// A decoder-local ID: bom-refs are arbitrary strings (one may even be "subject"), and
		// Finalize replaces these with hallmark's stable IDs anyway.
		p.ID = "c" + strconv.Itoa(len(d.inv.Packages))
		d.inv.Packages = append(d.inv.Packages, p)
		if c.BOMRef != "" {
			d.pkg[c.BOMRef] = p.ID
		}
	}
	for i := range deref(c.Components) {
		if err := d.component(fmt.Sprintf("%s.components[%d]", where, i), &(*c.Components)[i]); err != nil {
			return err
		}
	}
	return nil
}

func hasProp(ps []props.Property, name string) bool {
	_, ok := props.Get(ps, name)
	return ok
}

func (d *decoder) foreignDistro(where string, c *cdx.Component, ps []props.Property) *inventory.Distro {
	dist := &inventory.Distro{
		ID:         d.f.Check(where+".name", c.Name),
		VersionID:  d.f.Check(where+".version", c.Version),
		PrettyName: d.f.Check(where+".description", c.Description),
	}
	// syft records the os-release fields as properties.
	for _, p := range ps {
		switch p.Name {
		case "syft:distro:id":
			dist.ID = p.Value
		case "syft:distro:versionID":
			dist.VersionID = p.Value
		case "syft:distro:versionCodename":
			dist.Codename = p.Value
		case "syft:distro:prettyName":
			dist.PrettyName = p.Value
		}
	}
	return dist
}

func (d *decoder) packageOf(where string, c *cdx.Component, ps []props.Property) (*inventory.Package, error) {
	p := &inventory.Package{
		Name:    d.f.Check(where+".name", c.Name),
		Version: d.f.Check(where+".version", c.Version),
		PURL:    strings.TrimSpace(d.f.Check(where+".purl", c.PackageURL)),
		Type:    string(c.Type),
	}
	if c.Group != "" && d.foreign {
		sep := "/"
		if strings.HasPrefix(p.PURL, "pkg:maven/") {
			sep = ":"
		}
		p.Name = d.f.Check(where+".group", c.Group) + sep + p.Name
	}
	if c.Supplier != nil {
		p.Supplier = d.f.Check(where+".supplier.name", c.Supplier.Name)
	}
	if p.Supplier == "" && d.foreign {
		// Other tools put the maintainer where NTIA's supplier would be.
		switch {
		case c.Manufacturer != nil && c.Manufacturer.Name != "":
			p.Supplier = d.f.Check(where+".manufacturer.name", c.Manufacturer.Name)
		case c.Publisher != "":
			p.Supplier = d.f.Check(where+".publisher", c.Publisher)
		}
	}
	var lics cdx.Licenses
	if c.Licenses != nil {
		lics = *c.Licenses
	}
	for i, l := range lics {
		at := fmt.Sprintf("%s.licenses[%d]", where, i)
		switch {
		case l.Expression != "":
			p.Licenses = append(p.Licenses, d.f.Check(at+".expression", l.Expression))
		case l.License != nil && l.License.ID != "":
			p.Licenses = append(p.Licenses, d.f.Check(at+".license.id", l.License.ID))
		case l.License != nil && l.License.Name != "":
			p.Licenses = append(p.Licenses, d.f.Check(at+".license.name", l.License.Name))
		}
	}
	for i, h := range deref(c.Hashes) {
		if h.Algorithm == "" || h.Value == "" {
			continue
		}
		if p.Hashes == nil {
			p.Hashes = map[string]string{}
		}
		if _, dup := p.Hashes[string(h.Algorithm)]; !dup {
			p.Hashes[string(h.Algorithm)] = strings.ToLower(d.f.Check(fmt.Sprintf("%s.hashes[%d]", where, i), h.Value))
		}
	}
	if err := props.ApplyPackage(p, ps); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	for _, pr := range ps {
		if alg, ok := strings.CutPrefix(pr.Name, props.HashPrefix); ok && alg != "" {
			if p.Hashes == nil {
				p.Hashes = map[string]string{}
			}
			p.Hashes[alg] = pr.Value
		}
	}
	d.locations(where, p, c, ps)
	if d.foreign {
		d.foreignFacts(where, p, c, ps)
	}
	return p, nil
}

// locations reads evidence.occurrences, with layers from hallmark's per-location properties,
// or the location properties of syft and trivy.
func (d *decoder) locations(where string, p *inventory.Package, c *cdx.Component, ps []props.Property) {
	if c.Evidence != nil {
		for i, o := range deref(c.Evidence.Occurrences) {
			l := inventory.Location{Path: d.f.Check(fmt.Sprintf("%s.evidence.occurrences[%d].location", where, i), o.Location)}
			if l.Path == "." {
				l.Path = "" // the artifact root, see packageComponent
			}
			if o.Line != nil && *o.Line > 0 {
				l.Line = *o.Line
			}
			p.Locations = append(p.Locations, l)
		}
		if lines := props.All(ps, props.Line); len(lines) == len(p.Locations) {
			for i, v := range lines {
				if n, err := strconv.Atoi(v); err == nil && n > 0 && p.Locations[i].Line == 0 {
					p.Locations[i].Line = n
				}
			}
		}
		if digests := props.All(ps, props.LayerDigest); len(digests) == len(p.Locations) {
			for i := range p.Locations {
				p.Locations[i].LayerDigest = digests[i]
			}
		}
		if diffIDs := props.All(ps, props.LayerDiffID); len(diffIDs) == len(p.Locations) {
			for i := range p.Locations {
				p.Locations[i].LayerDiffID = diffIDs[i]
			}
		}
	}
	if len(p.Locations) > 0 || !d.foreign {
		if d.foreign {
			for i := range p.Locations {
				p.Locations[i].Path = strings.TrimLeft(p.Locations[i].Path, "/")
			}
		}
		return
	}
	// syft: syft:location:<n>:path and syft:location:<n>:layerID (the layer's diffID).
	byIndex := map[int]*inventory.Location{}
	var order []int
	for _, pr := range ps {
		rest, ok := strings.CutPrefix(pr.Name, "syft:location:")
		if !ok {
			continue
		}
		n, field, ok := strings.Cut(rest, ":")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 0 {
			continue
		}
		l := byIndex[i]
		if l == nil {
			l = &inventory.Location{}
			byIndex[i] = l
			order = append(order, i)
		}
		switch field {
		case "path":
			l.Path = strings.TrimLeft(pr.Value, "/")
		case "layerID":
			l.LayerDiffID = pr.Value
		}
	}
	sort.Ints(order)
	for _, i := range order {
		if l := byIndex[i]; l.Path != "" {
			p.Locations = append(p.Locations, *l)
		}
	}
	// trivy: one FilePath, LayerDigest and LayerDiffID per component.
	if path, ok := props.Get(ps, "aquasecurity:trivy:FilePath"); ok && len(p.Locations) == 0 {
		l := inventory.Location{Path: strings.TrimLeft(path, "/")}
		l.LayerDigest, _ = props.Get(ps, "aquasecurity:trivy:LayerDigest")
		l.LayerDiffID, _ = props.Get(ps, "aquasecurity:trivy:LayerDiffID")
		p.Locations = append(p.Locations, l)
	}
}

// foreignFacts maps what other tools record about a package in their own properties.
func (d *decoder) foreignFacts(where string, p *inventory.Package, c *cdx.Component, ps []props.Property) {
	if v, ok := props.Get(ps, "syft:package:foundBy"); ok && p.FoundBy == "" {
		p.FoundBy = v
	}
	if name, ok := props.Get(ps, "aquasecurity:trivy:SrcName"); ok && p.Source == nil {
		// trivy splits the source version as RPM does: [epoch:]version[-release].
		v, _ := props.Get(ps, "aquasecurity:trivy:SrcVersion")
		if rel, _ := props.Get(ps, "aquasecurity:trivy:SrcRelease"); rel != "" {
			v += "-" + rel
		}
		if epoch, _ := props.Get(ps, "aquasecurity:trivy:SrcEpoch"); epoch != "" && epoch != "0" {
			v = epoch + ":" + v
		}
		p.Source = &inventory.SourcePackage{Name: name, Version: v}
	}
	if p.Source == nil {
		// syft: the source package as a purl in a source-distribution reference.
		for i, er := range deref(c.ExternalReferences) {
			if er.Type != cdx.ERTypeSourceDistribution || !strings.HasPrefix(er.URL, "pkg:") {
				continue
			}
			name, version := purlNameVersion(d.f.Check(fmt.Sprintf("%s.externalReferences[%d].url", where, i), er.URL))
			if name != "" {
				p.Source = &inventory.SourcePackage{Name: name, Version: version}
				break
			}
		}
	}
}

// purlNameVersion returns the name and version of a package URL, without the namespace.
func purlNameVersion(s string) (name, version string) {
	u, err := purl.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", ""
	}
	return u.Name, u.Version
}

func (d *decoder) dependencies(bom *cdx.BOM) error {
	for i, dep := range deref(bom.Dependencies) {
		at := fmt.Sprintf("dependencies[%d]", i)
		if _, ok := d.refs[dep.Ref]; !ok {
			return fmt.Errorf("%s: ref %.200q is not the bom-ref of a component or service", at, dep.Ref)
		}
		from := d.pkg[dep.Ref]
		for j, to := range deref(dep.Dependencies) {
			if _, ok := d.refs[to]; !ok {
				return fmt.Errorf("%s.dependsOn[%d]: %.200q is not the bom-ref of a component or service", at, j, to)
			}
			toID := d.pkg[to]
			if from == "" || toID == "" || toID == inventory.SubjectRef {
				continue // an edge to or from something that is not a package
			}
			d.inv.Relationships = append(d.inv.Relationships, inventory.Relationship{From: from, To: toID})
		}
	}
	return nil
}
