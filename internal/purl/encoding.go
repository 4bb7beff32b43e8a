package purl

import (
	"strings"
	"unicode/utf8"
)

// escape writes s percent-encoded as the spec's "Character encoding" section
// requires: ASCII letters and digits, the punctuation ".-_~" and the colon
// ':' are written as is; every other byte of the UTF-8 encoding becomes %XX
// (upper-case hex), including the separators "/@?=&#" when they are data,
// '+' and ' ' (as %20).
func escape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIILetter(c) || isASCIIDigit(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == ':' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
}

// decode percent-decodes one component (or segment) s as RFC 3986 section
// 2.1 defines it, then requires the result to be UTF-8. Unlike
// application/x-www-form-urlencoded, '+' stays '+'.
func decode(input, component, s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		if !utf8.ValidString(s) {
			return "", errorf(input, component, "%s %q is not valid UTF-8", component, s)
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			end := min(i+3, len(s))
			return "", errorf(input, component, "%s has invalid percent-encoding %q", component, s[i:end])
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	if !utf8.Valid(b) {
		return "", errorf(input, component, "%s %q is not valid UTF-8 once percent-decoded", component, s)
	}
	return string(b), nil
}

func isHex(c byte) bool { return isASCIIDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isASCIIDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
