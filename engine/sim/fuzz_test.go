package sim

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// FuzzExchange feeds the exchange operations decoded from arbitrary bytes, with extreme and
// malformed values (zero, negative and huge prices and quantities, unknown kinds and sides,
// nil payloads, times going backwards), and requires that it never panics and that its
// invariants hold after every operation.
func FuzzExchange(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("trade book submit cancel amend advance status"))
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 255, 255, 255, 255, 255, 255, 255, 127, 1, 0, 1, 2})
	f.Add([]byte{2, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 4, 4, 4})
	f.Fuzz(fuzzOps)
}

// fuzzOps runs the operations encoded in data.
func fuzzOps(t *testing.T, data []byte) {
	pairs := testPairs()
	led := ledger.New("USD")
	_ = led.Deposit("USD", decimal.NewFromInt(100000))
	_ = led.Deposit("BTC", decimal.NewFromInt(2))
	e := New(Config{Seed: 3, Jitter: time.Millisecond, SlippageBps: decimal.NewFromInt(3)},
		func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }, led)
	var ids []strategy.OrderID
	now := t0
	next := func(n int) uint64 {
		if len(data) < n {
			data = nil
			return 0
		}
		var b [8]byte
		copy(b[:], data[:n])
		data = data[n:]
		return binary.LittleEndian.Uint64(b[:])
	}
	num := func() decimal.Decimal {
		v := int64(next(3)) - 1<<20
		exp := int32(next(1)%24) - 12
		return decimal.New(v, exp)
	}
	fix := func() feed.Fixed { return feed.Fixed{Mant: int64(next(3)) - 1000, Scale: int32(next(1) % 20)} }
	for len(data) > 0 {
		now = now.Add(time.Duration(int64(next(1))-64) * time.Millisecond)
		pair := []feed.Pair{"BTC/USD", "ETH/BTC", "NOPE/USD", ""}[next(1)%4]
		switch next(1) % 8 {
		case 0:
			e.OnEvent(&feed.Event{Kind: feed.KindTrade, Pair: pair, Time: now,
				Trade: feed.Trade{Pair: pair, Side: feed.Side(next(1) % 3), Price: num(), Qty: num(), ID: next(2)}})
		case 1:
			u := &feed.BookUpdate{Pair: pair, Snapshot: next(1)%2 == 0}
			for range next(1) % 4 {
				u.Bids = append(u.Bids, feed.BookLevel{Price: fix(), Qty: fix()})
				u.Asks = append(u.Asks, feed.BookLevel{Price: fix(), Qty: fix()})
			}
			if next(1)%5 == 0 {
				u = nil
			}
			e.OnEvent(&feed.Event{Kind: feed.KindBook, Pair: pair, Time: now, Book: u})
		case 2, 3:
			o := strategy.Order{Pair: pair, Side: feed.Side(next(1) % 3), Type: strategy.OrderType(next(1) % 10),
				Qty: num(), Price: num(), Price2: num(), Offset: strategy.OffsetKind(next(1) % 3),
				TimeInForce: strategy.TimeInForce(next(1) % 4), ExpireTime: now.Add(time.Duration(next(1)) * time.Millisecond),
				PostOnly: next(1)%3 == 0}
			if next(1)%4 == 0 {
				o.Close = &strategy.CloseOrder{Type: strategy.OrderType(next(1) % 10), Price: num(), Price2: num()}
			}
			if id, err := e.Submit(now, 0, o); err == nil {
				ids = append(ids, id)
			} else if _, ok := err.(*strategy.KrakenError); !ok {
				t.Fatalf("non-Kraken rejection: %v", err)
			}
		case 4:
			if len(ids) > 0 {
				_ = e.Cancel(now, ids[next(1)%uint64(len(ids))])
			}
		case 5:
			if len(ids) > 0 {
				_ = e.Amend(now, ids[next(1)%uint64(len(ids))], Amendment{Qty: num(), LimitPrice: num(), TriggerPrice: num()})
			}
		case 6:
			e.Advance(now)
		case 7:
			kinds := []feed.Kind{feed.KindStatus, feed.KindInstrument, feed.KindGap, feed.KindTicker, feed.KindHeartbeat}
			ev := &feed.Event{Kind: kinds[next(1)%5], Pair: pair, Time: now}
			switch ev.Kind {
			case feed.KindStatus:
				ev.Status = &feed.Status{System: []feed.SystemState{"online", "maintenance", "cancel_only", "post_only", ""}[next(1)%5]}
			case feed.KindInstrument:
				ev.Instrument = &feed.Instrument{Pairs: []feed.PairInfo{{Pair: pair, Status: feed.PairStatus([]string{"online", "cancel_only", "limit_only", ""}[next(1)%4])}}}
			case feed.KindGap:
				ev.Gap = &feed.Gap{Channel: "book"}
			case feed.KindTicker:
				ev.Ticker = &feed.Ticker{Pair: pair, Bid: num(), Ask: num()}
			}
			e.OnEvent(ev)
		}
		if err := e.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
