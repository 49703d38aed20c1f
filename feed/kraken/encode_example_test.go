package kraken_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// An Encoder writes events as Kraken's v2 frames: numbers at the pair's precision, and book
// frames with the checksum a client at depth 10 computes.
func ExampleEncoder() {
	enc, err := kraken.NewEncoder(feed.APIV2)
	if err != nil {
		panic(err)
	}
	t := time.Date(2025, 11, 24, 9, 30, 0, 125000000, time.UTC)
	frame, err := enc.AppendTrades(nil, false, []feed.Trade{{
		Pair: "BTC/USD", Side: feed.Buy, OrdType: feed.OrdMarket,
		Price: decimal.RequireFromString("87000"), Qty: decimal.RequireFromString("0.0125"), ID: 42, Time: t,
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(frame))
	frame, err = enc.AppendBook(frame[:0], &feed.BookUpdate{
		Pair: "BTC/USD", Snapshot: true, Time: t,
		Bids: []feed.BookLevel{{Price: feed.MustFixed("86999.9"), Qty: feed.MustFixed("0.5")}},
		Asks: []feed.BookLevel{{Price: feed.MustFixed("87000.0"), Qty: feed.MustFixed("1.25")}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(frame))
	// Output:
	// {"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":87000.0,"qty":0.01250000,"ord_type":"market","trade_id":42,"timestamp":"2025-11-24T09:30:00.125000Z"}]}
	// {"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":86999.9,"qty":0.50000000}],"asks":[{"price":87000.0,"qty":1.25000000}],"checksum":307929245}]}
}
