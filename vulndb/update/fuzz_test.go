package update

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// The parsers here read what a remote server sent; none may panic, and what they accept
// must satisfy the invariants the download code relies on.

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 100-199/200", "bytes 0-0/*", "bytes */200", "bytes 9223372036854775807-9223372036854775807/*", "bytes 1-2/3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		start, end, size, err := parseContentRange(h)
		if err != nil {
			return
		}
		if start < 0 || end < start || size < -1 || (size >= 0 && end >= size) {
			t.Errorf("parseContentRange(%q) = %d, %d, %d: inconsistent", h, start, end, size)
		}
	})
}

func FuzzParseGoogHash(f *testing.F) {
	f.Add("crc32c=n03x6A==, md5=Ojk9c3dhfxgoKVVHYwFbHQ==", "")
	f.Add("crc32c=n03x6A==", "md5=Ojk9c3dhfxgoKVVHYwFbHQ==")
	f.Add("md5=", "x=y")
	f.Fuzz(func(t *testing.T, a, b string) {
		g, err := parseGoogHash([]string{a, b})
		if err != nil {
			return
		}
		if (g.md5 != nil && len(g.md5) != 16) || (g.crc32c != nil && len(g.crc32c) != 4) {
			t.Errorf("parseGoogHash(%q, %q): digests of %d and %d bytes", a, b, len(g.md5), len(g.crc32c))
		}
		_ = g.check(make([]byte, 16), 0)
	})
}

func FuzzParseEcosystems(f *testing.F) {
	f.Add([]byte("AlmaLinux\nAlmaLinux:8\nGitHub Actions\nRocky Linux\r\nPyPI\n"))
	f.Add([]byte("../x\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		ecos, err := parseEcosystems(data)
		if err != nil {
			return
		}
		if len(ecos) == 0 {
			t.Error("accepted a list without ecosystems")
		}
		for _, e := range ecos {
			if strings.Contains(e, ":") || checkEcosystem(e) != nil {
				t.Errorf("accepted unusable ecosystem %q", e)
			}
		}
	})
}

func FuzzVerifyKEV(f *testing.F) {
	real, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add([]byte(`{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0,"vulnerabilities":[]}`))
	f.Add([]byte(`{"count":1,"vulnerabilities":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = verifyKEV(bytes.NewReader(data))
	})
}

func FuzzVerifyEPSS(f *testing.F) {
	real, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(gzipBytes(real))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = verifyEPSS(bytes.NewReader(data))
	})
}

func FuzzVerifyZip(f *testing.F) {
	f.Add(zipOf(f, "PyPI", "PYSEC-2018-103", "PYSEC-2024-55"))
	f.Add(bigZip(f, 100))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = verifyZip(context.Background(), bytes.NewReader(data), int64(len(data)))
	})
}
