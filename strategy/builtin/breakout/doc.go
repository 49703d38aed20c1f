// Package breakout is the Donchian breakout sample strategy, with a stop-loss placed by the
// exchange and a take-profit managed by the strategy.
//
// On every closed candle it compares the close with the Donchian channel of the Period
// candles before it. A close above the channel's upper bound, while flat, is a breakout: the
// strategy buys Size with a market order carrying Kraken's conditional close — a stop-loss
// Stop percent below the breakout close — so the exchange protects the position from the
// moment it fills. It also sets a take-profit target Take percent above.
//
// On every trade it then manages the position: if the protective stop is missing (never
// placed, or cancelled by the exchange) it places a separate stop-loss order; when the
// price reaches the target it cancels the stop and, once the cancel has gone through, sells
// the position at market. (Both exits cannot rest at the same time: on a spot account each
// sell order reserves the base it would sell.) When the stop fills the strategy is flat
// again and waits for the next breakout.
//
// With Short (off by default, so existing runs are unchanged) it also trades breakdowns: a
// close below the channel's lower bound, while flat, sells Size short on Kraken spot margin
// at Leverage (an order with strategy.Order.Leverage; the pair must offer it for sells),
// with a conditional-close buy stop-loss Stop percent above and a target Take percent below.
// The short is managed like the long with the sides swapped, from the account's margin
// position (Position.Margin): a missing stop is replaced and the cover at the target is a
// market buy, both reduce-only so that neither can open a long.
//
// Prices are computed in decimal from the candle close and rounded to the pair's tick (stop
// down, target up); quantities are truncated to the lot step.
package breakout
