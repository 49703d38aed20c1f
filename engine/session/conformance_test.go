package session_test

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
)

// faultScenario injects a corrupted ETH/USD checksum and then a dropped connection into a
// krakentest server from the consumer's side (feedtest's enough callback), and says when the
// stream has shown both and 200 trades since.
type faultScenario struct {
	srv                            *krakentest.Server
	scanned, trades, tradesAfter   int
	corrupted, dropped, stale, re  bool
	tradeGaps, bookGaps, snapshots int
}

func (r *faultScenario) enough(seen []feed.Event) bool {
	for ; r.scanned < len(seen); r.scanned++ {
		ev := &seen[r.scanned]
		switch {
		case ev.Kind == feed.KindTrade:
			r.trades++
			if r.dropped && ev.Conn >= 2 {
				r.tradesAfter++
			}
		case ev.Kind == feed.KindGap && ev.Gap.Channel == "trade":
			r.tradeGaps++
		case ev.Kind == feed.KindGap && ev.Gap.Channel == "book":
			r.bookGaps++
			r.stale = r.stale || (r.corrupted && ev.Pair == "ETH/USD")
		case ev.Kind == feed.KindBook && ev.Book.Snapshot:
			r.snapshots++
			r.re = r.re || (r.stale && ev.Pair == "ETH/USD")
		}
	}
	switch {
	case !r.corrupted && r.trades >= 200:
		if err := r.srv.CorruptNextChecksum("ETH/USD"); err != nil {
			panic(err) // a pair of the default table: cannot happen
		}
		r.corrupted = true
	case r.re && !r.dropped:
		// Trades published while the client cannot reconnect are more than the 5-trade
		// snapshot history re-sends: a v2 id gap (a v1 reconnect window) must be reported.
		r.srv.RefuseConnections(true)
		r.srv.DropAll()
		r.srv.Step(300)
		r.srv.RefuseConnections(false)
		r.dropped = true
	}
	// A stream that never shows its faults ends too, and fails the scenario's check.
	return r.dropped && r.tradesAfter >= 200 || len(seen) >= maxScenarioEvents
}

// TestLiveConformance runs feed/feedtest's suite on the live session's source (kraken.Client
// through Live's tap, recording to a tape) over the krakentest look-alike, through a corrupted
// checksum and a dropped connection; then on TapeSource's replay of the Stream run's
// recording, which must conform too — the gaps, stale books and re-snapshots included.
func TestLiveConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a few thousand events in real time")
	}
	clientCfg := kraken.ClientConfig{API: feed.APIV2, Pairs: testPairs, Channels: []string{"trade", "book"}, Depth: 10, Seed: 2,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond}
	var cur, first *faultScenario
	var recorded string
	keep := t // the recordings outlive the subtests that make them
	newLive := func(t *testing.T) feed.Source {
		srv := krakentest.New(krakentest.WithMarket(synthMarket(t, 31), 2000), krakentest.WithHistory(5))
		t.Cleanup(srv.Close)
		dir := keep.TempDir()
		w, err := tape.NewWriter(dir, tape.WithName("live"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		})
		cc := clientCfg
		cc.URL = srv.URLv2()
		live, err := session.NewLive(session.LiveConfig{Client: cc, Tape: w})
		if err != nil {
			t.Fatal(err)
		}
		cur = &faultScenario{srv: srv}
		if first == nil {
			first, recorded = cur, dir
		}
		return live
	}
	t.Run("Live", func(t *testing.T) {
		feedtest.Run(t, newLive, feedtest.Endless(func(seen []feed.Event) bool { return cur.enough(seen) }))
	})
	if first == nil || !first.re || !first.dropped || first.tradeGaps == 0 {
		t.Fatalf("the live stream ended before its faults were seen: %+v", first)
	}
	t.Logf("live: %d trades, %d trade gaps, %d book gaps, %d snapshots", first.trades, first.tradeGaps, first.bookGaps, first.snapshots)
	t.Run("Replay", func(t *testing.T) {
		feedtest.Run(t, func(t *testing.T) feed.Source {
			r, err := tape.Open(recorded)
			if err != nil {
				t.Fatal(err)
			}
			return session.TapeSource(r, kraken.NewNormalizer(clientCfg.NormalizerConfig()), nil)
		}, feedtest.Deterministic())
	})
}

// maxScenarioEvents ends a fault scenario's stream that never shows its faults (about 50 s of
// the market), so it fails with what it saw instead of running until the test times out.
const maxScenarioEvents = 100_000
