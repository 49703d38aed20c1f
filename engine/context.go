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

func (c *wctx) check() bool {
	if !c.active {
		c.w.log.Warn("strategy used its Context outside a callback")
		return false
	}
	return true
}

func (c *wctx) Now() time.Time { return c.w.now }

func (c *wctx) Submit(o strategy.Order) (strategy.OrderID, error) {
	if !c.check() {
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
	if !c.check() {
		return ErrContextRetained
	}
	return c.w.ex.Cancel(c.w.now, id)
}

func (c *wctx) CancelAll(pair feed.Pair) error {
	if !c.check() {
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

func (c *wctx) CancelAllOrdersAfter(timeout time.Duration) (time.Time, error) {
	if !c.check() {
		return time.Time{}, ErrContextRetained
	}
	return c.w.ex.CancelAllOrdersAfter(c.w.now, timeout)
}

func (c *wctx) Amend(id strategy.OrderID, qty, price decimal.Decimal) error {
	if !c.check() {
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

func (c *wctx) Balance(asset string) strategy.Balance { return c.w.led.Balance(asset) }

func (c *wctx) Balances() []strategy.Balance { return c.w.led.Balances() }

func (c *wctx) Position(pair feed.Pair) strategy.Position { return c.w.led.Position(pair) }

func (c *wctx) OpenOrders(pair feed.Pair) []strategy.Order { return c.w.ex.OpenOrders(pair) }

func (c *wctx) Market(pair feed.Pair) strategy.MarketInfo {
	if !c.w.wants(pair) {
		return strategy.MarketInfo{}
	}
	return c.w.ex.Market(pair)
}

func (c *wctx) Pairs() []feed.Pair { return append([]feed.Pair(nil), c.w.mine...) }

func (c *wctx) SetTimer(d time.Duration) {
	if d <= 0 {
		c.w.timer = time.Time{}
		return
	}
	c.w.timer = c.w.now.Add(d)
}

func (c *wctx) Log() *zap.Logger { return c.w.log }
