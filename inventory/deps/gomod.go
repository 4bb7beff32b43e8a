package deps

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/modfile"
)

// go.mod.
//
// Every require line is a node; one without "// indirect" is direct, and since Go 1.17
// go.mod lists every module the build needs, so the rest are transitive. The go.mod records
// no edges between modules (that graph is in the module cache, not here), so the only edges
// are the root's. Replace directives are applied the way osv-scalibr applies them, so the
// nodes carry the module that is built; versions drop the leading "v", as osv-scalibr's do.
// The toolchain (or go) line adds the Go standard library as a direct "stdlib" node, again
// as osv-scalibr reports it.

func parseGoMod(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, goModError(path, err)
	}
	b := newBuilder(path)
	b.directKnown = true
	type mod struct{ path, version string }
	for _, req := range f.Require {
		m := mod{req.Mod.Path, req.Mod.Version}
		// A replace of the exact version wins over one of every version, as in cmd/go.
		var exact, every *modfile.Replace
		for _, rep := range f.Replace {
			switch {
			case rep.Old.Path != m.path:
			case rep.Old.Version == m.version:
				exact = rep
			case rep.Old.Version == "":
				every = rep
			}
		}
		if exact == nil {
			exact = every
		}
		if exact != nil {
			m = mod{exact.New.Path, exact.New.Version}
		}
		v := strings.TrimPrefix(m.version, "v")
		key := m.path + "@" + v
		b.add(Node{Key: key, Name: m.path, Version: v})
		if !req.Indirect {
			b.direct("", key, false)
		}
	}
	goVersion := ""
	if f.Go != nil {
		goVersion = f.Go.Version
	}
	if f.Toolchain != nil && f.Toolchain.Name != "" {
		goVersion, _, _ = strings.Cut(strings.TrimPrefix(f.Toolchain.Name, "go"), "-")
	}
	if goVersion != "" {
		b.add(Node{Key: "stdlib@" + goVersion, Name: "stdlib", Version: goVersion})
		b.direct("", "stdlib@"+goVersion, false)
	}
	return b.build()
}

// goModError renders modfile's errors, which already carry "path:line:".
func goModError(path string, err error) error {
	var list modfile.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return invalid(path, e.Pos.Line, "%v", e.Err)
	}
	return invalid(path, 0, "%v", fmt.Sprint(err))
}
