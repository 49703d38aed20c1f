package strategy

import (
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Strategy is a trading strategy: it receives market events and places orders through the
// Context it is handed.
//
// OnTrade is called for every trade on the instance's pairs (Context.Pairs), in event order.
// The trade is a value: the strategy may keep it.
//
// The contract, for OnTrade and every optional handler below:
//
//   - One goroutine per instance. The engine never calls an instance from two goroutines at
//     once, and every callback happens-before the next one, so a strategy needs no locks.
//   - The Context is valid only during the callback. A strategy must not keep it, or use it
//     from another goroutine, after the callback returns: it is invalidated and every later
//     call reports a violation.
//   - Event time only. Time is Context.Now(), the time of the event being delivered; a
//     strategy never reads the wall clock (time.Now), sleeps or sets wall-clock timers. The
//     same events must produce the same orders, live or in a backtest.
//   - No I/O. A callback computes and places orders; it does not touch files, sockets or
//     global state. Logging goes through Context.Log.
//   - Errors and panics stop this instance only. A callback that returns an error, or
//     panics, stops the instance (its open orders stay as they are, the fault is reported and
//     journaled); other instances and the run go on. A rejected order is not a fault: Submit
//     returns Kraken's error and the strategy decides what to do about it.
//
// A strategy gains more callbacks by implementing the optional interfaces Starter,
// CandleHandler, BookHandler, FillHandler, OrderHandler, TimerHandler and Stopper; the engine
// discovers them by type assertion once, when the instance is created.
//
// Delivery order for one event: first OnTimer if the event's time reached the timer
// deadline, then OnCandle for every candle the event's time closes, then the fills and order
// updates that the event caused, and last the event itself (OnTrade, OnBook). For one
// execution OnFill comes first, then the OnOrder that reports the order's new filled
// quantity or status; the account (balances, positions, open orders) is already updated
// when either runs. Orders placed during a callback cannot trade on the event that caused
// them.
type Strategy interface {
	OnTrade(c Context, t feed.Trade) error
}

// StrategyFunc adapts an ordinary function to Strategy. It has no optional handlers.
type StrategyFunc func(c Context, t feed.Trade) error

// OnTrade calls f(c, t).
func (f StrategyFunc) OnTrade(c Context, t feed.Trade) error { return f(c, t) }

// Starter is implemented by strategies that want a callback before the first event, e.g. to
// read their starting balances or place initial orders. Now() is the time of the first event
// (a backtest) or of the session start (live).
type Starter interface {
	OnStart(c Context) error
}

// CandleHandler is implemented by strategies that trade on candles aggregated from trades.
//
// CandleIntervals is called once, after the factory and before OnStart; it lists the
// intervals wanted (each at least one second; duplicates are ignored). For every configured
// pair and interval the engine builds candles from trades (candle.Builder in feed/candle: aligned
// to the Unix epoch, intervals with no trades are skipped) and calls OnCandle with each
// candle once it has closed: never before event time reaches Candle.End(), and at the latest
// before the first trade of that pair at or after Candle.End(). Candles closed by the same
// event are delivered shortest interval first, then by pair name. A candle still
// forming is never delivered, so a strategy cannot look ahead.
type CandleHandler interface {
	CandleIntervals() []time.Duration
	OnCandle(c Context, k feed.Candle) error
}

// BookHandler is implemented by strategies that want the L2 book. OnBook is called after
// every book snapshot or update of a configured pair with the book as maintained after it.
// The book is owned by the engine and valid only during the call: read it, do not modify or
// keep it (copy with Book.CopyFrom if needed).
type BookHandler interface {
	OnBook(c Context, b *feed.Book) error
}

// FillHandler is implemented by strategies that want each execution of their orders,
// partial fills included.
type FillHandler interface {
	OnFill(c Context, f Fill) error
}

// OrderHandler is implemented by strategies that want every change of their orders' status:
// accepted (open), filled (partially or fully), cancelled, expired, or rejected after it was
// accepted (e.g. a post-only order that would have taken when it went live).
type OrderHandler interface {
	OnOrder(c Context, u OrderUpdate) error
}

// TimerHandler is implemented by strategies that use Context.SetTimer. OnTimer is called
// once per armed timer, when event time first reaches its deadline, before the event that
// reached it is delivered; during OnTimer, Now() is that event's time (at or after the
// deadline). Because time only moves with events, a timer in a quiet market fires late (at
// the next event), never early, and fires at most once per event. To repeat, call SetTimer
// again from OnTimer.
type TimerHandler interface {
	OnTimer(c Context) error
}

// Stopper is implemented by strategies that want a callback when the run ends (end of data,
// shutdown). Now() is the time of the last event. Orders may still be cancelled; new orders
// are accepted but will not trade.
type Stopper interface {
	OnStop(c Context) error
}

// Context is a strategy's window on its own simulated account and on the market, handed to
// every callback.
//
// A Context is valid only for the duration of the callback it was passed to, and only on
// the goroutine running it. Its answers describe the account as it is at that point of the
// event stream: balances, positions and open orders include everything that happened up to
// and including the current event. Every method checks this: used after its callback
// returned, a method reports the violation (the engine logs it, strategytest fails the test)
// and does nothing — Submit, Cancel, CancelAll and Amend return an error, queries return
// their zero value.
type Context interface {
	// Now returns the event time of the current callback (see Strategy: event time only).
	Now() time.Time

	// Submit validates o like Kraken does and queues it; it becomes live after the
	// simulated latency. On success it returns the order's ID; the order then appears in
	// OpenOrders (status pending, later open) and its life is reported to OnOrder/OnFill.
	// A rejected order returns an error whose text is Kraken's ("EOrder:Insufficient
	// funds", "EGeneral:Invalid arguments:volume minimum not met", …); no order exists and no
	// update follows. strategy.CheckOrder is the validator (the simulator and strategytest
	// share it).
	Submit(o Order) (OrderID, error)

	// Cancel requests the cancellation of an open order; it takes effect after the
	// simulated latency (the order may still fill until then). Cancelling an unknown or
	// already finished order returns Kraken's "EOrder:Unknown order".
	Cancel(id OrderID) error

	// CancelAll requests the cancellation of every open order on pair, or on every pair
	// when pair is empty.
	CancelAll(pair feed.Pair) error

	// CancelAllOrdersAfter is Kraken's dead man's switch: if it is not called again within
	// timeout of event time, every open order is cancelled (and the switch disarms). Each
	// call resets the countdown; 0 disarms it. It returns the time the orders will be
	// cancelled (zero when disarmed).
	CancelAllOrdersAfter(timeout time.Duration) (time.Time, error)

	// Amend changes an open order's quantity and/or price in place, like Kraken's
	// AmendOrder: a zero qty or price leaves that field unchanged. For trigger orders
	// price is the trigger price. Qty is the new total quantity and may not go below what
	// has already filled.
	Amend(id OrderID, qty, price decimal.Decimal) error

	// Balance returns one asset's balance (total, reserved by open orders, Free()). An
	// asset the account never held has a zero balance.
	Balance(asset string) Balance

	// Balances returns every asset's balance, sorted by asset.
	Balances() []Balance

	// Position returns the account's position in pair (zero when none).
	Position(pair feed.Pair) Position

	// OpenOrders returns the orders on pair that are not finished yet (pending or open),
	// in submission order; with an empty pair, those of every pair. The slice is the
	// caller's.
	OpenOrders(pair feed.Pair) []Order

	// OpenOrderCount returns len(OpenOrders(pair)) without copying the orders. It does not
	// allocate: ask it on every trade rather than keeping a count of your own.
	OpenOrderCount(pair feed.Pair) int

	// AppendOpenOrders appends what OpenOrders(pair) returns to dst and returns the
	// extended slice. Reusing dst (dst[:0]) between calls reads the open orders without
	// allocating, so a strategy need not cache them between events.
	AppendOpenOrders(dst []Order, pair feed.Pair) []Order

	// Market returns pair's trading rules and the latest prices this instance has seen.
	// For a pair that is not configured, MarketInfo.Pair is empty.
	Market(pair feed.Pair) MarketInfo

	// Pairs returns the pairs this instance is configured to trade, in configuration
	// order. The slice is the caller's.
	Pairs() []feed.Pair

	// SetTimer arms the instance's single timer to fire d after Now() (see TimerHandler),
	// replacing any timer already armed. d <= 0 disarms it.
	SetTimer(d time.Duration)

	// Log returns the instance's logger, named after it and carrying its identity.
	Log() *zap.Logger
}
