package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/internal/pow10"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// market is the exchange's state for one pair: rules, last price, book, and this account's
// orders indexed so that a trade looks only at the orders it can reach.
type market struct {
	pair   feed.Pair
	info   feed.PairInfo
	status feed.PairStatus
	scale  int32 // price decimals
	tick   int64 // tick in keys (≥ 1)
	lot    int32 // lot decimals
	step   decimal.Decimal
	// stepIsLot: the quantity step is 10^-lot, so truncating to lot decimals is enough.
	stepIsLot bool
	maker     decimal.Decimal // fee percent
	taker     decimal.Decimal

	last    decimal.Decimal
	lastKey tradeKey
	hasLast bool

	book     *feed.Book
	bookOK   bool // a snapshot applied and nothing went wrong since
	crossed  bool // best bid at or above best ask: the copy is stale somewhere
	depth    int
	consumed []consumedLevel

	tBid, tAsk decimal.Decimal
	hasTicker  bool

	bids     []*order // resting buys: price descending, then priority
	asks     []*order // resting sells: price ascending, then priority
	trigLE   []*order // fire when a trade is ≤ trigKey: sell stop-loss, buy take-profit (desc)
	trigGE   []*order // fire when a trade is ≥ trigKey: buy stop-loss, sell take-profit (asc)
	trailing []*order
	awaiting []*order // takers waiting for the next trade

	// busy is the list being iterated by matching: remove only marks orders on it (list =
	// inNone) and sweep compacts it afterwards, so iteration never sees a shifted slice.
	busy  listKind
	dirty bool
}

// consumedLevel is book liquidity the simulator must not use although the book still shows it:
// what this account took (mine) and what prints took since the book last re-stated the level
// (printed). Kraken's book and trade channels are not ordered with each other, so the book may
// re-state a level before or after the trade that emptied it; the two parts are forgotten by
// different rules (see restate). Quantities are in lots (units of 10^-lot_decimals), so that
// a print on a known book costs integer arithmetic only.
type consumedLevel struct {
	side    feed.Side // Buy: bids, Sell: asks
	price   feed.Fixed
	mine    int64 // taken by this account's takers
	left    int64 // what the level shows once the book reflects mine
	printed int64 // taken by prints the book has not re-stated yet
}

func newMarket(p feed.Pair, info *feed.PairInfo, cfg *Config) *market {
	m := &market{pair: p, info: *info, status: info.Status, scale: info.PriceDecimals, lot: info.LotDecimals, tick: 1}
	if m.status == "" {
		m.status = feed.PairOnline
	}
	if m.info.Base == "" {
		m.info.Base = p.Base()
	}
	if m.info.Quote == "" {
		m.info.Quote = p.Quote()
	}
	if k, exact, ok := toKey(info.Tick, m.scale); ok && exact && k > 0 {
		m.tick = k
	}
	m.step = decimal.New(1, -m.lot)
	if info.LotStep.Sign() > 0 {
		m.step = info.LotStep
	}
	m.stepIsLot = m.step.Equal(decimal.New(1, -m.lot))
	m.maker, m.taker = cfg.feePercents(info)
	m.depth = cfg.BookDepth
	return m
}

func (m *market) bookUsable() bool { return m.book != nil && m.bookOK && !m.crossed }

// checkCrossed notes whether the book is crossed (best bid at or above best ask). Kraken's book
// never stays crossed, so a crossed copy has missed a message: nothing takes from it or
// queues against it until a message uncrosses it.
func (m *market) checkCrossed() {
	m.crossed = false
	if m.book.Len(feed.Buy) > 0 && m.book.Len(feed.Sell) > 0 {
		m.crossed = m.book.Level(feed.Buy, 0).Price.Cmp(m.book.Level(feed.Sell, 0).Price) >= 0
	}
}

// truncLot truncates q down to the pair's quantity step.
func (m *market) truncLot(q decimal.Decimal) decimal.Decimal {
	t := q.Truncate(m.lot)
	if !m.stepIsLot {
		t = q.Div(m.step).Floor().Mul(m.step).Truncate(m.lot)
	}
	if t.Exponent() != -m.lot {
		t = t.Round(m.lot) // same value, canonical exponent
	}
	return t
}

func (m *market) listFor(k listKind) *[]*order {
	switch k {
	case inBids:
		return &m.bids
	case inAsks:
		return &m.asks
	case inTrigLE:
		return &m.trigLE
	case inTrigGE:
		return &m.trigGE
	case inTrailing:
		return &m.trailing
	case inAwaiting:
		return &m.awaiting
	}
	return nil
}

// before reports whether a sorts before b in list k.
func before(k listKind, a, b *order) bool {
	switch k {
	case inBids:
		if a.limitKey != b.limitKey {
			return a.limitKey > b.limitKey
		}
	case inAsks:
		if a.limitKey != b.limitKey {
			return a.limitKey < b.limitKey
		}
	case inTrigLE:
		if a.trigKey != b.trigKey {
			return a.trigKey > b.trigKey
		}
	case inTrigGE:
		if a.trigKey != b.trigKey {
			return a.trigKey < b.trigKey
		}
	}
	return a.prio < b.prio
}

// add puts o on list k at its sorted place.
func (m *market) add(o *order, k listKind) {
	l := m.listFor(k)
	i, _ := slices.BinarySearchFunc(*l, o, func(x, t *order) int {
		if before(k, x, t) {
			return -1
		}
		return 1
	})
	*l = slices.Insert(*l, i, o)
	o.list = k
}

// remove takes o off whatever list it is on.
func (m *market) remove(o *order) {
	if o.list == inNone {
		return
	}
	if o.list == m.busy {
		o.list = inNone
		m.dirty = true
		return
	}
	l := m.listFor(o.list)
	if i := slices.Index(*l, o); i >= 0 {
		*l = slices.Delete(*l, i, i+1)
	}
	o.list = inNone
}

// iterate marks list k busy; sweep ends it, dropping the orders removed meanwhile.
func (m *market) iterate(k listKind) []*order {
	m.busy, m.dirty = k, false
	return *m.listFor(k)
}

func (m *market) sweep() {
	k := m.busy
	m.busy = inNone
	if m.dirty {
		l := m.listFor(k)
		*l = slices.DeleteFunc(*l, func(o *order) bool { return o.list != k })
		m.dirty = false
	}
}

func (m *market) checkLists() error {
	for _, k := range []listKind{inBids, inAsks, inTrigLE, inTrigGE, inTrailing, inAwaiting} {
		l := *m.listFor(k)
		for i, o := range l {
			if o.list != k || o.m != m {
				return fmt.Errorf("sim: %s order %s misfiled (list %d, on %d)", m.pair, o.o.ID, o.list, k)
			}
			if o.status != strategy.StatusOpen {
				return fmt.Errorf("sim: %s order %s is %s but on a book list", m.pair, o.o.ID, o.status)
			}
			if i > 0 && before(k, o, l[i-1]) {
				return fmt.Errorf("sim: %s list %d out of order at %s", m.pair, k, o.o.ID)
			}
		}
	}
	return nil
}

// consumedAt returns how much of the level at price on a book side may not be used, in lots:
// what this account took there and what prints took since the book last re-stated it.
func (m *market) consumedAt(side feed.Side, price feed.Fixed) int64 {
	for i := range m.consumed {
		c := &m.consumed[i]
		if c.side == side && c.price.Cmp(price) == 0 {
			return c.mine + c.printed
		}
	}
	return 0
}

func (m *market) consumedLevel(side feed.Side, price feed.Fixed) *consumedLevel {
	for i := range m.consumed {
		if c := &m.consumed[i]; c.side == side && c.price.Cmp(price) == 0 {
			return c
		}
	}
	m.consumed = append(m.consumed, consumedLevel{side: side, price: price})
	return &m.consumed[len(m.consumed)-1]
}

// lots converts a book quantity to lots, rounding down (a level is never thought larger than
// it is); a quantity too large for an int64 of lots saturates.
func (m *market) lots(q feed.Fixed) int64 {
	switch d := m.lot - q.Scale; {
	case d == 0:
		return q.Mant
	case d > 0:
		if d > 18 {
			return math.MaxInt64
		}
		p := pow10.Int64(d)
		if q.Mant > math.MaxInt64/p {
			return math.MaxInt64
		}
		return q.Mant * p
	default:
		if -d > 18 {
			return 0
		}
		return q.Mant / pow10.Int64(-d)
	}
}

// decLots converts a quantity on the lot grid (fills are) to lots.
func (m *market) decLots(q decimal.Decimal) int64 {
	k, _, ok := toKey(q, m.lot)
	if !ok {
		return math.MaxInt64
	}
	return k
}

// consume records q taken by this account from a level the book shows.
func (m *market) consume(side feed.Side, lv feed.BookLevel, q decimal.Decimal) {
	c := m.consumedLevel(side, lv.Price)
	c.mine += m.decLots(q)
	c.left = m.lots(lv.Qty) - c.mine - c.printed
}

// printedThrough records the book liquidity a printed trade took: a buy taker's print at p took
// the asks at p and below, best first, up to its quantity; a sell taker's the bids at p and
// above. What the print took beyond the visible book is not recorded (nothing to subtract).
func (m *market) printedThrough(taker feed.Side, p tradeKey, qty decimal.Decimal) {
	bs := taker.Opposite()
	k, exact, ok := toKey(qty, m.lot)
	if !ok {
		return
	}
	rem := k
	if !exact {
		rem++ // a print takes at least what it printed
	}
	n := m.book.Len(bs)
	for i := 0; i < n && rem > 0; i++ {
		lv := m.book.Level(bs, i)
		pk, ok := lv.Price.Rescale(m.scale)
		if !ok {
			return
		}
		if (bs == feed.Sell && p.lt(pk.Mant)) || (bs == feed.Buy && p.gt(pk.Mant)) {
			return // the print did not reach this level
		}
		avail := m.lots(lv.Qty) - m.consumedAt(bs, lv.Price)
		if avail <= 0 {
			continue
		}
		q := min(avail, rem)
		c := m.consumedLevel(bs, lv.Price)
		c.printed += q
		rem -= q
	}
}

// restate applies a book message's statement of levels on one side to the consumption records:
// prints are forgotten (the book now says what is there), and this account's consumption is
// forgotten only once the book shows the level at or below what the account left there — a
// message re-stating the old size does not bring back liquidity the account took.
func (m *market) restate(side feed.Side, levels []feed.BookLevel) {
	if len(m.consumed) == 0 {
		return
	}
	for i := range levels {
		for j := range m.consumed {
			c := &m.consumed[j]
			if c.side != side || c.price.Cmp(levels[i].Price) != 0 {
				continue
			}
			c.printed = 0
			if m.lots(levels[i].Qty) <= c.left {
				c.mine = 0
			}
		}
	}
	m.consumed = slices.DeleteFunc(m.consumed, func(c consumedLevel) bool { return c.mine == 0 && c.printed == 0 })
}

// restateAll applies a snapshot: every level is re-stated, the ones it does not show at zero.
func (m *market) restateAll() {
	for j := range m.consumed {
		c := &m.consumed[j]
		c.printed = 0
		if m.fixedLevelLots(c.side, c.price) <= c.left {
			c.mine = 0
		}
	}
	m.consumed = slices.DeleteFunc(m.consumed, func(c consumedLevel) bool { return c.mine == 0 })
}

// fixedLevelLots is the book's quantity, in lots, at exactly price on a side (zero when absent).
func (m *market) fixedLevelLots(side feed.Side, price feed.Fixed) int64 {
	n := m.book.Len(side)
	for i := range n {
		if lv := m.book.Level(side, i); lv.Price.Cmp(price) == 0 {
			return m.lots(lv.Qty)
		}
	}
	return 0
}

// inView reports whether the book shows what rests at an on-grid price on a side (Buy: bids):
// the price is at or better than the deepest level shown, or the side shows fewer levels than
// the subscribed depth (so there is nothing beyond). Beyond the view the queue is unknown.
func (m *market) inView(side feed.Side, key int64) bool {
	if !m.bookUsable() {
		return false
	}
	n := m.book.Len(side)
	if n == 0 || m.book.Depth == 0 || n < m.book.Depth {
		return true
	}
	k, ok := m.book.Level(side, n-1).Price.Rescale(m.scale)
	if !ok {
		return false
	}
	if side == feed.Buy {
		return key >= k.Mant
	}
	return key <= k.Mant
}

// levelQty returns the book quantity at an on-grid price on one side (Buy: bids), zero when
// there is no such level.
func (m *market) levelQty(side feed.Side, key int64) decimal.Decimal {
	n := m.book.Len(side)
	for i := range n {
		lv := m.book.Level(side, i)
		k, ok := lv.Price.Rescale(m.scale)
		if !ok {
			continue
		}
		switch {
		case k.Mant == key:
			return lv.Qty.Decimal()
		case side == feed.Buy && k.Mant < key, side == feed.Sell && k.Mant > key:
			return decimal.Zero
		}
	}
	return decimal.Zero
}

// depthFor returns the smallest Kraken book depth that holds n levels.
func depthFor(n int) int {
	for _, d := range []int{10, 25, 100, 500, 1000} {
		if n <= d {
			return d
		}
	}
	return 0
}
