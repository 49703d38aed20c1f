package kraken_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// conformanceRun is one source of TestClientConformance: the server it reads and how far
// the scenario got. Its faults are injected from the consumer's side (feedtest's enough
// callback), never from the client's goroutines.
type conformanceRun struct {
	srv                  *krakentest.Server
	scanned              int
	trades, tradesAfter  int
	corrupted, dropped   bool
	staleBook, resnapped bool
	tradeGaps            int
}

// TestClientConformance runs feed/feedtest's suite on kraken.Client reading the krakentest
// look-alike over loopback TCP, v1 and v2, through a corrupted book checksum (the book is
// reported stale, its updates withheld until the resubscribed snapshot) and a dropped
// connection with a 5-trade snapshot history, 300 market steps published while it cannot
// reconnect (so v2 reports the trades the snapshot cannot cover as an id gap, v1 its
// reconnect window). The suite keeps its own books at the
// subscribed depth and checks every delivered checksum.
func TestClientConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a few thousand events in real time")
	}
	pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
	for _, api := range apis {
		t.Run(api.String(), func(t *testing.T) {
			var cur, stream *conformanceRun // the source being read; the Stream subtest's
			newSource := func(t *testing.T) feed.Source {
				srv := krakentest.New(krakentest.WithMarket(synthMarket(t, 21, pairs...), 2000), krakentest.WithHistory(5))
				t.Cleanup(srv.Close)
				url := srv.URLv2()
				if api == feed.APIV1 {
					url = srv.URLv1()
				}
				cl, err := kraken.NewClient(kraken.ClientConfig{API: api, URL: url, Pairs: pairs, Channels: []string{"trade", "book"}, Depth: 10, Seed: 1,
					BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				cur = &conformanceRun{srv: srv}
				if stream == nil {
					stream = cur
				}
				return cl
			}
			enough := func(seen []feed.Event) bool {
				r := cur
				for ; r.scanned < len(seen); r.scanned++ {
					ev := &seen[r.scanned]
					switch {
					case ev.Kind == feed.KindTrade:
						r.trades++
						if r.dropped && ev.Conn >= 2 {
							r.tradesAfter++
						}
					case ev.Kind == feed.KindGap && ev.Gap.Channel == "book" && ev.Pair == "ETH/USD" && r.corrupted && ev.Conn == 1:
						r.staleBook = true
					case ev.Kind == feed.KindBook && ev.Book.Snapshot && ev.Pair == "ETH/USD" && r.staleBook && ev.Conn == 1:
						r.resnapped = true
					case ev.Kind == feed.KindGap && ev.Gap.Channel == "trade":
						r.tradeGaps++
					}
				}
				switch {
				case !r.corrupted && r.trades >= 200:
					if err := r.srv.CorruptNextChecksum("ETH/USD"); err != nil {
						panic(err) // a pair of the default table: cannot happen
					}
					r.corrupted = true
				case r.resnapped && !r.dropped:
					// Trades published while the client cannot reconnect are more than the
					// 5-trade snapshot history re-sends: a v2 id gap (a v1 reconnect window)
					// must be reported.
					r.srv.RefuseConnections(true)
					r.srv.DropAll()
					r.srv.Step(300)
					r.srv.RefuseConnections(false)
					r.dropped = true
				}
				// A stream that never shows its faults ends too, and fails the scenario's check.
				return r.dropped && r.tradesAfter >= 200 || len(seen) >= maxScenarioEvents
			}
			feedtest.Run(t, newSource, feedtest.Endless(enough), feedtest.VerifyBook(10, checksumVerifier(api)))
			if r := stream; r != nil {
				t.Logf("stream: %d trades (%d after the drop), %d trade gaps, ETH/USD book stale %v and re-snapshotted %v",
					r.trades, r.tradesAfter, r.tradeGaps, r.staleBook, r.resnapped)
				if !r.staleBook || !r.resnapped || !r.dropped || r.tradeGaps == 0 {
					t.Error("the stream ended before its faults were injected and seen: it proves less than it says")
				}
			}
		})
	}
}

// checksumVerifier checks a delivered book update's checksum against the suite's own book,
// at the pair's precision or the wire's, as the Normalizer does.
func checksumVerifier(api feed.API) func(b *feed.Book, u *feed.BookUpdate) error {
	pairs := kraken.DefaultPairs() // built once: it is a whole table
	return func(b *feed.Book, u *feed.BookUpdate) error {
		if !u.HasChecksum {
			return nil
		}
		pd, qd := int32(-1), int32(-1)
		if info, ok := pairs.Lookup(u.Pair); ok && api == feed.APIV2 {
			pd, qd = info.PriceDecimals, info.LotDecimals
		}
		if got := kraken.Checksum(b, pd, qd); got != u.Checksum && kraken.Checksum(b, -1, -1) != u.Checksum {
			return fmt.Errorf("%s checksum %d, the update says %d", u.Pair, got, u.Checksum)
		}
		return nil
	}
}

// maxScenarioEvents ends a fault scenario's stream that never shows its faults (about 50 s of
// the market), so it fails with what it saw instead of running until the test times out.
const maxScenarioEvents = 100_000
