package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func benchExchange(b *testing.B) *Exchange {
	b.Helper()
	pairs := testPairs()
	led := ledger.New("USD")
	if err := led.Deposit("USD", dd("1000000000000")); err != nil {
		b.Fatal(err)
	}
	if err := led.Deposit("BTC", dd("1000000")); err != nil {
		b.Fatal(err)
	}
	return New(Config{Seed: 1}, func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }, led)
}

// BenchmarkTradeNoFill is one trade event against n resting orders (half bids below the
// market, half asks above) and n/10 stops, none of which the trade reaches.
func BenchmarkTradeNoFill(b *testing.B) {
	for _, n := range []int{0, 10, 1000} {
		b.Run(fmt.Sprintf("resting=%d", n), func(b *testing.B) {
			e := benchExchange(b)
			now := t0
			e.OnEvent(&feed.Event{Kind: feed.KindTrade, Time: now, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: dd("50000.0"), Qty: dd("0.1")}})
			for i := range n {
				o := strategy.Order{Pair: "BTC/USD", Type: strategy.Limit, Qty: dd("0.01")}
				if i%2 == 0 {
					o.Side, o.Price = feed.Buy, decimal.New(int64(490000-i), -1)
				} else {
					o.Side, o.Price = feed.Sell, decimal.New(int64(510000+i), -1)
				}
				if _, err := e.Submit(now, 1, o); err != nil {
					b.Fatal(err)
				}
				if i%10 == 0 {
					s := strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.StopLoss, Qty: dd("0.01"), Price: decimal.New(int64(450000-i), -1)}
					if _, err := e.Submit(now, 1, s); err != nil {
						b.Fatal(err)
					}
				}
			}
			now = now.Add(time.Second)
			e.Advance(now)
			evs := [2]feed.Event{
				{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: dd("50000.1"), Qty: dd("0.25"), ID: 7}},
				{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: dd("50000.2"), Qty: dd("0.05"), ID: 8}},
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ev := &evs[i&1]
				now = now.Add(time.Millisecond)
				ev.Time = now
				if r := e.OnEvent(ev); len(r) != 0 {
					b.Fatalf("unexpected reports: %+v", r)
				}
				i++
			}
		})
	}
}

// BenchmarkMarketOrderWalk25 is one market buy that walks all 25 levels of a book: the
// snapshot is re-applied each time after one showing the asks emptied (so the levels are
// fresh), then the order is submitted and
// arrives. 25 fills are booked per iteration.
func BenchmarkMarketOrderWalk25(b *testing.B) {
	e := benchExchange(b)
	snap := &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true}
	for i := range 25 {
		snap.Asks = append(snap.Asks, feed.BookLevel{Price: feed.Fixed{Mant: int64(500000 + i), Scale: 1}, Qty: feed.MustFixed("0.10000000")})
		snap.Bids = append(snap.Bids, feed.BookLevel{Price: feed.Fixed{Mant: int64(499999 - i), Scale: 1}, Qty: feed.MustFixed("0.10000000")})
	}
	ev := &feed.Event{Kind: feed.KindBook, Pair: "BTC/USD", Book: snap}
	// The account's consumption is kept until the book shows the levels at or below what it
	// left: an emptied ask side does that before each fresh snapshot.
	empty := &feed.Event{Kind: feed.KindBook, Pair: "BTC/USD", Book: &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true, Bids: snap.Bids}}
	order := strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dd("2.5")}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		empty.Time, ev.Time = now, now
		e.OnEvent(empty)
		e.OnEvent(ev)
		if _, err := e.Submit(now, 1, order); err != nil {
			b.Fatal(err)
		}
		r := e.Advance(now.Add(DefaultLatency))
		if n := len(r); n != 51 { // open, then a fill and an update per level
			b.Fatalf("%d reports", n)
		}
	}
}
