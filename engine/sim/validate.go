package sim

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// validate checks o against the pair's rules and normalises it in place: quantity truncated
// to the lot, prices at exactly the pair's decimals, unused prices zeroed.
func (e *Exchange) validate(m *market, o *strategy.Order, now time.Time) error {
	if o.Side != feed.Buy && o.Side != feed.Sell {
		return strategy.ErrInvalidArguments
	}
	if o.Type < strategy.Market || o.Type > strategy.TrailingStopLimit {
		return strategy.ErrInvalidArguments
	}
	switch o.TimeInForce {
	case strategy.GTC, strategy.IOC:
	case strategy.GTD:
		if !o.ExpireTime.After(now) {
			return strategy.ErrInvalidArguments
		}
	default:
		return strategy.ErrInvalidArguments
	}
	if o.PostOnly && (o.Type != strategy.Limit || o.TimeInForce == strategy.IOC) {
		return strategy.ErrInvalidArguments
	}
	if o.Offset != strategy.OffsetQuote && o.Offset != strategy.OffsetPercent {
		return strategy.ErrInvalidArguments
	}

	if o.Qty.Sign() <= 0 {
		return strategy.ErrInvalidVolume
	}
	q := m.truncLot(o.Qty)
	if e.cfg.StrictLot && !q.Equal(o.Qty) {
		return strategy.ErrInvalidVolume
	}
	o.Qty = q
	if q.Sign() <= 0 || q.Cmp(m.info.OrderMin) < 0 {
		return strategy.ErrOrderMinimum
	}

	var err error
	switch o.Type {
	case strategy.Market:
		o.Price, o.Price2 = decimal.Decimal{}, decimal.Decimal{}
	case strategy.Limit, strategy.StopLoss, strategy.TakeProfit:
		o.Price2 = decimal.Decimal{}
		err = m.checkPrice(&o.Price)
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		if err = m.checkPrice(&o.Price); err == nil {
			err = m.checkPrice(&o.Price2)
		}
	case strategy.TrailingStop:
		o.Price2 = decimal.Decimal{}
		_, _, err = m.checkOffset(&o.Price, o.Offset, false)
	case strategy.TrailingStopLimit:
		if _, _, err = m.checkOffset(&o.Price, o.Offset, false); err == nil {
			_, _, err = m.checkOffset(&o.Price2, o.Offset, true)
		}
	}
	if err != nil {
		return err
	}

	if o.Close != nil {
		c := *o.Close
		switch c.Type {
		case strategy.Limit, strategy.StopLoss, strategy.TakeProfit:
			c.Price2 = decimal.Decimal{}
			err = m.checkPrice(&c.Price)
		case strategy.StopLossLimit, strategy.TakeProfitLimit:
			if err = m.checkPrice(&c.Price); err == nil {
				err = m.checkPrice(&c.Price2)
			}
		default:
			return strategy.ErrInvalidArguments
		}
		if err != nil {
			return err
		}
		o.Close = &c
	}

	if m.info.CostMin.Sign() > 0 {
		if ref, ok := m.costRef(o); ok && ref.Mul(o.Qty).Cmp(m.info.CostMin) < 0 {
			return strategy.ErrCostMinimum
		}
	}
	if o.Side == feed.Buy && (o.Type == strategy.Market || o.Type == strategy.TrailingStop || o.Type == strategy.TrailingStopLimit) {
		if _, ok := m.marketRef(feed.Buy); !ok {
			return &strategy.KrakenError{Code: strategy.ErrUnavailable.Code, Detail: "no price known for " + string(m.pair)}
		}
	}
	return nil
}

// checkPrice validates a price and sets it to exactly the pair's decimals.
func (m *market) checkPrice(p *decimal.Decimal) error {
	if p.Sign() <= 0 {
		return strategy.ErrInvalidArgumentsPrice
	}
	if !p.Truncate(m.scale).Equal(*p) {
		return m.tooManyDecimals()
	}
	k, _, ok := toKey(*p, m.scale)
	if !ok {
		return strategy.ErrInvalidArgumentsPrice
	}
	if k%m.tick != 0 {
		return strategy.ErrTickSize
	}
	*p = fromKey(k, m.scale)
	return nil
}

func (m *market) tooManyDecimals() error {
	return &strategy.KrakenError{Code: strategy.ErrInvalidPrice.Code,
		Detail: fmt.Sprintf("%s price can only be specified up to %d decimals.", m.pair, m.scale)}
}

// checkOffset validates a trailing offset (quote amount within the pair's decimals, or a
// percentage below 100 with at most 6 decimals) and returns it as a key. The limit offset of
// a trailing-stop-limit may be zero.
func (m *market) checkOffset(p *decimal.Decimal, kind strategy.OffsetKind, zeroOK bool) (k int64, pct bool, err error) {
	if p.Sign() < 0 || (p.Sign() == 0 && !zeroOK) {
		return 0, false, strategy.ErrInvalidArgumentsPrice
	}
	if kind == strategy.OffsetPercent {
		k, exact, ok := toKey(*p, pctScale)
		if !ok || !exact || k >= 100*feed.Pow10(pctScale) {
			return 0, true, strategy.ErrInvalidArgumentsPrice
		}
		*p = fromKey(k, pctScale).Round(pctScale)
		return k, true, nil
	}
	if !p.Truncate(m.scale).Equal(*p) {
		return 0, false, m.tooManyDecimals()
	}
	k, _, ok := toKey(*p, m.scale)
	if !ok {
		return 0, false, strategy.ErrInvalidArgumentsPrice
	}
	*p = fromKey(k, m.scale)
	return k, false, nil
}

// marketRef is the price a market order on side would trade near now: the best opposite
// quote of a usable book (or ticker), else the last trade.
func (m *market) marketRef(side feed.Side) (decimal.Decimal, bool) {
	if m.bookUsable() {
		var p decimal.Decimal
		var ok bool
		if side == feed.Buy {
			p, _, ok = m.book.BestAsk()
		} else {
			p, _, ok = m.book.BestBid()
		}
		if ok {
			return p, true
		}
	}
	if m.hasTicker {
		if side == feed.Buy && m.tAsk.Sign() > 0 {
			return m.tAsk, true
		}
		if side == feed.Sell && m.tBid.Sign() > 0 {
			return m.tBid, true
		}
	}
	if m.hasLast {
		return m.last, true
	}
	return decimal.Decimal{}, false
}

// costRef is the price costmin is checked at: the limit price for limit types, the trigger
// for stops, the market for market and trailing orders. ok is false when none is known.
func (m *market) costRef(o *strategy.Order) (decimal.Decimal, bool) {
	switch o.Type {
	case strategy.Limit, strategy.StopLoss, strategy.TakeProfit:
		return o.Price, true
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		return o.Price2, true
	}
	return m.marketRef(o.Side)
}

// marketPriced reports whether an order type executes at market (rejected in limit_only).
func marketPriced(t strategy.OrderType) bool {
	return t == strategy.Market || t == strategy.StopLoss || t == strategy.TakeProfit || t == strategy.TrailingStop
}

func (e *Exchange) inMaintenance(m *market) bool {
	if e.system == feed.SystemMaintenance {
		return true
	}
	switch m.status {
	case feed.PairMaintenance, feed.PairWIP, feed.PairDelisted:
		return true
	}
	return false
}

// statusErr is the rejection, if any, of a new or amended order under the current system and
// pair status (Kraken's SystemStatus rules: cancel_only accepts only cancels, post_only only
// post-only limit orders, limit_only only limit-priced orders).
func (e *Exchange) statusErr(m *market, postOnlyLimit, atMarket bool) error {
	switch {
	case e.inMaintenance(m):
		return strategy.ErrUnavailable
	case e.system == feed.SystemCancelOnly || m.status == feed.PairCancelOnly:
		return strategy.ErrCancelOnly
	case (e.system == feed.SystemPostOnly || m.status == feed.PairPostOnly) && !postOnlyLimit:
		return strategy.ErrPostOnlyMode
	case m.status == feed.PairLimitOnly && atMarket:
		return strategy.ErrLimitOnlyMode
	}
	return nil
}

func (e *Exchange) admit(m *market, o *strategy.Order) error {
	return e.statusErr(m, o.Type == strategy.Limit && o.PostOnly, marketPriced(o.Type))
}

// online reports whether orders may match on m now.
func (e *Exchange) online(m *market) bool {
	return e.system == feed.SystemOnline && m.status == feed.PairOnline
}

// initOrder derives an accepted order's keys and the per-unit price its buy reservation is
// computed at.
func (e *Exchange) initOrder(o *order) {
	m := o.m
	t := o.o.Type
	switch t {
	case strategy.Limit:
		o.setLimit(o.o.Price)
	case strategy.StopLoss, strategy.TakeProfit, strategy.StopLossLimit, strategy.TakeProfitLimit:
		o.trigKey, _, _ = toKey(o.o.Price, m.scale)
	case strategy.TrailingStop, strategy.TrailingStopLimit:
		p := o.o.Price
		k, pct, _ := m.checkOffset(&p, o.o.Offset, false)
		if pct {
			o.pct = k
		} else {
			o.offKey = k
		}
	}
	if o.o.Side == feed.Buy {
		o.resPrice = e.buyPrice(o)
	}
}

func (o *order) setLimit(p decimal.Decimal) {
	o.limit = p
	o.limitKey, _, _ = toKey(p, o.m.scale)
	o.hasLimit = true
}

// buyPrice is the per-unit price a buy order's reservation covers: its limit price when it
// has one, else 1% above the price it would trade near (trigger, or market plus the trailing
// offsets). Fills beyond the reservation are still paid from free balance if there is any;
// what cannot be paid is cancelled with "EOrder:Insufficient funds".
func (e *Exchange) buyPrice(o *order) decimal.Decimal {
	m := o.m
	switch o.o.Type {
	case strategy.Limit:
		return o.o.Price
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		return o.o.Price2
	case strategy.StopLoss, strategy.TakeProfit:
		return o.o.Price.Mul(reserveRoom)
	}
	if o.hasLimit {
		return o.limit
	}
	ref, _ := m.marketRef(feed.Buy)
	switch o.o.Type {
	case strategy.TrailingStop, strategy.TrailingStopLimit:
		off := o.o.Price
		if o.o.Offset == strategy.OffsetPercent {
			off = ref.Mul(off).Shift(-2)
		}
		ref = ref.Add(off)
		if o.o.Type == strategy.TrailingStopLimit {
			off2 := o.o.Price2
			if o.o.Offset == strategy.OffsetPercent {
				off2 = ref.Mul(off2).Shift(-2)
			}
			ref = ref.Add(off2)
		}
	}
	return ref.Mul(reserveRoom)
}

// required is what an order must hold for qty more base to trade: base for a sell; for a
// buy, qty × buyPrice plus the taker fee on that, rounded up.
func (e *Exchange) required(o *order, qty decimal.Decimal) (string, decimal.Decimal) {
	m := o.m
	if o.o.Side == feed.Sell {
		return m.info.Base, qty
	}
	cost := qty.Mul(o.resPrice)
	return m.info.Quote, cost.Add(maxFee(cost, m.taker, m.info.CostDecimals)).RoundCeil(m.info.CostDecimals + 4)
}
