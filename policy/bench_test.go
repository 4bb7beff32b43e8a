package policy

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// realisticEvidence is an image of n packages with m findings: licences of several shapes,
// NTIA gaps, a signature and a provenance, as a mid-sized service image looks.
func realisticEvidence(tb testing.TB, n, m int) *Evidence {
	ev := loadEvidence(tb, "good.json")
	ev.Inventory.Packages = nil
	ev.Licenses = nil
	ev.SBOM.Components = nil
	ev.Findings = nil
	exprs := []string{"MIT", "Apache-2.0", "BSD-3-Clause", "MIT OR Apache-2.0", "(MIT OR Apache-2.0) AND BSD-2-Clause", "GPL-2.0-only WITH Classpath-exception-2.0", "ISC", ""}
	for i := range n {
		name, version := fmt.Sprintf("pkg-%03d", i), fmt.Sprintf("1.%d.%d", i%7, i%13)
		purl := fmt.Sprintf("pkg:npm/%s@%s", name, version)
		var decl []string
		if e := exprs[i%len(exprs)]; e != "" {
			decl = []string{e}
		}
		ev.Inventory.Packages = append(ev.Inventory.Packages, Package{ID: fmt.Sprint(i), Name: name, Version: version, PURL: purl, Type: "library", Ecosystem: "npm", Licenses: decl})
		l := License{Package: name + "@" + version, PURL: purl}
		if len(decl) > 0 {
			x, err := ParseLicense(decl[0])
			if err != nil {
				tb.Fatal(err)
			}
			l.Expression, l.Valid, l.Choices = decl[0], true, x.Choices()
		}
		ev.Licenses = append(ev.Licenses, l)
		ev.SBOM.Components = append(ev.SBOM.Components, SBOMElements{Component: purl, Supplier: i%5 != 0, Name: true, Version: true, UniqueID: true, Relationships: i%3 != 0})
	}
	sev := []string{"critical", "high", "medium", "low"}
	published := decisionTime.Add(-30 * 24 * time.Hour)
	for j := range m {
		p := ev.Inventory.Packages[(j*37)%n]
		f := Finding{
			ID: fmt.Sprintf("CVE-2024-%05d", j), Aliases: []string{fmt.Sprintf("GHSA-%04d-xxxx-yyyy", j)},
			Package:  PackageRef{Name: p.Name, Version: p.Version, PURL: p.PURL, Ecosystem: p.Ecosystem},
			Severity: sev[j%4], CVSSScore: 9.8 - float64(j%4)*2, KEV: j%17 == 0, EPSS: 0.01 * float64(j%10),
			Reachability: "unknown", Published: &published, Suppressed: j%9 == 0,
		}
		if j%3 != 0 {
			f.FixedVersions = []string{"9.9.9"}
		}
		ev.Findings = append(ev.Findings, f)
	}
	ev.normalize()
	return ev
}

const benchConfig = `
vulnerabilities:
  severity: high
  grace_days: 14
  exemptions:
    - {id: CVE-2024-00001, expires: 2030-01-01}
    - {id: CVE-2024-00005, package: pkg-185, expires: 2030-01-01}
signatures: {trusted_key_ids: ["sha256:4d1c0f3c1f0d3c7e6a1f5b0e8e2c9d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"]}
provenance: {required: true, trusted_builders: [https://github.com/actions/runner/github-hosted], allowed_repos: ["https://github.com/acme/*"]}
registries: {allowed: [ghcr.io/acme]}
licenses: {allowed: [MIT, Apache-2.0, BSD-3-Clause, BSD-2-Clause, ISC]}
`

// BenchmarkEvaluate measures one policy decision with the built-in library and a realistic
// configuration on the evidence of an image with 500 packages and 50 findings.
func BenchmarkEvaluate(b *testing.B) {
	e := newEngine(b, Options{Builtin: true, Config: config(b, benchConfig)})
	ev := realisticEvidence(b, 500, 50)
	d := e.Evaluate(context.Background(), ev, decisionTime)
	if d.Error != "" || d.Allow || len(d.Violations) == 0 {
		b.Fatalf("unexpected decision: %+v", d)
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		e.Evaluate(context.Background(), ev, decisionTime)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkNew measures compiling the built-in library with a configuration.
func BenchmarkNew(b *testing.B) {
	cfg := config(b, benchConfig)
	for b.Loop() {
		if _, err := New(context.Background(), Options{Builtin: true, Config: cfg}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRealisticDecision(t *testing.T) {
	e := newEngine(t, Options{Builtin: true, Config: config(t, benchConfig)})
	d := e.Evaluate(context.Background(), realisticEvidence(t, 500, 50), decisionTime)
	if d.Error != "" {
		t.Fatal(d.Error)
	}
	got := map[string]int{}
	for _, v := range d.Violations {
		got[v.RuleID]++
	}
	// 50 findings: every 9th suppressed, every 3rd without a fix, critical/high in turn; KEV
	// every 17th; 1 in 8 packages has no licence (one warning), GPL-2.0 WITH Classpath is not
	// on the allow list.
	if got["vuln-fixable"] == 0 || got["vuln-kev"] == 0 || got["license"] == 0 || got["evidence-age"] != 0 || got["signature-trusted"] != 0 {
		t.Errorf("violations by rule: %v", got)
	}
	t.Logf("violations by rule: %v; %d warnings", got, len(d.Warnings))
}
