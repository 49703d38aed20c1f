package synth

import (
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// level is a resting price level in model units: a tick index and a number of lots.
type level struct{ ticks, lots int64 }

// change records one level touched while building a book update: its quantity before the
// update (orig, 0 when absent) and after (lots, 0 when deleted).
type change struct {
	bid        bool
	ticks      int64
	orig, lots int64
}

// Probabilities of the step model (see doc.go).
const (
	pMarket     = 0.45 // taker is a market order (else a limit order at or through the touch)
	pThrough    = 0.10 // a limit taker prices beyond the touch, so it may sweep
	pRest       = 0.5  // an unfilled limit remainder rests as the new touch
	pRefill     = 0.6  // a side whose touch fell behind fair value refills it this step
	maxFills    = 8    // trades one taker order may print
	tradeChurn  = 0.5  // mean extra book changes in a trade step
	bookChurn   = 1.5  // mean book changes in a book-only step (at least one)
	pChurnSize  = 0.5  // churn op: re-size a level
	pChurnCxl   = 0.25 // churn op: cancel a level (else insert one into a gap)
	maxWaitSecs = 86400
)

// pairModel generates one pair. Its book (bids, asks) always equals the book a consumer
// gets by applying every event emitted so far.
type pairModel struct {
	params
	pair  feed.Pair
	start time.Time
	r     rng

	started bool
	tns     int64 // time of the next step, ns after start
	tradeID uint64

	lnF    float64 // log of the fair price in ticks
	lnMin  float64 // reflecting bounds of lnF
	lnMax  float64
	h      float64 // conditional variance of the next step's log return
	excess float64 // self-excited part of the step intensity just after the last step
	mu     float64 // baseline step intensity
	alpha  float64 // intensity jump per step
	beta   float64 // intensity decay per second

	idealBid, idealAsk int64

	bids, asks []level // best first
	chg        []change
	chgSeen    uint64 // bit ticks%64 is set when a change at such a price is in chg

	levelQ, takerQ quantiles

	pxTicks int64 // cache: the last trade price, shared between trades at the same level
	px      decimal.Decimal
}

func newPairModel(p params, seed uint64, start time.Time) *pairModel {
	m := &pairModel{
		params:  p,
		pair:    p.info.Pair,
		start:   start,
		r:       newRNG(seed, p.info.Pair),
		lnF:     flog(float64(p.startTicks)),
		lnMin:   flog(p.minTicks),
		lnMax:   flog(p.maxTicksF),
		h:       p.stepVar,
		bids:    make([]level, 0, 2*p.depth+maxFills+2),
		asks:    make([]level, 0, 2*p.depth+maxFills+2),
		chg:     make([]change, 0, 4*p.depth+8),
		pxTicks: -1,
	}
	logNormalQuantiles(&m.levelQ, p.levelLogMed, levelSigma)
	logNormalQuantiles(&m.takerQ, p.takerLogMed, takerSigma)
	m.beta = hawkesDecay * p.stepRate
	m.alpha = hawkesBranch * m.beta
	m.mu = p.stepRate * (1 - hawkesBranch)
	m.setIdeal()
	m.fill(true, true)
	m.fill(false, true)
	m.trim(true)
	m.trim(false)
	m.chg, m.chgSeen = m.chg[:0], 0
	return m
}

func (m *pairModel) side(bid bool) *[]level {
	if bid {
		return &m.bids
	}
	return &m.asks
}

// better reports whether price a is better than b on a side (higher bid, lower ask).
func better(bid bool, a, b int64) bool {
	if bid {
		return a > b
	}
	return a < b
}

// note records a level change for the next flush; a level changed twice keeps its first
// orig and its last lots.
func (m *pairModel) note(bid bool, ticks, orig, lots int64) {
	bit := uint64(1) << (uint64(ticks) & 63)
	if m.chgSeen&bit != 0 { // maybe noted before: look
		for i := range m.chg {
			c := &m.chg[i]
			if c.bid == bid && c.ticks == ticks {
				c.lots = lots
				return
			}
		}
	}
	m.chgSeen |= bit
	m.chg = append(m.chg, change{bid: bid, ticks: ticks, orig: orig, lots: lots})
}

// insert adds lots at ticks (adding to an existing level), recording the change.
func (m *pairModel) insert(bid bool, ticks, lots int64) {
	s := m.side(bid)
	lv := *s
	lo, hi := 0, len(lv)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if better(bid, lv[mid].ticks, ticks) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(lv) && lv[lo].ticks == ticks {
		old := lv[lo].lots
		lv[lo].lots = min(old+lots, m.maxLots)
		m.note(bid, ticks, old, lv[lo].lots)
		return
	}
	lv = append(lv, level{})
	copy(lv[lo+1:], lv[lo:])
	lv[lo] = level{ticks, lots}
	*s = lv
	m.note(bid, ticks, 0, lots)
}

// remove deletes the i-th level of a side, recording the change.
func (m *pairModel) remove(bid bool, i int) {
	s := m.side(bid)
	l := (*s)[i]
	*s = append((*s)[:i], (*s)[i+1:]...)
	m.note(bid, l.ticks, l.lots, 0)
}

// resize sets the i-th level's quantity, recording the change.
func (m *pairModel) resize(bid bool, i int, lots int64) {
	l := &(*m.side(bid))[i]
	m.note(bid, l.ticks, l.lots, lots)
	l.lots = lots
}

// levelLots draws the size of a new resting level.
func (m *pairModel) levelLots() int64 { return m.draw(&m.levelQ) }

// takerLots draws the size of a taker order.
func (m *pairModel) takerLots() int64 { return m.draw(&m.takerQ) }

// draw samples a size from a quantile table, interpolating linearly between quantiles:
// one random number and no transcendental function per draw.
func (m *pairModel) draw(q *quantiles) int64 {
	u := m.r.pcg.Uint64()
	i := u >> (64 - quantileBits)
	f := float64(u<<quantileBits>>11) * 0x1p-53
	x := q[i] + float64(f*(q[i+1]-q[i]))
	return min(max(int64(x+0.5), m.minLots), m.maxLots)
}

const quantileBits = 10

// quantiles holds a log-normal distribution's quantiles at (i+½)/N, i < N, plus a last
// entry equal to the N-1st, so that draw can interpolate above the last quantile.
type quantiles [1<<quantileBits + 1]float64

func logNormalQuantiles(q *quantiles, logMedian, sigma float64) {
	const n = 1 << quantileBits
	for i := range n {
		z := normQuantile((float64(i) + 0.5) / n)
		q[i] = fexp(logMedian + float64(sigma*z))
	}
	q[n] = q[n-1]
}

// gapDraw returns a level spacing in ticks: uniform on 1..2·gap-1, mean gap.
func (m *pairModel) gapDraw() int64 {
	if m.gap == 1 {
		return 1
	}
	return 1 + m.r.intn(2*m.gap-1)
}

func (m *pairModel) setIdeal() {
	ft := fexp(m.lnF)
	m.idealBid = int64(math.Floor(ft - float64(float64(m.spread)/2))) // x/2 is x*0.5: keep it unfused
	m.idealAsk = m.idealBid + m.spread
}

// time returns the exchange time of the current step, on the microsecond.
func (m *pairModel) time() time.Time {
	return m.start.Add(time.Duration(m.tns - m.tns%1000))
}

// schedule advances tns to the next step of a Hawkes process with an exponential kernel,
// simulated exactly (Dassios & Zhao 2013): the next step comes from either the baseline
// Poisson process or the decaying self-excited part, whichever fires first.
func (m *pairModel) schedule() {
	wait := m.r.expo() / m.mu
	if m.excess > 0 {
		if d := 1 + m.beta*flog(m.r.floatPos())/m.excess; d > 0 {
			wait = min(wait, -flog(d)/m.beta)
		}
	}
	wait = min(wait, maxWaitSecs)
	m.excess = float64(m.excess*fexp(-m.beta*wait)) + m.alpha
	m.tns += int64(wait * 1e9)
}

// step appends the pair's next step: its snapshot the first time, then either a taker order
// (trades, each followed by the update that consumes its level) or a book-only change,
// followed by the update that re-centres and refills the book. At most maxTrades trades are
// printed (maxTrades ≥ 1). It returns the number of trades.
func (m *pairModel) step(dst []feed.Event, maxTrades int, a *arena) ([]feed.Event, int) {
	t := m.time()
	if !m.started {
		m.started = true
		dst = m.snapshot(dst, t, a)
		m.schedule()
		return dst, 0
	}
	// GARCH(1,1) on the fair price's log return.
	z := m.r.norm()
	ret := float64(math.Sqrt(m.h) * z) // float64(): no fused multiply-add, see doc.go
	m.h = float64(m.stepVar*(1-garchAlpha-garchBeta)) + float64(garchAlpha*ret*ret) + float64(garchBeta*m.h)
	m.lnF += ret
	if lo := m.lnMin; m.lnF < lo {
		m.lnF = float64(2*lo) - m.lnF
	} else if hi := m.lnMax; m.lnF > hi {
		m.lnF = float64(2*hi) - m.lnF
	}
	m.setIdeal()

	trades := 0
	if m.r.float() < m.pTrade {
		dst, trades = m.take(dst, t, z, maxTrades, a)
	}
	// Quotes that the new fair price makes stale are pulled.
	for len(m.bids) > 0 && m.bids[0].ticks >= m.idealAsk {
		m.remove(true, 0)
	}
	for len(m.asks) > 0 && m.asks[0].ticks <= m.idealBid {
		m.remove(false, 0)
	}
	mean := bookChurn - 1
	n := 1
	if trades > 0 {
		mean, n = tradeChurn, 0
	}
	for m.r.float() < mean/(1+mean) { // geometric count with the wanted mean
		n++
	}
	for range n {
		m.churn()
	}
	m.fill(true, false)
	m.fill(false, false)
	m.trim(true)
	m.trim(false)
	var ok bool
	dst, ok = m.flush(dst, t, a)
	if !ok && trades == 0 {
		// Every book-only step shows at least one change.
		bid := m.r.float() < 0.5
		if len(*m.side(bid)) == 0 {
			bid = !bid
		}
		old, n := (*m.side(bid))[0].lots, m.levelLots()
		if n == old {
			if n < m.maxLots {
				n++
			} else {
				n--
			}
		}
		m.resize(bid, 0, n)
		dst, _ = m.flush(dst, t, a)
	}
	m.schedule()
	return dst, trades
}

// take runs one taker order against the book: it consumes levels from the touch outward,
// printing one trade and one book update per level touched.
func (m *pairModel) take(dst []feed.Event, t time.Time, z float64, maxTrades int, a *arena) ([]feed.Event, int) {
	buy := m.r.float() < min(0.9, max(0.1, 0.5+float64(0.25*z))) // order flow leans with the price move
	market := m.r.float() < pMarket
	size := m.takerLots()
	opp := m.side(!buy) // a buyer takes asks
	if len(*opp) == 0 {
		return dst, 0
	}
	limit := (*opp)[0].ticks
	if !market && m.r.float() < pThrough {
		through := m.gap * (1 + m.r.intn(3))
		if buy {
			limit += through
		} else {
			limit -= through
		}
	}
	typ, side := feed.OrdLimit, feed.Sell
	if market {
		typ = feed.OrdMarket
	}
	if buy {
		side = feed.Buy
	}
	fills := 0
	for fills < min(maxFills, maxTrades) && size > 0 && len(*opp) > 0 {
		l := (*opp)[0]
		if !market && better(!buy, limit, l.ticks) { // level beyond the taker's limit
			break
		}
		q := min(size, l.lots)
		if q == l.lots && len(*opp) == 1 {
			q = l.lots - 1 // never empty a side
			if q <= 0 {
				break
			}
		}
		m.tradeID++
		dst = append(dst, feed.Event{
			Kind: feed.KindTrade, Pair: m.pair, Time: t, Recv: t,
			Trade: feed.Trade{
				Pair: m.pair, Side: side, OrdType: typ,
				Price: m.price(l.ticks), Qty: decimal.New(q*m.lotMant, -m.ld),
				ID: m.tradeID, Time: t,
			},
		})
		fills++
		size -= q
		left := l.lots - q
		if left == 0 {
			*opp = append((*opp)[:0], (*opp)[1:]...)
		} else {
			(*opp)[0].lots = left
		}
		u := a.update()
		*u = feed.BookUpdate{Pair: m.pair, Time: t}
		lv := a.levels(1)
		lv[0] = feed.BookLevel{Price: m.fixedPrice(l.ticks), Qty: m.fixedQty(left)}
		if buy {
			u.Asks = lv
		} else {
			u.Bids = lv
		}
		dst = append(dst, feed.Event{Kind: feed.KindBook, Pair: m.pair, Time: t, Recv: t, Book: u})
	}
	if !market && size >= m.minLots && fills > 0 && m.r.float() < pRest &&
		(len(*opp) == 0 || better(!buy, limit, (*opp)[0].ticks)) {
		// The unfilled part of the limit order rests at its limit: the new touch on its side.
		m.insert(buy, limit, size)
	}
	return dst, fills
}

// churn applies one random book change away from the trades: a new size for a level, a
// cancelled level, or a new level in a gap between two levels.
func (m *pairModel) churn() {
	bid := m.r.float() < 0.5
	lv := *m.side(bid)
	if len(lv) == 0 {
		return
	}
	u := m.r.float()
	switch {
	case u < pChurnSize:
		f := m.r.float()
		i := int(f * f * float64(len(lv))) // mostly near the touch
		m.resize(bid, i, m.levelLots())
	case u < pChurnSize+pChurnCxl:
		if len(lv) > 1 {
			m.remove(bid, int(m.r.intn(int64(len(lv)))))
		}
	default:
		if len(lv) > 1 {
			i := int(m.r.intn(int64(len(lv) - 1)))
			if d := lv[i].ticks - lv[i+1].ticks; d > 1 || d < -1 {
				off := 1 + m.r.intn(max(d, -d)-1)
				if !bid {
					off = -off
				}
				m.insert(bid, lv[i].ticks-off, m.levelLots())
			}
		}
	}
}

// fill puts levels between the side's ideal touch and its current touch when the touch has
// fallen behind fair value: always when the side is empty or far behind (or force), else
// with probability pRefill, so spreads sometimes stay wide for a step.
func (m *pairModel) fill(bid bool, force bool) {
	lv := *m.side(bid)
	ideal := m.idealAsk
	if bid {
		ideal = m.idealBid
	}
	if len(lv) > 0 {
		behind := lv[0].ticks - ideal
		if bid {
			behind = -behind
		}
		if behind <= 0 || (!force && behind <= 2*m.gap && m.r.float() >= pRefill) {
			return
		}
	}
	px := ideal
	for n := 0; n < m.depth && px >= 1 && px <= m.maxPriceTicks; n++ {
		if len(lv) > 0 && !better(bid, px, lv[0].ticks) { // reached the old touch
			break
		}
		m.insert(bid, px, m.levelLots())
		if bid {
			px -= m.gapDraw()
		} else {
			px += m.gapDraw()
		}
	}
}

// trim brings a side back to exactly depth levels: it cancels the worst ones, or adds
// levels behind the worst.
func (m *pairModel) trim(bid bool) {
	s := m.side(bid)
	for len(*s) > m.depth {
		m.remove(bid, len(*s)-1)
	}
	for len(*s) < m.depth && len(*s) > 0 {
		px := (*s)[len(*s)-1].ticks
		if bid {
			px -= m.gapDraw()
		} else {
			px += m.gapDraw()
		}
		if px < 1 || px > m.maxPriceTicks {
			return
		}
		m.insert(bid, px, m.levelLots())
	}
}

// flush emits the recorded changes as one book update; ok is false when nothing changed.
func (m *pairModel) flush(dst []feed.Event, t time.Time, a *arena) (_ []feed.Event, ok bool) {
	nb, na := 0, 0
	for _, c := range m.chg {
		if c.lots != c.orig {
			if c.bid {
				nb++
			} else {
				na++
			}
		}
	}
	if nb+na == 0 {
		m.chg, m.chgSeen = m.chg[:0], 0
		return dst, false
	}
	lv := a.levels(nb + na)
	bids, asks := lv[:0:nb], lv[nb:nb:nb+na]
	for _, c := range m.chg {
		if c.lots == c.orig {
			continue
		}
		l := feed.BookLevel{Price: m.fixedPrice(c.ticks), Qty: m.fixedQty(c.lots)}
		if c.bid {
			bids = append(bids, l)
		} else {
			asks = append(asks, l)
		}
	}
	m.chg, m.chgSeen = m.chg[:0], 0
	u := a.update()
	*u = feed.BookUpdate{Pair: m.pair, Time: t}
	if nb > 0 {
		u.Bids = bids
	}
	if na > 0 {
		u.Asks = asks
	}
	return append(dst, feed.Event{Kind: feed.KindBook, Pair: m.pair, Time: t, Recv: t, Book: u}), true
}

func (m *pairModel) snapshot(dst []feed.Event, t time.Time, a *arena) []feed.Event {
	lv := a.levels(len(m.bids) + len(m.asks))
	nb := len(m.bids)
	for i, l := range m.bids {
		lv[i] = feed.BookLevel{Price: m.fixedPrice(l.ticks), Qty: m.fixedQty(l.lots)}
	}
	for i, l := range m.asks {
		lv[nb+i] = feed.BookLevel{Price: m.fixedPrice(l.ticks), Qty: m.fixedQty(l.lots)}
	}
	u := a.update()
	*u = feed.BookUpdate{Pair: m.pair, Snapshot: true, Time: t, Bids: lv[:nb:nb], Asks: lv[nb:]}
	return append(dst, feed.Event{Kind: feed.KindBook, Pair: m.pair, Time: t, Recv: t, Book: u})
}

func (m *pairModel) fixedPrice(ticks int64) feed.Fixed {
	return feed.Fixed{Mant: ticks * m.tickMant, Scale: m.pd}
}

func (m *pairModel) fixedQty(lots int64) feed.Fixed {
	return feed.Fixed{Mant: lots * m.lotMant, Scale: m.ld}
}

// price returns a trade price as a decimal, reusing the last one when the price repeats:
// decimals are immutable, so trades may share one.
func (m *pairModel) price(ticks int64) decimal.Decimal {
	if ticks != m.pxTicks {
		m.pxTicks, m.px = ticks, decimal.New(ticks*m.tickMant, -m.pd)
	}
	return m.px
}

// book returns the pair's current book as a feed.Book.
func (m *pairModel) book() *feed.Book {
	b := feed.NewBook(m.pair, m.depth)
	u := feed.BookUpdate{Pair: m.pair, Snapshot: true,
		Bids: make([]feed.BookLevel, len(m.bids)), Asks: make([]feed.BookLevel, len(m.asks))}
	for i, l := range m.bids {
		u.Bids[i] = feed.BookLevel{Price: m.fixedPrice(l.ticks), Qty: m.fixedQty(l.lots)}
	}
	for i, l := range m.asks {
		u.Asks[i] = feed.BookLevel{Price: m.fixedPrice(l.ticks), Qty: m.fixedQty(l.lots)}
	}
	_ = b.Apply(&u) // cannot fail: prices positive, scales in range
	return b
}
