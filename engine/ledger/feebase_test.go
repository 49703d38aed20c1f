package ledger

import (
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// Fees charged in the base asset (Kraken's fcib).
func TestFeeInBase(t *testing.T) {
	inBase := func(tr Trade) Trade { tr.FeeAsset = "BTC"; return tr }
	tests := []struct {
		name          string
		deposits      [][2]string
		trades        []Trade
		wantBTC       string
		wantUSD       string
		wantPosQty    string
		wantAvg       string
		wantRealised  string
		wantEquityUSD string // at the last trade's price
	}{
		{
			name:     "buy receives quantity minus fee, pays cost only",
			deposits: [][2]string{{"USD", "100000"}},
			trades:   []Trade{inBase(btc(feed.Buy, "", "50000", "1", "50000", "0.004"))},
			wantBTC:  "0.996", wantUSD: "50000", wantPosQty: "0.996", wantAvg: "50000", wantRealised: "-200",
			wantEquityUSD: "99800", // 100000 less the fee (0.004 BTC = 200 USD at 50000)
		},
		{
			name:     "sell delivers quantity plus fee, receives the cost",
			deposits: [][2]string{{"USD", "100000"}},
			trades: []Trade{
				btc(feed.Buy, "", "50000", "1", "50000", "0"),
				inBase(btc(feed.Sell, "", "60000", "0.5", "30000", "0.002")),
			},
			// realised: 0.5 sold for 30000 against a basis of 25000 (+5000); the 0.002 BTC fee leaves
			// the position at its basis 100 as if sold at 60000 (+20) and costs its value, 120: 4900.
			wantBTC: "0.498", wantUSD: "80000", wantPosQty: "0.498", wantAvg: "50000", wantRealised: "4900",
			wantEquityUSD: "109880", // 80000 + 0.498 × 60000
		},
		{
			name:     "sell of deposited base: the fee is valued at the fill price",
			deposits: [][2]string{{"BTC", "1"}},
			trades:   []Trade{inBase(btc(feed.Sell, "", "50000", "0.5", "25000", "0.002"))},
			wantBTC:  "0.498", wantUSD: "25000", wantPosQty: "0", wantAvg: "0", wantRealised: "-100",
			wantEquityUSD: "49900",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New("USD")
			for _, dep := range tt.deposits {
				mustOK(t, l.Deposit(dep[0], d(dep[1])))
			}
			var last Trade
			for _, tr := range tt.trades {
				mustOK(t, l.Trade(tr))
				last = tr
			}
			l.Mark("BTC/USD", last.Price)
			wantBalance(t, l, "BTC", tt.wantBTC, "0")
			wantBalance(t, l, "USD", tt.wantUSD, "0")
			p := l.Position("BTC/USD")
			if !p.Qty.Equal(d(tt.wantPosQty)) || !p.AvgEntry.Equal(d(tt.wantAvg)) || !p.RealizedPnL.Equal(d(tt.wantRealised)) {
				t.Errorf("position qty %s avg %s realised %s, want %s %s %s", p.Qty, p.AvgEntry, p.RealizedPnL, tt.wantPosQty, tt.wantAvg, tt.wantRealised)
			}
			eq, err := l.Equity()
			mustOK(t, err)
			if !eq.Equal(d(tt.wantEquityUSD)) {
				t.Errorf("equity %s, want %s", eq, tt.wantEquityUSD)
			}
			mustOK(t, l.Check())
		})
	}
}

func TestFeeInBaseRefusals(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("100000")))
	mustOK(t, l.Deposit("BTC", d("0.5")))
	bad := []Trade{
		func() Trade { tr := btc(feed.Buy, "", "50000", "0.001", "50", "0.001"); tr.FeeAsset = "BTC"; return tr }(), // fee eats the quantity
		func() Trade {
			tr := btc(feed.Sell, "", "50000", "0.5", "25000", "0.001")
			tr.FeeAsset = "BTC"
			return tr
		}(), // 0.501 BTC needed
		func() Trade { tr := btc(feed.Buy, "", "50000", "0.1", "5000", "1"); tr.FeeAsset = "EUR"; return tr }(), // neither asset
	}
	for i, tr := range bad {
		if err := l.Trade(tr); err == nil {
			t.Errorf("trade %d booked, want a refusal", i)
		}
	}
	wantBalance(t, l, "BTC", "0.5", "0")
	wantBalance(t, l, "USD", "100000", "0")
}
