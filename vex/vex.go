// Package vex is the triage step of the loop, between matching and policy. It reads VEX
// documents (OpenVEX, CycloneDX VEX in JSON or XML, CSAF 2.0 VEX) into one Statement model,
// applies them to a scan's findings (a not_affected or fixed statement suppresses a finding
// and records why), writes a scan result back out as OpenVEX for customers, and reads the
// .hallmark.yaml ignore list: time-limited, reasoned exceptions that suppress findings until
// they expire. Findings are never removed, only marked, so every output can show why a finding
// is not counted. docs/vex.md describes the formats and the matching rules.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// VEX statuses, in OpenVEX's vocabulary, which the other formats are mapped to.
const (
	StatusNotAffected        = "not_affected"
	StatusAffected           = "affected"
	StatusFixed              = "fixed"
	StatusUnderInvestigation = "under_investigation"
)

// OpenVEX justifications (the CISA "VEX status justification" labels); CSAF flags use the
// same labels.
const (
	JustComponentNotPresent            = "component_not_present"
	JustVulnerableCodeNotPresent       = "vulnerable_code_not_present"
	JustVulnerableCodeNotInExecutePath = "vulnerable_code_not_in_execute_path"
	JustCannotBeControlledByAdversary  = "vulnerable_code_cannot_be_controlled_by_adversary"
	JustInlineMitigationsAlreadyExist  = "inline_mitigations_already_exist"
)

var justifications = map[string]bool{
	JustComponentNotPresent:            true,
	JustVulnerableCodeNotPresent:       true,
	JustVulnerableCodeNotInExecutePath: true,
	JustCannotBeControlledByAdversary:  true,
	JustInlineMitigationsAlreadyExist:  true,
}

// Statement is one VEX statement: what its author says about one vulnerability in some
// products.
type Statement struct {
	// VulnID names the vulnerability; Aliases are its other names.
	VulnID  string
	Aliases []string
	// Products are what the statement is about.
	Products []Product
	// Status is one of the Status* constants.
	Status string
	// Justification is an OpenVEX justification where the source format has an equivalent,
	// else the source's own term (e.g. CycloneDX "requires_configuration").
	Justification string
	// ImpactStatement says why the products are not affected; ActionStatement what to do
	// about an affected one.
	ImpactStatement string
	ActionStatement string
	// Timestamp is when the statement was made or last updated (zero when the document does
	// not say); when several statements apply to a finding, the latest wins.
	Timestamp time.Time
	// Source is the file the statement came from.
	Source string
}

// Product is a product a statement is about: a package or an artifact, and optionally the
// components inside it the statement is really about.
type Product struct {
	// PURL is the product's package URL, "" when it has none.
	PURL string
	// Digest is "sha256:<hex>" when the product is identified by its digest.
	Digest string
	// Subcomponents are package URLs of components of the product the statement is about.
	// Entries that are not purls (a CPE, a CSAF product id without a purl) are kept, so that
	// the statement is not widened to the whole product, but they match nothing.
	Subcomponents []string
	// ID is the product's identifier in its document (@id, bom-ref, CSAF product_id).
	ID string
}

// ErrInvalid is matched (errors.Is) by every error Decode and Load return for a document that is
// malformed, of an unknown format, or contradicts its own specification. The message names the
// file and the field; fix the document, retrying will not help.
var ErrInvalid = errors.New("invalid VEX document")

// Error is a problem with one field of a VEX document.
type Error struct {
	File  string // the name given to Decode
	Field string // JSON path of the field, e.g. "statements[2].status"; "" for the whole document
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
}

// Unwrap makes every *Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

func errorf(file, field, format string, args ...any) error {
	return &Error{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// maxDocument bounds what Decode reads: the largest real VEX documents (CSAF advisories of
// big vendors) are a few MB.
const maxDocument = 64 << 20

// Decode reads one VEX document and returns its statements, in document order. The format is
// detected from the content: OpenVEX (a JSON-LD "@context" under https://openvex.dev/ns),
// CycloneDX (JSON "bomFormat": "CycloneDX" or an XML bom element) or CSAF 2.0 with
// document.category "csaf_vex". name is used in statements' Source and in errors. A document
// with no statements is an error, so that a wrong file is never mistaken for "no exceptions".
func Decode(name string, r io.Reader) ([]Statement, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(b) > maxDocument {
		return nil, errorf(name, "", "larger than %d MiB", maxDocument>>20)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errorf(name, "", "empty document")
	}
	var stmts []Statement
	switch trimmed[0] {
	case '<':
		stmts, err = decodeCycloneDXXML(name, trimmed)
	case '{':
		stmts, err = decodeJSON(name, trimmed)
	default:
		return nil, errorf(name, "", "neither a JSON object nor XML (starts with %.20q)", trimmed)
	}
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return nil, errorf(name, "", "the document holds no VEX statements")
	}
	return stmts, nil
}

// decodeJSON detects which JSON format b is by its identifying top-level fields.
func decodeJSON(name string, b []byte) ([]Statement, error) {
	var head struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat json.RawMessage `json:"bomFormat"`
		Document  *struct {
			Category json.RawMessage `json:"category"`
		} `json:"document"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, jsonError(name, b, err)
	}
	switch {
	case head.Context != nil:
		return decodeOpenVEX(name, b, head.Context)
	case head.BOMFormat != nil:
		return decodeCycloneDXJSON(name, b, head.BOMFormat)
	case head.Document != nil:
		return decodeCSAF(name, b, head.Document.Category)
	}
	return nil, errorf(name, "", "not a VEX document: no OpenVEX @context, CycloneDX bomFormat or CSAF document")
}

// jsonError turns a JSON syntax or type error into an *Error with the line and column.
func jsonError(name string, b []byte, err error) error {
	var off int64
	var field string
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		field = te.Field
		err = fmt.Errorf("got JSON %s, want %s", te.Value, jsonKind(te.Type.String()))
	default:
		return &Error{File: name, Msg: err.Error()}
	}
	off = min(off, int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return &Error{File: name, Field: field, Msg: fmt.Sprintf("line %d, column %d: %v", line, col, err)}
}

// jsonKind names a Go type the way a JSON document's author thinks of it.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "int" || goType == "float64":
		return "a number"
	case len(goType) > 2 && goType[:2] == "[]":
		return "an array"
	case goType == "bool":
		return "a boolean"
	}
	return "an object"
}

// Load reads the VEX document at path.
func Load(path string) ([]Statement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(path, f)
}

// parseTime parses an RFC 3339 timestamp field; "" gives the zero time.
func parseTime(file, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errorf(file, field, "%q is not an RFC 3339 timestamp", s)
	}
	return t, nil
}
