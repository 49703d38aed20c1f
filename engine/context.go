package engine

import (
	"errors"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// ErrContextRetained is returned (and the instance's logger warned) when a strategy uses its
// Context outside a callback.
var ErrContextRetained = errors.New("engine: strategy.Context used outside its callback")

// wctx is the strategy.Context of one worker. There is one per worker, reused for every
// callback so that delivering an event allocates nothing; active is true only while a
// callback runs, which catches a Context kept and used after its callback returned.
type wctx struct {
	w      *worker
	active bool
}

var _ strategy.Context = (*wctx)(nil)

// check reports whether a callback is running; when none is, it logs the violation (naming
// the method) and the caller does nothing: actions return ErrContextRetained, queries their
// zero value, so a retained Context can neither act nor observe the account between events.
func (c *wctx) check(method string) bool {
	if !c.active {
		c.w.log.Warn("strategy used its Context outside a callback", zap.String("method", method))
		return false
	}
	return true
}

func (c *wctx) Now() time.Time {
	if !c.check("Now") {
		return time.Time{}
	}
	return c.w.now
}

// sim and ledger hand the strategy's call over to the simulated exchange or its ledger,
// marking the worker as running simulator code until back; a panic in between is then the
// simulator's, not the strategy's (see site).
func (c *wctx) sim() *sim.Exchange {
	c.w.where = inSimulator
	return c.w.ex
}

func (c *wctx) ledger() *ledger.Ledger {
	c.w.where = inSimulator
	return c.w.led
}

func (c *wctx) back() { c.w.where = inStrategy }

func (c *wctx) Submit(o strategy.Order) (strategy.OrderID, error) {
	if !c.check("Submit") {
		return "", ErrContextRetained
	}
	w := c.w
	if !w.wants(o.Pair) {
		w.rejects++
		err := strategy.ErrUnknownAssetPair
		w.record(RecordOrder, func(r *Record) {
			r.Order = strategy.OrderUpdate{Order: o, Status: strategy.StatusRejected, Reason: err.Error(), Time: w.now}
		})
		return "", err
	}
	id, err := c.sim().Submit(w.now, w.seq, o)
	c.back()
	if err != nil {
		w.rejects++
		w.record(RecordOrder, func(r *Record) {
			r.Order = strategy.OrderUpdate{Order: o, Status: strategy.StatusRejected, Reason: err.Error(), Time: w.now}
		})
		return "", err
	}
	w.orders++
	u, ok := c.sim().Order(id)
	c.back()
	if ok {
		w.record(RecordOrder, func(r *Record) { r.Order = u })
	}
	return id, nil
}

func (c *wctx) Cancel(id strategy.OrderID) error {
	if !c.check("Cancel") {
		return ErrContextRetained
	}
	err := c.sim().Cancel(c.w.now, id)
	c.back()
	return err
}

func (c *wctx) CancelAll(pair feed.Pair) error {
	if !c.check("CancelAll") {
		return ErrContextRetained
	}
	err := c.cancelAll(pair)
	c.back()
	return err
}

func (c *wctx) cancelAll(pair feed.Pair) error {
	w := c.w
	ex := c.sim()
	if pair == "" {
		_, err := ex.CancelAll(w.now)
		return err
	}
	for _, o := range ex.OpenOrders(pair) {
		if err := ex.Cancel(w.now, o.ID); err != nil && !errors.Is(err, strategy.ErrUnknownOrder) {
			return err
		}
	}
	return nil
}

func (c *wctx) CancelAllOrdersAfter(timeout time.Duration) (time.Time, error) {
	if !c.check("CancelAllOrdersAfter") {
		return time.Time{}, ErrContextRetained
	}
	at, err := c.sim().CancelAllOrdersAfter(c.w.now, timeout)
	c.back()
	return at, err
}

func (c *wctx) Amend(id strategy.OrderID, qty, price decimal.Decimal) error {
	if !c.check("Amend") {
		return ErrContextRetained
	}
	err := c.amend(id, qty, price)
	c.back()
	return err
}

func (c *wctx) amend(id strategy.OrderID, qty, price decimal.Decimal) error {
	ex := c.sim()
	u, ok := ex.Order(id)
	if !ok {
		return strategy.ErrUnknownOrder
	}
	a := sim.Amendment{Qty: qty}
	if !price.IsZero() {
		switch u.Order.Type {
		case strategy.Limit:
			a.LimitPrice = price
		default:
			a.TriggerPrice = price
		}
	}
	return ex.Amend(c.w.now, id, a)
}

func (c *wctx) Balance(asset string) strategy.Balance {
	if !c.check("Balance") {
		return strategy.Balance{Asset: asset}
	}
	b := c.ledger().Balance(asset)
	c.back()
	return b
}

func (c *wctx) Balances() []strategy.Balance {
	if !c.check("Balances") {
		return nil
	}
	bs := c.ledger().Balances()
	c.back()
	return bs
}

func (c *wctx) Position(pair feed.Pair) strategy.Position {
	if !c.check("Position") {
		return strategy.Position{Pair: pair}
	}
	p := c.ledger().Position(pair)
	c.back()
	return p
}

func (c *wctx) OpenOrders(pair feed.Pair) []strategy.Order {
	if !c.check("OpenOrders") {
		return nil
	}
	os := c.sim().OpenOrders(pair)
	c.back()
	return os
}

func (c *wctx) OpenOrderCount(pair feed.Pair) int {
	if !c.check("OpenOrderCount") {
		return 0
	}
	n := c.sim().OpenOrderCount(pair)
	c.back()
	return n
}

func (c *wctx) AppendOpenOrders(dst []strategy.Order, pair feed.Pair) []strategy.Order {
	if !c.check("AppendOpenOrders") {
		return dst
	}
	dst = c.sim().AppendOpenOrders(dst, pair)
	c.back()
	return dst
}

func (c *wctx) Market(pair feed.Pair) strategy.MarketInfo {
	if !c.check("Market") || !c.w.wants(pair) {
		return strategy.MarketInfo{}
	}
	m := c.sim().Market(pair)
	c.back()
	return m
}

func (c *wctx) Pairs() []feed.Pair {
	if !c.check("Pairs") {
		return nil
	}
	return append([]feed.Pair(nil), c.w.mine...)
}

func (c *wctx) SetTimer(d time.Duration) {
	if !c.check("SetTimer") {
		return
	}
	if d <= 0 {
		c.w.timer = time.Time{}
		return
	}
	c.w.timer = c.w.now.Add(d)
}

// Log stays usable after the callback (a retained logger is harmless and a strategy may
// log from its own cleanup), but the use is still reported.
func (c *wctx) Log() *zap.Logger {
	c.check("Log")
	return c.w.log
}
