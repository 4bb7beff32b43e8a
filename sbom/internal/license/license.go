// Package license classifies the licence strings of an inventory for the SBOM encoders: which
// are SPDX licence expressions (SPDX 2.3 Annex D) and which must travel as named licences
// (CycloneDX license.name) or as LicenseRef- identifiers (SPDX hasExtractedLicensingInfos).
package license

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// Expression reports whether s is a valid SPDX licence expression whose licence identifiers are
// on the SPDX licence list (deprecated ones included) or are LicenseRef-/DocumentRef-
// references, and returns it normalised (identifiers in their canonical case).
func Expression(s string) (string, bool) {
	if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\n\r\t") {
		return "", false
	}
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{})
	if len(bad) > 0 || len(norm) != 1 {
		return "", false
	}
	return norm[0], true
}

// Compound reports whether a valid expression combines licences with AND or OR, so that it
// needs parentheses when it becomes one operand of a larger expression.
func Compound(expr string) bool {
	return strings.Contains(expr, " AND ") || strings.Contains(expr, " OR ")
}

// Refs returns the document-local LicenseRef- identifiers used in a valid expression.
func Refs(expr string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(expr, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
		if strings.HasPrefix(tok, "LicenseRef-") {
			out = append(out, tok)
		}
	}
	return out
}

// RefID returns the LicenseRef- identifier hallmark uses for a licence that is not an SPDX
// expression: a readable slug of the text plus a hash of it, so that different texts never
// share an identifier. The result matches SPDX 2.3's idstring ([A-Za-z0-9.-]+).
func RefID(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range text {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	slug := strings.TrimRight(b.String(), "-")
	sum := sha256.Sum256([]byte(text))
	h := hex.EncodeToString(sum[:4])
	if slug == "" {
		return "LicenseRef-" + h
	}
	return "LicenseRef-" + slug + "-" + h
}
