// Command accept prints the languages of an Accept-Language header. It calls
// language.ParseAcceptLanguage, the vulnerable symbol of GO-2022-1059 in
// golang.org/x/text v0.3.7, so its reachability is "called".
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tags, _, err := language.ParseAcceptLanguage(os.Getenv("ACCEPT_LANGUAGE"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range tags {
		fmt.Println(t)
	}
}
