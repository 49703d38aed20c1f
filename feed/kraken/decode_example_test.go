package kraken_test

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

func ExampleDecoder_Decode() {
	d := kraken.NewDecoder()
	frames := []string{
		// v1: a trade array; XBT/USD is BTC/USD in papertrade.
		`[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""],["6060.00000","0.02455000","1534614057.324998","b","l",""]],"trade","XBT/USD"]`,
		// v2: a book update; numbers keep the precision they were sent with.
		`{"channel":"book","type":"update","data":[{"symbol":"ALGO/USD","bids":[{"price":0.12275,"qty":6597.51731160}],"asks":[],"checksum":1100635717,"timestamp":"2024-10-03T02:46:57.050170Z"}]}`,
		// Not JSON at all: an error that says so, and no events.
		`CloudFlare WebSocket proxy restarting`,
	}
	var evs []feed.Event // reused across frames, as a connection's read loop would
	for _, f := range frames {
		var err error
		evs, err = d.Decode([]byte(f), time.Now(), evs[:0])
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		for _, ev := range evs {
			switch ev.Kind {
			case feed.KindTrade:
				fmt.Println(ev.API, ev.Kind, ev.Pair, ev.Trade.Side, kraken.DecimalText(ev.Trade.Price), kraken.DecimalText(ev.Trade.Qty), ev.Time.Format(time.RFC3339Nano))
			case feed.KindBook:
				fmt.Println(ev.API, ev.Kind, ev.Pair, "bid", ev.Book.Bids[0].Price, ev.Book.Bids[0].Qty, "checksum", ev.Book.Checksum)
			}
		}
	}
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// v1 trade BTC/USD sell 5541.20000 0.15850568 2018-08-18T17:40:57.321597Z
	// v1 trade BTC/USD buy 6060.00000 0.02455000 2018-08-18T17:40:57.324998Z
	// v2 book ALGO/USD bid 0.12275 6597.51731160 checksum 1100635717
	// error: kraken: frame at byte 0: not JSON: "CloudFlare WebSocket proxy restarting"
	// {Frames:3 Events:3 Unknown:0 UnknownFields:0 Malformed:{NotJSON:1 Syntax:0 Truncated:0 Shape:0 Number:0 Time:0 Symbol:0}}
}
