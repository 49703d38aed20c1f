package sim_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func Example() {
	btcusd := &feed.PairInfo{
		Pair: "BTC/USD", Base: "BTC", Quote: "USD",
		PriceDecimals: 1, LotDecimals: 8, CostDecimals: 5,
		Tick: decimal.RequireFromString("0.1"), OrderMin: decimal.RequireFromString("0.0001"),
		CostMin: decimal.RequireFromString("0.5"), Status: feed.PairOnline,
	}
	lookup := func(p feed.Pair) (*feed.PairInfo, bool) { return btcusd, p == btcusd.Pair }

	led := ledger.New("USD")
	_ = led.Deposit("USD", decimal.NewFromInt(10000))
	ex := sim.New(sim.Config{Seed: 1}, lookup, led) // 50 ms latency, default fill model

	t0 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	trade := func(at time.Duration, side feed.Side, price, qty string, id uint64) *feed.Event {
		return &feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Time: t0.Add(at), Trade: feed.Trade{
			Pair: "BTC/USD", Side: side, Price: decimal.RequireFromString(price), Qty: decimal.RequireFromString(qty), ID: id}}
	}
	show := func(rs []sim.Report) {
		for _, r := range rs {
			if r.Kind == sim.ReportFill {
				f := r.Fill
				fmt.Println("fill", f.Side, f.Qty, "@", f.Price, "fee", f.Fee, f.FeeAsset, f.Liquidity, f.Provenance.Model)
			} else {
				fmt.Println("order", r.Update.Status, r.Update.Filled)
			}
		}
	}

	show(ex.OnEvent(trade(0, feed.Buy, "50100.0", "0.5", 1)))
	// Rejections carry Kraken's text.
	_, err := ex.Submit(t0, 1, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit,
		Qty: decimal.RequireFromString("0.01"), Price: decimal.RequireFromString("50000.05")})
	fmt.Println(err, errors.Is(err, strategy.ErrInvalidPrice))

	_, _ = ex.Submit(t0, 1, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit,
		Qty: decimal.RequireFromString("0.01"), Price: decimal.RequireFromString("50000.0")})
	show(ex.OnEvent(trade(10*time.Millisecond, feed.Sell, "50010.0", "1", 2)))     // still in flight
	show(ex.OnEvent(trade(60*time.Millisecond, feed.Sell, "50000.0", "1", 3)))     // live; only touches
	show(ex.OnEvent(trade(70*time.Millisecond, feed.Sell, "49999.9", "0.004", 4))) // through: 0.004
	show(ex.OnEvent(trade(80*time.Millisecond, feed.Sell, "49990.0", "1", 5)))     // the rest
	fmt.Println(ex.Balance("USD").Total, ex.Balance("BTC").Total, ex.Check())
	// Output:
	// EOrder:Invalid price:BTC/USD price can only be specified up to 1 decimals. true
	// order open 0
	// fill buy 0.004 @ 50000 fee 0.5 USD maker default
	// order open 0.004
	// fill buy 0.006 @ 50000 fee 0.75 USD maker default
	// order closed 0.01
	// 9498.75 0.01 <nil>
}
