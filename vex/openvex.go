package vex

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/purl"
)

// OpenVEX (https://github.com/openvex/spec, v0.2.0). v0.0.1 documents, where a vulnerability
// and a product are plain strings, are read too: go-vex and early vexctl wrote them.

const openVEXContextPrefix = "https://openvex.dev/ns"

// OpenVEXContext is the @context hallmark writes.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

type ovDoc struct {
	Timestamp   string        `json:"timestamp"`
	LastUpdated string        `json:"last_updated"`
	Statements  []ovStatement `json:"statements"`
}

type ovStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.1: per statement
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	ActionStatement string            `json:"action_statement"`
	Timestamp       string            `json:"timestamp"`
	LastUpdated     string            `json:"last_updated"`
}

type ovVulnerability struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type ovComponent struct {
	ID          string            `json:"@id"`
	Identifiers map[string]string `json:"identifiers"`
	Hashes      map[string]string `json:"hashes"`
	// Subcomponents is only read on products.
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

func isOpenVEXContext(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.HasPrefix(s, openVEXContextPrefix)
	}
	// JSON-LD allows an array of contexts.
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, c := range list {
			if json.Unmarshal(c, &s) == nil && strings.HasPrefix(s, openVEXContextPrefix) {
				return true
			}
		}
	}
	return false
}

func decodeOpenVEX(name string, b []byte, context json.RawMessage) ([]Statement, error) {
	if !isOpenVEXContext(context) {
		return nil, errorf(name, "@context", "%.100s is not an OpenVEX context (%s/…)", context, openVEXContextPrefix)
	}
	var doc ovDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonError(name, b, err)
	}
	docTime, err := latest(name, "", doc.Timestamp, doc.LastUpdated)
	if err != nil {
		return nil, err
	}
	if len(doc.Statements) == 0 {
		return nil, errorf(name, "statements", "missing or empty")
	}
	out := make([]Statement, 0, len(doc.Statements))
	for i, s := range doc.Statements {
		field := fmt.Sprintf("statements[%d]", i)
		st := Statement{
			Status:          s.Status,
			Justification:   s.Justification,
			ImpactStatement: s.ImpactStatement,
			ActionStatement: s.ActionStatement,
			Source:          name,
		}
		if st.VulnID, st.Aliases, err = ovVuln(name, field+".vulnerability", s.Vulnerability); err != nil {
			return nil, err
		}
		switch st.Status {
		case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
		case "":
			return nil, errorf(name, field+".status", "missing")
		default:
			return nil, errorf(name, field+".status", "%q is not an OpenVEX status (not_affected, affected, fixed, under_investigation)", st.Status)
		}
		if st.Justification != "" && !justifications[st.Justification] {
			return nil, errorf(name, field+".justification", "%q is not an OpenVEX justification", st.Justification)
		}
		// Spec: a not_affected statement MUST carry a justification or an impact statement;
		// one with neither would suppress findings with no reason to show.
		if st.Status == StatusNotAffected && st.Justification == "" && st.ImpactStatement == "" {
			return nil, errorf(name, field, "status not_affected needs a justification or an impact_statement")
		}
		t, err := latest(name, field, s.Timestamp, s.LastUpdated)
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			t = docTime // spec: a statement inherits the document's timestamp
		}
		st.Timestamp = t
		if len(s.Products) == 0 {
			return nil, errorf(name, field+".products", "missing or empty; the statement would apply to nothing")
		}
		var shared []string
		for j, raw := range s.Subcomponents {
			id, err := ovSubcomponent(name, fmt.Sprintf("%s.subcomponents[%d]", field, j), raw)
			if err != nil {
				return nil, err
			}
			shared = append(shared, id)
		}
		for j, raw := range s.Products {
			p, err := ovProduct(name, fmt.Sprintf("%s.products[%d]", field, j), raw)
			if err != nil {
				return nil, err
			}
			p.Subcomponents = append(p.Subcomponents, shared...)
			st.Products = append(st.Products, p)
		}
		out = append(out, st)
	}
	return out, nil
}

// latest returns the later of two optional timestamps.
func latest(file, field, ts, updated string) (time.Time, error) {
	prefix := field
	if prefix != "" {
		prefix += "."
	}
	t, err := parseTime(file, prefix+"timestamp", ts)
	if err != nil {
		return t, err
	}
	u, err := parseTime(file, prefix+"last_updated", updated)
	if err != nil {
		return t, err
	}
	if u.After(t) {
		return u, nil
	}
	return t, nil
}

func ovVuln(file, field string, raw json.RawMessage) (string, []string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil, errorf(file, field, "missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil { // v0.0.1
		if s == "" {
			return "", nil, errorf(file, field, "empty")
		}
		return s, nil, nil
	}
	var v ovVulnerability
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", nil, errorf(file, field, "want an object with a name (or, in v0.0.1, a string)")
	}
	if v.Name == "" {
		return "", nil, errorf(file, field+".name", "missing")
	}
	return v.Name, v.Aliases, nil
}

// ovComp reads a product or subcomponent: a string (v0.0.1) or an object.
func ovComp(file, field string, raw json.RawMessage) (ovComponent, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return ovComponent{ID: s}, nil
	}
	var c ovComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, errorf(file, field, "want an object with @id or identifiers (or, in v0.0.1, a string)")
	}
	return c, nil
}

func ovProduct(file, field string, raw json.RawMessage) (Product, error) {
	c, err := ovComp(file, field, raw)
	if err != nil {
		return Product{}, err
	}
	p := Product{ID: c.ID}
	if p.PURL, err = componentPURL(file, field, c); err != nil {
		return p, err
	}
	if h := c.Hashes["sha-256"]; h != "" {
		if p.Digest, err = sha256Digest(file, field+`.hashes["sha-256"]`, h); err != nil {
			return p, err
		}
	} else if strings.HasPrefix(c.ID, "sha256:") {
		if p.Digest, err = sha256Digest(file, field+".@id", strings.TrimPrefix(c.ID, "sha256:")); err != nil {
			return p, err
		}
	}
	if p.Digest == "" {
		p.Digest = ociDigest(p.PURL)
	}
	if p.PURL == "" && p.Digest == "" && p.ID == "" {
		return p, errorf(file, field, "has no @id, purl or sha-256 hash")
	}
	for j, sraw := range c.Subcomponents {
		id, err := ovSubcomponent(file, fmt.Sprintf("%s.subcomponents[%d]", field, j), sraw)
		if err != nil {
			return p, err
		}
		p.Subcomponents = append(p.Subcomponents, id)
	}
	return p, nil
}

// ovSubcomponent returns the subcomponent's purl, or its other identifier when it has none.
func ovSubcomponent(file, field string, raw json.RawMessage) (string, error) {
	c, err := ovComp(file, field, raw)
	if err != nil {
		return "", err
	}
	p, err := componentPURL(file, field, c)
	if err != nil {
		return "", err
	}
	switch {
	case p != "":
		return p, nil
	case c.ID != "":
		return c.ID, nil
	case c.Identifiers["cpe23"] != "":
		return c.Identifiers["cpe23"], nil
	case c.Identifiers["cpe22"] != "":
		return c.Identifiers["cpe22"], nil
	case c.Hashes["sha-256"] != "":
		return "sha256:" + strings.ToLower(c.Hashes["sha-256"]), nil
	}
	return "", errorf(file, field, "has no @id or identifiers")
}

// componentPURL returns the canonical purl of an OpenVEX component: identifiers.purl, or an
// @id that is a purl.
func componentPURL(file, field string, c ovComponent) (string, error) {
	if s := c.Identifiers["purl"]; s != "" {
		return canonicalPURL(file, field+".identifiers.purl", s)
	}
	if strings.HasPrefix(c.ID, "pkg:") {
		return canonicalPURL(file, field+".@id", c.ID)
	}
	return "", nil
}

func canonicalPURL(file, field, s string) (string, error) {
	c, err := purl.Canonical(s)
	if err != nil {
		return "", errorf(file, field, "%v", err)
	}
	return c, nil
}

func sha256Digest(file, field, hex string) (string, error) {
	if len(hex) != 64 || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return "", errorf(file, field, "%.80q is not a hex SHA-256", hex)
	}
	return "sha256:" + strings.ToLower(hex), nil
}

// ociDigest returns the digest an oci purl names as its version ("pkg:oci/alpine@sha256:…"):
// an image is identified by its manifest digest, whatever repository it was pulled from.
func ociDigest(s string) string {
	if s == "" {
		return ""
	}
	p, err := purl.Parse(s)
	if err != nil || p.Type != "oci" {
		return ""
	}
	if h, ok := strings.CutPrefix(p.Version, "sha256:"); ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == "" {
		return p.Version
	}
	return ""
}
