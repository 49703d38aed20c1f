package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// tradeStream returns n pre-decoded BTC/USD trades in batches of 256, prices on the tick.
func tradeStream(n int) [][]feed.Event {
	var out [][]feed.Event
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	price := int64(500000) // 50000.0 at one decimal
	for i := 0; i < n; i += 256 {
		b := make([]feed.Event, 0, 256)
		for j := i; j < min(n, i+256); j++ {
			price += int64(j%7) - 3
			side := feed.Buy
			if j%2 == 1 {
				side = feed.Sell
			}
			ts := t0.Add(time.Duration(j) * time.Millisecond)
			b = append(b, feed.Event{Kind: feed.KindTrade, API: feed.APIV2, Pair: "BTC/USD", Time: ts, Recv: ts,
				Trade: feed.Trade{Pair: "BTC/USD", Side: side, OrdType: feed.OrdLimit, Price: decimal.New(price, -1), Qty: decimal.New(int64(1000+j%5000), -8), ID: uint64(j + 1), Time: ts}})
		}
		out = append(out, b)
	}
	return out
}

// BenchmarkEngineTrades measures trades through the engine to 1, 4 and 16 trivial strategies,
// each with its own simulated exchange (matching included: each holds 10 resting orders that
// never fill). deliveries/s counts trades × strategies.
func BenchmarkEngineTrades(b *testing.B) {
	const n = 1_000_000
	stream := tradeStream(n)
	for _, workers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("strategies=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ins []engine.Instance
				for i := range workers {
					in := instance(fmt.Sprintf("s%02d", i), 1, "BTC/USD")
					in.Strategy = &resting{}
					ins = append(ins, in)
				}
				src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
					for _, bt := range stream {
						select {
						case out <- bt:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
					return nil
				})
				if _, err := engine.Run(context.Background(), engine.Config{Sources: []feed.Source{src}, Instances: ins, Pairs: pairs.Lookup}); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/sec, "trades/s")
			b.ReportMetric(float64(n*workers)/sec, "deliveries/s")
			b.ReportMetric(sec*1e9/float64(n*workers), "ns/delivery")
		})
	}
}

// resting places 10 buy limits far below the market on its first trade and then does nothing:
// every later trade is matched against 10 resting orders that never fill.
type resting struct{ placed bool }

func (r *resting) OnTrade(c strategy.Context, t feed.Trade) error {
	if r.placed {
		return nil
	}
	r.placed = true
	for i := range 10 {
		if _, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: decimal.RequireFromString("0.001"), Price: decimal.New(int64(100000+i*10), -1)}); err != nil {
			return err
		}
	}
	return nil
}
