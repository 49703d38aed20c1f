package ledger

import (
	"fmt"
	"slices"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// Kraken spot margin, booked the way Kraken books it (support.kraken.com "How leverage works
// in spot transactions on margin", 203053116; "Margin trading examples", 203053156;
// "Settling a spot position on margin", 218741078):
//
//   - Opening a position moves nothing between the account's balances: Kraken lends the
//     quote that buys a long (or the base that is sold for a short) from its margin pool, and
//     the position holds Qty base at Cost quote. "Margin is not deducted from your balance."
//   - Closing (an opposite fill) realises the position's profit or loss in the quote asset:
//     a long sold at P realises P×q − cost of q; a short bought back at P realises
//     cost of q − P×q. Only that difference reaches the balances.
//   - Fees are charged from the quote balance when they occur: the trading fee of every fill,
//     the margin opening fee on what is opened, the rollover fee every 4 hours. Kraken
//     charges margin fees in the currency it lent (base for a short); the ledger values a
//     short's fee at its opening cost and charges quote, so an account need not hold the
//     base it shorts.
//   - Settling pays back what Kraken lent from the balance and keeps what the position
//     holds: a long pays Cost quote and receives Qty base; a short pays Qty base and
//     receives Cost quote. No trade, no fee.
//
// A realised loss larger than the quote balance leaves that balance negative: a debt to
// the venue, as on Kraken (liquidation exists to avoid it). Check allows a negative balance
// only in an asset a margin position has settled into.
//
// Conservation: for any mix of spot and margin fills, settlements and margin fees, Equity at
// a price M equals the deposits plus Σ side×qty×(M − price) over the fills minus every fee
// charged (TestMarginConservation holds it to that, exactly).

// RolloverEvery is how often Kraken charges the rollover fee on an open margin position:
// "every 4 hours" (support.kraken.com 206161568, "What are the fees (opening and rollover)
// for trading using margin?").
const RolloverEvery = 4 * time.Hour

// ErrMarginLevel is strategy.ErrMarginLevel: an opening needs more margin than is free.
var ErrMarginLevel = strategy.ErrMarginLevel

type marginPos struct {
	pair               feed.Pair
	base, quote        string
	side               feed.Side // 0: none
	qty, cost          decimal.Decimal
	lev                int
	openFees, rollover decimal.Decimal
	tradeFees          decimal.Decimal
	realised           decimal.Decimal
	opened, next       time.Time
}

func (p *marginPos) open() bool { return p.side != 0 && p.qty.Sign() > 0 }

func (p *marginPos) reset() {
	*p = marginPos{pair: p.pair, base: p.base, quote: p.quote}
}

func (l *Ledger) marginPos(pair feed.Pair, base, quote string) *marginPos {
	if p, ok := l.margin[pair]; ok {
		return p
	}
	if l.margin == nil {
		l.margin = make(map[feed.Pair]*marginPos)
	}
	p := &marginPos{pair: pair, base: base, quote: quote}
	l.margin[pair] = p
	i, _ := slices.BinarySearch(l.mpairs, pair)
	l.mpairs = slices.Insert(l.mpairs, i, pair)
	return p
}

// MarginFill is one fill of a margin order: Side of the order, Qty base at Price for Cost
// quote (as the simulator rounded it), Fee the trading fee (quote), OpenFee the margin
// opening fee on the part that opens, Leverage the order's, At its event time.
type MarginFill struct {
	Order       strategy.OrderID
	Pair        feed.Pair
	Base, Quote string
	Side        feed.Side
	Price       decimal.Decimal
	Qty         decimal.Decimal
	Cost        decimal.Decimal
	Fee         decimal.Decimal
	OpenFee     decimal.Decimal
	Leverage    int
	At          time.Time
}

// MarginSplit returns how much of a margin fill of qty on side closes the open position
// (an opposite one) and how much opens or adds on side.
func (l *Ledger) MarginSplit(pair feed.Pair, side feed.Side, qty decimal.Decimal) (closes, opens decimal.Decimal) {
	if p, ok := l.margin[pair]; ok && p.open() && p.side != side {
		closes = decimal.Min(qty, p.qty)
	}
	return closes, qty.Sub(closes)
}

// MarginTrade books a margin fill: it first closes an opposite position (realising its PnL
// in quote), then opens or adds the rest on the fill's side; the trading fee and the opening
// fee are charged from the quote balance. OpenFee must be zero when nothing opens. It
// returns the PnL the closing part realised (fees excluded). On error nothing changes.
func (l *Ledger) MarginTrade(f MarginFill) (decimal.Decimal, error) {
	if f.Qty.Sign() <= 0 || f.Cost.Sign() < 0 || f.Fee.Sign() < 0 || f.OpenFee.Sign() < 0 {
		return decimal.Zero, fmt.Errorf("ledger: margin %s %s %s: quantity must be positive, cost and fees not negative", f.Side, f.Qty, f.Pair)
	}
	if f.Base == "" || f.Quote == "" || f.Base == f.Quote {
		return decimal.Zero, fmt.Errorf("ledger: margin trade on %s: bad assets %q/%q", f.Pair, f.Base, f.Quote)
	}
	if f.Side != feed.Buy && f.Side != feed.Sell {
		return decimal.Zero, fmt.Errorf("ledger: margin trade on %s: bad side %v", f.Pair, f.Side)
	}
	if f.Leverage <= 0 {
		return decimal.Zero, fmt.Errorf("ledger: margin trade on %s: leverage %d", f.Pair, f.Leverage)
	}
	closes, opens := l.MarginSplit(f.Pair, f.Side, f.Qty)
	if opens.Sign() == 0 && f.OpenFee.Sign() > 0 {
		return decimal.Zero, fmt.Errorf("ledger: margin trade on %s: an opening fee on a fill that opens nothing", f.Pair)
	}
	p := l.marginPos(f.Pair, f.Base, f.Quote)
	quote := l.account(f.Quote)
	sp := l.position(f.Pair)
	sp.traded = true
	closeCost := f.Cost
	if opens.Sign() > 0 {
		closeCost = f.Cost.Mul(closes).DivRound(f.Qty, ConversionDecimals)
	}
	pnl := decimal.Zero
	if closes.Sign() > 0 {
		basis := p.cost
		if !closes.Equal(p.qty) {
			basis = p.cost.Mul(closes).DivRound(p.qty, ConversionDecimals)
		}
		pnl = closeCost.Sub(basis) // a long sold
		if p.side == feed.Sell {
			pnl = basis.Sub(closeCost) // a short bought back
		}
		quote.total = quote.total.Add(pnl)
		p.realised = p.realised.Add(pnl)
		sp.realised = sp.realised.Add(pnl)
		p.qty, p.cost = p.qty.Sub(closes), p.cost.Sub(basis)
		l.noteDebt(f.Quote)
	}
	fees := f.Fee.Add(f.OpenFee)
	quote.total = quote.total.Sub(fees)
	sp.realised = sp.realised.Sub(fees)
	l.noteDebt(f.Quote)
	if p.qty.Sign() == 0 && opens.Sign() == 0 {
		p.reset()
		return pnl, nil
	}
	if p.qty.Sign() == 0 {
		p.reset()
		p.side, p.lev, p.opened, p.next = f.Side, f.Leverage, f.At, f.At.Add(RolloverEvery)
	}
	p.tradeFees = p.tradeFees.Add(f.Fee)
	p.openFees = p.openFees.Add(f.OpenFee)
	p.qty, p.cost = p.qty.Add(opens), p.cost.Add(f.Cost.Sub(closeCost))
	return pnl, nil
}

// noteDebt remembers that asset's balance may be negative because of margin settlement.
func (l *Ledger) noteDebt(asset string) {
	if b := l.bal[asset]; b != nil && b.total.Sign() < 0 {
		if l.debt == nil {
			l.debt = make(map[string]bool)
		}
		l.debt[asset] = true
	}
}

// RolloverDue returns the pairs whose margin position owes a rollover fee at now (its
// NextRollover is at or before now), sorted by pair.
func (l *Ledger) RolloverDue(now time.Time) []feed.Pair {
	var out []feed.Pair
	for _, pr := range l.mpairs {
		if p := l.margin[pr]; p.open() && !p.next.After(now) {
			out = append(out, pr)
		}
	}
	return out
}

// NextRollover returns the earliest time a rollover fee falls due on an open margin
// position; ok is false when no margin position is open. It does not allocate.
func (l *Ledger) NextRollover() (next time.Time, ok bool) {
	for _, pr := range l.mpairs {
		if p := l.margin[pr]; p.open() && (!ok || p.next.Before(next)) {
			next, ok = p.next, true
		}
	}
	return next, ok
}

// Rollover charges one rollover fee (quote) on pair's margin position and moves its next
// rollover 4 hours on; it returns the time the fee was due.
func (l *Ledger) Rollover(pair feed.Pair, fee decimal.Decimal) (time.Time, error) {
	p, ok := l.margin[pair]
	if !ok || !p.open() {
		return time.Time{}, fmt.Errorf("ledger: rollover on %s: no margin position", pair)
	}
	if fee.Sign() < 0 {
		return time.Time{}, fmt.Errorf("ledger: rollover on %s: negative fee %s", pair, fee)
	}
	due := p.next
	q := l.account(p.quote)
	q.total = q.total.Sub(fee)
	l.noteDebt(p.quote)
	p.rollover = p.rollover.Add(fee)
	l.position(pair).realised = l.position(pair).realised.Sub(fee)
	p.next = p.next.Add(RolloverEvery)
	return due, nil
}

// Settle closes qty (zero: all) of pair's margin position without a trade, as Kraken's
// settle-position does: a long pays back its cost pro rata in quote and receives the base;
// a short pays back the base and receives its cost in quote. It fails with
// ErrInsufficientFunds, changing nothing, when the free balance cannot pay. It returns the
// quantity settled and the quote it was valued at (the position's cost of it).
func (l *Ledger) Settle(pair feed.Pair, qty decimal.Decimal) (settled, basis decimal.Decimal, err error) {
	p, ok := l.margin[pair]
	if !ok || !p.open() {
		return decimal.Zero, decimal.Zero, strategy.ErrUnknownPosition
	}
	if qty.Sign() < 0 {
		return decimal.Zero, decimal.Zero, fmt.Errorf("ledger: settle %s %s: negative quantity", qty, pair)
	}
	if qty.Sign() == 0 || qty.Cmp(p.qty) > 0 {
		qty = p.qty
	}
	basis = p.cost
	if !qty.Equal(p.qty) {
		basis = p.cost.Mul(qty).DivRound(p.qty, ConversionDecimals)
	}
	payAsset, pay, getAsset, get := p.quote, basis, p.base, qty
	if p.side == feed.Sell {
		payAsset, pay, getAsset, get = p.base, qty, p.quote, basis
	}
	b := l.account(payAsset)
	if free := b.total.Sub(b.reserved); free.Cmp(pay) < 0 {
		return decimal.Zero, decimal.Zero, fmt.Errorf("ledger: settle %s %s needs %s %s, free %s: %w", qty, pair, pay, payAsset, free, ErrInsufficientFunds)
	}
	b.total = b.total.Sub(pay)
	l.account(getAsset).total = l.account(getAsset).total.Add(get)
	// The spot position follows the assets: a settled long is base bought at its cost; a
	// settled short delivered base for its cost.
	sp := l.position(pair)
	sp.traded = true
	if p.side == feed.Buy {
		sp.qty, sp.basis = sp.qty.Add(qty), sp.basis.Add(basis)
	} else {
		l.sell(sp, qty, basis)
	}
	p.qty, p.cost = p.qty.Sub(qty), p.cost.Sub(basis)
	if p.qty.Sign() == 0 {
		p.reset()
	}
	return qty, basis, nil
}

// MarginOpen reports whether the account has an open margin position in pair.
func (l *Ledger) MarginOpen(pair feed.Pair) bool {
	p, ok := l.margin[pair]
	return ok && p.open()
}

// MarginPosition returns the account's margin position in pair (zero Side: none).
func (l *Ledger) MarginPosition(pair feed.Pair) strategy.MarginPosition {
	p, ok := l.margin[pair]
	if !ok || !p.open() {
		return strategy.MarginPosition{}
	}
	return l.marginView(p)
}

func (l *Ledger) marginView(p *marginPos) strategy.MarginPosition {
	v := strategy.MarginPosition{
		Side: p.side, Qty: p.qty, Cost: p.cost, Leverage: p.lev,
		OpenFees: p.openFees, Rollover: p.rollover, TradeFees: p.tradeFees, RealizedPnL: p.realised,
		Opened: p.opened, NextRollover: p.next,
	}
	v.AvgPrice = p.cost.DivRound(p.qty, ConversionDecimals)
	v.UnrealizedPnL, v.UsedMargin = l.marginMarks(p)
	return v
}

// marginMarks returns a position's unrealised PnL and used margin in quote at the last
// price (at its cost while no price is known). A long's margin is Cost/Leverage; a short's is
// the lent base's value over Leverage, which follows the price ("Because your Used Margin is
// in terms of BTC, your Used Margin in terms of USD would be 0.04 BTC * 65,200": Kraken's
// margin trading examples, 203053156).
func (l *Ledger) marginMarks(p *marginPos) (upnl, used decimal.Decimal) {
	value := l.marginValue(p)
	lev := decimal.NewFromInt(int64(p.lev))
	if p.side == feed.Buy {
		return value.Sub(p.cost), p.cost.DivRound(lev, ConversionDecimals)
	}
	return p.cost.Sub(value), value.DivRound(lev, ConversionDecimals)
}

// marginValue is what a position's quantity is worth at the last price (its cost while no
// price is known).
func (l *Ledger) marginValue(p *marginPos) decimal.Decimal {
	if sp, ok := l.pos[p.pair]; ok && sp.hasMark {
		return sp.mark.Mul(p.qty)
	}
	return p.cost
}

// marginUpnl is a position's unrealised PnL at the last price.
func (l *Ledger) marginUpnl(p *marginPos) decimal.Decimal {
	if p.side == feed.Buy {
		return l.marginValue(p).Sub(p.cost)
	}
	return p.cost.Sub(l.marginValue(p))
}

// levScale is a common multiple of every leverage from 1 to 10: used margin × levScale is
// Σ amount × (levScale / leverage), exact and without a division.
const levScale = 2520

// MarginPositions returns the open margin positions, oldest first (Kraken liquidates
// first in, first out), then by pair.
func (l *Ledger) MarginPositions() []strategy.Position {
	var out []strategy.Position
	for _, pr := range l.mpairs {
		if p := l.margin[pr]; p.open() {
			out = append(out, strategy.Position{Pair: pr, Margin: l.marginView(p)})
		}
	}
	slices.SortStableFunc(out, func(a, b strategy.Position) int { return a.Margin.Opened.Compare(b.Margin.Opened) })
	return out
}

// MarginAccount returns the account's margin summary (see strategy.MarginAccount), in the
// account currency. Level is Equity / UsedMargin × 100, at 8 decimals: Kraken's "margin level
// is your equity divided by used margin, expressed as a percentage" (203053116). It fails
// like Equity when an amount cannot be valued.
func (l *Ledger) MarginAccount() (strategy.MarginAccount, error) {
	var a strategy.MarginAccount
	eq, err := l.Equity()
	if err != nil {
		return a, err
	}
	a.Equity = eq
	for _, pr := range l.mpairs {
		p := l.margin[pr]
		if !p.open() {
			continue
		}
		_, used := l.marginMarks(p)
		v, ok := l.Value(p.quote, used)
		if !ok {
			return a, fmt.Errorf("ledger: no price to value margin of %s in %s", pr, l.ccy)
		}
		a.UsedMargin = a.UsedMargin.Add(v)
		a.Positions++
	}
	a.FreeMargin = a.Equity.Sub(a.UsedMargin)
	if a.UsedMargin.Sign() > 0 {
		a.Level = a.Equity.Mul(decimal.NewFromInt(100)).DivRound(a.UsedMargin, 8)
	}
	return a, nil
}

// MarginBelow reports, without building the account summary, whether the margin level is
// below call and at or below stop percent (Kraken's margin_call and margin_stop): equity × 100
// compared with used margin × level, so no division. ok is false without an open position or
// when an amount cannot be valued. The simulator calls it after every trade while a position
// is open.
func (l *Ledger) MarginBelow(call, stop decimal.Decimal) (belowCall, atStop, ok bool) {
	used := decimal.Zero // × levScale
	for _, pr := range l.mpairs {
		p := l.margin[pr]
		if !p.open() {
			continue
		}
		amount := p.cost // a long's margin is on its cost; a short's on the lent base's value
		if p.side == feed.Sell {
			amount = l.marginValue(p)
		}
		var u decimal.Decimal
		if levScale%p.lev == 0 {
			u = amount.Mul(decimal.NewFromInt(int64(levScale / p.lev)))
		} else {
			u = amount.Mul(decimal.NewFromInt(levScale)).DivRound(decimal.NewFromInt(int64(p.lev)), ConversionDecimals)
		}
		v, vok := l.Value(p.quote, u)
		if !vok {
			return false, false, false
		}
		used = used.Add(v)
	}
	if used.Sign() <= 0 {
		return false, false, false
	}
	eq, err := l.Equity()
	if err != nil {
		return false, false, false
	}
	e := eq.Mul(decimal.NewFromInt(100 * levScale))
	return e.Cmp(used.Mul(call)) < 0, e.Cmp(used.Mul(stop)) <= 0, true
}

// marginEquity is the unrealised PnL of every open margin position in the account
// currency; Equity adds it to the balances.
func (l *Ledger) marginEquity() (decimal.Decimal, error) {
	sum := decimal.Zero
	for _, pr := range l.mpairs {
		p := l.margin[pr]
		if !p.open() {
			continue
		}
		v, ok := l.Value(p.quote, l.marginUpnl(p))
		if !ok {
			return decimal.Decimal{}, fmt.Errorf("ledger: no price to value the %s margin position in %s", pr, l.ccy)
		}
		sum = sum.Add(v)
	}
	return sum, nil
}

// MarginSnapshot is one open margin position as Snapshot keeps it.
type MarginSnapshot struct {
	Pair      feed.Pair       `json:"pair"`
	Base      string          `json:"base"`
	Quote     string          `json:"quote"`
	Side      string          `json:"side"`
	Qty       decimal.Decimal `json:"qty"`
	Cost      decimal.Decimal `json:"cost"`
	Leverage  int             `json:"leverage"`
	OpenFees  decimal.Decimal `json:"open_fees"`
	Rollover  decimal.Decimal `json:"rollover"`
	TradeFees decimal.Decimal `json:"trade_fees"`
	Realised  decimal.Decimal `json:"realised"`
	Opened    time.Time       `json:"opened"`
	Next      time.Time       `json:"next_rollover"`
}

func (l *Ledger) marginSnapshot() []MarginSnapshot {
	var out []MarginSnapshot
	for _, pr := range l.mpairs {
		p := l.margin[pr]
		if !p.open() {
			continue
		}
		out = append(out, MarginSnapshot{Pair: pr, Base: p.base, Quote: p.quote, Side: p.side.String(), Qty: p.qty, Cost: p.cost,
			Leverage: p.lev, OpenFees: p.openFees, Rollover: p.rollover, TradeFees: p.tradeFees, Realised: p.realised,
			Opened: p.opened.UTC(), Next: p.next.UTC()})
	}
	return out
}

func checkMarginSnapshot(ms []MarginSnapshot) error {
	seen := make(map[feed.Pair]bool, len(ms))
	for _, m := range ms {
		side, err := feed.ParseSide(m.Side)
		switch {
		case m.Pair == "" || m.Base == "" || m.Quote == "" || m.Base == m.Quote:
			return fmt.Errorf("ledger: restore: margin position %q with bad assets", m.Pair)
		case seen[m.Pair]:
			return fmt.Errorf("ledger: restore: margin position on %s listed twice", m.Pair)
		case err != nil:
			return fmt.Errorf("ledger: restore: margin position on %s: %w", m.Pair, err)
		case side != feed.Buy && side != feed.Sell:
			return fmt.Errorf("ledger: restore: margin position on %s: bad side %q", m.Pair, m.Side)
		case m.Qty.Sign() <= 0 || m.Cost.Sign() < 0 || m.Leverage <= 0:
			return fmt.Errorf("ledger: restore: margin position on %s: qty %s, cost %s, leverage %d", m.Pair, m.Qty, m.Cost, m.Leverage)
		}
		seen[m.Pair] = true
	}
	return nil
}

func (l *Ledger) restoreMargin(ms []MarginSnapshot) {
	for _, pr := range l.mpairs {
		l.margin[pr].reset()
	}
	for _, m := range ms {
		side, _ := feed.ParseSide(m.Side)
		p := l.marginPos(m.Pair, m.Base, m.Quote)
		*p = marginPos{pair: m.Pair, base: m.Base, quote: m.Quote, side: side, qty: m.Qty, cost: m.Cost, lev: m.Leverage,
			openFees: m.OpenFees, rollover: m.Rollover, tradeFees: m.TradeFees, realised: m.Realised, opened: m.Opened, next: m.Next}
		l.position(m.Pair).traded = true
	}
}

// checkMargin verifies the margin invariants: an open position has a side, a positive
// quantity, a non-negative cost and a leverage; a closed one holds nothing.
func (l *Ledger) checkMargin() error {
	for _, pr := range l.mpairs {
		p := l.margin[pr]
		switch {
		case p.qty.Sign() < 0 || p.cost.Sign() < 0:
			return fmt.Errorf("ledger: %s margin position %s (cost %s) is negative", pr, p.qty, p.cost)
		case p.qty.Sign() > 0 && (p.side == 0 || p.lev <= 0):
			return fmt.Errorf("ledger: %s margin position %s has no side or leverage", pr, p.qty)
		case p.qty.Sign() == 0 && (p.side != 0 || p.cost.Sign() != 0):
			return fmt.Errorf("ledger: %s margin position is empty but not closed", pr)
		}
	}
	return nil
}

// ApplyMargin books a recorded margin event into the ledger, as the simulator booked it: a
// fill (MarginTrade with the event's price, quantity, cost, fees and leverage), a rollover
// fee, or a settlement; other kinds change nothing. Readers that rebuild an account from
// records (the journal on restart, the dashboard) call it; base and quote are the pair's
// assets.
func (l *Ledger) ApplyMargin(m *strategy.MarginEvent, base, quote string) error {
	switch m.Kind {
	case strategy.MarginFill:
		_, err := l.MarginTrade(MarginFill{Order: m.Order, Pair: m.Pair, Base: base, Quote: quote, Side: m.Side,
			Price: m.Price, Qty: m.Qty, Cost: m.Cost, Fee: m.Fee, OpenFee: m.OpenFee, Leverage: m.Leverage, At: m.Time})
		return err
	case strategy.MarginRollover:
		_, err := l.Rollover(m.Pair, m.Fee)
		return err
	case strategy.MarginSettle:
		_, _, err := l.Settle(m.Pair, m.Qty)
		return err
	}
	return nil
}
