package sim

import (
	"fmt"
	"slices"

	"github.com/papertrade/papertrade/feed"
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

// consumedLevel is book liquidity this account has already taken and the book has not yet
// re-stated: the same level cannot fill this account twice.
type consumedLevel struct {
	side  feed.Side // Buy: bids, Sell: asks
	price feed.Fixed
	qty   decimal.Decimal
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

func (m *market) bookUsable() bool { return m.book != nil && m.bookOK }

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

// consumedAt returns how much of the level at price on a book side this account has taken.
func (m *market) consumedAt(side feed.Side, price feed.Fixed) decimal.Decimal {
	for i := range m.consumed {
		c := &m.consumed[i]
		if c.side == side && c.price.Cmp(price) == 0 {
			return c.qty
		}
	}
	return decimal.Zero
}

func (m *market) consume(side feed.Side, price feed.Fixed, q decimal.Decimal) {
	for i := range m.consumed {
		c := &m.consumed[i]
		if c.side == side && c.price.Cmp(price) == 0 {
			c.qty = c.qty.Add(q)
			return
		}
	}
	m.consumed = append(m.consumed, consumedLevel{side: side, price: price, qty: q})
}

// restated forgets consumption at levels a book message has re-stated.
func (m *market) restated(side feed.Side, levels []feed.BookLevel) {
	if len(m.consumed) == 0 {
		return
	}
	for i := range levels {
		m.consumed = slices.DeleteFunc(m.consumed, func(c consumedLevel) bool {
			return c.side == side && c.price.Cmp(levels[i].Price) == 0
		})
	}
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
