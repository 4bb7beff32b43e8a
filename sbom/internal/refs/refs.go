// Package refs checks that an inventory can be written as an SBOM: every package has an ID
// that is unique and not reserved, and every relationship joins known endpoints. Encoders
// refuse an inventory that fails, rather than writing a document whose references dangle.
package refs

import (
	"fmt"

	"github.com/hallmark-dev/hallmark/inventory"
)

// Reserved identifiers: the subject's and the distro's element in both formats.
const (
	Subject = inventory.SubjectRef
	Distro  = "distro"
)

// Check validates inv's package IDs and relationships. The error names the offending package
// or relationship and says what to do (inventory.Finalize fixes all of them).
func Check(inv *inventory.Inventory) error {
	seen := make(map[string]int, len(inv.Packages))
	for i, p := range inv.Packages {
		if p == nil {
			return fmt.Errorf("packages[%d] is nil", i)
		}
		switch {
		case p.ID == "":
			return fmt.Errorf("packages[%d] (%s %s) has no ID; call Inventory.Finalize before encoding", i, p.Name, p.Version)
		case p.ID == Subject || p.ID == Distro:
			return fmt.Errorf("packages[%d] (%s %s) uses the reserved ID %q", i, p.Name, p.Version, p.ID)
		}
		if j, dup := seen[p.ID]; dup {
			return fmt.Errorf("packages[%d] and packages[%d] share the ID %q; call Inventory.Finalize before encoding", j, i, p.ID)
		}
		seen[p.ID] = i
	}
	for i, r := range inv.Relationships {
		if _, ok := seen[r.From]; !ok && r.From != Subject {
			return fmt.Errorf("relationships[%d]: From %q is not a package ID", i, r.From)
		}
		if _, ok := seen[r.To]; !ok {
			return fmt.Errorf("relationships[%d]: To %q is not a package ID", i, r.To)
		}
	}
	return nil
}
