package cyclonedx

import (
	"encoding/json"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// The JSON decoder reads only the parts of a BOM that become an inventory, into these types,
// which embed cyclonedx-go's and shadow the fields that are not read (an outer field wins over
// an embedded one of the same JSON name). cyclonedx-go v0.12.0 rejects some valid BOMs in
// fields hallmark does not use (declarations' data classification, components'
// patentAssertions: the specification's valid-attestation-1.6 and valid-patent-1.7 tests), and
// whatever is not decoded cannot fail, or cost time.

type bomDoc struct {
	Metadata     *metadataDoc       `json:"metadata"`
	Components   *[]componentDoc    `json:"components"`
	Services     *[]serviceDoc      `json:"services"`
	Dependencies *[]cdx.Dependency  `json:"dependencies"`
	Compositions *[]cdx.Composition `json:"compositions"`
}

type metadataDoc struct {
	cdx.Metadata
	Component *componentDoc   `json:"component"`
	Tools     json.RawMessage `json:"tools"`
}

type componentDoc struct {
	cdx.Component
	Components       *[]componentDoc `json:"components"`
	PatentAssertions json.RawMessage `json:"patentAssertions"`
	Pedigree         json.RawMessage `json:"pedigree"`
	ReleaseNotes     json.RawMessage `json:"releaseNotes"`
	ModelCard        json.RawMessage `json:"modelCard"`
	Data             json.RawMessage `json:"data"`
	CryptoProperties json.RawMessage `json:"cryptoProperties"`
	Signature        json.RawMessage `json:"signature"`
}

type serviceDoc struct {
	BOMRef   string        `json:"bom-ref"`
	Services *[]serviceDoc `json:"services"`
}

// bom converts to cyclonedx-go's model, which the rest of the decoder reads.
func (d *bomDoc) bom() *cdx.BOM {
	b := &cdx.BOM{
		Components:   components(d.Components),
		Dependencies: d.Dependencies,
		Compositions: d.Compositions,
	}
	if d.Metadata != nil {
		m := d.Metadata.Metadata
		if d.Metadata.Component != nil {
			c := d.Metadata.Component.component()
			m.Component = &c
		}
		b.Metadata = &m
	}
	if d.Services != nil {
		b.Services = services(*d.Services)
	}
	return b
}

func (c *componentDoc) component() cdx.Component {
	out := c.Component
	out.Components = components(c.Components)
	return out
}

func components(cs *[]componentDoc) *[]cdx.Component {
	if cs == nil {
		return nil
	}
	out := make([]cdx.Component, len(*cs))
	for i := range *cs {
		out[i] = (*cs)[i].component()
	}
	return &out
}

func services(ss []serviceDoc) *[]cdx.Service {
	out := make([]cdx.Service, len(ss))
	for i, s := range ss {
		out[i].BOMRef = s.BOMRef
		if s.Services != nil {
			out[i].Services = services(*s.Services)
		}
	}
	return &out
}
