package npmlock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The lockfile as encoding/json decodes it. The fields and their types are those osv-scalibr
// decodes, including the ones this package does not use ("requires", the dependency maps,
// "peerDependenciesMeta"): a file with a wrongly typed field must fail here as it failed there.
type lockFile struct {
	Version      int                       `json:"lockfileVersion"`
	Dependencies map[string]lockDependency `json:"dependencies,omitempty"` // version 1
	Packages     map[string]lockPackage    `json:"packages,omitempty"`     // versions 2 and 3
}

type lockDependency struct {
	Version      string                    `json:"version"` // "npm:name@version" for an alias
	Resolved     string                    `json:"resolved"`
	Dev          bool                      `json:"dev,omitempty"`
	Optional     bool                      `json:"optional,omitempty"`
	Requires     map[string]string         `json:"requires,omitempty"`
	Dependencies map[string]lockDependency `json:"dependencies,omitempty"`
}

func (d lockDependency) groups() []string {
	switch {
	case d.Dev && d.Optional:
		return []string{"dev", "optional"}
	case d.Dev:
		return []string{"dev"}
	case d.Optional:
		return []string{"optional"}
	}
	return nil
}

type lockPackage struct {
	Name     string `json:"name,omitempty"` // the real name, for an alias
	Version  string `json:"version"`
	Resolved string `json:"resolved"`
	Link     bool   `json:"link,omitempty"`

	Dev         bool `json:"dev,omitempty"`
	DevOptional bool `json:"devOptional,omitempty"`
	Optional    bool `json:"optional,omitempty"`
	InBundle    bool `json:"inBundle,omitempty"`

	Dependencies         map[string]string `json:"dependencies,omitempty"`
	DevDependencies      map[string]string `json:"devDependencies,omitempty"`
	OptionalDependencies map[string]string `json:"optionalDependencies,omitempty"`
	PeerDependencies     map[string]string `json:"peerDependencies,omitempty"`
	PeerDependenciesMeta map[string]struct {
		Optional bool `json:"optional,omitempty"`
	} `json:"peerDependenciesMeta,omitempty"`
}

// groups: "bundled" first, then "dev" and "optional" ("devOptional" is both: a package that
// is optional for a dev dependency).
func (p lockPackage) groups() []string {
	var g []string
	if p.InBundle {
		g = append(g, "bundled")
	}
	if p.DevOptional {
		return append(g, "dev", "optional")
	}
	if p.Dev {
		g = append(g, "dev")
	}
	if p.Optional {
		g = append(g, "optional")
	}
	return g
}

// ErrMalformed is matched (errors.Is) by the error for a file that is not a lockfile: not
// JSON, JSON but not an object, or a field of the wrong type. The file needs fixing or
// regenerating (npm install --package-lock-only).
var ErrMalformed = errors.New("malformed package-lock.json")

// parseError names the file and what is wrong with it, and matches ErrMalformed without
// saying so in its text.
type parseError struct {
	file, msg string
	err       error
}

func (e *parseError) Error() string   { return e.file + ": " + e.msg }
func (e *parseError) Unwrap() []error { return []error{ErrMalformed, e.err} }

// decode unmarshals the lockfile.
func decode(file string, data []byte) (*lockFile, error) {
	var lock *lockFile
	err := json.Unmarshal(data, &lock)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		msg := syn.Error()
		// The line helps in a file that starts as JSON; one that does not is simply not JSON,
		// and the end of a truncated file is its last line.
		start := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
		if syn.Offset > start+1 && syn.Offset < int64(len(data)) {
			msg += fmt.Sprintf(" (line %d)", lineAt(data, syn.Offset))
		}
		return nil, &parseError{file: file, msg: msg, err: err}
	case errors.As(err, &typ) && typ.Field == "":
		return nil, &parseError{file: file, msg: fmt.Sprintf("the file holds a JSON %s, want an object (is it a package-lock.json?)", typ.Value), err: err}
	case errors.As(err, &typ):
		return nil, &parseError{file: file, msg: fmt.Sprintf("line %d: %q is a JSON %s, want %s", lineAt(data, typ.Offset), typ.Field, typ.Value, jsonKind(typ.Type.Kind().String())), err: err}
	case err != nil:
		return nil, &parseError{file: file, msg: err.Error(), err: err}
	case lock == nil:
		return nil, &parseError{file: file, msg: "the file holds JSON null, want an object (is it a package-lock.json?)"}
	}
	return lock, nil
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// jsonKind names a Go kind as a JSON document would.
func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64":
		return "an integer"
	}
	return k
}
