package spdx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/limits"
	"github.com/hallmark-dev/hallmark/sbom/internal/props"
)

// ErrUnsupported is returned (wrapped) for a document that is well-formed but not an SPDX
// document this package reads: another spdxVersion, SPDX 3 JSON-LD, RDF or YAML.
var ErrUnsupported = errors.New("unsupported document")

var versions = map[string]bool{"SPDX-2.1": true, "SPDX-2.2": true, "SPDX-2.3": true}

// Decode reads an SPDX 2.1–2.3 document, JSON (with tools-golang's reader) or tag-value (with
// this package's, see readTagValue), and returns its inventory,
// finalized (inventory.Finalize). Documents written by hallmark decode to the inventory they
// were made from; other tools' documents (syft, trivy, …) are mapped as far as their fields
// allow. Errors say which element or field is wrong.
func Decode(r io.Reader) (*inventory.Inventory, error) {
	b, err := limits.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	doc, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	inv, err := fromDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	return inv, nil
}

func parse(b []byte) (doc *spdx.Document, err error) {
	// tools-golang's readers are not hardened against hostile input; a panic in them must
	// still reach the caller as an error.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("malformed document (reader panicked: %v)", r)
		}
	}()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return nil, errors.New("empty document")
	}
	switch t[0] {
	case '{':
		var head struct {
			SPDXVersion *json.RawMessage  `json:"spdxVersion"`
			Context     json.RawMessage   `json:"@context"`
			Packages    []json.RawMessage `json:"packages"`
		}
		if err := json.Unmarshal(t, &head); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if head.SPDXVersion == nil {
			if head.Context != nil {
				return nil, fmt.Errorf("SPDX 3 (JSON-LD) documents are not read yet: %w", ErrUnsupported)
			}
			return nil, fmt.Errorf("spdxVersion is missing: %w", ErrUnsupported)
		}
		var v string
		if json.Unmarshal(*head.SPDXVersion, &v) != nil || !versions[v] {
			return nil, fmt.Errorf("unsupported spdxVersion %.100s (this reader knows SPDX-2.1 to SPDX-2.3): %w", *head.SPDXVersion, ErrUnsupported)
		}
		for i, p := range head.Packages {
			if string(p) == "null" {
				// tools-golang's reader dereferences it.
				return nil, fmt.Errorf("packages[%d] is null", i)
			}
		}
		doc, err := spdxjson.Read(bytes.NewReader(t))
		if err != nil {
			return nil, fmt.Errorf("decoding JSON document: %w", err)
		}
		// tools-golang strips the quotes of "supplier" without undoing JSON escapes, so a
		// supplier with a quote or backslash in it would come back changed; read it again.
		for i, raw := range head.Packages {
			var p struct {
				Supplier *string `json:"supplier"`
			}
			if json.Unmarshal(raw, &p) == nil && p.Supplier != nil && i < len(doc.Packages) && doc.Packages[i] != nil {
				doc.Packages[i].PackageSupplier = parseSupplier(*p.Supplier)
			}
		}
		return doc, nil
	case '<':
		return nil, fmt.Errorf("XML (SPDX RDF/XML or XML) documents are not read: %w", ErrUnsupported)
	}
	v, ok := tagValueVersion(t)
	if !ok {
		return nil, errors.New("neither JSON nor tag-value (no SPDXVersion: line)")
	}
	if !versions[v] {
		return nil, fmt.Errorf("unsupported SPDXVersion %.100q (this reader knows SPDX-2.1 to SPDX-2.3): %w", v, ErrUnsupported)
	}
	doc, err = readTagValue(t)
	if err != nil {
		return nil, fmt.Errorf("decoding tag-value document: %w", err)
	}
	return doc, nil
}

// parseSupplier parses "Organization: …", "Person: …" or NOASSERTION.
func parseSupplier(s string) *common.Supplier {
	s = strings.TrimSpace(s)
	if s == noAssert {
		return &common.Supplier{Supplier: noAssert}
	}
	typ, who, ok := strings.Cut(s, ":")
	if !ok {
		return &common.Supplier{Supplier: s}
	}
	return &common.Supplier{SupplierType: strings.TrimSpace(typ), Supplier: strings.TrimSpace(who)}
}

// tagValueVersion returns the value of the first SPDXVersion tag, if the document starts (after
// comments and blank lines) like tag-value.
func tagValueVersion(b []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), limits.MaxField)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tag, val, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(tag, " \t<{") {
			return "", false
		}
		if tag == "SPDXVersion" {
			return strings.TrimSpace(val), true
		}
	}
	return "", false
}

// decoder holds the state of one fromDocument call.
type decoder struct {
	f        limits.Fields
	doc      *spdx.Document
	foreign  bool // the document was not written by hallmark
	inv      *inventory.Inventory
	elements map[common.ElementID]string           // every element ID → where it was declared
	pkg      map[common.ElementID]string           // package (and subject) element → inventory ID
	ann      map[common.ElementID][]props.Property // element → hallmark annotations
	names    map[string]string                     // LicenseRef- ID → licence name
}

func fromDocument(doc *spdx.Document) (*inventory.Inventory, error) {
	d := &decoder{
		doc:      doc,
		inv:      &inventory.Inventory{},
		elements: map[common.ElementID]string{},
		pkg:      map[common.ElementID]string{},
		ann:      map[common.ElementID][]props.Property{},
		names:    map[string]string{},
	}
	if err := d.index(); err != nil {
		return nil, err
	}
	docProps := d.ann[doc.SPDXIdentifier]
	_, hallmark := props.Get(docProps, props.Convention)
	d.foreign = !hallmark

	described := d.described()
	groups := d.groups()
	var subject *spdx.Package
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		if _, ok := props.Get(d.ann[p.PackageSPDXIdentifier], props.SubjectKind); ok && !d.foreign {
			subject = p
			break
		}
	}
	if d.foreign {
		var pkgs []*spdx.Package
		for _, id := range described {
			if p := d.packageByID(id); p != nil {
				pkgs = append(pkgs, p)
			}
		}
		if len(pkgs) == 1 && len(described) == 1 {
			subject = pkgs[0]
		} else {
			d.inv.Subject.Name = d.f.Check("name", doc.DocumentName)
		}
	}

	for i, p := range doc.Packages {
		if p == nil {
			return nil, fmt.Errorf("packages[%d] is null", i)
		}
		where := fmt.Sprintf("packages[%d] (%s)", i, common.RenderElementID(p.PackageSPDXIdentifier))
		ann := d.ann[p.PackageSPDXIdentifier]
		switch {
		case p == subject:
			if err := d.subject(where, p, ann); err != nil {
				return nil, err
			}
		case props.IsDistro(ann) && d.inv.Distro == nil:
			dist := &inventory.Distro{}
			props.ApplyDistro(dist, ann)
			d.inv.Distro = dist
		case d.foreign && purposeType(p.PrimaryPackagePurpose) == "operating-system" && d.purl(where, p, ann) == "" && d.inv.Distro == nil:
			d.inv.Distro = &inventory.Distro{
				ID:         d.f.Check(where+".name", p.PackageName),
				VersionID:  d.f.Check(where+".versionInfo", p.PackageVersion),
				PrettyName: d.f.Check(where+".description", p.PackageDescription),
			}
		case d.foreign && groups[p.PackageSPDXIdentifier] && d.purl(where, p, ann) == "" && p.PackageVersion == "":
			// Other tools group packages under an element per lockfile, binary or OS (trivy's
			// "Application"); without a purl or version it is not a package itself.
		default:
			pk, err := d.packageOf(where, p, ann)
			if err != nil {
				return nil, err
			}
			// A decoder-local ID; Finalize replaces it with hallmark's stable one.
			pk.ID = "s" + strconv.Itoa(len(d.inv.Packages))
			d.inv.Packages = append(d.inv.Packages, pk)
			d.pkg[p.PackageSPDXIdentifier] = pk.ID
		}
	}
	if err := d.relationships(); err != nil {
		return nil, err
	}
	errs, err := props.ApplyErrors(docProps)
	if err != nil {
		return nil, fmt.Errorf("document annotations: %w", err)
	}
	d.inv.Errors = errs
	if err := d.f.Err(); err != nil {
		return nil, err
	}
	d.inv.Finalize()
	return d.inv, nil
}

// index records every element ID (rejecting duplicates), the hallmark annotations of every
// element, and the names of extracted licences.
func (d *decoder) index() error {
	declare := func(id common.ElementID, where string) error {
		if id == "" {
			return fmt.Errorf("%s has no SPDXID", where)
		}
		d.f.Check(where+".SPDXID", string(id))
		if prev, dup := d.elements[id]; dup {
			return fmt.Errorf("duplicate SPDXID %.200q (%s and %s)", common.RenderElementID(id), prev, where)
		}
		d.elements[id] = where
		return nil
	}
	doc := d.doc
	if doc.SPDXIdentifier == "" {
		doc.SPDXIdentifier = "DOCUMENT"
	}
	if err := declare(doc.SPDXIdentifier, "document"); err != nil {
		return err
	}
	for i, p := range doc.Packages {
		if p == nil {
			continue
		}
		where := fmt.Sprintf("packages[%d]", i)
		if err := declare(p.PackageSPDXIdentifier, where); err != nil {
			return err
		}
		for j, a := range p.Annotations {
			d.annotation(fmt.Sprintf("%s.annotations[%d]", where, j), p.PackageSPDXIdentifier, a)
		}
		for j, f := range p.Files {
			if f != nil {
				if err := declare(f.FileSPDXIdentifier, fmt.Sprintf("%s.files[%d]", where, j)); err != nil {
					return err
				}
			}
		}
	}
	for i, f := range doc.Files {
		if f != nil {
			if err := declare(f.FileSPDXIdentifier, fmt.Sprintf("files[%d]", i)); err != nil {
				return err
			}
		}
	}
	for i, s := range doc.Snippets {
		if err := declare(s.SnippetSPDXIdentifier, fmt.Sprintf("snippets[%d]", i)); err != nil {
			return err
		}
	}
	for i, a := range doc.Annotations {
		if a == nil {
			continue
		}
		// JSON: document annotations; tag-value: every annotation, with its SPDXREF.
		id := a.AnnotationSPDXIdentifier.ElementRefID
		if id == "" || a.AnnotationSPDXIdentifier.DocumentRefID != "" {
			id = doc.SPDXIdentifier
		}
		d.annotation(fmt.Sprintf("annotations[%d]", i), id, *a)
	}
	for i, o := range doc.OtherLicenses {
		if o != nil {
			d.names[d.f.Check(fmt.Sprintf("hasExtractedLicensingInfos[%d].licenseId", i), o.LicenseIdentifier)] =
				d.f.Check(fmt.Sprintf("hasExtractedLicensingInfos[%d].name", i), o.LicenseName)
		}
	}
	return nil
}

// annotation records a "hallmark:…=value" annotation comment.
func (d *decoder) annotation(where string, id common.ElementID, a spdx.Annotation) {
	name, value, ok := strings.Cut(a.AnnotationComment, "=")
	if !ok || !strings.HasPrefix(name, "hallmark:") {
		return
	}
	d.ann[id] = append(d.ann[id], props.Property{Name: d.f.Check(where+".comment", name), Value: d.f.Check(where+".comment", value)})
}

func (d *decoder) packageByID(id common.ElementID) *spdx.Package {
	for _, p := range d.doc.Packages {
		if p != nil && p.PackageSPDXIdentifier == id {
			return p
		}
	}
	return nil
}

// described returns the local elements the document DESCRIBES (documentDescribes becomes such
// relationships when read), or is DESCRIBED_BY.
func (d *decoder) described() []common.ElementID {
	var out []common.ElementID
	self := d.doc.SPDXIdentifier
	for _, r := range d.doc.Relationships {
		if r == nil || r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
			continue
		}
		switch {
		case r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == self && r.RefB.ElementRefID != "":
			out = append(out, r.RefB.ElementRefID)
		case r.Relationship == common.TypeRelationshipDescribeBy && r.RefB.ElementRefID == self && r.RefA.ElementRefID != "":
			out = append(out, r.RefA.ElementRefID)
		}
	}
	return out
}

// groups returns the elements that CONTAIN packages.
func (d *decoder) groups() map[common.ElementID]bool {
	pkgs := map[common.ElementID]bool{}
	for _, p := range d.doc.Packages {
		if p != nil {
			pkgs[p.PackageSPDXIdentifier] = true
		}
	}
	out := map[common.ElementID]bool{}
	for _, r := range d.doc.Relationships {
		if r == nil || r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
			continue
		}
		a, b := r.RefA.ElementRefID, r.RefB.ElementRefID
		switch r.Relationship {
		case common.TypeRelationshipContainedBy:
			a, b = b, a
		case common.TypeRelationshipContains:
		default:
			continue
		}
		if pkgs[b] {
			out[a] = true
		}
	}
	return out
}

// purposeType maps primaryPackagePurpose (either spelling) to a package type.
func purposeType(p string) string {
	p = strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(p)), "_", "-")
	if p == "" || p == "OTHER" {
		return ""
	}
	return strings.ToLower(p)
}

// subjectKinds maps the described package's purpose to a subject kind, for documents without
// the hallmark:subject:kind annotation.
var subjectKinds = map[string]string{
	"container":   inventory.KindImage,
	"file":        inventory.KindFile,
	"application": inventory.KindDirectory,
	"source":      inventory.KindDirectory,
}

// checksumDigests maps SPDX checksum algorithms to digest prefixes, best first.
var checksumDigests = []struct {
	alg    common.ChecksumAlgorithm
	prefix string
}{
	{common.SHA256, "sha256"},
	{common.SHA512, "sha512"},
	{common.SHA384, "sha384"},
	{common.SHA1, "sha1"},
	{common.MD5, "md5"},
}

func (d *decoder) subject(where string, p *spdx.Package, ann []props.Property) error {
	s := inventory.Subject{
		Name:    d.f.Check(where+".name", p.PackageName),
		Version: d.f.Check(where+".versionInfo", p.PackageVersion),
		PURL:    d.purl(where, p, ann),
		Kind:    subjectKinds[purposeType(p.PrimaryPackagePurpose)],
	}
	if k, ok := props.Get(ann, props.SubjectKind); ok {
		s.Kind = k
	}
	for _, cd := range checksumDigests {
		if s.Digest != "" {
			break
		}
		for _, c := range p.PackageChecksums {
			if c.Algorithm == cd.alg && c.Value != "" {
				s.Digest = cd.prefix + ":" + strings.ToLower(d.f.Check(where+".checksums", c.Value))
				break
			}
		}
	}
	if v, ok := props.Get(ann, props.SubjectDigest); ok {
		s.Digest = v
	}
	d.inv.Subject = s
	d.pkg[p.PackageSPDXIdentifier] = inventory.SubjectRef
	return nil
}

// purl returns the package's first purl external reference.
func (d *decoder) purl(where string, p *spdx.Package, ann []props.Property) string {
	if v, ok := props.Get(ann, props.PURL); ok {
		return v
	}
	for i, r := range p.PackageExternalReferences {
		if r != nil && strings.ReplaceAll(r.Category, "_", "-") == common.CategoryPackageManager && r.RefType == common.TypePackageManagerPURL {
			return strings.TrimSpace(d.f.Check(fmt.Sprintf("%s.externalRefs[%d].referenceLocator", where, i), r.Locator))
		}
	}
	return ""
}

// hashNames maps SPDX checksum algorithms to inventory hash names (CycloneDX spelling).
var hashNames = func() map[common.ChecksumAlgorithm]string {
	m := map[common.ChecksumAlgorithm]string{}
	for name, c := range checksumAlgs {
		m[c.alg] = name
	}
	return m
}()

func (d *decoder) packageOf(where string, p *spdx.Package, ann []props.Property) (*inventory.Package, error) {
	pk := &inventory.Package{
		Name:    d.f.Check(where+".name", p.PackageName),
		Version: d.f.Check(where+".versionInfo", p.PackageVersion),
		PURL:    d.purl(where, p, ann),
		Type:    purposeType(p.PrimaryPackagePurpose),
	}
	if s := p.PackageSupplier; s != nil && s.Supplier != noAssert {
		pk.Supplier = d.f.Check(where+".supplier", s.Supplier)
	}
	if ls := props.All(ann, props.License); len(ls) > 0 {
		pk.Licenses = ls
	} else {
		pk.Licenses = declaredLicenses(d.f.Check(where+".licenseDeclared", p.PackageLicenseDeclared), d.name)
		if len(pk.Licenses) == 0 && d.foreign {
			pk.Licenses = declaredLicenses(d.f.Check(where+".licenseConcluded", p.PackageLicenseConcluded), d.name)
		}
	}
	for i, c := range p.PackageChecksums {
		name, ok := hashNames[c.Algorithm]
		if !ok {
			name = string(c.Algorithm)
		}
		if name == "" || c.Value == "" {
			continue
		}
		if pk.Hashes == nil {
			pk.Hashes = map[string]string{}
		}
		if _, dup := pk.Hashes[name]; !dup {
			pk.Hashes[name] = strings.ToLower(d.f.Check(fmt.Sprintf("%s.checksums[%d]", where, i), c.Value))
		}
	}
	if err := props.ApplyPackage(pk, ann); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	for _, a := range ann {
		switch {
		case a.Name == props.Location:
			l, err := props.DecodeLocation(a.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			pk.Locations = append(pk.Locations, l)
		case strings.HasPrefix(a.Name, props.HashPrefix) && len(a.Name) > len(props.HashPrefix):
			if pk.Hashes == nil {
				pk.Hashes = map[string]string{}
			}
			pk.Hashes[strings.TrimPrefix(a.Name, props.HashPrefix)] = a.Value
		}
	}
	if d.foreign && len(pk.Locations) == 0 {
		pk.Locations = foreignLocations(d.f.Check(where+".sourceInfo", p.PackageSourceInfo))
	}
	return pk, nil
}

func (d *decoder) name(id string) string { return d.names[id] }

// foreignLocations reads the paths other tools write in sourceInfo: syft's "acquired package
// info from …: /a, /b" and trivy's "package found in: a".
func foreignLocations(info string) []inventory.Location {
	var paths string
	if rest, ok := strings.CutPrefix(info, "acquired package info from "); ok {
		i := strings.LastIndex(rest, ": ")
		if i < 0 {
			return nil
		}
		paths = rest[i+2:]
	} else if rest, ok := strings.CutPrefix(info, "package found in: "); ok {
		paths = rest
	}
	var ls []inventory.Location
	for _, p := range strings.Split(paths, ", ") {
		if p = strings.TrimLeft(strings.TrimSpace(p), "/"); p != "" {
			ls = append(ls, inventory.Location{Path: p})
		}
	}
	return ls
}

// declaredLicenses turns a licence field into inventory licence strings: nothing for NONE and
// NOASSERTION, the licence's name for a lone LicenseRef that has one, else the expression.
func declaredLicenses(expr string, name func(id string) string) []string {
	expr = strings.TrimSpace(expr)
	switch expr {
	case "", noAssert, "NONE":
		return nil
	}
	if strings.HasPrefix(expr, "LicenseRef-") && !strings.ContainsAny(expr, " ()") {
		if n := name(expr); n != "" && n != noAssert {
			return []string{n}
		}
	}
	return []string{expr}
}

// dependencyOf are the relationship types that say RefB depends on RefA.
var dependencyOf = map[string]bool{
	common.TypeRelationshipDependencyOf:         true,
	common.TypeRelationshipDevDependencyOf:      true,
	common.TypeRelationshipBuildDependencyOf:    true,
	common.TypeRelationshipOptionalDependencyOf: true,
	common.TypeRelationshipProvidedDependencyOf: true,
	common.TypeRelationshipTestDependencyOf:     true,
	common.TypeRelationshipRuntimeDependencyOf:  true,
}

func (d *decoder) relationships() error {
	for i, r := range d.doc.Relationships {
		if r == nil {
			continue
		}
		at := fmt.Sprintf("relationships[%d]", i)
		local := true
		for _, ref := range []common.DocElementID{r.RefA, r.RefB} {
			switch {
			case ref.SpecialID != "" || ref.DocumentRefID != "":
				local = false // NONE, NOASSERTION, or an element of another document
			case d.elements[ref.ElementRefID] == "":
				return fmt.Errorf("%s (%s): %.200q is not an element of this document", at, r.Relationship, common.RenderDocElementID(ref))
			}
		}
		if !local {
			continue
		}
		a, b := r.RefA.ElementRefID, r.RefB.ElementRefID
		switch {
		case r.Relationship == common.TypeRelationshipDependsOn:
		case dependencyOf[r.Relationship]:
			a, b = b, a
		default:
			continue
		}
		from, to := d.pkg[a], d.pkg[b]
		if from == "" || to == "" || to == inventory.SubjectRef {
			continue // an edge to or from something that is not a package
		}
		d.inv.Relationships = append(d.inv.Relationships, inventory.Relationship{From: from, To: to})
	}
	return nil
}
