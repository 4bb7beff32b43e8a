// Command small links four of the fixture's vulnerable modules and no net/http, so that its
// binary stays small enough to check in as a scanning fixture.
package main

import (
	"fmt"

	"github.com/dgrijalva/jwt-go"
	"github.com/tidwall/gjson"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v2"
)

func main() {
	fmt.Println(jwt.SigningMethodHS256.Alg(), gjson.Get(`{"a":1}`, "a").Int(), language.English)
	var v map[string]any
	fmt.Println(yaml.Unmarshal([]byte("a: 1"), &v), v)
}
