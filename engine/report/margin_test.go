package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// An instance that traded on margin gets a margin summary (fills, opening and rollover fees,
// calls, liquidations, lowest level) in summary.json and a note under the terminal table;
// rollover fees count in its fees. A spot instance has none.
func TestMarginSummary(t *testing.T) {
	d := decimal.RequireFromString
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCollector(Instance{Name: "short", Pairs: []feed.Pair{"BTC/USD"}, AccountCurrency: "USD", EquityInterval: time.Minute})
	recs := []record.Record{
		{Kind: record.KindEquity, Time: t0, Equity: d("10000")},
		{Kind: record.KindFill, Time: t0, Fill: strategy.Fill{OrderID: "O1", Pair: "BTC/USD", Side: feed.Sell, Price: d("50000"), Qty: d("0.1"), Fee: d("20.5"), FeeAsset: "USD", Time: t0, Leverage: 3}},
		{Kind: record.KindMargin, Time: t0, Margin: strategy.MarginEvent{Kind: strategy.MarginFill, Order: "O1", Pair: "BTC/USD", Side: feed.Sell, Qty: d("0.1"), Price: d("50000"), Cost: d("5000"), Fee: d("20"), OpenFee: d("0.5"), Leverage: 3, Time: t0}},
		{Kind: record.KindMargin, Time: t0.Add(4 * time.Hour), Margin: strategy.MarginEvent{Kind: strategy.MarginRollover, Pair: "BTC/USD", Side: feed.Sell, Qty: d("0.1"), Fee: d("0.5"), Time: t0.Add(4 * time.Hour)}},
		{Kind: record.KindMargin, Time: t0.Add(5 * time.Hour), Margin: strategy.MarginEvent{Kind: strategy.MarginCall, Level: d("75.5"), Time: t0.Add(5 * time.Hour)}},
		{Kind: record.KindMargin, Time: t0.Add(6 * time.Hour), Margin: strategy.MarginEvent{Kind: strategy.MarginLiquidation, Pair: "BTC/USD", Side: feed.Sell, Qty: d("0.1"), Level: d("39.2"), Time: t0.Add(6 * time.Hour)}},
		{Kind: record.KindEquity, Time: t0.Add(6 * time.Hour), Equity: d("9000")},
	}
	for i := range recs {
		c.Record(&recs[i])
	}
	st := c.Summary(record.InstanceResult{Name: "short", Equity: d("9000"), EquityOK: true}, nil)
	m := st.Margin
	if m == nil || m.Fills != 1 || m.Rollovers != 1 || m.OpeningFees != "0.5" || m.RolloverFees != "0.5" || m.MarginCalls != 1 || m.Liquidations != 1 || m.LowestLevel != "39.20" {
		t.Fatalf("margin summary %+v", m)
	}
	if st.Fees != "21" {
		t.Fatalf("fees %s, want 21 (20.5 in the fill, 0.5 rollover)", st.Fees)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, &Summary{Strategies: []Strategy{st}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "short margin: 1 fills") || !strings.Contains(b.String(), "lowest level 39.20%") {
		t.Fatalf("table:\n%s", b.String())
	}
	spot := NewCollector(Instance{Name: "spot", AccountCurrency: "USD"}).Summary(record.InstanceResult{Name: "spot"}, nil)
	if spot.Margin != nil {
		t.Fatalf("spot instance has a margin summary %+v", spot.Margin)
	}
}
