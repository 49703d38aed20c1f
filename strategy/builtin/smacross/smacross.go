package smacross

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
const Name = "smacross"

// Help is the strategy's one-paragraph description for listings.
const Help = "SMA crossover on closed candles: market-buys size (or a fraction of the free balance) when the fast SMA crosses above the slow one, sells the position when it crosses below."

// Params are the strategy's parameters.
type Params struct {
	Fast     int             `param:"fast" default:"10" range:"5:50:5" min:"1" help:"fast SMA length, in candles"`
	Slow     int             `param:"slow" default:"30" range:"10:200:10" min:"2" help:"slow SMA length, in candles"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:15m:1m" min:"1s" help:"candle interval"`
	Size     decimal.Decimal `param:"size" default:"0.01" help:"order size in base units (unless fraction is set)"`
	Fraction decimal.Decimal `param:"fraction" default:"0" min:"0" max:"1" help:"if above 0, buys spend this share of the free quote balance, not size (1 = all-in, less 0.5% for the fee)"`
}

// FeeReserve is the share of the quote a fraction-sized buy keeps back for the taker fee
// (Kraken's highest spot taker fee is 0.40%), so that all-in buys are not refused for
// insufficient funds.
var FeeReserve = decimal.RequireFromString("0.005")

// Validate checks what the tags cannot.
func (p *Params) Validate() error {
	switch {
	case p.Fast < 1 || p.Slow < 1:
		return errors.New("fast and slow must be at least 1")
	case p.Fast >= p.Slow:
		return errors.New("fast must be shorter than slow")
	case p.Interval < time.Second:
		return errors.New("interval must be at least 1s")
	case p.Size.Sign() <= 0:
		return errors.New("size must be positive")
	}
	return nil
}

// SMACross is the strategy; see the package doc.
type SMACross struct {
	p     Params
	log   *zap.Logger
	pairs map[feed.Pair]*pairState
}

type pairState struct {
	fast, slow *indicator.SMA
	side       int // +1 fast above slow, -1 below, 0 not known yet
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
func NewWith(p Params, log *zap.Logger) *SMACross {
	if log == nil {
		log = zap.NewNop()
	}
	return &SMACross{p: p, log: log, pairs: make(map[feed.Pair]*pairState)}
}

// CandleIntervals implements strategy.CandleHandler.
func (s *SMACross) CandleIntervals() []time.Duration { return []time.Duration{s.p.Interval} }

// OnTrade implements strategy.Strategy; the strategy trades on candles only.
func (s *SMACross) OnTrade(strategy.Context, feed.Trade) error { return nil }

// OnCandle implements strategy.CandleHandler.
func (s *SMACross) OnCandle(c strategy.Context, k feed.Candle) error {
	st := s.pairs[k.Pair]
	if st == nil {
		st = &pairState{fast: indicator.NewSMA(s.p.Fast), slow: indicator.NewSMA(s.p.Slow)}
		s.pairs[k.Pair] = st
	}
	x := k.Close.InexactFloat64()
	st.fast.Update(x)
	st.slow.Update(x)
	if !st.slow.Ready() {
		return nil
	}
	side := st.side
	switch f, sl := st.fast.Value(), st.slow.Value(); {
	case f > sl:
		side = 1
	case f < sl:
		side = -1
	}
	prev := st.side
	st.side = side
	if prev == 0 || side == prev {
		return nil
	}
	if side > 0 {
		s.buy(c, k)
	} else {
		s.sell(c, k)
	}
	return nil
}

func (s *SMACross) buy(c strategy.Context, k feed.Candle) {
	if c.Position(k.Pair).Qty.Sign() > 0 || c.OpenOrderCount(k.Pair) > 0 {
		return // already long, or an order is still working
	}
	m := c.Market(k.Pair)
	if s.p.Fraction.Sign() > 0 {
		// Sized in quote (Kraken's viqc): the exchange buys what the amount pays for at the
		// prices it finds, so the size never depends on a stale candle close.
		free := c.Balance(k.Pair.Quote()).Free()
		quote := free.Mul(s.p.Fraction).Div(decimal.NewFromInt(1).Add(FeeReserve)).Truncate(max(m.CostDecimals, 2))
		if quote.Sign() <= 0 || (m.CostMin.Sign() > 0 && quote.LessThan(m.CostMin)) {
			s.log.Warn("free balance below the pair's minimum cost; not buying", zap.Stringer("pair", k.Pair), zap.Stringer("quote", quote))
			return
		}
		s.submit(c, strategy.Order{Pair: k.Pair, Side: feed.Buy, Type: strategy.Market, QuoteQty: quote})
		return
	}
	qty := m.FloorQty(s.p.Size)
	if !m.Tradable(qty, k.Close) {
		s.log.Warn("size below the pair's minimum; not buying", zap.Stringer("pair", k.Pair), zap.Stringer("size", qty))
		return
	}
	s.submit(c, strategy.Order{Pair: k.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty})
}

func (s *SMACross) sell(c strategy.Context, k feed.Candle) {
	m := c.Market(k.Pair)
	qty := m.FloorQty(c.Position(k.Pair).Qty)
	if qty.Sign() <= 0 || !m.Tradable(qty, k.Close) {
		return
	}
	s.submit(c, strategy.Order{Pair: k.Pair, Side: feed.Sell, Type: strategy.Market, Qty: qty})
}

func (s *SMACross) submit(c strategy.Context, o strategy.Order) {
	id, err := c.Submit(o)
	if err != nil {
		c.Log().Info("order rejected", zap.Stringer("pair", o.Pair), zap.Stringer("side", o.Side), zap.Error(err))
		return
	}
	if ce := c.Log().Check(zap.DebugLevel, "order submitted"); ce != nil {
		ce.Write(zap.String("id", string(id)), zap.Stringer("side", o.Side), zap.Stringer("qty", o.Qty))
	}
}

// Interface guards.
var (
	_ strategy.Strategy      = (*SMACross)(nil)
	_ strategy.CandleHandler = (*SMACross)(nil)
	_ strategy.Factory       = New
)
