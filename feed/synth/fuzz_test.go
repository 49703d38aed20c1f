package synth

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// FuzzMarket builds a one-pair market from arbitrary parameters: New must either reject
// them with ErrConfig or produce a market whose events pass the Verifier.
func FuzzMarket(f *testing.F) {
	f.Add(uint64(1), uint8(1), uint8(8), int64(1), int64(1), int64(640000), int16(25), 5.0, 5.0, 0.6, int64(1), int64(0))
	f.Add(uint64(2), uint8(7), uint8(8), int64(1), int64(1), int64(1234567), int16(10), 1.0, 3.0, 1.2, int64(2), int64(0))
	f.Add(uint64(3), uint8(3), uint8(0), int64(25), int64(1), int64(250000), int16(1), 50.0, 0.5, 3.0, int64(3), int64(4))
	f.Add(uint64(4), uint8(0), uint8(2), int64(5), int64(10), int64(5000), int16(3), 0.1, 0.1, 0.05, int64(0), int64(1))
	f.Add(uint64(5), uint8(16), uint8(16), int64(1), int64(1), int64(1e15), int16(1000), 1e6, 1e6, 10.0, int64(1e6), int64(1e9))
	f.Fuzz(func(t *testing.T, seed uint64, pd, ld uint8, tick, lot, startMant int64, depth int16,
		tradeRate, bookRate, vol float64, spread, gap int64) {
		cfg := Config{Seed: seed, Pairs: []PairConfig{{
			Info: feed.PairInfo{Pair: "FUZ/USD", PriceDecimals: int32(pd), LotDecimals: int32(ld),
				Tick: decimal.New(tick, -int32(pd)), LotStep: decimal.New(lot, -int32(ld))},
			StartPrice: decimal.New(startMant, -int32(pd)),
			Depth:      int(depth), TradeRate: tradeRate, BookRate: bookRate, Volatility: vol,
			SpreadTicks: spread, LevelGap: gap,
		}}}
		m, err := New(cfg)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		v, err := NewVerifier(cfg)
		if err != nil {
			t.Fatalf("New accepted the config but NewVerifier did not: %v", err)
		}
		var evs []feed.Event
		for range 300 {
			evs = m.Next(evs[:0])
			for i := range evs {
				if err := v.Check(&evs[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
