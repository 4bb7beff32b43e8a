package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	for _, n := range []string{"strict.yaml", "typo.yaml", "wrong-type.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "config", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"disabled": ["vuln-kev"], "on_error": "allow", "evidence": {"max_age_hours": 2}}`))
	f.Add([]byte("a: &x [1, *x]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
			return
		}
		// What parses is JSON data a Rego store accepts, with the engine's settings read.
		if _, err := jsonRoundTrip(c.Data); err != nil {
			t.Fatalf("configuration data is not JSON: %v", err)
		}
		if c.OnError != OnErrorDeny && c.OnError != OnErrorAllowUnsafe {
			t.Fatalf("on_error %q", c.OnError)
		}
	})
}

// TestValidConfigCompiles: every configuration file of testdata compiles with the library.
func TestValidConfigCompiles(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "config", "strict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Options{Builtin: true, Config: c}); err != nil {
		t.Fatal(err)
	}
	if len(c.Disabled) != 1 || c.Disabled[0] != "image-digest" || c.OnError != OnErrorDeny {
		t.Errorf("%+v", c)
	}
}
