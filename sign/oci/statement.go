package oci

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hallmark-dev/hallmark/attest"
)

// StatementTypeV01 is the in-toto Statement v0.1 type. cosign (v3 included) still writes it for
// every `cosign attest` predicate, in bundles and in legacy ".att" envelopes alike. Statement v1
// changed nothing a verifier reads (subject, predicateType, predicate), and the in-toto
// reference implementation still accepts v0.1; image attestations accept it too, so that what
// cosign attested verifies. hallmark itself writes v1 only.
const StatementTypeV01 = "https://in-toto.io/Statement/v0.1"

// maxStatementSize bounds a statement payload: the bundle or envelope holding it is already
// capped (maxBundleSize), this only keeps the parser honest when called on its own.
const maxStatementSize = maxBundleSize

// statementHeader is what is peeked at in a payload before its signature is checked, to choose
// how to verify it. Nothing read here is trusted: the path chosen verifies it again.
type statementHeader struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
}

// peekStatement reads the type and predicate type of an unverified payload; a payload that is
// not a JSON object gives the zero header (the verifying path reports it).
func peekStatement(payload []byte) statementHeader {
	var h statementHeader
	if json.Unmarshal(payload, &h) != nil {
		return statementHeader{}
	}
	return h
}

// parseStatement reads a verified DSSE payload as an in-toto statement: v1 by attest.Parse,
// v0.1 by the very same rules (attest.Parse of the statement with its _type set to v1), the
// returned Statement keeping its real _type. Errors match attest.ErrInvalid.
func parseStatement(payload []byte) (*attest.Statement, error) {
	if len(payload) > maxStatementSize {
		return nil, fmt.Errorf("%w: statement of %d bytes, more than %d", attest.ErrInvalid, len(payload), maxStatementSize)
	}
	if peekStatement(payload).Type != StatementTypeV01 {
		return attest.Parse(payload)
	}
	fields, err := objectFields(payload)
	if err != nil {
		return nil, err
	}
	fields["_type"] = json.RawMessage(`"` + attest.StatementType + `"`)
	v1, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", attest.ErrInvalid, err)
	}
	st, err := attest.Parse(v1)
	if err != nil {
		return nil, err
	}
	st.Type = StatementTypeV01
	return st, nil
}

// objectFields splits a JSON object into its members, refusing duplicate names: the signature
// covers the bytes, and two parsers that keep different duplicates would read different
// statements from them.
func objectFields(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: statement is not a JSON object", attest.ErrInvalid)
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", attest.ErrInvalid, err)
		}
		key, _ := tok.(string)
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("%w: member %q appears twice", attest.ErrInvalid, key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: member %q: %w", attest.ErrInvalid, key, err)
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: %w", attest.ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the statement", attest.ErrInvalid)
	}
	return fields, nil
}
