package sim

import (
	"math"
	"math/bits"

	"github.com/papertrade/papertrade/internal/pow10"
	"github.com/shopspring/decimal"
)

// Prices inside the simulator are int64 "keys": the price in units of 10^-scale, where scale
// is the pair's price decimals. Order prices are validated onto that grid at acceptance, so
// every comparison on the hot path is an integer comparison. A trade price the decoder
// delivers with more decimals than the pair's precision is kept as its floor key plus an
// "inexact" flag, which is enough to compare it exactly with any on-grid price.

// tradeKey is a trade price at the pair's scale: k = floor(price × 10^scale); exact is false
// when the price lies strictly between k and k+1.
type tradeKey struct {
	k     int64
	exact bool
}

// For an on-grid x: price < x, ≤ x, > x, ≥ x, == x.
func (p tradeKey) lt(x int64) bool { return p.k < x }
func (p tradeKey) le(x int64) bool { return p.k < x || (p.exact && p.k == x) }
func (p tradeKey) gt(x int64) bool { return p.k > x || (!p.exact && p.k == x) }
func (p tradeKey) ge(x int64) bool { return p.k >= x }
func (p tradeKey) eq(x int64) bool { return p.exact && p.k == x }

// lt for an inexact p: p < x ⟺ floor(p) < x, since p > floor(p) and x is an integer; and for
// an exact one it is the plain comparison — both are p.k < x.

// toKey converts d to a key at scale, rounding toward minus infinity. ok is false when d does
// not fit in an int64 at that scale. It does not allocate unless d's coefficient has more
// than 18 digits (results of arithmetic, never prices off the wire).
func toKey(d decimal.Decimal, scale int32) (k int64, exact, ok bool) {
	if d.NumDigits() > 18 {
		f := d.RoundFloor(scale)
		if f.NumDigits() > 18 {
			return 0, false, false
		}
		k, _, ok = toKey(f, scale)
		return k, ok && f.Equal(d), ok
	}
	m := d.CoefficientInt64()
	shift := d.Exponent() + scale // k = m × 10^shift
	switch {
	case shift == 0:
		return m, true, true
	case shift > 0:
		if shift > 18 {
			return 0, false, m == 0
		}
		p := pow10.Int64(shift)
		if m > math.MaxInt64/p || m < math.MinInt64/p {
			return 0, false, false
		}
		return m * p, true, true
	default:
		if -shift > 18 {
			if m < 0 {
				return -1, false, true
			}
			return 0, m == 0, true
		}
		p := pow10.Int64(-shift)
		q, r := m/p, m%p
		if r < 0 {
			q--
		}
		return q, r == 0, true
	}
}

// fromKey returns the decimal for a key at scale (exponent -scale).
func fromKey(k int64, scale int32) decimal.Decimal { return decimal.New(k, -scale) }

// floorTo rounds k down to a multiple of step (step ≥ 1, k ≥ 0 in practice).
func floorTo(k, step int64) int64 {
	r := k % step
	if r < 0 {
		r += step
	}
	return k - r
}

// ceilTo rounds k up to a multiple of step.
func ceilTo(k, step int64) int64 {
	f := floorTo(k, step)
	if f == k {
		return k
	}
	return f + step
}

// mulDiv returns floor or ceil of a×b/c for non-negative a, b and positive c, exactly, with a
// 128-bit intermediate; ok is false if the result does not fit an int64.
func mulDiv(a, b, c int64, ceil bool) (int64, bool) {
	if a < 0 || b < 0 || c <= 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, uint64(c))
	if ceil && r != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}
