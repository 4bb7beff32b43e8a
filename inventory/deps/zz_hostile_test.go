package deps

import (
	"os"
	"testing"
	"time"
)

func TestHostileTmp(t *testing.T) {
	for _, c := range [][2]string{{"npm/package-lock", "/tmp/hostile/v2.json"}, {"os/dpkg", "/tmp/hostile/status"}} {
		f, _ := os.Open(c[1])
		start := time.Now()
		g, err := parserNamed(t, c[0]).Parse(c[1], f)
		n := 0
		if g != nil {
			n = len(g.Edges)
		}
		t.Logf("%s: %v edges=%d err=%v", c[1], time.Since(start), n, err)
	}
}
