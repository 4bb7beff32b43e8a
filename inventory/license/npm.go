package license

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// FromPackageJSON returns the licences declared by an npm package.json, as installed at
// node_modules/<name>/package.json (or node_modules/@scope/<name>/package.json).
//
// It reads "license" — a string such as "MIT" or "(MIT OR Apache-2.0)", or the legacy object
// {"type": "MIT", "url": …} — and, only when that is absent, the legacy "licenses": a list of
// such objects or strings. Values are returned as written: "SEE LICENSE IN <file>" and
// "UNLICENSED" (npm's "not licensed for use") are kept for the caller to report. Files over
// MaxFileSize fail with ErrTooLarge.
func FromPackageJSON(r io.Reader) ([]string, error) {
	data, err := readCapped(r, MaxFileSize, "package.json")
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM is common in hand-edited files
	var pkg struct {
		License  json.RawMessage `json:"license"`
		Licenses json.RawMessage `json:"licenses"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	var d declarations
	addNPMLicense(&d, pkg.License, true)
	if len(d.list) == 0 {
		addNPMLicense(&d, pkg.Licenses, true)
	}
	return d.result("package.json")
}

// addNPMLicense adds a "license"/"licenses" value: a string, an object with "type" (or
// "name"), or — one level deep — a list of those. Other JSON types are ignored.
func addNPMLicense(d *declarations, raw json.RawMessage, top bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			d.add(s)
		}
	case '{':
		var o struct {
			Type json.RawMessage `json:"type"`
			Name json.RawMessage `json:"name"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return
		}
		var s string
		if json.Unmarshal(o.Type, &s) != nil || s == "" {
			_ = json.Unmarshal(o.Name, &s)
		}
		d.add(s)
	case '[':
		if !top {
			return
		}
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, x := range list {
				addNPMLicense(d, x, false)
			}
		}
	}
}
