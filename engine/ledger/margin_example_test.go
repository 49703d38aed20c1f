package ledger_test

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// A short on margin, as in Kraken's "Margin trading examples": $5,000 of collateral, 0.2 BTC
// sold short at 50,000 with 5x leverage. At 65,200 the account is below its margin call.
func ExampleLedger_MarginTrade() {
	d := decimal.RequireFromString
	l := ledger.New("USD")
	_ = l.Deposit("USD", d("5000"))
	l.Mark("BTC/USD", d("50000"))
	_, _ = l.MarginTrade(ledger.MarginFill{Pair: "BTC/USD", Base: "BTC", Quote: "USD", Side: feed.Sell,
		Price: d("50000"), Qty: d("0.2"), Cost: d("10000"), Leverage: 5, At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	a, _ := l.MarginAccount()
	fmt.Println("level at open:", a.Level.StringFixed(2), "used:", a.UsedMargin.StringFixed(2))
	l.Mark("BTC/USD", d("65200"))
	a, _ = l.MarginAccount()
	fmt.Println("level at 65200:", a.Level.StringFixed(2), "equity:", a.Equity.StringFixed(2))
	fmt.Println("USD balance:", l.Balance("USD").Total, "BTC balance:", l.Balance("BTC").Total)
	// Output:
	// level at open: 250.00 used: 2000.00
	// level at 65200: 75.15 equity: 1960.00
	// USD balance: 5000 BTC balance: 0
}
