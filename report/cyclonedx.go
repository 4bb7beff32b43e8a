package report

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/sbom/cyclonedx"
)

// Property names for finding facts CycloneDX has no field for, in hallmark's namespace (as
// the sbom room's properties are).
const (
	propPriority         = "hallmark:priority"
	propPriorityReason   = "hallmark:priority:reason"
	propKEVDateAdded     = "hallmark:kev:date-added"
	propKEVDueDate       = "hallmark:kev:due-date"
	propKEVRansomware    = "hallmark:kev:known-ransomware"
	propEPSSScore        = "hallmark:epss:score"
	propEPSSPercentile   = "hallmark:epss:percentile"
	propEPSSCVE          = "hallmark:epss:cve"
	propReachability     = "hallmark:reachability"
	propSymbol           = "hallmark:symbol"
	propSuppressionKind  = "hallmark:suppression:kind"
	propSuppressionSrc   = "hallmark:suppression:source"
	propSuppressionUntil = "hallmark:suppression:expires"
)

type cyclonedxHandler struct {
	collector
	w    io.Writer
	opts Options
}

func (h *cyclonedxHandler) Flush() error {
	res, err := h.flush()
	if err != nil {
		return err
	}
	if res.Inventory == nil {
		return errors.New("report: cyclonedx-json needs the scanned inventory, and the result has none")
	}
	inv := *res.Inventory // shallow copy: the subject may be filled in, nothing else changes
	if inv.Subject == (inventory.Subject{}) {
		inv.Subject = res.Subject
	}
	vulns := make([]cdx.Vulnerability, 0, len(res.Findings))
	refs := map[string]int{}
	for _, f := range res.Findings {
		if f.Package.ID == "" || inv.Package(f.Package.ID) == nil {
			return fmt.Errorf("report: cyclonedx-json: finding %s is for %s %s, which is not in the inventory", f.ID, f.Package.Name, f.Package.Version)
		}
		v := cdxVulnerability(f)
		// bom-refs must be unique in a BOM; an id found twice in one package (two lockfile
		// entries merged by the matcher would not, but a hand-made result might) gets a suffix.
		if n := refs[v.BOMRef]; n > 0 {
			refs[v.BOMRef]++
			v.BOMRef += "-" + strconv.Itoa(n+1)
		} else {
			refs[v.BOMRef] = 1
		}
		vulns = append(vulns, v)
	}
	name, ver := toolOf(h.opts)
	err = cyclonedx.EncodeVulnerabilities(h.w, &inv, vulns, cyclonedx.Options{Timestamp: h.opts.Timestamp, ToolName: name, ToolVersion: ver})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// idSource names the database that publishes an id, by its prefix.
func idSource(id string) *cdx.Source {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return &cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	}
	return &cdx.Source{Name: "OSV", URL: advisoryURL(id)}
}

// cdxMethods maps CVSS versions to CycloneDX scoring methods.
var cdxMethods = map[string]cdx.ScoringMethod{
	"2.0": cdx.ScoringMethodCVSSv2,
	"3.0": cdx.ScoringMethodCVSSv3,
	"3.1": cdx.ScoringMethodCVSSv31,
	"4.0": cdx.ScoringMethodCVSSv4,
}

func cdxVulnerability(f *match.Finding) cdx.Vulnerability {
	p := f.Package
	v := cdx.Vulnerability{
		BOMRef:      f.ID + "/" + p.ID,
		ID:          f.ID,
		Source:      idSource(f.ID),
		Description: f.Summary,

		Affects: &[]cdx.Affects{{Ref: p.ID, Range: &[]cdx.AffectedVersions{{
			Version: p.Version, Status: cdx.VulnerabilityStatusAffected}}}},
	}
	if d := details(f); d != f.Summary {
		v.Detail = d
	}
	if p.Version == "" {
		(*v.Affects)[0].Range = nil
	}
	var refs []cdx.VulnerabilityReference
	for _, id := range f.IDs {
		if id != f.ID {
			refs = append(refs, cdx.VulnerabilityReference{ID: id, Source: idSource(id)})
		}
	}
	if len(refs) > 0 {
		v.References = &refs
	}
	if r, ok := cdxRating(f.Severity); ok {
		v.Ratings = &[]cdx.VulnerabilityRating{r}
	}
	if len(f.Fixed) > 0 {
		v.Recommendation = fmt.Sprintf("Upgrade %s to %s", p.Name, f.Fixed[0])
		if len(f.Fixed) > 1 {
			v.Recommendation += " (fixed in " + strings.Join(f.Fixed, ", ") + ")"
		}
		v.Recommendation += "."
	}
	seen := map[string]bool{}
	var advs []cdx.Advisory
	for _, a := range f.Advisories {
		if a == nil {
			continue
		}
		if v.Published == "" && !a.Published.IsZero() {
			v.Published = timeString(a.Published)
		}
		if v.Updated == "" && !a.Modified.IsZero() {
			v.Updated = timeString(a.Modified)
		}
		for _, r := range a.References {
			if !seen[r.URL] {
				seen[r.URL] = true
				advs = append(advs, cdx.Advisory{URL: r.URL})
			}
		}
	}
	if len(advs) > 0 {
		v.Advisories = &advs
	}
	if s := f.Suppression; s != nil {
		v.Analysis = cdxAnalysis(s)
	}
	var props []cdx.Property
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add(propPriority, f.Priority.Label)
	add(propPriorityReason, f.Priority.Reason)
	if k := f.KEV; k != nil {
		add(propKEVDateAdded, k.DateAdded)
		add(propKEVDueDate, k.DueDate)
		add(propKEVRansomware, k.KnownRansomware)
	}
	if e := f.EPSS; e != nil {
		add(propEPSSScore, strconv.FormatFloat(e.Score, 'f', -1, 64))
		add(propEPSSPercentile, strconv.FormatFloat(e.Percentile, 'f', -1, 64))
		add(propEPSSCVE, f.EPSSCVE)
	}
	add(propReachability, string(f.Reachability))
	for _, s := range f.Symbols {
		add(propSymbol, s)
	}
	if s := f.Suppression; s != nil {
		add(propSuppressionKind, s.Kind)
		add(propSuppressionSrc, s.Source)
		if !s.Expires.IsZero() {
			add(propSuppressionUntil, timeString(s.Expires))
		}
	}
	if len(props) > 0 {
		v.Properties = &props
	}
	return v
}

func cdxRating(s match.Severity) (cdx.VulnerabilityRating, bool) {
	level := strings.ToLower(s.Level)
	if s.Level == match.SeverityUnknown || s.Level == "" {
		level = "unknown"
	}
	r := cdx.VulnerabilityRating{Severity: cdx.Severity(level)}
	switch {
	case s.Vector != "":
		score := s.Score
		r.Score, r.Vector = &score, s.Vector
		if m, ok := cdxMethods[s.Version]; ok {
			r.Method = m
		} else {
			r.Method = cdx.ScoringMethodOther
		}
	case level == "unknown":
		return r, false // saying nothing beats a rating that says "unknown"
	default:
		r.Method = cdx.ScoringMethodOther // a database's own label, not a score
	}
	return r, true
}

// cdxStates maps suppression statuses (OpenVEX, or CycloneDX's own when the VEX came from
// CycloneDX) to CycloneDX impact analysis states.
var cdxStates = map[string]cdx.ImpactAnalysisState{
	"not_affected":           cdx.IASNotAffected,
	"fixed":                  cdx.IASResolved,
	"affected":               cdx.IASExploitable,
	"under_investigation":    cdx.IASInTriage,
	"resolved":               cdx.IASResolved,
	"resolved_with_pedigree": cdx.IASResolvedWithPedigree,
	"exploitable":            cdx.IASExploitable,
	"in_triage":              cdx.IASInTriage,
	"false_positive":         cdx.IASFalsePositive,
}

// cdxJustifications maps OpenVEX justifications, and CycloneDX's own, to CycloneDX ones.
// OpenVEX's "the adversary cannot control the vulnerable code" has no exact counterpart; it
// is closest to a mitigating control, and the original stays in the detail.
var cdxJustifications = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJProtectedByMitigatingControl,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
	"code_not_present":                                  cdx.IAJCodeNotPresent,
	"code_not_reachable":                                cdx.IAJCodeNotReachable,
	"requires_configuration":                            cdx.IAJRequiresConfiguration,
	"requires_dependency":                               cdx.IAJRequiresDependency,
	"requires_environment":                              cdx.IAJRequiresEnvironment,
	"protected_by_compiler":                             cdx.IAJProtectedByCompiler,
	"protected_at_runtime":                              cdx.IAJProtectedAtRuntime,
	"protected_at_perimeter":                            cdx.IAJProtectedAtPerimeter,
	"protected_by_mitigating_control":                   cdx.IAJProtectedByMitigatingControl,
}

func cdxAnalysis(s *match.Suppression) *cdx.VulnerabilityAnalysis {
	a := &cdx.VulnerabilityAnalysis{}
	var detail []string
	if s.Kind == "vex" {
		a.State = cdxStates[s.Status]
		if a.State == cdx.IASNotAffected {
			a.Justification = cdxJustifications[s.Justification]
		}
		if a.Justification == "" && s.Justification != "" {
			detail = append(detail, "justification: "+s.Justification)
		}
		if a.State == "" {
			detail = append(detail, "status: "+s.Status)
		}
	} else {
		// An ignore rule is a decision not to act for now, not a finding that the code is
		// unaffected, so it claims no state.
		detail = append(detail, "ignored by rule")
		if s.Justification != "" {
			detail = append(detail, "reason: "+s.Justification)
		}
		if !s.Expires.IsZero() {
			detail = append(detail, "until "+s.Expires.UTC().Format("2006-01-02"))
		}
	}
	if s.Statement != "" {
		detail = append(detail, s.Statement)
	}
	if s.Source != "" {
		detail = append(detail, "source: "+s.Source)
	}
	a.Detail = strings.Join(detail, "; ")
	return a
}
