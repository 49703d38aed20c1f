package synth_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/synth"
)

// A seeded BTC/USD market with a three-level book: the snapshot, then steps of trades (each
// followed by the update that takes its quantity off the touch) and book updates.
func ExampleMarket_Next() {
	m, err := synth.New(synth.Config{Seed: 1, Pairs: []synth.PairConfig{{
		Info: feed.PairInfo{Pair: "BTC/USD", PriceDecimals: 1, LotDecimals: 8,
			OrderMin: decimal.RequireFromString("0.0001")},
		StartPrice: decimal.RequireFromString("60000"),
		Depth:      3,
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var evs []feed.Event
	for range 6 {
		evs = m.Next(evs[:0])
		for _, e := range evs {
			fmt.Println(describe(&e))
		}
	}
	// Output:
	// 00:00:00.000000 snapshot bid 59999.9×0.26576177 bid 59999.1×0.40659447 bid 59997.6×0.39938313 ask 60000.0×0.24246770 ask 60000.5×0.58379565 ask 60000.6×1.30541422
	// 00:00:01.286721 trade #1 buy market 0.03427307 @ 60000.0
	// 00:00:01.286721 update   ask 60000.0×0.20819463
	// 00:00:01.286721 update   bid 59999.9×0.00000000 bid 59997.2×0.38512539 ask 59999.6×0.22862297 ask 60000.6×0.00000000
	// 00:00:01.315716 update   bid 59997.2×0.09168999 ask 59999.6×0.00000000 ask 59999.8×0.49879918
	// 00:00:01.317928 update   bid 59999.1×0.00000000 bid 59997.5×0.53189991 bid 59997.8×0.24738453 bid 59997.2×0.00000000
	// 00:00:01.334225 update   bid 60000.2×0.27905446 bid 59997.5×0.00000000 ask 59999.8×0.00000000 ask 60000.0×0.00000000 ask 60001.4×0.27194468 ask 60002.3×0.26167311
	// 00:00:01.337863 update   bid 60000.2×0.00000000 bid 59997.7×0.25826815 bid 59998.6×0.26555640 bid 59997.6×0.00000000 ask 59998.7×0.51135486 ask 60002.3×0.00000000
}

func describe(e *feed.Event) string {
	var s strings.Builder
	s.WriteString(e.Time.Format("15:04:05.000000 "))
	switch e.Kind {
	case feed.KindTrade:
		t := e.Trade
		fmt.Fprintf(&s, "trade #%d %s %s %s @ %s", t.ID, t.Side, t.OrdType, t.Qty.StringFixed(8), t.Price.StringFixed(1))
	case feed.KindBook:
		if e.Book.Snapshot {
			s.WriteString("snapshot")
		} else {
			s.WriteString("update  ")
		}
		for _, l := range e.Book.Bids {
			fmt.Fprintf(&s, " bid %s×%s", l.Price, l.Qty)
		}
		for _, l := range e.Book.Asks {
			fmt.Fprintf(&s, " ask %s×%s", l.Price, l.Qty)
		}
	}
	return s.String()
}

// Running a market as a feed.Source: 1000 trades as fast as the receiver takes them, in
// batches of at most synth.BatchSize events. The receiver owns the channel and closes it
// once Run has returned.
func ExampleMarket_Source() {
	m, err := synth.New(synth.Config{Seed: 7, Pairs: []synth.PairConfig{
		{Info: feed.PairInfo{Pair: "BTC/USD", PriceDecimals: 1, LotDecimals: 8}, StartPrice: decimal.RequireFromString("60000")},
		{Info: feed.PairInfo{Pair: "ETH/USD", PriceDecimals: 2, LotDecimals: 8}, StartPrice: decimal.RequireFromString("3000")},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := make(chan []feed.Event)
	var g errgroup.Group
	g.Go(func() error {
		defer close(out)
		return m.Source(1000, 0).Run(context.Background(), out)
	})
	trades := map[feed.Pair]int{}
	for batch := range out {
		for _, e := range batch {
			if e.Kind == feed.KindTrade {
				trades[e.Pair]++
			}
		}
	}
	if err := g.Wait(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(trades["BTC/USD"]+trades["ETH/USD"], "trades;", m.Trades(), "generated")
	// Output: 1000 trades; 1000 generated
}
