package cyclonedx

import (
	_ "embed"
	"strings"
	"sync"
)

// licenseIDs is the enum of CycloneDX's spdx.schema.json (the licence ids that
// component.licenses[].license.id may hold), one per line. TestLicenseIDsMatchSchema keeps it
// in step with testdata/schema/spdx.schema.json; run it with -update to regenerate.
//
// The schema's list, not a licence library's, decides: a newer SPDX licence list holds ids that
// the 1.6 schema rejects, and those are written as license.name instead.
//
//go:embed licenseids.txt
var licenseIDs string

var licenseIDSet = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, id := range strings.Split(licenseIDs, "\n") {
		if id = strings.TrimSpace(id); id != "" {
			m[id] = true
		}
	}
	return m
})

// isLicenseID reports whether s is exactly a licence id the CycloneDX 1.6 schema accepts.
func isLicenseID(s string) bool { return licenseIDSet()[s] }
