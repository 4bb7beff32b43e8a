package deps

import (
	"encoding/json"
	"io"
	"strings"
)

// composer.lock.
//
// "packages" and "packages-dev" (Dev) entries are nodes keyed "name@version"; each
// "require" name resolves to the locked package of that name (names are
// case-insensitive); platform requirements (php, ext-*, lib-*, composer-*) name no package
// and drop out that way. Which packages composer.json asked for is not in the lock, so
// DirectKnown stays false.

type composerLock struct {
	Packages    json.RawMessage `json:"packages"`
	PackagesDev json.RawMessage `json:"packages-dev"`
}

type composerPackage struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Require map[string]string `json:"require"`
}

func parseComposer(path string, r io.Reader) (*Graph, error) {
	data, err := readAll(path, r)
	if err != nil {
		return nil, err
	}
	var lock composerLock
	if err := decodeJSON(path, data, &lock); err != nil {
		return nil, err
	}
	b := newBuilder(path)
	var all []composerPackage
	for _, sec := range []struct {
		name string
		raw  json.RawMessage
		dev  bool
	}{{"packages", lock.Packages, false}, {"packages-dev", lock.PackagesDev, true}} {
		var pkgs []composerPackage
		if len(sec.raw) > 0 {
			if err := decodeJSON(path, sec.raw, &pkgs); err != nil {
				return nil, prefixErr(err, `"`+sec.name+`": `)
			}
		}
		for _, p := range pkgs {
			b.add(Node{Key: p.Name + "@" + p.Version, Name: p.Name, Version: p.Version, Dev: sec.dev})
		}
		all = append(all, pkgs...)
	}
	byName := map[string]string{}
	for _, p := range all {
		byName[strings.ToLower(p.Name)] = p.Name + "@" + p.Version
	}
	for _, p := range all {
		for name := range p.Require {
			if to, ok := byName[strings.ToLower(name)]; ok {
				b.edge(p.Name+"@"+p.Version, to)
			}
		}
	}
	return b.build()
}
