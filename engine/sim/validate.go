package sim

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/internal/pow10"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// validate checks o with the one validator (strategy.CheckOrder, shared with strategytest's
// fake Context) against the market as this account sees it now, and normalises it in place:
// quantity truncated to the lot, prices at exactly the pair's decimals, relative prices
// resolved against the last trade, unused prices zeroed.
func (e *Exchange) validate(m *market, o *strategy.Order, now time.Time) error {
	n, err := strategy.CheckOrder(*o, e.marketInfo(m), now, strategy.CheckOptions{StrictLot: e.cfg.StrictLot})
	if err != nil {
		return err
	}
	*o = n
	return nil
}

func (m *market) tooManyDecimals() error {
	return &strategy.KrakenError{Code: strategy.ErrInvalidPrice.Code,
		Detail: fmt.Sprintf("%s price can only be specified up to %d decimals.", m.pair, m.scale)}
}

// checkOffset converts a trailing offset (a quote amount within the pair's decimals, or a
// percentage below 100 with at most 6 decimals: strategy.CheckOrder has checked it) to a key.
func (m *market) checkOffset(p *decimal.Decimal, kind strategy.OffsetKind, zeroOK bool) (k int64, pct bool, err error) {
	if p.Sign() < 0 || (p.Sign() == 0 && !zeroOK) {
		return 0, false, strategy.ErrInvalidArgumentsPrice
	}
	if kind == strategy.OffsetPercent {
		k, exact, ok := toKey(*p, pctScale)
		if !ok || !exact || k >= 100*pow10.Int64(pctScale) {
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
// pair status: strategy.StatusError's rules (the one validator's), for an order that is a
// post-only limit, or market-priced, or neither.
func (e *Exchange) statusErr(m *market, postOnlyLimit, atMarket bool) error {
	o := strategy.Order{Type: strategy.StopLossLimit} // neither post-only nor market-priced
	switch {
	case postOnlyLimit:
		o.Type, o.PostOnly = strategy.Limit, true
	case atMarket:
		o.Type = strategy.Market
	}
	mi := strategy.MarketInfo{System: e.system}
	mi.Status = m.status
	return strategy.StatusError(&o, mi)
}

func (e *Exchange) admit(m *market, o *strategy.Order) error {
	return e.statusErr(m, o.Type == strategy.Limit && o.PostOnly, strategy.MarketPriced(o.Type))
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
//
// With the fee in base (fcib) a sell also holds the largest fee in base, and a buy holds no
// fee in quote.
func (e *Exchange) required(o *order, qty decimal.Decimal) (string, decimal.Decimal) {
	m := o.m
	if o.o.Leverage > 0 {
		// A margin order holds no balance: it is checked against free margin (margin.go).
		return m.info.Quote, decimal.Zero
	}
	if o.o.QuoteQty.Sign() > 0 {
		// viqc: the quote amount not yet spent, plus the taker fee on it (qty is only a
		// bound for such an order).
		left := decimal.Max(decimal.Zero, o.o.QuoteQty.Sub(o.cost))
		if o.o.FeeInBase {
			return m.info.Quote, left
		}
		return m.info.Quote, left.Add(maxFee(left, m.taker, m.info.CostDecimals))
	}
	if o.o.Side == feed.Sell {
		if o.o.FeeInBase {
			return m.info.Base, qty.Add(maxFee(qty, m.taker, m.lot))
		}
		return m.info.Base, qty
	}
	cost := qty.Mul(o.resPrice)
	if o.o.FeeInBase {
		return m.info.Quote, cost.RoundCeil(m.info.CostDecimals + 4)
	}
	return m.info.Quote, cost.Add(maxFee(cost, m.taker, m.info.CostDecimals)).RoundCeil(m.info.CostDecimals + 4)
}

// marketPriced reports whether an order type executes at market (refused in limit_only);
// the rule is strategy.MarketPriced's.
func marketPriced(t strategy.OrderType) bool { return strategy.MarketPriced(t) }
