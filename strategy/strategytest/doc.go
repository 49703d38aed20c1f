// Package strategytest helps test strategies without the engine: a fake Context that plays
// the engine's part for one strategy instance, a conformance suite every strategy must pass,
// and seeded synthetic market data.
//
// # The fake Context
//
// NewContext wraps one strategy instance. Its methods deliver events the way the engine
// does — Trade, Book, Event, Advance (timers and candle closes), Fill and Cancelled for
// scripted executions, Start and Stop — and it records everything the strategy does
// (Actions, Submitted, Cancels, Fills). Balances, pair rules and rejections are scripted
// with options. With WithMatching it also fills orders from trades, crudely: touch fills at
// the order's price (market and triggered orders at the trade price), capped by the trade's
// quantity, no queue, no book walking, no latency beyond "not on the event that placed it".
// It is a test double, not the simulator: use it to check what a strategy asks for, not
// what it would earn.
//
// Each callback receives a fresh strategy.Context that is invalidated when the callback
// returns. A strategy that keeps one and uses it later is reported as a violation (through
// the testing.TB given to NewContext, and in Violations); so is an order whose price is off
// the tick or whose quantity is off the lot step when WithStrictPrecision is set. Panics in
// callbacks are recovered and returned as *PanicError. After a callback fails the instance
// is stopped, as the engine would do, and further deliveries return ErrStopped.
//
// Submit validates with strategy.CheckOrder, the one validator the simulator uses too, so a
// strategy sees the same rejections, in Kraken's words, as in a backtest: configured pair,
// side, type and flags, quantity (truncated to the lot step like the simulator does; refused
// and reported under WithStrictPrecision), prices within the pair's decimals and on the tick,
// relative prices (resolved at once against the last trade: the fake has no latency),
// ordermin, costmin, GTD in the future, market status; then free balance (a market buy is
// valued at the ask or last price, a quote-sized one at its QuoteQty). A post-only order that
// would take is accepted and then cancelled with strategy.ReasonPostOnly, as on Kraken.
// CancelAllOrdersAfter cancels every open order once event time reaches its deadline.
// Order.StartTime is not modelled: orders open at once.
//
// # The conformance suite
//
// Run (or Check, which returns the problems instead of failing a test) creates instances
// with a factory and runs them through a list of events in several ways: no events at all,
// a normal run with matching, the same run twice (the orders, cancels and amends must be
// identical), every order rejected, some orders rejected, orders filled in two halves, and
// orders cancelled by the exchange. A conforming strategy returns no error and does not
// panic in any of them, never uses a Context after its callback returned, and submits only
// prices and quantities that respect the pair's precision.
//
// RandomWalk and Walk produce seeded, integer-exact trade (and optionally book) events for
// the suite and for unit tests.
package strategytest
