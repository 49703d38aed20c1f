package indicator

import (
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/candle"
)

// CandleBuilder aggregates one pair's trades into candles of one interval; see
// candle.Builder. It lives in feed/candle so that the engine's sequencer and strategies
// build candles with the same code without the engine importing indicators.
type CandleBuilder = candle.Builder

// NewCandleBuilder returns a builder for pair's candles of the given interval (candle.New).
// It panics if interval is not positive.
func NewCandleBuilder(pair feed.Pair, interval time.Duration) *CandleBuilder {
	return candle.New(pair, interval)
}
