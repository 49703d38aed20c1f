package buyhold

import (
	"errors"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Name is the strategy's registry name.
const Name = "buyhold"

// Help is the strategy's one-paragraph description for listings.
const Help = "Buy and hold, the benchmark: one market buy with a fraction of the starting quote balance on the first trade of each pair, then nothing."

// Params are the strategy's parameters.
type Params struct {
	Fraction decimal.Decimal `param:"fraction" default:"0.95" range:"0.05:1:0.05" min:"0.0001" max:"1" help:"share of the starting quote balance to invest; the rest absorbs fees and slippage"`
}

// Validate checks what the tags cannot.
func (p *Params) Validate() error {
	if p.Fraction.Sign() <= 0 || p.Fraction.GreaterThan(decimal.NewFromInt(1)) {
		return errors.New("fraction must be in (0, 1]")
	}
	return nil
}

// MaxAttempts is how many buys per pair are tried before giving up.
const MaxAttempts = 3

// BuyHold is the strategy; see the package doc.
type BuyHold struct {
	p        Params
	log      *zap.Logger
	start    map[string]decimal.Decimal // free quote balance at OnStart, by asset
	pairs    map[feed.Pair]*pairState
	started  bool
	perQuote map[string]int // configured pairs per quote asset
}

type pairState struct {
	attempts int
	order    strategy.OrderID // working buy
	done     bool
}

// New is the strategy.Factory.
func New(params strategy.Params, log *zap.Logger) (strategy.Strategy, error) {
	var p Params
	if err := params.Decode(&p); err != nil {
		return nil, err
	}
	return NewWith(p, log), nil
}

// NewWith returns the strategy for already validated parameters.
func NewWith(p Params, log *zap.Logger) *BuyHold {
	if log == nil {
		log = zap.NewNop()
	}
	return &BuyHold{p: p, log: log, start: make(map[string]decimal.Decimal), pairs: make(map[feed.Pair]*pairState), perQuote: make(map[string]int)}
}

// OnStart implements strategy.Starter: it records the starting quote balances that the
// budgets are shares of.
func (b *BuyHold) OnStart(c strategy.Context) error {
	b.snapshot(c)
	return nil
}

// snapshot takes the budgets from the account as it starts. A resumed account (a restarted
// live session) starts where the last session left it, and the strategy keeps no state of
// its own, so the account says what was done: a pair with a position was bought (issue 15
// item 19: a restart bought again, every time), and a restored working buy is followed like
// one just submitted. Only the pairs still to buy share the free quote balance. Positions
// come from fills only, so a fresh account's deposits of a base asset count as nothing bought.
func (b *BuyHold) snapshot(c strategy.Context) {
	b.started = true
	for _, p := range c.Pairs() {
		st := b.state(p)
		if c.Position(p).Qty.Sign() > 0 {
			st.done = true
			continue
		}
		for _, o := range c.OpenOrders(p) {
			if o.Side == feed.Buy && st.order == "" {
				st.order = o.ID
				st.attempts++
			}
		}
		q := p.Quote()
		if b.perQuote[q] == 0 {
			b.start[q] = c.Balance(q).Free()
		}
		b.perQuote[q]++
	}
}

func (b *BuyHold) state(p feed.Pair) *pairState {
	st := b.pairs[p]
	if st == nil {
		st = &pairState{}
		b.pairs[p] = st
	}
	return st
}

// OnTrade implements strategy.Strategy.
func (b *BuyHold) OnTrade(c strategy.Context, t feed.Trade) error {
	if !b.started {
		b.snapshot(c) // an engine always calls OnStart first; direct callers may not
	}
	st := b.state(t.Pair)
	if st.done || st.order != "" || b.perQuote[t.Pair.Quote()] == 0 {
		return nil
	}
	if st.attempts >= MaxAttempts {
		st.done = true
		c.Log().Warn("giving up buying", zap.Stringer("pair", t.Pair), zap.Int("attempts", st.attempts))
		return nil
	}
	m := c.Market(t.Pair)
	price := t.Price
	if m.HasBook && m.Ask.Sign() > 0 {
		price = m.Ask
	}
	budget := b.start[t.Pair.Quote()].Mul(b.p.Fraction).Div(decimal.NewFromInt(int64(b.perQuote[t.Pair.Quote()])))
	hundred := decimal.NewFromInt(100)
	gross := price.Mul(hundred.Add(m.Fee(false, decimal.Zero))).Div(hundred)
	qty := m.FloorQty(budget.DivRound(gross, m.LotDecimals+4))
	if !m.Tradable(qty, price) {
		st.done = true
		c.Log().Warn("budget below the pair's minimum; not buying", zap.Stringer("pair", t.Pair), zap.Stringer("budget", budget))
		return nil
	}
	st.attempts++
	id, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty})
	if err != nil {
		c.Log().Info("buy rejected", zap.Stringer("pair", t.Pair), zap.Int("attempt", st.attempts), zap.Error(err))
		return nil
	}
	st.order = id
	return nil
}

// OnOrder implements strategy.OrderHandler: it notices when the buy is done.
func (b *BuyHold) OnOrder(c strategy.Context, u strategy.OrderUpdate) error {
	st := b.pairs[u.Order.Pair]
	if st == nil || u.Order.ID != st.order || !u.Status.Done() {
		return nil
	}
	st.order = ""
	if u.Filled.Sign() > 0 {
		st.done = true // bought (all or part of it): hold
	}
	return nil
}

// Interface guards.
var (
	_ strategy.Strategy     = (*BuyHold)(nil)
	_ strategy.Starter      = (*BuyHold)(nil)
	_ strategy.OrderHandler = (*BuyHold)(nil)
	_ strategy.Factory      = New
)
