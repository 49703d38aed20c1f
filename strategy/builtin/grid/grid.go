package grid

import (
	"errors"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Name is the strategy's registry name.
const Name = "grid"

// Help is the strategy's one-paragraph description for listings.
const Help = "Post-only grid market maker: resting limit orders levels deep on each side of the mid, every fill answered one step away on the other side, recentred by an event-time timer."

// Params are the strategy's parameters.
type Params struct {
	Levels   int             `param:"levels" default:"3" range:"1:10:1" min:"1" help:"orders on each side of the mid"`
	Spacing  decimal.Decimal `param:"spacing" default:"20" range:"5:100:5" min:"0.01" max:"9999" help:"distance between levels, basis points of the centre"`
	Size     decimal.Decimal `param:"size" default:"0.001" help:"size of each grid order in base units"`
	Recenter time.Duration   `param:"recenter" default:"1m" range:"10s:10m:10s" min:"1s" help:"how often to check whether the mid has left the grid"`
}

// Validate checks what the tags cannot.
func (p *Params) Validate() error {
	switch {
	case p.Levels < 1:
		return errors.New("levels must be at least 1")
	case p.Spacing.Sign() <= 0 || p.Spacing.GreaterThanOrEqual(decimal.NewFromInt(10000)):
		return errors.New("spacing must be between 0 and 10000 basis points")
	case p.Size.Sign() <= 0:
		return errors.New("size must be positive")
	case p.Recenter < time.Second:
		return errors.New("recenter must be at least 1s")
	}
	return nil
}

// Grid is the strategy; see the package doc.
type Grid struct {
	p     Params
	step  decimal.Decimal // spacing as a fraction
	log   *zap.Logger
	pairs map[feed.Pair]*pairState
}

type pairState struct {
	center  decimal.Decimal
	built   bool
	backoff bool                       // the last build placed nothing: wait for the timer
	pending map[string]decimal.Decimal // counter-order quantity below the minimums, by side and price
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
func NewWith(p Params, log *zap.Logger) *Grid {
	if log == nil {
		log = zap.NewNop()
	}
	return &Grid{p: p, step: p.Spacing.Div(decimal.NewFromInt(10000)), log: log, pairs: make(map[feed.Pair]*pairState)}
}

func (g *Grid) state(pair feed.Pair) *pairState {
	st := g.pairs[pair]
	if st == nil {
		st = &pairState{pending: make(map[string]decimal.Decimal)}
		g.pairs[pair] = st
	}
	return st
}

// OnStart implements strategy.Starter: it arms the recentring timer.
func (g *Grid) OnStart(c strategy.Context) error {
	c.SetTimer(g.p.Recenter)
	return nil
}

// OnTrade implements strategy.Strategy: it (re)builds the grid when the pair has no orders.
func (g *Grid) OnTrade(c strategy.Context, t feed.Trade) error {
	st := g.state(t.Pair)
	// OpenOrderCount, not len(OpenOrders): this runs on every trade and must not copy the
	// grid's orders.
	if st.backoff || c.OpenOrderCount(t.Pair) > 0 {
		return nil
	}
	g.build(c, t.Pair, st)
	return nil
}

// OnTimer implements strategy.TimerHandler: it recentres grids the mid has left.
func (g *Grid) OnTimer(c strategy.Context) error {
	defer c.SetTimer(g.p.Recenter)
	for _, pair := range c.Pairs() {
		st := g.state(pair)
		st.backoff = false
		if !st.built {
			continue
		}
		mid, ok := c.Market(pair).Mid()
		if !ok {
			continue
		}
		width := st.center.Mul(g.step).Mul(decimal.NewFromInt(int64(g.p.Levels)))
		if mid.Sub(st.center).Abs().GreaterThan(width) {
			if ce := c.Log().Check(zap.DebugLevel, "recentring grid"); ce != nil {
				ce.Write(zap.Stringer("pair", pair), zap.Stringer("center", st.center), zap.Stringer("mid", mid))
			}
			if err := c.CancelAll(pair); err != nil {
				c.Log().Info("cancel-all rejected", zap.Stringer("pair", pair), zap.Error(err))
			}
			st.built = false
		}
	}
	return nil
}

// OnFill implements strategy.FillHandler: every fill is answered one step away on the other
// side.
func (g *Grid) OnFill(c strategy.Context, f strategy.Fill) error {
	st := g.state(f.Pair)
	m := c.Market(f.Pair)
	one := decimal.NewFromInt(1)
	side := f.Side.Opposite()
	var price decimal.Decimal
	if side == feed.Sell {
		price = m.CeilPrice(f.Price.Mul(one.Add(g.step)))
	} else {
		price = m.FloorPrice(f.Price.Mul(one.Sub(g.step)))
	}
	if price.Sign() <= 0 {
		return nil
	}
	// One order per side and price: a fill answered at a level that already has an order
	// grows that order instead of adding another.
	for _, o := range c.OpenOrders(f.Pair) {
		if o.Side == side && o.Price.Equal(price) {
			if err := c.Amend(o.ID, o.Qty.Add(m.FloorQty(f.Qty)), decimal.Zero); err == nil {
				return nil
			}
			break // e.g. already filled meanwhile: place a new one
		}
	}
	key := side.String() + " " + price.String()
	qty := st.pending[key].Add(f.Qty)
	if qty.LessThan(m.MinQty(price)) {
		st.pending[key] = qty // wait for more fills at this level
		return nil
	}
	delete(st.pending, key)
	qty = m.FloorQty(qty)
	if _, err := c.Submit(strategy.Order{Pair: f.Pair, Side: side, Type: strategy.Limit, Qty: qty, Price: price, PostOnly: true}); err != nil {
		c.Log().Info("counter order rejected", zap.Stringer("pair", f.Pair), zap.Stringer("side", side), zap.Stringer("price", price), zap.Error(err))
	}
	return nil
}

// build places a fresh grid around the mid.
func (g *Grid) build(c strategy.Context, pair feed.Pair, st *pairState) {
	m := c.Market(pair)
	mid, ok := m.Mid()
	if !ok {
		return
	}
	st.center, st.built = mid, true
	clear(st.pending) // remainders of the old grid's fills are dropped with it
	qty := m.FloorQty(g.p.Size)
	free := c.Balance(pair.Base()).Free()
	placed := 0
	for i := 1; i <= g.p.Levels; i++ {
		off := mid.Mul(g.step).Mul(decimal.NewFromInt(int64(i)))
		ref := int32(i)
		if buy := m.FloorPrice(mid.Sub(off)); buy.Sign() > 0 && m.Tradable(qty, buy) {
			placed += g.place(c, strategy.Order{Pair: pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: buy, PostOnly: true, UserRef: ref})
		}
		if sell := m.CeilPrice(mid.Add(off)); free.GreaterThanOrEqual(qty) && m.Tradable(qty, sell) {
			if g.place(c, strategy.Order{Pair: pair, Side: feed.Sell, Type: strategy.Limit, Qty: qty, Price: sell, PostOnly: true, UserRef: -ref}) > 0 {
				free = free.Sub(qty)
				placed++
			}
		}
	}
	st.backoff = placed == 0
}

func (g *Grid) place(c strategy.Context, o strategy.Order) int {
	if _, err := c.Submit(o); err != nil {
		c.Log().Info("grid order rejected", zap.Stringer("pair", o.Pair), zap.Stringer("side", o.Side), zap.Stringer("price", o.Price), zap.Error(err))
		return 0
	}
	return 1
}

// Interface guards.
var (
	_ strategy.Strategy     = (*Grid)(nil)
	_ strategy.Starter      = (*Grid)(nil)
	_ strategy.TimerHandler = (*Grid)(nil)
	_ strategy.FillHandler  = (*Grid)(nil)
	_ strategy.Factory      = New
)
