package indicator_test

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/strategy/indicator"
)

// Each benchmark op is one update; the input cycles through a precomputed walk so that the
// measurement is the indicator alone.

func benchIndicator(b *testing.B, ind indicator.Indicator) {
	xs := walk(1, 4096, 100, 0.01).close
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for i := 0; b.Loop(); i++ {
		ind.Update(xs[i&4095])
		sink += ind.Value()
	}
	_ = sink
}

func BenchmarkSMA20(b *testing.B)       { benchIndicator(b, indicator.NewSMA(20)) }
func BenchmarkEMA20(b *testing.B)       { benchIndicator(b, indicator.NewEMA(20)) }
func BenchmarkWMA20(b *testing.B)       { benchIndicator(b, indicator.NewWMA(20)) }
func BenchmarkRSI14(b *testing.B)       { benchIndicator(b, indicator.NewRSI(14)) }
func BenchmarkROC10(b *testing.B)       { benchIndicator(b, indicator.NewROC(10)) }
func BenchmarkStdDev20(b *testing.B)    { benchIndicator(b, indicator.NewStdDev(20)) }
func BenchmarkMACD12_26_9(b *testing.B) { benchIndicator(b, indicator.NewMACD(12, 26, 9)) }

func BenchmarkBollinger20(b *testing.B) {
	xs := walk(1, 4096, 100, 0.01).close
	bb := indicator.NewBollinger(20, 2)
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		bb.Update(xs[i&4095])
		sink += bb.Upper() + bb.Lower()
	}
	_ = sink
}

func BenchmarkATR14(b *testing.B) {
	w := walk(1, 4096, 100, 0.01)
	a := indicator.NewATR(14)
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		j := i & 4095
		a.Update(w.high[j], w.low[j], w.close[j])
		sink += a.Value()
	}
	_ = sink
}

func BenchmarkDonchian20(b *testing.B) {
	w := walk(1, 4096, 100, 0.01)
	c := indicator.NewDonchian(20)
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		j := i & 4095
		c.Update(w.high[j], w.low[j])
		sink += c.Upper() - c.Lower()
	}
	_ = sink
}

func BenchmarkVWAPRolling100(b *testing.B) {
	w := walk(1, 4096, 100, 0.01)
	v := indicator.NewVWAP(100)
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		j := i & 4095
		v.Update(w.close[j], w.volume[j])
		sink += v.Value()
	}
	_ = sink
}

// BenchmarkCandleBuilderAdd is one trade into a builder; with the random stream's pace
// about one trade in 40 closes a 1-minute candle (which allocates the candle's decimals).
func BenchmarkCandleBuilderAdd(b *testing.B) {
	trades := randomTrades(1, 1<<14)
	span := trades[len(trades)-1].Time.Sub(trades[0].Time) + time.Minute
	cb := indicator.NewCandleBuilder("BTC/USD", time.Minute)
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

// BenchmarkCandleBuilderAddNoClose is the per-trade cost inside a candle.
func BenchmarkCandleBuilderAddNoClose(b *testing.B) {
	trades := randomTrades(1, 4096)
	cb := indicator.NewCandleBuilder("BTC/USD", 1<<40)
	for i := range trades {
		trades[i].Time = t0
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cb.Add(trades[i&4095])
	}
}
