// Command fixture is a tiny program whose only purpose is to be scanned: its module graph
// (go.mod, go.sum) and the build info embedded in its binary name real modules, one of them
// at an old version with published advisories (golang.org/x/net v0.7.0).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/net/html"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func main() {
	doc, err := html.Parse(strings.NewReader("<p>hallmark <b>fixture</b></p>"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var words []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			words = append(words, strings.TrimSpace(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	title := cases.Title(language.English).String(strings.Join(words, " "))
	fmt.Println(title, uuid.NewSHA1(uuid.NameSpaceURL, []byte(title)))
}
