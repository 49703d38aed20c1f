// Package bollinger is the Bollinger-band mean-reversion sample strategy, trading with limit
// orders.
//
// On every closed candle it updates n-period Bollinger bands (SMA ± k population standard
// deviations) of the close, then puts its orders where the bands say:
//
//   - Flat: one buy limit for Size at the lower band — or at the last price when the price is
//     already below the band, so that the entry rests on the book instead of crossing it —
//     moved (amended) to the new band on every candle.
//   - Holding a position: the entry is cancelled and one sell limit for the whole position
//     rests at the middle band (rounded up to the tick), moved on every candle; its quantity
//     follows the position when entries fill late.
//
// So it buys when the price falls to the lower band and takes profit when it reverts to the
// mean. A fill is acted on at once (strategy.FillHandler), not at the next candle. Rejections
// are logged and retried at the next candle. Prices are rounded to the pair's tick (buys
// down, sells up) and quantities to its lot step.
package bollinger
