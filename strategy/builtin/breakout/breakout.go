package breakout

import (
	"errors"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/indicator"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Name is the strategy's registry name.
const Name = "breakout"

// Help is the strategy's one-paragraph description for listings.
const Help = "Donchian breakout: market-buys size when a candle closes above the prior channel, with a conditional-close stop-loss at the exchange and a strategy-managed take-profit."

// Params are the strategy's parameters.
type Params struct {
	Period   int             `param:"period" default:"20" range:"5:100:5" help:"Donchian channel length, in candles"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:15m:1m" help:"candle interval"`
	Size     decimal.Decimal `param:"size" default:"0.01" help:"order size in base units"`
	Stop     decimal.Decimal `param:"stop" default:"1" range:"0.25:5:0.25" help:"stop-loss distance below the breakout close, percent"`
	Take     decimal.Decimal `param:"take" default:"2" range:"0.5:10:0.5" help:"take-profit distance above the breakout close, percent"`
}

// Validate checks what the tags cannot.
func (p *Params) Validate() error {
	switch {
	case p.Period < 1:
		return errors.New("period must be at least 1")
	case p.Interval < time.Second:
		return errors.New("interval must be at least 1s")
	case p.Size.Sign() <= 0:
		return errors.New("size must be positive")
	case p.Stop.Sign() <= 0 || p.Stop.GreaterThanOrEqual(decimal.NewFromInt(100)):
		return errors.New("stop must be between 0 and 100 percent")
	case p.Take.Sign() <= 0:
		return errors.New("take must be positive")
	}
	return nil
}

// UserRef values mark the strategy's orders.
const (
	RefEntry int32 = 1 // the breakout buy (its conditional close carries the same ref)
	RefStop  int32 = 2 // a separate stop-loss placed when the conditional one is missing
	RefExit  int32 = 3 // the take-profit market sell
)

type phase uint8

const (
	flat     phase = iota
	entering       // entry submitted, not (completely) filled yet
	long           // holding, protected by a stop
	exiting        // target reached: stop cancel requested, then a market sell
)

// Breakout is the strategy; see the package doc.
type Breakout struct {
	p     Params
	log   *zap.Logger
	pairs map[feed.Pair]*pairState
	// gen changes whenever the account's orders or positions may have changed: a fill or an
	// order update was delivered, or the strategy itself submitted or cancelled. A pair's
	// cached account view is current while its gen matches.
	gen uint64
}

type pairState struct {
	ch           *indicator.Donchian
	phase        phase
	stop, target decimal.Decimal
	cancelled    strategy.OrderID // stop whose cancel was accepted; waiting for it to go
	view         accountView
}

// accountView is what OnTrade needs to know about one pair's position and open orders. It is
// cached between the events that can change it (see Breakout.gen) because reading it from
// the Context on every trade — a copy of the open orders and the position's decimal maths —
// was most of a backtest's cost; it is always what a fresh read would give.
type accountView struct {
	gen   uint64
	rules rules           // the pair's rules pos was computed with
	pos   decimal.Decimal // position, floored to the lot step

	buying  bool             // a buy order is open
	stop    strategy.OrderID // the first open stop-loss sell
	hasStop bool
	selling int // open sell orders

	// Tradable(pos, price) does not decrease as a positive price rises (a larger cost only
	// meets CostMin more easily), so prices at or above yes are tradable and at or below no
	// are not; only prices in between are computed.
	yes, no       decimal.Decimal
	hasYes, hasNo bool
}

// rules are the parts of a pair's rules that FloorQty and Tradable read.
type rules struct {
	lotDecimals                int32
	lotStep, orderMin, costMin decimal.Decimal
}

func rulesOf(m *strategy.MarketInfo) rules {
	return rules{lotDecimals: m.LotDecimals, lotStep: m.LotStep, orderMin: m.OrderMin, costMin: m.CostMin}
}

func (r *rules) equal(o *rules) bool {
	return r.lotDecimals == o.lotDecimals && same(r.lotStep, o.lotStep) && same(r.orderMin, o.orderMin) && same(r.costMin, o.costMin)
}

// same reports whether a and b are equal and written alike (the lot step's exponent is the
// floored quantity's).
func same(a, b decimal.Decimal) bool { return a.Exponent() == b.Exponent() && a.Equal(b) }

// refresh makes v current: it rereads the position and open orders of pair when the account
// may have changed since they were read, or the pair's rules differ.
func (v *accountView) refresh(c strategy.Context, pair feed.Pair, m *strategy.MarketInfo, gen uint64) {
	r := rulesOf(m)
	if v.gen == gen && v.rules.equal(&r) {
		return
	}
	*v = accountView{gen: gen, rules: r, pos: m.FloorQty(c.Position(pair).Qty)}
	for _, o := range c.OpenOrders(pair) {
		switch {
		case o.Side == feed.Buy:
			v.buying = true
		case o.Type == strategy.StopLoss:
			if !v.hasStop {
				v.stop, v.hasStop = o.ID, true
			}
			v.selling++
		default:
			v.selling++
		}
	}
}

// holding reports whether the position is large enough to sell at price:
// pos > 0 && m.Tradable(pos, price).
func (v *accountView) holding(m *strategy.MarketInfo, price decimal.Decimal) bool {
	if v.pos.Sign() <= 0 {
		return false
	}
	if price.Sign() <= 0 {
		return m.Tradable(v.pos, price)
	}
	if v.hasYes && price.GreaterThanOrEqual(v.yes) {
		return true
	}
	if v.hasNo && price.LessThanOrEqual(v.no) {
		return false
	}
	ok := m.Tradable(v.pos, price)
	if ok {
		v.yes, v.hasYes = price, true
	} else {
		v.no, v.hasNo = price, true
	}
	return ok
}

// New is the strategy.Factory.
func New(params strategy.Params, log *zap.Logger) (strategy.Strategy, error) {
	var p Params
	if err := params.Decode(&p); err != nil {
		return nil, err
	}
	return NewWith(p, log), nil
}

// NewWith returns the strategy for already validated parameters.
func NewWith(p Params, log *zap.Logger) *Breakout {
	if log == nil {
		log = zap.NewNop()
	}
	return &Breakout{p: p, log: log, pairs: make(map[feed.Pair]*pairState)}
}

// CandleIntervals implements strategy.CandleHandler.
func (s *Breakout) CandleIntervals() []time.Duration { return []time.Duration{s.p.Interval} }

// OnCandle implements strategy.CandleHandler: it looks for breakouts.
func (s *Breakout) OnCandle(c strategy.Context, k feed.Candle) error {
	s.gen++ // it may submit
	st := s.pairs[k.Pair]
	if st == nil {
		st = &pairState{ch: indicator.NewDonchian(s.p.Period)}
		s.pairs[k.Pair] = st
	}
	// The channel of the candles before this one.
	ready, upper := st.ch.Ready(), st.ch.Upper()
	st.ch.Update(k.High.InexactFloat64(), k.Low.InexactFloat64())
	if !ready || st.phase != flat || k.Close.InexactFloat64() <= upper || len(c.OpenOrders(k.Pair)) > 0 {
		return nil
	}
	m := c.Market(k.Pair)
	qty := m.FloorQty(s.p.Size)
	hundred := decimal.NewFromInt(100)
	stop := m.FloorPrice(k.Close.Mul(hundred.Sub(s.p.Stop)).Div(hundred))
	target := m.CeilPrice(k.Close.Mul(hundred.Add(s.p.Take)).Div(hundred))
	if !m.Tradable(qty, k.Close) || stop.Sign() <= 0 {
		s.log.Warn("breakout order below the pair's minimums; skipped", zap.Stringer("pair", k.Pair), zap.Stringer("qty", qty))
		return nil
	}
	_, err := c.Submit(strategy.Order{
		Pair: k.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty, UserRef: RefEntry,
		Close: &strategy.CloseOrder{Type: strategy.StopLoss, Price: stop},
	})
	if err != nil {
		c.Log().Info("entry rejected", zap.Stringer("pair", k.Pair), zap.Error(err))
		return nil
	}
	st.phase, st.stop, st.target = entering, stop, target
	return nil
}

// OnTrade implements strategy.Strategy: it manages the position.
func (s *Breakout) OnTrade(c strategy.Context, t feed.Trade) error {
	st := s.pairs[t.Pair]
	if st == nil || st.phase == flat {
		return nil
	}
	m := c.Market(t.Pair)
	v := &st.view
	v.refresh(c, t.Pair, &m, s.gen)
	pos := v.pos
	holding := v.holding(&m, t.Price)
	switch st.phase {
	case entering:
		if v.buying {
			return nil // the entry is still working
		}
		if !holding {
			st.phase = flat // rejected or cancelled before it filled
			s.cancelSells(c, t.Pair)
			return nil
		}
		st.phase = long
		fallthrough
	case long:
		if !holding {
			st.phase = flat // the stop did its job
			s.cancelSells(c, t.Pair)
			return nil
		}
		if t.Price.GreaterThanOrEqual(st.target) {
			st.phase = exiting
			if v.hasStop {
				if s.cancel(c, v.stop) {
					st.cancelled = v.stop
				}
				return nil
			}
			return s.exit(c, t, st, pos, v.selling)
		}
		if !v.hasStop {
			// The conditional close is missing: protect the position with a stop of our own.
			s.gen++
			_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.StopLoss, Qty: pos, Price: st.stop, UserRef: RefStop})
			if err != nil {
				c.Log().Info("stop rejected", zap.Stringer("pair", t.Pair), zap.Error(err))
			}
		}
	case exiting:
		if !holding {
			st.phase = flat
			s.cancelSells(c, t.Pair)
			return nil
		}
		if v.hasStop {
			if v.stop != st.cancelled && s.cancel(c, v.stop) { // the earlier cancel failed: retry
				st.cancelled = v.stop
			}
			return nil
		}
		return s.exit(c, t, st, pos, v.selling)
	}
	return nil
}

// OnFill implements strategy.FillHandler: a fill changes the position and the open orders.
func (s *Breakout) OnFill(strategy.Context, strategy.Fill) error {
	s.gen++
	return nil
}

// OnOrder implements strategy.OrderHandler: an order opened, changed or ended.
func (s *Breakout) OnOrder(strategy.Context, strategy.OrderUpdate) error {
	s.gen++
	return nil
}

// exit sells the position at market once no other sell order holds it.
func (s *Breakout) exit(c strategy.Context, t feed.Trade, st *pairState, pos decimal.Decimal, selling int) error {
	if selling > 0 {
		return nil // an exit is already working
	}
	s.gen++
	if _, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: pos, UserRef: RefExit}); err != nil {
		c.Log().Info("exit rejected; will retry", zap.Stringer("pair", t.Pair), zap.Error(err))
	}
	return nil
}

func (s *Breakout) cancelSells(c strategy.Context, pair feed.Pair) {
	for _, o := range c.OpenOrders(pair) {
		if o.Side == feed.Sell {
			s.cancel(c, o.ID)
		}
	}
}

func (s *Breakout) cancel(c strategy.Context, id strategy.OrderID) bool {
	s.gen++
	if err := c.Cancel(id); err != nil {
		c.Log().Info("cancel rejected", zap.String("id", string(id)), zap.Error(err))
		return false
	}
	return true
}

// Interface guards.
var (
	_ strategy.Strategy      = (*Breakout)(nil)
	_ strategy.CandleHandler = (*Breakout)(nil)
	_ strategy.FillHandler   = (*Breakout)(nil)
	_ strategy.OrderHandler  = (*Breakout)(nil)
	_ strategy.Factory       = New
)
