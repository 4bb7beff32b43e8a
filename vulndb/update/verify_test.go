package update

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"hash/crc32"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestVerifyEPSS(t *testing.T) {
	real, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "plain", data: real},
		{name: "gzip", data: gzipBytes(real)},
		{name: "crlf-no-comment", data: []byte("cve,epss,percentile\r\nCVE-2020-1,0.1,0.2\r\n")},
		{name: "truncated-gzip", data: gzipBytes(real)[:60], wantErr: "unexpected EOF"},
		{name: "bad-gzip-crc", data: func() []byte { b := gzipBytes(real); b[len(b)-6] ^= 1; return b }(), wantErr: "checksum"},
		{name: "wrong-header", data: []byte("#x\nid,score\n"), wantErr: `line 2: want header "cve,epss,percentile"`},
		{name: "empty", data: nil, wantErr: "no \"cve,epss,percentile\" header"},
		{name: "html", data: []byte("<html>"), wantErr: "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyEPSS(bytes.NewReader(tc.data))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("error %v, want one containing %q", err, want)
	}
}

func TestVerifyKEV(t *testing.T) {
	real, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{name: "real", data: string(real)},
		{name: "empty-catalog", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z","count":0,"vulnerabilities":[]}`},
		{name: "not-json", data: `<html>`, wantErr: "not valid JSON"},
		{name: "missing-version", data: `{"dateReleased":"2025-08-25T17:04:19Z","count":0,"vulnerabilities":[]}`, wantErr: "catalogVersion is missing"},
		{name: "missing-vulns", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0}`, wantErr: "vulnerabilities is missing"},
		{name: "bad-date", data: `{"catalogVersion":"1","dateReleased":"yesterday","count":0,"vulnerabilities":[]}`, wantErr: "dateReleased"},
		{name: "count-mismatch", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":1,"vulnerabilities":[]}`, wantErr: "count is 1 but vulnerabilities has 0"},
		{name: "bad-cve", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":1,"vulnerabilities":[{"cveID":"CVE-25-1","dateAdded":"2025-01-01"}]}`, wantErr: `vulnerabilities[0].cveID is "CVE-25-1"`},
		{name: "bad-date-added", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":1,"vulnerabilities":[{"cveID":"CVE-2025-1234","dateAdded":"2025-02-30"}]}`, wantErr: "dateAdded"},
		{name: "trailing", data: `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0,"vulnerabilities":[]} {}`, wantErr: "data after"},
		{name: "truncated", data: string(real[:len(real)/2]), wantErr: "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, verifyKEV(strings.NewReader(tc.data)), tc.wantErr)
		})
	}
}

func TestVerifyZip(t *testing.T) {
	good := zipOf(t, "Go", "GO-2020-0001", "GO-2020-0003")
	var stored bytes.Buffer
	zw := zip.NewWriter(&stored)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "A.json", Method: zip.Store})
	w.Write([]byte(`{"id":"A"}`))
	zw.Close()
	flipped := bytes.Clone(stored.Bytes())
	flipped[30+len("A.json")+2] ^= 0xff // inside the stored data
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "real-records", data: good},
		{name: "stored", data: stored.Bytes()},
		{name: "bad-crc", data: flipped, wantErr: `zip entry "A.json": zip: checksum error`},
		{name: "truncated", data: good[:len(good)-30], wantErr: "not a zip archive"},
		{name: "empty", data: nil, wantErr: "not a zip archive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, verifyZip(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data))), tc.wantErr)
		})
	}
}

func TestParseEcosystems(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "real-shape", in: "AlmaLinux\nAlmaLinux:8\nAlpine\nAlpine:v3.20\nGitHub Actions\nRocky Linux\nPyPI\ncrates.io\n",
			want: []string{"AlmaLinux", "Alpine", "GitHub Actions", "Rocky Linux", "PyPI", "crates.io"}},
		{name: "crlf-blank-dup", in: "npm\r\n\r\nnpm\r\nGo", want: []string{"npm", "Go"}},
		{name: "only-releases", in: "Debian:11\nDebian:12\n", wantErr: "names no ecosystem"},
		{name: "slash", in: "PyPI\n../x\n", wantErr: `line 2 "../x"`},
		{name: "control", in: "Py\x00PI\n", wantErr: "control character"},
		{name: "padded", in: " npm\n", wantErr: "leading or trailing space"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEcosystems([]byte(tc.in))
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ecosystems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoogHash(t *testing.T) {
	data := []byte("hello, world\n")
	m := md5.Sum(data)
	crc := crc32.Checksum(data, crc32c)
	good := googHashOf(data)
	tests := []struct {
		name     string
		values   []string
		wantErr  string // from parsing
		checkErr string // from checking data against it
	}{
		{name: "both-one-line", values: []string{good}},
		{name: "two-lines", values: strings.Split(good, ",")},
		{name: "crc-only", values: []string{strings.Split(good, ",")[0]}},
		{name: "unknown-alg-ignored", values: []string{"sha1=abc," + good}},
		{name: "none", values: nil},
		{name: "wrong-md5", values: []string{"md5=" + base64.StdEncoding.EncodeToString(make([]byte, 16))}, checkErr: "MD5 of the received bytes"},
		{name: "wrong-crc", values: []string{"crc32c=AAAAAA=="}, checkErr: "CRC32C of the received bytes"},
		{name: "short-md5", values: []string{"md5=AAAA"}, wantErr: "not 16 base64-encoded bytes"},
		{name: "no-equals", values: []string{"md5"}, wantErr: "has no '='"},
		{name: "conflict", values: []string{good, "crc32c=AAAAAA=="}, wantErr: "two different crc32c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := parseGoogHash(tc.values)
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			checkErr(t, g.check(m[:], crc), tc.checkErr)
		})
	}
}

func TestParseContentRange(t *testing.T) {
	type result struct{ Start, End, Size int64 }
	tests := []struct {
		in      string
		want    result
		wantErr string
	}{
		{in: "bytes 100-199/200", want: result{100, 199, 200}},
		{in: "bytes 0-0/*", want: result{0, 0, -1}},
		{in: "bytes */200", wantErr: "has no range"},
		{in: "bytes 5-4/10", wantErr: "not a satisfiable range"},
		{in: "bytes 5-10/10", wantErr: "not a satisfiable range"},
		{in: "items 0-1/2", wantErr: "not a byte range"},
		{in: "bytes -1-3/4", wantErr: "not a non-negative integer"},
		{in: "bytes 0-3", wantErr: "no complete length"},
	}
	for _, tc := range tests {
		t.Run(strings.NewReplacer(" ", "_", "/", "_", "*", "star").Replace(tc.in), func(t *testing.T) {
			s, e, n, err := parseContentRange(tc.in)
			checkErr(t, err, tc.wantErr)
			if err == nil {
				if diff := cmp.Diff(tc.want, result{s, e, n}); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}
