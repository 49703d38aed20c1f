package ledger_test

import (
	"fmt"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

func Example() {
	l := ledger.New("USD")
	_ = l.Deposit("USD", decimal.NewFromInt(10000))

	// An order reserves its cost plus the largest fee it could pay; the fill then pays from it.
	_ = l.Reserve("OQCLML-BW3P3-BUCMWZ", "USD", decimal.RequireFromString("5020"))
	_ = l.Trade(ledger.Trade{
		Order: "OQCLML-BW3P3-BUCMWZ", Pair: "BTC/USD", Base: "BTC", Quote: "USD", Side: feed.Buy,
		Price: decimal.NewFromInt(50000), Qty: decimal.RequireFromString("0.1"),
		Cost: decimal.NewFromInt(5000), Fee: decimal.RequireFromString("12.5"),
	})
	l.Release("OQCLML-BW3P3-BUCMWZ")
	l.Mark("BTC/USD", decimal.NewFromInt(51000))

	for _, b := range l.Balances() {
		fmt.Println(b.Asset, b.Total, b.Reserved)
	}
	p := l.Position("BTC/USD")
	fmt.Println("avg", p.AvgEntry, "realised", p.RealizedPnL, "unrealised", p.UnrealizedPnL)
	eq, _ := l.Equity()
	fmt.Println("equity", eq, l.Check())
	// Output:
	// BTC 0.1 0
	// USD 4987.5 0
	// avg 50000 realised -12.5 unrealised 100
	// equity 10087.5 <nil>
}
