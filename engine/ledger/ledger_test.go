package ledger

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantBalance(t *testing.T, l *Ledger, asset, total, reserved string) {
	t.Helper()
	b := l.Balance(asset)
	if !b.Total.Equal(d(total)) || !b.Reserved.Equal(d(reserved)) {
		t.Errorf("%s balance = total %s reserved %s, want total %s reserved %s", asset, b.Total, b.Reserved, total, reserved)
	}
}

func btc(side feed.Side, id strategy.OrderID, price, qty, cost, fee string) Trade {
	return Trade{Order: id, Pair: "BTC/USD", Base: "BTC", Quote: "USD", Side: side,
		Price: d(price), Qty: d(qty), Cost: d(cost), Fee: d(fee)}
}

func TestBuyThenSellRoundTrip(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("10000")))
	// A buy limit for 0.1 BTC at 50000 reserves cost + max (taker) fee: 5000 + 20.
	mustOK(t, l.Reserve("O1", "USD", d("5020")))
	wantBalance(t, l, "USD", "10000", "5020")

	// Half fills as maker: cost 2500, fee 6.25.
	mustOK(t, l.Trade(btc(feed.Buy, "O1", "50000", "0.05", "2500", "6.25")))
	wantBalance(t, l, "USD", "7493.75", "2513.75")
	wantBalance(t, l, "BTC", "0.05", "0")
	// The simulator then shrinks the reservation to what the rest needs.
	mustOK(t, l.Resize("O1", d("2510")))
	wantBalance(t, l, "USD", "7493.75", "2510")
	mustOK(t, l.Trade(btc(feed.Buy, "O1", "50000", "0.05", "2500", "6.25")))
	l.Release("O1")
	wantBalance(t, l, "USD", "4987.5", "0")
	wantBalance(t, l, "BTC", "0.1", "0")

	p := l.Position("BTC/USD")
	if !p.Qty.Equal(d("0.1")) || !p.AvgEntry.Equal(d("50000")) || !p.RealizedPnL.Equal(d("-12.5")) {
		t.Fatalf("position after buys = %+v", p)
	}
	l.Mark("BTC/USD", d("51000"))
	if p := l.Position("BTC/USD"); !p.UnrealizedPnL.Equal(d("100")) {
		t.Fatalf("unrealised at 51000 = %s, want 100", p.UnrealizedPnL)
	}

	mustOK(t, l.Reserve("O2", "BTC", d("0.1")))
	mustOK(t, l.Trade(btc(feed.Sell, "O2", "52000", "0.1", "5200", "20.8")))
	l.Release("O2")
	wantBalance(t, l, "BTC", "0", "0")
	wantBalance(t, l, "USD", "10166.7", "0")
	p = l.Position("BTC/USD")
	// 5200 - 5000 - 12.5 - 20.8
	if !p.Qty.IsZero() || !p.RealizedPnL.Equal(d("166.7")) || !p.UnrealizedPnL.IsZero() {
		t.Fatalf("position after sell = %+v", p)
	}
	eq, err := l.Equity()
	mustOK(t, err)
	if !eq.Equal(d("10166.7")) {
		t.Fatalf("equity = %s", eq)
	}
	mustOK(t, l.Check())
}

func TestPartialSellRealisesProRata(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("1000")))
	mustOK(t, l.Trade(btc(feed.Buy, "", "100", "1", "100", "0")))
	mustOK(t, l.Trade(btc(feed.Buy, "", "130", "2", "260", "0")))
	p := l.Position("BTC/USD")
	if !p.AvgEntry.Equal(d("120")) {
		t.Fatalf("avg entry = %s, want 120", p.AvgEntry)
	}
	mustOK(t, l.Trade(btc(feed.Sell, "", "150", "1.5", "225", "1")))
	p = l.Position("BTC/USD")
	// basis out = 360 * 1.5/3 = 180; realised = 225 - 180 - 1
	if !p.Qty.Equal(d("1.5")) || !p.RealizedPnL.Equal(d("44")) || !p.AvgEntry.Equal(d("120")) {
		t.Fatalf("position = %+v", p)
	}
}

func TestSellingDepositedBaseRealisesOnlyTheFee(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("BTC", d("1")))
	mustOK(t, l.Trade(btc(feed.Sell, "", "100", "0.5", "50", "0.2")))
	p := l.Position("BTC/USD")
	if !p.Qty.IsZero() || !p.RealizedPnL.Equal(d("-0.2")) {
		t.Fatalf("position = %+v", p)
	}
	wantBalance(t, l, "USD", "49.8", "0")
	wantBalance(t, l, "BTC", "0.5", "0")
	mustOK(t, l.Check())
}

func TestRefusalsChangeNothing(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("100")))
	mustOK(t, l.Reserve("O1", "USD", d("60")))

	tests := []struct {
		name   string
		do     func() error
		kraken bool
	}{
		{"reserve beyond free", func() error { return l.Reserve("O2", "USD", d("40.01")) }, true},
		{"reserve twice", func() error { return l.Reserve("O1", "USD", d("1")) }, false},
		{"grow beyond free", func() error { return l.Resize("O1", d("100.5")) }, true},
		{"withdraw reserved", func() error { return l.Withdraw("USD", d("41")) }, true},
		{"buy beyond reservation+free", func() error { return l.Trade(btc(feed.Buy, "O1", "100", "1", "100", "0.26")) }, true},
		{"sell without base", func() error { return l.Trade(btc(feed.Sell, "", "100", "1", "100", "0.26")) }, true},
		{"zero qty", func() error { return l.Trade(btc(feed.Buy, "O1", "100", "0", "0", "0")) }, false},
		{"fee above proceeds", func() error { return l.Trade(btc(feed.Sell, "", "1", "1", "1", "2")) }, false},
		{"deposit zero", func() error { return l.Deposit("USD", decimal.Zero) }, false},
		{"resize unknown", func() error { return l.Resize("nope", d("1")) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, strategy.ErrInsufficientFunds); got != tt.kraken {
				t.Fatalf("errors.Is(%v, ErrInsufficientFunds) = %v, want %v", err, got, tt.kraken)
			}
			wantBalance(t, l, "USD", "100", "60")
			wantBalance(t, l, "BTC", "0", "0")
			mustOK(t, l.Check())
		})
	}
}

func TestEquityConversion(t *testing.T) {
	tests := []struct {
		name    string
		ccy     string
		marks   map[feed.Pair]string
		balance map[string]string
		want    string
		wantErr bool
	}{
		{"direct", "USD", map[feed.Pair]string{"BTC/USD": "50000"}, map[string]string{"BTC": "0.5", "USD": "10"}, "25010", false},
		{"inverse", "EUR", map[feed.Pair]string{"EUR/USD": "1.25"}, map[string]string{"USD": "100"}, "80", false},
		{"two hops", "USD", map[feed.Pair]string{"ETH/BTC": "0.05", "BTC/USD": "60000"}, map[string]string{"ETH": "2"}, "6000", false},
		{"two hops via inverse", "EUR", map[feed.Pair]string{"ETH/USD": "3000", "EUR/USD": "1.2"}, map[string]string{"ETH": "1"}, "2500", false},
		{"missing price", "USD", map[feed.Pair]string{"ETH/BTC": "0.05"}, map[string]string{"ETH": "1"}, "", true},
		{"zero balance needs no price", "USD", nil, map[string]string{"USD": "5"}, "5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.ccy)
			for pr, px := range tt.marks { // order does not matter: marks are independent
				l.Mark(pr, d(px))
			}
			for a, v := range tt.balance {
				mustOK(t, l.Deposit(a, d(v)))
			}
			got, err := l.Equity()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Equity = %s, want error", got)
				}
				return
			}
			mustOK(t, err)
			if !got.Equal(d(tt.want)) {
				t.Fatalf("Equity = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestListsAreSorted(t *testing.T) {
	l := New("USD")
	for _, a := range []string{"USD", "ETH", "BTC", "ADA"} {
		mustOK(t, l.Deposit(a, d("1")))
	}
	var got []string
	for _, b := range l.Balances() {
		got = append(got, b.Asset)
	}
	if fmt.Sprint(got) != "[ADA BTC ETH USD]" {
		t.Fatalf("Balances order = %v", got)
	}
	mustOK(t, l.Trade(Trade{Pair: "ETH/USD", Base: "ETH", Quote: "USD", Side: feed.Sell, Price: d("1"), Qty: d("1"), Cost: d("1")}))
	mustOK(t, l.Trade(Trade{Pair: "ADA/USD", Base: "ADA", Quote: "USD", Side: feed.Sell, Price: d("1"), Qty: d("1"), Cost: d("1")}))
	l.Mark("BTC/USD", d("1")) // marked, never traded: no position listed
	ps := l.Positions()
	if len(ps) != 2 || ps[0].Pair != "ADA/USD" || ps[1].Pair != "ETH/USD" {
		t.Fatalf("Positions = %+v", ps)
	}
}

// TestRandomOperationsKeepInvariants drives the ledger with random reservations and trades
// and checks the invariants and exact conservation after every step.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("100000")))
	mustOK(t, l.Deposit("BTC", d("2")))
	usd, btcBal := d("100000"), d("2")
	open := []strategy.OrderID{}
	for i := range 3000 {
		switch rng.IntN(4) {
		case 0:
			id := strategy.OrderID(fmt.Sprintf("O%d", i))
			asset := "USD"
			if rng.IntN(2) == 0 {
				asset = "BTC"
			}
			amt := decimal.New(rng.Int64N(200000), -2)
			if asset == "BTC" {
				amt = decimal.New(rng.Int64N(100000), -5)
			}
			if l.Reserve(id, asset, amt) == nil {
				open = append(open, id)
			}
		case 1:
			if len(open) > 0 {
				k := rng.IntN(len(open))
				l.Release(open[k])
				open = append(open[:k], open[k+1:]...)
			}
		default:
			var id strategy.OrderID
			if len(open) > 0 {
				id = open[rng.IntN(len(open))]
			}
			side := feed.Buy
			if asset, _, ok := l.Reservation(id); ok && asset == "BTC" {
				side = feed.Sell
			}
			price := decimal.New(40000+rng.Int64N(20000), 0)
			qty := decimal.New(1+rng.Int64N(5000), -5)
			cost := price.Mul(qty).Round(5)
			fee := cost.Mul(d("0.004")).Round(5)
			if err := l.Trade(btc(side, id, price.String(), qty.String(), cost.String(), fee.String())); err == nil {
				if side == feed.Buy {
					usd = usd.Sub(cost).Sub(fee)
					btcBal = btcBal.Add(qty)
				} else {
					usd = usd.Add(cost).Sub(fee)
					btcBal = btcBal.Sub(qty)
				}
			} else if !errors.Is(err, ErrInsufficientFunds) {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if err := l.Check(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !l.Balance("USD").Total.Equal(usd) || !l.Balance("BTC").Total.Equal(btcBal) {
			t.Fatalf("step %d: balances %v, want USD %s BTC %s", i, l.Balances(), usd, btcBal)
		}
	}
}

func BenchmarkMark(b *testing.B) {
	l := New("USD")
	l.Mark("BTC/USD", d("1"))
	px := d("50000.1")
	b.ReportAllocs()
	for b.Loop() {
		l.Mark("BTC/USD", px)
	}
}
