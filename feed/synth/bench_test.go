package synth

import (
	"runtime"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// BenchmarkTrades generates b.N trades (one op = one trade, with the book events around
// it) from the four test pairs and reports events/s, trades/s and allocations per event.
func BenchmarkTrades(b *testing.B) {
	m := mustNew(b, testConfig(1))
	evs := make([]feed.Event, 0, 64)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	start := m.Trades()
	for m.Trades()-start < uint64(b.N) {
		evs = m.Next(evs[:0])
		events += len(evs)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(float64(b.N)/sec, "trades/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/trade")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(events), "allocs/event")
}

// BenchmarkSource measures the Source adapter at full speed: b.N trades through a channel
// to a receiving goroutine (one op = one trade).
func BenchmarkSource(b *testing.B) {
	m := mustNew(b, testConfig(1))
	out := make(chan []feed.Event, 4)
	done := make(chan int)
	go func() {
		n := 0
		for batch := range out {
			n += len(batch)
		}
		done <- n
	}()
	b.ReportAllocs()
	b.ResetTimer()
	err := m.Source(b.N, 0).Run(b.Context(), out)
	close(out)
	events := <-done
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(float64(b.N)/sec, "trades/s")
}
