package engine_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// keeper breaks the Context contract: it keeps its Context and holds a resting buy, so a
// later read through the kept Context would see a real account.
type keeper struct {
	kept   strategy.Context
	placed bool
}

func (k *keeper) OnStart(c strategy.Context) error {
	k.kept = c
	return nil
}

func (k *keeper) OnTrade(c strategy.Context, t feed.Trade) error {
	if k.placed || t.Pair != "BTC/USD" {
		return nil
	}
	k.placed = true
	m := c.Market(t.Pair)
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit,
		Qty: decimal.RequireFromString("0.001"), Price: m.FloorPrice(t.Price.Mul(decimal.RequireFromString("0.5")))})
	return err
}

// TestContextRetainedIsRefused: every method of a Context used after its callback returned
// reports the violation (a warning naming the method) and does nothing — actions fail with
// ErrContextRetained and queries answer their zero value, not the account's state.
func TestContextRetainedIsRefused(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	k := &keeper{}
	res, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{replay(market(t, 3, 200))},
		Instances: []engine.Instance{{Name: "k", Strategy: k, Pairs: []feed.Pair{"BTC/USD"}, Log: zap.New(core),
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10000)}}}},
		Pairs: pairs.Lookup, FailFast: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !k.placed || res.Instances[0].Orders != 1 {
		t.Fatalf("the keeper placed %d orders; the test needs its resting order", res.Instances[0].Orders)
	}
	if n := logs.Len(); n != 0 {
		t.Fatalf("%d warnings during a run that kept the contract", n)
	}
	c := k.kept
	pair := feed.Pair("BTC/USD")
	checks := []struct {
		method string
		call   func() bool // true: the method did nothing and answered its zero value
	}{
		{"Now", func() bool { return c.Now().IsZero() }},
		{"Balance", func() bool { return c.Balance("USD") == strategy.Balance{Asset: "USD"} }},
		{"Balances", func() bool { return c.Balances() == nil }},
		{"Position", func() bool { return c.Position(pair) == strategy.Position{Pair: pair} }},
		{"OpenOrders", func() bool { return c.OpenOrders(pair) == nil }},
		{"OpenOrderCount", func() bool { return c.OpenOrderCount(pair) == 0 }},
		{"AppendOpenOrders", func() bool { return len(c.AppendOpenOrders(nil, pair)) == 0 }},
		{"Market", func() bool { return c.Market(pair).Pair == "" }},
		{"Pairs", func() bool { return c.Pairs() == nil }},
		{"SetTimer", func() bool { c.SetTimer(time.Minute); return true }},
		{"Submit", func() bool {
			_, err := c.Submit(strategy.Order{Pair: pair, Side: feed.Buy, Type: strategy.Market, Qty: decimal.NewFromInt(1)})
			return errors.Is(err, engine.ErrContextRetained)
		}},
		{"Cancel", func() bool { return errors.Is(c.Cancel("O1"), engine.ErrContextRetained) }},
		{"CancelAll", func() bool { return errors.Is(c.CancelAll(""), engine.ErrContextRetained) }},
		{"Amend", func() bool { return errors.Is(c.Amend("O1", decimal.Zero, decimal.Zero), engine.ErrContextRetained) }},
		{"Log", func() bool { return c.Log() != nil }},
	}
	for _, tc := range checks {
		logs.TakeAll()
		if !tc.call() {
			t.Errorf("%s on a retained Context answered or acted; want its zero value or ErrContextRetained", tc.method)
		}
		var methods []string
		for _, e := range logs.TakeAll() {
			methods = append(methods, e.ContextMap()["method"].(string))
		}
		if !slices.Equal(methods, []string{tc.method}) {
			t.Errorf("%s on a retained Context logged violations for %v, want exactly one for %s", tc.method, methods, tc.method)
		}
	}
}
