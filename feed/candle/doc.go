// Package candle builds OHLCV candles from trades: Builder aggregates one pair's trades into
// candles of one interval, aligned to the Unix epoch, in exact decimal arithmetic, and hands
// a candle out only once it has closed (on the first trade, or Advance, at or after its
// end), so nobody can see a bar that is still forming. Intervals without trades produce no
// candle, like Kraken's OHLC data.
//
// It sits in the feed layer because candles are feed vocabulary (feed.Candle) that both
// sides build: the engine's sequencer makes the candles every strategy of a run shares, and
// strategies (through strategy/indicator.CandleBuilder, an alias) or tests make their own.
// It imports only feed and decimal.
//
// A Builder is not safe for concurrent use. Adding a trade does not allocate as long as
// prices and quantities have at most 18 significant digits.
package candle
