// Package version reports which hallmark this is. The release build sets Version with
// -ldflags "-X github.com/hallmark-dev/hallmark/internal/version.Version=v1.2.3"; otherwise the
// module version from the Go build info is used, and "devel" as a last resort.
package version

import "runtime/debug"

// Version is the hallmark release version.
var Version = ""

// Name is the tool name recorded in SBOMs and attestations.
const Name = "hallmark"

// Vendor is the supplier recorded for the tool in SBOMs.
const Vendor = "hallmark project"

// String returns the version of this binary.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
