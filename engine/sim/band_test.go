package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// TestPropertyTakerBandOrdered holds the fill models to their promise for a strategy that only
// takes liquidity and whose orders fill completely: the pessimistic model's PnL is at most the
// default's, which is at most the optimistic one's. Markets are generated (book snapshots,
// prints of either side, book gaps that force fills from prints); the same orders are sent to
// one exchange per model over the same events.
func TestPropertyTakerBandOrdered(t *testing.T) {
	pairs := testPairs()
	lookup := func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }
	for seed := uint64(1); seed <= 25; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			models := []FillModel{Pessimistic, Conservative, Optimistic}
			var ex [3]*Exchange
			var led [3]*ledger.Ledger
			slip := decimal.NewFromInt(int64(rng.IntN(15)))
			for i, m := range models {
				led[i] = ledger.New("USD")
				if err := led[i].Deposit("USD", dd("10000000")); err != nil {
					t.Fatal(err)
				}
				if err := led[i].Deposit("BTC", dd("100")); err != nil {
					t.Fatal(err)
				}
				ex[i] = New(Config{Seed: seed, Model: m, SlippageBps: slip, Latency: 50 * time.Millisecond}, lookup, led[i])
			}
			now, seq, mid := t0, uint64(0), int64(500000) // price key at 1 decimal
			send := func(ev *feed.Event) {
				seq++
				ev.Seq, ev.Time = seq, now
				for i := range ex {
					for _, r := range ex[i].OnEvent(ev) {
						if r.Kind == ReportUpdate && r.Update.Status.Done() && r.Update.Status != strategy.StatusClosed {
							t.Fatalf("%s: order %s ended %s (%s): the generated market must fill every order", models[i], r.Update.Order.ID, r.Update.Status, r.Update.Reason)
						}
					}
				}
			}
			orders := 0
			for step := range 300 {
				now = now.Add(100 * time.Millisecond)
				mid += int64(rng.IntN(41)) - 20
				if rng.IntN(8) == 0 {
					send(&feed.Event{Kind: feed.KindGap, Pair: "BTC/USD", Gap: &feed.Gap{Channel: "book"}})
				} else if rng.IntN(2) == 0 {
					u := &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true}
					for i := range int64(10) {
						u.Bids = append(u.Bids, feed.BookLevel{Price: feed.Fixed{Mant: mid - 1 - i*3, Scale: 1}, Qty: feed.Fixed{Mant: 50_000_000 + rng.Int64N(150_000_000), Scale: 8}})
						u.Asks = append(u.Asks, feed.BookLevel{Price: feed.Fixed{Mant: mid + 1 + i*3, Scale: 1}, Qty: feed.Fixed{Mant: 50_000_000 + rng.Int64N(150_000_000), Scale: 8}})
					}
					send(&feed.Event{Kind: feed.KindBook, Pair: "BTC/USD", Book: u})
				}
				now = now.Add(time.Millisecond)
				side := feed.Side(1 + rng.IntN(2))
				px := mid + int64(rng.IntN(9)) - 4
				send(&feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Side: side, Price: decimal.New(px, -1), Qty: decimal.New(70_000_000+rng.Int64N(100_000_000), -8), ID: uint64(step + 1)}})
				if rng.IntN(4) == 0 {
					o := strategy.Order{Pair: "BTC/USD", Side: feed.Side(1 + rng.IntN(2)), Type: strategy.Market, Qty: decimal.New(1_000_000+rng.Int64N(29_000_000), -8)}
					for i := range ex {
						if _, err := ex[i].Submit(now, seq, o); err != nil {
							t.Fatalf("%s: %v", models[i], err)
						}
					}
					orders++
				}
			}
			// Let the last orders arrive and fill.
			for range 3 {
				now = now.Add(100 * time.Millisecond)
				send(&feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: decimal.New(mid, -1), Qty: dd("2"), ID: 100000 + seq}})
			}
			var pnl [3]decimal.Decimal
			for i := range ex {
				if n := len(ex[i].OpenOrders("")); n != 0 {
					t.Fatalf("%s: %d orders still open", models[i], n)
				}
				pnl[i] = led[i].Balance("USD").Total.Add(led[i].Balance("BTC").Total.Mul(decimal.New(mid, -1)))
			}
			if orders == 0 {
				t.Fatal("no orders")
			}
			t.Logf("%d orders; equity pessimistic %s, default %s, optimistic %s", orders, pnl[0], pnl[1], pnl[2])
			if pnl[0].GreaterThan(pnl[1]) || pnl[1].GreaterThan(pnl[2]) {
				t.Fatalf("equity not ordered pessimistic ≤ default ≤ optimistic: %s, %s, %s", pnl[0], pnl[1], pnl[2])
			}
		})
	}
}
