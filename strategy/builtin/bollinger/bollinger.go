package bollinger

import (
	"errors"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/indicator"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Name is the strategy's registry name.
const Name = "bollinger"

// Help is the strategy's one-paragraph description for listings.
const Help = "Bollinger mean reversion with limit orders: a buy limit (size, or a fraction of the free balance) rests at the lower band while flat, a sell limit for the position at the middle band while long; both follow the bands every candle."

// Params are the strategy's parameters.
type Params struct {
	Period   int             `param:"period" default:"20" range:"5:100:5" min:"2" help:"band length, in candles"`
	K        float64         `param:"k" default:"2" range:"0.5:4:0.5" min:"0.01" help:"band half-width in standard deviations"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:15m:1m" min:"1s" help:"candle interval"`
	Size     decimal.Decimal `param:"size" default:"0.01" help:"entry size in base units (unless fraction is set)"`
	Fraction decimal.Decimal `param:"fraction" default:"0" min:"0" max:"1" help:"if above 0, entries spend this share of the free quote balance, not size (1 = all-in, less 0.5% for the fee)"`
}

// FeeReserve is the share of the quote a fraction-sized entry keeps back for the fee, so that
// all-in entries are not refused for insufficient funds.
var FeeReserve = decimal.RequireFromString("0.005")

// Validate checks what the tags cannot.
func (p *Params) Validate() error {
	switch {
	case p.Period < 2:
		return errors.New("period must be at least 2")
	case p.K <= 0:
		return errors.New("k must be positive")
	case p.Interval < time.Second:
		return errors.New("interval must be at least 1s")
	case p.Size.Sign() <= 0:
		return errors.New("size must be positive")
	}
	return nil
}

// UserRef values mark the strategy's two kinds of orders.
const (
	RefEntry int32 = 1
	RefExit  int32 = 2
)

// Bollinger is the strategy; see the package doc.
type Bollinger struct {
	p     Params
	log   *zap.Logger
	pairs map[feed.Pair]*pairState
}

type pairState struct {
	bands      *indicator.Bollinger
	lower, mid float64
	exit       strategy.OrderID // the current exit order
	exitFilled decimal.Decimal  // how much of it has filled
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
func NewWith(p Params, log *zap.Logger) *Bollinger {
	if log == nil {
		log = zap.NewNop()
	}
	return &Bollinger{p: p, log: log, pairs: make(map[feed.Pair]*pairState)}
}

func (s *Bollinger) state(pair feed.Pair) *pairState {
	st := s.pairs[pair]
	if st == nil {
		st = &pairState{bands: indicator.NewBollinger(s.p.Period, s.p.K), exitFilled: decimal.Zero}
		s.pairs[pair] = st
	}
	return st
}

// CandleIntervals implements strategy.CandleHandler.
func (s *Bollinger) CandleIntervals() []time.Duration { return []time.Duration{s.p.Interval} }

// OnTrade implements strategy.Strategy; the strategy acts on candles and fills.
func (s *Bollinger) OnTrade(strategy.Context, feed.Trade) error { return nil }

// OnCandle implements strategy.CandleHandler.
func (s *Bollinger) OnCandle(c strategy.Context, k feed.Candle) error {
	st := s.state(k.Pair)
	st.bands.Update(k.Close.InexactFloat64())
	if !st.bands.Ready() {
		return nil
	}
	st.lower, st.mid = st.bands.Lower(), st.bands.Middle()
	s.reconcile(c, k.Pair, st)
	return nil
}

// OnFill implements strategy.FillHandler: an entry fill places the exit at once.
func (s *Bollinger) OnFill(c strategy.Context, f strategy.Fill) error {
	st := s.state(f.Pair)
	if f.OrderID == st.exit {
		st.exitFilled = st.exitFilled.Add(f.Qty)
	}
	if st.bands.Ready() {
		s.reconcile(c, f.Pair, st)
	}
	return nil
}

// reconcile makes the open orders match the state: an exit for the position, or an entry.
func (s *Bollinger) reconcile(c strategy.Context, pair feed.Pair, st *pairState) {
	m := c.Market(pair)
	if !m.HasLast || st.mid <= 0 {
		return
	}
	var entry, exit *strategy.Order
	for _, o := range c.OpenOrders(pair) {
		switch {
		case o.UserRef == RefEntry && o.Side == feed.Buy && entry == nil:
			entry = &o
		case o.UserRef == RefExit && o.Side == feed.Sell && o.ID == st.exit:
			exit = &o
		default:
			s.cancel(c, o.ID) // a duplicate or a leftover: keep one order of each kind
		}
	}
	mid := m.CeilPrice(m.FloatPrice(st.mid))
	pos := m.FloorQty(c.Position(pair).Qty)
	if pos.Sign() > 0 && m.Tradable(pos, mid) {
		if entry != nil {
			s.cancel(c, entry.ID)
		}
		if exit == nil {
			s.place(c, strategy.Order{Pair: pair, Side: feed.Sell, Type: strategy.Limit, Qty: pos, Price: mid, UserRef: RefExit}, st)
			return
		}
		remaining := exit.Qty.Sub(st.exitFilled)
		qty := decimal.Zero // unchanged
		if !remaining.Equal(pos) {
			qty = st.exitFilled.Add(pos) // Amend takes the new total quantity
		}
		if !qty.IsZero() || !exit.Price.Equal(mid) {
			s.amend(c, exit.ID, qty, mid)
		}
		return
	}
	if exit != nil {
		s.cancel(c, exit.ID)
	}
	price := m.FloatPrice(st.lower)
	if price.GreaterThan(m.Last) {
		price = m.Last // already below the band: rest at the last price rather than cross
	}
	price = m.FloorPrice(price)
	if price.Sign() <= 0 {
		return
	}
	qty := m.FloorQty(s.p.Size)
	if s.p.Fraction.Sign() > 0 {
		// Sized by balance: the free quote plus what a resting entry already holds (an amend
		// re-sizes it for its new price, so a rising band does not overdraw the account).
		avail := c.Balance(pair.Quote()).Free()
		if entry != nil {
			avail = avail.Add(entry.Qty.Mul(entry.Price).Mul(decimal.NewFromInt(1).Add(FeeReserve)))
		}
		qty = m.FloorQty(avail.Mul(s.p.Fraction).Div(price.Mul(decimal.NewFromInt(1).Add(FeeReserve))))
	}
	if !m.Tradable(qty, price) {
		return
	}
	if entry == nil {
		s.place(c, strategy.Order{Pair: pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: price, UserRef: RefEntry}, st)
		return
	}
	newQty := decimal.Zero // unchanged
	if s.p.Fraction.Sign() > 0 && !qty.Equal(entry.Qty) {
		newQty = qty
	}
	if !entry.Price.Equal(price) || !newQty.IsZero() {
		s.amend(c, entry.ID, newQty, price)
	}
}

func (s *Bollinger) place(c strategy.Context, o strategy.Order, st *pairState) {
	id, err := c.Submit(o)
	if err != nil {
		c.Log().Info("order rejected", zap.Stringer("pair", o.Pair), zap.Stringer("side", o.Side), zap.Stringer("price", o.Price), zap.Error(err))
		return
	}
	if o.UserRef == RefExit {
		st.exit, st.exitFilled = id, decimal.Zero
	}
}

func (s *Bollinger) amend(c strategy.Context, id strategy.OrderID, qty, price decimal.Decimal) {
	if err := c.Amend(id, qty, price); err != nil {
		c.Log().Info("amend rejected", zap.String("id", string(id)), zap.Error(err))
	}
}

func (s *Bollinger) cancel(c strategy.Context, id strategy.OrderID) {
	if err := c.Cancel(id); err != nil {
		c.Log().Info("cancel rejected", zap.String("id", string(id)), zap.Error(err))
	}
}

// Interface guards.
var (
	_ strategy.Strategy      = (*Bollinger)(nil)
	_ strategy.CandleHandler = (*Bollinger)(nil)
	_ strategy.FillHandler   = (*Bollinger)(nil)
	_ strategy.Factory       = New
)
