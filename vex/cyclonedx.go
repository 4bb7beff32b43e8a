package vex

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// CycloneDX VEX (https://cyclonedx.org/capabilities/vex/): vulnerabilities[] with an analysis,
// whose affects[].ref names a component of the same BOM by bom-ref, a component of another BOM
// by BOM-Link (urn:cdx:serial/version#bom-ref), or directly a purl.
//
// JSON is read into the small model below rather than cyclonedx-go's, which rejects some valid
// BOMs in fields VEX does not use; XML is read with cyclonedx-go and converted to it.

type cdxDoc struct {
	BOMFormat string `json:"bomFormat"`
	Metadata  *struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []cdxVuln      `json:"vulnerabilities"`
}

type cdxComponent struct {
	BOMRef string `json:"bom-ref"`
	PURL   string `json:"purl"`
	Hashes []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
	Components []cdxComponent `json:"components"`
}

type cdxVuln struct {
	ID         string `json:"id"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Recommendation string `json:"recommendation"`
	Workaround     string `json:"workaround"`
	Created        string `json:"created"`
	Published      string `json:"published"`
	Updated        string `json:"updated"`
	Analysis       *struct {
		State         string   `json:"state"`
		Justification string   `json:"justification"`
		Response      []string `json:"response"`
		Detail        string   `json:"detail"`
		FirstIssued   string   `json:"firstIssued"`
		LastUpdated   string   `json:"lastUpdated"`
	} `json:"analysis"`
	Affects []struct {
		Ref string `json:"ref"`
	} `json:"affects"`
}

// cdxStates maps CycloneDX impact analysis states to VEX statuses.
var cdxStates = map[string]string{
	"not_affected":           StatusNotAffected,
	"false_positive":         StatusNotAffected,
	"resolved":               StatusFixed,
	"resolved_with_pedigree": StatusFixed,
	"exploitable":            StatusAffected,
	"in_triage":              StatusUnderInvestigation,
}

// cdxJustifications maps CycloneDX justifications to the OpenVEX label that says the same
// thing. The others (requires_configuration, requires_dependency, requires_environment,
// protected_at_perimeter, protected_by_mitigating_control) have no equivalent: a perimeter or
// a separate control is not a mitigation built into the product, and "requires X" does not say
// whether X is present; they are kept as they are.
var cdxJustifications = map[string]string{
	"code_not_present":      JustVulnerableCodeNotPresent,
	"code_not_reachable":    JustVulnerableCodeNotInExecutePath,
	"protected_by_compiler": JustInlineMitigationsAlreadyExist,
	"protected_at_runtime":  JustInlineMitigationsAlreadyExist,
}

var cdxKnownJustifications = map[string]bool{
	"requires_configuration": true, "requires_dependency": true, "requires_environment": true,
	"protected_at_perimeter": true, "protected_by_mitigating_control": true,
}

func decodeCycloneDXJSON(name string, b []byte, format json.RawMessage) ([]Statement, error) {
	var f string
	if json.Unmarshal(format, &f) != nil || f != "CycloneDX" {
		return nil, errorf(name, "bomFormat", "%.60s, want \"CycloneDX\"", format)
	}
	var doc cdxDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonError(name, b, err)
	}
	return cdxStatements(name, &doc)
}

func decodeCycloneDXXML(name string, b []byte) (stmts []Statement, err error) {
	if err := checkXMLRoot(name, b); err != nil {
		return nil, err
	}
	// cyclonedx-go's custom unmarshalers are not hardened against hostile input.
	defer func() {
		if r := recover(); r != nil {
			stmts, err = nil, errorf(name, "", "malformed CycloneDX XML (decoder panicked: %v)", r)
		}
	}()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
		return nil, errorf(name, "", "decoding CycloneDX XML: %v", err)
	}
	doc := fromCDXBOM(&bom)
	return cdxStatements(name, doc)
}

func checkXMLRoot(name string, b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return errorf(name, "", "invalid XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "bom" || !strings.HasPrefix(se.Name.Space, "http://cyclonedx.org/schema/bom/") {
				return errorf(name, "", "XML document element is {%.100s}%.100s, want a CycloneDX bom", se.Name.Space, se.Name.Local)
			}
			return nil
		}
	}
}

// fromCDXBOM converts cyclonedx-go's model to the fields VEX reads.
func fromCDXBOM(bom *cdx.BOM) *cdxDoc {
	doc := &cdxDoc{BOMFormat: "CycloneDX"}
	var conv func(c *cdx.Component) cdxComponent
	conv = func(c *cdx.Component) cdxComponent {
		out := cdxComponent{BOMRef: c.BOMRef, PURL: c.PackageURL}
		if c.Hashes != nil {
			for _, h := range *c.Hashes {
				out.Hashes = append(out.Hashes, struct {
					Alg     string `json:"alg"`
					Content string `json:"content"`
				}{string(h.Algorithm), h.Value})
			}
		}
		if c.Components != nil {
			for i := range *c.Components {
				out.Components = append(out.Components, conv(&(*c.Components)[i]))
			}
		}
		return out
	}
	if bom.Metadata != nil {
		doc.Metadata = &struct {
			Timestamp string        `json:"timestamp"`
			Component *cdxComponent `json:"component"`
		}{Timestamp: bom.Metadata.Timestamp}
		if bom.Metadata.Component != nil {
			c := conv(bom.Metadata.Component)
			doc.Metadata.Component = &c
		}
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			doc.Components = append(doc.Components, conv(&(*bom.Components)[i]))
		}
	}
	if bom.Vulnerabilities == nil {
		return doc
	}
	for _, v := range *bom.Vulnerabilities {
		var cv cdxVuln
		cv.ID, cv.Recommendation, cv.Workaround = v.ID, v.Recommendation, v.Workaround
		cv.Created, cv.Published, cv.Updated = v.Created, v.Published, v.Updated
		if v.References != nil {
			for _, r := range *v.References {
				cv.References = append(cv.References, struct {
					ID string `json:"id"`
				}{r.ID})
			}
		}
		if a := v.Analysis; a != nil {
			cv.Analysis = &struct {
				State         string   `json:"state"`
				Justification string   `json:"justification"`
				Response      []string `json:"response"`
				Detail        string   `json:"detail"`
				FirstIssued   string   `json:"firstIssued"`
				LastUpdated   string   `json:"lastUpdated"`
			}{State: string(a.State), Justification: string(a.Justification), Detail: a.Detail,
				FirstIssued: a.FirstIssued, LastUpdated: a.LastUpdated}
			if a.Response != nil {
				for _, r := range *a.Response {
					cv.Analysis.Response = append(cv.Analysis.Response, string(r))
				}
			}
		}
		if v.Affects != nil {
			for _, a := range *v.Affects {
				cv.Affects = append(cv.Affects, struct {
					Ref string `json:"ref"`
				}{a.Ref})
			}
		}
		doc.Vulnerabilities = append(doc.Vulnerabilities, cv)
	}
	return doc
}

type cdxRef struct {
	c     *cdxComponent
	field string
}

func cdxStatements(name string, doc *cdxDoc) ([]Statement, error) {
	refs := map[string]cdxRef{}
	var index func(field string, cs []cdxComponent)
	index = func(field string, cs []cdxComponent) {
		for i := range cs {
			f := fmt.Sprintf("%s[%d]", field, i)
			if cs[i].BOMRef != "" {
				refs[cs[i].BOMRef] = cdxRef{&cs[i], f}
			}
			index(f+".components", cs[i].Components)
		}
	}
	var docTime time.Time
	if m := doc.Metadata; m != nil {
		if m.Component != nil && m.Component.BOMRef != "" {
			refs[m.Component.BOMRef] = cdxRef{m.Component, "metadata.component"}
		}
		var err error
		if docTime, err = parseTime(name, "metadata.timestamp", m.Timestamp); err != nil {
			return nil, err
		}
	}
	index("components", doc.Components)

	var out []Statement
	for i, v := range doc.Vulnerabilities {
		field := fmt.Sprintf("vulnerabilities[%d]", i)
		// A vulnerability without an analysis state is a scanner's report, not a VEX claim.
		if v.Analysis == nil || v.Analysis.State == "" {
			continue
		}
		a := v.Analysis
		st := Statement{VulnID: v.ID, ImpactStatement: a.Detail, Source: name}
		if st.VulnID == "" {
			return nil, errorf(name, field+".id", "missing")
		}
		var ok bool
		if st.Status, ok = cdxStates[a.State]; !ok {
			return nil, errorf(name, field+".analysis.state", "%q is not a CycloneDX impact analysis state", a.State)
		}
		switch j := a.Justification; {
		case j == "":
			if a.State == "false_positive" {
				st.Justification = a.State
			}
		case cdxJustifications[j] != "":
			st.Justification = cdxJustifications[j]
		case cdxKnownJustifications[j]:
			st.Justification = j
		default:
			return nil, errorf(name, field+".analysis.justification", "%q is not a CycloneDX justification", j)
		}
		for _, r := range v.References {
			if r.ID != "" && r.ID != st.VulnID && !containsFold(st.Aliases, r.ID) {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		var actions []string
		if v.Recommendation != "" {
			actions = append(actions, v.Recommendation)
		}
		if v.Workaround != "" {
			actions = append(actions, "Workaround: "+v.Workaround)
		}
		if len(a.Response) > 0 {
			actions = append(actions, "Response: "+strings.Join(a.Response, ", "))
		}
		st.ActionStatement = strings.Join(actions, "\n")

		// The analysis's own dates say when the claim was made; the vulnerability's dates
		// and the BOM's are fallbacks.
		for _, c := range []struct{ field, v string }{
			{"analysis.lastUpdated", a.LastUpdated}, {"analysis.firstIssued", a.FirstIssued},
			{"updated", v.Updated}, {"published", v.Published}, {"created", v.Created},
		} {
			t, err := parseTime(name, field+"."+c.field, c.v)
			if err != nil {
				return nil, err
			}
			if !t.IsZero() {
				st.Timestamp = t
				break
			}
		}
		if st.Timestamp.IsZero() {
			st.Timestamp = docTime
		}

		if len(v.Affects) == 0 {
			return nil, errorf(name, field+".affects", "missing or empty; the analysis would apply to nothing")
		}
		for j, af := range v.Affects {
			p, err := cdxProduct(name, fmt.Sprintf("%s.affects[%d].ref", field, j), af.Ref, refs)
			if err != nil {
				return nil, err
			}
			st.Products = append(st.Products, p)
		}
		out = append(out, st)
	}
	return out, nil
}

// cdxProduct resolves an affects ref to a product.
func cdxProduct(name, field, ref string, refs map[string]cdxRef) (Product, error) {
	if ref == "" {
		return Product{}, errorf(name, field, "missing")
	}
	key := ref
	if rest, ok := strings.CutPrefix(ref, "urn:cdx:"); ok {
		// BOM-Link: the fragment is the bom-ref in the linked BOM, percent-encoded.
		_, frag, ok := strings.Cut(rest, "#")
		if !ok || frag == "" {
			return Product{}, errorf(name, field, "BOM-Link %.100q has no #bom-ref fragment", ref)
		}
		dec, err := url.PathUnescape(frag)
		if err != nil {
			return Product{}, errorf(name, field, "BOM-Link %.100q: %v", ref, err)
		}
		key = dec
	}
	if r, ok := refs[key]; ok {
		p := Product{ID: ref}
		var err error
		if r.c.PURL != "" {
			if p.PURL, err = canonicalPURL(name, r.field+".purl", r.c.PURL); err != nil {
				return p, err
			}
		}
		for _, h := range r.c.Hashes {
			if h.Alg == "SHA-256" {
				if p.Digest, err = sha256Digest(name, r.field+".hashes", h.Content); err != nil {
					return p, err
				}
			}
		}
		if p.Digest == "" {
			p.Digest = ociDigest(p.PURL)
		}
		return p, nil
	}
	if strings.HasPrefix(key, "pkg:") {
		u, err := canonicalPURL(name, field, key)
		if err != nil {
			return Product{}, err
		}
		return Product{PURL: u, Digest: ociDigest(u), ID: ref}, nil
	}
	if key != ref {
		// A BOM-Link to a component of another BOM whose bom-ref is not a purl: it cannot be
		// resolved without that BOM, so it matches nothing.
		return Product{ID: ref}, nil
	}
	return Product{}, errorf(name, field, "%.100q is neither a bom-ref of this BOM, a BOM-Link nor a purl", ref)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
