// Package indicator provides streaming technical indicators and the candle builder that
// strategies use to turn trades into bars.
//
// # Indicators
//
// Every indicator is updated one value (or one bar) at a time in O(1) time without
// allocating: SMA, EMA, WMA, RSI, MACD, StdDev, Bollinger, ATR, VWAP, Donchian, ROC. Values
// are float64 — signals are not money; anything that becomes an order price or quantity is
// converted back to decimal and rounded to the pair's rules (strategy.MarketInfo) before it
// is submitted.
//
// Warm-up is explicit: Ready reports whether enough input has been seen, and the value
// methods return 0 until then. Definitions follow TA-Lib (github.com/markcheno/go-talib, used
// only in this package's tests to cross-check every indicator to 1e-9 on seeded random
// walks), including its seeding: EMA and the Wilder averages of RSI and ATR start from the
// simple average of their first period, StdDev is the population deviation. Where TA-Lib has
// no indicator (VWAP) or a choice is made differently, the type's documentation says so.
//
// Running sums are recomputed from the window every time it wraps, so floating-point error
// does not accumulate over long runs; the cost stays O(1) amortised. The window buffers are
// allocated once by the constructor, which panics on a period below 1 (like
// time.NewTicker on a non-positive duration): periods come from validated strategy
// parameters.
//
// Indicators are not safe for concurrent use; a strategy owns its indicators.
//
// # Candles
//
// CandleBuilder (an alias of feed/candle.Builder, which the engine's sequencer uses too)
// aggregates trades into OHLCV candles of any interval aligned to the Unix epoch, in exact
// decimal arithmetic, and hands a candle out only once it has closed: on the first trade (or
// Advance) at or after its end. A strategy can therefore never see a bar that is still
// forming. Intervals without trades produce no candle, like Kraken's OHLC data.
package indicator
