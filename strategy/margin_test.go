package strategy_test

import (
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// marginMarket is BTC/USD with Kraken's AssetPairs margin fields (XBTUSDT in the captured
// AssetPairs response: leverage_buy/leverage_sell 2..10 there; 2..5 here, margin_call 80,
// margin_stop 40).
func marginMarket() strategy.MarketInfo {
	m := btcMarket()
	m.LeverageBuy = []int{2, 3, 4, 5}
	m.LeverageSell = []int{2, 3}
	m.MarginCall, m.MarginStop = dv("80"), dv("40")
	return m
}

func TestCheckOrderMargin(t *testing.T) {
	mkt := func(side feed.Side, lev int) strategy.Order {
		return strategy.Order{Pair: "BTC/USD", Side: side, Type: strategy.Market, Qty: dv("0.01"), Leverage: lev}
	}
	with := func(o strategy.Order, f func(*strategy.Order)) strategy.Order { f(&o); return o }
	tests := []struct {
		name    string
		o       strategy.Order
		spot    bool // the pair offers no margin
		wantErr string
		check   func(t *testing.T, o strategy.Order)
	}{
		{name: "buy 5x allowed", o: mkt(feed.Buy, 5)},
		{name: "sell 3x allowed", o: mkt(feed.Sell, 3)},
		{name: "sell 5x not offered on the sell side", o: mkt(feed.Sell, 5), wantErr: "EGeneral:Invalid arguments:leverage"},
		{name: "leverage on a spot-only pair", o: mkt(feed.Buy, 2), spot: true, wantErr: "EGeneral:Invalid arguments:leverage"},
		{name: "negative leverage", o: mkt(feed.Buy, -2), wantErr: "EGeneral:Invalid arguments"},
		{name: "reduce-only needs leverage", o: with(mkt(feed.Sell, 0), func(o *strategy.Order) { o.ReduceOnly = true }), wantErr: "EGeneral:Invalid arguments"},
		{name: "reduce-only with leverage", o: with(mkt(feed.Sell, 2), func(o *strategy.Order) { o.ReduceOnly = true })},
		{name: "viqc not for leveraged orders", o: with(mkt(feed.Buy, 2), func(o *strategy.Order) { o.Qty = dv("0"); o.QuoteQty = dv("100") }), wantErr: "EGeneral:Invalid arguments"},
		{name: "fee flags cleared on margin", o: with(mkt(feed.Buy, 2), func(o *strategy.Order) { o.FeeInBase = true }),
			check: func(t *testing.T, o strategy.Order) {
				if o.FeeInBase {
					t.Error("fcib kept on a margin order: margin fees are in quote here")
				}
			}},
		{name: "settle-position needs leverage", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.SettlePosition}, wantErr: "EGeneral:Invalid arguments"},
		{name: "settle-position, whole position", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.SettlePosition, Leverage: 2},
			check: func(t *testing.T, o strategy.Order) {
				if !o.Qty.IsZero() {
					t.Errorf("qty %s, want 0 (the whole position)", o.Qty)
				}
			}},
		{name: "settle-position below ordermin is fine (no trade)", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.SettlePosition, Leverage: 2, Qty: dv("0.000012345")},
			check: func(t *testing.T, o strategy.Order) {
				if o.Qty.String() != "0.00001234" {
					t.Errorf("qty %s, want 0.00001234 (lot truncated)", o.Qty)
				}
			}},
		{name: "settle-position with a close", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.SettlePosition, Leverage: 2, Close: &strategy.CloseOrder{Type: strategy.Limit, Price: dv("1")}}, wantErr: "EGeneral:Invalid arguments"},
		{name: "conditional close on a margin order", o: with(mkt(feed.Sell, 2), func(o *strategy.Order) {
			o.Close = &strategy.CloseOrder{Type: strategy.StopLoss, Price: dv("52000")}
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := marginMarket()
			if tc.spot {
				m = btcMarket()
			}
			got, err := strategy.CheckOrder(tc.o, m, vt0, strategy.CheckOptions{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if tc.check != nil {
					tc.check(t, got)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestSettlePositionName(t *testing.T) {
	if got := strategy.SettlePosition.String(); got != "settle-position" {
		t.Fatalf("%q", got)
	}
	if ty, err := strategy.ParseOrderType("settle-position"); err != nil || ty != strategy.SettlePosition {
		t.Fatalf("%v %v", ty, err)
	}
}
