// Package builtin registers papertrade's sample strategies, one package each:
//
//   - smacross: SMA crossover on closed candles, market orders.
//   - bollinger: Bollinger mean reversion with limit entries and exits.
//   - breakout: Donchian breakout with a conditional-close stop-loss and a take-profit.
//   - grid: post-only grid market maker, recentred by an event-time timer.
//   - buyhold: buy and hold, the benchmark every report compares against.
//
// They are written only against the strategy contract (strategy, strategy/indicator, feed,
// decimal, zap), each with its doc, parameters with tags, unit tests against the fake
// Context and the strategytest conformance suite: models for users' own strategies.
package builtin

import (
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/bollinger"
	"github.com/papertrade/papertrade/strategy/builtin/breakout"
	"github.com/papertrade/papertrade/strategy/builtin/buyhold"
	"github.com/papertrade/papertrade/strategy/builtin/grid"
	"github.com/papertrade/papertrade/strategy/builtin/smacross"
)

// Register adds the sample strategies to r. Like Registry.Register it panics if one of the
// names is already registered.
func Register(r *strategy.Registry) {
	r.Register(bollinger.Name, bollinger.New, bollinger.Params{}, bollinger.Help)
	r.Register(breakout.Name, breakout.New, breakout.Params{}, breakout.Help)
	r.Register(buyhold.Name, buyhold.New, buyhold.Params{}, buyhold.Help)
	r.Register(grid.Name, grid.New, grid.Params{}, grid.Help)
	r.Register(smacross.Name, smacross.New, smacross.Params{}, smacross.Help)
}
