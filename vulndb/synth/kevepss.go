package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"
)

// kevCatalog mirrors the CISA KEV catalog JSON schema.
type kevCatalog struct {
	Title           string    `json:"title"`
	CatalogVersion  string    `json:"catalogVersion"`
	DateReleased    string    `json:"dateReleased"`
	Count           int       `json:"count"`
	Vulnerabilities []kevVuln `json:"vulnerabilities"`
}

type kevVuln struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

// kevSize is the size of today's catalog, about.
const kevSize = 1400

// writeKEV writes a KEV catalog whose CVEs are drawn from the pool, so some records hit.
func writeKEV(path string, opts Options, pool cvePool) (int, int64, error) {
	g := &gen{r: rand.New(rand.NewPCG(opts.Seed, 0x6b6576)), opts: opts}
	n := min(kevSize, len(pool)/2)
	picked := map[int]bool{}
	cat := kevCatalog{Title: "CISA Catalog of Known Exploited Vulnerabilities",
		CatalogVersion: opts.Now.Format("2006.01.02"), DateReleased: opts.Now.Format("2006-01-02T15:04:05.000Z"), Count: n}
	for len(cat.Vulnerabilities) < n {
		i := g.r.IntN(len(pool))
		if picked[i] {
			continue
		}
		picked[i] = true
		added := g.date(4, 0)
		vendor := g.word(1)
		product := g.word(1)
		cat.Vulnerabilities = append(cat.Vulnerabilities, kevVuln{
			CVEID: pool[i], VendorProject: vendor, Product: product,
			VulnerabilityName:          fmt.Sprintf("%s %s %s Vulnerability", vendor, product, []string{"Remote Code Execution", "Improper Authentication", "Path Traversal", "Use-After-Free"}[g.r.IntN(4)]),
			DateAdded:                  added.Format(time.DateOnly),
			ShortDescription:           g.text(120 + g.r.IntN(200)),
			RequiredAction:             "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
			DueDate:                    added.Add(21 * 24 * time.Hour).Format(time.DateOnly),
			KnownRansomwareCampaignUse: []string{"Known", "Unknown", "Unknown", "Unknown"}[g.r.IntN(4)],
			Notes:                      "https://nvd.nist.gov/vuln/detail/" + pool[i],
			CWEs:                       []string{fmt.Sprintf("CWE-%d", 20+g.r.IntN(900))},
		})
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetIndent("", "    ")
	if err := enc.Encode(cat); err != nil {
		return 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return n, st.Size(), f.Close()
}

// writeEPSS writes one score per pool CVE, sorted like FIRST's file, with the skewed score
// distribution EPSS has (most scores tiny, a few near 1).
func writeEPSS(path string, opts Options, pool cvePool) (int, int64, error) {
	r := rand.New(rand.NewPCG(opts.Seed, 0x65707373))
	scores := make([]float64, len(pool))
	for i := range scores {
		scores[i] = math.Min(1, math.Pow(r.Float64(), 6)*0.97+0.0001)
	}
	sorted := append([]float64(nil), scores...)
	sort.Float64s(sorted)
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "#model_version:v2025.03.14,score_date:%s\n", opts.Now.Format("2006-01-02T15:04:05-0700"))
	fmt.Fprintln(w, "cve,epss,percentile")
	for i, c := range pool {
		pct := float64(sort.SearchFloat64s(sorted, scores[i])) / float64(len(sorted))
		fmt.Fprintf(w, "%s,%.5f,%.5f\n", c, scores[i], pct)
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return len(pool), st.Size(), f.Close()
}
