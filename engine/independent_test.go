package engine_test

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// buyOnce sends one market buy on the first trade it sees.
type buyOnce struct {
	qty  decimal.Decimal
	done bool
}

func (b *buyOnce) OnTrade(c strategy.Context, t feed.Trade) error {
	if b.done {
		return nil
	}
	b.done = true
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: b.qty})
	return err
}

// Accounts are independent (engine/sim's package doc): two strategies taking the same visible
// liquidity each get it, as two Kraken accounts trading paper orders would; neither sees the
// other's consumption.
func TestAccountsDoNotShareConsumedLiquidity(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	lv := func(p, q string) feed.BookLevel {
		return feed.BookLevel{Price: feed.MustFixed(p), Qty: feed.MustFixed(q)}
	}
	batch := []feed.Event{
		{Kind: feed.KindBook, Pair: "BTC/USD", Time: t0, Book: &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true,
			Bids: []feed.BookLevel{lv("49990.0", "1.00000000")}, Asks: []feed.BookLevel{lv("50000.0", "1.00000000"), lv("50010.0", "5.00000000")}}},
		{Kind: feed.KindTrade, Pair: "BTC/USD", Time: t0.Add(time.Millisecond), Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: decimal.RequireFromString("49995.0"), Qty: decimal.RequireFromString("0.001"), ID: 1}},
		{Kind: feed.KindTrade, Pair: "BTC/USD", Time: t0.Add(time.Second), Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: decimal.RequireFromString("49990.0"), Qty: decimal.RequireFromString("0.001"), ID: 2}},
	}
	in := func(name string) engine.Instance {
		return engine.Instance{Name: name, Type: "buyonce", Strategy: &buyOnce{qty: decimal.RequireFromString("0.8")}, Pairs: []feed.Pair{"BTC/USD"},
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}}}
	}
	res, rec := run(t, [][]feed.Event{batch}, []engine.Instance{in("a"), in("b")})
	for _, ir := range res.Instances {
		var fills []string
		for _, r := range rec.Records(ir.Name) {
			if r.Kind == engine.RecordFill {
				fills = append(fills, r.Fill.Qty.String()+"@"+r.Fill.Price.String())
			}
		}
		if len(fills) != 1 || fills[0] != "0.8@50000" {
			t.Errorf("%s filled %v, want [0.8@50000]: accounts must not see each other's consumption", ir.Name, fills)
		}
	}
}
