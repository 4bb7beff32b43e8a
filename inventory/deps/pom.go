package deps

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// Maven pom.xml.
//
// The declared <dependencies> are the project's direct dependencies, named
// "groupId:artifactId" (osv-scalibr's name for Maven packages); the pom records nothing
// below them, so the only edges are the root's. A missing version is taken from the same
// pom's <dependencyManagement>; ${…} references are filled from <properties> and the
// project's and parent's coordinates; what remains unresolved (a parent pom's property, a
// BOM import) leaves the version empty. A version requirement "[1.2]" or range "[1.0,2.0)"
// is reported by its first version, as osv-scalibr does. Scope "test" is Dev.

type pomProject struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Parent     struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
	Managed      []pomDependency `xml:"dependencyManagement>dependencies>dependency"`
}

type pomDependency struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Scope      string `xml:"scope"`
}

func parsePOM(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var p pomProject
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Entity = xml.HTMLEntity // poms written by hand use &nbsp; and friends
	if err := dec.Decode(&p); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return nil, invalid(path, syn.Line, "not valid XML: %s", syn.Msg)
		}
		return nil, invalid(path, 0, "not valid XML: %v", err)
	}
	props := map[string]string{
		"project.groupId":        p.GroupID,
		"project.artifactId":     p.ArtifactID,
		"project.version":        p.Version,
		"project.parent.groupId": p.Parent.GroupID,
		"project.parent.version": p.Parent.Version,
	}
	if p.GroupID == "" {
		props["project.groupId"] = p.Parent.GroupID
	}
	if p.Version == "" {
		props["project.version"] = p.Parent.Version
	}
	for _, e := range p.Properties.Entries {
		props[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	managed := map[string]string{}
	for _, d := range p.Managed {
		managed[pomInterpolate(d.GroupID, props)+":"+pomInterpolate(d.ArtifactID, props)] = d.Version
	}
	b := newBuilder(path)
	b.directKnown = true
	for _, d := range p.Dependencies {
		name := pomInterpolate(d.GroupID, props) + ":" + pomInterpolate(d.ArtifactID, props)
		v := d.Version
		if strings.TrimSpace(v) == "" {
			v = managed[name]
		}
		v = pomVersion(pomInterpolate(v, props))
		key := name + "@" + v
		n := b.add(Node{Key: key, Name: name, Version: v, Dev: true})
		dev := strings.TrimSpace(d.Scope) == "test"
		n.Dev = n.Dev && dev
		b.direct("", key, dev)
	}
	return b.build()
}

// pomInterpolate replaces ${name} references from props, a few rounds deep; a reference
// it cannot fill, or whose value would make the result longer than 1 KiB (a hostile
// pom's doubling properties), is left in place.
func pomInterpolate(s string, props map[string]string) string {
	s = strings.TrimSpace(s)
	for round := 0; round < 8 && strings.Contains(s, "${"); round++ {
		var out strings.Builder
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				break
			}
			out.WriteString(rest[:i])
			name := rest[i+2 : i+j]
			if v, ok := props[name]; ok && out.Len()+len(v) < 1024 {
				out.WriteString(v)
			} else {
				out.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
		}
		out.WriteString(rest)
		if out.String() == s {
			break
		}
		s = out.String()
	}
	return s
}

// pomVersion reduces a version requirement to the version osv-scalibr reports: the first
// version of a range, nothing when a reference is left unresolved.
func pomVersion(v string) string {
	if strings.Contains(v, "${") {
		return ""
	}
	v = strings.TrimLeft(v, "[(")
	if i := strings.IndexAny(v, ",)]"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
