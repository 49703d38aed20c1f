package krakentest

import (
	"sort"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/internal/wsreq"
	"github.com/shopspring/decimal"
)

// bookDepths are the depths Kraken accepts for book subscriptions, v1 and v2: the request
// parser's.
var bookDepths = wsreq.Depths

// ohlcIntervals are the candle intervals (minutes) Kraken accepts, v1 and v2.
var ohlcIntervals = [...]int{1, 5, 15, 30, 60, 240, 1440, 10080, 21600}

func intervalIndex(m int) int {
	for i, x := range ohlcIntervals {
		if x == m {
			return i
		}
	}
	return -1
}

// snapshotTrades is how many recent trades a v2 trade snapshot carries.
const snapshotTrades = 50

// tradeRec is one trade the server has published.
type tradeRec struct {
	side    feed.Side
	ord     feed.OrdType
	price   feed.Fixed
	qty     feed.Fixed
	id      uint64
	time    time.Time
	timeKey int64 // time.UnixNano, for REST paging
}

// pkey identifies a price independently of its wire scale.
type pkey struct {
	m int64
	s int32
}

func keyOf(f feed.Fixed) pkey {
	for f.Scale > 0 && f.Mant%10 == 0 {
		f.Mant /= 10
		f.Scale--
	}
	return pkey{f.Mant, f.Scale}
}

// bookView is the top `depth` levels of a pair's book: exactly what a client subscribed at that
// depth holds after applying everything the server sent and truncating, so its checksum is the
// one to send. Views are shared by v1 and v2 subscribers and exist while someone uses them.
type bookView struct {
	depth  int
	book   *feed.Book
	users  int
	primed bool // the subscribers have been sent a snapshot
}

// tickerState accumulates the rolling statistics the ticker channel reports. The server's
// "24 hours" is simply everything since it started publishing the pair.
type tickerState struct {
	has       bool
	open      feed.Fixed
	high, low feed.Fixed
	last      feed.Fixed
	lastQty   feed.Fixed
	volume    decimal.Decimal
	pv        decimal.Decimal // Σ price×qty
	count     int64
}

// candle is the forming candle of one interval.
type candle struct {
	has            bool
	start          time.Time
	last           time.Time // time of the last trade in it
	open, high     feed.Fixed
	low, close     feed.Fixed
	volume, pv     decimal.Decimal
	count          int64
	intervalMinute int
}

// pairState is everything the server knows about one pair. Guarded by Server.mu.
type pairState struct {
	info     feed.PairInfo
	v1Name   string
	pScale   int32 // v2 price precision
	qScale   int32 // quantity precision
	v1PScale int32 // decimals of v1 and REST price strings

	book      *feed.Book // the full book as the source maintains it
	hasBook   bool
	bidTimes  map[pkey]time.Time // last change of each level, for v1's level timestamps
	askTimes  map[pkey]time.Time
	views     []*bookView // sorted by depth
	bookTime  time.Time
	topBid    feed.BookLevel
	topAsk    feed.BookLevel
	corruptCk bool // the next book update's checksum is sent wrong (fault)

	trades     []tradeRec // oldest first, capped at Server history
	lastID     uint64
	tick       tickerState
	candles    [len(ohlcIntervals)]candle
	channelIDs map[string]int64 // v1 channelName → channelID
}

func newPairState(info feed.PairInfo) *pairState {
	v1 := info.WSName
	if v1 == "" {
		v1 = string(info.Pair)
	}
	ps := &pairState{
		info:       info,
		v1Name:     v1,
		pScale:     info.PriceDecimals,
		qScale:     info.LotDecimals,
		v1PScale:   v1PriceScale(&info),
		book:       feed.NewBook(info.Pair, 0),
		bidTimes:   make(map[pkey]time.Time),
		askTimes:   make(map[pkey]time.Time),
		channelIDs: make(map[string]int64),
	}
	for i := range ps.candles {
		ps.candles[i].intervalMinute = ohlcIntervals[i]
	}
	return ps
}

// v1PriceScale is the number of decimals of v1 price strings. It is not the pair's price
// precision: real v1 streams print prices at the pair's cost precision (XBT/USD 5, XDG/USD 9,
// XMR/USD 8, ADA/XBT 9, WAVES/EUR 6: 13 of 14 pairs in the 2021-2023 captures match the
// 2024 cost_precision, TestV1PriceDecimals), never fewer than the price precision. Without a
// cost precision, 5 as for the major pairs.
func v1PriceScale(info *feed.PairInfo) int32 {
	if info.CostDecimals > 0 {
		return max(info.CostDecimals, info.PriceDecimals)
	}
	return max(info.PriceDecimals, 5)
}

// view returns the view at depth, creating (and priming from the current book) if needed.
func (ps *pairState) view(depth int) *bookView {
	i := sort.Search(len(ps.views), func(i int) bool { return ps.views[i].depth >= depth })
	if i < len(ps.views) && ps.views[i].depth == depth {
		return ps.views[i]
	}
	v := &bookView{depth: depth, book: feed.NewBook(ps.info.Pair, depth)}
	if ps.hasBook {
		v.book.Apply(ps.topSnapshot(depth)) //nolint:errcheck // levels come from a valid book
		v.primed = true
	}
	ps.views = append(ps.views, nil)
	copy(ps.views[i+1:], ps.views[i:])
	ps.views[i] = v
	return v
}

func (ps *pairState) dropView(v *bookView) {
	for i, x := range ps.views {
		if x == v {
			ps.views = append(ps.views[:i], ps.views[i+1:]...)
			return
		}
	}
}

// topSnapshot returns the top depth levels of the full book as a snapshot update.
func (ps *pairState) topSnapshot(depth int) *feed.BookUpdate {
	u := &feed.BookUpdate{Pair: ps.info.Pair, Snapshot: true}
	for i := range min(depth, ps.book.Len(feed.Buy)) {
		u.Bids = append(u.Bids, ps.book.Bid(i))
	}
	for i := range min(depth, ps.book.Len(feed.Sell)) {
		u.Asks = append(u.Asks, ps.book.Ask(i))
	}
	return u
}

// checksums returns the v1 and v2 checksums of a view.
func (ps *pairState) checksums(v *bookView) (v1, v2 uint32) {
	return kraken.Checksum(v.book, ps.v1PScale, ps.qScale), kraken.Checksum(v.book, ps.pScale, ps.qScale)
}

// applyBook applies a source update to the full book, records level times and returns, per
// view, the levels a subscriber at that depth must receive (nil when its window did not change).
func (ps *pairState) applyBook(u *feed.BookUpdate, t time.Time) ([]viewDiff, error) {
	if err := ps.book.Apply(u); err != nil {
		return nil, err
	}
	if u.Snapshot {
		clear(ps.bidTimes)
		clear(ps.askTimes)
	}
	stamp(ps.bidTimes, u.Bids, t)
	stamp(ps.askTimes, u.Asks, t)
	if len(ps.bidTimes)+len(ps.askTimes) > 2*(ps.book.Len(feed.Buy)+ps.book.Len(feed.Sell))+256 {
		ps.pruneTimes()
	}
	ps.hasBook = true
	ps.bookTime = t
	diffs := make([]viewDiff, 0, len(ps.views))
	for _, v := range ps.views {
		d := viewDiff{view: v}
		if !v.primed {
			v.book.Apply(ps.topSnapshot(v.depth)) //nolint:errcheck // from a valid book
			v.primed = true
			d.snapshot = true
			diffs = append(diffs, d)
			continue
		}
		d.bids = diffSide(v.book, ps.book, feed.Buy, v.depth, u.Bids, nil)
		d.asks = diffSide(v.book, ps.book, feed.Sell, v.depth, u.Asks, nil)
		if len(d.bids) == 0 && len(d.asks) == 0 {
			continue
		}
		v.book.Apply(&feed.BookUpdate{Pair: ps.info.Pair, Bids: d.bids, Asks: d.asks}) //nolint:errcheck // levels come from a valid book
		diffs = append(diffs, d)
	}
	return diffs, nil
}

func stamp(m map[pkey]time.Time, levels []feed.BookLevel, t time.Time) {
	for _, l := range levels {
		if l.Qty.IsZero() {
			delete(m, keyOf(l.Price))
		} else {
			m[keyOf(l.Price)] = t
		}
	}
}

// pruneTimes forgets the times of levels that left the book without an explicit delete
// (source-side truncation).
func (ps *pairState) pruneTimes() {
	keep := func(m map[pkey]time.Time, side feed.Side) {
		live := make(map[pkey]time.Time, ps.book.Len(side))
		for i := range ps.book.Len(side) {
			k := keyOf(ps.book.Level(side, i).Price)
			if t, ok := m[k]; ok {
				live[k] = t
			}
		}
		clear(m)
		for k, t := range live {
			m[k] = t
		}
	}
	keep(ps.bidTimes, feed.Buy)
	keep(ps.askTimes, feed.Sell)
}

func (ps *pairState) levelTime(side feed.Side, price feed.Fixed) time.Time {
	m := ps.askTimes
	if side == feed.Buy {
		m = ps.bidTimes
	}
	if t, ok := m[keyOf(price)]; ok {
		return t
	}
	return ps.bookTime
}

// viewDiff is what one view's subscribers receive for one source update.
type viewDiff struct {
	view       *bookView
	snapshot   bool // send the whole view as a snapshot (first data for a view)
	bids, asks []feed.BookLevel
}

// diffSide compares a view's side with the top depth levels of the full book and returns the
// levels to send, best first: new or changed levels (Republish when a level re-entered the
// window without being in the source update, like Kraken v1's "r"), and deletes for levels
// that left the window, except those a client drops anyway when it truncates to depth.
func diffSide(view, full *feed.Book, side feed.Side, depth int, upd []feed.BookLevel, out []feed.BookLevel) []feed.BookLevel {
	nOld := view.Len(side)
	nNew := min(depth, full.Len(side))
	// better reports whether price a sorts before b on this side.
	better := func(a, b feed.Fixed) bool {
		c := a.Cmp(b)
		if side == feed.Buy {
			return c > 0
		}
		return c < 0
	}
	inUpdate := func(p feed.Fixed) bool {
		for i := range upd {
			if upd[i].Price.Cmp(p) == 0 {
				return true
			}
		}
		return false
	}
	var worstNew feed.Fixed
	if nNew > 0 {
		worstNew = full.Level(side, nNew-1).Price
	}
	dropped := func(p feed.Fixed) bool { // a client's truncation removes this old level itself
		return nNew == depth && better(worstNew, p)
	}
	i, j := 0, 0
	for i < nOld || j < nNew {
		switch {
		case i < nOld && j < nNew && view.Level(side, i).Price.Cmp(full.Level(side, j).Price) == 0:
			o, n := view.Level(side, i), full.Level(side, j)
			if o.Qty.Cmp(n.Qty) != 0 || o.Qty.Scale != n.Qty.Scale || o.Price.Scale != n.Price.Scale {
				n.Republish = false
				out = append(out, n)
			}
			i++
			j++
		case j < nNew && (i == nOld || better(full.Level(side, j).Price, view.Level(side, i).Price)):
			n := full.Level(side, j)
			n.Republish = !inUpdate(n.Price)
			out = append(out, n)
			j++
		default:
			o := view.Level(side, i)
			if !dropped(o.Price) {
				out = append(out, feed.BookLevel{Price: o.Price, Qty: feed.Fixed{Scale: o.Qty.Scale}})
			}
			i++
		}
	}
	return out
}

// addTrade records a trade; it returns false for a duplicate (an id the pair already passed).
func (ps *pairState) addTrade(tr feed.Trade, t time.Time, limit int) (tradeRec, bool) {
	price, ok1 := feed.FixedFromDecimal(tr.Price)
	qty, ok2 := feed.FixedFromDecimal(tr.Qty)
	if !ok1 || !ok2 || price.Sign() <= 0 || qty.Sign() <= 0 {
		return tradeRec{}, false
	}
	id := tr.ID
	switch {
	case id == 0:
		id = ps.lastID + 1
	case id <= ps.lastID:
		return tradeRec{}, false
	}
	ps.lastID = id
	side := tr.Side
	if side != feed.Buy && side != feed.Sell {
		side = feed.Buy
	}
	ord := tr.OrdType
	if ord == feed.OrdUnknown {
		ord = feed.OrdLimit
	}
	rec := tradeRec{side: side, ord: ord, price: price, qty: qty, id: id, time: t, timeKey: t.UnixNano()}
	if limit > 0 && len(ps.trades) >= limit {
		n := copy(ps.trades, ps.trades[len(ps.trades)-limit/2:])
		ps.trades = ps.trades[:n]
	}
	ps.trades = append(ps.trades, rec)
	ps.tick.add(rec)
	for i := range ps.candles {
		ps.candles[i].add(rec)
	}
	return rec, true
}

func (s *tickerState) add(r tradeRec) {
	if !s.has {
		s.has = true
		s.open, s.high, s.low = r.price, r.price, r.price
		s.volume, s.pv = decimal.Zero, decimal.Zero
	}
	if r.price.Cmp(s.high) > 0 {
		s.high = r.price
	}
	if r.price.Cmp(s.low) < 0 {
		s.low = r.price
	}
	s.last, s.lastQty = r.price, r.qty
	q := r.qty.Decimal()
	s.volume = s.volume.Add(q)
	s.pv = s.pv.Add(r.price.Decimal().Mul(q))
	s.count++
}

func vwap(pv, vol decimal.Decimal, last feed.Fixed) decimal.Decimal {
	if vol.IsZero() {
		return last.Decimal()
	}
	return pv.DivRound(vol, 12)
}

func (c *candle) add(r tradeRec) {
	width := int64(c.intervalMinute) * 60
	sec := r.time.Unix()
	start := time.Unix(sec-((sec%width)+width)%width, 0).UTC()
	if !c.has || !start.Equal(c.start) {
		*c = candle{intervalMinute: c.intervalMinute, has: true, start: start, open: r.price, high: r.price, low: r.price, volume: decimal.Zero, pv: decimal.Zero}
	}
	if r.price.Cmp(c.high) > 0 {
		c.high = r.price
	}
	if r.price.Cmp(c.low) < 0 {
		c.low = r.price
	}
	c.close = r.price
	c.last = r.time
	q := r.qty.Decimal()
	c.volume = c.volume.Add(q)
	c.pv = c.pv.Add(r.price.Decimal().Mul(q))
	c.count++
}

func (c *candle) end() time.Time { return c.start.Add(time.Duration(c.intervalMinute) * time.Minute) }

// recentTrades returns up to n of the latest trades, oldest first.
func (ps *pairState) recentTrades(n int) []tradeRec {
	return ps.trades[max(0, len(ps.trades)-n):]
}

// tradesSince returns up to count trades at or after ns (REST paging; boundary trades can
// repeat, as on Kraken, so that none is lost).
func (ps *pairState) tradesSince(ns int64, count int) []tradeRec {
	i := sort.Search(len(ps.trades), func(i int) bool { return ps.trades[i].timeKey >= ns })
	return ps.trades[i:min(len(ps.trades), i+count)]
}
