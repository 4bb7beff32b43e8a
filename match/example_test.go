package match_test

import (
	"fmt"

	"github.com/hallmark-dev/hallmark/match"
)

func ExampleCompare() {
	// The same two strings order differently under different schemes:
	// PEP 440 puts a release candidate before the release, and dpkg's "~"
	// sorts before anything, even the end of the string.
	for _, c := range [][3]string{
		{"PyPI", "1.0rc1", "1.0"},
		{"Debian:12", "1.0~rc1", "1.0"},
		{"npm", "1.0.0-rc.1", "1.0.0"},
		{"Maven", "1.0-SNAPSHOT", "1.0"},
		{"Go", "v1.10.0", "v1.9.0"},
	} {
		cmp, err := match.Compare(c[0], c[1], c[2])
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: %s %s %s\n", c[0], c[1], map[int]string{-1: "<", 0: "=", 1: ">"}[cmp], c[2])
	}
	// Output:
	// PyPI: 1.0rc1 < 1.0
	// Debian:12: 1.0~rc1 < 1.0
	// npm: 1.0.0-rc.1 < 1.0.0
	// Maven: 1.0-SNAPSHOT < 1.0
	// Go: v1.10.0 > v1.9.0
}
