package feedtest_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
)

// Check holds a recorded stream to the rules every source's output obeys: here a trade id
// skipped without the KindGap that must report it.
func ExampleCheck() {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tr := func(id uint64) feed.Event {
		return feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Recv: at, Time: at, Trade: feed.Trade{
			Pair: "BTC/USD", Side: feed.Sell, Price: decimal.NewFromInt(60000), Qty: decimal.RequireFromString("0.1"), ID: id, Time: at}}
	}
	fmt.Println(feedtest.Check([]feed.Event{tr(41), tr(42)}))
	fmt.Println(feedtest.Check([]feed.Event{tr(41), tr(45)}))
	// Output:
	// <nil>
	// event 1 (trade BTC/USD conn 0 recv 2026-01-02T03:04:05Z): trade ids jump from 41 to 45 with no KindGap reporting the 3 missing
}
