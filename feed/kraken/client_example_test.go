package kraken_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// ExampleClient streams trades from a local Kraken look-alike; against Kraken itself, leave
// URL and Dialer unset.
func ExampleClient() {
	srv := krakentest.New()
	defer srv.Close()

	cl, err := kraken.NewClient(kraken.ClientConfig{
		Pairs:    []feed.Pair{"BTC/USD"},
		Channels: []string{"trade"},
		URL:      srv.URLv2(),
		Dialer:   srv.Dialer(),
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []feed.Event, 8)
	done := make(chan error, 1)
	go func() { done <- cl.Run(ctx, out) }()

	published := false
	for trades := 0; trades < 2; {
		for _, ev := range <-out {
			switch ev.Kind {
			case feed.KindAck:
				fmt.Println("subscribed:", ev.Ack.Channel, ev.Pair, ev.Ack.Success)
				if !published { // the server publishes two trades once we listen
					published = true
					t := time.Date(2026, 5, 1, 12, 0, 1, 0, time.UTC)
					for _, px := range []string{"50000.1", "50000.2"} {
						srv.Publish(feed.Event{Kind: feed.KindTrade, Time: t, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy,
							OrdType: feed.OrdMarket, Price: decimal.RequireFromString(px), Qty: decimal.RequireFromString("0.01"), Time: t}})
					}
				}
			case feed.KindTrade:
				tr := ev.Trade
				fmt.Println(tr.Pair, tr.Side, tr.Qty, "@", tr.Price, "#", tr.ID)
				trades++
			}
		}
	}
	cancel()
	fmt.Println(<-done)
	// Output:
	// subscribed: trade BTC/USD true
	// BTC/USD buy 0.01 @ 50000.1 # 1
	// BTC/USD buy 0.01 @ 50000.2 # 2
	// context canceled
}
