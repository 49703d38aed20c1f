// Package smacross is the SMA crossover sample strategy: on every closed candle of the
// configured interval it updates a fast and a slow simple moving average of the close; when
// the fast average crosses above the slow one (a "golden cross") and the strategy holds no
// position in the pair, it buys Size with a market order; when the fast average crosses
// below (a "death cross") it sells its whole position with a market order.
//
// Only actual crosses trade: the first candle after the warm-up records which side the fast
// average is on without trading. A rejected order is logged and skipped (the next cross
// tries again). Quantities are truncated to the pair's lot step and orders below the pair's
// minimums are not sent.
//
// It trades on closed candles only (strategy.CandleHandler), so it never sees a bar that is
// still forming.
package smacross
