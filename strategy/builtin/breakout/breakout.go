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
	Period   int             `param:"period" default:"20" range:"5:100:5" min:"1" help:"Donchian channel length, in candles"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:15m:1m" min:"1s" help:"candle interval"`
	Size     decimal.Decimal `param:"size" default:"0.01" help:"order size in base units"`
	Stop     decimal.Decimal `param:"stop" default:"1" range:"0.25:5:0.25" min:"0.01" max:"99.99" help:"stop-loss distance below the breakout close, percent"`
	Take     decimal.Decimal `param:"take" default:"2" range:"0.5:10:0.5" min:"0.01" help:"take-profit distance above the breakout close, percent"`
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
	// orders is the scratch buffer OnTrade reads the open orders into (Context.
	// AppendOpenOrders): reused, so managing a position allocates no order slices.
	orders []strategy.Order
}

type pairState struct {
	ch           *indicator.Donchian
	phase        phase
	stop, target decimal.Decimal
	cancelled    strategy.OrderID // stop whose cancel was accepted; waiting for it to go
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
	st := s.pairs[k.Pair]
	if st == nil {
		st = &pairState{ch: indicator.NewDonchian(s.p.Period)}
		s.pairs[k.Pair] = st
	}
	// The channel of the candles before this one.
	ready, upper := st.ch.Ready(), st.ch.Upper()
	st.ch.Update(k.High.InexactFloat64(), k.Low.InexactFloat64())
	if !ready || st.phase != flat || k.Close.InexactFloat64() <= upper || c.OpenOrderCount(k.Pair) > 0 {
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

// OnTrade implements strategy.Strategy: it manages the position. It reads the account
// afresh on every trade — the open orders into a reused buffer — so what it sees is always
// the account as it is, with no view of its own to keep in step.
func (s *Breakout) OnTrade(c strategy.Context, t feed.Trade) error {
	st := s.pairs[t.Pair]
	if st == nil || st.phase == flat {
		return nil
	}
	var buying, hasStop bool
	var stop strategy.OrderID // the first open stop-loss sell
	var selling int
	s.orders = c.AppendOpenOrders(s.orders[:0], t.Pair)
	for i := range s.orders {
		o := &s.orders[i]
		switch {
		case o.Side == feed.Buy:
			buying = true
		case o.Type == strategy.StopLoss:
			if !hasStop {
				stop, hasStop = o.ID, true
			}
			selling++
		default:
			selling++
		}
	}
	if st.phase == entering && buying {
		return nil // the entry is still working: no need for the position's decimal maths
	}
	m := c.Market(t.Pair)
	pos := m.FloorQty(c.Position(t.Pair).Qty)
	holding := pos.Sign() > 0 && m.Tradable(pos, t.Price)
	switch st.phase {
	case entering:
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
			if hasStop {
				if s.cancel(c, stop) {
					st.cancelled = stop
				}
				return nil
			}
			return s.exit(c, t, pos, selling)
		}
		if !hasStop {
			// The conditional close is missing: protect the position with a stop of our own.
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
		if hasStop {
			if stop != st.cancelled && s.cancel(c, stop) { // the earlier cancel failed: retry
				st.cancelled = stop
			}
			return nil
		}
		return s.exit(c, t, pos, selling)
	}
	return nil
}

// exit sells the position at market once no other sell order holds it.
func (s *Breakout) exit(c strategy.Context, t feed.Trade, pos decimal.Decimal, selling int) error {
	if selling > 0 {
		return nil // an exit is already working
	}
	if _, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: pos, UserRef: RefExit}); err != nil {
		c.Log().Info("exit rejected; will retry", zap.Stringer("pair", t.Pair), zap.Error(err))
	}
	return nil
}

func (s *Breakout) cancelSells(c strategy.Context, pair feed.Pair) {
	s.orders = c.AppendOpenOrders(s.orders[:0], pair)
	for i := range s.orders {
		if s.orders[i].Side == feed.Sell {
			s.cancel(c, s.orders[i].ID)
		}
	}
}

func (s *Breakout) cancel(c strategy.Context, id strategy.OrderID) bool {
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
	_ strategy.Factory       = New
)
