package vulndb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// kevCatalog is the CISA KEV catalog JSON (schema: known_exploited_vulnerabilities_schema.json).
type kevCatalog struct {
	CatalogVersion  *string           `json:"catalogVersion"`
	DateReleased    string            `json:"dateReleased"`
	Count           int               `json:"count"`
	Vulnerabilities *[]kevCatalogVuln `json:"vulnerabilities"`
}

type kevCatalogVuln struct {
	CVEID                      string `json:"cveID"`
	VendorProject              string `json:"vendorProject"`
	Product                    string `json:"product"`
	VulnerabilityName          string `json:"vulnerabilityName"`
	DateAdded                  string `json:"dateAdded"`
	RequiredAction             string `json:"requiredAction"`
	DueDate                    string `json:"dueDate"`
	KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
}

var kevCVE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

// kevResult is what a KEV catalog contributes.
type kevResult struct {
	entries        []*KEV
	catalogVersion string
	released       string
	skipped        []Skip
}

// parseKEV decodes a KEV catalog. A document that is not a KEV catalog is an error; an entry
// without a valid cveID or dateAdded is skipped and named.
func parseKEV(data []byte) (*kevResult, error) {
	var c kevCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not a KEV catalog: %w", err)
	}
	if c.CatalogVersion == nil || c.Vulnerabilities == nil {
		return nil, fmt.Errorf(`not a KEV catalog: "catalogVersion" and "vulnerabilities" are required`)
	}
	res := &kevResult{catalogVersion: *c.CatalogVersion, released: c.DateReleased}
	for i, v := range *c.Vulnerabilities {
		entry := fmt.Sprintf("vulnerabilities[%d]", i)
		if !kevCVE.MatchString(v.CVEID) {
			res.skipped = append(res.skipped, Skip{Entry: entry, Reason: fmt.Sprintf("cveID %q is not CVE-YYYY-NNNN", v.CVEID)})
			continue
		}
		if _, err := time.Parse(time.DateOnly, v.DateAdded); err != nil {
			res.skipped = append(res.skipped, Skip{Entry: entry + " " + v.CVEID, Reason: fmt.Sprintf("dateAdded %q is not YYYY-MM-DD", v.DateAdded)})
			continue
		}
		res.entries = append(res.entries, &KEV{
			CVE: v.CVEID, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
			DateAdded: v.DateAdded, DueDate: v.DueDate, RequiredAction: v.RequiredAction,
			KnownRansomware: v.KnownRansomwareCampaignUse,
		})
	}
	return res, nil
}

// epssRow is one parsed EPSS score.
type epssRow struct {
	key        uint64
	score, pct float64
}

type epssResult struct {
	rows                    []epssRow
	modelVersion, scoreDate string
	skipped                 []Skip
	bad                     int
}

// parseEPSS reads a FIRST EPSS CSV (optionally gzip-compressed): an optional
// "#model_version:…,score_date:…" comment line, the "cve,epss,percentile" header, then rows.
// A wrong header is an error; a bad row is skipped and named.
func parseEPSS(r io.Reader) (*epssResult, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	res := &epssResult{}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	header := false
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.HasPrefix(text, "#") {
			if header {
				continue
			}
			for _, kv := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch strings.TrimSpace(k) {
				case "model_version":
					res.modelVersion = strings.TrimSpace(v)
				case "score_date":
					res.scoreDate = strings.TrimSpace(v)
				}
			}
			continue
		}
		if !header {
			if strings.ReplaceAll(strings.ToLower(text), " ", "") != "cve,epss,percentile" {
				return nil, fmt.Errorf("line %d: header is %q, want \"cve,epss,percentile\"", line, truncate(text, 80))
			}
			header = true
			continue
		}
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		skip := func(reason string) {
			res.bad++
			if len(res.skipped) < maxSkipSamples {
				res.skipped = append(res.skipped, Skip{Entry: fmt.Sprintf("line %d", line), Reason: reason})
			}
		}
		if len(f) != 3 {
			skip(fmt.Sprintf("%d fields, want 3", len(f)))
			continue
		}
		key, ok := cveKey(f[0])
		if !ok {
			skip(fmt.Sprintf("%q is not a CVE id", truncate(f[0], 40)))
			continue
		}
		score, err1 := strconv.ParseFloat(f[1], 64)
		pct, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || !(score >= 0 && score <= 1) || !(pct >= 0 && pct <= 1) {
			skip("epss and percentile must be numbers in [0,1]")
			continue
		}
		res.rows = append(res.rows, epssRow{key: key, score: score, pct: pct})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if !header {
		return nil, fmt.Errorf(`no "cve,epss,percentile" header`)
	}
	return res, nil
}

// sniffEPSS reports whether the start of a file looks like an EPSS CSV.
func sniffEPSS(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	return bytes.HasPrefix(head, []byte("#model_version")) || bytes.HasPrefix(bytes.ToLower(head), []byte("cve,epss"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
