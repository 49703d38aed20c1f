package sim

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// BenchmarkTradeWithMarginPosition is one trade event that fills nothing, for an account
// without and with an open short: with one, every trade revalues the margin level (equity
// and used margin) against margin_call and margin_stop.
func BenchmarkTradeWithMarginPosition(b *testing.B) {
	for _, short := range []bool{false, true} {
		name := "spot"
		if short {
			name = "short"
		}
		b.Run(name, func(b *testing.B) {
			pairs := testPairs()
			pairs["BTC/USD"].LeverageSell = []int{2}
			led := ledger.New("USD")
			_ = led.Deposit("USD", dd("100000"))
			e := New(Config{Seed: 1}, func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }, led)
			now := t0
			ev := feed.Event{Kind: feed.KindTrade, Time: now, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: dd("50000.0"), Qty: dd("0.1")}}
			e.OnEvent(&ev)
			if short {
				if _, err := e.Submit(now, 1, strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Market, Qty: dd("0.1"), Leverage: 2}); err != nil {
					b.Fatal(err)
				}
				ev.Time = now.Add(time.Second)
				e.OnEvent(&ev)
				if !led.Position("BTC/USD").Margin.Open() {
					b.Fatal("no short")
				}
			}
			prices := []decimal.Decimal{dd("50000.0"), dd("50010.0")}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev.Time = ev.Time.Add(time.Millisecond) // no rollover falls due within b.N ms
				ev.Trade.Price = prices[i%2]
				e.OnEvent(&ev)
			}
		})
	}
}
