package feed

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/internal/pow10"
)

// MaxScale is the largest number of decimals a Fixed may carry. Kraken's finest precision is
// 12 decimals (v1 LUNA/EUR prices); 18 leaves room without overflowing common magnitudes.
const MaxScale = pow10.Max

// ErrRange reports a number that does not fit a Fixed: more than 18 significant digits or
// more than MaxScale decimals.
var ErrRange = errors.New("feed: number out of range")

// Fixed is an exact decimal number kept as it came off the wire: Mant × 10^-Scale. Scale is
// the number of decimals sent, trailing zeros included, because Kraken's book checksums hash
// the number's text at full precision ("0.12290" is not "0.1229" there).
//
// Fixed exists so that order books and decoders can work without allocating; anything that
// leaves a book as money becomes a decimal.Decimal via Decimal.
type Fixed struct {
	Mant  int64
	Scale int32
}

// ParseFixed parses a JSON number or a decimal string: optional minus, digits, optional
// fraction, optional exponent ("27119.90000", "0.12290", "1e-08", "5.1e-05", "-0.17").
// It never rounds: a value that cannot be held exactly is ErrRange.
func ParseFixed(b []byte) (Fixed, error) {
	var (
		i     int
		neg   bool
		mant  uint64
		scale int32
		sig   int // significant digits accumulated
		any   bool
	)
	if len(b) == 0 {
		return Fixed{}, errors.New("feed: empty number")
	}
	if b[0] == '-' {
		neg = true
		i++
	} else if b[0] == '+' {
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		any = true
		if mant == 0 && b[i] == '0' {
			continue
		}
		if sig == 18 {
			return Fixed{}, fmt.Errorf("%w: %q has too many digits", ErrRange, b)
		}
		mant = mant*10 + uint64(b[i]-'0')
		sig++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			any = true
			if mant != 0 || b[i] != '0' {
				if sig == 18 {
					return Fixed{}, fmt.Errorf("%w: %q has too many digits", ErrRange, b)
				}
				sig++
			}
			mant = mant*10 + uint64(b[i]-'0')
			scale++
		}
	}
	if !any {
		return Fixed{}, fmt.Errorf("feed: %q is not a number", b)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return Fixed{}, fmt.Errorf("feed: %q has an empty exponent", b)
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			e = e*10 + int(b[i]-'0')
			if e > 40 {
				return Fixed{}, fmt.Errorf("%w: exponent of %q", ErrRange, b)
			}
		}
		if eneg {
			scale += int32(e)
		} else {
			for ; e > 0; e-- {
				if scale > 0 {
					scale--
					continue
				}
				// Stay within 18 digits, as the digit loops do, so that the text of every
				// Fixed ParseFixed returns parses again ("1e18" has 19 digits).
				if mant >= uint64(pow10.Int64(17)) {
					return Fixed{}, fmt.Errorf("%w: %q has too many digits", ErrRange, b)
				}
				mant *= 10
			}
		}
	}
	if i != len(b) {
		return Fixed{}, fmt.Errorf("feed: %q is not a number", b)
	}
	if scale > MaxScale {
		return Fixed{}, fmt.Errorf("%w: %q has more than %d decimals", ErrRange, b, MaxScale)
	}
	if mant >= uint64(pow10.Int64(18)) {
		return Fixed{}, fmt.Errorf("%w: %q", ErrRange, b)
	}
	v := int64(mant)
	if neg {
		v = -v
	}
	return Fixed{Mant: v, Scale: scale}, nil
}

// MustFixed is ParseFixed for constants in tests and tables; it panics on bad input.
func MustFixed(s string) Fixed {
	f, err := ParseFixed([]byte(s))
	if err != nil {
		panic(err)
	}
	return f
}

// FixedFromDecimal converts d exactly; ok is false when d does not fit.
func FixedFromDecimal(d decimal.Decimal) (f Fixed, ok bool) {
	exp := d.Exponent()
	coef := d.Coefficient()
	if exp > 0 {
		if exp > 18 {
			return Fixed{}, false
		}
		coef.Mul(coef, big.NewInt(pow10.Int64(exp)))
		exp = 0
	}
	if -exp > MaxScale || !coef.IsInt64() {
		return Fixed{}, false
	}
	return Fixed{Mant: coef.Int64(), Scale: -exp}, true
}

// Decimal returns f as a decimal.Decimal with the same exponent (trailing zeros kept).
func (f Fixed) Decimal() decimal.Decimal { return decimal.New(f.Mant, -f.Scale) }

// IsZero reports whether f is zero at any scale.
func (f Fixed) IsZero() bool { return f.Mant == 0 }

// Sign returns -1, 0 or +1.
func (f Fixed) Sign() int {
	switch {
	case f.Mant < 0:
		return -1
	case f.Mant > 0:
		return 1
	}
	return 0
}

// Rescale returns f with the given number of decimals; ok is false if that would lose
// digits or overflow.
func (f Fixed) Rescale(scale int32) (Fixed, bool) {
	if f.Scale < 0 || f.Scale > MaxScale {
		return f, false // not made by ParseFixed; pow10.Int64 cannot take it
	}
	switch {
	case scale == f.Scale:
		return f, true
	case scale > f.Scale:
		d := scale - f.Scale
		if scale > MaxScale {
			return f, false
		}
		m := f.Mant * pow10.Int64(d)
		if m/pow10.Int64(d) != f.Mant {
			return f, false
		}
		return Fixed{Mant: m, Scale: scale}, true
	default:
		if scale < 0 {
			return f, false
		}
		d := pow10.Int64(f.Scale - scale)
		if f.Mant%d != 0 {
			return f, false
		}
		return Fixed{Mant: f.Mant / d, Scale: scale}, true
	}
}

// Cmp compares numerically: -1 if f < g, 0 if equal, +1 if f > g.
func (f Fixed) Cmp(g Fixed) int {
	if f.Scale != g.Scale {
		s := max(f.Scale, g.Scale)
		ff, ok1 := f.Rescale(s)
		gg, ok2 := g.Rescale(s)
		if !ok1 || !ok2 {
			return f.Decimal().Cmp(g.Decimal())
		}
		f, g = ff, gg
	}
	switch {
	case f.Mant < g.Mant:
		return -1
	case f.Mant > g.Mant:
		return 1
	}
	return 0
}

// AppendText appends f's decimal text at its full scale ("0.12290", "-4.0", "12").
func (f Fixed) AppendText(dst []byte) []byte {
	m := uint64(f.Mant)
	if f.Mant < 0 {
		dst = append(dst, '-')
		m = -m // as uint64, so that MinInt64 has a magnitude too
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], m, 10)
	if f.Scale <= 0 {
		dst = append(dst, digits...)
		if m != 0 {
			for range -f.Scale {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	sc := int(f.Scale)
	if len(digits) <= sc {
		dst = append(dst, '0', '.')
		for i := len(digits); i < sc; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-sc]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-sc:]...)
}

// String returns f's text at full scale.
func (f Fixed) String() string { return string(f.AppendText(nil)) }

// MarshalText implements encoding.TextMarshaler (full-scale text).
func (f Fixed) MarshalText() ([]byte, error) { return f.AppendText(nil), nil }
