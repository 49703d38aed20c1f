package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// RestoredOrder is an order carried over from an earlier session of the same account: the
// order as last reported (amendments applied, ID set), its status, and what has filled so
// far. A journal rebuilds it from the order updates and fills it recorded.
type RestoredOrder struct {
	Order  strategy.Order       `json:"order"`
	Status strategy.OrderStatus `json:"status"` // StatusPending or StatusOpen
	Filled decimal.Decimal      `json:"filled"` // base filled so far (less than Order.Qty)
	Cost   decimal.Decimal      `json:"cost"`   // quote: the sum of price × quantity of its fills
	Fees   decimal.Decimal      `json:"fees"`   // quote: fees paid so far
	// Triggered is set once a stop, take-profit or trailing order has reached its trigger.
	Triggered bool   `json:"triggered,omitempty"`
	Seq       uint64 `json:"seq,omitempty"` // Seq of the event its strategy was handling when it submitted it
	// Submitted is the event time of the submission; a pending order arrives Config.Latency
	// after it (jitter is not replayed), at the earliest with the first event after Restore.
	Submitted time.Time `json:"submitted,omitzero"`
}

// Resume is what Restore loads into a new exchange.
type Resume struct {
	// IDsIssued is how many order ids the account's exchange had drawn (see IDsIssued): the
	// resumed exchange continues the sequence, so no id is ever reused.
	IDsIssued uint64 `json:"ids_issued"`
	// Orders are the open and pending orders, in the order they were submitted.
	Orders []RestoredOrder `json:"orders,omitempty"`
	// Now is the latest event time the account had seen. The resumed exchange's time starts
	// there, so the account's time never goes backwards across a restart, even when the first
	// events after it carry older exchange times (a book snapshot of a quiet pair).
	Now time.Time `json:"now,omitzero"`
	// Last is the last trade price the account had seen on each pair, in pair order. A taker
	// arriving after the restart is priced no better than the market it finds (see the
	// package doc), so a pending market order needs the market as it was; without it, the
	// first trade after the restart is the reference.
	Last []LastPrice `json:"last,omitempty"`
}

// LastPrice is a pair's last trade price.
type LastPrice struct {
	Pair  feed.Pair       `json:"pair"`
	Price decimal.Decimal `json:"price"`
}

// LastPrices returns the last trade price of every pair the exchange has seen a trade on, in
// pair order: what Resume.Last wants.
func (e *Exchange) LastPrices() []LastPrice {
	var out []LastPrice
	for _, m := range e.sortedMarkets() {
		if m.hasLast {
			out = append(out, LastPrice{Pair: m.pair, Price: m.last})
		}
	}
	return out
}

// Restore loads open and pending orders from an earlier session into a new exchange, whose
// ledger already holds the account's restored balances (ledger.Restore). It must be called
// before the first event, Submit or Advance; it fails, leaving the exchange unusable for
// this account, when an order is malformed, on an unknown pair, listed twice, or already
// filled, and when the result breaks an invariant (Check).
//
// Restored orders only ever match events given to the exchange after Restore: nothing fills
// in the time the account was offline. Each reserves what it needs for its unfilled quantity
// again (a buy whose reservation price depended on the market at submission — market and
// trailing buys — reserves nothing and is paid from free balance when it fills, like any buy
// whose fills outgrow its reservation). If the free balance cannot cover a reservation, the
// order keeps what there is and a warning is logged.
//
// How each kind comes back:
//   - pending orders arrive with the first event after the restart (their latency passed
//     while the account was offline), stamped with their submission time plus the latency, or
//     Resume.Now if later;
//   - open limit orders rest at their price with their queue position unknown: they fill
//     from trades through them until a book snapshot shows what is ahead (then, as for any
//     order with an unknown queue, everything the book shows at their price is ahead);
//   - open market orders, and triggered stops, take-profits and trailing stops, wait for
//     prints, priced no better than the last price in Resume.Last (the deepest level they took
//     before the restart is not kept);
//   - triggered stop-loss-limit and take-profit-limit orders rest at their limit price;
//   - untriggered stops wait for their trigger; trailing orders start trailing again from
//     the first trade after the restart (the best price seen before it is not kept), and a
//     triggered trailing-stop-limit, whose limit came from that best price, is re-armed the
//     same way.
func (e *Exchange) Restore(r Resume) error {
	if e.evn != 0 || len(e.orders) != 0 || e.nids != 0 || len(e.sched) != 0 {
		return errors.New("sim: restore: the exchange is already in use")
	}
	// A resumed ledger may hold margin positions: their rollovers and risk are watched.
	e.margin.open = len(e.led.MarginPositions()) > 0
	seen := make(map[strategy.OrderID]bool, len(r.Orders))
	for i := range r.Orders {
		ro := &r.Orders[i]
		id := ro.Order.ID
		switch {
		case id == "":
			return fmt.Errorf("sim: restore: order %d has no id", i)
		case seen[id]:
			return fmt.Errorf("sim: restore: order %s listed twice", id)
		case ro.Status != strategy.StatusPending && ro.Status != strategy.StatusOpen:
			return fmt.Errorf("sim: restore: order %s is %s; only pending and open orders are restored", id, ro.Status)
		case ro.Order.Qty.Sign() <= 0 || ro.Filled.Sign() < 0 || ro.Filled.Cmp(ro.Order.Qty) >= 0:
			return fmt.Errorf("sim: restore: order %s has filled %s of %s", id, ro.Filled, ro.Order.Qty)
		case ro.Status == strategy.StatusPending && ro.Filled.Sign() != 0:
			return fmt.Errorf("sim: restore: pending order %s has fills", id)
		}
		seen[id] = true
		if e.market(ro.Order.Pair) == nil {
			return fmt.Errorf("sim: restore: order %s: %w (%s)", id, strategy.ErrUnknownAssetPair, ro.Order.Pair)
		}
	}
	for _, lp := range r.Last {
		m := e.market(lp.Pair)
		if m == nil {
			continue // a pair no longer traded: nothing can need its price
		}
		if k, exact, ok := toKey(lp.Price, m.scale); ok && k > 0 {
			m.last, m.lastKey, m.hasLast = lp.Price, tradeKey{k: k, exact: exact}, true
		}
	}
	e.nids = r.IDsIssued
	if r.Now.After(e.now) {
		e.now = r.Now
	}
	for i := range r.Orders {
		e.restoreOrder(&r.Orders[i])
	}
	if err := e.Check(); err != nil {
		return fmt.Errorf("sim: restore: %w", err)
	}
	return nil
}

func (e *Exchange) restoreOrder(ro *RestoredOrder) {
	m := e.market(ro.Order.Pair)
	o := &order{o: ro.Order, m: m, seq: ro.Seq, status: ro.Status, filled: ro.Filled, cost: ro.Cost, fees: ro.Fees}
	e.initOrder(o)
	if o.status == strategy.StatusOpen {
		e.prio++
		o.prio = e.prio
		e.place(o, ro.Triggered)
	}
	asset, amount := e.required(o, o.o.Qty.Sub(o.filled))
	if err := e.led.Reserve(o.o.ID, asset, amount); err != nil {
		free := decimal.Max(decimal.Zero, e.led.Balance(asset).Free())
		e.log.Warn("sim: restore: free balance short of a restored order's reservation; it keeps what there is",
			zap.String("order", string(o.o.ID)), zap.String("asset", asset), zap.Stringer("need", amount), zap.Stringer("free", free))
		_ = e.led.Reserve(o.o.ID, asset, free) // free ≥ 0 is always reservable
	}
	e.orders[o.o.ID] = o
	e.live = append(e.live, o)
	if o.o.TimeInForce == strategy.GTD {
		e.addGTD(o)
	}
	if o.status == strategy.StatusPending {
		// Its latency elapsed while the account was offline: it arrives with the first event,
		// stamped when it would have arrived.
		at := ro.Submitted.Add(e.latency)
		if at.Before(e.now) {
			at = e.now
		}
		e.sched = append(e.sched, action{at: at, kind: actArrive, o: o})
	}
}

// place puts a restored open order on the list its state says, without matching it.
func (e *Exchange) place(o *order, triggered bool) {
	m := o.m
	sell := o.o.Side == feed.Sell
	switch o.o.Type {
	case strategy.Market:
		e.startTaking(o)
		m.add(o, inAwaiting)
	case strategy.Limit:
		e.rest(o)
	case strategy.StopLoss, strategy.TakeProfit, strategy.StopLossLimit, strategy.TakeProfitLimit:
		switch {
		case triggered && (o.o.Type == strategy.StopLoss || o.o.Type == strategy.TakeProfit):
			o.triggered = true
			e.startTaking(o)
			m.add(o, inAwaiting)
		case triggered:
			o.triggered = true
			o.setLimit(o.o.Price2)
			e.rest(o)
		case (o.o.Type == strategy.StopLoss || o.o.Type == strategy.StopLossLimit) == sell:
			m.add(o, inTrigLE) // sell stop-loss, buy take-profit
		default:
			m.add(o, inTrigGE)
		}
	case strategy.TrailingStop:
		if triggered {
			o.triggered = true
			e.startTaking(o)
			m.add(o, inAwaiting)
			return
		}
		m.add(o, inTrailing)
	case strategy.TrailingStopLimit:
		m.add(o, inTrailing)
	}
}

// IDsIssued finds how many order ids an exchange seeded with seed had drawn, given the ids
// known to have been issued (every id a journal recorded). Ids come from a seeded sequence;
// some draws are never recorded (an order refused for funds after its id was drawn), so the
// answer is the position of the last known id in the sequence. limit bounds the search: at
// most the number of ids recorded plus the number of submissions refused without an id. It
// fails when some known id is not among the first limit ids of the seed's sequence (a
// journal written under another seed).
func IDsIssued(seed uint64, known []strategy.OrderID, limit uint64) (uint64, error) {
	want := make(map[strategy.OrderID]bool, len(known))
	for _, id := range known {
		want[id] = true
	}
	var last uint64
	for n := uint64(1); n <= limit && len(want) > 0; n++ {
		id := orderID(seed, n)
		if want[id] {
			delete(want, id)
			last = n
		}
	}
	if len(want) > 0 {
		for _, id := range known { // name one, deterministically
			if want[id] {
				return 0, fmt.Errorf("sim: order id %s (and %d more) is not among the first %d ids of seed %d: the orders were made under another seed", id, len(want)-1, limit, seed)
			}
		}
	}
	return last, nil
}
