package strategytest

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/indicator"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// BTCUSD returns Kraken's BTC/USD rules (PROTOCOL.md §6–7): price to 0.1, quantity to 8
// decimals, ordermin 0.0001 BTC, costmin 0.5 USD, entry fee tier 0.40% taker / 0.25% maker.
func BTCUSD() feed.PairInfo {
	return feed.PairInfo{
		Pair: "BTC/USD", WSName: "XBT/USD", AltName: "XBTUSD", ID: "XXBTZUSD", Base: "BTC", Quote: "USD",
		PriceDecimals: 1, LotDecimals: 8, CostDecimals: 5,
		Tick: decimal.New(1, -1), LotStep: decimal.New(1, -8), OrderMin: decimal.New(1, -4), CostMin: decimal.New(5, -1),
		Status:            feed.PairOnline,
		Taker:             []feed.FeeTier{{Volume: decimal.Zero, Percent: decimal.New(40, -2)}},
		Maker:             []feed.FeeTier{{Volume: decimal.Zero, Percent: decimal.New(25, -2)}},
		FeeVolumeCurrency: "USD",
		// Spot margin terms for tests, not a capture of BTC/USD's: leverage 2-5 both ways is
		// the ladder support.kraken.com 205605288 describes ("Kraken currently offers up to
		// 5x leverage", 2x-5x; the maximum depends on the pair); margin_call 80 and
		// margin_stop 40 are what the captured AssetPairs XBTUSDT lists (nautilus_trader's
		// REST fixture of 2025-11-10, which allows 2-10x) and Kraken's "approximately 80%"
		// and "40%" (support.kraken.com 203325763). Live terms come from AssetPairs.
		LeverageBuy: []int{2, 3, 4, 5}, LeverageSell: []int{2, 3, 4, 5},
		MarginCall: decimal.NewFromInt(80), MarginStop: decimal.NewFromInt(40),
	}
}

// DefaultStart is the event time a Context starts at unless WithTime says otherwise.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Option configures a Context.
type Option func(*config)

type config struct {
	pairs        []feed.PairInfo
	balances     []balanceSetting
	start        time.Time
	reject       func(strategy.Order) error
	rejectCancel func(strategy.OrderID) error
	matching     bool
	strict       bool
	feePct       decimal.Decimal
	log          *zap.Logger
}

type balanceSetting struct {
	asset  string
	amount decimal.Decimal
}

// WithPair configures a pair the instance trades, with its rules; Pairs() lists them in the
// order given. Without any WithPair the Context trades BTCUSD().
func WithPair(info feed.PairInfo) Option {
	return func(c *config) { c.pairs = append(c.pairs, info) }
}

// WithBalance sets an asset's starting balance, e.g. WithBalance("USD", "10000"). A later
// setting for the same asset wins. It panics if amount is not a decimal number (it is
// test code, like regexp.MustCompile).
func WithBalance(asset, amount string) Option {
	d := decimal.RequireFromString(amount)
	return func(c *config) { c.balances = append(c.balances, balanceSetting{asset, d}) }
}

// WithTime sets the event time before the first event (what Now returns in OnStart).
func WithTime(t time.Time) Option { return func(c *config) { c.start = t } }

// WithReject installs a hook consulted by every Submit before validation: a non-nil error
// rejects the order with that error (use the strategy.Err… values for Kraken's texts).
func WithReject(f func(o strategy.Order) error) Option { return func(c *config) { c.reject = f } }

// WithCancelReject installs a hook consulted by every Cancel and Amend: a non-nil error is
// returned to the strategy and the order is left as it was.
func WithCancelReject(f func(id strategy.OrderID) error) Option {
	return func(c *config) { c.rejectCancel = f }
}

// WithMatching makes the Context fill open orders from trades (see the package doc for how
// crudely).
func WithMatching() Option { return func(c *config) { c.matching = true } }

// WithStrictPrecision reports orders submitted off the price tick or the lot step (or with
// more price decimals than the pair allows) as violations, besides rejecting them: such
// orders are strategy bugs, since Kraken rejects rather than rounds.
func WithStrictPrecision() Option { return func(c *config) { c.strict = true } }

// WithFee charges percent (e.g. "0.4") of each fill's cost as a fee in the quote currency,
// rounded to the pair's cost decimals. The default is no fee.
func WithFee(percent string) Option {
	d := decimal.RequireFromString(percent)
	return func(c *config) { c.feePct = d }
}

// WithLogger sets the logger returned by Context.Log (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.log = l } }

// ErrStopped is returned by deliveries after the instance stopped (Stop, or a callback that
// failed).
var ErrStopped = errors.New("strategytest: instance stopped")

// ErrInvalidContext is returned by a strategy.Context's methods when it is used after its
// callback returned.
var ErrInvalidContext = errors.New("strategytest: Context used after its callback returned")

// PanicError is a panic recovered from a strategy callback.
type PanicError struct {
	Callback string // "OnTrade", …
	Value    any
	Stack    string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s panicked: %v\n%s", e.Callback, e.Value, e.Stack)
}

// Action is one thing the strategy did through its Context.
type Action struct {
	Time     time.Time
	Callback string           // the callback it happened in
	Op       string           // submit, cancel, cancel-all, cancel-after, amend, set-timer
	Order    strategy.Order   // submit: the order as submitted, with its ID when accepted
	ID       strategy.OrderID // cancel, amend
	Pair     feed.Pair        // cancel-all
	Qty      decimal.Decimal  // amend
	Price    decimal.Decimal  // amend
	Timer    time.Duration    // set-timer, cancel-after
	Err      string           // the rejection, if any
}

// String renders the action on one line, stably, for comparisons and failure messages.
func (a Action) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", a.Time.UTC().Format(time.RFC3339Nano), a.Callback, a.Op)
	switch a.Op {
	case "submit":
		o := a.Order
		fmt.Fprintf(&b, " id=%s %s %s %s qty=%s price=%s price2=%s tif=%s post=%v ref=%d", o.ID, o.Pair, o.Side, o.Type, o.Qty, o.Price, o.Price2, o.TimeInForce, o.PostOnly, o.UserRef)
		if !o.ExpireTime.IsZero() {
			fmt.Fprintf(&b, " expire=%s", o.ExpireTime.UTC().Format(time.RFC3339Nano))
		}
		if o.Close != nil {
			fmt.Fprintf(&b, " close=%s/%s/%s", o.Close.Type, o.Close.Price, o.Close.Price2)
		}
		if o.Leverage > 0 {
			fmt.Fprintf(&b, " leverage=%d", o.Leverage)
		}
		if o.ReduceOnly {
			b.WriteString(" reduce-only")
		}
	case "cancel":
		fmt.Fprintf(&b, " id=%s", a.ID)
	case "cancel-all":
		fmt.Fprintf(&b, " pair=%s", a.Pair)
	case "amend":
		fmt.Fprintf(&b, " id=%s qty=%s price=%s", a.ID, a.Qty, a.Price)
	case "set-timer", "cancel-after":
		fmt.Fprintf(&b, " d=%s", a.Timer)
	}
	if a.Err != "" {
		fmt.Fprintf(&b, " err=%q", a.Err)
	}
	return b.String()
}

// Context plays the engine's part for one strategy instance; see the package doc. It is not
// itself a strategy.Context: each callback gets its own, valid only during the call.
//
// A Context is not safe for concurrent use.
type Context struct {
	tb  testing.TB
	s   strategy.Strategy
	cfg config
	log *zap.Logger

	now      time.Time
	seq      uint64 // events delivered
	pairs    []feed.Pair
	markets  map[feed.Pair]*market
	balances map[string]decimal.Decimal // totals
	pos      map[feed.Pair]*strategy.Position
	margin   map[feed.Pair]*strategy.MarginPosition // spot margin positions (margin.go)
	orders   []*order                               // every order, in submission order
	open     []*order                               // the open ones, in submission order
	byID     map[strategy.OrderID]*order
	nextID   int
	queued   []strategy.OrderUpdate // updates delivered at the next event

	timerAt  time.Time
	timerSet bool

	dmsAt  time.Time // CancelAllOrdersAfter deadline, when dmsSet
	dmsSet bool

	builders [][]*indicator.CandleBuilder // [interval][pair]

	actions    []Action
	fills      []strategy.Fill
	violations []string

	started, stopped bool
	cur              *view
}

type market struct {
	info strategy.MarketInfo
	book *feed.Book
}

type order struct {
	strategy.Order
	status    strategy.OrderStatus
	filled    decimal.Decimal
	cost      decimal.Decimal // quote value of the fills
	fee       decimal.Decimal
	seq       uint64 // event during which it was submitted
	triggered bool
}

// NewContext returns a fake engine for strategy s. Violations of the contract are reported
// with tb.Errorf when tb is not nil, and are always kept in Violations.
func NewContext(tb testing.TB, s strategy.Strategy, opts ...Option) *Context {
	cfg := config{start: DefaultStart}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.pairs) == 0 {
		cfg.pairs = []feed.PairInfo{BTCUSD()}
	}
	if cfg.log == nil {
		cfg.log = zap.NewNop()
	}
	c := &Context{
		tb: tb, s: s, cfg: cfg, log: cfg.log, now: cfg.start,
		markets:  make(map[feed.Pair]*market),
		balances: make(map[string]decimal.Decimal),
		pos:      make(map[feed.Pair]*strategy.Position),
		byID:     make(map[strategy.OrderID]*order),
	}
	for _, p := range cfg.pairs {
		if _, dup := c.markets[p.Pair]; dup {
			continue
		}
		c.pairs = append(c.pairs, p.Pair)
		c.markets[p.Pair] = &market{info: strategy.MarketInfo{PairInfo: p, Online: p.Status == "" || p.Status == feed.PairOnline}}
	}
	for _, b := range cfg.balances {
		c.balances[b.asset] = b.amount
	}
	return c
}

// Now returns the current event time.
func (c *Context) Now() time.Time { return c.now }

// Start runs CandleIntervals and OnStart, if the strategy has them. Deliveries start the
// instance implicitly when Start was not called.
func (c *Context) Start() error {
	if c.stopped {
		return ErrStopped
	}
	if c.started {
		return nil
	}
	c.started = true
	if ch, ok := c.s.(strategy.CandleHandler); ok {
		var ivs []time.Duration
		err := c.guard("CandleIntervals", func() error {
			ivs = ch.CandleIntervals()
			return nil
		})
		if err != nil {
			return c.fail(err)
		}
		ivs = slices.Clone(ivs)
		slices.Sort(ivs)
		ivs = slices.Compact(ivs)
		for _, iv := range ivs {
			if iv < time.Second {
				return c.fail(fmt.Errorf("CandleIntervals: interval %v is below one second", iv))
			}
			row := make([]*indicator.CandleBuilder, len(c.pairs))
			for i, p := range c.pairs {
				row[i] = indicator.NewCandleBuilder(p, iv)
			}
			c.builders = append(c.builders, row)
		}
	}
	if st, ok := c.s.(strategy.Starter); ok {
		return c.call("OnStart", st.OnStart)
	}
	return nil
}

// Stop runs OnStop, if the strategy has it, and stops the instance.
func (c *Context) Stop() error {
	if c.stopped {
		return ErrStopped
	}
	if err := c.Start(); err != nil {
		return err
	}
	var err error
	if st, ok := c.s.(strategy.Stopper); ok {
		err = c.call("OnStop", st.OnStop)
	}
	c.stopped = true
	return err
}

// Trade delivers a trade: timers and candles its time reaches, queued order updates,
// matching fills (WithMatching), then OnTrade. The trade's pair must be configured.
func (c *Context) Trade(t feed.Trade) error {
	m, ok := c.markets[t.Pair]
	if !ok {
		return fmt.Errorf("strategytest: trade on %q, which is not a configured pair", t.Pair)
	}
	if err := c.begin(t.Time); err != nil {
		return err
	}
	for _, row := range c.builders {
		for i, b := range row {
			if c.pairs[i] == t.Pair {
				b.Add(t) // Advance in begin already closed what this trade closes
			}
		}
	}
	m.info.Last, m.info.HasLast = t.Price, true
	if err := c.deliverQueued(); err != nil {
		return err
	}
	if c.cfg.matching {
		if err := c.match(t); err != nil {
			return err
		}
	}
	s := c.s
	return c.call("OnTrade", func(v strategy.Context) error { return s.OnTrade(v, t) })
}

// Book applies a book snapshot or update to the pair's book, then delivers timers, candle
// closes and queued updates for its time, and OnBook (BookHandler). A zero u.Time keeps the
// current time.
func (c *Context) Book(u *feed.BookUpdate) error {
	m, ok := c.markets[u.Pair]
	if !ok {
		return fmt.Errorf("strategytest: book for %q, which is not a configured pair", u.Pair)
	}
	at := u.Time
	if at.IsZero() {
		at = c.now
	}
	if err := c.begin(at); err != nil {
		return err
	}
	if m.book == nil {
		m.book = feed.NewBook(u.Pair, 0)
	}
	if err := m.book.Apply(u); err != nil {
		return fmt.Errorf("strategytest: %w", err)
	}
	bid, _, okb := m.book.BestBid()
	ask, _, oka := m.book.BestAsk()
	m.info.Bid, m.info.Ask, m.info.HasBook = bid, ask, okb && oka
	if err := c.deliverQueued(); err != nil {
		return err
	}
	if bh, ok := c.s.(strategy.BookHandler); ok {
		book := m.book
		return c.call("OnBook", func(v strategy.Context) error { return bh.OnBook(v, book) })
	}
	return nil
}

// Event delivers a feed event: trades and books as Trade and Book do; any other kind only
// moves time (timers and candle closes) when it carries one.
func (c *Context) Event(e feed.Event) error {
	switch e.Kind {
	case feed.KindTrade:
		t := e.Trade
		if t.Time.IsZero() {
			t.Time = e.Time
		}
		if t.Pair == "" {
			t.Pair = e.Pair
		}
		return c.Trade(t)
	case feed.KindBook:
		if e.Book == nil {
			return errors.New("strategytest: book event without a book")
		}
		u := *e.Book
		if u.Time.IsZero() {
			u.Time = e.Time
		}
		return c.Book(&u)
	}
	if e.Time.IsZero() {
		return nil
	}
	return c.Advance(e.Time)
}

// Advance moves event time to t without a market event: it fires the timer and closes
// candles that t reaches, and delivers queued order updates.
func (c *Context) Advance(t time.Time) error {
	if err := c.begin(t); err != nil {
		return err
	}
	return c.deliverQueued()
}

// begin starts the instance if needed, moves time forward (never back) to t and delivers
// what the new time triggers: the timer, expiries and candle closes.
func (c *Context) begin(t time.Time) error {
	if err := c.Start(); err != nil {
		return err
	}
	if c.stopped {
		return ErrStopped
	}
	c.seq++
	if t.After(c.now) {
		c.now = t
	}
	if c.timerSet && !c.now.Before(c.timerAt) {
		c.timerSet = false
		if th, ok := c.s.(strategy.TimerHandler); ok {
			if err := c.call("OnTimer", th.OnTimer); err != nil {
				return err
			}
		}
	}
	if c.dmsSet && !c.now.Before(c.dmsAt) {
		c.dmsSet = false
		for _, o := range slices.Clone(c.open) {
			c.finish(o, strategy.StatusCanceled)
			c.queued = append(c.queued, c.update(o, "cancel all orders after timeout"))
		}
	}
	for _, o := range slices.Clone(c.open) {
		if o.TimeInForce == strategy.GTD && !c.now.Before(o.ExpireTime) {
			c.finish(o, strategy.StatusExpired)
			c.queued = append(c.queued, c.update(o, ""))
		}
	}
	if ch, ok := c.s.(strategy.CandleHandler); ok {
		for _, row := range c.builders {
			for _, b := range row {
				if k, closed := b.Advance(c.now); closed {
					if err := c.call("OnCandle", func(v strategy.Context) error { return ch.OnCandle(v, k) }); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (c *Context) deliverQueued() error {
	for len(c.queued) > 0 {
		u := c.queued[0]
		c.queued = c.queued[1:]
		if err := c.deliverUpdate(u); err != nil {
			return err
		}
	}
	return nil
}

func (c *Context) deliverUpdate(u strategy.OrderUpdate) error {
	if oh, ok := c.s.(strategy.OrderHandler); ok {
		return c.call("OnOrder", func(v strategy.Context) error { return oh.OnOrder(v, u) })
	}
	return nil
}

// Fill executes qty of an open order at price, as the exchange would: balances, position
// and the order are updated, then OnFill and OnOrder are delivered. A fill that completes an
// order with a conditional close places the close order. qty is capped at what remains.
func (c *Context) Fill(id strategy.OrderID, qty, price decimal.Decimal) error {
	if err := c.Start(); err != nil {
		return err
	}
	if c.stopped {
		return ErrStopped
	}
	o, ok := c.byID[id]
	if !ok || o.status != strategy.StatusOpen {
		return fmt.Errorf("strategytest: Fill: order %s is not open", id)
	}
	return c.fill(o, qty, price, strategy.Taker)
}

// Cancelled cancels an open order on the exchange's initiative (IOC remainder, post-only
// that would take, self-trade, maintenance) and delivers OnOrder with reason.
func (c *Context) Cancelled(id strategy.OrderID, reason string) error {
	if err := c.Start(); err != nil {
		return err
	}
	if c.stopped {
		return ErrStopped
	}
	o, ok := c.byID[id]
	if !ok || o.status != strategy.StatusOpen {
		return fmt.Errorf("strategytest: Cancelled: order %s is not open", id)
	}
	c.finish(o, strategy.StatusCanceled)
	return c.deliverUpdate(c.update(o, reason))
}

// Actions returns everything the strategy did, in order.
func (c *Context) Actions() []Action { return slices.Clone(c.actions) }

// Submitted returns the accepted orders (with their IDs), in submission order, whatever
// became of them.
func (c *Context) Submitted() []strategy.Order {
	var out []strategy.Order
	for _, o := range c.orders {
		out = append(out, o.Order)
	}
	return out
}

// Rejected returns the submissions that were rejected, with the error text.
func (c *Context) Rejected() []Action {
	var out []Action
	for _, a := range c.actions {
		if a.Op == "submit" && a.Err != "" {
			out = append(out, a)
		}
	}
	return out
}

// Cancels returns the IDs the strategy passed to Cancel, accepted or not, in order
// (CancelAll is an Action of its own).
func (c *Context) Cancels() []strategy.OrderID {
	var out []strategy.OrderID
	for _, a := range c.actions {
		if a.Op == "cancel" {
			out = append(out, a.ID)
		}
	}
	return out
}

// Open returns the open orders on pair (every pair when empty), in submission order.
func (c *Context) Open(pair feed.Pair) []strategy.Order { return c.openOrders(pair) }

// Status returns an order's status and filled quantity; ok is false for an unknown ID.
func (c *Context) Status(id strategy.OrderID) (status strategy.OrderStatus, filled decimal.Decimal, ok bool) {
	o, ok := c.byID[id]
	if !ok {
		return 0, decimal.Decimal{}, false
	}
	return o.status, o.filled, true
}

// Fills returns every fill, in order.
func (c *Context) Fills() []strategy.Fill { return slices.Clone(c.fills) }

// Balance returns an asset's balance as the strategy would see it.
func (c *Context) Balance(asset string) strategy.Balance { return c.balance(asset) }

// Position returns a pair's position as the strategy would see it.
func (c *Context) Position(pair feed.Pair) strategy.Position { return c.position(pair) }

// Violations returns the contract violations seen so far.
func (c *Context) Violations() []string { return slices.Clone(c.violations) }

// Stopped reports whether the instance has stopped.
func (c *Context) Stopped() bool { return c.stopped }

func (c *Context) violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.violations = append(c.violations, msg)
	if c.tb != nil {
		c.tb.Helper()
		c.tb.Errorf("strategytest: contract violation: %s", msg)
	}
}

// call runs one callback with a fresh view that is invalidated afterwards. A callback
// error or panic stops the instance.
func (c *Context) call(name string, f func(strategy.Context) error) error {
	v := &view{c: c, cb: name, valid: true}
	prev := c.cur
	c.cur = v
	err := c.guard(name, func() error { return f(v) })
	v.valid = false
	c.cur = prev
	if err != nil {
		return c.fail(err)
	}
	return nil
}

func (c *Context) guard(name string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Callback: name, Value: p, Stack: string(debug.Stack())}
		}
	}()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (c *Context) fail(err error) error {
	c.stopped = true
	return err
}
