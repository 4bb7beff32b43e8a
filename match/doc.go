// Package match is the room that matches an inventory against advisories:
// it takes the packages found by inventory and the OSV records held by vulndb
// and decides which advisories affect which packages, with no I/O once the
// advisory data is loaded.
//
// This file set provides the first brick of that job: version ordering per
// OSV ecosystem. Advisory ranges are written in each ecosystem's native
// version scheme, so "is 1.2.3 before the fix?" has a different answer under
// npm (SemVer), PyPI (PEP 440), Debian (dpkg) or Maven. Compare delegates the
// per-ecosystem rules to osv-scalibr's semantic package, which is what
// OSV.dev's own matchers use, rather than growing a second implementation.
package match
