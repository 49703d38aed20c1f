package feed_test

import (
	"fmt"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

func ExampleBook() {
	book := feed.NewBook("BTC/USD", 10)
	lvl := func(price, qty string) feed.BookLevel {
		return feed.BookLevel{Price: feed.MustFixed(price), Qty: feed.MustFixed(qty)}
	}
	// A snapshot replaces the book; levels may come in any order.
	_ = book.Apply(&feed.BookUpdate{Pair: "BTC/USD", Snapshot: true,
		Bids: []feed.BookLevel{lvl("27119.9", "0.50000000"), lvl("27120.0", "1.25000000")},
		Asks: []feed.BookLevel{lvl("27121.5", "0.10000000"), lvl("27120.1", "2.00000000")},
	})
	// An update changes, adds (qty > 0) or deletes (qty 0) levels.
	if err := book.Apply(&feed.BookUpdate{Pair: "BTC/USD",
		Bids: []feed.BookLevel{lvl("27120.0", "0.00000000")},
		Asks: []feed.BookLevel{lvl("27120.1", "1.50000000")},
	}); err != nil {
		fmt.Println(err)
	}
	bid, bidQty, _ := book.BestBid()
	ask, askQty, _ := book.BestAsk()
	fmt.Println("best bid", bid, bidQty)
	fmt.Println("best ask", ask, askQty)
	fmt.Println("second ask", book.Ask(1).Price, book.Ask(1).Qty) // wire text, trailing zeros kept
	// Output:
	// best bid 27119.9 0.5
	// best ask 27120.1 1.5
	// second ask 27121.5 0.10000000
}

func ExampleParseFixed() {
	for _, s := range []string{"0.12290", "5.1e-05", "-4.0", "1e18", "NaN"} {
		f, err := feed.ParseFixed([]byte(s))
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: mantissa %d, %d decimals, text %s\n", s, f.Mant, f.Scale, f)
	}
	// Output:
	// 0.12290: mantissa 12290, 5 decimals, text 0.12290
	// 5.1e-05: mantissa 51, 6 decimals, text 0.000051
	// -4.0: mantissa -40, 1 decimals, text -4.0
	// feed: number out of range: "1e18" has too many digits
	// feed: "NaN" is not a number
}

func ExamplePairInfo_Fee() {
	d := decimal.RequireFromString
	info := feed.PairInfo{Pair: "BTC/USD", Taker: []feed.FeeTier{
		{Volume: d("0"), Percent: d("0.40")},
		{Volume: d("10000"), Percent: d("0.35")},
	}}
	for _, vol := range []string{"0", "25000"} {
		fmt.Printf("30-day volume $%s: taker %s%%\n", vol, info.Fee(false, d(vol)))
	}
	// Output:
	// 30-day volume $0: taker 0.4%
	// 30-day volume $25000: taker 0.35%
}
