package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// TestMarginProperties drives an exchange with seeded random margin orders (both sides,
// leverage 2-5, market and limit, some reduce-only, some settle-position), prints, book
// snapshots and hours of event time, with moves large enough to call and liquidate, and
// checks after every step that:
//
//   - Exchange.Check holds (ledger invariants, margin positions well formed);
//   - value is conserved: equity at the last price equals the deposit plus
//     Σ side×qty×(last − price) over every fill, minus every fee charged (fills' fees,
//     opening fees included, and rollover fees): the venue lends and is paid back, nothing
//     appears or vanishes;
//   - liquidation fills use no invented liquidity: a book fill takes at most the level the
//     book showed, a print fill at most the print's quantity;
//   - a rollover is charged at most once per position per 4 hours.
func TestMarginProperties(t *testing.T) {
	seeds := 120
	if testing.Short() {
		seeds = 20
	}
	calls, liqs, rolls := 0, 0, 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		c, l, r := runMarginProperty(t, seed)
		calls, liqs, rolls = calls+c, liqs+l, rolls+r
	}
	if calls == 0 || liqs == 0 || rolls == 0 {
		t.Fatalf("margin calls %d, liquidations %d, rollovers %d: every kind must occur for the test to test it", calls, liqs, rolls)
	}
	t.Logf("%d seeds: %d margin calls, %d liquidations, %d rollovers", seeds, calls, liqs, rolls)
}

func runMarginProperty(t *testing.T, seed uint64) (calls, liqs, rolls int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	info := &feed.PairInfo{Pair: "BTC/USD", Base: "BTC", Quote: "USD", PriceDecimals: 1, LotDecimals: 8, CostDecimals: 5,
		Tick: dd("0.1"), OrderMin: dd("0.0001"), CostMin: dd("0.5"), Status: feed.PairOnline,
		LeverageBuy: []int{2, 3, 4, 5}, LeverageSell: []int{2, 3, 4, 5}, MarginCall: dd("80"), MarginStop: dd("40")}
	led := ledger.New("USD")
	_ = led.Deposit("USD", dd("10000"))
	e := New(Config{Seed: seed}, func(p feed.Pair) (*feed.PairInfo, bool) { return info, p == "BTC/USD" }, led)
	now := t0
	price := int64(500000) // key at 1 decimal: 50000.0
	var seq, tid uint64
	type flow struct{ signed, price decimal.Decimal }
	var flows []flow
	fees := decimal.Zero
	liqOrders := map[strategy.OrderID]bool{}
	lastRoll := map[string]time.Time{}
	var lastPrint decimal.Decimal
	check := func(step int, reports []Report) {
		t.Helper()
		for i := range reports {
			r := &reports[i]
			switch r.Kind {
			case ReportFill:
				f := r.Fill
				s := f.Qty
				if f.Side == feed.Sell {
					s = s.Neg()
				}
				flows = append(flows, flow{s, f.Price})
				fees = fees.Add(f.Fee)
				if liqOrders[f.OrderID] {
					switch f.Provenance.Model {
					case "book":
						lv := f.Provenance.Levels[0]
						if f.Qty.GreaterThan(lv.Qty.Decimal()) {
							t.Fatalf("seed %d step %d: liquidation took %s from a level showing %s", seed, step, f.Qty, lv.Qty)
						}
					case "next-trade":
						if f.Qty.GreaterThan(lastPrint) {
							t.Fatalf("seed %d step %d: liquidation filled %s from a print of %s", seed, step, f.Qty, lastPrint)
						}
					}
				}
			case ReportMargin:
				m := r.Margin
				switch m.Kind {
				case MarginRollover:
					rolls++
					fees = fees.Add(m.Fee)
					k := string(m.Pair) + m.Side.String()
					if prev, ok := lastRoll[k]; ok && m.Time.Sub(prev) < ledger.RolloverEvery {
						t.Fatalf("seed %d step %d: rollovers at %s and %s", seed, step, prev, m.Time)
					}
					lastRoll[k] = m.Time
				case MarginCall:
					calls++
				case MarginLiquidation:
					liqs++
					liqOrders[m.Order] = true
				case MarginSettle, MarginFill:
				}
			}
		}
		if err := e.Check(); err != nil {
			t.Fatalf("seed %d step %d: %v", seed, step, err)
		}
		last, ok := led.LastPrice("BTC/USD")
		if !ok {
			return
		}
		want := dd("10000").Sub(fees)
		for _, f := range flows {
			want = want.Add(f.signed.Mul(last.Sub(f.price)))
		}
		// Settlements exchange assets at the position's cost: value-neutral.
		got, err := led.Equity()
		if err != nil {
			t.Fatalf("seed %d step %d: %v", seed, step, err)
		}
		if got.Sub(want).Abs().GreaterThan(decimal.New(1, -6)) {
			t.Fatalf("seed %d step %d: equity %s, conservation says %s (diff %s)", seed, step, got, want, got.Sub(want))
		}
	}
	for step := 0; step < 400; step++ {
		now = now.Add(time.Duration(1+rng.IntN(20)) * time.Minute)
		seq++
		var reports []Report
		switch op := rng.IntN(20); {
		case op < 9: // a print; the trend sometimes runs hard, to reach the call and stop levels
			move := int64(rng.IntN(4001) - 2000)
			switch seed % 3 { // a trend against longs or shorts
			case 0:
				move += 1500
			case 1:
				move -= 1500
			}
			price = max(price+move, 10000)
			tid++
			side := feed.Buy
			if rng.IntN(2) == 0 {
				side = feed.Sell
			}
			q := decimal.New(int64(1+rng.IntN(20)), -2)
			lastPrint = q
			reports = e.OnEvent(&feed.Event{Seq: seq, Kind: feed.KindTrade, Pair: "BTC/USD", Time: now,
				Trade: feed.Trade{Pair: "BTC/USD", Side: side, Price: decimal.New(price, -1), Qty: q, ID: tid}})
		case op < 11: // a book around the price
			u := &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true}
			for i := int64(1); i <= 3; i++ {
				q := decimal.New(int64(1+rng.IntN(5)), -2)
				u.Bids = append(u.Bids, feed.BookLevel{Price: feed.Fixed{Mant: price - i*10, Scale: 1}, Qty: fx(q)})
				u.Asks = append(u.Asks, feed.BookLevel{Price: feed.Fixed{Mant: price + i*10, Scale: 1}, Qty: fx(q)})
			}
			reports = e.OnEvent(&feed.Event{Seq: seq, Kind: feed.KindBook, Pair: "BTC/USD", Time: now, Book: u})
		default: // an order
			side := feed.Buy
			if rng.IntN(2) == 0 {
				side = feed.Sell
			}
			o := strategy.Order{Pair: "BTC/USD", Side: side, Type: strategy.Market, Qty: decimal.New(int64(5+rng.IntN(60)), -2), Leverage: 2 + rng.IntN(4)}
			switch rng.IntN(6) {
			case 0:
				o.Type, o.Price = strategy.Limit, decimal.New(price+int64(rng.IntN(201)-100)*10, -1)
			case 1:
				o.ReduceOnly = true
			case 2:
				if rng.IntN(3) == 0 {
					o.Type, o.Qty = strategy.SettlePosition, decimal.Zero
				}
			}
			_, _ = e.Submit(now, seq, o) // refusals (margin, reduce-only) are part of the test
			reports = e.Advance(now)
		}
		check(step, reports)
	}
	return calls, liqs, rolls
}

func fx(d decimal.Decimal) feed.Fixed {
	f, _ := feed.FixedFromDecimal(d)
	return f
}
