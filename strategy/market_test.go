package strategy_test

import (
	"math"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// btcusd has Kraken's BTC/USD rules (PROTOCOL.md §6).
var btcusd = strategy.MarketInfo{PairInfo: feed.PairInfo{
	Pair: "BTC/USD", PriceDecimals: 1, LotDecimals: 8, CostDecimals: 5,
	Tick: d("0.1"), OrderMin: d("0.0001"), CostMin: d("0.5"),
}}

func TestMarketRounding(t *testing.T) {
	half := strategy.MarketInfo{PairInfo: feed.PairInfo{PriceDecimals: 1, Tick: d("0.5"), LotDecimals: 2, LotStep: d("0.05")}}
	noTick := strategy.MarketInfo{PairInfo: feed.PairInfo{PriceDecimals: 3, LotDecimals: 0}}
	tests := []struct {
		name string
		m    strategy.MarketInfo
		f    func(strategy.MarketInfo, decimal.Decimal) decimal.Decimal
		in   string
		want string
	}{
		{"floor price", btcusd, strategy.MarketInfo.FloorPrice, "27119.96", "27119.9"},
		{"floor price on tick", btcusd, strategy.MarketInfo.FloorPrice, "27119.9", "27119.9"},
		{"ceil price", btcusd, strategy.MarketInfo.CeilPrice, "27119.91", "27120"},
		{"ceil price on tick", btcusd, strategy.MarketInfo.CeilPrice, "27120.0", "27120"},
		{"round price down", btcusd, strategy.MarketInfo.RoundPrice, "27119.94", "27119.9"},
		{"round price half up", btcusd, strategy.MarketInfo.RoundPrice, "27119.95", "27120"},
		{"floor qty", btcusd, strategy.MarketInfo.FloorQty, "0.123456789", "0.12345678"},
		{"tick 0.5 floor", half, strategy.MarketInfo.FloorPrice, "10.9", "10.5"},
		{"tick 0.5 ceil", half, strategy.MarketInfo.CeilPrice, "10.1", "10.5"},
		{"tick 0.5 round", half, strategy.MarketInfo.RoundPrice, "10.74", "10.5"},
		{"lot step 0.05", half, strategy.MarketInfo.FloorQty, "1.99", "1.95"},
		{"decimals only", noTick, strategy.MarketInfo.FloorPrice, "1.23456", "1.234"},
		{"lot decimals 0", noTick, strategy.MarketInfo.FloorQty, "7.9", "7"},
		{"negative floors down", btcusd, strategy.MarketInfo.FloorPrice, "-1.01", "-1.1"},
		{"zero info: whole units", strategy.MarketInfo{}, strategy.MarketInfo.FloorQty, "1.23", "1"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.m, d(tt.in)); !got.Equal(d(tt.want)) {
			t.Errorf("%s(%s) = %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestMarketMinQtyTradable(t *testing.T) {
	tests := []struct {
		price, want string
	}{
		{"30000", "0.0001"},       // OrderMin dominates: 0.0001*30000 = 3 >= 0.5
		{"1000", "0.0005"},        // CostMin: 0.5/1000
		{"3000", "0.00016667"},    // 0.5/3000 = 0.000166666… ceiled to the lot
		{"0", "0.0001"},           // unknown price: OrderMin only
		{"0.00001", "50000"},      // tiny price, huge quantity
		{"7", "0.07142858"},       // 0.5/7 = 0.0714285714… ceiled
		{"40000.3", "0.0001"},     //
		{"4999.99", "0.00010001"}, // 0.5/4999.99 = 0.000100000200…: ceiled one lot above OrderMin
	}
	for _, tt := range tests {
		price := d(tt.price)
		got := btcusd.MinQty(price)
		if !got.Equal(d(tt.want)) {
			t.Errorf("MinQty(%s) = %s, want %s", tt.price, got, tt.want)
		}
		if !btcusd.Tradable(got, price) {
			t.Errorf("Tradable(MinQty(%s)=%s) = false", tt.price, got)
		}
		if below := got.Sub(btcusd.QtyStep()); price.Sign() > 0 && btcusd.Tradable(below, price) {
			t.Errorf("Tradable(%s at %s) = true, MinQty not minimal", below, tt.price)
		}
	}
	for _, tt := range []struct {
		qty, price string
		want       bool
	}{
		{"0.0001", "30000", true},
		{"0.00009", "30000", false},     // below OrderMin
		{"0.000100001", "30000", false}, // off the lot
		{"0.0004", "1000", false},       // cost 0.4 < 0.5
		{"0", "1000", false},
		{"-1", "1000", false},
	} {
		if got := btcusd.Tradable(d(tt.qty), d(tt.price)); got != tt.want {
			t.Errorf("Tradable(%s, %s) = %v, want %v", tt.qty, tt.price, got, tt.want)
		}
	}
}

func TestMarketMid(t *testing.T) {
	m := btcusd
	if _, ok := m.Mid(); ok {
		t.Error("Mid with nothing known: ok")
	}
	m.Last, m.HasLast = d("100.1"), true
	if got, ok := m.Mid(); !ok || !got.Equal(d("100.1")) {
		t.Errorf("Mid from last = %s, %v", got, ok)
	}
	m.Bid, m.Ask, m.HasBook = d("100.1"), d("100.4"), true
	if got, ok := m.Mid(); !ok || !got.Equal(d("100.25")) {
		t.Errorf("Mid from book = %s, %v", got, ok)
	}
}

func TestMarketFloatPrice(t *testing.T) {
	a, b := 0.1, 0.2
	noisy := a + b // 0.30000000000000004 at run time
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{noisy, "0.3"},
		{99.8499999, "99.8499999"},
		{99.84999999, "99.85"},
		{1e-9, "0"},
		{math.NaN(), "0"},
		{math.Inf(1), "0"},
	} {
		if got := btcusd.FloatPrice(tt.in); !got.Equal(d(tt.want)) {
			t.Errorf("FloatPrice(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := btcusd.CeilPrice(btcusd.FloatPrice(noisy)); !got.Equal(d("0.3")) {
		t.Errorf("CeilPrice(FloatPrice(%v)) = %s", noisy, got)
	}
	if got := btcusd.CeilPrice(decimal.NewFromFloat(noisy)); !got.Equal(d("0.4")) {
		t.Errorf("without FloatPrice the noise should cost a tick, got %s", got)
	}
}
