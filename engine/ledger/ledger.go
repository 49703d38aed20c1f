package ledger

import (
	"errors"
	"fmt"
	"slices"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// ConversionDecimals is the number of decimals kept when Equity divides by a price (valuing
// an asset through an inverse pair such as USD/EUR for EUR). Multiplications are exact.
const ConversionDecimals = 12

// ErrInsufficientFunds is wrapped by errors from Reserve, Resize, Withdraw and Trade when the
// free balance cannot cover the request. It is strategy.ErrInsufficientFunds, so a strategy
// sees Kraken's text.
var ErrInsufficientFunds = strategy.ErrInsufficientFunds

// Ledger is one account's balances, reservations and positions. The zero value is not usable;
// call New. Not safe for concurrent use.
type Ledger struct {
	ccy string

	assets []string // sorted; every asset ever touched
	bal    map[string]*balance

	res map[strategy.OrderID]*reservation

	pairs []feed.Pair // sorted; every pair traded or marked
	pos   map[feed.Pair]*position

	// lastPair/lastPos cache the pair most recently marked: Mark is called for every trade.
	lastPair feed.Pair
	lastPos  *position

	margin map[feed.Pair]*marginPos // spot margin positions (margin.go); nil until one opens
	mpairs []feed.Pair              // sorted keys of margin
	debt   map[string]bool          // assets a margin settlement has taken below zero
}

type balance struct {
	total, reserved decimal.Decimal
}

type reservation struct {
	asset  string
	amount decimal.Decimal
}

type position struct {
	pair     feed.Pair
	qty      decimal.Decimal
	basis    decimal.Decimal // quote paid for qty (fees excluded)
	realised decimal.Decimal
	mark     decimal.Decimal
	hasMark  bool
	traded   bool
}

// New returns an empty ledger whose equity is reported in accountCurrency (e.g. "USD").
func New(accountCurrency string) *Ledger {
	return &Ledger{
		ccy: accountCurrency,
		bal: make(map[string]*balance),
		res: make(map[strategy.OrderID]*reservation),
		pos: make(map[feed.Pair]*position),
	}
}

// AccountCurrency returns the currency Equity is reported in.
func (l *Ledger) AccountCurrency() string { return l.ccy }

func (l *Ledger) account(asset string) *balance {
	if b, ok := l.bal[asset]; ok {
		return b
	}
	b := &balance{}
	l.bal[asset] = b
	i, _ := slices.BinarySearch(l.assets, asset)
	l.assets = slices.Insert(l.assets, i, asset)
	return b
}

func (l *Ledger) position(pair feed.Pair) *position {
	if pair == l.lastPair && l.lastPos != nil {
		return l.lastPos
	}
	p, ok := l.pos[pair]
	if !ok {
		p = &position{pair: pair}
		l.pos[pair] = p
		i, _ := slices.BinarySearch(l.pairs, pair)
		l.pairs = slices.Insert(l.pairs, i, pair)
	}
	l.lastPair, l.lastPos = pair, p
	return p
}

// Deposit adds amount (> 0) of asset to the account.
func (l *Ledger) Deposit(asset string, amount decimal.Decimal) error {
	if asset == "" {
		return errors.New("ledger: deposit: empty asset")
	}
	if amount.Sign() <= 0 {
		return fmt.Errorf("ledger: deposit %s %s: amount must be positive", amount, asset)
	}
	b := l.account(asset)
	b.total = b.total.Add(amount)
	return nil
}

// Withdraw removes amount (> 0) of asset; it fails if the free balance is smaller.
func (l *Ledger) Withdraw(asset string, amount decimal.Decimal) error {
	if amount.Sign() <= 0 {
		return fmt.Errorf("ledger: withdraw %s %s: amount must be positive", amount, asset)
	}
	b := l.account(asset)
	if free := b.total.Sub(b.reserved); free.Cmp(amount) < 0 {
		return fmt.Errorf("ledger: withdraw %s %s: free %s: %w", amount, asset, free, ErrInsufficientFunds)
	}
	b.total = b.total.Sub(amount)
	return nil
}

// Balance returns one asset's balance (zero when the asset was never touched).
func (l *Ledger) Balance(asset string) strategy.Balance {
	b, ok := l.bal[asset]
	if !ok {
		return strategy.Balance{Asset: asset}
	}
	return strategy.Balance{Asset: asset, Total: b.total, Reserved: b.reserved}
}

// Balances returns every asset's balance, sorted by asset.
func (l *Ledger) Balances() []strategy.Balance {
	out := make([]strategy.Balance, 0, len(l.assets))
	for _, a := range l.assets {
		out = append(out, l.Balance(a))
	}
	return out
}

// Reserve holds amount (≥ 0) of asset for order id. It fails with ErrInsufficientFunds when
// the free balance is smaller, and with a plain error when id already holds a reservation.
func (l *Ledger) Reserve(id strategy.OrderID, asset string, amount decimal.Decimal) error {
	if _, ok := l.res[id]; ok {
		return fmt.Errorf("ledger: order %s already holds a reservation", id)
	}
	if amount.Sign() < 0 {
		return fmt.Errorf("ledger: reserve %s %s for %s: negative amount", amount, asset, id)
	}
	b := l.account(asset)
	if free := b.total.Sub(b.reserved); free.Cmp(amount) < 0 {
		return fmt.Errorf("ledger: reserve %s %s for %s: free %s: %w", amount, asset, id, free, ErrInsufficientFunds)
	}
	b.reserved = b.reserved.Add(amount)
	l.res[id] = &reservation{asset: asset, amount: amount}
	return nil
}

// Resize sets order id's reservation to amount (≥ 0). Growing it needs free balance.
func (l *Ledger) Resize(id strategy.OrderID, amount decimal.Decimal) error {
	r, ok := l.res[id]
	if !ok {
		return fmt.Errorf("ledger: order %s holds no reservation", id)
	}
	if amount.Sign() < 0 {
		return fmt.Errorf("ledger: resize %s for %s: negative amount", amount, id)
	}
	b := l.bal[r.asset]
	delta := amount.Sub(r.amount)
	if delta.Sign() > 0 {
		if free := b.total.Sub(b.reserved); free.Cmp(delta) < 0 {
			return fmt.Errorf("ledger: grow reservation of %s by %s %s: free %s: %w", id, delta, r.asset, free, ErrInsufficientFunds)
		}
	}
	b.reserved = b.reserved.Add(delta)
	r.amount = amount
	return nil
}

// Release drops order id's reservation, if any.
func (l *Ledger) Release(id strategy.OrderID) {
	r, ok := l.res[id]
	if !ok {
		return
	}
	b := l.bal[r.asset]
	b.reserved = b.reserved.Sub(r.amount)
	delete(l.res, id)
}

// Reservation returns what order id holds; ok is false when it holds nothing.
func (l *Ledger) Reservation(id strategy.OrderID) (asset string, amount decimal.Decimal, ok bool) {
	r, ok := l.res[id]
	if !ok {
		return "", decimal.Decimal{}, false
	}
	return r.asset, r.amount, true
}

// Reservations returns the ids of all orders holding a reservation, sorted.
func (l *Ledger) Reservations() []strategy.OrderID {
	ids := make([]strategy.OrderID, 0, len(l.res))
	for id := range l.res {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Trade is one fill to book: Side of the account's order, Qty base for Cost quote, and Fee
// charged in FeeAsset (the quote asset when empty, or the base asset: Kraken's fcib). Cost is
// what the simulator computed and rounded (normally price × quantity at the pair's cost
// decimals); the ledger moves exactly Cost and Fee.
type Trade struct {
	Order       strategy.OrderID // whose reservation pays first (may be empty)
	Pair        feed.Pair
	Base, Quote string
	Side        feed.Side
	Price       decimal.Decimal
	Qty         decimal.Decimal
	Cost        decimal.Decimal
	Fee         decimal.Decimal
	FeeAsset    string // Quote (default) or Base
}

// Trade books a fill. A buy pays Cost (plus a quote Fee) of quote, taken first from the
// order's reservation (which shrinks by that much, never below zero) and then from the free
// balance, and receives Qty (minus a base Fee) of base; a sell delivers Qty (plus a base Fee)
// of base the same way and receives Cost (minus a quote Fee) of quote. On error nothing
// changes.
func (l *Ledger) Trade(t Trade) error {
	if t.Qty.Sign() <= 0 || t.Cost.Sign() < 0 || t.Fee.Sign() < 0 {
		return fmt.Errorf("ledger: trade %s %s %s for %s: quantity must be positive, cost and fee not negative", t.Side, t.Qty, t.Pair, t.Cost)
	}
	if t.Base == "" || t.Quote == "" || t.Base == t.Quote {
		return fmt.Errorf("ledger: trade on %s: bad assets %q/%q", t.Pair, t.Base, t.Quote)
	}
	inBase := false
	switch t.FeeAsset {
	case "", t.Quote:
	case t.Base:
		inBase = true
	default:
		return fmt.Errorf("ledger: trade on %s: fee asset %q is neither %s nor %s", t.Pair, t.FeeAsset, t.Base, t.Quote)
	}
	var (
		payAsset string
		pay      decimal.Decimal
	)
	switch t.Side {
	case feed.Buy:
		payAsset, pay = t.Quote, t.Cost.Add(t.Fee)
		if inBase {
			pay = t.Cost
			if t.Fee.Cmp(t.Qty) >= 0 {
				return fmt.Errorf("ledger: buy on %s: base fee %s is not below the quantity %s", t.Pair, t.Fee, t.Qty)
			}
		}
	case feed.Sell:
		payAsset, pay = t.Base, t.Qty
		if inBase {
			pay = t.Qty.Add(t.Fee)
		} else if t.Fee.Cmp(t.Cost) > 0 {
			return fmt.Errorf("ledger: sell on %s: fee %s exceeds proceeds %s", t.Pair, t.Fee, t.Cost)
		}
	default:
		return fmt.Errorf("ledger: trade on %s: bad side %v", t.Pair, t.Side)
	}
	b := l.account(payAsset)
	r := l.res[t.Order]
	if r != nil && r.asset != payAsset {
		return fmt.Errorf("ledger: order %s reserved %s but pays in %s", t.Order, r.asset, payAsset)
	}
	rel := decimal.Zero
	if r != nil {
		rel = decimal.Min(r.amount, pay)
	}
	// After releasing rel from the reservation, the rest of pay must come from free balance.
	if free := b.total.Sub(b.reserved); free.Add(rel).Cmp(pay) < 0 {
		return fmt.Errorf("ledger: %s %s %s on %s needs %s %s, order reservation %s, free %s: %w",
			t.Side, t.Qty, t.Pair.Base(), t.Pair, pay, payAsset, rel, free, ErrInsufficientFunds)
	}
	if r != nil {
		r.amount = r.amount.Sub(rel)
		b.reserved = b.reserved.Sub(rel)
	}
	b.total = b.total.Sub(pay)

	p := l.position(t.Pair)
	p.traded = true
	if t.Side == feed.Buy {
		base := l.account(t.Base)
		if inBase {
			// The fee is base that never arrives: the position holds Qty − Fee at the fill
			// price, and the fee, valued at the fill price, is a realised cost.
			feeValue := t.Price.Mul(t.Fee)
			base.total = base.total.Add(t.Qty.Sub(t.Fee))
			p.qty = p.qty.Add(t.Qty.Sub(t.Fee))
			p.basis = p.basis.Add(t.Cost.Sub(feeValue))
			p.realised = p.realised.Sub(feeValue)
			return nil
		}
		base.total = base.total.Add(t.Qty)
		p.qty = p.qty.Add(t.Qty)
		p.basis = p.basis.Add(t.Cost)
		p.realised = p.realised.Sub(t.Fee)
		return nil
	}
	quote := l.account(t.Quote)
	if inBase {
		quote.total = quote.total.Add(t.Cost)
	} else {
		quote.total = quote.total.Add(t.Cost.Sub(t.Fee))
	}
	l.sell(p, t.Qty, t.Cost)
	if inBase {
		// The base fee leaves the position (at its cost basis) as if sold at the fill
		// price for nothing: the realised cost is its value at the fill price.
		if closed := decimal.Min(t.Fee, p.qty); closed.Sign() > 0 {
			l.sell(p, closed, t.Price.Mul(closed))
		}
		p.realised = p.realised.Sub(t.Price.Mul(t.Fee))
		return nil
	}
	p.realised = p.realised.Sub(t.Fee)
	return nil
}

// sell takes qty out of position p for proceeds, realising proceeds minus the cost basis of
// what it closes (pro rata). Quantity beyond the position (deposited base) realises nothing.
func (l *Ledger) sell(p *position, qty, proceeds decimal.Decimal) {
	closed := decimal.Min(qty, p.qty)
	if closed.Sign() <= 0 {
		return
	}
	var basisOut, got decimal.Decimal
	if closed.Equal(p.qty) {
		basisOut = p.basis
	} else {
		basisOut = p.basis.Mul(closed).DivRound(p.qty, ConversionDecimals)
	}
	if closed.Equal(qty) {
		got = proceeds
	} else {
		got = proceeds.Mul(closed).DivRound(qty, ConversionDecimals)
	}
	p.realised = p.realised.Add(got.Sub(basisOut))
	p.qty = p.qty.Sub(closed)
	p.basis = p.basis.Sub(basisOut)
	if p.qty.Sign() == 0 {
		p.basis = decimal.Zero
	}
}

// Mark records pair's last trade price, for unrealised PnL and equity. It is called for every
// trade and does not allocate once the pair is known.
func (l *Ledger) Mark(pair feed.Pair, price decimal.Decimal) {
	p := l.position(pair)
	p.mark, p.hasMark = price, true
}

// LastPrice returns the price last given to Mark for pair.
func (l *Ledger) LastPrice(pair feed.Pair) (decimal.Decimal, bool) {
	p, ok := l.pos[pair]
	if !ok || !p.hasMark {
		return decimal.Decimal{}, false
	}
	return p.mark, true
}

// Position returns the account's position in pair.
func (l *Ledger) Position(pair feed.Pair) strategy.Position {
	p, ok := l.pos[pair]
	if !ok {
		return strategy.Position{Pair: pair}
	}
	v := p.view()
	if mp, ok := l.margin[pair]; ok && mp.open() {
		v.Margin = l.marginView(mp)
	}
	return v
}

func (p *position) view() strategy.Position {
	out := strategy.Position{Pair: p.pair, Qty: p.qty, RealizedPnL: p.realised}
	if p.qty.Sign() > 0 {
		out.AvgEntry = p.basis.DivRound(p.qty, ConversionDecimals)
		if p.hasMark {
			out.UnrealizedPnL = p.mark.Mul(p.qty).Sub(p.basis)
		}
	}
	return out
}

// Positions returns the positions of every pair the account has traded, sorted by pair.
func (l *Ledger) Positions() []strategy.Position {
	out := make([]strategy.Position, 0, len(l.pairs))
	for _, pr := range l.pairs {
		if p := l.pos[pr]; p.traded {
			v := p.view()
			if mp, ok := l.margin[pr]; ok && mp.open() {
				v.Margin = l.marginView(mp)
			}
			out = append(out, v)
		}
	}
	return out
}

// Value converts amount of asset into the account currency at last prices. It tries, in
// order: the asset itself; a pair ASSET/CCY (multiply); CCY/ASSET (divide); then one
// intermediate asset X through ASSET/X or X/ASSET and X/CCY or CCY/X, pairs taken in sorted
// order. ok is false when no marked pair connects them.
func (l *Ledger) Value(asset string, amount decimal.Decimal) (decimal.Decimal, bool) {
	if asset == l.ccy || amount.Sign() == 0 {
		return amount, true
	}
	if v, ok := l.convert(asset, l.ccy, amount); ok {
		return v, true
	}
	for _, pr := range l.pairs {
		p := l.pos[pr]
		if !p.hasMark || p.mark.Sign() <= 0 {
			continue
		}
		var mid string
		var v decimal.Decimal
		switch asset {
		case pr.Base():
			mid, v = pr.Quote(), amount.Mul(p.mark)
		case pr.Quote():
			mid, v = pr.Base(), amount.DivRound(p.mark, ConversionDecimals)
		default:
			continue
		}
		if w, ok := l.convert(mid, l.ccy, v); ok {
			return w, true
		}
	}
	return decimal.Decimal{}, false
}

// convert values amount of from in to through one marked pair, either way round.
func (l *Ledger) convert(from, to string, amount decimal.Decimal) (decimal.Decimal, bool) {
	if from == to {
		return amount, true
	}
	if p, ok := l.pos[feed.Pair(from+"/"+to)]; ok && p.hasMark && p.mark.Sign() > 0 {
		return amount.Mul(p.mark), true
	}
	if p, ok := l.pos[feed.Pair(to+"/"+from)]; ok && p.hasMark && p.mark.Sign() > 0 {
		return amount.DivRound(p.mark, ConversionDecimals), true
	}
	return decimal.Decimal{}, false
}

// Equity returns the account's total value in the account currency: every asset's total
// balance (reserved included) valued with Value, plus the unrealised PnL of open margin
// positions (Kraken's equity: "the combined value of your collateral currencies and P/L").
// It fails, naming the asset, when a non-zero balance cannot be valued.
func (l *Ledger) Equity() (decimal.Decimal, error) {
	sum := decimal.Zero
	if len(l.mpairs) > 0 {
		m, err := l.marginEquity()
		if err != nil {
			return decimal.Decimal{}, err
		}
		sum = m
	}
	for _, a := range l.assets {
		b := l.bal[a]
		if b.total.Sign() == 0 {
			continue
		}
		v, ok := l.Value(a, b.total)
		if !ok {
			return decimal.Decimal{}, fmt.Errorf("ledger: no price to value %s %s in %s", b.total, a, l.ccy)
		}
		sum = sum.Add(v)
	}
	return sum, nil
}

// Check verifies the ledger's invariants (see the package doc) and returns the first
// violation found, scanning assets and pairs in sorted order.
func (l *Ledger) Check() error {
	sums := make(map[string]decimal.Decimal, len(l.assets))
	for _, id := range l.Reservations() {
		r := l.res[id]
		if r.amount.Sign() < 0 {
			return fmt.Errorf("ledger: reservation of %s is negative: %s %s", id, r.amount, r.asset)
		}
		sums[r.asset] = sums[r.asset].Add(r.amount)
	}
	for _, a := range l.assets {
		b := l.bal[a]
		switch {
		case b.total.Sign() < 0 && !l.debt[a]:
			return fmt.Errorf("ledger: %s balance is negative: %s", a, b.total)
		case b.reserved.Sign() < 0:
			return fmt.Errorf("ledger: %s reserved is negative: %s", a, b.reserved)
		case b.reserved.Cmp(decimal.Max(b.total, decimal.Zero)) > 0:
			return fmt.Errorf("ledger: %s reserved %s exceeds total %s", a, b.reserved, b.total)
		case !b.reserved.Equal(sums[a]):
			return fmt.Errorf("ledger: %s reserved %s but reservations sum to %s", a, b.reserved, sums[a])
		}
	}
	for _, pr := range l.pairs {
		if p := l.pos[pr]; p.qty.Sign() < 0 {
			return fmt.Errorf("ledger: %s position is negative: %s", pr, p.qty)
		}
	}
	return l.checkMargin()
}
