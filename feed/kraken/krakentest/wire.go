package krakentest

import (
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// The server writes every frame by hand with these appenders: numbers come from feed.Fixed or
// decimal.Decimal text (never float64), field order follows the real wire, and a frame is
// encoded once per stream and shared by all its subscribers.

// appendKey appends `"key":`.
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// atScale returns f rescaled to scale when that is exact, else f unchanged (a level the source
// sent with more decimals than the pair allows keeps its own text rather than being rounded).
func atScale(f feed.Fixed, scale int32) feed.Fixed {
	if scale >= 0 && scale != f.Scale {
		if g, ok := f.Rescale(scale); ok {
			return g
		}
	}
	return f
}

// appendFixed appends f's text at the given scale: a v2 JSON number or, quoted, a v1 string.
func appendFixed(dst []byte, f feed.Fixed, scale int32) []byte {
	return atScale(f, scale).AppendText(dst)
}

// appendFixedQ appends f at scale as a JSON string (v1 and REST).
func appendFixedQ(dst []byte, f feed.Fixed, scale int32) []byte {
	dst = append(dst, '"')
	dst = appendFixed(dst, f, scale)
	return append(dst, '"')
}

// appendDec appends d rounded to scale decimals, trailing zeros kept, as a JSON number.
func appendDec(dst []byte, d decimal.Decimal, scale int32) []byte {
	return append(dst, d.StringFixed(scale)...)
}

// appendDecQ appends d rounded to scale decimals as a JSON string.
func appendDecQ(dst []byte, d decimal.Decimal, scale int32) []byte {
	dst = append(dst, '"')
	dst = append(dst, d.StringFixed(scale)...)
	return append(dst, '"')
}

// appendPyNum appends d the way Kraken's instrument channel prints small numbers: plain
// decimal text, but exponent form below 1e-4 ("1e-08", "5e-05"), like Python's repr.
func appendPyNum(dst []byte, d decimal.Decimal) []byte {
	if d.IsZero() {
		return append(dst, "0.0"...)
	}
	if d.Abs().Cmp(decimal.New(1, -4)) >= 0 {
		s := d.String()
		dst = append(dst, s...)
		if d.Exponent() >= 0 || !containsDot(s) {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	// d = coef × 10^exp with coef's trailing zeros removed: mantissa digits m, exponent e.
	coef := d.Coefficient()
	exp := d.Exponent()
	digits := coef.String()
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
		dst = append(dst, '-')
	}
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	e := int(exp) + len(digits) - 1
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if e < 0 {
		dst = append(dst, '-')
		e = -e
	} else {
		dst = append(dst, '+')
	}
	if e < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(e), 10)
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// appendV1Time appends t as v1's quoted "seconds.micros".
func appendV1Time(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = appendSecMicros(dst, t)
	return append(dst, '"')
}

func appendSecMicros(dst []byte, t time.Time) []byte {
	us := t.UnixMicro()
	sec, frac := us/1e6, us%1e6
	if frac < 0 {
		sec--
		frac += 1e6
	}
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	return appendPadded(dst, frac, 6)
}

// appendRESTTime appends t as REST's JSON number of seconds with up to 7 decimals.
func appendRESTTime(dst []byte, t time.Time) []byte {
	ns := t.UnixNano()
	sec, frac := ns/1e9, (ns%1e9)/100
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	n := len(dst)
	dst = appendPadded(dst, frac, 7)
	for len(dst) > n+1 && dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

func appendPadded(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendV2Time appends t as a quoted RFC 3339 UTC time with microseconds, as v2 prints it.
func appendV2Time(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	return append(dst, '"')
}

// appendV2TimeNano appends t with nanoseconds (ohlc interval_begin and envelope timestamps).
func appendV2TimeNano(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	return append(dst, '"')
}
