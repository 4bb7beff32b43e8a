package deps

import (
	"bufio"
	"bytes"
	"io"
	"path"
	"regexp"
	"strings"
)

// requirements.txt (pip's requirements file format).
//
// Every requirement is a direct dependency of the project; the file records no edges.
// Options ("-r other.txt", "-c", "-e", "--index-url", per-requirement "--hash"), comments,
// environment markers and "\" line continuations are understood and skipped; included
// files are not followed (the walk reads them on their own). Version is the "==" or "==="
// pin, else the lower bound of ">=" or "~=" (what osv-scalibr reports), else empty.
// Editable installs, URLs and local paths name no registry package and are left out.

func matchRequirements(p string) bool {
	base := path.Base(cleanPath(p))
	return strings.HasSuffix(base, ".txt") && strings.Contains(base, "requirements")
}

// pep508Name is a valid project name (PEP 508, "Names").
var pep508Name = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

func parseRequirements(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	b := newBuilder(path)
	b.directKnown = true
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	var logical strings.Builder
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		// A "#" at the start or after whitespace starts a comment (pip's rule; URLs keep
		// their fragments).
		if i := commentStart(line); i >= 0 {
			line = line[:i]
		}
		if strings.HasSuffix(line, `\`) {
			logical.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		logical.WriteString(line)
		req := strings.TrimSpace(logical.String())
		logical.Reset()
		if name, version, ok := parseRequirement(req); ok {
			key := name + "@" + version
			b.add(Node{Key: key, Name: name, Version: version})
			b.direct("", key, false)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, invalid(path, 0, "%v", err)
	}
	return b.build()
}

func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// parseRequirement reads one logical line: "name[extras] specifiers ; markers --options".
func parseRequirement(s string) (name, version string, ok bool) {
	if s == "" || s[0] == '-' {
		return "", "", false // an option line: -r, -c, -e, -i, --hash, …
	}
	// Per-requirement options start with " -" or " --".
	if i := strings.Index(s, " -"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i] // environment marker
	}
	if strings.Contains(s, "://") || strings.Contains(s, " @ ") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") {
		return "", "", false // URL, direct reference or local path
	}
	end := strings.IndexAny(s, "[=<>!~ (")
	if end < 0 {
		end = len(s)
	}
	name = strings.TrimSpace(s[:end])
	if !pep508Name.MatchString(name) {
		return "", "", false
	}
	spec := s[end:]
	if i := strings.IndexByte(spec, ']'); i >= 0 {
		spec = spec[i+1:]
	}
	spec = strings.Trim(strings.TrimSpace(spec), "()")
	var lower string
	for _, c := range strings.Split(spec, ",") {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, "==="):
			return name, strings.TrimSpace(c[3:]), true
		case strings.HasPrefix(c, "=="):
			v := strings.TrimSpace(c[2:])
			if strings.Contains(v, "*") {
				v = ""
			}
			return name, v, true
		case strings.HasPrefix(c, ">=") || strings.HasPrefix(c, "~="):
			lower = strings.TrimSpace(c[2:])
		}
	}
	return name, lower, true
}
