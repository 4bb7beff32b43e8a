package inventory_test

import (
	"testing"

	"github.com/hallmark-dev/hallmark/inventory"
)

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
	f.Add([]byte("# comment\nID='alpine'\nVERSION_ID=3.20.3\nNAME=\"a \\\"quoted\\\" name\\\\\"\n"))
	f.Add([]byte("=\n\"\nID=\"\nKEY WITH SPACE=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kv := inventory.ParseOSRelease(data)
		for k := range kv {
			if k == "" {
				t.Fatalf("empty key from %q", data)
			}
		}
	})
}

func TestParseOSRelease(t *testing.T) {
	got := inventory.ParseOSRelease([]byte("# c\nID=debian\nVERSION_ID=\"12\"\nNAME='Debian'\nESC=\"a\\\"b\"\nbad line\n"))
	want := map[string]string{"ID": "debian", "VERSION_ID": "12", "NAME": "Debian", "ESC": `a"b`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
}
