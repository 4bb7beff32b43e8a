package spdx

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// readTagValue parses an SPDX 2.x tag-value document ("tag: value" lines, UTF-8,
// multi-line values in <text>…</text>) into the tools-golang document model, keeping the fields
// Decode uses and skipping the rest.
//
// Why not tools-golang's tagvalue reader: in v0.5.7 it rejects the official SPDX 2.3 example
// (a snippet section after a package without files: "received unknown tag SnippetSPDXID in
// Package section"), and its errors carry no line numbers. The JSON reader is tools-golang's.
func readTagValue(b []byte) (*spdx.Document, error) {
	doc := &spdx.Document{CreationInfo: &spdx.CreationInfo{}}
	var (
		section = "document"
		pkg     *spdx.Package
		file    *spdx.File
		lic     *spdx.OtherLicense
		ann     *spdx.Annotation
		rel     *spdx.Relationship
	)
	lines := bytes.Split(b, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		n := i + 1
		if !utf8.Valid(lines[i]) {
			return nil, fmt.Errorf("line %d: not valid UTF-8", n)
		}
		line := strings.TrimRight(string(lines[i]), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		tag, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %.80q is not a tag: value line", n, line)
		}
		tag = strings.TrimSpace(tag)
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "<text>") {
			text := strings.TrimPrefix(value, "<text>")
			for !strings.Contains(text, "</text>") {
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("line %d: %s: <text> is never closed by </text>", n, tag)
				}
				if !utf8.Valid(lines[i]) {
					return nil, fmt.Errorf("line %d: not valid UTF-8", i+1)
				}
				text += "\n" + strings.TrimRight(string(lines[i]), "\r")
			}
			text, _, _ = strings.Cut(text, "</text>")
			value = text
		}
		needs := func(what string, ok bool) error {
			if !ok {
				return fmt.Errorf("line %d: %s outside %s", n, tag, what)
			}
			return nil
		}
		var err error
		switch tag {
		// Document creation information.
		case "SPDXVersion":
			doc.SPDXVersion = value
		case "DataLicense":
			doc.DataLicense = value
		case "DocumentName":
			doc.DocumentName = value
		case "DocumentNamespace":
			doc.DocumentNamespace = value
		case "DocumentComment":
			doc.DocumentComment = value
		case "Creator":
			typ, who, _ := strings.Cut(value, ":")
			doc.CreationInfo.Creators = append(doc.CreationInfo.Creators, common.Creator{CreatorType: strings.TrimSpace(typ), Creator: strings.TrimSpace(who)})
		case "Created":
			doc.CreationInfo.Created = value
		case "SPDXID":
			var id common.ElementID
			if id, err = elementID(value); err != nil {
				break
			}
			switch section {
			case "document":
				doc.SPDXIdentifier = id
			case "package":
				pkg.PackageSPDXIdentifier = id
			case "file":
				file.FileSPDXIdentifier = id
			default:
				err = fmt.Errorf("SPDXID in a %s section", section)
			}

		// Packages.
		case "PackageName":
			pkg = &spdx.Package{PackageName: value, FilesAnalyzed: true}
			doc.Packages = append(doc.Packages, pkg)
			section = "package"
		case "PackageVersion", "PackageSupplier", "PackageChecksum", "PackageLicenseDeclared",
			"PackageLicenseConcluded", "ExternalRef", "PrimaryPackagePurpose", "PackageSourceInfo",
			"PackageComment", "PackageDescription", "FilesAnalyzed":
			if err = needs("a package", pkg != nil); err == nil {
				err = packageTag(pkg, tag, value)
			}

		// Files and snippets matter only as elements that relationships may name.
		case "FileName":
			file = &spdx.File{FileName: value}
			doc.Files = append(doc.Files, file)
			section = "file"
		case "SnippetSPDXID":
			var id common.ElementID
			if id, err = elementID(value); err == nil {
				doc.Snippets = append(doc.Snippets, spdx.Snippet{SnippetSPDXIdentifier: id})
				section = "snippet"
			}

		// Licences not on the SPDX list.
		case "LicenseID":
			lic = &spdx.OtherLicense{LicenseIdentifier: value}
			doc.OtherLicenses = append(doc.OtherLicenses, lic)
			section = "license"
		case "ExtractedText":
			if err = needs("a LicenseID section", lic != nil); err == nil {
				lic.ExtractedText = value
			}
		case "LicenseName":
			if err = needs("a LicenseID section", lic != nil); err == nil {
				lic.LicenseName = value
			}

		// Annotations and relationships.
		case "Annotator":
			typ, who, _ := strings.Cut(value, ":")
			ann = &spdx.Annotation{Annotator: common.Annotator{AnnotatorType: strings.TrimSpace(typ), Annotator: strings.TrimSpace(who)}}
			doc.Annotations = append(doc.Annotations, ann)
		case "AnnotationDate", "AnnotationType", "AnnotationComment", "SPDXREF":
			if err = needs("an annotation", ann != nil); err != nil {
				break
			}
			switch tag {
			case "AnnotationDate":
				ann.AnnotationDate = value
			case "AnnotationType":
				ann.AnnotationType = value
			case "AnnotationComment":
				ann.AnnotationComment = value
			case "SPDXREF":
				ann.AnnotationSPDXIdentifier, err = docElementID(value)
			}
		case "Relationship":
			f := strings.Fields(value)
			if len(f) != 3 {
				err = fmt.Errorf("want \"<element> <TYPE> <element>\", got %.80q", value)
				break
			}
			rel = &spdx.Relationship{Relationship: f[1]}
			if rel.RefA, err = docElementID(f[0]); err == nil {
				rel.RefB, err = docElementID(f[2])
			}
			doc.Relationships = append(doc.Relationships, rel)
		case "RelationshipComment":
			if err = needs("a relationship", rel != nil); err == nil {
				rel.RelationshipComment = value
			}
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, tag, err)
		}
	}
	return doc, nil
}

func packageTag(p *spdx.Package, tag, value string) error {
	switch tag {
	case "PackageVersion":
		p.PackageVersion = value
	case "PackageSupplier":
		if value != noAssert && !strings.Contains(value, ":") {
			return fmt.Errorf("want \"Organization: …\", \"Person: …\" or NOASSERTION, got %.80q", value)
		}
		p.PackageSupplier = parseSupplier(value)
	case "PackageChecksum":
		alg, v, ok := strings.Cut(value, ":")
		if !ok {
			return fmt.Errorf("want \"<algorithm>: <hex>\", got %.80q", value)
		}
		p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(strings.TrimSpace(alg)), Value: strings.TrimSpace(v)})
	case "PackageLicenseDeclared":
		p.PackageLicenseDeclared = value
	case "PackageLicenseConcluded":
		p.PackageLicenseConcluded = value
	case "ExternalRef":
		f := strings.Fields(value)
		if len(f) != 3 {
			return fmt.Errorf("want \"<category> <type> <locator>\", got %.80q", value)
		}
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
			Category: strings.ReplaceAll(f[0], "_", "-"), RefType: f[1], Locator: f[2],
		})
	case "PrimaryPackagePurpose":
		p.PrimaryPackagePurpose = value
	case "PackageSourceInfo":
		p.PackageSourceInfo = value
	case "PackageComment":
		p.PackageComment = value
	case "PackageDescription":
		p.PackageDescription = value
	case "FilesAnalyzed":
		p.FilesAnalyzed = value == "true"
		p.IsFilesAnalyzedTagPresent = true
	}
	return nil
}

func elementID(s string) (common.ElementID, error) {
	id, ok := strings.CutPrefix(s, "SPDXRef-")
	if !ok || id == "" {
		return "", fmt.Errorf("%.80q is not SPDXRef-<idstring>", s)
	}
	return common.ElementID(id), nil
}

// docElementID parses SPDXRef-x, DocumentRef-d:SPDXRef-x, NONE or NOASSERTION.
func docElementID(s string) (common.DocElementID, error) {
	if s == "NONE" || s == noAssert {
		return common.DocElementID{SpecialID: s}, nil
	}
	var d common.DocElementID
	if rest, ok := strings.CutPrefix(s, "DocumentRef-"); ok {
		docRef, elem, ok := strings.Cut(rest, ":")
		if !ok || docRef == "" {
			return d, fmt.Errorf("%.80q is not DocumentRef-<id>:SPDXRef-<id>", s)
		}
		d.DocumentRefID = common.DocumentID(docRef)
		s = elem
	}
	id, err := elementID(s)
	d.ElementRefID = id
	return d, err
}
