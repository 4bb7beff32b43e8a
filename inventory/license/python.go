package license

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxPythonLicenseLen bounds a single-line License field taken as a licence name; longer
// values are prose ("All contributions towards LibCST are MIT licensed.").
const maxPythonLicenseLen = 128

// FromPythonMetadata returns the licences declared by Python core metadata: the METADATA file
// of an installed wheel (site-packages/<name>-<version>.dist-info/METADATA) or the PKG-INFO of
// an egg (site-packages/<name>-<version>.egg-info/PKG-INFO, or an .egg-info file).
//
// Only the header is read (MaxFileSize, else ErrTooLarge); the description body is not. In
// order of preference (core metadata 2.4, PEP 639):
//  1. License-Expression, returned as is;
//  2. License, when it is a licence name rather than licence text: its first line, if that
//     normalises (tools put "BSD 3-Clause License" and then the whole text there), or else the
//     whole value if it is one short line. "UNKNOWN" (old setuptools' default) is ignored;
//  3. "Classifier: License :: …" trove classifiers, each mapped to SPDX by Normalize when it
//     can be and kept as its last segment ("BSD License") when not.
//
// When License names nothing Normalize knows ("Dual License", "BSD") and classifiers exist,
// the classifiers win: they are the better evidence.
func FromPythonMetadata(r io.Reader) ([]string, error) {
	fields, err := readPythonHeader(r)
	if err != nil {
		return nil, err
	}
	var d declarations
	if e := fields["license-expression"]; len(e) > 0 {
		d.add(e[0])
		return d.result("python metadata")
	}

	var classifiers declarations
	normalized := make(map[string]string) // a hostile header may repeat a classifier often
	for _, c := range fields["classifier"] {
		parts := strings.Split(c, "::")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if len(parts) < 2 || !strings.EqualFold(parts[0], "License") {
			continue
		}
		last := parts[len(parts)-1]
		if len(parts) == 2 && (strings.EqualFold(last, "OSI Approved") || strings.EqualFold(last, "DFSG approved")) {
			continue // a category, not a licence
		}
		e, done := normalized[last]
		if !done && len(normalized) == maxDeclarations {
			return nil, fmt.Errorf("python metadata has more than %d licence classifiers: %w", maxDeclarations, ErrTooLarge)
		}
		if !done {
			e, _ = Normalize(last) // the classifier's own words when it does not map
			normalized[last] = e
		}
		classifiers.add(e)
	}

	var lic string
	if l := fields["license"]; len(l) > 0 {
		first, rest, multi := strings.Cut(l[0], "\n")
		first = strings.TrimSpace(first)
		multi = multi && strings.TrimSpace(rest) != ""
		switch {
		case strings.EqualFold(first, "UNKNOWN") || strings.EqualFold(first, "None"):
		case multi:
			if _, ok := Normalize(first); ok {
				lic = first
			}
		case len(first) <= maxPythonLicenseLen:
			lic = first
		}
	}
	if lic != "" {
		if _, ok := Normalize(lic); ok || len(classifiers.list) == 0 {
			d.add(lic)
			return d.result("python metadata")
		}
	}
	return classifiers.result("python metadata")
}

// readPythonHeader parses the RFC 822-style header of core metadata into lower-cased field
// names and values; continuation lines (starting with a space or tab) are joined with "\n".
// The header ends at the first empty line.
func readPythonHeader(r io.Reader) (map[string][]string, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxFileSize+1))
	fields := make(map[string][]string)
	var name string // field the previous line belonged to
	read := 0
	for {
		line, err := br.ReadString('\n')
		read += len(line)
		if read > MaxFileSize {
			return nil, fmt.Errorf("python metadata header exceeds %d bytes: %w", MaxFileSize, ErrTooLarge)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading python metadata: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break // end of header (or of input)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				v := fields[name]
				v[len(v)-1] += "\n" + line
			}
		} else if k, v, ok := strings.Cut(line, ":"); ok && k != "" && !strings.ContainsAny(k, " \t") {
			name = strings.ToLower(k)
			fields[name] = append(fields[name], strings.TrimSpace(v))
		} else {
			name = "" // not a header line; ignore it and its continuations
		}
		if err != nil {
			break
		}
	}
	return fields, nil
}
