package sim

import (
	"slices"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Kraken spot margin in the simulator. The rules, each with its source:
//
//   - An order with strategy.Order.Leverage trades on margin (AddOrder "leverage"); the
//     leverage must be one the pair offers on that side (AssetPairs leverage_buy /
//     leverage_sell), checked by strategy.CheckOrder.
//   - It holds no balance. At submission the part that opens (beyond what closes an opposite
//     position) must fit the account's free margin, with every other open margin order's
//     margin counted as used: price × quantity / leverage ≤ equity − used margin
//     ("EOrder:Margin level too low": "Client has insufficient equity or collateral",
//     docs.kraken.com spot-errors), and the position within the pair's long/short position
//     limit ("EOrder:Margin position size exceeded"). At each fill the opening part is cut
//     to what the free margin then allows; the rest is cancelled with the same text.
//   - A fill books through ledger.MarginTrade: an opposite position is closed first (its PnL
//     realised in quote), the rest opens on the order's side. The trading fee is the spot
//     one; the margin opening fee is MarginRate of the amount opened ("Margin fees are
//     charged based on the total value of the amount that is extended as margin",
//     support.kraken.com 206161568); Fill.Fee is their sum, and the provenance note names
//     the opening fee.
//   - Rollover: every 4 hours of event time from the position's first opening fill, MarginRate
//     of its cost (ledger.RolloverEvery; 206161568), charged when the first event at or after
//     the due time is processed, stamped with the due time.
//   - reduce_only (strategy.Order.ReduceOnly): refused at submission when there is no
//     position to reduce ("EOrder:Reduce only:No position exists"; trigger orders are
//     accepted and checked when they fill); a fill never goes beyond the position, and the
//     rest is cancelled with "EOrder:Reduce only:Position is closed" (docs.kraken.com
//     spot-errors: "order will match as much as possible and cancel back the rest").
//   - settle-position (strategy.SettlePosition) settles on arrival, without a trade or a
//     fee (support.kraken.com 218741078), through ledger.Settle; with no opposite position
//     it is refused "EOrder:Unknown position", without the funds to pay back
//     "EOrder:Insufficient funds".
//   - A margin order's conditional close trades on margin with the same leverage, so it
//     closes the position (and, like on Kraken, may open the other way if the position was
//     closed by something else meanwhile).
//   - Risk, after every trade while a position is open: the margin level (equity / used
//     margin × 100) below the pair's margin_call (AssetPairs; 80 when not given) reports a
//     margin call once per episode (ReasonMarginCall); at or below margin_stop (40) every open
//     position is liquidated, oldest first (Kraken: "liquidation is certain" at ~40%, and
//     positions are closed first in, first out; support.kraken.com 203325763). A
//     liquidation is a reduce-only market order the exchange places at once, without price
//     protection ("liquidations are filled at the best price that is available"): it takes
//     through the same taker path as any market order — the book after the triggering
//     print's effect, else later prints — so it never fills against invented liquidity.
//     Its updates carry ReasonLiquidation and its fills the note "liquidation".

// Reasons for margin events.
const (
	// ReasonLiquidation: an order the exchange placed to liquidate a margin position.
	ReasonLiquidation = "liquidation"
	// ReasonSettled: a settle-position order settled (no trade).
	ReasonSettled = "settled"
)

// DefaultMarginRatePct is the margin fee (opening, and per 4-hour rollover) in percent of the
// amount lent, for assets Config.MarginRates and DefaultMarginRates do not name: the top of
// Kraken's long-published 0.01–0.02% range.
var DefaultMarginRatePct = decimal.New(2, -2)

// defaultMarginRates are Kraken's rates for the two assets support.kraken.com 206161568
// (updated 2026-02-10) quotes: "As Kraken provided the USD, the fee rate will be 0.025%" and
// "As Kraken provided the BTC, the fee rate could be 0.010%". Rates are dynamic on Kraken;
// Config.MarginRates sets others.
var defaultMarginRates = map[string]decimal.Decimal{
	"USD": decimal.New(25, -3),
	"BTC": decimal.New(1, -2),
}

// DefaultMarginCall and DefaultMarginStop are the margin levels (percent) used when a pair's
// AssetPairs entry does not give margin_call / margin_stop: Kraken's "approximately 80%" and
// "approximately 40%" (support.kraken.com 203325763), also the values AssetPairs lists for
// most pairs.
var (
	DefaultMarginCall = decimal.NewFromInt(80)
	DefaultMarginStop = decimal.NewFromInt(40)
)

// marginRate is the margin fee in percent on an amount of asset lent.
func (cfg *Config) marginRate(asset string) decimal.Decimal {
	if r, ok := cfg.MarginRates[asset]; ok {
		return r
	}
	if r, ok := defaultMarginRates[asset]; ok {
		return r
	}
	return DefaultMarginRatePct
}

// rolloverRate is the rollover fee in percent, per 4 hours, on an amount of asset lent:
// Config.RolloverRates where it names the asset, else the opening rate: support.kraken.com
// 206161568's per-currency table (the es-es edition, 2026) lists the same opening and
// rollover rate for every currency (BTC 0.01% and 0.01% every 4 hours; most 0.02%).
func (cfg *Config) rolloverRate(asset string) decimal.Decimal {
	if r, ok := cfg.RolloverRates[asset]; ok {
		return r
	}
	return cfg.marginRate(asset)
}

// lent is the asset Kraken lends for a position on side: quote for a long, base for a short.
func lent(info *feed.PairInfo, side feed.Side) string {
	if side == feed.Buy {
		return info.Quote
	}
	return info.Base
}

type marginState struct {
	open        bool // a margin position may be open: rollovers and risk are checked
	called      bool // the margin level is below margin_call (one call per episode)
	calls, liqs uint64
}

// MarginCalls returns how many times the margin level fell below margin_call.
func (e *Exchange) MarginCalls() uint64 { return e.margin.calls }

// Liquidations returns how many liquidation orders the exchange placed.
func (e *Exchange) Liquidations() uint64 { return e.margin.liqs }

// MarginAccount returns the account's margin summary (Kraken's TradeBalance).
func (e *Exchange) MarginAccount() (strategy.MarginAccount, error) { return e.led.MarginAccount() }

// marginAdmit checks a margin order against the account's position and free margin (see the
// rules above). skip is an order whose own margin must not be counted as held (nil at submit).
func (e *Exchange) marginAdmit(m *market, o *strategy.Order, skip *order) error {
	pos := e.led.MarginPosition(m.pair)
	closable := decimal.Zero
	if pos.Open() && pos.Side != o.Side {
		closable = pos.Qty
	}
	switch {
	case o.Type == strategy.SettlePosition:
		if closable.Sign() == 0 {
			return strategy.ErrUnknownPosition
		}
		return nil
	case o.ReduceOnly:
		if closable.Sign() == 0 && !strategy.Trigger(o.Type) {
			return strategy.ErrReduceOnlyNoPosition
		}
		return nil
	}
	opens := o.Qty.Sub(closable)
	if opens.Sign() <= 0 {
		return nil
	}
	limit := m.info.LongPositionLimit
	if o.Side == feed.Sell {
		limit = m.info.ShortPositionLimit
	}
	same := decimal.Zero
	if pos.Open() && pos.Side == o.Side {
		same = pos.Qty
	}
	if limit.Sign() > 0 && same.Add(opens).Cmp(limit) > 0 {
		return strategy.ErrMarginPositionSize
	}
	ref := o.Price
	switch o.Type {
	case strategy.Market, strategy.TrailingStop, strategy.TrailingStopLimit:
		ref, _ = m.marketRef(o.Side)
	case strategy.StopLossLimit, strategy.TakeProfitLimit:
		ref = o.Price2
	}
	if ref.Sign() <= 0 {
		return nil // nothing to value it with yet: checked at fill time
	}
	acct, err := e.led.MarginAccount()
	if err != nil {
		return strategy.ErrMarginLevel
	}
	need := e.marginValue(m, ref.Mul(opens).Div(decimal.NewFromInt(int64(o.Leverage))))
	if need.Cmp(acct.FreeMargin.Sub(e.marginHeld(skip))) > 0 {
		return strategy.ErrMarginLevel
	}
	return nil
}

// marginValue converts a quote amount of m's pair into the account currency (unchanged
// when no price connects them).
func (e *Exchange) marginValue(m *market, quote decimal.Decimal) decimal.Decimal {
	if v, ok := e.led.Value(m.info.Quote, quote); ok {
		return v
	}
	return quote
}

// marginHeld is the margin the live margin orders (other than skip) would use if they
// opened in full, in the account currency: remaining quantity × their price / leverage.
func (e *Exchange) marginHeld(skip *order) decimal.Decimal {
	sum := decimal.Zero
	for _, o := range e.live {
		if o == skip || o.o.Leverage <= 0 || o.o.ReduceOnly || o.o.Type == strategy.SettlePosition {
			continue
		}
		price := o.o.Price
		if o.hasLimit {
			price = o.limit
		} else if o.o.Type == strategy.Market || price.Sign() <= 0 || o.o.Type == strategy.TrailingStop || o.o.Type == strategy.TrailingStopLimit {
			price, _ = o.m.marketRef(o.o.Side)
		}
		rem := o.o.Qty.Sub(o.filled)
		sum = sum.Add(e.marginValue(o.m, price.Mul(rem).Div(decimal.NewFromInt(int64(o.o.Leverage)))))
	}
	return sum
}

// fillMargin books a fill of a margin order (see the rules above) and returns the quantity
// filled.
func (e *Exchange) fillMargin(o *order, price, qty decimal.Decimal, liq strategy.Liquidity, prov strategy.Provenance) decimal.Decimal {
	m := o.m
	e.feeTiers(e.at)
	pct := m.taker
	if liq == strategy.Maker {
		pct = m.maker
	}
	closes, opens := e.led.MarginSplit(m.pair, o.o.Side, qty)
	cut := ""
	if o.o.ReduceOnly || o.liq {
		if closes.Sign() == 0 {
			reason := strategy.ErrReduceOnlyClosed.Error()
			if o.filled.Sign() == 0 {
				reason = strategy.ErrReduceOnlyNoPosition.Error()
			}
			e.finish(o, strategy.StatusCanceled, reason)
			return decimal.Zero
		}
		if opens.Sign() > 0 {
			qty, opens, cut = closes, decimal.Zero, strategy.ErrReduceOnlyClosed.Error()
		}
	}
	if opens.Sign() > 0 {
		// The opening part needs free margin now: cut it to what fits.
		free := decimal.Zero
		if acct, err := e.led.MarginAccount(); err == nil {
			free = acct.FreeMargin.Sub(e.marginHeld(o))
		}
		lev := decimal.NewFromInt(int64(o.o.Leverage))
		fits := decimal.Zero
		if one := e.marginValue(m, price); free.Sign() > 0 && one.Sign() > 0 {
			fits = m.truncLot(free.Mul(lev).Div(one))
		}
		if opens.Cmp(fits) > 0 {
			opens, cut = fits, strategy.ErrMarginLevel.Error()
			qty = closes.Add(opens)
			if qty.Sign() <= 0 {
				e.finish(o, strategy.StatusCanceled, cut)
				return decimal.Zero
			}
		}
	}
	cost := price.Mul(qty)
	fee := Fee(cost, pct, m.info.CostDecimals)
	openFee := decimal.Zero
	if opens.Sign() > 0 {
		openFee = Fee(price.Mul(opens), e.cfg.marginRate(lent(&m.info, o.o.Side)), m.info.CostDecimals)
		note := "margin opening fee " + openFee.String()
		if prov.Note != "" {
			note = prov.Note + ", " + note
		}
		prov.Note = note
	}
	if o.liq {
		if prov.Note == "" {
			prov.Note = ReasonLiquidation
		} else {
			prov.Note = ReasonLiquidation + ", " + prov.Note
		}
	}
	pnl, err := e.led.MarginTrade(ledger.MarginFill{
		Order: o.o.ID, Pair: m.pair, Base: m.info.Base, Quote: m.info.Quote, Side: o.o.Side,
		Price: price, Qty: qty, Cost: cost, Fee: fee, OpenFee: openFee, Leverage: o.o.Leverage, At: e.at,
	})
	if err != nil {
		e.log.Warn("sim: ledger refused a margin fill", zap.String("order", string(o.o.ID)), zap.Error(err))
		e.finish(o, strategy.StatusCanceled, reasonFundsFill)
		return decimal.Zero
	}
	e.margin.open = true
	ev := MarginEvent{Kind: MarginFill, Order: o.o.ID, Pair: m.pair, Side: o.o.Side, Qty: qty, Price: price, Cost: cost,
		Fee: fee, OpenFee: openFee, PnL: pnl, Leverage: o.o.Leverage, Time: e.at}
	got := e.booked(o, price, qty, cost, fee.Add(openFee), m.info.Quote, liq, prov, cut)
	// After the fill report (booked appends it, then maybe the order's end): the margin
	// record follows its fill, and goes before the order update that ends it.
	e.insertAfterFill(o.o.ID, ev)
	return got
}

// insertAfterFill puts a margin report right after the last fill report of order id.
func (e *Exchange) insertAfterFill(id strategy.OrderID, ev MarginEvent) {
	at := len(e.reports)
	for i := len(e.reports) - 1; i >= 0; i-- {
		if r := &e.reports[i]; r.Kind == ReportFill && r.Fill.OrderID == id {
			at = i + 1
			break
		}
	}
	e.reports = slices.Insert(e.reports, at, Report{Kind: ReportMargin, Margin: ev})
}

// settle is a settle-position order reaching the exchange: it settles at once (no trade).
func (e *Exchange) settle(o *order) {
	pos := e.led.MarginPosition(o.m.pair)
	if !pos.Open() || pos.Side == o.o.Side {
		e.finish(o, strategy.StatusCanceled, strategy.ErrUnknownPosition.Error())
		return
	}
	qty, basis, err := e.led.Settle(o.m.pair, o.o.Qty)
	if err != nil {
		e.finish(o, strategy.StatusCanceled, strategy.ErrInsufficientFunds.Error())
		return
	}
	if o.o.Qty.IsZero() || o.o.Qty.Cmp(qty) > 0 {
		o.o.Qty = qty
	}
	o.filled, o.cost = qty, basis
	e.reports = append(e.reports, Report{Kind: ReportMargin, Margin: MarginEvent{
		Kind: MarginSettle, Order: o.o.ID, Pair: o.m.pair, Side: pos.Side, Qty: qty, Cost: basis, Time: e.at,
	}})
	e.finish(o, strategy.StatusClosed, ReasonSettled)
}

// marginTime charges the rollover fees due by now, each stamped with its due time.
func (e *Exchange) marginTime(now time.Time) {
	next, ok := e.led.NextRollover()
	if !ok {
		e.margin.open = false
		return
	}
	if next.After(now) {
		return // the usual case: nothing due, and nothing allocated
	}
	due := e.led.RolloverDue(now)
	for _, pr := range due {
		m := e.market(pr)
		for {
			pos := e.led.MarginPosition(pr)
			if !pos.Open() || pos.NextRollover.After(now) {
				break
			}
			var fee decimal.Decimal
			if m != nil {
				fee = Fee(pos.Cost, e.cfg.rolloverRate(lent(&m.info, pos.Side)), m.info.CostDecimals)
			}
			at, err := e.led.Rollover(pr, fee)
			if err != nil {
				break
			}
			e.reports = append(e.reports, Report{Kind: ReportMargin, Margin: MarginEvent{
				Kind: MarginRollover, Pair: pr, Side: pos.Side, Qty: pos.Qty, Fee: fee, Time: at,
			}})
		}
	}
}

// marginRisk compares the margin level with the call and stop levels of the open positions'
// pairs (the highest of each) and calls or liquidates.
func (e *Exchange) marginRisk() {
	call, stop, any := e.marginLevels()
	if !any {
		e.margin.open, e.margin.called = false, false
		return
	}
	belowCall, atStop, ok := e.led.MarginBelow(call, stop)
	if !ok {
		return
	}
	if !belowCall {
		e.margin.called = false
		return
	}
	acct, err := e.led.MarginAccount()
	if err != nil {
		return
	}
	if !e.margin.called {
		e.margin.called = true
		e.margin.calls++
		e.reports = append(e.reports, Report{Kind: ReportMargin, Margin: MarginEvent{
			Kind: MarginCall, Level: acct.Level, Equity: acct.Equity, UsedMargin: acct.UsedMargin, Time: e.at,
		}})
	}
	if !atStop {
		return
	}
	for _, p := range e.led.MarginPositions() {
		e.liquidate(p, acct)
	}
}

// marginLevels returns the highest margin_call and margin_stop among the pairs with an open
// margin position (DefaultMarginCall and DefaultMarginStop where AssetPairs gave none); any is
// false when no position is open. It does not allocate. (It ranges over the markets map:
// a maximum does not depend on the order.)
func (e *Exchange) marginLevels() (call, stop decimal.Decimal, any bool) {
	for _, m := range e.markets {
		if !e.led.MarginOpen(m.pair) {
			continue
		}
		c, s := DefaultMarginCall, DefaultMarginStop
		if m.info.MarginCall.Sign() > 0 {
			c = m.info.MarginCall
		}
		if m.info.MarginStop.Sign() > 0 {
			s = m.info.MarginStop
		}
		if !any || c.Cmp(call) > 0 {
			call = c
		}
		if !any || s.Cmp(stop) > 0 {
			stop = s
		}
		any = true
	}
	return call, stop, any
}

// liquidate places the exchange's order closing position p, unless one is already working.
func (e *Exchange) liquidate(p strategy.Position, acct strategy.MarginAccount) {
	for _, o := range e.live {
		if o.liq && o.o.Pair == p.Pair {
			return
		}
	}
	m := e.market(p.Pair)
	if m == nil {
		return
	}
	id := e.newID()
	o := &order{o: strategy.Order{
		ID: id, Pair: p.Pair, Side: p.Margin.Side.Opposite(), Type: strategy.Market, Qty: p.Margin.Qty,
		Leverage: p.Margin.Leverage, ReduceOnly: true, NoMPP: true,
	}, m: m, seq: e.seq, status: strategy.StatusPending, liq: true}
	e.initOrder(o)
	if err := e.led.Reserve(id, m.info.Quote, decimal.Zero); err != nil {
		return
	}
	e.orders[id] = o
	e.live = append(e.live, o)
	e.margin.liqs++
	e.reports = append(e.reports, Report{Kind: ReportMargin, Margin: MarginEvent{
		Kind: MarginLiquidation, Pair: p.Pair, Side: p.Margin.Side, Qty: p.Margin.Qty, Order: id,
		Level: acct.Level, Equity: acct.Equity, UsedMargin: acct.UsedMargin, Time: e.at,
	}})
	e.emit(o, ReasonLiquidation)
	o.noMatchEv = e.evn // like a triggered stop: not from the print that caused it
	e.arrive(o)
}

// MarginEvent is strategy.MarginEvent: what Report.Margin carries.
type MarginEvent = strategy.MarginEvent

// The margin event kinds, as strategy names them.
const (
	MarginFill        = strategy.MarginFill
	MarginRollover    = strategy.MarginRollover
	MarginSettle      = strategy.MarginSettle
	MarginCall        = strategy.MarginCall
	MarginLiquidation = strategy.MarginLiquidation
)
