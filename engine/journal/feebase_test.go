package journal_test

import (
	"context"
	"testing"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// fcibContext submits every order with its fee charged in base (Kraken's fcib).
type fcibContext struct{ strategy.Context }

func (c fcibContext) Submit(o strategy.Order) (strategy.OrderID, error) {
	o.FeeInBase = true
	return c.Context.Submit(o)
}

type fcibStrategy struct{ p *pinger }

func (s fcibStrategy) OnTrade(c strategy.Context, t feed.Trade) error {
	return s.p.OnTrade(fcibContext{c}, t)
}

// A resumed account whose fees were charged in base restores the balances it ended with: the
// journal books each fill's fee in its own asset.
func TestRestartWithFeesInBase(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	mk := func() []engine.Instance {
		ins := instances()[:1]
		ins[0].Strategy = fcibStrategy{p: &pinger{every: 3}}
		return ins
	}
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	ins := mk()
	if _, err := j.Begin(ctx, sessionConfig("fcib", ins)); err != nil {
		t.Fatal(err)
	}
	res := run(t, ctx, market(t, 9, 3000), ins, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Instances[0].Fills == 0 {
		t.Fatal("no fills: the test tests nothing")
	}
	j, err = journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	start, err := j.Begin(ctx, sessionConfig("fcib", mk()))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := j.Reader().Records(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Kind == engine.RecordFill {
			n++
			if r.Fill.FeeAsset != "BTC" {
				t.Fatalf("fill %s paid its fee in %s, want BTC", r.Fill.OrderID, r.Fill.FeeAsset)
			}
		}
	}
	if n == 0 {
		t.Fatal("no fills journaled")
	}
	want := map[string]string{}
	for _, b := range res.Instances[0].Balances {
		want[b.Asset] = b.Total.String()
	}
	for _, b := range start.States[0].Ledger.Balances {
		if want[b.Asset] != b.Total.String() {
			t.Errorf("restored %s %s, the run ended with %s", b.Asset, b.Total, want[b.Asset])
		}
	}
}
