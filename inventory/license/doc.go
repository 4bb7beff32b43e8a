// Package license reads the licences a package declares in the files installed alongside it,
// and turns those declarations into SPDX licence expressions. It is part of inventory, the
// "what is inside?" room: osv-scalibr's extractors fill licences only for apk, rpm and gem
// packages, so inventory calls these readers for npm, Python, Debian and Maven packages, and
// the sbom room writes the results as declared licences.
//
// The readers (FromPackageJSON, FromPythonMetadata, FromDebianCopyright, FromPOM) are pure: each
// takes the content of one file and returns what it declares, one string per declaration. Which
// file belongs to which package is the caller's business. Normalize turns one declaration into a
// valid SPDX expression when it can ("Apache 2.0" → "Apache-2.0") and reports whether it did;
// what it cannot map is kept as written, never guessed ("BSD" stays "BSD").
//
// Hostile files are expected. Reads are bounded (MaxFileSize, MaxCopyrightSize), and so is the
// work one file can cause: a larger file, or one declaring more than 256 distinct licences,
// yields ErrTooLarge. Readers never panic; their errors name the file kind and the fault.
// Validation and the licence and exception identifiers come from github.com/github/go-spdx; the
// licence names and URLs come from a generated table (spdxnames_gen.go, PROVENANCE.md).
package license

//go:generate go run ./internal/gen -list=${SPDX_LICENSE_LIST} -out=spdxnames_gen.go
