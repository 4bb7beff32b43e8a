package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/sbom"
)

// ErrSBOMMetadata: an SBOM's header (author, timestamp) could not be read. The SBOM itself is
// decoded by the sbom room; this only means the NTIA document elements are unknown.
var ErrSBOMMetadata = errors.New("unreadable SBOM header")

// SBOMMetadata is what an SBOM document says about itself: the NTIA document-level elements
// (author of the SBOM data, timestamp), which the inventory the sbom room decodes does not keep.
type SBOMMetadata struct {
	Format    string
	Author    string
	Timestamp *time.Time
}

// ReadSBOMMetadata reads the header of an SBOM in any format sbom.Detect knows. The author is,
// in order of preference, the document's named authors (CycloneDX metadata.authors; SPDX
// Person and Organization creators), its manufacturer or supplier, then the tools that wrote
// it: NTIA accepts a tool as the author of SBOM data.
func ReadSBOMMetadata(doc []byte) (SBOMMetadata, error) {
	f, ok := sbom.Detect(doc)
	if !ok {
		return SBOMMetadata{}, fmt.Errorf("%w: not an SBOM format hallmark reads", ErrSBOMMetadata)
	}
	m := SBOMMetadata{Format: string(f)}
	var (
		authors, tools []string
		ts             string
		err            error
	)
	switch f {
	case sbom.CycloneDXJSON:
		authors, tools, ts, err = cdxJSONHeader(doc)
	case sbom.CycloneDXXML:
		authors, tools, ts, err = cdxXMLHeader(doc)
	case sbom.SPDXJSON:
		authors, tools, ts, err = spdxJSONHeader(doc)
	case sbom.SPDXTagValue:
		authors, tools, ts = spdxTagHeader(doc)
	}
	if err != nil {
		return m, fmt.Errorf("%w: %s: %v", ErrSBOMMetadata, f, err)
	}
	switch {
	case len(authors) > 0:
		m.Author = strings.Join(authors, ", ")
	case len(tools) > 0:
		m.Author = strings.Join(tools, ", ")
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(ts))
		if err != nil {
			return m, fmt.Errorf("%w: %s: timestamp %q is not RFC 3339", ErrSBOMMetadata, f, ts)
		}
		t = t.UTC()
		m.Timestamp = &t
	}
	return m, nil
}

// cdxEntity is a CycloneDX organizational entity, contact or tool: whichever name it has.
type cdxEntity struct {
	Name   string `json:"name" xml:"name"`
	Email  string `json:"email" xml:"email"`
	Vendor string `json:"vendor" xml:"vendor"`
}

func (e cdxEntity) String() string {
	switch {
	case e.Name != "" && e.Vendor != "":
		return e.Vendor + " " + e.Name
	case e.Name != "":
		return e.Name
	}
	return e.Email
}

func names(es []cdxEntity) []string {
	var out []string
	for _, e := range es {
		if s := strings.TrimSpace(e.String()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cdxJSONHeader(doc []byte) (authors, tools []string, ts string, err error) {
	var d struct {
		Metadata *struct {
			Timestamp    string          `json:"timestamp"`
			Authors      []cdxEntity     `json:"authors"`
			Manufacturer *cdxEntity      `json:"manufacturer"`
			Manufacture  *cdxEntity      `json:"manufacture"`
			Supplier     *cdxEntity      `json:"supplier"`
			Tools        json.RawMessage `json:"tools"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, nil, "", err
	}
	if d.Metadata == nil {
		return nil, nil, "", nil
	}
	md := d.Metadata
	authors = names(md.Authors)
	for _, e := range []*cdxEntity{md.Manufacturer, md.Manufacture, md.Supplier} {
		if e != nil && len(authors) == 0 {
			authors = names([]cdxEntity{*e})
		}
	}
	// tools is an array of tools (CycloneDX ≤1.4) or an object of components and services
	// (1.5 and later).
	if t := bytes.TrimSpace(md.Tools); len(t) > 0 {
		var legacy []cdxEntity
		var modern struct {
			Components []cdxEntity `json:"components"`
			Services   []cdxEntity `json:"services"`
		}
		switch t[0] {
		case '[':
			if err := json.Unmarshal(t, &legacy); err != nil {
				return nil, nil, "", fmt.Errorf("metadata.tools: %v", err)
			}
			tools = names(legacy)
		case '{':
			if err := json.Unmarshal(t, &modern); err != nil {
				return nil, nil, "", fmt.Errorf("metadata.tools: %v", err)
			}
			tools = append(names(modern.Components), names(modern.Services)...)
		}
	}
	return authors, tools, md.Timestamp, nil
}

func cdxXMLHeader(doc []byte) (authors, tools []string, ts string, err error) {
	var d struct {
		Metadata struct {
			Timestamp string      `xml:"timestamp"`
			Authors   []cdxEntity `xml:"authors>author"`
			Tools     []cdxEntity `xml:"tools>tool"`
			ToolComps []cdxEntity `xml:"tools>components>component"`
			Supplier  *cdxEntity  `xml:"supplier"`
		} `xml:"metadata"`
	}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		return nil, nil, "", err
	}
	md := d.Metadata
	authors = names(md.Authors)
	if len(authors) == 0 && md.Supplier != nil {
		authors = names([]cdxEntity{*md.Supplier})
	}
	return authors, append(names(md.Tools), names(md.ToolComps)...), md.Timestamp, nil
}

func spdxJSONHeader(doc []byte) (authors, tools []string, ts string, err error) {
	var d struct {
		CreationInfo *struct {
			Created  string   `json:"created"`
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, nil, "", err
	}
	if d.CreationInfo == nil {
		return nil, nil, "", nil
	}
	authors, tools = spdxCreators(d.CreationInfo.Creators)
	return authors, tools, d.CreationInfo.Created, nil
}

// spdxCreators splits SPDX creators ("Person: …", "Organization: …", "Tool: …").
func spdxCreators(cs []string) (authors, tools []string) {
	for _, c := range cs {
		kind, who, ok := strings.Cut(c, ":")
		who = strings.TrimSpace(who)
		if !ok || who == "" {
			continue
		}
		switch strings.TrimSpace(kind) {
		case "Person", "Organization":
			authors = append(authors, who)
		case "Tool":
			tools = append(tools, who)
		}
	}
	return authors, tools
}

func spdxTagHeader(doc []byte) (authors, tools []string, ts string) {
	var creators []string
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		tag, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(tag) {
		case "Creator":
			creators = append(creators, strings.TrimSpace(val))
		case "Created":
			if ts == "" {
				ts = strings.TrimSpace(val)
			}
		case "PackageName":
			// The document header is over.
			authors, tools = spdxCreators(creators)
			return authors, tools, ts
		}
	}
	authors, tools = spdxCreators(creators)
	return authors, tools, ts
}
