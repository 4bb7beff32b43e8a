package license

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// FromPOM returns the licences declared in a Maven pom.xml: the <name> of each
// <project><licenses><license>, or its <url> when it has no name. Inside a jar the pom is at
// META-INF/maven/<groupId>/<artifactId>/pom.xml; in a local repository it is
// <groupId path>/<artifactId>/<version>/<artifactId>-<version>.pom.
//
// Licences inherited from a parent pom are not resolved, nor are property references such as
// "${license.name}" (they are returned as written). Files over MaxFileSize fail with
// ErrTooLarge.
func FromPOM(r io.Reader) ([]string, error) {
	data, err := readCapped(r, MaxFileSize, "pom.xml")
	if err != nil {
		return nil, err
	}
	var pom struct {
		XMLName  xml.Name
		Licenses []struct {
			Name string `xml:"name"`
			URL  string `xml:"url"`
		} `xml:"licenses>license"`
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	dec.Entity = xml.HTMLEntity // &nbsp; and friends turn up in hand-written poms
	if err := dec.Decode(&pom); err != nil {
		return nil, fmt.Errorf("pom.xml: %w", err)
	}
	if pom.XMLName.Local != "project" {
		return nil, fmt.Errorf("pom.xml: root element is <%s>, not <project>", pom.XMLName.Local)
	}
	var d declarations
	for _, l := range pom.Licenses {
		name := strings.Join(strings.Fields(l.Name), " ")
		if name == "" {
			name = strings.TrimSpace(l.URL)
		}
		d.add(name)
	}
	return d.result("pom.xml")
}

// charsetReader accepts the encodings poms declare besides UTF-8: ISO-8859-1 (Maven's old
// default) and US-ASCII.
func charsetReader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c) // ISO-8859-1 is the first 256 code points
		}
		return strings.NewReader(string(runes)), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", charset)
}
