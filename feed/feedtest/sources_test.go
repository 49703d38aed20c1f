package feedtest_test

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
)

// TestBacktestEventsSource: the in-memory replay every sweep trial runs (backtest.Events,
// events rebuilt batch by batch from their compact form) conforms, over a generated market.
func TestBacktestEventsSource(t *testing.T) {
	m := synthMarket(t, 7)
	var evs backtest.Events
	var buf []feed.Event
	for n := 0; n < 5000; n += len(buf) {
		buf = m.Next(buf[:0])
		for i := range buf {
			evs.Add(&buf[i])
		}
	}
	feedtest.Run(t, func(t *testing.T) feed.Source { return evs.Source(time.Time{}, time.Time{}) }, feedtest.Deterministic())
}
