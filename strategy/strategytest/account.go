package strategytest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// view is the strategy.Context one callback receives.
type view struct {
	c     *Context
	cb    string
	valid bool
}

var _ strategy.Context = (*view)(nil)

func (v *view) ok(method string) bool {
	if v.valid {
		return true
	}
	v.c.violation("%s called on the Context of %s after that callback returned", method, v.cb)
	return false
}

func (v *view) Now() time.Time {
	if !v.ok("Now") {
		return time.Time{}
	}
	return v.c.now
}

func (v *view) Submit(o strategy.Order) (strategy.OrderID, error) {
	if !v.ok("Submit") {
		return "", ErrInvalidContext
	}
	return v.c.submit(v.cb, o)
}

func (v *view) Cancel(id strategy.OrderID) error {
	if !v.ok("Cancel") {
		return ErrInvalidContext
	}
	return v.c.cancel(v.cb, id)
}

func (v *view) CancelAll(pair feed.Pair) error {
	if !v.ok("CancelAll") {
		return ErrInvalidContext
	}
	c := v.c
	c.actions = append(c.actions, Action{Time: c.now, Callback: v.cb, Op: "cancel-all", Pair: pair})
	for _, o := range slices.Clone(c.open) {
		if pair == "" || o.Pair == pair {
			c.finish(o, strategy.StatusCanceled)
			c.queued = append(c.queued, c.update(o, "User requested"))
		}
	}
	return nil
}

func (v *view) CancelAllOrdersAfter(timeout time.Duration) (time.Time, error) {
	if !v.ok("CancelAllOrdersAfter") {
		return time.Time{}, ErrInvalidContext
	}
	c := v.c
	c.actions = append(c.actions, Action{Time: c.now, Callback: v.cb, Op: "cancel-after", Timer: timeout})
	switch {
	case timeout < 0:
		return time.Time{}, strategy.ErrInvalidArguments
	case timeout == 0:
		c.dmsSet = false
		return time.Time{}, nil
	}
	// The fake has no latency: the countdown starts now.
	c.dmsSet, c.dmsAt = true, c.now.Add(timeout)
	return c.dmsAt, nil
}

func (v *view) Amend(id strategy.OrderID, qty, price decimal.Decimal) error {
	if !v.ok("Amend") {
		return ErrInvalidContext
	}
	return v.c.amend(v.cb, id, qty, price)
}

func (v *view) Balance(asset string) strategy.Balance {
	if !v.ok("Balance") {
		return strategy.Balance{Asset: asset}
	}
	return v.c.balance(asset)
}

func (v *view) Balances() []strategy.Balance {
	if !v.ok("Balances") {
		return nil
	}
	c := v.c
	assets := make([]string, 0, len(c.balances))
	for a := range c.balances {
		assets = append(assets, a)
	}
	slices.Sort(assets)
	out := make([]strategy.Balance, len(assets))
	for i, a := range assets {
		out[i] = c.balance(a)
	}
	return out
}

func (v *view) Position(pair feed.Pair) strategy.Position {
	if !v.ok("Position") {
		return strategy.Position{Pair: pair}
	}
	return v.c.position(pair)
}

func (v *view) OpenOrders(pair feed.Pair) []strategy.Order {
	if !v.ok("OpenOrders") {
		return nil
	}
	return v.c.openOrders(pair)
}

func (v *view) Market(pair feed.Pair) strategy.MarketInfo {
	if !v.ok("Market") {
		return strategy.MarketInfo{}
	}
	m, ok := v.c.markets[pair]
	if !ok {
		return strategy.MarketInfo{}
	}
	return m.info
}

func (v *view) Pairs() []feed.Pair {
	if !v.ok("Pairs") {
		return nil
	}
	return slices.Clone(v.c.pairs)
}

func (v *view) SetTimer(d time.Duration) {
	if !v.ok("SetTimer") {
		return
	}
	c := v.c
	c.actions = append(c.actions, Action{Time: c.now, Callback: v.cb, Op: "set-timer", Timer: d})
	if d <= 0 {
		c.timerSet = false
		return
	}
	c.timerSet, c.timerAt = true, c.now.Add(d)
}

func (v *view) Log() *zap.Logger {
	if !v.ok("Log") {
		return zap.NewNop()
	}
	return v.c.log
}

// --- account ---

func (c *Context) balance(asset string) strategy.Balance {
	b := strategy.Balance{Asset: asset, Total: c.balances[asset], Reserved: decimal.Zero}
	for _, o := range c.open {
		if o.status != strategy.StatusOpen {
			continue
		}
		need, a := c.reservation(o, o.Qty.Sub(o.filled))
		if a == asset {
			b.Reserved = b.Reserved.Add(need)
		}
	}
	return b
}

// reservation is what an order needs to hold for qty: base for a sell, quote for a buy
// valued at its limit or trigger price, or the ask or last price for a market buy.
func (c *Context) reservation(o *order, qty decimal.Decimal) (decimal.Decimal, string) {
	if o.Leverage > 0 {
		return decimal.Zero, o.Pair.Quote() // a margin order holds margin, not funds
	}
	if o.Side == feed.Sell {
		return qty, o.Pair.Base()
	}
	if o.QuoteQty.Sign() > 0 {
		return o.QuoteQty, o.Pair.Quote() // viqc: the quote amount itself
	}
	price := o.Price
	switch o.Type {
	case strategy.Market, strategy.TrailingStop, strategy.TrailingStopLimit:
		price = c.marketPrice(o.Pair)
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		price = o.Price2
	}
	return qty.Mul(price), o.Pair.Quote()
}

// marketPrice values a market buy: the best ask when a book is known, else the last trade;
// zero when neither is known.
func (c *Context) marketPrice(p feed.Pair) decimal.Decimal {
	m := c.markets[p]
	if m.info.HasBook {
		return m.info.Ask
	}
	if m.info.HasLast {
		return m.info.Last
	}
	return decimal.Zero
}

func (c *Context) position(pair feed.Pair) strategy.Position {
	p, ok := c.pos[pair]
	if !ok {
		return strategy.Position{Pair: pair}
	}
	out := *p
	if m, ok := c.markets[pair]; ok && m.info.HasLast && p.Qty.Sign() > 0 {
		out.UnrealizedPnL = m.info.Last.Sub(p.AvgEntry).Mul(p.Qty)
	}
	out.Margin = c.marginView(pair)
	return out
}

func (c *Context) openOrders(pair feed.Pair) []strategy.Order {
	var out []strategy.Order
	for _, o := range c.open {
		if pair == "" || o.Pair == pair {
			out = append(out, o.Order)
		}
	}
	return out
}

func (c *Context) update(o *order, reason string) strategy.OrderUpdate {
	u := strategy.OrderUpdate{Order: o.Order, Status: o.status, Filled: o.filled, Fee: o.fee, Reason: reason, Time: c.now}
	if o.filled.Sign() > 0 {
		u.AvgPrice = o.cost.DivRound(o.filled, c.markets[o.Pair].info.PriceDecimals+4)
	}
	return u
}

func (c *Context) submit(cb string, o strategy.Order) (strategy.OrderID, error) {
	o.ID = ""
	act := Action{Time: c.now, Callback: cb, Op: "submit", Order: o}
	n, err := c.validate(o)
	if err != nil {
		act.Err = err.Error()
		c.actions = append(c.actions, act)
		return "", err
	}
	o = n
	c.nextID++
	o.ID = strategy.OrderID(fmt.Sprintf("OTEST%d-STRAT-%06d", c.nextID%10, c.nextID))
	act.Order.ID = o.ID
	c.actions = append(c.actions, act)
	ord := &order{Order: o, status: strategy.StatusOpen, filled: decimal.Zero, cost: decimal.Zero, fee: decimal.Zero, seq: c.seq}
	c.orders = append(c.orders, ord)
	c.open = append(c.open, ord)
	c.byID[o.ID] = ord
	c.queued = append(c.queued, c.update(ord, ""))
	if o.PostOnly && c.wouldTake(c.markets[o.Pair].info, o) {
		// As on Kraken: accepted, then cancelled because it would have taken liquidity.
		c.finish(ord, strategy.StatusCanceled)
		c.queued = append(c.queued, c.update(ord, strategy.ReasonPostOnly))
	}
	return o.ID, nil
}

// validate runs the one validator (strategy.CheckOrder, which the simulator runs too) and
// then checks funds; it returns the order normalised (quantity on the lot step, relative
// prices resolved). Under WithStrictPrecision a quantity off the lot step is refused, as the
// simulator's Config.StrictLot does, and it and prices off the tick are also violations.
func (c *Context) validate(o strategy.Order) (strategy.Order, error) {
	if c.cfg.reject != nil {
		if err := c.cfg.reject(o); err != nil {
			return o, err
		}
	}
	m, ok := c.markets[o.Pair]
	if !ok {
		return o, strategy.ErrUnknownAssetPair
	}
	info := m.info
	n, err := strategy.CheckOrder(o, info, c.now, strategy.CheckOptions{StrictLot: c.cfg.strict})
	switch {
	case errors.Is(err, strategy.ErrInvalidVolume) && o.Qty.Sign() > 0:
		c.precision("quantity %s of a %s %s order is off the lot step %s", o.Qty, o.Side, o.Type, info.QtyStep())
	case errors.Is(err, strategy.ErrInvalidPrice):
		c.precision("price %s of a %s %s order has more than %d decimals", offending(o, func(p decimal.Decimal) bool {
			return !p.Truncate(info.PriceDecimals).Equal(p)
		}), o.Side, o.Type, info.PriceDecimals)
	case errors.Is(err, strategy.ErrTickSize):
		c.precision("price %s of a %s %s order is off the tick %s", offending(o, func(p decimal.Decimal) bool {
			return !info.FloorPrice(p).Equal(p)
		}), o.Side, o.Type, info.PriceStep())
	}
	if err != nil {
		return o, err
	}
	if n.Leverage > 0 {
		return n, c.checkMargin(n)
	}
	need, asset := c.reservation(&order{Order: n}, n.Qty)
	if need.GreaterThan(c.balance(asset).Free()) {
		return o, strategy.ErrInsufficientFunds
	}
	return n, nil
}

// offending returns the first of o's prices that bad reports, for a violation message.
func offending(o strategy.Order, bad func(decimal.Decimal) bool) decimal.Decimal {
	ps := []decimal.Decimal{o.Price, o.Price2}
	if o.Close != nil {
		ps = append(ps, o.Close.Price, o.Close.Price2)
	}
	for _, p := range ps {
		if !p.IsZero() && bad(p) {
			return p
		}
	}
	return decimal.Zero
}

func (c *Context) precision(format string, args ...any) {
	if c.cfg.strict {
		c.violation(format, args...)
	}
}

// wouldTake reports whether a post-only limit would trade on arrival: against the book when
// known, else against the last trade (strictly through it, as the simulator without a book).
func (c *Context) wouldTake(info strategy.MarketInfo, o strategy.Order) bool {
	switch {
	case info.HasBook && o.Side == feed.Buy && info.Ask.Sign() > 0:
		return o.Price.GreaterThanOrEqual(info.Ask)
	case info.HasBook && o.Side == feed.Sell && info.Bid.Sign() > 0:
		return o.Price.LessThanOrEqual(info.Bid)
	case info.HasLast && o.Side == feed.Buy:
		return o.Price.GreaterThan(info.Last)
	case info.HasLast:
		return o.Price.LessThan(info.Last)
	}
	return false
}

func (c *Context) cancel(cb string, id strategy.OrderID) error {
	act := Action{Time: c.now, Callback: cb, Op: "cancel", ID: id}
	err := c.checkOpen(id)
	if err != nil {
		act.Err = err.Error()
		c.actions = append(c.actions, act)
		return err
	}
	c.actions = append(c.actions, act)
	o := c.byID[id]
	c.finish(o, strategy.StatusCanceled)
	c.queued = append(c.queued, c.update(o, "User requested"))
	return nil
}

func (c *Context) checkOpen(id strategy.OrderID) error {
	if c.cfg.rejectCancel != nil {
		if err := c.cfg.rejectCancel(id); err != nil {
			return err
		}
	}
	o, ok := c.byID[id]
	if !ok || o.status != strategy.StatusOpen {
		return strategy.ErrUnknownOrder
	}
	return nil
}

func (c *Context) amend(cb string, id strategy.OrderID, qty, price decimal.Decimal) error {
	act := Action{Time: c.now, Callback: cb, Op: "amend", ID: id, Qty: qty, Price: price}
	err := c.checkOpen(id)
	if err == nil {
		o := c.byID[id]
		next := o.Order
		if !qty.IsZero() {
			next.Qty = qty
		}
		if !price.IsZero() {
			next.Price = price
		}
		switch {
		case next.Qty.LessThan(o.filled) || next.Qty.Equal(o.filled):
			err = strategy.ErrInvalidVolume
		default:
			// Validate the amended order as a new one for the part that is not filled, with
			// its own reservation released.
			o.status = strategy.StatusCanceled
			probe := next
			probe.Qty = next.Qty.Sub(o.filled)
			probe.Close = nil
			probe.PostOnly = false // Kraken's amend keeps post-only semantics; not re-checked here
			_, err = c.validate(probe)
			if errors.Is(err, strategy.ErrOrderMinimum) || errors.Is(err, strategy.ErrCostMinimum) {
				err = nil // a partially filled remainder may be below the minimums
			}
			o.status = strategy.StatusOpen
			if err == nil {
				o.Order = next
				c.queued = append(c.queued, c.update(o, "amended"))
			}
		}
	}
	if err != nil {
		act.Err = err.Error()
	}
	c.actions = append(c.actions, act)
	return err
}

// finish gives an open order its final status and takes it off the open list.
func (c *Context) finish(o *order, status strategy.OrderStatus) {
	o.status = status
	if i := slices.Index(c.open, o); i >= 0 {
		c.open = slices.Delete(c.open, i, i+1)
	}
}

// fill executes qty of o at price and delivers OnFill and OnOrder (and the conditional
// close's acceptance).
func (c *Context) fill(o *order, qty, price decimal.Decimal, liq strategy.Liquidity) error {
	rem := o.Qty.Sub(o.filled)
	if qty.GreaterThan(rem) {
		qty = rem
	}
	if qty.Sign() <= 0 {
		return nil
	}
	info := c.markets[o.Pair].info
	cost := qty.Mul(price)
	fee := cost.Mul(c.cfg.feePct).Div(decimal.NewFromInt(100)).Round(info.CostDecimals)
	base, quote := o.Pair.Base(), o.Pair.Quote()
	p := c.pos[o.Pair]
	if p == nil {
		p = &strategy.Position{Pair: o.Pair, Qty: decimal.Zero, AvgEntry: decimal.Zero, RealizedPnL: decimal.Zero}
		c.pos[o.Pair] = p
	}
	if o.Leverage > 0 {
		var ok bool
		if qty, ok = c.marginFill(o, qty, price, fee); !ok {
			c.finish(o, strategy.StatusCanceled)
			return c.deliverUpdate(c.update(o, strategy.ErrReduceOnlyClosed.Error()))
		}
		cost = qty.Mul(price)
		fee = cost.Mul(c.cfg.feePct).Div(decimal.NewFromInt(100)).Round(info.CostDecimals)
		c.balances[quote] = c.balances[quote].Sub(fee)
		p.RealizedPnL = p.RealizedPnL.Sub(fee)
	} else if o.Side == feed.Buy {
		c.balances[base] = c.balances[base].Add(qty)
		c.balances[quote] = c.balances[quote].Sub(cost).Sub(fee)
		nq := p.Qty.Add(qty)
		p.AvgEntry = p.AvgEntry.Mul(p.Qty).Add(cost).DivRound(nq, info.PriceDecimals+4)
		p.Qty = nq
		p.RealizedPnL = p.RealizedPnL.Sub(fee)
	} else {
		c.balances[base] = c.balances[base].Sub(qty)
		c.balances[quote] = c.balances[quote].Add(cost).Sub(fee)
		closed := decimal.Min(qty, p.Qty)
		p.RealizedPnL = p.RealizedPnL.Add(price.Sub(p.AvgEntry).Mul(closed)).Sub(fee)
		p.Qty = p.Qty.Sub(closed)
		if p.Qty.Sign() == 0 {
			p.AvgEntry = decimal.Zero
		}
	}
	o.filled = o.filled.Add(qty)
	o.cost = o.cost.Add(cost)
	o.fee = o.fee.Add(fee)
	if o.filled.Equal(o.Qty) {
		c.finish(o, strategy.StatusClosed)
	}
	f := strategy.Fill{
		OrderID: o.ID, UserRef: o.UserRef, Pair: o.Pair, Side: o.Side, Price: price, Qty: qty,
		Fee: fee, FeeAsset: quote, Liquidity: liq, Time: c.now, Seq: c.seq,
		Provenance: strategy.Provenance{Model: "strategytest"},
	}
	c.fills = append(c.fills, f)
	if fh, ok := c.s.(strategy.FillHandler); ok {
		if err := c.call("OnFill", func(v strategy.Context) error { return fh.OnFill(v, f) }); err != nil {
			return err
		}
	}
	if err := c.deliverUpdate(c.update(o, "")); err != nil {
		return err
	}
	if o.status == strategy.StatusClosed && o.Close != nil {
		cl := &order{
			Order: strategy.Order{
				Pair: o.Pair, Side: o.Side.Opposite(), Type: o.Close.Type, Qty: o.filled,
				Price: o.Close.Price, Price2: o.Close.Price2, Offset: o.Close.Offset, UserRef: o.UserRef,
				Leverage: o.Leverage, // a margin order's close trades on margin: it closes the position
			},
			status: strategy.StatusOpen, filled: decimal.Zero, cost: decimal.Zero, fee: decimal.Zero, seq: c.seq,
		}
		c.nextID++
		cl.ID = strategy.OrderID(fmt.Sprintf("OTEST%d-CLOSE-%06d", c.nextID%10, c.nextID))
		c.orders = append(c.orders, cl)
		c.open = append(c.open, cl)
		c.byID[cl.ID] = cl
		return c.deliverUpdate(c.update(cl, ""))
	}
	return nil
}

// match fills open orders on t's pair that were placed before this event, in submission
// order.
func (c *Context) match(t feed.Trade) error {
	avail := t.Qty
	for _, o := range slices.Clone(c.open) {
		if avail.Sign() <= 0 {
			return nil
		}
		if o.status != strategy.StatusOpen || o.Pair != t.Pair || o.seq >= c.seq {
			continue
		}
		price, ok := c.matchPrice(o, t.Price)
		if !ok {
			continue
		}
		qty := decimal.Min(avail, o.Qty.Sub(o.filled))
		avail = avail.Sub(qty)
		liq := strategy.Taker
		if o.Type == strategy.Limit {
			liq = strategy.Maker
		}
		if err := c.fill(o, qty, price, liq); err != nil {
			return err
		}
		if o.TimeInForce == strategy.IOC && o.status == strategy.StatusOpen {
			c.finish(o, strategy.StatusCanceled)
			if err := c.deliverUpdate(c.update(o, "IOC")); err != nil {
				return err
			}
		}
	}
	return nil
}

// matchPrice says whether o trades against a trade at p, and at what price. Stops trigger on
// the trade and then behave as market (or limit) orders; trailing orders never trigger here.
func (c *Context) matchPrice(o *order, p decimal.Decimal) (decimal.Decimal, bool) {
	buy := o.Side == feed.Buy
	limit := func(lp decimal.Decimal) (decimal.Decimal, bool) {
		if buy && p.LessThanOrEqual(lp) || !buy && p.GreaterThanOrEqual(lp) {
			return lp, true
		}
		return decimal.Decimal{}, false
	}
	triggered := func() bool {
		if o.triggered {
			return true
		}
		stop := o.Type == strategy.StopLoss || o.Type == strategy.StopLossLimit
		// A stop buys when the price rises to it and sells when it falls to it; a
		// take-profit the other way round.
		if stop == buy && p.GreaterThanOrEqual(o.Price) || stop != buy && p.LessThanOrEqual(o.Price) {
			o.triggered = true
		}
		return o.triggered
	}
	switch o.Type {
	case strategy.Market:
		return p, true
	case strategy.Limit:
		return limit(o.Price)
	case strategy.StopLoss, strategy.TakeProfit:
		return p, triggered()
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		if !triggered() {
			return decimal.Decimal{}, false
		}
		return limit(o.Price2)
	}
	return decimal.Decimal{}, false
}
