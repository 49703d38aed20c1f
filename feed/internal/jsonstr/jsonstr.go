// Package jsonstr is the feed layer's one JSON string escaper: the Kraken encoders, the test
// server's hand-written frames and the tape's text lines all write strings through it, so a
// string is escaped the same way wherever a frame or a line is produced.
//
// The escapes are encoding/json's short ones for '"', '\\', '\n', '\r' and '\t', \u00XX for
// the other control characters, and U+FFFD (written \ufffd) for each byte of invalid UTF-8.
// Unlike encoding/json it leaves '<', '>' and '&' alone: Kraken's frames do, and nothing here
// is embedded in HTML.
package jsonstr

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// Append appends s as a quoted JSON string.
func Append[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = AppendInner(dst, s)
	return append(dst, '"')
}

// AppendInner appends s escaped as the inside of a JSON string (no quotes). Runs of bytes that
// need no escape are copied at once, so plain ASCII costs one append.
func AppendInner[S ~string | ~[]byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Copied to an array so that one decoder serves strings and byte slices without
			// converting (and allocating).
			var buf [utf8.UTFMax]byte
			n := copy(buf[:], s[i:min(i+utf8.UTFMax, len(s))])
			r, size := utf8.DecodeRune(buf[:n])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	return append(dst, s[start:]...)
}
