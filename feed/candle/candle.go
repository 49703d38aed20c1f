package candle

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// Builder aggregates one pair's trades into candles of one interval.
//
// Candles are aligned to the Unix epoch: a candle covers [Start, Start+Interval) with Start
// a multiple of Interval since 1970-01-01T00:00:00Z (for intervals that divide a day this is
// also the UTC day grid). A trade at exactly Start+Interval belongs to the next candle.
//
// No look-ahead: a candle is handed out only once it has closed, that is by the first Add
// (or Advance) whose time is at or after its end — never by a trade inside it. An interval
// without trades produces no candle (like Kraken's OHLC data, which has no rows for them);
// a strategy that needs a bar per interval should treat missing ones as flat at the previous
// close.
//
// Prices and quantities stay exact: Open, High, Low, Close are the trades' own decimals,
// Volume is their exact sum, VWAP is Σ(price·qty)/Σqty rounded half away from zero to the
// largest number of decimals among the candle's prices (Kraken prints it at the pair's price
// precision), or Close when the volume is zero. Adding a trade does not allocate as long as
// prices and quantities have at most 18 significant digits.
//
// A trade stamped before the forming candle's start (clock skew between sources) is folded
// into the forming candle and counted by Late: candles never reopen. Trade times must lie
// within the years 1678–2262 (time.UnixNano's range).
//
// A Builder is not safe for concurrent use.
type Builder struct {
	pair     feed.Pair
	interval time.Duration

	forming       bool
	start, end    int64 // forming candle, Unix ns
	open, high    decimal.Decimal
	low, close    decimal.Decimal
	priceScale    int32
	trades        int64
	vol, notional exactSum
	late          int64
	tmpA, tmpB    big.Int
	closedCount   int64
}

// New returns a builder for pair's candles of the given interval. It panics if
// interval is not positive.
func New(pair feed.Pair, interval time.Duration) *Builder {
	if interval <= 0 {
		panic(fmt.Sprintf("candle: interval %v, want a positive duration", interval))
	}
	return &Builder{pair: pair, interval: interval}
}

// Pair returns the builder's pair.
func (b *Builder) Pair() feed.Pair { return b.pair }

// Interval returns the builder's interval.
func (b *Builder) Interval() time.Duration { return b.interval }

// Add folds in a trade of the builder's pair. If the trade is at or after the end of the
// forming candle, that candle is closed and returned (ok true) before the trade starts the
// next one.
func (b *Builder) Add(t feed.Trade) (closed feed.Candle, ok bool) {
	ns := t.Time.UnixNano()
	if b.forming && ns >= b.end {
		closed, ok = b.emit(), true
	}
	if !b.forming {
		b.begin(ns)
	} else if ns < b.start {
		b.late++
	}
	b.fold(t)
	return closed, ok
}

// Advance closes the forming candle if now is at or after its end, and returns it. The
// engine calls it when event time moves without a trade of this pair, so that candles close
// on time in quiet markets.
func (b *Builder) Advance(now time.Time) (closed feed.Candle, ok bool) {
	if b.forming && now.UnixNano() >= b.end {
		return b.emit(), true
	}
	return feed.Candle{}, false
}

// Forming returns the candle being built, with Closed false; ok is false when no trade has
// arrived since the last close. It is for display: a strategy that trades on it is looking
// at an unfinished bar.
func (b *Builder) Forming() (c feed.Candle, ok bool) {
	if !b.forming {
		return feed.Candle{}, false
	}
	return b.candle(false), true
}

// FormingEnd returns the end of the candle being built; ok is false when none is forming. The
// engine uses it to know when to Advance without building the candle on every trade.
func (b *Builder) FormingEnd() (end time.Time, ok bool) {
	if !b.forming {
		return time.Time{}, false
	}
	return time.Unix(0, b.end).UTC(), true
}

// Late returns how many trades arrived stamped before the candle they were folded into.
func (b *Builder) Late() int64 { return b.late }

// Closed returns how many candles the builder has handed out.
func (b *Builder) Closed() int64 { return b.closedCount }

// Reset drops the forming candle.
func (b *Builder) Reset() { b.forming = false }

func (b *Builder) begin(ns int64) {
	iv := int64(b.interval)
	start := ns - ns%iv
	if ns%iv < 0 {
		start -= iv
	}
	b.forming = true
	b.start = start
	if start > math.MaxInt64-iv {
		b.end = math.MaxInt64
	} else {
		b.end = start + iv
	}
	b.trades = 0
	b.priceScale = math.MinInt32
	b.vol.reset()
	b.notional.reset()
}

func (b *Builder) fold(t feed.Trade) {
	p, q := t.Price, t.Qty
	if b.trades == 0 {
		b.open, b.high, b.low = p, p, p
	} else {
		if cmpDecimal(p, b.high) > 0 {
			b.high = p
		}
		if cmpDecimal(p, b.low) < 0 {
			b.low = p
		}
	}
	b.close = p
	b.trades++
	if s := -p.Exponent(); s > b.priceScale {
		b.priceScale = s
	}
	pm, ps, pok := fixed(p)
	qm, qs, qok := fixed(q)
	if qok {
		b.vol.addInt64(qm, qs)
	} else {
		b.vol.addBig(b.tmpA.Set(q.Coefficient()), -q.Exponent())
	}
	if pok && qok {
		b.notional.addProduct(pm, qm, ps+qs)
	} else {
		b.tmpA.Set(p.Coefficient())
		b.tmpB.Set(q.Coefficient())
		b.notional.addBig(b.tmpA.Mul(&b.tmpA, &b.tmpB), -p.Exponent()-q.Exponent())
	}
}

func (b *Builder) emit() feed.Candle {
	c := b.candle(true)
	b.forming = false
	b.closedCount++
	return c
}

func (b *Builder) candle(closed bool) feed.Candle {
	vol := b.vol.decimal()
	vwap := b.close
	if vol.Sign() != 0 {
		places := b.priceScale
		if places < 0 {
			places = 0
		}
		vwap = b.notional.decimal().DivRound(vol, places)
	}
	return feed.Candle{
		Pair:     b.pair,
		Interval: b.interval,
		Start:    time.Unix(0, b.start).UTC(),
		Open:     b.open,
		High:     b.high,
		Low:      b.low,
		Close:    b.close,
		VWAP:     vwap,
		Volume:   vol,
		Trades:   b.trades,
		Closed:   closed,
	}
}

// fixed returns d as mant×10^-scale with an int64 mantissa, without allocating; ok is false
// when the coefficient needs more than 18 digits.
func fixed(d decimal.Decimal) (mant int64, scale int32, ok bool) {
	if d.NumDigits() > 18 {
		return 0, 0, false
	}
	return d.CoefficientInt64(), -d.Exponent(), true
}

// cmpDecimal is a.Cmp(b) without the allocation decimal makes when the exponents differ
// ("85754.8" against "85755" from Kraken v2, which drops trailing zeros).
func cmpDecimal(a, b decimal.Decimal) int {
	ea, eb := a.Exponent(), b.Exponent()
	if ea != eb {
		am, as, aok := fixed(a)
		bm, bs, bok := fixed(b)
		if aok && bok {
			// Bring both to the larger scale (the smaller exponent).
			if as < bs {
				if m, ok := mulPow10(am, bs-as); ok {
					return cmpInt(m, bm)
				}
			} else if m, ok := mulPow10(bm, as-bs); ok {
				return cmpInt(am, m)
			}
		}
	}
	return a.Cmp(b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// mulPow10 returns m×10^k when it fits an int64.
func mulPow10(m int64, k int32) (int64, bool) {
	if k < 0 || int(k) >= len(pow10) {
		return 0, false
	}
	neg := m < 0
	u := uint64(m)
	if neg {
		u = -u
	}
	hi, lo := bits.Mul64(u, pow10[k])
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

// exactSum is an exact sum kept as a 128-bit unsigned integer ×10^-scale while it fits and
// holds only non-negative terms (prices and quantities always), and as a big.Int otherwise.
// Neither form allocates per term once the big.Int has grown.
type exactSum struct {
	hi, lo  uint64
	scale   int32
	started bool
	slow    bool // spilled into big
	big     bigSum
}

func (s *exactSum) reset() {
	s.hi, s.lo, s.scale, s.started, s.slow = 0, 0, 0, false, false
	s.big.reset()
}

func (s *exactSum) addInt64(m int64, scale int32) {
	u, neg := absInt(m)
	s.add(0, u, neg, scale)
}

// addProduct adds a·b×10^-scale.
func (s *exactSum) addProduct(a, b int64, scale int32) {
	ua, na := absInt(a)
	ub, nb := absInt(b)
	hi, lo := bits.Mul64(ua, ub)
	s.add(hi, lo, na != nb, scale)
}

// add adds ±(hi·2^64+lo)×10^-scale.
func (s *exactSum) add(hi, lo uint64, neg bool, scale int32) {
	if !s.slow && !neg {
		if !s.started {
			s.scale, s.started = scale, true
		}
		ah, al, as := s.hi, s.lo, s.scale
		vh, vl := hi, lo
		ok := true
		if scale > as {
			ah, al, ok = mul128(ah, al, scale-as)
			as = scale
		} else if scale < as {
			vh, vl, ok = mul128(vh, vl, as-scale)
		}
		if ok {
			l, c := bits.Add64(al, vl, 0)
			h, c2 := bits.Add64(ah, vh, c)
			if c2 == 0 {
				s.hi, s.lo, s.scale = h, l, as
				return
			}
		}
		// Does not fit in 128 bits: continue exactly in big arithmetic.
	}
	s.slowAdd(hi, lo, neg, scale)
}

// slowAdd adds in big arithmetic, spilling the 128-bit sum first.
func (s *exactSum) slowAdd(hi, lo uint64, neg bool, scale int32) {
	s.spill()
	set128(&s.big.t1, hi, lo, &s.big.t2)
	if neg {
		s.big.t1.Neg(&s.big.t1)
	}
	s.big.addBig(&s.big.t1, scale)
}

// addBig adds x×10^-scale (for values beyond 18 digits); x may be modified.
func (s *exactSum) addBig(x *big.Int, scale int32) {
	s.spill()
	s.big.addBig(x, scale)
}

func (s *exactSum) spill() {
	if s.slow {
		return
	}
	s.slow = true
	set128(&s.big.v, s.hi, s.lo, &s.big.t2)
	s.big.scale, s.big.started = s.scale, s.started
}

func (s *exactSum) decimal() decimal.Decimal {
	if s.slow {
		return s.big.decimal()
	}
	if s.hi == 0 && s.lo <= math.MaxInt64 {
		return decimal.New(int64(s.lo), -s.scale)
	}
	var v, t big.Int
	set128(&v, s.hi, s.lo, &t)
	return decimal.NewFromBigInt(&v, -s.scale)
}

// mul128 returns (hi·2^64+lo)·10^k when it fits 128 bits.
func mul128(hi, lo uint64, k int32) (uint64, uint64, bool) {
	if k < 0 || int(k) >= len(pow10) {
		return 0, 0, false
	}
	p := pow10[k]
	h1, l1 := bits.Mul64(lo, p)
	h2, l2 := bits.Mul64(hi, p)
	if h2 != 0 {
		return 0, 0, false
	}
	h, c := bits.Add64(h1, l2, 0)
	if c != 0 {
		return 0, 0, false
	}
	return h, l1, true
}

// set128 sets z to hi·2^64+lo; t is a temporary.
func set128(z *big.Int, hi, lo uint64, t *big.Int) {
	z.SetUint64(hi)
	z.Lsh(z, 64)
	t.SetUint64(lo)
	z.Or(z, t)
}

func absInt(m int64) (uint64, bool) {
	if m < 0 {
		return -uint64(m), true
	}
	return uint64(m), false
}

// bigSum is an exact sum v×10^-scale whose storage is reused from candle to candle.
type bigSum struct {
	v, t1, t2, t3 big.Int
	scale         int32
	started       bool
}

func (s *bigSum) reset() {
	s.v.SetInt64(0)
	s.scale = 0
	s.started = false
}

// addBig adds x×10^-scale; x may be scaled in place.
func (s *bigSum) addBig(x *big.Int, scale int32) {
	if !s.started {
		s.scale, s.started = scale, true
	}
	if scale > s.scale {
		s.mulPow10(&s.v, scale-s.scale)
		s.scale = scale
	} else if scale < s.scale {
		s.mulPow10(x, s.scale-scale)
	}
	s.v.Add(&s.v, x)
}

// mulPow10 multiplies x by 10^k in place without aliasing big.Int's operands (an aliased
// Mul allocates).
func (s *bigSum) mulPow10(x *big.Int, k int32) {
	for k > 0 {
		c := min(k, 18)
		s.t2.SetUint64(pow10[c])
		s.t3.Mul(x, &s.t2)
		x.Set(&s.t3)
		k -= c
	}
}

func (s *bigSum) decimal() decimal.Decimal { return decimal.NewFromBigInt(&s.v, -s.scale) }
