package docid

import (
	"regexp"
	"testing"
)

func TestUUID(t *testing.T) {
	v5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := UUID([]byte("a")), UUID([]byte("b"))
	if !v5.MatchString(a) || !v5.MatchString(b) {
		t.Errorf("UUIDs %s, %s are not RFC 9562 version 5", a, b)
	}
	if a == b || UUID([]byte("a")) != a {
		t.Errorf("UUID is not a function of the content: %s %s", a, b)
	}
}
