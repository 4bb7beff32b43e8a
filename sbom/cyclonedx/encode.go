package cyclonedx

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/docid"
	"github.com/hallmark-dev/hallmark/sbom/internal/license"
	"github.com/hallmark-dev/hallmark/sbom/internal/props"
	"github.com/hallmark-dev/hallmark/sbom/internal/refs"
)

// Encode writes inv as a CycloneDX 1.6 BOM. It writes nothing if inv cannot be encoded: package
// IDs must be unique and relationships must join known packages (inventory.Finalize ensures
// both).
func Encode(w io.Writer, inv *inventory.Inventory, opts Options) error {
	if inv == nil {
		return errors.New("cyclonedx: nil inventory")
	}
	if opts.Timestamp.IsZero() {
		return errors.New("cyclonedx: Options.Timestamp is required")
	}
	if err := refs.Check(inv); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	// The serial number is derived from the JSON document itself (timestamp included), so
	// equal inventories encoded at the same time get the same serial, in JSON and in XML, and
	// different ones do not.
	jsonOpts := opts
	jsonOpts.XML = false
	var buf bytes.Buffer
	if err := encodeJSON(&buf, toBOM(inv, jsonOpts)); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	bom := toBOM(inv, opts)
	bom.SerialNumber = "urn:uuid:" + docid.UUID(buf.Bytes())

	buf.Reset()
	var err error
	if opts.XML {
		err = cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatXML).SetPretty(true).Encode(bom)
		buf.WriteByte('\n')
	} else {
		err = encodeJSON(&buf, bom)
	}
	if err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func encodeJSON(w io.Writer, bom *cdx.BOM) error {
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false).Encode(bom)
}

func toBOM(inv *inventory.Inventory, opts Options) *cdx.BOM {
	bom := &cdx.BOM{
		JSONSchema:  jsonSchema,
		XMLNS:       xmlNS,
		BOMFormat:   cdx.BOMFormat,
		SpecVersion: specVersion,
		Version:     1,
	}
	toolName, toolVersion := opts.ToolName, opts.ToolVersion
	if toolName == "" {
		toolName = version.Name
	}
	if toolVersion == "" {
		toolVersion = version.String()
	}
	meta := &cdx.Metadata{
		Timestamp: opts.Timestamp.UTC().Format("2006-01-02T15:04:05Z"),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:     cdx.ComponentTypeApplication,
			Supplier: &cdx.OrganizationalEntity{Name: version.Vendor},
			Name:     toolName,
			Version:  toolVersion,
		}}},
	}
	mprops := []props.Property{{Name: props.Convention, Value: props.ConventionVersion}}
	mprops = append(mprops, props.Errors(inv.Errors)...)
	meta.Properties = properties(mprops)
	bom.Metadata = meta

	deps := map[string][]string{}
	for _, r := range inv.Relationships {
		deps[r.From] = append(deps[r.From], r.To)
	}
	var dependencies []cdx.Dependency
	dependency := func(ref string) {
		d := cdx.Dependency{Ref: ref}
		if to := deps[ref]; len(to) > 0 {
			to = slices.Clone(to)
			slices.Sort(to)
			to = slices.Compact(to)
			d.Dependencies = &to
		}
		dependencies = append(dependencies, d)
	}

	hasSubject := inv.Subject != (inventory.Subject{}) || len(deps[refs.Subject]) > 0
	if hasSubject {
		meta.Component = subjectComponent(inv.Subject)
		dependency(refs.Subject)
	}

	var components []cdx.Component
	if inv.Distro != nil {
		components = append(components, cdx.Component{
			BOMRef:      refs.Distro,
			Type:        cdx.ComponentTypeOS,
			Name:        inv.Distro.ID,
			Version:     inv.Distro.VersionID,
			Description: inv.Distro.PrettyName,
			Properties:  properties(props.Distro(inv.Distro)),
		})
		dependency(refs.Distro)
	}
	for _, p := range inv.Packages {
		components = append(components, packageComponent(p, opts.XML))
		dependency(p.ID)
	}
	if len(components) > 0 {
		bom.Components = &components
	}
	if len(dependencies) > 0 {
		bom.Dependencies = &dependencies
	}
	if len(inv.Errors) > 0 {
		// The standard way to say "this BOM is not the whole story", for consumers that do not
		// know hallmark's properties.
		c := cdx.Composition{Aggregate: cdx.CompositionAggregateIncomplete}
		if hasSubject {
			c.Assemblies = &[]cdx.BOMReference{refs.Subject}
		}
		bom.Compositions = &[]cdx.Composition{c}
	}
	return bom
}

// subjectTypes maps inventory.Subject kinds to component types.
var subjectTypes = map[string]cdx.ComponentType{
	inventory.KindImage:     cdx.ComponentTypeContainer,
	inventory.KindFile:      cdx.ComponentTypeFile,
	inventory.KindSBOM:      cdx.ComponentTypeFile,
	inventory.KindDirectory: cdx.ComponentTypeApplication,
}

func subjectComponent(s inventory.Subject) *cdx.Component {
	typ, ok := subjectTypes[s.Kind]
	if !ok {
		typ = cdx.ComponentTypeApplication
	}
	c := &cdx.Component{
		BOMRef:     refs.Subject,
		Type:       typ,
		Name:       s.Name,
		Version:    s.Version,
		PackageURL: s.PURL,
	}
	ps := []props.Property{{Name: props.SubjectKind, Value: s.Kind}}
	if s.Digest != "" {
		if h, ok := digestHash(s.Digest); ok {
			c.Hashes = &[]cdx.Hash{h}
		} else {
			ps = append(ps, props.Property{Name: props.SubjectDigest, Value: s.Digest})
		}
	}
	c.Properties = properties(ps)
	return c
}

// digestAlgs maps OCI-style digest algorithm prefixes to CycloneDX hash algorithms.
var digestAlgs = map[string]cdx.HashAlgorithm{
	"sha256": cdx.HashAlgoSHA256,
	"sha384": cdx.HashAlgoSHA384,
	"sha512": cdx.HashAlgoSHA512,
	"sha1":   cdx.HashAlgoSHA1,
	"md5":    cdx.HashAlgoMD5,
}

// digestHash turns "sha256:<hex>" into a hash, if the result is one the schema accepts.
func digestHash(d string) (cdx.Hash, bool) {
	alg, val, ok := strings.Cut(d, ":")
	if !ok {
		return cdx.Hash{}, false
	}
	a, ok := digestAlgs[alg]
	if !ok || !validHash(a, val) {
		return cdx.Hash{}, false
	}
	return cdx.Hash{Algorithm: a, Value: val}, true
}

// hashLen is the hex length of each CycloneDX hash algorithm; the 1.6 schema accepts 32, 40,
// 64, 96 or 128 hex digits for any algorithm, and we hold each to its own length.
var hashLen = map[cdx.HashAlgorithm]int{
	cdx.HashAlgoMD5:         32,
	cdx.HashAlgoSHA1:        40,
	cdx.HashAlgoSHA256:      64,
	cdx.HashAlgoSHA384:      96,
	cdx.HashAlgoSHA512:      128,
	cdx.HashAlgoSHA3_256:    64,
	cdx.HashAlgoSHA3_384:    96,
	cdx.HashAlgoSHA3_512:    128,
	cdx.HashAlgoBlake2b_256: 64,
	cdx.HashAlgoBlake2b_384: 96,
	cdx.HashAlgoBlake2b_512: 128,
	cdx.HashAlgoBlake3:      64,
}

// validHash reports whether val is lowercase hex of the algorithm's length. Uppercase hex is
// refused too, so that the value decodes back unchanged.
func validHash(a cdx.HashAlgorithm, val string) bool {
	n, ok := hashLen[a]
	if !ok || len(val) != n || strings.ToLower(val) != val {
		return false
	}
	_, err := hex.DecodeString(val)
	return err == nil
}

// componentTypes are the CycloneDX 1.6 component types a package's Type can take directly.
var componentTypes = map[string]bool{
	"application": true, "framework": true, "library": true, "container": true, "platform": true,
	"operating-system": true, "device": true, "device-driver": true, "firmware": true, "file": true,
	"machine-learning-model": true, "data": true, "cryptographic-asset": true,
}

func packageComponent(p *inventory.Package, xml bool) cdx.Component {
	c := cdx.Component{
		BOMRef:     p.ID,
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
	}
	nativeType := p.Type == "" || componentTypes[p.Type]
	if p.Type != "" && nativeType {
		c.Type = cdx.ComponentType(p.Type)
	}
	if p.Supplier != "" {
		c.Supplier = &cdx.OrganizationalEntity{Name: p.Supplier}
	}
	c.Licenses = licenses(p.Licenses)

	ps := props.Package(p, !nativeType)
	if len(p.Locations) > 0 {
		occ := make([]cdx.EvidenceOccurrence, len(p.Locations))
		var digests, diffIDs, lines bool
		for i, l := range p.Locations {
			// The schema requires a location; the artifact root itself (a package found in a
			// single-file subject) is written as ".".
			occ[i].Location = cmp.Or(l.Path, ".")
			if l.Line > 0 && !xml {
				occ[i].Line = &l.Line
			}
			digests = digests || l.LayerDigest != ""
			diffIDs = diffIDs || l.LayerDiffID != ""
			lines = lines || l.Line > 0
		}
		c.Evidence = &cdx.Evidence{Occurrences: &occ}
		if lines && xml {
			for _, l := range p.Locations {
				v := ""
				if l.Line > 0 {
					v = strconv.Itoa(l.Line)
				}
				ps = append(ps, props.Property{Name: props.Line, Value: v})
			}
		}
		for _, l := range p.Locations {
			if digests {
				ps = append(ps, props.Property{Name: props.LayerDigest, Value: l.LayerDigest})
			}
		}
		for _, l := range p.Locations {
			if diffIDs {
				ps = append(ps, props.Property{Name: props.LayerDiffID, Value: l.LayerDiffID})
			}
		}
	}

	algs := make([]string, 0, len(p.Hashes))
	for a := range p.Hashes {
		algs = append(algs, a)
	}
	slices.Sort(algs)
	var hashes []cdx.Hash
	for _, a := range algs {
		v := p.Hashes[a]
		if validHash(cdx.HashAlgorithm(a), v) {
			hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgorithm(a), Value: v})
		} else {
			ps = append(ps, props.Property{Name: props.HashPrefix + a, Value: v})
		}
	}
	if len(hashes) > 0 {
		c.Hashes = &hashes
	}
	c.Properties = properties(ps)
	return c
}

// licenses maps a package's licence strings. The 1.6 schema allows either one expression or a
// list of licenses, so one valid expression becomes an expression, and anything else a list
// with an SPDX id where the entry is exactly one, else a name. Each entry decodes back verbatim.
func licenses(ls []string) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	if len(ls) == 1 {
		if _, ok := license.Expression(ls[0]); ok {
			return &cdx.Licenses{{Expression: ls[0]}}
		}
	}
	out := make(cdx.Licenses, len(ls))
	for i, l := range ls {
		if isLicenseID(l) {
			out[i] = cdx.LicenseChoice{License: &cdx.License{ID: l}}
		} else {
			out[i] = cdx.LicenseChoice{License: &cdx.License{Name: l}}
		}
	}
	return &out
}

func properties(ps []props.Property) *[]cdx.Property {
	if len(ps) == 0 {
		return nil
	}
	out := make([]cdx.Property, len(ps))
	for i, p := range ps {
		out[i] = cdx.Property{Name: p.Name, Value: p.Value}
	}
	return &out
}
