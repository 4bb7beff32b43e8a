package npmlock

import (
	"bytes"
	"encoding/json"
)

// The line of an entry is the line on which its value (the '{' after "node_modules/x":)
// starts, which npm writes on the key's line. Where an object holds the same key twice, the
// first occurrence in the file counts; encoding/json keeps the last one's contents, so such a
// file's line and contents may come from different copies, as they did with osv-scalibr.
//
// The index is built in one forward pass over bytes that encoding/json has already accepted as
// valid JSON. It only looks up keys spelled exactly "packages" and "dependencies": encoding/json
// also accepts "Packages" and other spellings for the fields, and the entries under those get
// line 0, as they did with osv-scalibr's path lookup.

// scanner walks valid JSON, counting lines as it goes forward.
type scanner struct {
	data []byte
	pos  int
	// line is the 1-based line of offset lineAt; both only move forward.
	line, lineAt int
}

func newScanner(data []byte) *scanner { return &scanner{data: data, line: 1} }

// lineOf returns the line of offset off, which must not be before the last offset asked for.
func (s *scanner) lineOf(off int) int {
	if off > s.lineAt {
		s.line += bytes.Count(s.data[s.lineAt:off], []byte{'\n'})
		s.lineAt = off
	}
	return s.line
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// skipString moves past the string that starts at pos (on its opening quote), returning its
// contents without the quotes and whether they hold an escape.
func (s *scanner) skipString() (raw []byte, escaped bool) {
	start := s.pos + 1
	i := start
	for {
		j := bytes.IndexByte(s.data[i:], '"')
		if j < 0 {
			s.pos = len(s.data)
			return s.data[start:], escaped
		}
		q := i + j
		// The quote ends the string unless an odd number of backslashes precede it.
		n := 0
		for k := q - 1; k >= start && s.data[k] == '\\'; k-- {
			n++
		}
		if !escaped && bytes.IndexByte(s.data[start:q], '\\') >= 0 {
			escaped = true
		}
		if n%2 == 0 {
			s.pos = q + 1
			return s.data[start:q], escaped
		}
		i = q + 1
	}
}

// skipValue moves past the value that starts at pos.
func (s *scanner) skipValue() {
	if s.pos >= len(s.data) {
		return
	}
	switch s.data[s.pos] {
	case '"':
		s.skipString()
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return
				}
			}
			s.pos++
		}
	default:
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return
			}
			s.pos++
		}
	}
}

// members calls each for every member of the object at pos, with pos on the member's value;
// each may consume the value, or leave pos where it was to have it skipped. It returns false
// when the value at pos is not an object (which it then skips).
func (s *scanner) members(each func(key string)) bool {
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		s.skipValue()
		return false
	}
	s.pos++
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] == '}' {
			s.pos++
			return true
		}
		if s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		if s.data[s.pos] != '"' {
			// Not valid JSON, which encoding/json has already refused: stop rather than loop.
			s.pos = len(s.data)
			return true
		}
		raw, escaped := s.skipString()
		key := string(raw)
		if escaped {
			// Keys with escapes are rare; encoding/json decodes them as it decoded the map keys.
			var k string
			if json.Unmarshal(s.data[s.pos-len(raw)-2:s.pos], &k) == nil {
				key = k
			}
		}
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == ':' {
			s.pos++
		}
		s.skipSpace()
		at := s.pos
		each(key)
		if s.pos == at {
			s.skipValue()
		}
	}
}

// topLevel calls each for every member of the top-level object whose key is name.
func (s *scanner) topLevel(name string, each func()) {
	s.members(func(key string) {
		if key == name {
			each()
		}
	})
}

// position is where an entry's value starts: its line, and its byte offset, which orders
// entries that share a line.
type position struct{ line, off int }

func (s *scanner) position() position { return position{line: s.lineOf(s.pos), off: s.pos} }

// packageLines indexes a version 2 or 3 lockfile: install path → position.
func packageLines(data []byte) map[string]position {
	out := map[string]position{}
	s := newScanner(data)
	s.topLevel("packages", func() {
		s.members(func(key string) {
			if _, seen := out[key]; !seen {
				out[key] = s.position()
			}
		})
	})
	return out
}

// depNode is one entry of a version 1 lockfile's "dependencies" tree.
type depNode struct {
	at   position
	deps map[string]*depNode
}

// dependencyLines indexes a version 1 lockfile: the tree of "dependencies" objects, each
// entry with its position.
func dependencyLines(data []byte) map[string]*depNode {
	root := map[string]*depNode{}
	s := newScanner(data)
	var walk func(into map[string]*depNode)
	walk = func(into map[string]*depNode) {
		s.members(func(name string) {
			n := into[name]
			if n == nil {
				n = &depNode{at: s.position()}
				into[name] = n
			}
			// A repeated entry still adds the nested entries the first one lacked.
			s.members(func(key string) {
				if key == "dependencies" {
					if n.deps == nil {
						n.deps = map[string]*depNode{}
					}
					walk(n.deps)
				}
			})
		})
	}
	s.topLevel("dependencies", func() { walk(root) })
	return root
}
