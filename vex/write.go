package vex

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/match"
)

// WriteOptions says who issues an OpenVEX document and when.
type WriteOptions struct {
	// Author is who vouches for the statements; "" writes "Unknown Author" (go-vex's default).
	Author string
	// ToolName and ToolVersion become the document's "tooling".
	ToolName, ToolVersion string
	// Timestamp is the document's issue time; zero means now. Output is deterministic given it.
	Timestamp time.Time
	// ID is the document's @id (an IRI); "" derives "urn:hallmark:vex:<sha256>" from the content.
	ID string
}

// ErrNoFindings is returned by WriteOpenVEX for a result without findings: an OpenVEX
// document needs at least one statement, and "nothing found" is not a VEX claim. Callers print
// a message instead.
var ErrNoFindings = errors.New("vex: no findings to state anything about")

type ovOutDoc struct {
	Context    string           `json:"@context"`
	ID         string           `json:"@id"`
	Author     string           `json:"author"`
	Timestamp  string           `json:"timestamp"`
	Version    int              `json:"version"`
	Tooling    string           `json:"tooling,omitempty"`
	Statements []ovOutStatement `json:"statements"`
}

type ovOutStatement struct {
	Vulnerability   ovOutVuln      `json:"vulnerability"`
	Products        []ovOutProduct `json:"products"`
	Status          string         `json:"status"`
	StatusNotes     string         `json:"status_notes,omitempty"`
	Justification   string         `json:"justification,omitempty"`
	ImpactStatement string         `json:"impact_statement,omitempty"`
	ActionStatement string         `json:"action_statement,omitempty"`
}

type ovOutVuln struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type ovOutProduct struct {
	ID            string            `json:"@id"`
	Hashes        map[string]string `json:"hashes,omitempty"`
	Subcomponents []ovOutSub        `json:"subcomponents,omitempty"`
}

type ovOutSub struct {
	ID string `json:"@id"`
}

// WriteOpenVEX writes res as an OpenVEX v0.2.0 document with one statement per finding (exact
// duplicates, the same vulnerability in the same package found twice, are written once):
//
//   - suppressed by VEX: the statement's status (not_affected or fixed), its justification and
//     impact statement; a justification outside OpenVEX's vocabulary (a CycloneDX one) is put
//     in the impact statement instead;
//   - suppressed by an ignore rule: "affected", with the accepted risk, its reason and expiry as
//     the action statement, since accepting a risk is not a claim that the product is safe;
//   - otherwise "affected" (the installed version is inside an advisory's affected range, so
//     "under_investigation", "not yet known whether affected", would understate it), with
//     "Upgrade NAME to FIXED or later" or "No fix is available yet" as the action statement, and
//     the reachability analysis, when there was one, in status_notes.
//
// The product is the scanned subject when res.Subject has a purl or digest, with the package
// as its subcomponent; otherwise the package itself. Packages without a purl are named by a
// pkg:generic purl of their name and version.
func WriteOpenVEX(w io.Writer, res *match.Result, opts WriteOptions) error {
	if res == nil || len(res.Findings) == 0 {
		return ErrNoFindings
	}
	ts := opts.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	doc := ovOutDoc{
		Context:   OpenVEXContext,
		ID:        opts.ID,
		Author:    cmp.Or(opts.Author, "Unknown Author"),
		Timestamp: ts.UTC().Format(time.RFC3339Nano),
		Version:   1,
		Tooling:   strings.TrimSpace(opts.ToolName + " " + opts.ToolVersion),
	}
	seen := map[string]bool{}
	for i, f := range res.Findings {
		if f == nil {
			return fmt.Errorf("vex: finding %d is nil", i)
		}
		st, err := statementFor(res, f)
		if err != nil {
			return err
		}
		key, _ := json.Marshal(st)
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		doc.Statements = append(doc.Statements, st)
	}
	slices.SortFunc(doc.Statements, func(a, b ovOutStatement) int {
		return cmp.Or(cmp.Compare(a.Vulnerability.Name, b.Vulnerability.Name),
			cmp.Compare(productKey(a), productKey(b)), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.ImpactStatement+a.ActionStatement, b.ImpactStatement+b.ActionStatement))
	})
	if doc.ID == "" {
		body, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("vex: %w", err)
		}
		sum := sha256.Sum256(body)
		doc.ID = "urn:hallmark:vex:" + hex.EncodeToString(sum[:])
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("vex: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func productKey(s ovOutStatement) string {
	p := s.Products[0]
	if len(p.Subcomponents) > 0 {
		return p.Subcomponents[0].ID
	}
	return p.ID
}

func statementFor(res *match.Result, f *match.Finding) (ovOutStatement, error) {
	if f.ID == "" {
		return ovOutStatement{}, errors.New("vex: a finding has no ID")
	}
	pkgID, name, err := packageID(f)
	if err != nil {
		return ovOutStatement{}, err
	}
	st := ovOutStatement{Vulnerability: ovOutVuln{Name: f.ID}}
	for _, id := range f.IDs {
		if id != f.ID && !slices.Contains(st.Vulnerability.Aliases, id) {
			st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, id)
		}
	}
	if sub := res.Subject; sub.PURL != "" || sub.Digest != "" {
		p := ovOutProduct{ID: cmp.Or(sub.PURL, sub.Digest), Subcomponents: []ovOutSub{{ID: pkgID}}}
		if h, ok := strings.CutPrefix(sub.Digest, "sha256:"); ok {
			p.Hashes = map[string]string{"sha-256": h}
		}
		st.Products = []ovOutProduct{p}
	} else {
		st.Products = []ovOutProduct{{ID: pkgID}}
	}

	s := f.Suppression
	switch {
	case s == nil:
		st.Status = StatusAffected
		st.ActionStatement = upgradeAction(name, f.Fixed)
		if f.Reachability != match.ReachUnknown {
			st.StatusNotes = "Reachability analysis: " + string(f.Reachability)
			if len(f.Symbols) > 0 {
				st.StatusNotes += " (" + strings.Join(f.Symbols, ", ") + ")"
			}
		}
	case s.Kind == "ignore":
		st.Status = StatusAffected
		st.ActionStatement = fmt.Sprintf("Risk accepted until %s: %s", dateString(s.Expires), s.Justification)
		if len(f.Fixed) > 0 {
			st.ActionStatement += ". " + upgradeAction(name, f.Fixed)
		}
	case s.Kind == "vex" && s.Status == StatusNotAffected:
		st.Status = StatusNotAffected
		st.ImpactStatement = s.Statement
		switch {
		case justifications[s.Justification]:
			st.Justification = s.Justification
		case s.Justification != "" && s.Statement != "":
			st.ImpactStatement = s.Justification + ": " + s.Statement
		case s.Justification != "":
			st.ImpactStatement = s.Justification
		}
		if st.Justification == "" && st.ImpactStatement == "" {
			// OpenVEX requires a reason for not_affected; say where the claim came from.
			st.ImpactStatement = "Stated not_affected by a VEX document"
		}
	case s.Kind == "vex" && s.Status == StatusFixed:
		st.Status = StatusFixed
	default:
		return st, fmt.Errorf("vex: finding %s: suppression %s/%s has no OpenVEX equivalent", f.ID, s.Kind, s.Status)
	}
	return st, nil
}

func upgradeAction(name string, fixed []string) string {
	if len(fixed) == 0 {
		return "No fix is available yet; mitigate or remove " + name
	}
	return fmt.Sprintf("Upgrade %s to %s or later", name, fixed[0])
}

// packageID returns the purl naming the finding's package, and a name for messages.
func packageID(f *match.Finding) (string, string, error) {
	p := f.Package
	if p == nil {
		return "", "", fmt.Errorf("vex: finding %s has no package", f.ID)
	}
	name := cmp.Or(p.Name, p.PURL)
	if p.PURL != "" {
		return p.PURL, name, nil
	}
	if p.Name == "" {
		return "", "", fmt.Errorf("vex: finding %s: its package has neither a purl nor a name", f.ID)
	}
	u, err := purl.New("generic", "", p.Name, p.Version, nil, "")
	if err != nil {
		return "", "", fmt.Errorf("vex: finding %s: %w", f.ID, err)
	}
	return u.String(), name, nil
}
