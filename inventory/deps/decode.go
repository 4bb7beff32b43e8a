package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off < 0 {
		return 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// decodeJSON unmarshals data into v, turning decoder errors into ErrInvalid errors that
// name the file and line.
func decodeJSON(path string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid(path, lineAt(data, syn.Offset), "not valid JSON: %v", syn)
	case errors.As(err, &typ):
		where := ""
		if typ.Field != "" {
			where = fmt.Sprintf("%q: ", typ.Field)
		}
		return invalid(path, lineAt(data, typ.Offset), "%sgot JSON %s, want %s", where, typ.Value, jsonKind(typ.Type.Kind().String()))
	}
	return invalid(path, 0, "not valid JSON: %v", err)
}

// jsonKind names a Go kind the way the JSON document would.
func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "interface":
		return "a value"
	}
	return "a number"
}

// isJSONObject reports whether raw is absent, null or an object.
func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || raw[0] == '{' || string(raw) == "null"
}

// decodeYAML unmarshals data into v; yaml.v3 errors already carry the line.
func decodeYAML(path string, data []byte, v any) (err error) {
	// yaml.v3 has panicked on hostile input before (CVE-2022-28948); never let it take
	// the scan down.
	defer func() {
		if r := recover(); r != nil {
			err = invalid(path, 0, "not valid YAML: %v", r)
		}
	}()
	if err := yaml.Unmarshal(data, v); err != nil {
		return invalid(path, 0, "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// maxTOMLDepth bounds how deeply arrays and inline tables may nest in a TOML file. Real
// lockfiles nest three or four levels; the decoder recurses once per level.
const maxTOMLDepth = 64

// decodeTOML unmarshals data into v, with the line of the error when the decoder says.
func decodeTOML(path string, data []byte, v any) error {
	if line := tooDeepTOML(data); line > 0 {
		return invalid(path, line, "arrays or tables nested deeper than %d levels", maxTOMLDepth)
	}
	_, err := toml.Decode(string(data), v)
	if err == nil {
		return nil
	}
	var perr toml.ParseError
	if errors.As(err, &perr) {
		return invalid(path, perr.Position.Line, "not valid TOML: %s", perr.Message)
	}
	return invalid(path, 0, "not valid TOML: %v", err)
}

// tooDeepTOML returns the line at which arrays or inline tables nest deeper than
// maxTOMLDepth, or 0. BurntSushi/toml recurses once per level and a few megabytes of "["
// overflow the goroutine stack, which no recover() catches. The scan follows TOML's four
// string forms and comments, so it agrees with the decoder on every prefix the decoder
// accepts; where they disagree the decoder has already stopped on a syntax error.
func tooDeepTOML(data []byte) int {
	depth, line := 0, 1
	run := func(i int, c byte) int { // length of the run of c starting at i
		n := 0
		for i+n < len(data) && data[i+n] == c {
			n++
		}
		return n
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			line++
		case c == '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			multi := run(i, c) >= 3
			if multi {
				i += 3
			} else {
				i++
			}
			for ; i < len(data); i++ {
				d := data[i]
				if d == '\n' {
					line++
					if !multi {
						break // a single-line string cannot span lines
					}
				}
				if d == '\\' && c == '"' {
					if i+1 < len(data) && data[i+1] == '\n' {
						line++
					}
					i++
					continue
				}
				if d == c {
					if !multi {
						break
					}
					if n := run(i, c); n >= 3 {
						i += n - 1 // up to two quotes may stand before the closing three
						break
					}
				}
			}
		case c == '[' || c == '{':
			depth++
			if depth > maxTOMLDepth {
				return line
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0
}
