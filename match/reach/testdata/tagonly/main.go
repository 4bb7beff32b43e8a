// Command tagonly prints the canonical form of a language tag. It imports
// golang.org/x/text/language (v0.3.7) but uses neither MatchStrings nor
// ParseAcceptLanguage, the vulnerable symbols of GO-2022-1059, so its
// reachability is "imported". It never imports golang.org/x/text/unicode/norm,
// so GO-2026-5970 is "not-imported".
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

// shout is small enough for the compiler to inline into main; the linker then
// drops its body, so only the pclntab's inline tree still names it.
func shout(s string) string { return s + "!" }

func main() {
	fmt.Println(shout(language.Make(os.Getenv("LANG_TAG")).String()))
}
