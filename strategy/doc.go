// Package strategy is papertrade's plug-in contract: the Strategy interface and its optional
// handlers, the Context a callback receives, orders, fills, balances and positions as a
// strategy sees them, typed parameters and the Registry of named strategy factories.
//
// Strategies import only this package, strategy/indicator, feed, decimal and zap — never the
// engine. The engine calls one strategy from one goroutine at a time, so strategies need no
// locks.
//
// # Writing a strategy
//
// A strategy is a type with an OnTrade method (or a StrategyFunc). It gains more callbacks
// by implementing the optional one-method interfaces — Starter, CandleHandler, BookHandler,
// FillHandler, OrderHandler, TimerHandler, Stopper — which the engine finds by type
// assertion, the way net/http finds a Flusher. Put an interface guard next to the type:
//
//	var (
//		_ strategy.Strategy      = (*Cross)(nil)
//		_ strategy.CandleHandler = (*Cross)(nil)
//	)
//
// The contract (written out on Strategy and Context): one goroutine per instance and no
// concurrent callbacks; the Context is valid only during the callback; time is event time
// (Context.Now, Context.SetTimer), never the wall clock; no I/O; an error or panic stops
// that instance only; a rejected order is an error value from Submit carrying Kraken's text,
// not a fault.
//
// # Parameters and registration
//
// A strategy declares its parameters as a struct with tags (ParamSpec documents them):
//
//	type Params struct {
//		Fast int             `param:"fast" default:"10" range:"5:50:5" help:"fast SMA length"`
//		Size decimal.Decimal `param:"size" default:"0.01" help:"order size in base units"`
//	}
//
// and a Factory that decodes Params (text by name) into it. Registry.Register records the
// factory with the struct, so that `papertrade strategies` can list parameters, config
// loading can check them and sweeps can expand their ranges (ParamSpec.Grid) without
// creating an instance. The registry is a value the program builds; there is no global one.
//
// # Money and units
//
// Prices are quote per base, quantities base, costs and fees quote, all decimal.Decimal.
// Indicators work in float64 (signals are not money); whatever becomes an order is converted
// back to decimal and rounded to the pair's rules with MarketInfo's FloorPrice, CeilPrice,
// FloorQty and MinQty before Submit, because Kraken rejects rather than rounds.
package strategy
