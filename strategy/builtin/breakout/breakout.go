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
	// Short also trades breakdowns: a close below the channel sells Size short on Kraken spot
	// margin at Leverage, with a buy stop-loss Stop percent above and a target Take percent
	// below. Off by default.
	Short    bool `param:"short" default:"false" help:"also sell breakdowns short on margin"`
	Leverage int  `param:"leverage" default:"2" min:"2" help:"leverage of the short entries (one the pair offers for sells)"`
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
	case p.Short && p.Leverage < 2:
		return errors.New("leverage must be at least 2 for shorts")
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

// A short trip goes through the same phases with the sides swapped; pairState.short says
// which one is running.

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
	short        bool             // the trip is a margin short
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
	ready, upper, lower := st.ch.Ready(), st.ch.Upper(), st.ch.Lower()
	st.ch.Update(k.High.InexactFloat64(), k.Low.InexactFloat64())
	if !ready || st.phase != flat || c.OpenOrderCount(k.Pair) > 0 {
		return nil
	}
	if s.p.Short && k.Close.InexactFloat64() < lower {
		return s.enterShort(c, k, st)
	}
	if k.Close.InexactFloat64() <= upper {
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
	st.phase, st.stop, st.target, st.short = entering, stop, target, false
	return nil
}

// enterShort sells Size short on margin at a breakdown, with a conditional-close buy stop
// Stop percent above the close, and sets the target Take percent below.
func (s *Breakout) enterShort(c strategy.Context, k feed.Candle, st *pairState) error {
	m := c.Market(k.Pair)
	qty := m.FloorQty(s.p.Size)
	hundred := decimal.NewFromInt(100)
	stop := m.CeilPrice(k.Close.Mul(hundred.Add(s.p.Stop)).Div(hundred))
	target := m.FloorPrice(k.Close.Mul(hundred.Sub(s.p.Take)).Div(hundred))
	if !m.Tradable(qty, k.Close) || target.Sign() <= 0 {
		s.log.Warn("breakout short below the pair's minimums; skipped", zap.Stringer("pair", k.Pair), zap.Stringer("qty", qty))
		return nil
	}
	_, err := c.Submit(strategy.Order{
		Pair: k.Pair, Side: feed.Sell, Type: strategy.Market, Qty: qty, UserRef: RefEntry, Leverage: s.p.Leverage,
		Close: &strategy.CloseOrder{Type: strategy.StopLoss, Price: stop},
	})
	if err != nil {
		c.Log().Info("short entry rejected", zap.Stringer("pair", k.Pair), zap.Error(err))
		return nil
	}
	st.phase, st.stop, st.target, st.short = entering, stop, target, true
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
	if st.short {
		return s.manageShort(c, t, st)
	}
	buying, stop, hasStop, selling := s.scanOrders(c, t.Pair, feed.Buy) // stop: the first open stop-loss sell
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

func (s *Breakout) cancelSells(c strategy.Context, pair feed.Pair) { s.cancelSide(c, pair, feed.Sell) }

func (s *Breakout) cancelSide(c strategy.Context, pair feed.Pair, side feed.Side) {
	s.orders = c.AppendOpenOrders(s.orders[:0], pair)
	for i := range s.orders {
		if s.orders[i].Side == side {
			s.cancel(c, s.orders[i].ID)
		}
	}
}

// scanOrders reads the pair's open orders for a trip entered on side entry: whether an entry
// order is working, the first open stop-loss (the other side) and how many exit orders there
// are (the stop included).
func (s *Breakout) scanOrders(c strategy.Context, pair feed.Pair, entry feed.Side) (entering bool, stop strategy.OrderID, hasStop bool, exits int) {
	s.orders = c.AppendOpenOrders(s.orders[:0], pair)
	for i := range s.orders {
		o := &s.orders[i]
		switch {
		case o.Side == entry:
			entering = true
		case o.Type == strategy.StopLoss:
			if !hasStop {
				stop, hasStop = o.ID, true
			}
			exits++
		default:
			exits++
		}
	}
	return entering, stop, hasStop, exits
}

// manageShort is OnTrade for a short trip: the long rules with the sides swapped, on the
// account's margin position. The stop and the exit are reduce-only margin buys, so neither
// can open a long.
func (s *Breakout) manageShort(c strategy.Context, t feed.Trade, st *pairState) error {
	selling, stop, hasStop, buying := s.scanOrders(c, t.Pair, feed.Sell)
	if st.phase == entering && selling {
		return nil
	}
	m := c.Market(t.Pair)
	mp := c.Position(t.Pair).Margin
	pos := decimal.Zero
	if mp.Open() && mp.Side == feed.Sell {
		pos = m.FloorQty(mp.Qty)
	}
	holding := pos.Sign() > 0
	switch st.phase {
	case entering:
		if !holding {
			st.phase = flat
			s.cancelSide(c, t.Pair, feed.Buy)
			return nil
		}
		st.phase = long // holding (short)
		fallthrough
	case long:
		if !holding {
			st.phase = flat // the stop did its job
			s.cancelSide(c, t.Pair, feed.Buy)
			return nil
		}
		if t.Price.LessThanOrEqual(st.target) {
			st.phase = exiting
			if hasStop {
				if s.cancel(c, stop) {
					st.cancelled = stop
				}
				return nil
			}
			return s.cover(c, t, pos, buying)
		}
		if !hasStop {
			_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.StopLoss, Qty: pos, Price: st.stop,
				UserRef: RefStop, Leverage: s.p.Leverage, ReduceOnly: true})
			if err != nil {
				c.Log().Info("stop rejected", zap.Stringer("pair", t.Pair), zap.Error(err))
			}
		}
	case exiting:
		if !holding {
			st.phase = flat
			s.cancelSide(c, t.Pair, feed.Buy)
			return nil
		}
		if hasStop {
			if stop != st.cancelled && s.cancel(c, stop) {
				st.cancelled = stop
			}
			return nil
		}
		return s.cover(c, t, pos, buying)
	}
	return nil
}

// cover buys the short back at market once no other buy order is working.
func (s *Breakout) cover(c strategy.Context, t feed.Trade, pos decimal.Decimal, buying int) error {
	if buying > 0 {
		return nil
	}
	if _, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: pos, UserRef: RefExit,
		Leverage: s.p.Leverage, ReduceOnly: true}); err != nil {
		c.Log().Info("cover rejected; will retry", zap.Stringer("pair", t.Pair), zap.Error(err))
	}
	return nil
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
