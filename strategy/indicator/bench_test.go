package indicator_test

import (
	"testing"

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
