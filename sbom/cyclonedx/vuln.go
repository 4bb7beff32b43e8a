package cyclonedx

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/sbom/internal/docid"
	"github.com/hallmark-dev/hallmark/sbom/internal/refs"
)

// EncodeVulnerabilities writes inv as a CycloneDX 1.6 JSON BOM, exactly as Encode does, with
// vulns as its vulnerabilities[]. The components and their bom-refs are those of Encode (a
// package's bom-ref is its inventory ID), so a scan report and `hallmark sbom` name the same
// component the same way; every vulns[].affects[].ref must be one of them, the subject
// ("subject") or the distro ("distro").
//
// Unlike Encode, a zero opts.Timestamp is allowed and leaves metadata.timestamp out, for
// callers that want output that depends on nothing but the inventory and the findings.
// The sbom room knows nothing of findings, so the caller builds the vulnerability entries.
func EncodeVulnerabilities(w io.Writer, inv *inventory.Inventory, vulns []cdx.Vulnerability, opts Options) error {
	if inv == nil {
		return errors.New("cyclonedx: nil inventory")
	}
	if opts.XML {
		return errors.New("cyclonedx: vulnerabilities are written as JSON only")
	}
	if err := refs.Check(inv); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	known := map[string]bool{refs.Subject: inv.Subject != (inventory.Subject{}), refs.Distro: inv.Distro != nil}
	for _, p := range inv.Packages {
		known[p.ID] = true
	}
	for i, v := range vulns {
		if v.Affects == nil || len(*v.Affects) == 0 {
			return fmt.Errorf("cyclonedx: vulnerabilities[%d] (%s) affects no component", i, v.ID)
		}
		for j, a := range *v.Affects {
			if !known[a.Ref] {
				return fmt.Errorf("cyclonedx: vulnerabilities[%d] (%s) affects[%d].ref %q is not a component of the inventory", i, v.ID, j, a.Ref)
			}
		}
	}
	bom := toBOM(inv, opts)
	if opts.Timestamp.IsZero() {
		bom.Metadata.Timestamp = ""
	}
	if len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	// As in Encode, the serial number is derived from the document it names.
	var buf bytes.Buffer
	if err := encodeJSON(&buf, bom); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	bom.SerialNumber = "urn:uuid:" + docid.UUID(buf.Bytes())
	buf.Reset()
	if err := encodeJSON(&buf, bom); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
