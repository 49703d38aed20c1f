package report

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Instance describes one strategy instance of a run: what the report says about it besides
// what its records show.
type Instance struct {
	Name            string
	Type            string
	Params          strategy.Params
	Pairs           []feed.Pair
	AccountCurrency string
	FillModel       string
	InitialBalances []record.Deposit
	// EquityInterval is the engine's equity sampling interval: the period of the returns
	// Sharpe and Sortino are computed on.
	EquityInterval time.Duration
}

// maxMarkers bounds the fills kept per instance for the price chart's buy/sell markers.
const maxMarkers = 2000

// Marker is a fill shown on the price chart.
type Marker struct {
	Time  time.Time
	Pair  feed.Pair
	Side  feed.Side
	Price decimal.Decimal
}

// Collector turns one instance's records into its metrics as they arrive, keeping only what
// the metrics and charts need: the equity samples, one accumulator per pair, every closed
// trip's PnL, and a thinned set of fill markers. Its memory grows with the run's time span
// and trip count, never with the number of events or fills.
//
// A Collector belongs to one instance and is not safe for concurrent use; the engine
// delivers one instance's records sequentially.
type Collector struct {
	in     Instance
	equity []EquityPoint
	pairs  []*pairAcc
	stats  TradeStats // trips whose quote is the account currency
	// tripPnL holds every closed trip's PnL in its quote currency, for the distribution.
	tripPnL []float64
	trips   []Trip // the last few trips, newest last (for the report's table)

	fills, rejects uint64
	statuses       [8]uint64 // final order states, by strategy.OrderStatus
	live           map[strategy.OrderID]struct{}
	fees           map[string]decimal.Decimal
	turnover       decimal.Decimal // in the account currency

	openTrips   int
	exposedFrom time.Time
	exposed     time.Duration
	first, last time.Time

	markers     []Marker
	markerEvery int // keep every markerEvery-th fill
	markerSeen  int

	faultMsg string

	marg marginAcc // spot margin (margin.go)
}

type pairAcc struct {
	book     tripBook
	stats    TradeStats
	fills    uint64
	fees     decimal.Decimal
	turnover decimal.Decimal
	volume   decimal.Decimal
}

// NewCollector returns a collector for in.
func NewCollector(in Instance) *Collector {
	c := &Collector{in: in, fees: make(map[string]decimal.Decimal), live: make(map[strategy.OrderID]struct{}), markerEvery: 1}
	for _, p := range in.Pairs {
		c.pairs = append(c.pairs, &pairAcc{book: tripBook{pair: p}})
	}
	return c
}

// Instance returns the instance the collector describes.
func (c *Collector) Instance() Instance { return c.in }

func (c *Collector) pair(p feed.Pair) *pairAcc {
	for _, a := range c.pairs {
		if a.book.pair == p {
			return a
		}
	}
	a := &pairAcc{book: tripBook{pair: p}}
	c.pairs = append(c.pairs, a)
	return a
}

// Record consumes one record; records of other instances must not be passed.
func (c *Collector) Record(r *record.Record) {
	if !r.Time.IsZero() {
		if c.first.IsZero() {
			c.first = r.Time
		}
		c.last = r.Time
	}
	switch r.Kind {
	case record.KindEquity:
		if r.Time.IsZero() {
			return // an event without time (a v2 book snapshot) came first: no time to plot
		}
		n := len(c.equity)
		if n > 0 && !r.Time.After(c.equity[n-1].Time) {
			c.equity[n-1].Equity = r.Equity // the end-of-run sample can repeat the last time
			return
		}
		c.equity = append(c.equity, EquityPoint{Time: r.Time, Equity: r.Equity})
	case record.KindFill:
		c.fill(&r.Fill)
	case record.KindOrder:
		u := &r.Order
		switch {
		case u.Status == strategy.StatusRejected:
			c.rejects++
		case u.Status.Done():
			delete(c.live, u.Order.ID)
			if int(u.Status) < len(c.statuses) {
				c.statuses[u.Status]++
			}
		default:
			c.live[u.Order.ID] = struct{}{}
		}
	case record.KindMargin:
		c.margin(&r.Margin)
	case record.KindFault:
		if r.Err != nil {
			c.faultMsg = r.Err.Error()
		}
	}
}

func (c *Collector) fill(f *strategy.Fill) {
	c.fills++
	a := c.pair(f.Pair)
	a.fills++
	cost := f.Price.Mul(f.Qty)
	a.turnover = a.turnover.Add(cost)
	a.volume = a.volume.Add(f.Qty)
	if f.FeeAsset != "" && f.FeeAsset == f.Pair.Base() {
		a.fees = a.fees.Add(f.Fee.Mul(f.Price)) // per-pair fees are in quote: a base fee (fcib) at the fill price
	} else {
		a.fees = a.fees.Add(f.Fee)
	}
	if f.FeeAsset != "" {
		c.fees[f.FeeAsset] = c.fees[f.FeeAsset].Add(f.Fee)
	}
	if f.Pair.Quote() == c.in.AccountCurrency {
		c.turnover = c.turnover.Add(cost)
	}
	wasOpen := a.book.open
	if t, ok := a.book.add(f); ok {
		a.stats.Add(t.PnL)
		if t.Pair.Quote() == c.in.AccountCurrency {
			c.stats.Add(t.PnL)
		}
		c.tripPnL = append(c.tripPnL, t.PnL.InexactFloat64())
		c.trips = append(c.trips, t)
		if len(c.trips) > 2*maxTripRows {
			c.trips = append(c.trips[:0], c.trips[len(c.trips)-maxTripRows:]...)
		}
	}
	// Exposure: time during which at least one trip is open.
	switch {
	case !wasOpen && a.book.open:
		if c.openTrips == 0 {
			c.exposedFrom = f.Time
		}
		c.openTrips++
	case wasOpen && !a.book.open:
		c.openTrips--
		if c.openTrips == 0 {
			c.exposed += f.Time.Sub(c.exposedFrom)
		}
	}
	// Markers: keep every markerEvery-th fill; when the cap is reached, drop every other
	// one and double the stride, so the kept fills stay spread over the whole run.
	if c.markerSeen%c.markerEvery == 0 {
		c.markers = append(c.markers, Marker{Time: f.Time, Pair: f.Pair, Side: f.Side, Price: f.Price})
		if len(c.markers) >= maxMarkers {
			k := 0
			for i := 0; i < len(c.markers); i += 2 {
				c.markers[k] = c.markers[i]
				k++
			}
			c.markers = c.markers[:k]
			c.markerEvery *= 2
		}
	}
	c.markerSeen++
}

// maxTripRows is how many of the last trips the report lists.
const maxTripRows = 50

// Equity returns the equity samples so far (shared; do not modify).
func (c *Collector) Equity() []EquityPoint { return c.equity }

// sortedAssets returns the keys of m, sorted.
func sortedAssets(m map[string]decimal.Decimal) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
