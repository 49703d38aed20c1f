// Package strategy is papertrade's plug-in contract: the Strategy interface and its optional
// handlers, the Context a callback receives, orders, fills, balances and positions as a
// strategy sees them, typed parameters and the Registry of named strategy factories.
//
// Strategies import only this package, strategy/indicator, feed, decimal and zap — never the
// engine. The engine calls one strategy from one goroutine at a time, so strategies need no
// locks.
package strategy
