package grid_test

import (
	"context"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy/builtin/grid"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// BenchmarkOnTradeInEngine runs the strategy in the engine on a synthetic market (trades
// and book, 20k events) against the simulated exchange: what its OnTrade costs with the
// real Context (account reads go to sim and ledger), per run and per trade. Only the
// strategy differs between versions of this benchmark, so a change in ns/trade or
// allocs/op is the strategy's.
func BenchmarkOnTradeInEngine(b *testing.B) {
	info := strategytest.BTCUSD()
	m, err := synth.New(synth.Config{Seed: 1, Pairs: []synth.PairConfig{{Info: info, StartPrice: decimal.NewFromInt(60000), Volatility: 3}}})
	if err != nil {
		b.Fatal(err)
	}
	events := collect(b, m.Source(20000, 0))
	b.ReportAllocs()
	var trades uint64
	for b.Loop() {
		res, err := engine.Run(context.Background(), engine.Config{
			Sources: []feed.Source{feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
				select {
				case out <- events:
				case <-ctx.Done():
				}
				return nil
			})},
			Instances: []engine.Instance{{
				Name: "s", Strategy: grid.NewWith(grid.Params{Levels: 3, Spacing: decimal.RequireFromString("5"), Size: decimal.RequireFromString("0.002"), Recenter: 30 * time.Second}, nil), Pairs: []feed.Pair{info.Pair},
				Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}, {Asset: "BTC", Amount: decimal.NewFromInt(1)}},
				Sim:      sim.Config{Latency: 50 * time.Millisecond, Seed: 1},
			}},
			Pairs:    func(p feed.Pair) (*feed.PairInfo, bool) { return &info, p == info.Pair },
			Mode:     engine.Backtest,
			FailFast: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		trades = res.Instances[0].Events
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(trades), "ns/event")
}

// collect reads a finite source into one batch.
func collect(b *testing.B, src feed.Source) []feed.Event {
	ch := make(chan []feed.Event, 16)
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), ch); close(ch) }()
	var all []feed.Event
	for batch := range ch {
		all = append(all, batch...)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return all
}
