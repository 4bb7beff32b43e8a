package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// SchemaVersion is the scan JSON schema version written by the json format and read by
// ReadJSON (docs/schema/scan-v1.json). Fields are added, renamed or removed only with a new
// version, which is why ReadJSON refuses fields it does not know.
const SchemaVersion = "1"

// MaxJSONSize bounds what ReadJSON reads, so a hostile or truncated-and-concatenated file
// cannot exhaust memory.
const MaxJSONSize = 512 << 20

// maxJSONSize is MaxJSONSize, lowered by tests that check the limit without reading 512 MiB.
var maxJSONSize int64 = MaxJSONSize

// ErrBadJSON is returned by ReadJSON for input that is not a scan JSON document of a supported
// schema version; the message names the field and what is wrong with it.
var ErrBadJSON = errors.New("not a valid hallmark scan JSON document")

// The wire types mirror match.Result field by field; docs/scan-output.md documents them and
// docs/schema/scan-v1.json fixes them. They are separate from the in-memory types so that a
// change there cannot silently change the published format.
type (
	jsonDoc struct {
		SchemaVersion string         `json:"schema_version"`
		Tool          *jsonTool      `json:"tool,omitempty"`
		CreatedAt     string         `json:"created_at,omitempty"`
		Subject       jsonSubject    `json:"subject"`
		DB            jsonDB         `json:"db"`
		Inventory     *jsonInventory `json:"inventory,omitempty"`
		Findings      []jsonFinding  `json:"findings"`
		Upgrades      []jsonUpgrade  `json:"upgrades,omitempty"`
		Warnings      []string       `json:"warnings,omitempty"`
		Unmatched     map[string]int `json:"unmatched,omitempty"`
	}
	jsonTool struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	jsonSubject struct {
		Kind    string `json:"kind,omitempty"`
		Name    string `json:"name,omitempty"`
		Digest  string `json:"digest,omitempty"`
		Version string `json:"version,omitempty"`
		PURL    string `json:"purl,omitempty"`
	}
	jsonDB struct {
		Path    string   `json:"path,omitempty"`
		BuiltAt string   `json:"built_at,omitempty"`
		Sources []string `json:"sources,omitempty"`
	}
	jsonInventory struct {
		Distro        *jsonDistro        `json:"distro,omitempty"`
		Packages      []jsonPackage      `json:"packages"`
		Relationships []jsonRelationship `json:"relationships,omitempty"`
		Errors        []jsonFileError    `json:"errors,omitempty"`
	}
	jsonDistro struct {
		ID         string `json:"id,omitempty"`
		VersionID  string `json:"version_id,omitempty"`
		Codename   string `json:"codename,omitempty"`
		PrettyName string `json:"pretty_name,omitempty"`
	}
	jsonPackage struct {
		ID        string            `json:"id,omitempty"`
		Name      string            `json:"name"`
		Version   string            `json:"version,omitempty"`
		Ecosystem string            `json:"ecosystem,omitempty"`
		PURL      string            `json:"purl,omitempty"`
		Type      string            `json:"type,omitempty"`
		Locations []jsonLocation    `json:"locations,omitempty"`
		Licenses  []string          `json:"licenses,omitempty"`
		Source    *jsonSourcePkg    `json:"source_package,omitempty"`
		Supplier  string            `json:"supplier,omitempty"`
		Scope     string            `json:"scope,omitempty"`
		Dev       bool              `json:"dev,omitempty"`
		FoundBy   string            `json:"found_by,omitempty"`
		Hashes    map[string]string `json:"hashes,omitempty"`
	}
	jsonLocation struct {
		Path        string `json:"path"`
		Line        int    `json:"line,omitempty"`
		Layer       string `json:"layer,omitempty"`
		LayerDiffID string `json:"layer_diff_id,omitempty"`
	}
	jsonSourcePkg struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	jsonRelationship struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	jsonFileError struct {
		Path      string `json:"path"`
		Layer     string `json:"layer,omitempty"`
		Extractor string `json:"extractor,omitempty"`
		Message   string `json:"message"`
	}
	jsonFinding struct {
		ID           string           `json:"id"`
		IDs          []string         `json:"ids"`
		Package      jsonPackage      `json:"package"`
		Summary      string           `json:"summary,omitempty"`
		Severity     jsonSeverity     `json:"severity"`
		Fixed        []string         `json:"fixed,omitempty"`
		KEV          *jsonKEV         `json:"kev,omitempty"`
		EPSS         *jsonEPSS        `json:"epss,omitempty"`
		Reachability string           `json:"reachability,omitempty"`
		Symbols      []string         `json:"symbols,omitempty"`
		Priority     jsonPriority     `json:"priority"`
		Suppression  *jsonSuppression `json:"suppression,omitempty"`
		Advisories   []jsonAdvisory   `json:"advisories,omitempty"`
	}
	jsonSeverity struct {
		Level       string  `json:"level"`
		Score       float64 `json:"score,omitempty"`
		Vector      string  `json:"vector,omitempty"`
		CVSSVersion string  `json:"cvss_version,omitempty"`
		Source      string  `json:"source,omitempty"`
	}
	jsonKEV struct {
		CVE             string `json:"cve"`
		VendorProject   string `json:"vendor_project,omitempty"`
		Product         string `json:"product,omitempty"`
		Name            string `json:"name,omitempty"`
		DateAdded       string `json:"date_added"`
		DueDate         string `json:"due_date,omitempty"`
		RequiredAction  string `json:"required_action,omitempty"`
		KnownRansomware string `json:"known_ransomware,omitempty"`
	}
	jsonEPSS struct {
		Score      float64 `json:"score"`
		Percentile float64 `json:"percentile"`
		CVE        string  `json:"cve,omitempty"`
	}
	jsonPriority struct {
		Rank   int    `json:"rank,omitempty"`
		Label  string `json:"label,omitempty"`
		Reason string `json:"reason,omitempty"`
	}
	jsonSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification,omitempty"`
		Statement     string `json:"statement,omitempty"`
		Source        string `json:"source,omitempty"`
		Expires       string `json:"expires,omitempty"`
	}
	jsonAdvisory struct {
		ID               string            `json:"id"`
		Aliases          []string          `json:"aliases,omitempty"`
		Summary          string            `json:"summary,omitempty"`
		Details          string            `json:"details,omitempty"`
		Published        string            `json:"published,omitempty"`
		Modified         string            `json:"modified,omitempty"`
		Severity         []jsonOSVSeverity `json:"severity,omitempty"`
		DatabaseSeverity string            `json:"database_severity,omitempty"`
		References       []jsonReference   `json:"references,omitempty"`
		Affected         []jsonAffected    `json:"affected,omitempty"`
		Source           string            `json:"source,omitempty"`
	}
	jsonOSVSeverity struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	}
	jsonReference struct {
		Type string `json:"type,omitempty"`
		URL  string `json:"url"`
	}
	jsonAffected struct {
		Ecosystem        string            `json:"ecosystem"`
		Name             string            `json:"name"`
		PURL             string            `json:"purl,omitempty"`
		Ranges           []jsonRange       `json:"ranges,omitempty"`
		Versions         []string          `json:"versions,omitempty"`
		Severity         []jsonOSVSeverity `json:"severity,omitempty"`
		DatabaseSeverity string            `json:"database_severity,omitempty"`
		Imports          []jsonImport      `json:"imports,omitempty"`
	}
	jsonRange struct {
		Type   string      `json:"type"`
		Events []jsonEvent `json:"events"`
	}
	jsonEvent struct {
		Introduced   string `json:"introduced,omitempty"`
		Fixed        string `json:"fixed,omitempty"`
		LastAffected string `json:"last_affected,omitempty"`
		Limit        string `json:"limit,omitempty"`
	}
	jsonImport struct {
		Path    string   `json:"path"`
		Symbols []string `json:"symbols,omitempty"`
		GOOS    []string `json:"goos,omitempty"`
		GOARCH  []string `json:"goarch,omitempty"`
	}
	jsonUpgrade struct {
		Package  jsonPackage `json:"package"`
		To       string      `json:"to,omitempty"`
		Findings int         `json:"findings"`
	}
)

type jsonHandler struct {
	collector
	w    io.Writer
	opts Options
}

func (h *jsonHandler) Flush() error {
	res, err := h.flush()
	if err != nil {
		return err
	}
	b, err := encodeIndented(toJSON(res, h.opts))
	if err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	_, err = h.w.Write(b)
	return err
}

func toolOf(opts Options) (string, string) {
	return cmp.Or(opts.ToolName, version.Name), cmp.Or(opts.ToolVersion, version.String())
}

func toJSON(res *match.Result, opts Options) *jsonDoc {
	name, ver := toolOf(opts)
	doc := &jsonDoc{
		SchemaVersion: SchemaVersion,
		Tool:          &jsonTool{Name: name, Version: ver},
		CreatedAt:     timeString(opts.Timestamp),
		Subject: jsonSubject{Kind: res.Subject.Kind, Name: res.Subject.Name, Digest: res.Subject.Digest,
			Version: res.Subject.Version, PURL: res.Subject.PURL},
		DB:        jsonDB{Path: res.DB.Path, BuiltAt: timeString(res.DB.BuiltAt), Sources: res.DB.Sources},
		Findings:  []jsonFinding{},
		Warnings:  res.Warnings,
		Unmatched: res.Unmatched,
	}
	if inv := res.Inventory; inv != nil {
		ji := &jsonInventory{Packages: []jsonPackage{}}
		if d := inv.Distro; d != nil {
			ji.Distro = &jsonDistro{ID: d.ID, VersionID: d.VersionID, Codename: d.Codename, PrettyName: d.PrettyName}
		}
		for _, p := range inv.Packages {
			ji.Packages = append(ji.Packages, fullPackage(p))
		}
		for _, r := range inv.Relationships {
			ji.Relationships = append(ji.Relationships, jsonRelationship(r))
		}
		for _, e := range inv.Errors {
			ji.Errors = append(ji.Errors, jsonFileError{Path: e.Path, Layer: e.LayerDigest, Extractor: e.Extractor, Message: e.Message})
		}
		doc.Inventory = ji
	}
	for _, f := range res.Findings {
		doc.Findings = append(doc.Findings, toJSONFinding(f))
	}
	for _, u := range res.Upgrades {
		doc.Upgrades = append(doc.Upgrades, jsonUpgrade{Package: packageRef(u.Package), To: u.To, Findings: u.Findings})
	}
	return doc
}

func toJSONFinding(f *match.Finding) jsonFinding {
	jf := jsonFinding{
		ID:      f.ID,
		IDs:     f.IDs,
		Package: packageRef(f.Package),
		Summary: f.Summary,
		Severity: jsonSeverity{Level: cmp.Or(f.Severity.Level, match.SeverityUnknown), Score: f.Severity.Score,
			Vector: f.Severity.Vector, CVSSVersion: f.Severity.Version, Source: f.Severity.Source},
		Fixed:        f.Fixed,
		Reachability: string(f.Reachability),
		Symbols:      f.Symbols,
		Priority:     jsonPriority(f.Priority),
	}
	if jf.IDs == nil {
		jf.IDs = []string{f.ID}
	}
	if k := f.KEV; k != nil {
		jk := jsonKEV(*k)
		jf.KEV = &jk
	}
	if e := f.EPSS; e != nil {
		jf.EPSS = &jsonEPSS{Score: e.Score, Percentile: e.Percentile, CVE: f.EPSSCVE}
	}
	if s := f.Suppression; s != nil {
		jf.Suppression = &jsonSuppression{Kind: s.Kind, Status: s.Status, Justification: s.Justification,
			Statement: s.Statement, Source: s.Source, Expires: timeString(s.Expires)}
	}
	for _, a := range f.Advisories {
		if a != nil {
			jf.Advisories = append(jf.Advisories, toJSONAdvisory(a))
		}
	}
	return jf
}

func toJSONAdvisory(a *vulndb.Advisory) jsonAdvisory {
	ja := jsonAdvisory{
		ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Details: a.Details,
		Published: timeString(a.Published), Modified: timeString(a.Modified),
		Severity: osvSeverities(a.Severity), DatabaseSeverity: a.DatabaseSeverity, Source: a.Source,
	}
	for _, r := range a.References {
		ja.References = append(ja.References, jsonReference(r))
	}
	for _, af := range a.Affected {
		jaf := jsonAffected{Ecosystem: af.Ecosystem, Name: af.Name, PURL: af.PURL, Versions: af.Versions,
			Severity: osvSeverities(af.Severity), DatabaseSeverity: af.DatabaseSeverity}
		for _, r := range af.Ranges {
			jr := jsonRange{Type: r.Type, Events: []jsonEvent{}}
			for _, e := range r.Events {
				jr.Events = append(jr.Events, jsonEvent(e))
			}
			jaf.Ranges = append(jaf.Ranges, jr)
		}
		for _, im := range af.Imports {
			jaf.Imports = append(jaf.Imports, jsonImport(im))
		}
		ja.Affected = append(ja.Affected, jaf)
	}
	return ja
}

func osvSeverities(ss []vulndb.Severity) []jsonOSVSeverity {
	var out []jsonOSVSeverity
	for _, s := range ss {
		out = append(out, jsonOSVSeverity(s))
	}
	return out
}

// packageRef is the identifying part of a package, as findings and upgrades carry it; the
// rest is in inventory.packages under the same id.
func packageRef(p *inventory.Package) jsonPackage {
	jp := jsonPackage{ID: p.ID, Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL}
	for _, l := range p.Locations {
		jp.Locations = append(jp.Locations, jsonLocation{Path: l.Path, Line: l.Line, Layer: l.LayerDigest})
	}
	return jp
}

func fullPackage(p *inventory.Package) jsonPackage {
	jp := jsonPackage{ID: p.ID, Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL,
		Type: p.Type, Licenses: p.Licenses, Supplier: p.Supplier, Scope: p.Scope, Dev: p.Dev,
		FoundBy: p.FoundBy, Hashes: p.Hashes}
	for _, l := range p.Locations {
		jp.Locations = append(jp.Locations, jsonLocation{Path: l.Path, Line: l.Line, Layer: l.LayerDigest, LayerDiffID: l.LayerDiffID})
	}
	if s := p.Source; s != nil {
		jp.Source = &jsonSourcePkg{Name: s.Name, Version: s.Version}
	}
	return jp
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ReadJSON reads a scan JSON document written by the json format back into a Result that
// renders, in any format, exactly as the original did. It accepts only schema_version "1",
// refuses unknown fields, trailing data and inconsistent content (a finding whose package
// differs from the inventory entry with the same id, a priority label that does not match its
// rank, …), and names the offending field in the error, which wraps ErrBadJSON.
func ReadJSON(r io.Reader) (*match.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("report: reading scan JSON: %w", err)
	}
	if int64(len(data)) > maxJSONSize {
		return nil, fmt.Errorf("report: %w: larger than %d bytes", ErrBadJSON, maxJSONSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("report: %w: the input is empty", ErrBadJSON)
	}
	// Check the version first, so a future document gets "unsupported version" rather than
	// a complaint about its first new field.
	var probe struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err != nil {
		return nil, fmt.Errorf("report: %w: %v", ErrBadJSON, err)
	}
	switch {
	case probe.SchemaVersion == nil:
		return nil, fmt.Errorf("report: %w: schema_version is missing", ErrBadJSON)
	case *probe.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("report: %w: schema_version %q is not supported (this hallmark reads %q)", ErrBadJSON, *probe.SchemaVersion, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc jsonDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("report: %w: %v", ErrBadJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("report: %w: data after the document", ErrBadJSON)
	}
	res, err := fromJSON(&doc)
	if err != nil {
		return nil, fmt.Errorf("report: %w: %v", ErrBadJSON, err)
	}
	return res, nil
}

func fromJSON(doc *jsonDoc) (*match.Result, error) {
	if doc.Findings == nil {
		return nil, errors.New("findings is missing")
	}
	res := &match.Result{
		Subject: inventory.Subject{Kind: doc.Subject.Kind, Name: doc.Subject.Name, Digest: doc.Subject.Digest,
			Version: doc.Subject.Version, PURL: doc.Subject.PURL},
		DB:        match.DBInfo{Path: doc.DB.Path, Sources: doc.DB.Sources},
		Warnings:  doc.Warnings,
		Unmatched: doc.Unmatched,
	}
	var err error
	if doc.CreatedAt != "" {
		// Not part of the result, but a bad value means a bad document.
		if _, err := parseTime("created_at", doc.CreatedAt); err != nil {
			return nil, err
		}
	}
	if res.DB.BuiltAt, err = parseTime("db.built_at", doc.DB.BuiltAt); err != nil {
		return nil, err
	}
	for reason, n := range doc.Unmatched {
		if n < 0 {
			return nil, fmt.Errorf("unmatched[%q] is negative", reason)
		}
	}

	// Packages by id: inventory entries first, so findings and upgrades share their pointers
	// as the matcher's result does.
	byID := map[string]*inventory.Package{}
	inInventory := map[string]bool{}
	if ji := doc.Inventory; ji != nil {
		inv := &inventory.Inventory{Subject: res.Subject}
		if d := ji.Distro; d != nil {
			inv.Distro = &inventory.Distro{ID: d.ID, VersionID: d.VersionID, Codename: d.Codename, PrettyName: d.PrettyName}
		}
		for i, jp := range ji.Packages {
			field := fmt.Sprintf("inventory.packages[%d]", i)
			p, err := toPackage(field, jp)
			if err != nil {
				return nil, err
			}
			if p.ID == "" {
				return nil, fmt.Errorf("%s.id is missing", field)
			}
			if byID[p.ID] != nil {
				return nil, fmt.Errorf("%s.id %q is used twice", field, p.ID)
			}
			byID[p.ID] = p
			inInventory[p.ID] = true
			inv.Packages = append(inv.Packages, p)
		}
		for i, r := range ji.Relationships {
			for _, end := range []struct{ name, id string }{{"from", r.From}, {"to", r.To}} {
				if byID[end.id] == nil && !(end.name == "from" && end.id == inventory.SubjectRef) {
					return nil, fmt.Errorf("inventory.relationships[%d].%s %q is not a package id", i, end.name, end.id)
				}
			}
			inv.Relationships = append(inv.Relationships, inventory.Relationship(r))
		}
		for i, e := range ji.Errors {
			if e.Path == "" && e.Message == "" {
				return nil, fmt.Errorf("inventory.errors[%d] has neither path nor message", i)
			}
			inv.Errors = append(inv.Errors, inventory.FileError{Path: e.Path, LayerDigest: e.Layer, Extractor: e.Extractor, Message: e.Message})
		}
		res.Inventory = inv
	}
	// resolve turns a finding's or upgrade's package reference into the shared package.
	resolve := func(field string, jp jsonPackage) (*inventory.Package, error) {
		if inInventory[jp.ID] {
			p := byID[jp.ID]
			if want := packageRef(p); !equalJSON(want, jp) {
				return nil, fmt.Errorf("%s does not match inventory package %q", field, jp.ID)
			}
			return p, nil
		}
		p, err := toPackage(field, jp)
		if err != nil {
			return nil, err
		}
		if p.ID == "" {
			return p, nil
		}
		if q := byID[p.ID]; q != nil {
			if !equalJSON(fullPackage(q), jp) {
				return nil, fmt.Errorf("%s differs from an earlier package with id %q", field, p.ID)
			}
			return q, nil
		}
		byID[p.ID] = p
		return p, nil
	}

	for i, jf := range doc.Findings {
		field := fmt.Sprintf("findings[%d]", i)
		f, err := toFinding(field, jf)
		if err != nil {
			return nil, err
		}
		if f.Package, err = resolve(field+".package", jf.Package); err != nil {
			return nil, err
		}
		res.Findings = append(res.Findings, f)
	}
	for i, ju := range doc.Upgrades {
		field := fmt.Sprintf("upgrades[%d]", i)
		if ju.Findings < 0 {
			return nil, fmt.Errorf("%s.findings is negative", field)
		}
		p, err := resolve(field+".package", ju.Package)
		if err != nil {
			return nil, err
		}
		res.Upgrades = append(res.Upgrades, match.Upgrade{Package: p, To: ju.To, Findings: ju.Findings})
	}
	return res, nil
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func toPackage(field string, jp jsonPackage) (*inventory.Package, error) {
	if jp.Name == "" {
		return nil, fmt.Errorf("%s.name is missing", field)
	}
	p := &inventory.Package{ID: jp.ID, Name: jp.Name, Version: jp.Version, Ecosystem: jp.Ecosystem, PURL: jp.PURL,
		Type: jp.Type, Licenses: jp.Licenses, Supplier: jp.Supplier, Scope: jp.Scope, Dev: jp.Dev,
		FoundBy: jp.FoundBy, Hashes: jp.Hashes}
	for i, l := range jp.Locations {
		if l.Line < 0 {
			return nil, fmt.Errorf("%s.locations[%d].line is negative", field, i)
		}
		p.Locations = append(p.Locations, inventory.Location{Path: l.Path, Line: l.Line, LayerDigest: l.Layer, LayerDiffID: l.LayerDiffID})
	}
	if s := jp.Source; s != nil {
		if s.Name == "" {
			return nil, fmt.Errorf("%s.source_package.name is missing", field)
		}
		p.Source = &inventory.SourcePackage{Name: s.Name, Version: s.Version}
	}
	return p, nil
}

var reachabilities = []match.Reachability{match.ReachUnknown, match.ReachCalled, match.ReachImported, match.ReachNotImported}

func toFinding(field string, jf jsonFinding) (*match.Finding, error) {
	if jf.ID == "" {
		return nil, fmt.Errorf("%s.id is missing", field)
	}
	if !slices.Contains(jf.IDs, jf.ID) {
		return nil, fmt.Errorf("%s.ids does not contain the finding's id %q", field, jf.ID)
	}
	s := jf.Severity
	switch {
	case !slices.Contains(severityLevels, s.Level):
		return nil, fmt.Errorf("%s.severity.level %q is not one of %v", field, s.Level, severityLevels)
	case math.IsNaN(s.Score) || s.Score < 0 || s.Score > 10:
		return nil, fmt.Errorf("%s.severity.score %v is outside 0–10", field, s.Score)
	}
	f := &match.Finding{
		ID: jf.ID, IDs: jf.IDs, Summary: jf.Summary, Fixed: jf.Fixed, Symbols: jf.Symbols,
		Severity:     match.Severity{Level: s.Level, Score: s.Score, Vector: s.Vector, Version: s.CVSSVersion, Source: s.Source},
		Reachability: match.Reachability(jf.Reachability),
		Priority:     match.Priority(jf.Priority),
	}
	if !slices.Contains(reachabilities, f.Reachability) {
		return nil, fmt.Errorf("%s.reachability %q is not called, imported or not-imported", field, jf.Reachability)
	}
	switch pr := jf.Priority; {
	case pr.Rank == 0 && pr.Label == "":
	case pr.Rank < 1 || pr.Rank > 4:
		return nil, fmt.Errorf("%s.priority.rank %d is outside 1–4", field, pr.Rank)
	case pr.Label != fmt.Sprintf("P%d", pr.Rank):
		return nil, fmt.Errorf("%s.priority.label %q does not match rank %d", field, pr.Label, pr.Rank)
	}
	if k := jf.KEV; k != nil {
		if k.CVE == "" || k.DateAdded == "" {
			return nil, fmt.Errorf("%s.kev needs cve and date_added", field)
		}
		kev := vulndb.KEV(*k)
		f.KEV = &kev
	}
	if e := jf.EPSS; e != nil {
		if !(e.Score >= 0 && e.Score <= 1) || !(e.Percentile >= 0 && e.Percentile <= 1) {
			return nil, fmt.Errorf("%s.epss score and percentile must be within 0–1", field)
		}
		f.EPSS = &vulndb.EPSS{Score: e.Score, Percentile: e.Percentile}
		f.EPSSCVE = e.CVE
	}
	if js := jf.Suppression; js != nil {
		if js.Kind != "vex" && js.Kind != "ignore" {
			return nil, fmt.Errorf("%s.suppression.kind %q is not vex or ignore", field, js.Kind)
		}
		if js.Status == "" {
			return nil, fmt.Errorf("%s.suppression.status is missing", field)
		}
		exp, err := parseTime(field+".suppression.expires", js.Expires)
		if err != nil {
			return nil, err
		}
		f.Suppression = &match.Suppression{Kind: js.Kind, Status: js.Status, Justification: js.Justification,
			Statement: js.Statement, Source: js.Source, Expires: exp}
	}
	for i, ja := range jf.Advisories {
		a, err := toAdvisory(fmt.Sprintf("%s.advisories[%d]", field, i), ja)
		if err != nil {
			return nil, err
		}
		f.Advisories = append(f.Advisories, a)
	}
	return f, nil
}

func toAdvisory(field string, ja jsonAdvisory) (*vulndb.Advisory, error) {
	if ja.ID == "" {
		return nil, fmt.Errorf("%s.id is missing", field)
	}
	a := &vulndb.Advisory{ID: ja.ID, Aliases: ja.Aliases, Summary: ja.Summary, Details: ja.Details,
		Severity: fromOSVSeverities(ja.Severity), DatabaseSeverity: ja.DatabaseSeverity, Source: ja.Source}
	var err error
	if a.Published, err = parseTime(field+".published", ja.Published); err != nil {
		return nil, err
	}
	if a.Modified, err = parseTime(field+".modified", ja.Modified); err != nil {
		return nil, err
	}
	for i, r := range ja.References {
		if r.URL == "" {
			return nil, fmt.Errorf("%s.references[%d].url is missing", field, i)
		}
		a.References = append(a.References, vulndb.Reference(r))
	}
	for i, jaf := range ja.Affected {
		af := vulndb.Affected{Ecosystem: jaf.Ecosystem, Name: jaf.Name, PURL: jaf.PURL, Versions: jaf.Versions,
			Severity: fromOSVSeverities(jaf.Severity), DatabaseSeverity: jaf.DatabaseSeverity}
		for j, r := range jaf.Ranges {
			if r.Events == nil {
				return nil, fmt.Errorf("%s.affected[%d].ranges[%d].events is missing", field, i, j)
			}
			vr := vulndb.Range{Type: r.Type, Events: []vulndb.Event{}}
			for _, e := range r.Events {
				vr.Events = append(vr.Events, vulndb.Event(e))
			}
			af.Ranges = append(af.Ranges, vr)
		}
		for _, im := range jaf.Imports {
			af.Imports = append(af.Imports, vulndb.Import(im))
		}
		a.Affected = append(a.Affected, af)
	}
	return a, nil
}

func fromOSVSeverities(ss []jsonOSVSeverity) []vulndb.Severity {
	var out []vulndb.Severity
	for _, s := range ss {
		out = append(out, vulndb.Severity(s))
	}
	return out
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 date-time", field, s)
	}
	return t.UTC(), nil
}
