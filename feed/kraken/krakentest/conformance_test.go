package krakentest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
)

// TestEveryFrameDecodes subscribes to every channel on both APIs over a feed/synth market and
// requires every frame the server sends to decode with the codec's Decoder, and every book
// stream (depths 10 and 100) to verify its checksums from the decoded events.
func TestEveryFrameDecodes(t *testing.T) {
	pairs := []feed.Pair{"BTC/USD", "ETH/BTC", "DOGE/USD", "ADA/USD"}
	prices := map[feed.Pair]string{"BTC/USD": "60000", "ETH/BTC": "0.05", "DOGE/USD": "0.15", "ADA/USD": "0.45"}
	var pcs []synth.PairConfig
	for _, p := range pairs {
		pcs = append(pcs, synth.PairConfig{Info: pairInfo(t, p), StartPrice: decimal.RequireFromString(prices[p])})
	}
	m, err := synth.New(synth.Config{Seed: 9, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, krakentest.WithMarket(m, 0))
	srv.Step(20)
	table := kraken.DefaultPairs()
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		for _, depth := range []int{10, 100} {
			t.Run(fmt.Sprintf("%s/book-%d", api, depth), func(t *testing.T) {
				var c *wsClient
				var reqs []kraken.Request
				channels := []string{"trade", "ticker", "ohlc", "book"}
				if api == feed.APIV1 {
					c = dial(t, srv, srv.URLv1())
					channels = append(channels, "spread")
				} else {
					c = dial(t, srv, srv.URLv2())
					reqs = append(reqs, kraken.Request{Method: "subscribe", Channel: "instrument", Snapshot: true})
				}
				for _, ch := range channels {
					r := kraken.Request{Method: "subscribe", Channel: ch, Pairs: pairs, Snapshot: true}
					switch ch {
					case "book":
						r.Depth = depth
					case "ohlc":
						r.Interval = 5
					}
					reqs = append(reqs, r)
				}
				for _, r := range reqs {
					var b []byte
					var err error
					if api == feed.APIV1 {
						b, err = r.AppendV1(nil)
					} else {
						b, err = r.AppendV2(nil)
					}
					if err != nil {
						t.Fatal(err)
					}
					c.send(string(b))
				}
				dec := kraken.NewDecoder()
				books := map[feed.Pair]*feed.Book{}
				kinds := map[feed.Kind]int{}
				verified, frames := 0, 0
				check := func(b []byte) {
					frames++
					var evs []feed.Event
					var err error
					if api == feed.APIV1 {
						evs, err = dec.DecodeV1(b, time.Now(), nil)
					} else {
						evs, err = dec.DecodeV2(b, time.Now(), nil)
					}
					if err != nil {
						t.Fatalf("frame does not decode: %v\n%s", err, b)
					}
					for _, ev := range evs {
						kinds[ev.Kind]++
						if ev.Kind == feed.KindAck && !ev.Ack.Success {
							t.Errorf("failed ack %+v", ev.Ack)
						}
						if ev.Kind != feed.KindBook {
							continue
						}
						u := ev.Book
						bk := books[u.Pair]
						if bk == nil {
							if !u.Snapshot {
								t.Fatalf("update before snapshot: %s", b)
							}
							bk = feed.NewBook(u.Pair, depth)
							books[u.Pair] = bk
						}
						if err := bk.Apply(u); err != nil {
							t.Fatal(err)
						}
						if !u.HasChecksum {
							continue
						}
						pd, qd := int32(-1), int32(-1)
						if api == feed.APIV2 {
							info, _ := table.Lookup(u.Pair)
							pd, qd = info.PriceDecimals, info.LotDecimals
						}
						if got := kraken.Checksum(bk, pd, qd); got != u.Checksum {
							t.Fatalf("%s checksum %d, frame says %d: %s", u.Pair, got, u.Checksum, b)
						}
						verified++
					}
				}
				c.sync(api, 1, check)
				srv.Step(3000)
				c.sync(api, 2, check)
				for _, k := range []feed.Kind{feed.KindStatus, feed.KindAck, feed.KindTrade, feed.KindBook, feed.KindTicker, feed.KindCandle} {
					if kinds[k] == 0 {
						t.Errorf("no %s event in %d frames: %v", k, frames, kinds)
					}
				}
				if api == feed.APIV1 && kinds[feed.KindSpread] == 0 || api == feed.APIV2 && kinds[feed.KindInstrument] == 0 {
					t.Errorf("kinds %v", kinds)
				}
				if verified < 1000 || len(books) != len(pairs) {
					t.Errorf("%d checksums verified over %d books", verified, len(books))
				}
				if st := dec.Stats(); st.Unknown != 0 || st.UnknownFields != 0 {
					t.Errorf("decoder skipped something: %+v", st)
				}
			})
		}
	}
}
