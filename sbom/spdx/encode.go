package spdx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/docid"
	"github.com/hallmark-dev/hallmark/sbom/internal/license"
	"github.com/hallmark-dev/hallmark/sbom/internal/props"
	"github.com/hallmark-dev/hallmark/sbom/internal/refs"
)

// document adds documentDescribes, which tools-golang reads but does not write. The 2.3.1
// schema deprecates it in favour of the DESCRIBES relationship, which is written too; older
// consumers look only here.
type document struct {
	*spdx.Document
	DocumentDescribes []string `json:"documentDescribes,omitempty"`
}

// Encode writes inv as an SPDX 2.3 JSON document. It writes nothing if inv cannot be encoded:
// package IDs must be unique and relationships must join known packages (inventory.Finalize
// ensures both).
func Encode(w io.Writer, inv *inventory.Inventory, opts Options) error {
	if inv == nil {
		return errors.New("spdx: nil inventory")
	}
	if opts.Timestamp.IsZero() {
		return errors.New("spdx: Options.Timestamp is required")
	}
	if err := refs.Check(inv); err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	doc := toDocument(inv, opts)

	// The namespace's UUID is derived from the document itself (timestamp included), so equal
	// inventories encoded at the same time get the same namespace and different ones do not.
	b, err := marshal(doc)
	if err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	doc.DocumentNamespace = NamespaceBase + slug(doc.DocumentName) + "-" + docid.UUID(b)
	if b, err = marshal(doc); err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	_, err = w.Write(b)
	return err
}

func marshal(doc *document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// slug makes a document name safe for the path of a URI.
func slug(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 60 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if s := strings.Trim(b.String(), "-."); s != "" {
		return s
	}
	return "inventory"
}

// encoder holds the state of one toDocument call.
type encoder struct {
	inv       *inventory.Inventory
	annotator common.Annotator
	date      string
	ids       map[string]string // package ID → SPDX idstring
	other     map[string]*spdx.OtherLicense
}

func toDocument(inv *inventory.Inventory, opts Options) *document {
	toolName, toolVersion := opts.ToolName, opts.ToolVersion
	if toolName == "" {
		toolName = version.Name
	}
	if toolVersion == "" {
		toolVersion = version.String()
	}
	tool := toolName + "-" + toolVersion
	e := &encoder{
		inv:       inv,
		annotator: common.Annotator{Annotator: tool, AnnotatorType: "Tool"},
		date:      opts.Timestamp.UTC().Format("2006-01-02T15:04:05Z"),
		ids:       elementIDs(inv.Packages),
		other:     map[string]*spdx.OtherLicense{},
	}
	name := inv.Subject.Name
	if name == "" {
		name = "hallmark inventory"
	}
	doc := &spdx.Document{
		SPDXVersion:    spdx.Version,
		DataLicense:    spdx.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   name,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{
				{CreatorType: "Organization", Creator: version.Vendor},
				{CreatorType: "Tool", Creator: tool},
			},
			Created: e.date,
		},
	}

	docProps := []props.Property{{Name: props.Convention, Value: props.ConventionVersion}}
	docProps = append(docProps, props.Errors(inv.Errors)...)
	for _, a := range e.annotations(docProps) {
		doc.Annotations = append(doc.Annotations, &a)
	}
	if len(inv.Errors) > 0 {
		var c strings.Builder
		fmt.Fprintf(&c, "PARTIAL: hallmark could not read %d file(s), so this SBOM may miss packages:", len(inv.Errors))
		for _, fe := range inv.Errors {
			fmt.Fprintf(&c, "\n- %s", fe.Path)
			if fe.LayerDigest != "" {
				fmt.Fprintf(&c, " (layer %s)", fe.LayerDigest)
			}
			fmt.Fprintf(&c, ": %s", fe.Message)
		}
		doc.DocumentComment = c.String()
	}

	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", a),
			RefB:         common.MakeDocElementID("", b),
			Relationship: typ,
		})
	}
	var describes []string
	hasSubject := inv.Subject != (inventory.Subject{}) || slices.ContainsFunc(inv.Relationships, func(r inventory.Relationship) bool { return r.From == inventory.SubjectRef })
	if hasSubject {
		doc.Packages = append(doc.Packages, e.subject())
		describes = append(describes, subjectID)
	}
	if d := inv.Distro; d != nil {
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName:               d.ID,
			PackageSPDXIdentifier:     distroID,
			PackageVersion:            d.VersionID,
			PackageDownloadLocation:   noAssert,
			IsFilesAnalyzedTagPresent: true,
			PrimaryPackagePurpose:     "OPERATING_SYSTEM",
			PackageDescription:        d.PrettyName,
			Annotations:               e.annotations(props.Distro(d)),
		})
		if !hasSubject {
			describes = append(describes, distroID)
		}
	}
	for _, p := range inv.Packages {
		doc.Packages = append(doc.Packages, e.pkg(p))
		if !hasSubject {
			describes = append(describes, e.ids[p.ID])
		}
	}
	for _, id := range describes {
		rel("DOCUMENT", common.TypeRelationshipDescribe, id)
	}
	if hasSubject {
		if inv.Distro != nil {
			rel(subjectID, common.TypeRelationshipContains, distroID)
		}
		for _, p := range inv.Packages {
			rel(subjectID, common.TypeRelationshipContains, e.ids[p.ID])
		}
	}
	for _, r := range inv.Relationships {
		from := subjectID
		if r.From != inventory.SubjectRef {
			from = e.ids[r.From]
		}
		rel(from, common.TypeRelationshipDependsOn, e.ids[r.To])
	}

	refIDs := make([]string, 0, len(e.other))
	for id := range e.other {
		refIDs = append(refIDs, id)
	}
	slices.Sort(refIDs)
	for _, id := range refIDs {
		doc.OtherLicenses = append(doc.OtherLicenses, e.other[id])
	}

	out := &document{Document: doc}
	for _, id := range describes {
		out.DocumentDescribes = append(out.DocumentDescribes, "SPDXRef-"+id)
	}
	return out
}

// elementIDs maps package IDs to SPDX idstrings ([A-Za-z0-9.-]+, SPDX 2.3 section 7.2). IDs
// from inventory.Finalize already qualify; others get a hash, so the document stays valid.
func elementIDs(pkgs []*inventory.Package) map[string]string {
	ids := make(map[string]string, len(pkgs))
	used := map[string]bool{subjectID: true, distroID: true, "DOCUMENT": true}
	for _, p := range pkgs {
		id := p.ID
		if !validIDString(id) || used[id] {
			sum := sha256.Sum256([]byte(p.ID))
			id = "pkg-x" + hex.EncodeToString(sum[:8])
			for n := 2; used[id]; n++ {
				id = fmt.Sprintf("pkg-x%s-%d", hex.EncodeToString(sum[:8]), n)
			}
		}
		used[id] = true
		ids[p.ID] = id
	}
	return ids
}

func validIDString(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func (e *encoder) annotations(ps []props.Property) []spdx.Annotation {
	out := make([]spdx.Annotation, len(ps))
	for i, p := range ps {
		out[i] = spdx.Annotation{
			Annotator:         e.annotator,
			AnnotationDate:    e.date,
			AnnotationType:    "OTHER",
			AnnotationComment: p.Name + "=" + p.Value,
		}
	}
	return out
}

// subjectPurposes maps subject kinds to primaryPackagePurpose.
var subjectPurposes = map[string]string{
	inventory.KindImage:     "CONTAINER",
	inventory.KindFile:      "FILE",
	inventory.KindSBOM:      "FILE",
	inventory.KindDirectory: "APPLICATION",
}

// digestAlgs maps OCI-style digest prefixes to SPDX checksum algorithms.
var digestAlgs = map[string]common.ChecksumAlgorithm{
	"sha256": common.SHA256,
	"sha384": common.SHA384,
	"sha512": common.SHA512,
	"sha1":   common.SHA1,
	"md5":    common.MD5,
}

func (e *encoder) subject() *spdx.Package {
	s := e.inv.Subject
	p := &spdx.Package{
		PackageName:               s.Name,
		PackageSPDXIdentifier:     subjectID,
		PackageVersion:            s.Version,
		PackageDownloadLocation:   noAssert,
		IsFilesAnalyzedTagPresent: true,
		PrimaryPackagePurpose:     subjectPurposes[s.Kind],
	}
	if p.PrimaryPackagePurpose == "" {
		p.PrimaryPackagePurpose = "OTHER"
	}
	ps := []props.Property{{Name: props.SubjectKind, Value: s.Kind}}
	if s.Digest != "" {
		alg, val, _ := strings.Cut(s.Digest, ":")
		if a, ok := digestAlgs[alg]; ok && validChecksum(a, val) {
			p.PackageChecksums = []common.Checksum{{Algorithm: a, Value: val}}
			switch s.Kind {
			case inventory.KindDirectory:
				p.PackageComment = "The checksum is hallmark's directory tree digest (docs/sources.md), computed over the directory's file names, modes and contents; it is not the digest of a single file."
			case inventory.KindImage:
				p.PackageComment = "The checksum is the image manifest digest."
			}
		} else {
			ps = append(ps, props.Property{Name: props.SubjectDigest, Value: s.Digest})
		}
	}
	e.purl(p, s.PURL, &ps)
	p.Annotations = e.annotations(ps)
	return p
}

// purl adds a purl external reference, or an annotation when the purl would break the
// reference locator's syntax (no whitespace).
func (e *encoder) purl(p *spdx.Package, purl string, ps *[]props.Property) {
	switch {
	case purl == "":
	case strings.ContainsAny(purl, " \t\r\n"):
		*ps = append(*ps, props.Property{Name: props.PURL, Value: purl})
	default:
		p.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager,
			RefType:  common.TypePackageManagerPURL,
			Locator:  purl,
		}}
	}
}

// purposes maps package types to primaryPackagePurpose (JSON spelling; tag-value uses hyphens).
var purposes = map[string]string{
	"library":          "LIBRARY",
	"application":      "APPLICATION",
	"framework":        "FRAMEWORK",
	"operating-system": "OPERATING_SYSTEM",
	"container":        "CONTAINER",
	"firmware":         "FIRMWARE",
	"device":           "DEVICE",
	"file":             "FILE",
	"source":           "SOURCE",
	"archive":          "ARCHIVE",
	"install":          "INSTALL",
}

// checksumAlgs maps inventory hash names (CycloneDX spelling) to SPDX checksum algorithms, with
// the hex length of each (0: any).
var checksumAlgs = map[string]struct {
	alg common.ChecksumAlgorithm
	n   int
}{
	"SHA-1":       {common.SHA1, 40},
	"SHA-224":     {common.SHA224, 56},
	"SHA-256":     {common.SHA256, 64},
	"SHA-384":     {common.SHA384, 96},
	"SHA-512":     {common.SHA512, 128},
	"SHA3-256":    {common.SHA3_256, 64},
	"SHA3-384":    {common.SHA3_384, 96},
	"SHA3-512":    {common.SHA3_512, 128},
	"BLAKE2b-256": {common.BLAKE2b_256, 64},
	"BLAKE2b-384": {common.BLAKE2b_384, 96},
	"BLAKE2b-512": {common.BLAKE2b_512, 128},
	"BLAKE3":      {common.BLAKE3, 64},
	"MD2":         {common.MD2, 32},
	"MD4":         {common.MD4, 32},
	"MD5":         {common.MD5, 32},
	"MD6":         {common.MD6, 0},
	"ADLER32":     {common.ADLER32, 8},
}

// validChecksum reports whether v is lowercase hex of the algorithm's length.
func validChecksum(a common.ChecksumAlgorithm, v string) bool {
	for _, c := range checksumAlgs {
		if c.alg == a {
			return v != "" && (c.n == 0 || len(v) == c.n) && strings.Trim(v, "0123456789abcdef") == ""
		}
	}
	return false
}

func (e *encoder) pkg(p *inventory.Package) *spdx.Package {
	sp := &spdx.Package{
		PackageName:               p.Name,
		PackageSPDXIdentifier:     common.ElementID(e.ids[p.ID]),
		PackageVersion:            p.Version,
		PackageDownloadLocation:   noAssert,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   noAssert,
		PackageCopyrightText:      noAssert,
	}
	purpose, native := purposes[p.Type]
	if p.Type == "" {
		purpose, native = "LIBRARY", true
	}
	if !native {
		purpose = "OTHER"
	}
	sp.PrimaryPackagePurpose = purpose
	if p.Supplier != "" {
		sp.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: p.Supplier}
	}
	if p.Source != nil {
		sp.PackageSourceInfo = strings.TrimSpace("built from source package " + p.Source.Name + " " + p.Source.Version)
	}

	ps := props.Package(p, !native)
	e.purl(sp, p.PURL, &ps)
	for _, l := range p.Locations {
		ps = append(ps, props.Property{Name: props.Location, Value: props.EncodeLocation(l)})
	}

	declared, back := e.declared(p.Licenses)
	sp.PackageLicenseDeclared = declared
	if !slices.Equal(back, p.Licenses) {
		for _, l := range p.Licenses {
			ps = append(ps, props.Property{Name: props.License, Value: l})
		}
	}

	algs := make([]string, 0, len(p.Hashes))
	for a := range p.Hashes {
		algs = append(algs, a)
	}
	slices.Sort(algs)
	for _, a := range algs {
		v := p.Hashes[a]
		if c, ok := checksumAlgs[a]; ok && validChecksum(c.alg, v) {
			sp.PackageChecksums = append(sp.PackageChecksums, common.Checksum{Algorithm: c.alg, Value: v})
		} else {
			ps = append(ps, props.Property{Name: props.HashPrefix + a, Value: v})
		}
	}
	sp.Annotations = e.annotations(ps)
	return sp
}

// declared returns the licenseDeclared expression for a licence list, registering the
// LicenseRefs it uses, and the list that decoding that expression gives back.
func (e *encoder) declared(ls []string) (expr string, back []string) {
	if len(ls) == 0 {
		return noAssert, nil
	}
	terms := make([]string, len(ls))
	for i, l := range ls {
		if norm, ok := license.Expression(l); ok {
			terms[i] = norm
			if len(ls) > 1 && license.Compound(norm) {
				terms[i] = "(" + norm + ")"
			}
			// SPDX 2.3 section 10: every LicenseRef used must be defined in the document.
			for _, id := range license.Refs(norm) {
				if e.other[id] == nil {
					e.other[id] = &spdx.OtherLicense{
						LicenseIdentifier: id,
						ExtractedText:     noAssert,
						LicenseName:       id,
						LicenseComment:    "The package declares this licence reference; its text was not available to hallmark.",
					}
				}
			}
			continue
		}
		id := license.RefID(l)
		terms[i] = id
		e.other[id] = &spdx.OtherLicense{
			LicenseIdentifier: id,
			ExtractedText:     l,
			LicenseName:       l,
			LicenseComment:    "Licence as declared by the package; it is not an SPDX licence expression.",
		}
	}
	expr = strings.Join(terms, " AND ")
	return expr, declaredLicenses(expr, func(id string) string {
		if o := e.other[id]; o != nil {
			return o.LicenseName
		}
		return ""
	})
}
