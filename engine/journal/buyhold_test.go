package journal_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/buyhold"
)

// buys counts submitted buy orders.
type buys struct{ n map[string]int }

func (b *buys) Record(r *engine.Record) {
	if r.Kind == record.KindOrder && r.Order.Status == strategy.StatusPending && r.Order.Order.Side == feed.Buy {
		b.n[r.Instance]++
	}
}

// Issue 15 item 19: buyhold bought again after every restart of a resumed session (its
// "bought" flag lived in memory only). Three sessions on one journal: one buy per pair in
// all, and the holdings only grow by that first buy.
func TestBuyHoldRestartsHold(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	batches := market(t, 9, 3000)
	third := len(batches) / 3
	mk := func() []engine.Instance {
		ins := []engine.Instance{{Name: "hold", Type: buyhold.Name, Strategy: buyhold.NewWith(buyhold.Params{Fraction: decimal.RequireFromString("0.5")}, nil),
			Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}}}}
		ins[0].Sim.Seed = 5
		return ins
	}
	submitted := &buys{n: map[string]int{}}
	var btc []string
	for s := range 3 {
		j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
		if err != nil {
			t.Fatal(err)
		}
		ins := mk()
		start, err := j.Begin(ctx, sessionConfig("buyhold", ins))
		if err != nil {
			t.Fatal(err)
		}
		if s > 0 {
			ins[0].Restore = start.Restore("hold")
		}
		before := submitted.n["hold"]
		res := run(t, ctx, batches[s*third:(s+1)*third], ins, record.Multi(j, submitted))
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		for _, b := range res.Instances[0].Balances {
			if b.Asset == "BTC" {
				btc = append(btc, b.Total.String())
			}
		}
		t.Logf("session %d: %d buys submitted, BTC %v", s+1, submitted.n["hold"]-before, btc)
	}
	if got := submitted.n["hold"]; got != 2 {
		t.Errorf("%d buys submitted over three sessions, want 2 (one per pair, in the first)", got)
	}
	if len(btc) != 3 || btc[0] != btc[1] || btc[1] != btc[2] {
		t.Errorf("BTC held after each session: %v, want the first session's every time", btc)
	}
}
