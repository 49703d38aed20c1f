package report

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// PricePoint is a pair's last trade price at the end of a sampling bucket.
type PricePoint struct {
	Time  time.Time
	Price decimal.Decimal // the bucket's last price (its close)
	// Open, High and Low complete the bucket's candle (the first, highest and lowest prices).
	Open, High, Low decimal.Decimal
}

// add extends the point's candle with a later trade.
func (pt *PricePoint) add(at time.Time, price decimal.Decimal) {
	pt.Time, pt.Price = at, price
	if price.GreaterThan(pt.High) {
		pt.High = price
	}
	if price.LessThan(pt.Low) {
		pt.Low = price
	}
}

func newPoint(at time.Time, price decimal.Decimal) PricePoint {
	return PricePoint{Time: at, Price: price, Open: price, High: price, Low: price}
}

// PairPrices is what a run saw of one pair's trades: the first and last prices (for the
// buy-and-hold benchmark) and the last price of every sampling bucket (for charts).
type PairPrices struct {
	Pair      feed.Pair
	Trades    uint64
	First     decimal.Decimal
	FirstTime time.Time
	Last      decimal.Decimal
	LastTime  time.Time
	Points    []PricePoint
}

// BuyHold is the return of buying at the first price and holding to the last, before fees
// (NaN without a positive first price).
func (p *PairPrices) BuyHold() float64 {
	if p == nil || p.First.Sign() <= 0 {
		return nan
	}
	return p.Last.Div(p.First).InexactFloat64() - 1
}

// Market is the market a run replayed, per pair, sorted by pair.
type Market struct {
	Pairs []PairPrices
}

// Pair returns the prices of pair p, or nil.
func (m *Market) Pair(p feed.Pair) *PairPrices {
	if m == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(m.Pairs, p, func(a PairPrices, p feed.Pair) int {
		switch {
		case a.Pair < p:
			return -1
		case a.Pair > p:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return &m.Pairs[i]
}

// MarketRecorder builds a Market from the event stream. It keeps one price per pair and
// sampling bucket, and at most maxMarketPoints per pair: when a pair reaches it, its buckets
// double in length and its points are merged (each keeps the last price of its new bucket),
// so memory is bounded whatever the replayed time span (a chart shows at most
// maxChartPoints anyway). It is not safe for concurrent use.
type MarketRecorder struct {
	interval time.Duration
	pairs    []*pairState
	last     *pairState // the pair of the previous trade: streams are runs of one pair
}

// maxMarketPoints bounds the price points kept per pair.
const maxMarketPoints = 4 * maxChartPoints

type pairState struct {
	PairPrices
	interval int64 // this pair's bucket length, ns (the recorder's, doubled as needed)
	bucket   int64 // sampling bucket of the last point
}

// coarsen doubles the pair's bucket length and merges its points into the longer buckets.
func (p *pairState) coarsen() {
	p.interval *= 2
	n := 0
	for _, pt := range p.Points {
		b := pt.Time.UnixNano() / p.interval
		if n > 0 && p.Points[n-1].Time.UnixNano()/p.interval == b {
			prev := &p.Points[n-1]
			prev.Time, prev.Price = pt.Time, pt.Price
			prev.High, prev.Low = decimal.Max(prev.High, pt.High), decimal.Min(prev.Low, pt.Low)
			continue
		}
		p.Points[n] = pt
		n++
	}
	clear(p.Points[n:])
	p.Points = p.Points[:n]
	if n > 0 {
		p.bucket = p.Points[n-1].Time.UnixNano() / p.interval
	}
}

// NewMarketRecorder samples prices every interval of event time (at least one second;
// zero means one minute).
func NewMarketRecorder(interval time.Duration) *MarketRecorder {
	if interval <= 0 {
		interval = time.Minute
	}
	interval = max(interval, time.Second)
	return &MarketRecorder{interval: interval}
}

// Observe notes a trade event; other kinds are ignored.
func (m *MarketRecorder) Observe(ev *feed.Event) {
	if ev.Kind != feed.KindTrade {
		return
	}
	t := &ev.Trade
	pair := t.Pair
	if pair == "" {
		pair = ev.Pair
	}
	p := m.last
	if p == nil || p.Pair != pair {
		p = nil
		for _, q := range m.pairs {
			if q.Pair == pair {
				p = q
				break
			}
		}
		if p == nil {
			p = &pairState{PairPrices: PairPrices{Pair: pair}, interval: int64(m.interval)}
			m.pairs = append(m.pairs, p)
		}
		m.last = p
	}
	at := t.Time
	if at.IsZero() {
		at = ev.Time
	}
	p.Trades++
	if p.Trades == 1 {
		p.First, p.FirstTime = t.Price, at
	}
	p.Last, p.LastTime = t.Price, at
	b := at.UnixNano() / p.interval
	if n := len(p.Points); n > 0 && p.bucket == b {
		p.Points[n-1].add(at, t.Price)
		return
	}
	if len(p.Points) >= maxMarketPoints {
		p.coarsen()
		if b = at.UnixNano() / p.interval; p.bucket == b {
			p.Points[len(p.Points)-1].add(at, t.Price)
			return
		}
	}
	p.bucket = b
	p.Points = append(p.Points, newPoint(at, t.Price))
}

// Market returns what was observed, sorted by pair. The recorder may go on observing; the
// returned Market does not change.
func (m *MarketRecorder) Market() *Market {
	out := &Market{Pairs: make([]PairPrices, len(m.pairs))}
	for i, p := range m.pairs {
		out.Pairs[i] = p.PairPrices
		out.Pairs[i].Points = slices.Clone(p.Points)
	}
	slices.SortFunc(out.Pairs, func(a, b PairPrices) int {
		switch {
		case a.Pair < b.Pair:
			return -1
		case a.Pair > b.Pair:
			return 1
		}
		return 0
	})
	return out
}
