package engine

import (
	"errors"
	"time"

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
	id, err := w.ex.Submit(w.now, w.seq, o)
	if err != nil {
		w.rejects++
		w.record(RecordOrder, func(r *Record) {
			r.Order = strategy.OrderUpdate{Order: o, Status: strategy.StatusRejected, Reason: err.Error(), Time: w.now}
		})
		return "", err
	}
	w.orders++
	if u, ok := w.ex.Order(id); ok {
		w.record(RecordOrder, func(r *Record) { r.Order = u })
	}
	return id, nil
}

func (c *wctx) Cancel(id strategy.OrderID) error {
	if !c.check("Cancel") {
		return ErrContextRetained
	}
	return c.w.ex.Cancel(c.w.now, id)
}

func (c *wctx) CancelAll(pair feed.Pair) error {
	if !c.check("CancelAll") {
		return ErrContextRetained
	}
	w := c.w
	if pair == "" {
		_, err := w.ex.CancelAll(w.now)
		return err
	}
	for _, o := range w.ex.OpenOrders(pair) {
		if err := w.ex.Cancel(w.now, o.ID); err != nil && !errors.Is(err, strategy.ErrUnknownOrder) {
			return err
		}
	}
	return nil
}

func (c *wctx) Amend(id strategy.OrderID, qty, price decimal.Decimal) error {
	if !c.check("Amend") {
		return ErrContextRetained
	}
	w := c.w
	u, ok := w.ex.Order(id)
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
	return w.ex.Amend(w.now, id, a)
}

func (c *wctx) Balance(asset string) strategy.Balance {
	if !c.check("Balance") {
		return strategy.Balance{Asset: asset}
	}
	return c.w.led.Balance(asset)
}

func (c *wctx) Balances() []strategy.Balance {
	if !c.check("Balances") {
		return nil
	}
	return c.w.led.Balances()
}

func (c *wctx) Position(pair feed.Pair) strategy.Position {
	if !c.check("Position") {
		return strategy.Position{Pair: pair}
	}
	return c.w.led.Position(pair)
}

func (c *wctx) OpenOrders(pair feed.Pair) []strategy.Order {
	if !c.check("OpenOrders") {
		return nil
	}
	return c.w.ex.OpenOrders(pair)
}

func (c *wctx) OpenOrderCount(pair feed.Pair) int {
	if !c.check("OpenOrderCount") {
		return 0
	}
	return c.w.ex.OpenOrderCount(pair)
}

func (c *wctx) AppendOpenOrders(dst []strategy.Order, pair feed.Pair) []strategy.Order {
	if !c.check("AppendOpenOrders") {
		return dst
	}
	return c.w.ex.AppendOpenOrders(dst, pair)
}

func (c *wctx) Market(pair feed.Pair) strategy.MarketInfo {
	if !c.check("Market") || !c.w.wants(pair) {
		return strategy.MarketInfo{}
	}
	return c.w.ex.Market(pair)
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
