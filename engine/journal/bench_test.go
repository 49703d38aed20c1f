package journal_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// BenchmarkJournalFills measures journal write throughput: b.N fills recorded from four
// workers and committed (each fill is a fill row and two balance rows). ns/op is the
// amortised cost per fill; fills/s is the sustained commit rate.
func BenchmarkJournalFills(b *testing.B) {
	ctx := context.Background()
	j, err := journal.Open(filepath.Join(b.TempDir(), "bench.db"), journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("bench", instances())); err != nil {
		b.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	rec := engine.Record{Instance: "btc", Kind: engine.RecordFill}
	rec.Fill = strategy.Fill{OrderID: "OABCDE-FGHIJ-KLMNOP", Pair: "BTC/USD", Side: feed.Buy, Price: decimal.RequireFromString("50123.4"),
		Qty: decimal.RequireFromString("0.0123"), Fee: decimal.RequireFromString("1.54"), FeeAsset: "USD", Liquidity: strategy.Maker,
		Provenance: strategy.Provenance{Model: "default", TradeIDs: []uint64{42}}}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rec
		i := 0
		for pb.Next() {
			i++
			r.Seq = uint64(i)
			r.Time = t0.Add(time.Duration(i) * time.Millisecond)
			if i%2 == 0 {
				r.Fill.Side = feed.Sell
			} else {
				r.Fill.Side = feed.Buy
			}
			j.Record(&r)
		}
	})
	if err := j.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "fills/s")
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
}
