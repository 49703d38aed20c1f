package candle_test

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed/candle"
)

// BenchmarkBuilderAdd is one trade into a builder; with the random stream's pace
// about one trade in 40 closes a 1-minute candle (which allocates the candle's decimals).
func BenchmarkBuilderAdd(b *testing.B) {
	trades := randomTrades(1, 1<<14)
	span := trades[len(trades)-1].Time.Sub(trades[0].Time) + time.Minute
	cb := candle.New("BTC/USD", time.Minute)
	b.ReportAllocs()
	closed := 0
	for i := 0; b.Loop(); i++ {
		tr := trades[i&(1<<14-1)]
		tr.Time = tr.Time.Add(time.Duration(i>>14) * span) // keep time moving forward on wrap
		if _, ok := cb.Add(tr); ok {
			closed++
		}
	}
	b.ReportMetric(float64(closed)/float64(b.N), "candles/op")
}

// BenchmarkBuilderAddNoClose is the per-trade cost inside a candle.
func BenchmarkBuilderAddNoClose(b *testing.B) {
	trades := randomTrades(1, 4096)
	cb := candle.New("BTC/USD", 1<<40)
	for i := range trades {
		trades[i].Time = t0
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cb.Add(trades[i&4095])
	}
}
