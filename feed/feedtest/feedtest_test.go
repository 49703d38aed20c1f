package feedtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func trade(p feed.Pair, id uint64, sec int, price, qty string) feed.Event {
	tm := t0.Add(time.Duration(sec) * time.Second)
	return feed.Event{Kind: feed.KindTrade, API: feed.APIV2, Pair: p, Time: tm, Recv: tm,
		Trade: feed.Trade{Pair: p, Side: feed.Buy, Price: decimal.RequireFromString(price), Qty: decimal.RequireFromString(qty), ID: id, Time: tm}}
}

func gap(p feed.Pair, channel string, from, to, missing uint64, sec int) feed.Event {
	tm := t0.Add(time.Duration(sec) * time.Second)
	return feed.Event{Kind: feed.KindGap, Pair: p, Time: tm, Recv: tm,
		Gap: &feed.Gap{Channel: channel, FromID: from, ToID: to, Missing: missing, Reason: "test"}}
}

func book(p feed.Pair, snapshot bool, sec int, bids ...string) feed.Event {
	tm := t0.Add(time.Duration(sec) * time.Second)
	u := &feed.BookUpdate{Pair: p, Snapshot: snapshot, Time: tm}
	for i := 0; i+1 < len(bids); i += 2 {
		u.Bids = append(u.Bids, feed.BookLevel{Price: feed.MustFixed(bids[i]), Qty: feed.MustFixed(bids[i+1])})
	}
	return feed.Event{Kind: feed.KindBook, Pair: p, Time: tm, Recv: tm, Book: u}
}

// TestCheck: one stream that keeps every rule, then one broken stream per rule; each must be
// caught with a message that names the rule.
func TestCheck(t *testing.T) {
	const btc = feed.Pair("BTC/USD")
	good := []feed.Event{
		{Kind: feed.KindStatus, Recv: t0, Status: &feed.Status{System: feed.SystemOnline}},
		book(btc, true, 0, "100", "1", "99", "2"),
		trade(btc, 10, 1, "100", "0.5"),
		trade(btc, 11, 1, "100", "0.5"),
		gap(btc, "trade", 12, 14, 3, 2),
		trade(btc, 15, 2, "101", "1"),
		book(btc, false, 3, "100", "0"),
		gap(btc, "book", 0, 0, 0, 4),
		book(btc, true, 5, "98", "1"),
		book(btc, false, 6, "97", "1"),
		{Kind: feed.KindHeartbeat, Recv: t0.Add(6 * time.Second)},
	}
	if err := feedtest.Check(good); err != nil {
		t.Fatalf("a conforming stream failed: %v", err)
	}
	with := func(i int, f func(e *feed.Event)) []feed.Event {
		evs := append([]feed.Event(nil), good...)
		e := evs[i]
		if e.Gap != nil {
			g := *e.Gap
			e.Gap = &g
		}
		f(&e)
		evs[i] = e
		return evs
	}
	drop := func(i int) []feed.Event { return append(append([]feed.Event(nil), good[:i]...), good[i+1:]...) }
	for _, tc := range []struct {
		name string
		evs  []feed.Event
		want string
	}{
		{"stamped", with(2, func(e *feed.Event) { e.Seq = 7 }), "Seq 7"},
		{"two payloads", with(2, func(e *feed.Event) { e.Gap = &feed.Gap{} }), "Event.Gap is set on a trade event"},
		{"missing payload", with(0, func(e *feed.Event) { e.Status = nil }), "Event.Status is nil"},
		{"trade on a gap", with(4, func(e *feed.Event) { e.Trade.Qty = decimal.NewFromInt(1) }), "Event.Trade is set on a gap event"},
		{"unknown kind", with(10, func(e *feed.Event) { e.Kind = 99 }), "not one of feed's kinds"},
		{"pair mismatch", with(2, func(e *feed.Event) { e.Pair = "ETH/USD" }), "payload's pair"},
		{"recv back", with(3, func(e *feed.Event) { e.Recv = t0.Add(-time.Second) }), "receive time went back"},
		{"zero qty", with(2, func(e *feed.Event) { e.Trade.Qty = decimal.Zero }), "must be positive"},
		{"no side", with(2, func(e *feed.Event) { e.Trade.Side = 0 }), "neither buy nor sell"},
		{"trade time back", with(3, func(e *feed.Event) { e.Trade.Time = t0 }), "before the pair's previous trade"},
		{"duplicate id", with(3, func(e *feed.Event) { e.Trade.ID = 10 }), "only go up"},
		{"unreported skip", drop(4), "no KindGap reporting the 3 missing"},
		{"gap size", with(4, func(e *feed.Event) { e.Gap.Missing = 2 }), "are 3 trades, Missing says 2"},
		{"gap not after last", with(4, func(e *feed.Event) { e.Gap.FromID, e.Gap.Missing = 13, 2 }), "do not start after"},
		{"trade not after gap", with(5, func(e *feed.Event) { e.Trade.ID = 16 }), "want 15"},
		{"gap without reason", with(4, func(e *feed.Event) { e.Gap.Reason = "" }), "says its channel and why"},
		{"update before snapshot", drop(1), "before the pair's first snapshot"},
		{"update while stale", drop(8), "while the pair's book is stale"},
		{"zero level in snapshot", with(1, func(e *feed.Event) {
			u := *e.Book
			u.Bids = []feed.BookLevel{{Price: feed.MustFixed("100"), Qty: feed.MustFixed("0")}}
			e.Book = &u
		}), "zero only to delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := feedtest.Check(tc.evs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestCheckerVerifyBook: the checker keeps books at BookDepth, and a book that fails the
// source's own verification is reported.
func TestCheckerVerifyBook(t *testing.T) {
	var bad bool
	c := feedtest.Checker{BookDepth: 1, VerifyBook: func(b *feed.Book, u *feed.BookUpdate) error {
		if n := b.Len(feed.Buy); n != 1 {
			t.Errorf("the checker's book keeps %d bids at depth 1", n)
		}
		if bad {
			return errors.New("checksum 1 != 2")
		}
		return nil
	}}
	ev := book("BTC/USD", true, 0, "100", "1", "99", "1")
	if err := c.Event(&ev); err != nil {
		t.Fatalf("a book that verifies: %v", err)
	}
	bad = true
	ev = book("BTC/USD", false, 1, "101", "1")
	if err := c.Event(&ev); err == nil || !strings.Contains(err.Error(), "book does not verify: checksum 1 != 2") {
		t.Errorf("got %v", err)
	}
	if c.Events() != 2 {
		t.Errorf("Events() = %d", c.Events())
	}
}

func synthMarket(t testing.TB, seed uint64) *synth.Market {
	t.Helper()
	var pcs []synth.PairConfig
	for _, pp := range [...]struct {
		pair  feed.Pair
		price string
	}{{"BTC/USD", "60000"}, {"ETH/USD", "3000"}} {
		p, price := pp.pair, pp.price
		info, ok := kraken.DefaultPairs().Lookup(p)
		if !ok {
			t.Fatalf("pair %s not in the default table", p)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(price)})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSynthSource: the generated market as a finite, deterministic source.
func TestSynthSource(t *testing.T) {
	feedtest.Run(t, func(t *testing.T) feed.Source { return synthMarket(t, 5).Source(3000, 0) }, feedtest.Deterministic())
}
