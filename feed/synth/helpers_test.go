package synth

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// testPairs are four pairs with Kraken's real precisions.
func testPairs() []PairConfig {
	info := func(p string, pd, ld int32, tick, min string) feed.PairInfo {
		return feed.PairInfo{Pair: feed.Pair(p), PriceDecimals: pd, LotDecimals: ld,
			Tick: decimal.RequireFromString(tick), OrderMin: decimal.RequireFromString(min)}
	}
	return []PairConfig{
		{Info: info("BTC/USD", 1, 8, "0.1", "0.0001"), StartPrice: decimal.RequireFromString("64000")},
		{Info: info("ETH/USD", 2, 8, "0.01", "0.002"), StartPrice: decimal.RequireFromString("3100.5")},
		{Info: info("SOL/USD", 2, 8, "0.01", "0.02"), StartPrice: decimal.RequireFromString("145.27"), TradeRate: 2},
		{Info: info("DOGE/USD", 7, 8, "0.0000001", "50"), StartPrice: decimal.RequireFromString("0.1234567"), Depth: 10},
	}
}

func testConfig(seed uint64) Config { return Config{Seed: seed, Pairs: testPairs()} }

func mustNew(t testing.TB, cfg Config) *Market {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// generate returns the market's first n events (whole steps: possibly a few more).
func generate(t testing.TB, cfg Config, n int) []feed.Event {
	t.Helper()
	m := mustNew(t, cfg)
	var evs []feed.Event
	for len(evs) < n {
		evs = m.Next(evs)
	}
	return evs
}
