package backtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin"
)

// benchTape returns the tape to benchmark on: $PAPERTRADE_BENCH_TAPE (scripts/bench-backtest
// makes a 1M-trade one), else the committed test tape.
func benchTape(b *testing.B) string {
	if p := os.Getenv("PAPERTRADE_BENCH_TAPE"); p != "" {
		return p
	}
	return goldenTape
}

func benchRegistry() *strategy.Registry {
	r := testRegistry()
	builtin.Register(r)
	return r
}

// benchConfig is the example config (four sample strategies) with the data path replaced.
func benchConfig(b *testing.B, data string) *config.Config {
	b.Helper()
	c, err := config.Parse([]byte(config.ExampleYAML), "", benchRegistry(), kraken.DefaultPairs())
	if err != nil {
		b.Fatal(err)
	}
	c.Data.Path = data
	return c
}

// BenchmarkDecodeTape is the floor a backtest is measured against: reading and decoding the
// tape with nothing downstream (the same reader, decoder and filter a backtest uses), with
// zstd decompressing in the reading goroutine (zstd-ahead=1, the reader's default) and ahead
// in its own goroutines as a backtest reads (zstd-ahead=2 on a machine with a spare core).
func BenchmarkDecodeTape(b *testing.B) {
	path := benchTape(b)
	for _, conc := range slices.Compact([]int{1, readAhead()}) {
		b.Run(fmt.Sprintf("zstd-ahead=%d", conc), func(b *testing.B) {
			var trades int
			for b.Loop() {
				r, err := tape.Open(path, tape.ReadConcurrency(conc))
				if err != nil {
					b.Fatal(err)
				}
				trades = 0
				for ev, err := range r.Events(context.Background(), NewNormalizer(nil), tape.Filter{Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Kinds: EngineKinds}) {
					if err != nil {
						b.Fatal(err)
					}
					if ev.Kind == feed.KindTrade {
						trades++
					}
				}
			}
			b.ReportMetric(float64(trades)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
		})
	}
}

// BenchmarkBacktestTape is a whole backtest of the tape with the example config's four
// sample strategies, results written (CSV, JSON, HTML) to a temporary directory.
func BenchmarkBacktestTape(b *testing.B) {
	path := benchTape(b)
	c := benchConfig(b, path)
	reg := benchRegistry()
	out := filepath.Join(b.TempDir(), "out")
	var trades uint64
	for b.Loop() {
		res, err := Run(context.Background(), Options{Config: c, Registry: reg, Out: out})
		if err != nil {
			b.Fatal(err)
		}
		trades = res.Summary.Run.Trades
	}
	b.ReportMetric(float64(trades)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
}

// BenchmarkBacktestEvents is BenchmarkBacktestTape on events already decoded into memory
// (what a sweep replays): the ceiling a cache of decoded events can reach, the engine and the
// four strategies alone.
func BenchmarkBacktestEvents(b *testing.B) {
	path := benchTape(b)
	c := benchConfig(b, path)
	reg := benchRegistry()
	evs, err := LoadEvents(context.Background(), path, c.Pairs(), nil)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out")
	var trades uint64
	for b.Loop() {
		res, err := Run(context.Background(), Options{Config: c, Registry: reg, Out: out, Events: evs})
		if err != nil {
			b.Fatal(err)
		}
		trades = res.Summary.Run.Trades
	}
	b.ReportMetric(float64(trades)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
}
