package sim

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/internal/pow10"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Reasons for cancellations by the matching rules.
const (
	// ReasonPriceProtection: a market-priced order reached its price protection bound.
	ReasonPriceProtection = "market price protection"
	// ReasonSelfTrade: self-trade prevention cancelled the order (Kraken's stptype).
	ReasonSelfTrade = "self trade prevented"
)

// matching is the exchange's matching state beyond orders and markets.
type matching struct {
	mpp       decimal.Decimal // market price protection threshold, percent; zero: off
	printLeft decimal.Decimal // what the print being processed may still fill for this account
	crossed   uint64          // book messages that left a book crossed
}

// CrossedBooks returns how many book messages left the exchange's copy of a book crossed (best
// bid at or above best ask); such a book is not used until a message uncrosses it.
func (e *Exchange) CrossedBooks() uint64 { return e.crossed }

// stp applies self-trade prevention before taker o fills at key: if a resting order of this
// account on the other side is at or better than key, the taker would trade with it. With
// cancel-newest (Kraken's default) the taker is cancelled; with cancel-oldest the resting
// orders it would reach are cancelled and it goes on; cancel-both cancels both. It reports
// whether o can no longer fill.
func (e *Exchange) stp(o *order, key int64) bool {
	m := o.m
	kind := inBids
	if o.o.Side == feed.Buy {
		kind = inAsks
	}
	list := *m.listFor(kind)
	reach := func(r *order) bool {
		if o.o.Side == feed.Buy {
			return r.limitKey <= key
		}
		return r.limitKey >= key
	}
	if len(list) == 0 || !reach(list[0]) {
		return false
	}
	if o.o.STP != strategy.STPCancelNewest {
		for {
			var next *order
			for _, r := range *m.listFor(kind) {
				if r.list != inNone && reach(r) {
					next = r
					break
				}
			}
			if next == nil {
				break
			}
			e.finish(next, strategy.StatusCanceled, ReasonSelfTrade)
		}
	}
	if o.o.STP != strategy.STPCancelOldest {
		e.finish(o, strategy.StatusCanceled, ReasonSelfTrade)
		return true
	}
	return false
}

func (e *Exchange) initMatching() {
	e.mpp = e.cfg.MarketProtectionPct
	if e.mpp.Sign() <= 0 {
		e.mpp = DefaultMarketProtectionPct
	}
	if e.cfg.NoMarketProtection {
		e.mpp = decimal.Zero
	}
}

// ---- arrival -------------------------------------------------------------------------------

// arrive is an order reaching the exchange after its latency (enter has resolved its relative
// prices and cancelled a post-only order that would take) or a conditional close being placed.
func (e *Exchange) arrive(o *order) {
	if o.status != strategy.StatusPending {
		return
	}
	m := o.m
	if err := e.admit(m, &o.o); err != nil {
		e.finish(o, strategy.StatusRejected, err.Error())
		return
	}
	o.status = strategy.StatusOpen
	e.prio++
	o.prio = e.prio
	if o.o.Type == strategy.SettlePosition {
		e.emit(o, "")
		e.settle(o)
		return
	}
	if o.o.QuoteQty.Sign() > 0 {
		// viqc: sized before it is reported open, so its updates always carry a quantity.
		e.startTaking(o)
		if !e.sizeQuote(o) {
			return
		}
	}
	e.emit(o, "")
	switch o.o.Type {
	case strategy.Market:
		e.takeMarket(o)
	case strategy.Limit:
		e.placeLimit(o)
	case strategy.StopLoss, strategy.StopLossLimit:
		if o.o.Side == feed.Sell {
			m.add(o, inTrigLE)
		} else {
			m.add(o, inTrigGE)
		}
	case strategy.TakeProfit, strategy.TakeProfitLimit:
		if o.o.Side == feed.Sell {
			m.add(o, inTrigGE)
		} else {
			m.add(o, inTrigLE)
		}
	case strategy.TrailingStop, strategy.TrailingStopLimit:
		if m.hasLast {
			e.trail(o, m.lastKey.k)
		}
		m.add(o, inTrailing)
	}
}

// wouldTake reports whether a limit at key on side would take liquidity now: against the
// opposite best quote of a usable book, else (no book) if it is strictly through the last
// trade. With neither known it would not.
func (e *Exchange) wouldTake(m *market, side feed.Side, key int64) bool {
	if m.bookUsable() {
		bs := side.Opposite()
		if m.book.Len(bs) == 0 {
			return false
		}
		k, ok := m.book.Level(bs, 0).Price.Rescale(m.scale)
		lvl := feed.Fixed{Mant: key, Scale: m.scale}
		if !ok {
			c := lvl.Cmp(m.book.Level(bs, 0).Price)
			return (side == feed.Buy && c >= 0) || (side == feed.Sell && c <= 0)
		}
		if side == feed.Buy {
			return key >= k.Mant
		}
		return key <= k.Mant
	}
	if m.hasLast {
		if side == feed.Buy {
			return m.lastKey.lt(key)
		}
		return m.lastKey.gt(key)
	}
	return false
}

// taking is an order's state while it takes liquidity. A taker is never priced better than the
// market it found on arrival (floor: the deepest book level it took, or the best opposite quote
// or last trade when it took none), and market price protection bounds how far from that
// reference it may go.
type taking struct {
	floor    int64 // buy: no fill below; sell: no fill above (price key)
	hasFloor bool
	bound    int64 // market price protection: buy: no fill above; sell: no fill below
	hasBound bool
	once     bool // takes from the first print after arrival only, then rests (limit) or ends (IOC)
}

// startTaking fixes a taker's reference on arrival or trigger: the floor its fills may not beat
// and, for market-priced orders, the market price protection bound.
func (e *Exchange) startTaking(o *order) {
	m := o.m
	o.taking = taking{}
	ref, ok := m.marketRef(o.o.Side)
	if !ok {
		return
	}
	buy := o.o.Side == feed.Buy
	if k, exact, ok := toKey(ref, m.scale); ok {
		if buy && !exact {
			k++
		}
		o.floor, o.hasFloor = k, true
	}
	if e.protect(o) {
		f := e.mpp.Shift(-2)
		var b decimal.Decimal
		if buy {
			b = ref.Add(ref.Mul(f))
		} else {
			b = ref.Sub(ref.Mul(f))
		}
		if k, exact, ok := toKey(b, m.scale); ok {
			if !buy && !exact {
				k++
			}
			o.bound, o.hasBound = k, true
		}
	}
}

// protect reports whether market price protection applies to o: market-priced orders (market,
// stop-loss, take-profit, trailing-stop) unless the exchange or the order turns it off.
func (e *Exchange) protect(o *order) bool {
	return e.mpp.Sign() > 0 && !o.o.NoMPP && marketPriced(o.o.Type)
}

// beyondBound reports whether a fill at key would break o's price protection.
func (o *order) beyondBound(key int64) bool {
	if !o.hasBound {
		return false
	}
	if o.o.Side == feed.Buy {
		return key > o.bound
	}
	return key < o.bound
}

// noBetter moves a taker's fill price key to its floor when it would beat it.
func (o *order) noBetter(key int64) int64 {
	if !o.hasFloor {
		return key
	}
	if o.o.Side == feed.Buy {
		return max(key, o.floor)
	}
	return min(key, o.floor)
}

// deepen records the deepest level a taker took: later fills are never priced better.
func (o *order) deepen(key int64) {
	if !o.hasFloor || (o.o.Side == feed.Buy && key > o.floor) || (o.o.Side == feed.Sell && key < o.floor) {
		o.floor, o.hasFloor = key, true
	}
}

// takeMarket executes a market order (or a triggered stop): walk a usable book now; what the
// book cannot fill is filled only by later prints (awaiting), or cancelled for IOC.
func (e *Exchange) takeMarket(o *order) {
	e.startTaking(o)
	if o.o.QuoteQty.Sign() > 0 && !e.sizeQuote(o) {
		return
	}
	if o.m.bookUsable() {
		e.walk(o, false)
		if o.status.Done() {
			return
		}
		if o.o.TimeInForce == strategy.IOC {
			e.finish(o, strategy.StatusCanceled, ReasonNoFill)
			return
		}
	} else if o.o.TimeInForce == strategy.IOC {
		o.once = true
	}
	o.m.add(o, inAwaiting)
}

// placeLimit places a limit order (or a triggered *-limit): it takes what it can if it is
// marketable, then rests (IOC: is cancelled). Without a book, a limit through the last trade
// takes from the first print after it arrives and then rests.
func (e *Exchange) placeLimit(o *order) {
	m := o.m
	if e.wouldTake(m, o.o.Side, o.limitKey) {
		e.startTaking(o)
		if m.bookUsable() {
			e.walk(o, true)
			if o.status.Done() {
				return
			}
		} else {
			o.once = true
			if e.cfg.Model == Pessimistic {
				o.floor, o.hasFloor = o.limitKey, true // the worst the limit allows
			}
			m.add(o, inAwaiting)
			return
		}
	}
	if o.o.TimeInForce == strategy.IOC {
		e.finish(o, strategy.StatusCanceled, ReasonIOC)
		return
	}
	e.rest(o)
}

// rest puts a limit order on the account's book, behind the quantity the exchange's book shows
// at its price. When the book does not show its price (no usable book, or the price lies
// beyond the levels the subscription shows) the queue is unknown and the order fills only
// from trades through its price.
func (e *Exchange) rest(o *order) {
	m := o.m
	side := o.o.Side
	o.taking = taking{}
	o.queueKnown, o.lateQueue = m.inView(side, o.limitKey), false
	o.queue, o.queue0 = decimal.Zero, decimal.Zero
	if o.queueKnown {
		o.queue = m.levelQty(side, o.limitKey)
		o.queue0 = o.queue
	}
	if side == feed.Buy {
		m.add(o, inBids)
	} else {
		m.add(o, inAsks)
	}
}

// walk takes liquidity from the book for o, best level first, up to its limit when limited and
// up to its price protection bound. Each level gives at most what the book shows minus what
// this account and later prints already took there (the pessimistic model sees only its
// fraction of each level). A market-priced order that reaches its protection bound has the
// rest cancelled.
func (e *Exchange) walk(o *order, limited bool) {
	m := o.m
	bs := o.o.Side.Opposite() // book side taken: asks for a buy
	lim := feed.Fixed{Mant: o.limitKey, Scale: m.scale}
	n := m.book.Len(bs)
	for i := 0; i < n; i++ {
		rem := o.o.Qty.Sub(o.filled)
		if rem.Sign() <= 0 || o.status.Done() {
			return
		}
		lv := m.book.Level(bs, i)
		if limited {
			c := lv.Price.Cmp(lim)
			if (o.o.Side == feed.Buy && c > 0) || (o.o.Side == feed.Sell && c < 0) {
				return
			}
		}
		k, ok := lv.Price.Rescale(m.scale)
		if !ok {
			continue // a price off the pair's grid cannot be traded at
		}
		if o.beyondBound(k.Mant) {
			e.finish(o, strategy.StatusCanceled, ReasonPriceProtection)
			return
		}
		lots := m.lots(lv.Qty)
		if e.cfg.Model == Pessimistic {
			lots = m.decLots(m.truncLot(decimal.New(lots, -m.lot).Mul(e.frac)))
		}
		lots -= m.consumedAt(bs, lv.Price)
		if lots <= 0 {
			continue
		}
		q := o.quoteCap(m.truncLot(decimal.Min(rem, decimal.New(lots, -m.lot))), k.Decimal())
		if q.Sign() <= 0 {
			if e.quoteSpent(o, k.Decimal()) {
				return
			}
			continue
		}
		if e.stp(o, k.Mant) {
			return
		}
		price := k.Decimal()
		if e.cfg.Model == Pessimistic {
			// The adverse model pays its slippage on book levels too, within the limit.
			if sp, ok := e.slipped(m, price, o.o.Side); ok {
				price = sp
			}
			if limited && ((o.o.Side == feed.Buy && price.Cmp(o.limit) > 0) || (o.o.Side == feed.Sell && price.Cmp(o.limit) < 0)) {
				price = o.limit
			}
		}
		got := e.fill(o, price, q, strategy.Taker, strategy.Provenance{
			Model:  "book",
			Levels: []feed.BookLevel{lv},
			Note:   e.modelNote(),
		})
		if got.Sign() > 0 {
			m.consume(bs, lv, got)
			o.deepen(k.Mant)
		}
		if e.quoteSpent(o, price) {
			return
		}
	}
}

func (e *Exchange) modelNote() string {
	if e.cfg.Model == Conservative {
		return ""
	}
	return e.cfg.Model.String()
}

// ---- trades ----------------------------------------------------------------------------------

func (e *Exchange) onTrade(pair feed.Pair, t *feed.Trade) {
	m := e.market(pair)
	if m == nil {
		e.bad++
		return
	}
	pk, exact, ok := toKey(t.Price, m.scale)
	if !ok || pk <= 0 || t.Qty.Sign() <= 0 {
		e.bad++
		if ce := e.log.Check(zap.DebugLevel, "sim: unusable trade"); ce != nil {
			ce.Write(zap.String("pair", string(pair)), zap.Stringer("price", t.Price), zap.Stringer("qty", t.Qty))
		}
		return
	}
	p := tradeKey{k: pk, exact: exact}
	m.last, m.lastKey, m.hasLast = t.Price, p, true
	e.led.Mark(pair, t.Price)
	if !e.online(m) {
		return
	}
	// One print fills at most its quantity across all of this account's orders (the
	// pessimistic model: at most its share), whichever way they use it.
	e.printLeft = t.Qty
	if e.cfg.Model == Pessimistic {
		e.printLeft = m.truncLot(t.Qty.Mul(e.frac))
	}
	if len(m.awaiting) > 0 {
		e.fillAwaiting(m, t, p)
	}
	switch t.Side {
	case feed.Sell:
		if len(m.bids) > 0 && !p.gt(m.bids[0].limitKey) {
			e.matchResting(m, t, p, inBids)
		}
	case feed.Buy:
		if len(m.asks) > 0 && !p.lt(m.asks[0].limitKey) {
			e.matchResting(m, t, p, inAsks)
		}
	}
	// The print took book liquidity: stops it triggers, and takers arriving before the book
	// says so, see the book after it.
	if m.bookUsable() && (t.Side == feed.Buy || t.Side == feed.Sell) {
		m.printedThrough(t.Side, p, t.Qty)
	}
	if len(m.trigLE) > 0 && p.le(m.trigLE[0].trigKey) {
		for _, o := range m.trigLE {
			if !p.le(o.trigKey) {
				break
			}
			e.trig = append(e.trig, o)
		}
	}
	if len(m.trigGE) > 0 && p.ge(m.trigGE[0].trigKey) {
		for _, o := range m.trigGE {
			if !p.ge(o.trigKey) {
				break
			}
			e.trig = append(e.trig, o)
		}
	}
	for _, o := range m.trailing {
		if e.trail(o, p.k) {
			if (o.o.Side == feed.Sell && p.le(o.level)) || (o.o.Side == feed.Buy && p.ge(o.level)) {
				e.trig = append(e.trig, o)
			}
		}
	}
	if len(e.trig) > 0 {
		e.fire(m)
	}
	if e.margin.open {
		e.marginRisk() // the new price may call or liquidate the account's margin positions
	}
}

// matchResting fills this account's resting orders on one side from one printed trade whose
// taker was on the other side. Orders are visited best price first, then by time priority;
// the printed quantity is shared among them (and with the takers it already filled), never
// reused.
func (e *Exchange) matchResting(m *market, t *feed.Trade, p tradeKey, k listKind) {
	list := m.iterate(k)
	defer m.sweep()
	for _, o := range list {
		through := p.lt(o.limitKey)
		if k == inAsks {
			through = p.gt(o.limitKey)
		}
		if !through && !p.eq(o.limitKey) {
			break
		}
		if o.list != k || o.noMatchEv == e.evn || e.expiredAt(o, e.now) {
			continue
		}
		rem := o.o.Qty.Sub(o.filled)
		var q decimal.Decimal
		switch e.cfg.Model {
		case Optimistic:
			q = rem
		case Pessimistic:
			// At least one full tick through, even for a wire price between ticks.
			if (k == inBids && !p.le(o.limitKey-m.tick)) || (k == inAsks && !p.ge(o.limitKey+m.tick)) {
				continue
			}
			q = decimal.Min(rem, e.printLeft)
		default:
			if through {
				o.queue = decimal.Zero
				q = decimal.Min(rem, e.printLeft)
			} else {
				if !o.queueKnown {
					continue // price only touched: with the queue unknown it must trade through
				}
				ahead := o.queue
				o.queue = decimal.Max(decimal.Zero, o.queue.Sub(t.Qty))
				q = decimal.Min(rem, e.printLeft.Sub(ahead))
			}
		}
		q = m.truncLot(q)
		if q.Sign() <= 0 {
			continue
		}
		prov := strategy.Provenance{Model: e.cfg.Model.String(), QueueAhead: o.queue0}
		if t.ID != 0 {
			prov.TradeIDs = []uint64{t.ID}
		}
		if !o.queueKnown && e.cfg.Model == Conservative {
			prov.Note = "queue unknown: traded through"
		} else if o.lateQueue && e.cfg.Model == Conservative {
			prov.Note = "queue from a later snapshot"
		}
		got := e.fill(o, o.limit, q, strategy.Maker, prov)
		if e.cfg.Model != Optimistic {
			e.printLeft = e.printLeft.Sub(got)
		}
	}
}

// fillAwaiting fills takers waiting for prints: each print fills up to its quantity (shared by
// all of this account's orders) at its own price, moved against the taker by the slippage,
// rounded to the tick against it, and never better than the market the taker found (its
// floor). A limit taker fills no worse than its limit; if the print is beyond its limit it
// stops taking and rests. A market-priced taker whose fill would break its price protection
// is cancelled. A taker marked once (a limit, or an IOC, that arrived without a book) takes
// from this first print only.
func (e *Exchange) fillAwaiting(m *market, t *feed.Trade, p tradeKey) {
	list := m.iterate(inAwaiting)
	defer m.sweep()
	for _, o := range list {
		if o.list != inAwaiting || o.noMatchEv == e.evn || e.expiredAt(o, e.now) {
			continue
		}
		if e.printLeft.Sign() <= 0 && !o.once {
			continue
		}
		price, ok := e.slipped(m, t.Price, o.o.Side)
		if !ok {
			continue
		}
		pk, _, _ := toKey(price, m.scale)
		pk = o.noBetter(pk)
		if o.hasLimit && ((o.o.Side == feed.Buy && pk > o.limitKey) || (o.o.Side == feed.Sell && pk < o.limitKey)) {
			if (o.o.Side == feed.Buy && p.le(o.limitKey)) || (o.o.Side == feed.Sell && p.ge(o.limitKey)) {
				pk = o.limitKey // the print is within the limit; the slippage or floor is not
			} else {
				// The market moved away: it stops taking and rests (IOC: cancelled).
				m.remove(o)
				o.noMatchEv = e.evn
				e.endTaking(o)
				continue
			}
		}
		if o.beyondBound(pk) {
			e.finish(o, strategy.StatusCanceled, ReasonPriceProtection)
			continue
		}
		if e.stp(o, pk) {
			continue
		}
		price = fromKey(pk, m.scale)
		q := o.quoteCap(m.truncLot(decimal.Min(o.o.Qty.Sub(o.filled), e.printLeft)), price)
		if q.Sign() > 0 {
			prov := strategy.Provenance{Model: "next-trade", Note: e.slipNote()}
			if t.ID != 0 {
				prov.TradeIDs = []uint64{t.ID}
			}
			got := e.fill(o, price, q, strategy.Taker, prov)
			e.printLeft = e.printLeft.Sub(got)
		}
		if e.quoteSpent(o, price) {
			continue
		}
		if o.once && !o.status.Done() {
			m.remove(o)
			o.noMatchEv = e.evn
			e.endTaking(o)
		}
	}
}

// sizeQuote gives a quote-sized market buy (viqc) its base quantity on arrival: the most its
// quote amount buys at the price it found, a bound no fill can beat (fills are never priced
// better than that). Without a price it cannot be sized and is cancelled.
func (e *Exchange) sizeQuote(o *order) bool {
	if !o.o.Qty.IsZero() {
		return true // sized before (a restored order)
	}
	if !o.hasFloor || o.floor <= 0 {
		e.finish(o, strategy.StatusCanceled, ReasonNoFill)
		return false
	}
	o.o.Qty = o.m.truncLot(o.o.QuoteQty.Div(fromKey(o.floor, o.m.scale)))
	if o.o.Qty.Sign() <= 0 {
		e.finish(o, strategy.StatusCanceled, ReasonNoFill)
		return false
	}
	return true
}

// quoteCap cuts a fill of q at price to what a quote-sized order's unspent quote still buys.
func (o *order) quoteCap(q, price decimal.Decimal) decimal.Decimal {
	if o.o.QuoteQty.Sign() <= 0 {
		return q
	}
	left := o.o.QuoteQty.Sub(o.cost)
	return decimal.Min(q, o.m.truncLot(left.Div(price)))
}

// quoteSpent closes a quote-sized order whose unspent quote buys less than one lot step at
// price: its quantity becomes what it bought.
func (e *Exchange) quoteSpent(o *order, price decimal.Decimal) bool {
	if o.o.QuoteQty.Sign() <= 0 || o.status.Done() {
		return false
	}
	if o.m.truncLot(o.o.QuoteQty.Sub(o.cost).Div(price)).Sign() > 0 {
		return false
	}
	if o.filled.Sign() > 0 {
		o.o.Qty = o.filled
		e.finish(o, strategy.StatusClosed, "")
	} else {
		e.finish(o, strategy.StatusCanceled, ReasonNoFill)
	}
	return true
}

// endTaking ends a taker's taking phase: a limit rests, anything else is cancelled (IOC).
func (e *Exchange) endTaking(o *order) {
	if o.o.TimeInForce == strategy.IOC || !o.hasLimit {
		e.finish(o, strategy.StatusCanceled, ReasonIOC)
		return
	}
	e.rest(o)
}

// slipNote describes the slippage applied to next-trade fills.
func (e *Exchange) slipNote() string {
	s := "slippage " + e.slip.String() + "bp"
	if n := e.modelNote(); n != "" {
		s = n + ", " + s
	}
	return s
}

// slipped moves a trade price against a taker on side by the slippage and rounds it to the
// tick against the taker.
func (e *Exchange) slipped(m *market, price decimal.Decimal, side feed.Side) (decimal.Decimal, bool) {
	p := price
	if e.slip.Sign() != 0 {
		adj := price.Mul(e.slip).Shift(-4)
		if side == feed.Buy {
			p = price.Add(adj)
		} else {
			p = price.Sub(adj)
		}
	}
	k, exact, ok := toKey(p, m.scale)
	if !ok {
		return decimal.Decimal{}, false
	}
	if side == feed.Buy {
		if !exact {
			k++
		}
		k = ceilTo(k, m.tick)
	} else {
		k = floorTo(k, m.tick)
	}
	if k <= 0 {
		return decimal.Decimal{}, false
	}
	return fromKey(k, m.scale), true
}

// trail moves a trailing order's best price with a trade at key k and recomputes its trigger
// level; it reports whether the order has a level to compare with.
func (e *Exchange) trail(o *order, k int64) bool {
	m := o.m
	sell := o.o.Side == feed.Sell
	if o.hasExt && ((sell && k <= o.ext) || (!sell && k >= o.ext)) {
		return true
	}
	o.ext, o.hasExt = k, true
	var lvl int64
	var ok bool
	den := 100 * pow10.Int64(pctScale)
	switch {
	case o.pct > 0 && sell:
		lvl, ok = mulDiv(k, den-o.pct, den, false)
	case o.pct > 0:
		lvl, ok = mulDiv(k, den+o.pct, den, true)
	case sell:
		lvl, ok = k-o.offKey, true
	default:
		lvl, ok = k+o.offKey, k <= (1<<62)
	}
	if !ok {
		o.hasExt = false
		return false
	}
	if sell {
		o.level = floorTo(lvl, m.tick)
	} else {
		o.level = ceilTo(lvl, m.tick)
	}
	return true
}

// fire converts the stops triggered by the current trade: a market stop takes from the book
// (or waits for the next trade), a stop-limit becomes a limit order at its limit price.
func (e *Exchange) fire(m *market) {
	trig := e.trig
	for _, o := range trig {
		m.remove(o)
	}
	for i, o := range trig {
		trig[i] = nil
		if o.status.Done() || e.expiredAt(o, e.now) {
			continue
		}
		o.triggered = true
		o.noMatchEv = e.evn
		e.emit(o, ReasonTriggered)
		switch o.o.Type {
		case strategy.StopLoss, strategy.TakeProfit, strategy.TrailingStop:
			e.takeMarket(o)
		case strategy.StopLossLimit, strategy.TakeProfitLimit:
			o.setLimit(o.o.Price2)
			e.placeLimit(o)
		case strategy.TrailingStopLimit:
			e.setTrailingLimit(o)
			e.placeLimit(o)
		}
	}
	e.trig = trig[:0]
}

// setTrailingLimit derives a triggered trailing-stop-limit's limit price from its trigger
// level and limit offset: below the trigger for a sell, above for a buy, rounded to the tick
// away from the trigger. A buy's reservation is grown to the limit if funds allow.
func (e *Exchange) setTrailingLimit(o *order) {
	m := o.m
	off := o.o.Price2
	trigger := fromKey(o.level, m.scale)
	if o.o.Offset == strategy.OffsetPercent {
		off = trigger.Mul(off).Shift(-2)
	}
	var lim decimal.Decimal
	if o.o.Side == feed.Sell {
		lim = trigger.Sub(off)
	} else {
		lim = trigger.Add(off)
	}
	k, exact, _ := toKey(lim, m.scale)
	if o.o.Side == feed.Sell {
		k = floorTo(k, m.tick)
	} else {
		if !exact {
			k++
		}
		k = ceilTo(k, m.tick)
	}
	if k < m.tick {
		k = m.tick
	}
	o.setLimit(fromKey(k, m.scale))
	if o.o.Side == feed.Buy {
		o.resPrice = o.limit
		_, need := e.required(o, o.o.Qty.Sub(o.filled))
		if _, have, ok := e.led.Reservation(o.o.ID); ok && need.Cmp(have) > 0 {
			_ = e.led.Resize(o.o.ID, need) // if funds are short, fills are capped at fill time
		}
	}
}

// ---- book and ticker --------------------------------------------------------------------------

func (e *Exchange) onBook(u *feed.BookUpdate) {
	m := e.market(u.Pair)
	if m == nil {
		e.bad++
		return
	}
	if m.book == nil {
		if !u.Snapshot {
			return // useless until a snapshot
		}
		m.book = feed.NewBook(m.pair, 0)
	}
	if u.Snapshot && e.cfg.BookDepth == 0 {
		m.book.Depth = depthFor(max(len(u.Bids), len(u.Asks)))
	} else if e.cfg.BookDepth > 0 {
		m.book.Depth = e.cfg.BookDepth
	}
	if err := m.book.Apply(u); err != nil {
		e.bad++
		m.bookOK = false
		if ce := e.log.Check(zap.DebugLevel, "sim: book update refused; book unusable until a snapshot"); ce != nil {
			ce.Write(zap.String("pair", string(m.pair)), zap.Error(err))
		}
		return
	}
	if u.Snapshot {
		m.bookOK = true
	}
	if !m.bookOK {
		return
	}
	if m.checkCrossed(); m.crossed {
		e.crossed++
		if ce := e.log.Check(zap.DebugLevel, "sim: crossed book; not used until uncrossed"); ce != nil {
			ce.Write(zap.String("pair", string(m.pair)))
		}
	}
	if u.Snapshot {
		m.restateAll()
		e.requeueAll(m, m.bids, feed.Buy)
		e.requeueAll(m, m.asks, feed.Sell)
		return
	}
	m.restate(feed.Buy, u.Bids)
	m.restate(feed.Sell, u.Asks)
	if len(m.bids) > 0 && len(u.Bids) > 0 {
		e.requeue(m, m.bids, feed.Buy, u.Bids)
	}
	if len(m.asks) > 0 && len(u.Asks) > 0 {
		e.requeue(m, m.asks, feed.Sell, u.Asks)
	}
}

// requeue lowers the queue ahead of resting orders at levels an update re-stated (the real
// orders ahead are all in the book, so the queue ahead can never exceed the level's size:
// cancels ahead of the order show up this way), and forgets the queue of an order whose level
// the update pushed beyond the subscribed depth.
func (e *Exchange) requeue(m *market, list []*order, side feed.Side, levels []feed.BookLevel) {
	for i := range levels {
		k, ok := levels[i].Price.Rescale(m.scale)
		if !ok {
			continue
		}
		for _, o := range list {
			if o.limitKey == k.Mant && o.queueKnown && o.queue.Sign() > 0 {
				if q := levels[i].Qty.Decimal(); q.Cmp(o.queue) < 0 {
					o.queue = q
				}
			}
		}
	}
	for _, o := range list {
		if o.queueKnown && !m.inView(side, o.limitKey) {
			o.queueKnown, o.lateQueue = false, false
			o.queue = decimal.Zero
		}
	}
}

// requeueAll applies a new snapshot to every resting order's queue. A known queue survives
// while the snapshot shows its level, bounded by the level's size; an order whose price the
// snapshot does not show has an unknown queue again. An order whose queue was unknown and whose
// price the snapshot shows now assumes everything there is ahead of it: the most there can be.
func (e *Exchange) requeueAll(m *market, list []*order, side feed.Side) {
	for _, o := range list {
		if !m.inView(side, o.limitKey) {
			o.queueKnown, o.lateQueue = false, false
			o.queue = decimal.Zero
			continue
		}
		if !o.queueKnown {
			o.queueKnown, o.lateQueue = true, true
			o.queue = m.levelQty(side, o.limitKey)
			continue
		}
		if o.queue.Sign() > 0 {
			if q := m.levelQty(side, o.limitKey); q.Cmp(o.queue) < 0 {
				o.queue = q
			}
		}
	}
}

func (e *Exchange) onTicker(t *feed.Ticker) {
	m := e.market(t.Pair)
	if m == nil {
		return
	}
	m.tBid, m.tAsk, m.hasTicker = t.Bid, t.Ask, true
}
