package main

import (
	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Params are read from the struct tags: param (the name in configs), default, range (what a
// sweep searches), min/max (legal values) and help (`papertrade strategies momentum`).
type Params struct {
	Lookback int             `param:"lookback" default:"50" range:"10:200:10" min:"1" help:"trades between decisions"`
	Size     decimal.Decimal `param:"size" default:"0.001" min:"0" help:"order size in base units"`
}

// Momentum buys when the price rose over the last Lookback trades and sells what it holds
// when it fell.
type Momentum struct {
	p     Params
	n     int
	start decimal.Decimal
}

// New is the factory the registry calls once per configured instance.
func New(params strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
	var p Params
	if err := params.Decode(&p); err != nil {
		return nil, err // names the parameter and the value, e.g. lookback "0" is below the minimum 1
	}
	return &Momentum{p: p}, nil
}

// OnTrade is called for every trade of the instance's pairs, on event time (c.Now()).
func (m *Momentum) OnTrade(c strategy.Context, t feed.Trade) error {
	m.n++
	if m.n%m.p.Lookback != 1 && m.p.Lookback > 1 {
		return nil
	}
	rose, fell := t.Price.GreaterThan(m.start), t.Price.LessThan(m.start)
	m.start = t.Price
	if m.n == 1 {
		return nil
	}
	mk := c.Market(t.Pair) // precision, minimums, best bid/ask
	held := mk.FloorQty(c.Position(t.Pair).Qty)
	var err error
	switch {
	case rose && held.IsZero():
		_, err = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: m.p.Size})
	case fell && mk.Tradable(held, t.Price):
		_, err = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: held})
	}
	if err != nil {
		// A rejection carries Kraken's text ("EOrder:Insufficient funds"); returning an error
		// would stop this instance, so log it and wait for the next decision.
		c.Log().Info("order rejected", zap.Error(err))
	}
	return nil
}

var _ strategy.Strategy = (*Momentum)(nil) // the compiler checks the interface
