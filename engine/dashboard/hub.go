package dashboard

import (
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Limits on what the hub keeps (oldest first out) and sends.
const (
	// maxLine and maxCandles bound the chart series: when one more bucket would exceed
	// the bound, the series' buckets double in width and merge, so a chart always holds the
	// whole session however long the page was open (before, series kept their newest points
	// and a page left open showed its last ~80 s; issue 18 item 10). An equity line keeps
	// 150 to 300 points (about one per two pixel columns); price candles 60 to 120, wide
	// enough to read.
	maxLine    = 300
	maxCandles = 120
	maxFills   = 2000 // recent fills (chart markers and table)
	tableRows  = 100  // fills in a snapshot's table
)

// Instance describes one strategy instance for the dashboard.
type Instance struct {
	Name     string
	Type     string
	Pairs    []feed.Pair
	Currency string
	// Deposits are the starting balances (see Hub.Resume for a restored account).
	Deposits []record.Deposit
}

// Health is the feed's state, as a provider reports it on every push.
type Health struct {
	Connected bool `json:"connected"`
	// DialProblem says why the feed cannot connect ("cannot reach Kraken (DNS lookup failed
	// for ws.kraken.com …)", kraken.ClientStats.DialProblem); the page shows it beside
	// "disconnected" (issue 18 item 4: the reason was missing).
	DialProblem        string    `json:"dial_problem,omitempty"`
	LastMessage        time.Time `json:"-"`
	LastMessageAgeMS   int64     `json:"last_message_age_ms"` // -1: none yet
	Frames             uint64    `json:"frames"`
	Connections        uint64    `json:"connections"`
	Reconnects         uint64    `json:"reconnects"`
	TradeGaps          uint64    `json:"trade_gaps"`
	MissingTrades      uint64    `json:"missing_trades"`
	ChecksumMismatches uint64    `json:"checksum_mismatches"`
	StaleBooks         []string  `json:"stale_books"` // pairs whose book is not verified now
	FeedLagMS          float64   `json:"feed_lag_ms"` // receive time minus exchange time of the last trade
	Backlog            []Backlog `json:"backlog"`
	JournalQueued      int       `json:"journal_queued"`
	JournalCommitted   uint64    `json:"journal_committed"`
	Recording          string    `json:"recording,omitempty"`
}

// Backlog is one instance's queue of events.
type Backlog struct {
	Instance string `json:"instance"`
	Events   int    `json:"events"`
}

// Hub keeps what the dashboard shows, fed by the engine's records (it is an
// record.Recorder) and by the event stream (Observe). Both are cheap and never block on the
// browsers: a page reads the hub on its own schedule. It is safe for concurrent use.
type Hub struct {
	mu       sync.Mutex
	title    string
	mode     string
	started  time.Time
	health   func() Health
	order    []string
	inst     map[string]*instState
	prices   map[feed.Pair]*series
	pairs    []feed.Pair
	fills    []fillRow
	fillBase int // absolute index of fills[0]
	now      time.Time
	gaps     []gapRow
	events   uint64
	version  uint64
}

type instState struct {
	info    Instance
	led     *ledger.Ledger
	equity  series
	open    map[strategy.OrderID]*orderRow
	openIDs []strategy.OrderID // in submission order
	fills   uint64
	orders  uint64
	rejects uint64
	fault   string
	lag     string
	last    decimal.Decimal
	hasLast bool
	first   decimal.Decimal
}

// series is a chart of the whole session in buckets of event time: 1 s wide at first,
// doubling whenever the session outgrows maxBuckets. A bucket keeps its first, highest,
// lowest and last value (a candle; lines draw the last).
type series struct {
	pts    []point
	limit  int   // most buckets (maxLine, maxCandles)
	bucket int64 // seconds per bucket; 0 means 1
	// gen counts re-bucketings: a page whose cursor is of an older generation is sent the
	// whole series again, since the buckets it holds no longer exist.
	gen int
}

type point struct {
	T int64   `json:"t"` // bucket start, Unix seconds (event time)
	O float64 `json:"o"`
	H float64 `json:"h"`
	L float64 `json:"l"`
	V float64 `json:"v"` // the bucket's last value (close)
}

func (s *series) width() int64 { return max(s.bucket, 1) }

func (s *series) add(t time.Time, v float64) {
	w := s.width()
	start := t.Unix() - mod(t.Unix(), w)
	if n := len(s.pts); n > 0 && s.pts[n-1].T >= start {
		// Same bucket (or a clock step back): the bucket's range widens, its close moves.
		p := &s.pts[n-1]
		p.H, p.L, p.V = max(p.H, v), min(p.L, v), v
		return
	}
	s.pts = append(s.pts, point{T: start, O: v, H: v, L: v, V: v})
	limit := s.limit
	if limit < 2 { // a zero series (tests): rebucketing could never get under 0 or 1
		limit = maxLine
	}
	for len(s.pts) > limit {
		s.rebucket()
	}
}

// rebucket doubles the bucket width and merges the buckets that now share one.
func (s *series) rebucket() {
	w := s.width() * 2
	out := s.pts[:0]
	for _, p := range s.pts {
		p.T -= mod(p.T, w)
		if n := len(out); n > 0 && out[n-1].T == p.T {
			q := &out[n-1]
			q.H, q.L, q.V = max(q.H, p.H), min(q.L, p.L), p.V
			continue
		}
		out = append(out, p)
	}
	s.pts, s.bucket = out, w
	s.gen++
}

// mod is the remainder that floors (times before 1970 land in the bucket before them).
func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// seriesCursor is what a page holds of one series.
type seriesCursor struct {
	gen  int
	next int // index of the first point not sent
}

// since returns the points the page at c lacks, whether they replace all it holds, and
// the page's new cursor. The last point may have been updated since it was sent: it is
// sent again.
func (s *series) since(c seriesCursor) (pts []point, reset bool, next seriesCursor) {
	i := c.next - 1
	if c.gen != s.gen || c.next == 0 {
		i, reset = 0, true
	}
	i = max(i, 0)
	return slices.Clone(s.pts[i:]), reset, seriesCursor{gen: s.gen, next: len(s.pts)}
}

type fillRow struct {
	Instance  string  `json:"instance"`
	T         int64   `json:"t"`
	Time      string  `json:"time"`
	Pair      string  `json:"pair"`
	Side      string  `json:"side"`
	Price     string  `json:"price"`
	Qty       string  `json:"qty"`
	Fee       string  `json:"fee"`
	Liquidity string  `json:"liquidity"`
	Order     string  `json:"order"`
	PriceF    float64 `json:"price_f"`
}

type orderRow struct {
	ID     string `json:"id"`
	Pair   string `json:"pair"`
	Side   string `json:"side"`
	Type   string `json:"type"`
	Qty    string `json:"qty"`
	Price  string `json:"price"`
	Filled string `json:"filled"`
	Status string `json:"status"`
}

type gapRow struct {
	Time    string `json:"time"`
	Pair    string `json:"pair"`
	Channel string `json:"channel"`
	Missing uint64 `json:"missing"`
	Reason  string `json:"reason"`
}

// NewHub returns a hub for the instances. title and mode label the page ("demo", "live").
func NewHub(title, mode string, instances []Instance) *Hub {
	h := &Hub{title: title, mode: mode, started: time.Now(), inst: map[string]*instState{}, prices: map[feed.Pair]*series{}}
	for _, in := range instances {
		st := &instState{info: in, open: map[strategy.OrderID]*orderRow{}, equity: series{limit: maxLine}}
		ccy := in.Currency
		if ccy == "" && len(in.Pairs) > 0 {
			ccy = in.Pairs[0].Quote()
		}
		st.info.Currency = ccy
		st.led = ledger.New(ccy)
		for _, d := range in.Deposits {
			if d.Amount.Sign() > 0 {
				_ = st.led.Deposit(d.Asset, d.Amount)
			}
		}
		h.order = append(h.order, in.Name)
		h.inst[in.Name] = st
		for _, p := range in.Pairs {
			if _, ok := h.prices[p]; !ok {
				h.prices[p] = &series{limit: maxCandles}
				h.pairs = append(h.pairs, p)
			}
		}
	}
	slices.Sort(h.pairs)
	return h
}

// Resume replaces an instance's account with a restored one: balances and positions from the
// journal, and its open orders.
func (h *Hub) Resume(name string, l ledger.Snapshot, open []strategy.Order) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.inst[name]
	if st == nil {
		return
	}
	st.led = ledger.New(st.info.Currency)
	_ = st.led.Restore(l) // display only: a refused snapshot shows an empty account
	st.open = map[strategy.OrderID]*orderRow{}
	st.openIDs = nil
	for _, o := range open {
		st.open[o.ID] = &orderRow{ID: string(o.ID), Pair: string(o.Pair), Side: o.Side.String(), Type: o.Type.String(),
			Qty: o.Qty.String(), Price: o.Price.String(), Status: "open"}
		st.openIDs = append(st.openIDs, o.ID)
	}
}

// SetHealth sets the feed health provider, called on every push to every page.
func (h *Hub) SetHealth(f func() Health) {
	h.mu.Lock()
	h.health = f
	h.mu.Unlock()
}

// Record implements record.Recorder.
func (h *Hub) Record(r *record.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.inst[r.Instance]
	if st == nil {
		return
	}
	h.version++
	switch r.Kind {
	case record.KindOrder:
		u := &r.Order
		id := u.Order.ID
		switch {
		case u.Status == strategy.StatusRejected && st.open[id] == nil:
			st.rejects++
			return
		case u.Status.Done():
			if _, ok := st.open[id]; ok {
				delete(st.open, id)
				st.openIDs = slices.DeleteFunc(st.openIDs, func(x strategy.OrderID) bool { return x == id })
			}
			return
		}
		row := st.open[id]
		if row == nil {
			row = &orderRow{ID: string(id)}
			st.open[id] = row
			st.openIDs = append(st.openIDs, id)
			st.orders++
		}
		o := &u.Order
		price := o.Price
		if o.Type == strategy.Market {
			price = decimal.Zero
		}
		*row = orderRow{ID: string(id), Pair: string(o.Pair), Side: o.Side.String(), Type: o.Type.String(), Qty: o.Qty.String(),
			Price: price.String(), Filled: u.Filled.String(), Status: u.Status.String()}
	case record.KindFill:
		f := &r.Fill
		st.fills++
		base, quote := f.Pair.Base(), f.Pair.Quote()
		if f.Leverage == 0 { // a margin fill is booked from its margin record
			_ = st.led.Trade(ledger.Trade{Pair: f.Pair, Base: base, Quote: quote, Side: f.Side, Price: f.Price, Qty: f.Qty,
				Cost: f.Price.Mul(f.Qty), Fee: f.Fee})
		}
		pf, _ := f.Price.Float64()
		h.fills = append(h.fills, fillRow{Instance: r.Instance, T: f.Time.Unix(), Time: f.Time.UTC().Format("15:04:05.000"),
			Pair: string(f.Pair), Side: f.Side.String(), Price: f.Price.String(), Qty: f.Qty.String(), Fee: f.Fee.String(),
			Liquidity: f.Liquidity.String(), Order: string(f.OrderID), PriceF: pf})
		if len(h.fills) > maxFills {
			drop := maxFills / 4
			h.fills = slices.Delete(h.fills, 0, drop)
			h.fillBase += drop
		}
	case record.KindEquity:
		if !st.hasLast {
			st.first = r.Equity
		}
		st.last, st.hasLast = r.Equity, true
		// The chart shows returns, so that accounts of different sizes share one scale.
		if st.first.Sign() > 0 {
			v, _ := r.Equity.Div(st.first).Sub(decimal.NewFromInt(1)).Shift(2).Float64()
			st.equity.add(r.Time, v)
		}
	case record.KindMargin:
		_ = st.led.ApplyMargin(&r.Margin, r.Margin.Pair.Base(), r.Margin.Pair.Quote()) // display only
	case record.KindFault:
		if r.Err != nil {
			st.fault = r.Err.Error()
		}
	case record.KindLag:
		if r.Err != nil {
			st.lag = r.Err.Error()
		}
	}
}

// Observe takes a batch of the engine's events: trade prices for the charts and the
// accounts' marks, gaps for the health panel. It must be called from one goroutine at a time.
func (h *Hub) Observe(batch []feed.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range batch {
		e := &batch[i]
		h.events++
		switch e.Kind {
		case feed.KindTrade:
			p := e.Trade.Pair
			if p == "" {
				p = e.Pair
			}
			t := e.Time
			if t.IsZero() {
				t = e.Recv
			}
			if t.After(h.now) {
				h.now = t
			}
			if s := h.prices[p]; s != nil {
				v, _ := e.Trade.Price.Float64()
				s.add(t, v)
			}
			for _, name := range h.order {
				st := h.inst[name]
				if slices.Contains(st.info.Pairs, p) {
					st.led.Mark(p, e.Trade.Price)
				}
			}
		case feed.KindGap:
			if e.Gap != nil {
				g := gapRow{Time: e.Recv.UTC().Format("15:04:05"), Pair: string(e.Pair), Channel: e.Gap.Channel, Missing: e.Gap.Missing, Reason: e.Gap.Reason}
				h.gaps = append(h.gaps, g)
				if len(h.gaps) > 50 {
					h.gaps = slices.Delete(h.gaps, 0, len(h.gaps)-50)
				}
			}
		}
	}
}

// InstanceStatus is one instance's headline numbers.
type InstanceStatus struct {
	Name   string
	Equity string // last equity sample, 2 decimals ("" before the first)
	Return string // percent since the first sample of the session, 3 decimals
	Fills  uint64
	Orders uint64
	Status string // running, stopped: ..., lagging: ...
}

// Status returns every instance's headline numbers, in order: for a terminal status line.
func (h *Hub) Status() []InstanceStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]InstanceStatus, 0, len(h.order))
	for _, name := range h.order {
		v := h.inst[name].view()
		out = append(out, InstanceStatus{Name: v.Name, Equity: v.Equity, Return: v.Return, Fills: v.Fills, Orders: v.Orders, Status: v.Status})
	}
	return out
}
