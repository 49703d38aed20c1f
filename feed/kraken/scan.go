package kraken

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/papertrade/papertrade/feed"
)

// scanner is a small pull parser over one JSON text, written for the hot frame shapes (trades,
// book updates): it hands out strings and number tokens as sub-slices of the frame, validates
// the grammar as strictly as encoding/json, and never builds values, uses reflection or
// allocates (except to unescape a string that has escapes, into a reused buffer).
//
// Strings returned by str alias either the frame or the scratch buffer: they are valid until
// the next call to str.
type scanner struct {
	b     []byte
	i     int
	depth int
	esc   []byte // scratch for unescaped strings
}

// maxNesting bounds recursion in skip; Kraken's frames nest at most 5 deep.
const maxNesting = 256

func (s *scanner) reset(b []byte) {
	s.b, s.i, s.depth = b, 0, 0
	s.esc = s.esc[:0]
}

// ws skips insignificant whitespace. Frames rarely have any, so the first byte is checked
// before looping (on locals: the scanner's fields would be reloaded every byte).
func (s *scanner) ws() {
	b, i := s.b, s.i
	if i >= len(b) || b[i] > ' ' {
		return
	}
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	s.i = i
}

// peek returns the next significant byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errf(ReasonSyntax, "unexpected %s after the end of the JSON value", describeByte(s.b[s.i]))
	}
	return nil
}

func (s *scanner) errf(r Reason, format string, args ...any) *DecodeError {
	return &DecodeError{Reason: r, Offset: s.i, Msg: fmt.Sprintf(format, args...)}
}

// unexpected reports the byte at s.i where want was expected (or the end of the frame).
func (s *scanner) unexpected(want string) *DecodeError {
	if s.i >= len(s.b) {
		return &DecodeError{Reason: ReasonTruncated, Offset: s.i, Msg: "frame ends where " + want + " was expected"}
	}
	return s.errf(ReasonSyntax, "unexpected %s where %s was expected", describeByte(s.b[s.i]), want)
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// expect consumes c.
func (s *scanner) expect(c byte) error {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return nil
	}
	return s.unexpected(strconv.QuoteRune(rune(c)))
}

// wrongType reports that the value at s.i is not what the message needs: a shape error, or a
// syntax error when it is not a JSON value at all.
func (s *scanner) wrongType(want string) *DecodeError {
	s.ws()
	if s.i >= len(s.b) {
		return s.unexpected(want)
	}
	var got string
	switch c := s.b[s.i]; {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == '"':
		got = "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		got = "a number"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == 'n':
		got = "null"
	default:
		return s.unexpected(want)
	}
	// Make sure the rest is valid JSON before blaming the shape.
	start := s.i
	if err := s.skip(); err != nil {
		return err.(*DecodeError)
	}
	s.i = start
	return s.errf(ReasonShape, "want %s, got %s", want, got)
}

// nextKey advances to the next key of an object whose '{' has been consumed; n is the number
// of keys read so far. It returns more false after consuming the closing '}'.
func (s *scanner) nextKey(n int) (key []byte, more bool, err error) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, false, s.unexpected("a key or '}'")
	}
	switch c := s.b[s.i]; {
	case c == '}':
		s.i++
		return nil, false, nil
	case n > 0 && c == ',':
		s.i++
		s.ws()
	case n > 0:
		return nil, false, s.unexpected("',' or '}'")
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, s.unexpected("a key")
	}
	key, err = s.str()
	if err != nil {
		return nil, false, err
	}
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// nextElem advances to the next element of an array whose '[' has been consumed; n is the
// number of elements read so far. It returns more false after consuming the closing ']'.
func (s *scanner) nextElem(n int) (more bool, err error) {
	s.ws()
	if s.i >= len(s.b) {
		return false, s.unexpected("a value or ']'")
	}
	switch c := s.b[s.i]; {
	case c == ']':
		s.i++
		return false, nil
	case n > 0 && c == ',':
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			return false, s.unexpected("a value")
		}
	case n > 0:
		return false, s.unexpected("',' or ']'")
	}
	return true, nil
}

// openObject consumes '{' or reports a shape error.
func (s *scanner) openObject() error {
	if s.peek() != '{' {
		return s.wrongType("an object")
	}
	s.i++
	s.depth++
	if s.depth > maxNesting {
		return s.errf(ReasonShape, "nested deeper than %d", maxNesting)
	}
	return nil
}

// openArray consumes '[' or reports a shape error.
func (s *scanner) openArray() error {
	if s.peek() != '[' {
		return s.wrongType("an array")
	}
	s.i++
	s.depth++
	if s.depth > maxNesting {
		return s.errf(ReasonShape, "nested deeper than %d", maxNesting)
	}
	return nil
}

// close records that an object or array opened with openObject/openArray has ended.
func (s *scanner) close() { s.depth-- }

// str reads a string and returns its content, unescaped.
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.wrongType("a string")
	}
	b := s.b
	start := s.i + 1
	i := start
	for i < len(b) && !strStop[b[i]] {
		i++
	}
	s.i = i
	if i >= len(b) {
		return nil, s.unexpected("the end of a string")
	}
	switch c := b[i]; {
	case c == '"':
		s.i++
		return b[start:i], nil
	case c == '\\':
		return s.unescape(start)
	default:
		return nil, s.errf(ReasonSyntax, "control character 0x%02x in a string", c)
	}
}

// strStop marks the bytes that end the plain run of a string: its closing quote, an escape,
// or a control character (an error).
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// unescape continues str from the first backslash, building the string in s.esc.
func (s *scanner) unescape(start int) ([]byte, error) {
	out := append(s.esc[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			s.esc = out
			return out, nil
		case c < 0x20:
			return nil, s.errf(ReasonSyntax, "control character 0x%02x in a string", c)
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		s.i++
		if s.i >= len(s.b) {
			return nil, s.unexpected("an escape")
		}
		e := s.b[s.i]
		s.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.errf(ReasonSyntax, "bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					var ok2 bool
					if r2, ok2 = s.hex4(); !ok2 {
						return nil, s.errf(ReasonSyntax, "bad \\u escape")
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
					} else {
						s.i = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			s.i--
			return nil, s.errf(ReasonSyntax, "invalid escape %s in a string", describeByte(e))
		}
	}
	s.esc = out
	return nil, s.unexpected("the end of a string")
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// num reads a JSON number token (validated against the JSON grammar) and returns its text.
func (s *scanner) num() ([]byte, error) {
	s.ws()
	start := s.i
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
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
		if i == start {
			return nil, s.wrongType("a number")
		}
		s.i = i
		return nil, s.unexpected("a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return nil, s.unexpected("a digit")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return nil, s.unexpected("a digit")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	if i < len(b) && !numEnd[b[i]] {
		return nil, s.errf(ReasonSyntax, "unexpected %s after a number", describeByte(b[i]))
	}
	return b[start:i], nil
}

// numEnd marks the bytes that may follow a number: whitespace and the delimiters after a
// value.
var numEnd = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r,]}") {
		t[c] = true
	}
	return t
}()

// lit consumes a literal (true, false, null).
func (s *scanner) lit(word string) error {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return nil
	}
	for k := 0; k < len(word) && s.i < len(s.b); k++ {
		if s.b[s.i] != word[k] {
			return s.unexpected("'" + word + "'")
		}
		s.i++
	}
	return s.unexpected("'" + word + "'")
}

// skip consumes any JSON value, validating it.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		if err := s.openObject(); err != nil {
			return err
		}
		for n := 0; ; n++ {
			_, more, err := s.nextKey(n)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
		s.close()
		return nil
	case c == '[':
		if err := s.openArray(); err != nil {
			return err
		}
		for n := 0; ; n++ {
			more, err := s.nextElem(n)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
		s.close()
		return nil
	case c == '"':
		_, err := s.skipStr()
		return err
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.num()
		return err
	}
	return s.unexpected("a JSON value")
}

// skipStr consumes a string, validating escapes without building it.
func (s *scanner) skipStr() (escaped bool, err error) {
	s.i++ // '"'
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, nil
		case c < 0x20:
			return false, s.errf(ReasonSyntax, "control character 0x%02x in a string", c)
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return false, s.unexpected("an escape")
			}
			switch e := s.b[s.i]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				if _, ok := s.hex4(); !ok {
					return false, s.errf(ReasonSyntax, "bad \\u escape")
				}
			default:
				return false, s.errf(ReasonSyntax, "invalid escape %s in a string", describeByte(e))
			}
			continue
		}
		s.i++
	}
	return false, s.unexpected("the end of a string")
}

// fixedNum reads a JSON number as an exact feed.Fixed (v2 prices and quantities).
func (s *scanner) fixedNum() (feed.Fixed, error) {
	if f, ok := s.plainFixed(); ok {
		return f, nil
	}
	start := s.i
	tok, err := s.num()
	if err != nil {
		return feed.Fixed{}, err
	}
	f, perr := feed.ParseFixed(tok)
	if perr != nil {
		return feed.Fixed{}, &DecodeError{Reason: ReasonNumber, Offset: start, Msg: perr.Error()}
	}
	return f, nil
}

// plainFixed is fixedNum in one pass for the numbers Kraken sends: -?int[.digits] with at
// most 18 digits in all, no exponent, followed by a delimiter or the end. Then every digit is
// significant to ParseFixed (leading zeros add nothing to the mantissa) and nothing can
// overflow, so the result is exactly ParseFixed's. Anything else — exponents, long numbers,
// every malformed one — reports false without consuming anything but whitespace, and goes
// through num and ParseFixed, which own the errors.
func (s *scanner) plainFixed() (feed.Fixed, bool) {
	s.ws()
	b, i := s.b, s.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	first := i
	var mant uint64
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		for i < len(b) && b[i]-'0' < 10 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
	}
	digits := i - first
	if digits == 0 {
		return feed.Fixed{}, false
	}
	var scale int
	if i < len(b) && b[i] == '.' {
		i++
		frac := i
		for i < len(b) && b[i]-'0' < 10 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
		scale = i - frac
		if scale == 0 {
			return feed.Fixed{}, false
		}
		digits += scale
	}
	if digits > 18 {
		return feed.Fixed{}, false
	}
	if i < len(b) && !numEnd[b[i]] {
		return feed.Fixed{}, false
	}
	s.i = i
	v := int64(mant)
	if neg {
		v = -v
	}
	return feed.Fixed{Mant: v, Scale: int32(scale)}, true
}

// fixedStr reads a string holding a decimal number (v1 prices and volumes) as a feed.Fixed.
func (s *scanner) fixedStr() (feed.Fixed, error) {
	s.ws()
	start := s.i
	b, err := s.str()
	if err != nil {
		return feed.Fixed{}, err
	}
	if !plainDecimal(b) {
		return feed.Fixed{}, &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("%q is not a decimal number", b)}
	}
	f, perr := feed.ParseFixed(b)
	if perr != nil {
		return feed.Fixed{}, &DecodeError{Reason: ReasonNumber, Offset: start, Msg: perr.Error()}
	}
	return f, nil
}

// plainDecimal reports whether b is [-]digits[.digits], the form Kraken's v1 strings use.
func plainDecimal(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	d := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		d++
	}
	if d == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d = 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			d++
		}
		if d == 0 {
			return false
		}
	}
	return i == len(b)
}

// uintNum reads a non-negative JSON integer that fits in bits bits.
func (s *scanner) uintNum(bits int) (uint64, error) {
	s.ws()
	// Fast path: 0 or [1-9] with at most 19 digits in all (no overflow), then a delimiter or
	// the end, and within bits. Anything else is left to num and ParseUint, which own the
	// errors.
	b, i := s.b, s.i
	var v uint64
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		for i < len(b) && b[i]-'0' < 10 && i-s.i < 19 {
			v = v*10 + uint64(b[i]-'0')
			i++
		}
	}
	if i > s.i && (i == len(b) || numEnd[b[i]]) && (bits == 64 || v < 1<<bits) {
		s.i = i
		return v, nil
	}
	start := s.i
	tok, err := s.num()
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseUint(string(tok), 10, bits) // string(tok) does not escape: no allocation
	if perr != nil {
		return 0, &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("%s is not an integer in [0, 2^%d)", tok, bits)}
	}
	return v, nil
}

// timeStr reads a string timestamp with parse (unixTime or rfc3339).
func (s *scanner) timeStr(parse func([]byte) (time.Time, bool)) (time.Time, error) {
	s.ws()
	start := s.i
	b, err := s.str()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parse(b)
	if !ok {
		return time.Time{}, &DecodeError{Reason: ReasonTime, Offset: start, Msg: fmt.Sprintf("%q is not a valid timestamp", b)}
	}
	return t, nil
}

// maxUnixSeconds keeps Kraken's "seconds.micros" times within years 1970..5138, far inside
// time.Time's range.
const maxUnixSeconds = 1e11

// unixTime parses Kraken's v1 time text "seconds[.fraction]" exactly (up to nanoseconds),
// without going through float64.
func unixTime(b []byte) (time.Time, bool) {
	var sec, ns int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		sec = sec*10 + int64(b[i]-'0')
		if sec > maxUnixSeconds {
			return time.Time{}, false
		}
		i++
	}
	if i == 0 {
		return time.Time{}, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		digits := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits == 9 {
				return time.Time{}, false
			}
			ns = ns*10 + int64(b[i]-'0')
			digits++
			i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	if i != len(b) {
		return time.Time{}, false
	}
	return time.Unix(sec, ns).UTC(), true
}

// ParseUnixTime parses Kraken's decimal Unix time text ("1534614057.321597", v1 frames and
// REST; up to nine decimals) exactly, without going through float64. The result is in UTC.
func ParseUnixTime(s string) (time.Time, error) {
	t, ok := unixTime([]byte(s))
	if !ok {
		return time.Time{}, fmt.Errorf("kraken: %q is not a Unix time of the form seconds.fraction", s)
	}
	return t, nil
}

// rfc3339 parses the RFC 3339 times of v2 ("2023-09-25T07:49:37.708706Z", with 0 to 9
// decimals, "Z" or a ±hh:mm offset) into UTC without allocating.
func rfc3339(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(lo, hi int) int {
		v := 0
		for _, c := range b[lo:hi] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, second := num(11, 13), num(14, 16), num(17, 19)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return time.Time{}, false
	}
	if day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	i := 19
	ns := 0
	if b[i] == '.' {
		i++
		digits := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits == 9 {
				return time.Time{}, false
			}
			ns = ns*10 + int(b[i]-'0')
			digits++
			i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	if i >= len(b) {
		return time.Time{}, false
	}
	var off int
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return time.Time{}, false
		}
		h, m := num(i+1, i+3), num(i+4, i+6)
		if h < 0 || h > 23 || m < 0 || m > 59 {
			return time.Time{}, false
		}
		off = (h*60 + m) * 60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return time.Time{}, false
	}
	if i != len(b) {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, ns, time.UTC)
	if off != 0 {
		t = t.Add(-time.Duration(off) * time.Second)
	}
	return t, true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
