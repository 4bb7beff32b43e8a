package policy

import (
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

// SBOM sources.
const (
	SBOMGenerated   = "generated"
	SBOMInput       = "input"
	SBOMAttestation = "attestation"
)

// Labels an image declares its base image with (OCI image-spec annotations, also used as
// labels by docker buildx and most build tools).
const (
	labelBaseName   = "org.opencontainers.image.base.name"
	labelBaseDigest = "org.opencontainers.image.base.digest"
)

// NewEvidence starts the evidence about an inventory: subject, packages, parsed licences and
// the SBOM's NTIA status, as of generatedAt. sbomSource says where the inventory came from
// (SBOMGenerated, SBOMInput); for an input SBOM, meta is what its document header says.
// Findings, signatures, provenance, image configuration and misconfiguration results are added
// by the caller.
func NewEvidence(inv *inventory.Inventory, generatedAt time.Time, sbomSource string, meta SBOMMetadata) *Evidence {
	ev := &Evidence{
		SchemaVersion: EvidenceSchemaVersion,
		GeneratedAt:   generatedAt.UTC(),
		Subject: Subject{
			Name:   inv.Subject.Name,
			Digest: inv.Subject.Digest,
			Kind:   subjectKind(inv.Subject.Kind),
		},
	}
	related := map[string]bool{}
	for _, r := range inv.Relationships {
		related[r.From] = true
		related[r.To] = true
	}
	for _, p := range inv.Packages {
		ev.Inventory.Packages = append(ev.Inventory.Packages, Package{
			ID: p.ID, Name: p.Name, Version: p.Version, PURL: p.PURL, Type: pkgType(p.Type),
			Ecosystem: p.Ecosystem, Supplier: p.Supplier, Licenses: slices.Clone(p.Licenses),
		})
		ev.Licenses = append(ev.Licenses, PackageLicense(p))
		ev.SBOM.Components = append(ev.SBOM.Components, SBOMElements{
			Component:     componentName(p),
			Supplier:      strings.TrimSpace(p.Supplier) != "",
			Name:          p.Name != "",
			Version:       p.Version != "",
			UniqueID:      p.PURL != "" || len(p.Hashes) > 0,
			Relationships: related[p.ID],
		})
	}
	ev.SBOM.Present = true
	ev.SBOM.Source = sbomSource
	switch sbomSource {
	case SBOMGenerated:
		// hallmark writes the SBOM from this inventory on demand (hallmark sbom): it is the
		// author, and the document is as old as the evidence.
		ev.SBOM.Format = "inventory"
		ev.SBOM.Author = "hallmark"
		ts := ev.GeneratedAt
		ev.SBOM.Timestamp = &ts
	default:
		ev.SBOM.Format = meta.Format
		ev.SBOM.Author = meta.Author
		ev.SBOM.Timestamp = meta.Timestamp
	}
	ev.normalize()
	return ev
}

func subjectKind(k string) string {
	switch k {
	case inventory.KindDirectory:
		return KindDir
	case inventory.KindImage:
		return KindImage
	case inventory.KindSBOM:
		return KindSBOM
	}
	return KindFile
}

func pkgType(t string) string {
	if t == "" {
		return "library"
	}
	return t
}

func componentName(p *inventory.Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return p.Name + "@" + p.Version
}

// PackageLicense parses a package's declared licences into one License: several declarations
// (found in several files) all apply, so they are joined with AND.
func PackageLicense(p *inventory.Package) License {
	l := License{Package: p.Name + "@" + p.Version, PURL: p.PURL}
	var parts []string
	for _, s := range p.Licenses {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	switch len(parts) {
	case 0:
		l.Error = "no licence declared"
		return l
	case 1:
		l.Expression = parts[0]
	default:
		for i, s := range parts {
			parts[i] = "(" + s + ")"
		}
		l.Expression = strings.Join(parts, " AND ")
	}
	if l.Expression == "NOASSERTION" || l.Expression == "NONE" {
		l.Error = "licence " + l.Expression
		return l
	}
	expr, err := ParseLicense(l.Expression)
	if err != nil {
		l.Error = err.Error()
		return l
	}
	l.Valid = true
	l.Choices = expr.Choices()
	return l
}

// AddFindings adds the findings of a match result, suppressed ones included.
func (ev *Evidence) AddFindings(res *match.Result) {
	for _, f := range res.Findings {
		ev.Findings = append(ev.Findings, findingOf(f))
	}
	ev.normalize()
}

func findingOf(f *match.Finding) Finding {
	out := Finding{
		ID:            f.ID,
		Severity:      strings.ToLower(f.Severity.Level),
		CVSSScore:     f.Severity.Score,
		CVSSVector:    f.Severity.Vector,
		FixedVersions: slices.Clone(f.Fixed),
		Reachability:  string(f.Reachability),
	}
	if !validSeverity(out.Severity) {
		out.Severity = SeverityUnknown
	}
	for _, id := range f.IDs {
		if id != f.ID {
			out.Aliases = append(out.Aliases, id)
		}
	}
	if p := f.Package; p != nil {
		out.Package = PackageRef{Name: p.Name, Version: p.Version, PURL: p.PURL, Ecosystem: p.Ecosystem}
	}
	if f.KEV != nil {
		out.KEV = true
		out.KEVDateAdded = f.KEV.DateAdded
	}
	if f.EPSS != nil {
		out.EPSS = f.EPSS.Score
		out.EPSSPercentile = f.EPSS.Percentile
	}
	for _, a := range f.Advisories {
		if a.Published.IsZero() {
			continue
		}
		if out.Published == nil || a.Published.Before(*out.Published) {
			t := a.Published.UTC()
			out.Published = &t
		}
	}
	if s := f.Suppression; s != nil {
		out.Suppressed = true
		out.Suppression = &Suppression{Kind: s.Kind, Status: s.Status, Justification: s.Justification, Statement: s.Statement, Source: s.Source}
	}
	return out
}

// SetImageConfig records an image's OCI configuration.
func (ev *Evidence) SetImageConfig(cfg *v1.ConfigFile) {
	if cfg == nil {
		return
	}
	ic := &ImageConfig{
		User:         cfg.Config.User,
		Labels:       map[string]string{},
		OS:           cfg.OS,
		Architecture: cfg.Architecture,
	}
	for k, v := range cfg.Config.Labels {
		ic.Labels[k] = v
	}
	ic.BaseImage = cfg.Config.Labels[labelBaseName]
	ic.BaseDigest = cfg.Config.Labels[labelBaseDigest]
	if !cfg.Created.IsZero() {
		t := cfg.Created.UTC()
		ic.Created = &t
	}
	ev.ImageConfig = ic
}
