// Command fixture imports packages from module versions with published Go advisories, so
// that scanners of its go.mod, go.sum and binary have real vulnerabilities to report.
package main

import (
	"fmt"

	"github.com/dgrijalva/jwt-go"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"github.com/tidwall/gjson"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v2"
)

func main() {
	fmt.Println(jwt.SigningMethodHS256.Alg(), gin.Version, chi.NewRouter() != nil, websocket.TextMessage)
	fmt.Println(gjson.Get(`{"a":1}`, "a").Int(), ssh.KeyAlgoED25519, html.UnescapeString("&amp;"))
	fmt.Println(language.English, protojson.MarshalOptions{}.Multiline)
	var v map[string]any
	fmt.Println(yaml.Unmarshal([]byte("a: 1"), &v), v)
}
