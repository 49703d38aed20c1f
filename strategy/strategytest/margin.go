package strategytest

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// Spot margin in the fake: enough of Kraken's rules for a strategy's unit tests to go short.
// A margin order (Order.Leverage) holds no funds; one that opens must fit the free margin
// (quote balance plus unrealised margin PnL, minus the margin of open positions and of other
// open margin orders: "EOrder:Margin level too low"); reduce-only needs a position to reduce
// ("EOrder:Reduce only:No position exists", trigger orders excepted) and never goes past it
// (the rest is cancelled, "EOrder:Reduce only:Position is closed"). A fill closes an
// opposite position first, realising its PnL in quote, then opens the rest. Only the
// trading fee is charged: the margin opening and rollover fees, margin calls and
// liquidation are the simulator's (engine/sim), as is settle-position.

// marginView is the account's margin position in pair, valued at the last trade.
func (c *Context) marginView(pair feed.Pair) strategy.MarginPosition {
	m := c.margin[pair]
	if m == nil || !m.Open() {
		return strategy.MarginPosition{}
	}
	out := *m
	out.AvgPrice = m.Cost.DivRound(m.Qty, 12)
	upnl, used := c.marginMarks(pair, m)
	out.UnrealizedPnL, out.UsedMargin = upnl, used
	return out
}

func (c *Context) marginMarks(pair feed.Pair, m *strategy.MarginPosition) (upnl, used decimal.Decimal) {
	value := m.Cost
	if mk, ok := c.markets[pair]; ok && mk.info.HasLast {
		value = mk.info.Last.Mul(m.Qty)
	}
	lev := decimal.NewFromInt(int64(m.Leverage))
	if m.Side == feed.Buy {
		return value.Sub(m.Cost), m.Cost.DivRound(lev, 12)
	}
	return m.Cost.Sub(value), value.DivRound(lev, 12)
}

// closable is how much of a margin order on side would close the open position in pair.
func (c *Context) closable(pair feed.Pair, side feed.Side) decimal.Decimal {
	if m := c.margin[pair]; m != nil && m.Open() && m.Side != side {
		return m.Qty
	}
	return decimal.Zero
}

// checkMargin applies the submit-time margin rules to a validated margin order.
func (c *Context) checkMargin(o strategy.Order) error {
	closable := c.closable(o.Pair, o.Side)
	if o.ReduceOnly {
		if closable.Sign() == 0 && !strategy.Trigger(o.Type) {
			return strategy.ErrReduceOnlyNoPosition
		}
		return nil
	}
	opens := o.Qty.Sub(closable)
	if opens.Sign() <= 0 || o.Type == strategy.SettlePosition {
		return nil
	}
	price := o.Price
	switch o.Type {
	case strategy.Market, strategy.TrailingStop, strategy.TrailingStopLimit:
		price = c.marketPrice(o.Pair)
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		price = o.Price2
	}
	need := price.Mul(opens).Div(decimal.NewFromInt(int64(o.Leverage)))
	free := decimal.Zero
	for _, p := range c.pairs {
		if m := c.margin[p]; m != nil && m.Open() {
			upnl, used := c.marginMarks(p, m)
			free = free.Add(upnl).Sub(used)
		}
	}
	free = free.Add(c.balances[o.Pair.Quote()])
	for _, op := range c.open {
		if op.Leverage > 0 && !op.ReduceOnly {
			p := op.Price
			if op.Type == strategy.Market || p.Sign() <= 0 {
				p = c.marketPrice(op.Pair)
			}
			free = free.Sub(p.Mul(op.Qty.Sub(op.filled)).Div(decimal.NewFromInt(int64(op.Leverage))))
		}
	}
	if need.GreaterThan(free) {
		return strategy.ErrMarginLevel
	}
	return nil
}

// marginFill books qty of margin order o at price: it returns the quantity booked (a
// reduce-only order is cut to the position) and false when a reduce-only order has nothing
// left to reduce.
func (c *Context) marginFill(o *order, qty, price, _ decimal.Decimal) (decimal.Decimal, bool) {
	if c.margin == nil {
		c.margin = make(map[feed.Pair]*strategy.MarginPosition)
	}
	m := c.margin[o.Pair]
	if m == nil {
		m = &strategy.MarginPosition{}
		c.margin[o.Pair] = m
	}
	closable := c.closable(o.Pair, o.Side)
	if o.ReduceOnly {
		if closable.Sign() == 0 {
			return decimal.Zero, false
		}
		qty = decimal.Min(qty, closable)
	}
	closes := decimal.Min(qty, closable)
	opens := qty.Sub(closes)
	if closes.Sign() > 0 {
		basis := m.Cost
		if !closes.Equal(m.Qty) {
			basis = m.Cost.Mul(closes).DivRound(m.Qty, 12)
		}
		pnl := price.Mul(closes).Sub(basis)
		if m.Side == feed.Sell {
			pnl = pnl.Neg()
		}
		q := o.Pair.Quote()
		c.balances[q] = c.balances[q].Add(pnl)
		c.pos[o.Pair].RealizedPnL = c.pos[o.Pair].RealizedPnL.Add(pnl)
		m.RealizedPnL = m.RealizedPnL.Add(pnl)
		m.Qty, m.Cost = m.Qty.Sub(closes), m.Cost.Sub(basis)
		if m.Qty.Sign() == 0 {
			*m = strategy.MarginPosition{}
		}
	}
	if opens.Sign() > 0 {
		if !m.Open() {
			*m = strategy.MarginPosition{Side: o.Side, Leverage: o.Leverage, Opened: c.now}
		}
		m.Qty, m.Cost = m.Qty.Add(opens), m.Cost.Add(price.Mul(opens))
	}
	return qty, true
}
