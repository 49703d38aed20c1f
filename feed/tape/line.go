package tape

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Frame is one WebSocket message as it was received: the receive time, the API and
// connection it came from, and its bytes exactly as they arrived. It is kraken.Frame, the
// unit the one normaliser (kraken.Normalizer) reads, so a recording replays through it
// without conversion.
type Frame = kraken.Frame

// Payload members of a line. Exactly one is present and it is always the last member.
const (
	payloadRaw  = iota // "raw": the frame embedded verbatim (valid JSON, one line)
	payloadText        // "text": the frame as a JSON string (valid UTF-8 that is not embeddable JSON)
	payloadB64         // "b64": the frame base64-encoded (anything else)
)

// Canonical envelope pieces, in order.
const (
	keyRecv = `{"recv":`
	keyAPI  = `,"api":"`
	keyConn = `","conn":`
	keyRaw  = `,"raw":`
	keyText = `,"text":"`
	keyB64  = `,"b64":"`
)

// minRecv and maxRecv bound the receive times a line can carry: UnixNano is defined only
// for years 1678 to 2262.
var (
	minRecv = time.Unix(0, math.MinInt64+1)
	maxRecv = time.Unix(0, math.MaxInt64)
)

// AppendLine appends f as one line of the tape format, including the trailing newline, and
// returns the extended buffer. The payload is "raw" when f.Raw is embeddable JSON (see the
// package documentation), "text" when it is other valid UTF-8 and "b64" otherwise, so every
// frame reads back byte for byte. It fails only for a receive time outside 1678–2262 (zero
// included) or an unknown API.
func AppendLine(dst []byte, f Frame) ([]byte, error) {
	if f.Recv.Before(minRecv) || f.Recv.After(maxRecv) {
		return dst, fmt.Errorf("tape: frame receive time %v is outside the years 1678-2262", f.Recv)
	}
	var api string
	switch f.API {
	case feed.APIV1:
		api = "v1"
	case feed.APIV2:
		api = "v2"
	case feed.APINone:
	default:
		return dst, fmt.Errorf("tape: frame has unknown API %d", f.API)
	}
	dst = append(dst, keyRecv...)
	dst = strconv.AppendInt(dst, f.Recv.UnixNano(), 10)
	dst = append(dst, keyAPI...)
	dst = append(dst, api...)
	dst = append(dst, keyConn...)
	dst = strconv.AppendUint(dst, uint64(f.Conn), 10)
	switch payloadKind(f.Raw) {
	case payloadRaw:
		dst = append(dst, keyRaw...)
		dst = append(dst, f.Raw...)
		dst = append(dst, '}', '\n')
	case payloadText:
		dst = append(dst, keyText...)
		dst = jsonstr.AppendInner(dst, f.Raw)
		dst = append(dst, '"', '}', '\n')
	default:
		dst = append(dst, keyB64...)
		dst = base64.StdEncoding.AppendEncode(dst, f.Raw)
		dst = append(dst, '"', '}', '\n')
	}
	return dst, nil
}

// payloadKind chooses how a frame is stored.
func payloadKind(raw []byte) int {
	if embeddable(raw) {
		return payloadRaw
	}
	if utf8.Valid(raw) {
		return payloadText
	}
	return payloadB64
}

// ParseLine parses one line of the tape format (without its trailing newline; a trailing
// "\r" is tolerated). Canonical lines, as AppendLine writes them, are scanned by hand without
// allocating; Raw then aliases line. Other spellings of the same JSON object (spaces, another
// member order) fall back to encoding/json. For "text" and "b64" payloads the frame is decoded
// in place, overwriting line.
//
// ParseLine checks the envelope fully but a "raw" payload only for plausible first and last
// bytes: validating the frame itself is the decoder's job.
func ParseLine(line []byte) (Frame, error) {
	if f, ok := parseCanonical(line); ok {
		return f, nil
	}
	return parseGeneral(line)
}

// parseCanonical scans the canonical envelope. It reports false for anything else, leaving
// the diagnosis to parseGeneral; line is modified only when it reports true.
func parseCanonical(line []byte) (Frame, bool) {
	var f Frame
	if len(line) < len(keyRecv) || string(line[:len(keyRecv)]) != keyRecv {
		return f, false
	}
	i := len(keyRecv)
	neg := false
	if i < len(line) && line[i] == '-' {
		neg = true
		i++
	}
	start := i
	var u uint64
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		if i-start == 19 { // 19 digits always fit in a uint64; more may not fit an int64
			return f, false
		}
		u = u*10 + uint64(line[i]-'0')
		i++
	}
	if i == start || u > math.MaxInt64 {
		return f, false
	}
	ns := int64(u)
	if neg {
		ns = -ns
	}
	if !hasAt(line, i, keyAPI) {
		return f, false
	}
	i += len(keyAPI)
	switch {
	case hasAt(line, i, `v2"`):
		f.API = feed.APIV2
		i += 2
	case hasAt(line, i, `v1"`):
		f.API = feed.APIV1
		i += 2
	case hasAt(line, i, `"`):
		f.API = feed.APINone
	default:
		return f, false
	}
	if !hasAt(line, i, keyConn) {
		return f, false
	}
	i += len(keyConn)
	start = i
	var conn uint64
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		if i-start == 10 {
			return f, false
		}
		conn = conn*10 + uint64(line[i]-'0')
		i++
	}
	if i == start || conn > math.MaxUint32 {
		return f, false
	}
	f.Conn = uint32(conn)
	f.Recv = time.Unix(0, ns).UTC()
	switch {
	case hasAt(line, i, keyRaw):
		i += len(keyRaw)
		end := len(line) - 1
		if end <= i || line[end] != '}' || !plausibleValue(line[i], line[end-1]) {
			return f, false
		}
		f.Raw = line[i:end:end]
		return f, true
	case hasAt(line, i, keyText):
		i += len(keyText)
		end := len(line) - 2
		if end < i || line[end] != '"' || line[end+1] != '}' {
			return f, false
		}
		n, ok := unescapeInPlace(line[i:end])
		if !ok {
			return f, false
		}
		f.Raw = line[i : i+n : i+n]
		return f, true
	case hasAt(line, i, keyB64):
		i += len(keyB64)
		end := len(line) - 2
		if end < i || line[end] != '"' || line[end+1] != '}' {
			return f, false
		}
		n, ok := decodeBase64InPlace(line[i:end])
		if !ok {
			return f, false
		}
		f.Raw = line[i : i+n : i+n]
		return f, true
	}
	return f, false
}

func hasAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// plausibleValue is the cheap check of a "raw" payload: a JSON value's first byte and the
// last byte it must then have. It catches a line torn inside its payload, and a payload
// followed by another member, without scanning the frame.
func plausibleValue(first, last byte) bool {
	switch first {
	case '{':
		return last == '}'
	case '[':
		return last == ']'
	case '"':
		return last == '"'
	case 't', 'f':
		return last == 'e'
	case 'n':
		return last == 'l'
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return last >= '0' && last <= '9'
	}
	return false
}

// lineJSON is the envelope as encoding/json sees it, for non-canonical lines.
type lineJSON struct {
	Recv *int64          `json:"recv"`
	API  *string         `json:"api"`
	Conn *uint32         `json:"conn"`
	Raw  json.RawMessage `json:"raw"`
	Text *string         `json:"text"`
	B64  *[]byte         `json:"b64"`
}

// parseGeneral parses any JSON spelling of the envelope and explains what is wrong when it
// is not one. Unknown members are ignored so that later minor versions stay readable.
func parseGeneral(line []byte) (Frame, error) {
	var f Frame
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	var l lineJSON
	if err := json.Unmarshal(line, &l); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return f, fmt.Errorf("not a tape line: %w at column %d", err, se.Offset)
		}
		return f, fmt.Errorf("not a tape line: %w", err)
	}
	if l.Recv == nil {
		return f, errors.New(`not a tape line: no "recv"`)
	}
	f.Recv = time.Unix(0, *l.Recv).UTC()
	if l.API != nil {
		switch *l.API {
		case "v1":
			f.API = feed.APIV1
		case "v2":
			f.API = feed.APIV2
		case "":
		default:
			return f, fmt.Errorf("tape line has unknown api %q", *l.API)
		}
	}
	if l.Conn != nil {
		f.Conn = *l.Conn
	}
	n := 0
	if l.Raw != nil {
		n++
		f.Raw = l.Raw
	}
	if l.Text != nil {
		n++
		f.Raw = []byte(*l.Text)
	}
	if l.B64 != nil {
		n++
		f.Raw = *l.B64
		if f.Raw == nil {
			f.Raw = []byte{}
		}
	}
	if n != 1 {
		return Frame{}, errors.New(`tape line must have exactly one of "raw", "text" or "b64"`)
	}
	return f, nil
}

// embeddable reports whether raw can be stored verbatim under "raw": one complete JSON value
// in valid UTF-8, without newlines, not starting or ending with whitespace (so that every
// reader, hand-written or encoding/json, sees exactly the same bytes), nested at most
// maxDepth deep.
func embeddable(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	i, ok := skipValue(raw, 0, 0)
	return ok && i == len(raw)
}

const maxDepth = 256

// skipValue validates the JSON value starting exactly at b[i] (no leading whitespace) and
// returns the index just after it. Nesting deeper than maxDepth is reported as invalid, which
// only means such a frame is stored as "text".
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		if depth == maxDepth {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = skipString(b, i); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			i = skipSpace(b, i+1)
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
	case c == '[':
		if depth == maxDepth {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
	case c == '"':
		return skipString(b, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	}
	return i, false
}

// skipSpace skips JSON whitespace other than newline, which would split the line.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func skipLiteral(b []byte, i int, lit string) (int, bool) {
	if hasAt(b, i, lit) {
		return i + len(lit), true
	}
	return i, false
}

func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	return i, true
}

// plainString marks bytes that stand for themselves inside a JSON string: printable ASCII
// other than the quote and the backslash.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString validates the string starting at the quote b[i], including escapes and UTF-8.
func skipString(b []byte, i int) (int, bool) {
	i++
	for {
		for i < len(b) && plainString[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, false
			}
			i += size
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescapeInPlace decodes the inside of a JSON string into the front of b and returns the
// decoded length. Decoding never grows: every escape is at least as long as what it stands for.
// It reports false for a raw control character, a bare quote or a malformed escape.
func unescapeInPlace(b []byte) (int, bool) {
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		switch {
		case c == '"' || c < 0x20:
			return 0, false
		case c != '\\':
			b[w] = c
			w++
			r++
			continue
		}
		if r+1 >= len(b) {
			return 0, false
		}
		switch e := b[r+1]; e {
		case '"', '\\', '/':
			b[w] = e
		case 'b':
			b[w] = '\b'
		case 'f':
			b[w] = '\f'
		case 'n':
			b[w] = '\n'
		case 'r':
			b[w] = '\r'
		case 't':
			b[w] = '\t'
		case 'u':
			cp, ok := hex4(b, r+2)
			if !ok {
				return 0, false
			}
			r += 6
			if cp >= 0xd800 && cp < 0xdc00 { // a high surrogate: combine with a following low one
				if lo, ok := hex4(b, r+2); ok && r+1 < len(b) && b[r] == '\\' && b[r+1] == 'u' && lo >= 0xdc00 && lo < 0xe000 {
					cp = 0x10000 + (cp-0xd800)<<10 + (lo - 0xdc00)
					r += 6
				} else {
					cp = utf8.RuneError
				}
			} else if cp >= 0xdc00 && cp < 0xe000 {
				cp = utf8.RuneError
			}
			w += utf8.EncodeRune(b[w:], cp)
			continue
		default:
			return 0, false
		}
		w++
		r += 2
	}
	return w, true
}

// hex4 decodes the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		h := hexVal(c)
		if h < 0 {
			return 0, false
		}
		v = v<<4 | rune(h)
	}
	return v, true
}

// decodeBase64InPlace decodes standard padded base64 into the front of b, four characters
// at a time so that writes never overtake reads.
func decodeBase64InPlace(b []byte) (int, bool) {
	if len(b)%4 != 0 {
		return 0, false
	}
	w := 0
	var tmp [3]byte
	for r := 0; r < len(b); r += 4 {
		n, err := base64.StdEncoding.Decode(tmp[:], b[r:r+4])
		if err != nil || (n < 3 && r+4 != len(b)) {
			return 0, false
		}
		w += copy(b[w:], tmp[:n])
	}
	return w, true
}
