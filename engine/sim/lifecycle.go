package sim

import (
	"errors"
	"slices"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Order lifecycle: booking fills (fees, funds), endings, conditional closes, amends, expiry
// and the updates reported to the strategy. Matching (match.go) decides what fills and at
// what price; this file books it.

// ---- fills and endings ---------------------------------------------------------------------

// fill books an execution of up to qty of o at price and reports it; it returns the quantity
// actually filled. A buy the account cannot pay in full is cut to what it can pay and the rest
// of the order is cancelled with "EOrder:Insufficient funds".
//
// The fee is the maker or taker percentage of the account's tier (re-evaluated first with
// Config.RollingFeeVolume), charged in quote on the cost, or with Order.FeeInBase in base on
// the quantity (at lot_decimals), never less than one unit of the fee currency's precision
// (see Fee).
func (e *Exchange) fill(o *order, price, qty decimal.Decimal, liq strategy.Liquidity, prov strategy.Provenance) decimal.Decimal {
	if o.o.Leverage > 0 {
		return e.fillMargin(o, price, qty, liq, prov)
	}
	m := o.m
	e.feeTiers(e.at)
	pct := m.taker
	if liq == strategy.Maker {
		pct = m.maker
	}
	inBase := o.o.FeeInBase
	feeAsset := m.info.Quote
	if inBase {
		feeAsset = m.info.Base
	}
	fee := func(qty, cost decimal.Decimal) decimal.Decimal {
		if inBase {
			return Fee(qty, pct, m.lot)
		}
		return Fee(cost, pct, m.info.CostDecimals)
	}
	cost := price.Mul(qty)
	f := fee(qty, cost)
	short := false
	if o.o.Side == feed.Buy {
		_, res, _ := e.led.Reservation(o.o.ID)
		have := res.Add(e.led.Balance(m.info.Quote).Free())
		pay := cost.Add(f)
		if inBase {
			pay = cost
		}
		if pay.Cmp(have) > 0 {
			quotePct := pct
			if inBase {
				quotePct = decimal.Zero
			}
			qty, short = e.affordable(m, price, quotePct, have), true
			if qty.Sign() <= 0 {
				e.finish(o, strategy.StatusCanceled, reasonFundsFill)
				return decimal.Zero
			}
			cost = price.Mul(qty)
			f = fee(qty, cost)
		}
	}
	err := e.led.Trade(ledger.Trade{
		Order: o.o.ID, Pair: m.pair, Base: m.info.Base, Quote: m.info.Quote, Side: o.o.Side,
		Price: price, Qty: qty, Cost: cost, Fee: f, FeeAsset: feeAsset,
	})
	if err != nil {
		// Only a sell can get here (buys were sized above): its base reservation is gone.
		if !errors.Is(err, strategy.ErrInsufficientFunds) {
			e.log.Warn("sim: ledger refused a fill", zap.String("order", string(o.o.ID)), zap.Error(err))
		}
		e.finish(o, strategy.StatusCanceled, reasonFundsFill)
		return decimal.Zero
	}
	cut := ""
	if short {
		cut = reasonFundsFill
	}
	return e.booked(o, price, qty, cost, f, feeAsset, liq, prov, cut)
}

// booked records a fill the ledger has booked: the order's totals, the fill report, the
// rolling volume, and the order's end (closed when filled; cancelled with cut when the rest
// cannot fill) or its smaller reservation and an update.
func (e *Exchange) booked(o *order, price, qty, cost, f decimal.Decimal, feeAsset string, liq strategy.Liquidity, prov strategy.Provenance, cut string) decimal.Decimal {
	m := o.m
	o.filled = o.filled.Add(qty)
	o.cost = o.cost.Add(cost)
	o.fees = o.fees.Add(f)
	e.reports = append(e.reports, Report{Kind: ReportFill, Fill: strategy.Fill{
		OrderID: o.o.ID, UserRef: o.o.UserRef, Pair: m.pair, Side: o.o.Side,
		Price: price, Qty: qty, Fee: f, FeeAsset: feeAsset, Liquidity: liq,
		Time: e.at, Seq: e.seq, Provenance: prov, Leverage: o.o.Leverage,
	}})
	e.countVolume(m, cost)
	rem := o.o.Qty.Sub(o.filled)
	if rem.Sign() <= 0 {
		e.finish(o, strategy.StatusClosed, "")
		return qty
	}
	if cut != "" {
		e.finish(o, strategy.StatusCanceled, cut)
		return qty
	}
	_, need := e.required(o, rem)
	if _, held, ok := e.led.Reservation(o.o.ID); ok && need.Cmp(held) < 0 {
		_ = e.led.Resize(o.o.ID, need) // shrinking never fails
	}
	e.emit(o, "")
	return qty
}

// affordable is the largest quantity (on the lot grid) of a buy at price whose cost plus fee
// is at most have.
func (e *Exchange) affordable(m *market, price, pct, have decimal.Decimal) decimal.Decimal {
	need := func(q decimal.Decimal) decimal.Decimal {
		c := price.Mul(q)
		return c.Add(Fee(c, pct, m.info.CostDecimals))
	}
	unit := price.Add(price.Mul(pct).Shift(-2))
	q := m.truncLot(have.Div(unit))
	for q.Sign() > 0 && need(q).Cmp(have) > 0 {
		q = m.truncLot(q.Sub(m.step))
	}
	return q
}

// finish ends an order: off every list, reservation released, a final update, and its
// conditional close queued when it filled anything.
func (e *Exchange) finish(o *order, st strategy.OrderStatus, reason string) {
	if o.status.Done() {
		return
	}
	o.m.remove(o)
	o.status = st
	e.led.Release(o.o.ID)
	delete(e.orders, o.o.ID)
	if i := slices.Index(e.live, o); i >= 0 {
		e.live = slices.Delete(e.live, i, i+1)
	}
	e.emit(o, reason)
	if o.o.Close != nil && o.filled.Sign() > 0 && !o.closed {
		o.closed = true
		e.spawn = append(e.spawn, o)
	}
}

// placeSpawned places the conditional closes of orders that ended: an order of the close's
// type, prices and offset kind, on the opposite side, for the quantity the parent filled,
// with the parent's fee currency and self-trade rule. It is placed by
// the exchange (no latency) but cannot match the event during which its parent ended.
// Like any order it can be refused (minimums, funds, status): it is then reported rejected.
func (e *Exchange) placeSpawned() {
	for i := 0; i < len(e.spawn); i++ {
		parent := e.spawn[i]
		e.spawn[i] = nil
		c := parent.o.Close
		so := strategy.Order{
			Pair: parent.o.Pair, Side: parent.o.Side.Opposite(), Type: c.Type,
			Qty: parent.filled, Price: c.Price, Price2: c.Price2, Offset: c.Offset, UserRef: parent.o.UserRef,
			FeeInBase: parent.o.FeeInBase, FeeInQuote: parent.o.FeeInQuote, STP: parent.o.STP,
			Leverage: parent.o.Leverage, // a margin order's close trades on margin too: it closes the position
		}
		id := e.newID()
		so.ID = id
		o := &order{o: so, m: parent.m, seq: parent.seq, status: strategy.StatusPending}
		err := e.validate(o.m, &o.o, e.now)
		if err == nil {
			err = e.admit(o.m, &o.o)
		}
		if err == nil && o.o.Leverage > 0 {
			err = e.marginAdmit(o.m, &o.o, nil)
		}
		if err == nil {
			o.o.ID = id
			e.initOrder(o)
			asset, amount := e.required(o, o.o.Qty)
			if rerr := e.led.Reserve(id, asset, amount); rerr != nil {
				err = strategy.ErrInsufficientFunds
			}
		}
		e.emitClose(o)
		if err != nil {
			o.status = strategy.StatusRejected
			e.emit(o, err.Error())
			continue
		}
		e.orders[id] = o
		e.live = append(e.live, o)
		o.noMatchEv = e.evn
		e.arrive(o)
	}
	e.spawn = e.spawn[:0]
}

func (e *Exchange) emitClose(o *order) {
	e.reports = append(e.reports, Report{Kind: ReportUpdate, Update: strategy.OrderUpdate{Order: o.o, Status: strategy.StatusPending, Reason: ReasonClose, Time: e.at}})
}

// applyAmend is an amend reaching the exchange.
func (e *Exchange) applyAmend(o *order, a Amendment) {
	if o.status.Done() {
		return
	}
	m := o.m
	if err := e.statusErr(m, o.o.Type == strategy.Limit && o.o.PostOnly, strategy.MarketPriced(o.o.Type)); err != nil {
		e.emit(o, err.Error())
		return
	}
	if a.Qty.Cmp(o.filled) <= 0 {
		e.emit(o, strategy.ErrInvalidVolume.Error())
		return
	}
	if o.triggered && !a.TriggerPrice.IsZero() && !a.TriggerPrice.Equal(o.o.Price) {
		e.emit(o, strategy.ErrInvalidArguments.Error())
		return
	}
	n := *o // candidate
	n.o.Qty = a.Qty
	if !a.TriggerPrice.IsZero() || !a.LimitPrice.IsZero() {
		n.req = nil // prices set by the amend: no longer relative to the market at arrival
	}
	if !a.TriggerPrice.IsZero() {
		n.o.Price = a.TriggerPrice
	}
	switch o.o.Type {
	case strategy.Limit:
		n.o.Price = a.LimitPrice
		n.setLimit(a.LimitPrice)
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		n.o.Price2 = a.LimitPrice
		if o.triggered {
			n.setLimit(a.LimitPrice)
		}
	case strategy.TrailingStopLimit:
		n.o.Price2 = a.LimitPrice
	}
	priceChanged := n.hasLimit && o.hasLimit && n.limitKey != o.limitKey
	if n.o.PostOnly && (n.list == inBids || n.list == inAsks) {
		if priceChanged && e.wouldTake(m, n.o.Side, n.limitKey) {
			e.emit(o, strategy.ErrPostOnly.Error())
			return
		}
	}
	if !o.triggered {
		switch o.o.Type {
		case strategy.StopLoss, strategy.TakeProfit, strategy.StopLossLimit, strategy.TakeProfitLimit:
			n.trigKey, _, _ = toKey(n.o.Price, m.scale)
		case strategy.TrailingStop, strategy.TrailingStopLimit:
			n.offKey, n.pct = 0, 0
			e.initOrder(&n)
			n.hasExt = false
			if o.hasExt {
				e.trail(&n, o.ext)
			}
		}
	}
	if n.o.Side == feed.Buy {
		if n.hasLimit {
			n.resPrice = n.limit
		} else if o.o.Type != strategy.Market {
			n.resPrice = e.buyPrice(&n)
		}
	}
	_, need := e.required(&n, n.o.Qty.Sub(n.filled))
	if err := e.led.Resize(o.o.ID, need); err != nil {
		e.emit(o, strategy.ErrInsufficientFunds.Error())
		return
	}
	wasOn := o.list
	keepQueue := !priceChanged && a.Qty.Cmp(o.o.Qty) <= 0
	if wasOn != inNone {
		m.remove(o)
	}
	list := o.list
	*o = n
	o.list = list
	if !keepQueue {
		e.prio++
		o.prio = e.prio
		if wasOn == inBids || wasOn == inAsks {
			o.queueKnown, o.lateQueue = m.bookUsable(), false
			o.queue = decimal.Zero
			if o.queueKnown {
				o.queue = m.levelQty(o.o.Side, o.limitKey)
			}
			o.queue0 = o.queue
		}
	}
	if wasOn != inNone {
		m.add(o, wasOn)
	}
	e.emit(o, ReasonAmended)
	if (wasOn == inBids || wasOn == inAsks) && priceChanged && e.wouldTake(m, o.o.Side, o.limitKey) {
		// A limit amended through the market takes like a new order would.
		m.remove(o)
		e.placeLimit(o)
	}
}

// ---- expiry ---------------------------------------------------------------------------------

func (e *Exchange) addGTD(o *order) {
	i, _ := slices.BinarySearchFunc(e.gtd, o, func(x, t *order) int {
		if x.o.ExpireTime.After(t.o.ExpireTime) {
			return 1
		}
		return -1
	})
	e.gtd = slices.Insert(e.gtd, i, o)
}

func (e *Exchange) expiredAt(o *order, now time.Time) bool {
	return o.o.TimeInForce == strategy.GTD && !o.o.ExpireTime.After(now)
}

// expire ends GTD orders whose expire time has come (pending ones too: they arrive expired).
func (e *Exchange) expire(now time.Time) {
	i := 0
	for ; i < len(e.gtd) && !e.gtd[i].o.ExpireTime.After(now); i++ {
		o := e.gtd[i]
		if o.status.Done() {
			continue
		}
		e.at = now
		e.finish(o, strategy.StatusExpired, ReasonExpired)
	}
	if i > 0 {
		n := copy(e.gtd, e.gtd[i:])
		clear(e.gtd[n:])
		e.gtd = e.gtd[:n]
	}
	e.at = e.now
}

// ---- reporting ------------------------------------------------------------------------------

func (e *Exchange) view(o *order, reason string) strategy.OrderUpdate {
	u := strategy.OrderUpdate{Order: o.o, Status: o.status, Filled: o.filled, Fee: o.fees, Reason: reason, Time: e.at}
	if o.filled.Sign() > 0 {
		u.AvgPrice = o.cost.DivRound(o.filled, o.m.scale+4)
	}
	return u
}

func (e *Exchange) emit(o *order, reason string) {
	e.reports = append(e.reports, Report{Kind: ReportUpdate, Update: e.view(o, reason)})
}
