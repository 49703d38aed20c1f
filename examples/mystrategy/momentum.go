package main

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Params are the strategy's parameters; `papertrade strategies momentum` lists them and
// configs and sweeps set them by name.
type Params struct {
	Lookback int             `param:"lookback" default:"50" range:"10:200:10" help:"trades between decisions"`
	Size     decimal.Decimal `param:"size" default:"0.001" help:"order size in base units"`
}

// Momentum buys when the price rose over the last Lookback trades and sells what it holds
// when it fell. It is deliberately tiny: the point is how a strategy plugs in.
type Momentum struct {
	p     Params
	n     int
	start decimal.Decimal
}

var _ strategy.Strategy = (*Momentum)(nil)

// New is the strategy's factory.
func New(params strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
	var p Params
	if err := params.Decode(&p); err != nil {
		return nil, err
	}
	return &Momentum{p: p}, nil
}

// OnTrade decides every Lookback trades, on event time only.
func (m *Momentum) OnTrade(c strategy.Context, t feed.Trade) error {
	if m.n%m.p.Lookback == 0 {
		if m.n > 0 {
			m.decide(c, t)
		}
		m.start = t.Price
	}
	m.n++
	return nil
}

func (m *Momentum) decide(c strategy.Context, t feed.Trade) {
	mk := c.Market(t.Pair)
	held := mk.FloorQty(c.Position(t.Pair).Qty)
	switch {
	case t.Price.GreaterThan(m.start) && held.IsZero():
		// A rejection (e.g. insufficient funds) is Kraken's error; the strategy just waits.
		_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: m.p.Size})
	case t.Price.LessThan(m.start) && mk.Tradable(held, t.Price):
		_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: held})
	}
}
