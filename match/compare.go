package match

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrUnknownEcosystem is returned by Compare when the ecosystem has no known
// version ordering. Callers cannot decide whether a version is inside an
// advisory's range; they should report the advisory as "not evaluated" for
// that package rather than as "not affected" (matching fails closed).
var ErrUnknownEcosystem = errors.New("match: unknown ecosystem")

// ErrInvalidVersion is returned by Compare when a version string cannot be
// parsed under its ecosystem's rules. As with ErrUnknownEcosystem, the caller
// should surface the comparison as undecided, not as a non-match.
var ErrInvalidVersion = errors.New("match: invalid version")

// errParserPanic marks an error recovered from a panic in the semantic
// parser, so tests (FuzzCompare) can tell a parser bug from a rejected input.
var errParserPanic = errors.New("panic in version parser")

// Compare orders two versions of the same OSV ecosystem and returns -1 if
// a < b, 0 if they are equivalent and +1 if a > b.
//
// ecosystem is an OSV ecosystem name as it appears in an advisory's
// affected[].package.ecosystem (https://ossf.github.io/osv-schema/#affectedpackage-field),
// e.g. "npm", "PyPI", "Maven", "Debian:12" or "Alpine:v3.20". Per the OSV
// schema a release suffix after ':' does not change the version scheme, so
// only the part before the first ':' is used.
//
// The error wraps ErrUnknownEcosystem when the ecosystem has no supported
// ordering, and ErrInvalidVersion (naming the offending version) when a
// version does not parse.
func Compare(ecosystem, a, b string) (cmp int, err error) {
	// semantic is third-party parsing of untrusted input (versions come from
	// SBOMs, lock files and advisories). A panic there must not take down a
	// scan; turn it into an error for this one comparison instead.
	defer func() {
		if r := recover(); r != nil {
			cmp = 0
			err = fmt.Errorf("%w: comparing %q and %q in %s: %w: %v", ErrInvalidVersion, a, b, ecosystem, errParserPanic, r)
		}
	}()

	name, _, _ := strings.Cut(ecosystem, ":")
	va, err := parse(name, a)
	if err != nil {
		return 0, err
	}
	vb, err := parse(name, b)
	if err != nil {
		return 0, err
	}
	cmp, err = va.Compare(vb)
	if err != nil {
		// Both values come from the same parser, so this cannot happen
		// unless semantic changes its contract; still report it.
		return 0, fmt.Errorf("match: comparing %q and %q in %s: %w", a, b, name, err)
	}
	return cmp, nil
}

// parse parses v under the version rules of the (suffix-free) OSV ecosystem
// name.
func parse(ecosystem, v string) (semantic.Version, error) {
	pv, err := semantic.Parse(v, ecosystem)
	switch {
	case errors.Is(err, semantic.ErrUnsupportedEcosystem):
		return nil, fmt.Errorf("%w %q", ErrUnknownEcosystem, ecosystem)
	case err != nil:
		return nil, fmt.Errorf("%w %q for %s: %w", ErrInvalidVersion, v, ecosystem, err)
	}
	return pv, nil
}
