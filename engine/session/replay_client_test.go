package session_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testPairs = []feed.Pair{"BTC/USD", "ETH/USD"}

func synthMarket(t testing.TB, seed uint64) *synth.Market {
	t.Helper()
	var pcs []synth.PairConfig
	for _, p := range testPairs {
		info, ok := kraken.DefaultPairs().Lookup(p)
		if !ok {
			t.Fatalf("pair %s missing", p)
		}
		price := map[feed.Pair]string{"BTC/USD": "60000", "ETH/USD": "3000"}[p]
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(price)})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// renderEvent prints everything an engine could read from an event.
func renderEvent(e *feed.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s api=%s conn=%d %s t=%d r=%d", e.Kind, e.API, e.Conn, e.Pair, e.Time.UnixNano(), e.Recv.UnixNano())
	switch {
	case e.Kind == feed.KindTrade:
		tr := e.Trade
		fmt.Fprintf(&b, " id=%d %s %s@%s %s t=%d", tr.ID, tr.Side, tr.Qty, tr.Price, tr.OrdType, tr.Time.UnixNano())
	case e.Book != nil:
		fmt.Fprintf(&b, " %+v", *e.Book)
	case e.Gap != nil:
		g := e.Gap
		fmt.Fprintf(&b, " %s ids=%d-%d missing=%d %d..%d %q", g.Channel, g.FromID, g.ToID, g.Missing, g.From.UnixNano(), g.To.UnixNano(), g.Reason)
	case e.Status != nil:
		fmt.Fprintf(&b, " %+v", *e.Status)
	case e.Ack != nil:
		fmt.Fprintf(&b, " %+v", *e.Ack)
	case e.Ticker != nil:
		fmt.Fprintf(&b, " %+v", *e.Ticker)
	}
	return b.String()
}

// A replay is checked against the live client: a kraken.Normalizer fed the frames a
// kraken.Client read — through two dropped connections, a corrupted book checksum, a
// malformed frame — yields exactly the events the client delivered.
func TestReplayMatchesTheClient(t *testing.T) {
	for _, api := range []feed.API{feed.APIV2, feed.APIV1} {
		t.Run(api.String(), func(t *testing.T) {
			srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(synthMarket(t, 7), 3000))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var mu sync.Mutex
			var frames []tape.Frame
			url := srv.URLv2()
			if api == feed.APIV1 {
				url = srv.URLv1()
			}
			cfg := kraken.ClientConfig{API: api, URL: url, Pairs: testPairs, Channels: []string{"trade", "book"}, Depth: 10, Seed: 1,
				OnFrame: func(recv time.Time, api feed.API, conn uint32, raw []byte) {
					mu.Lock()
					frames = append(frames, tape.Frame{Recv: time.Unix(0, recv.UnixNano()).UTC(), API: api, Conn: conn, Raw: append([]byte(nil), raw...)})
					mu.Unlock()
				}}
			cl, err := kraken.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := make(chan []feed.Event, 64)
			errc := make(chan error, 1)
			go func() { errc <- cl.Run(ctx, out) }()

			var got []feed.Event
			phase, trades, conn := 0, 0, uint32(1)
			bookGap := false
			deadline := time.After(60 * time.Second) // a guard against hanging, not a wait
		read:
			for {
				var b []feed.Event
				select {
				case b = <-out:
				case <-deadline:
					t.Fatalf("phase %d not reached in time", phase)
				}
				for i := range b {
					e := &b[i]
					got = append(got, *e)
					if e.Kind == feed.KindTrade {
						trades++
					}
					if e.Conn > conn {
						conn = e.Conn
					}
					if e.Kind == feed.KindGap && e.Gap.Channel == "book" && strings.Contains(e.Gap.Reason, "checksum") {
						bookGap = true
					}
				}
				switch {
				case phase == 0 && trades >= 300:
					srv.DropAll()
					phase, trades = 1, 0
				case phase == 1 && conn >= 2 && trades >= 300:
					if err := srv.CorruptNextChecksum("BTC/USD"); err != nil {
						t.Fatal(err)
					}
					phase = 2
				case phase == 2 && bookGap:
					srv.SendMalformed()
					srv.DropAll()
					phase, trades = 3, 0
				case phase == 3 && conn >= 3 && trades >= 300:
					break read
				}
			}
			cancel()
			if err := <-errc; err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
			for len(out) > 0 {
				got = append(got, <-out...)
			}
			mu.Lock()
			fr := frames
			mu.Unlock()
			st := kraken.NewNormalizer(cfg.NormalizerConfig())
			var want []feed.Event
			for _, f := range fr {
				want = st.Frame(f, want)
			}
			if len(got) > len(want) {
				t.Fatalf("client delivered %d events, the stream made %d from its frames", len(got), len(want))
			}
			for i := range got {
				if g, w := renderEvent(&got[i]), renderEvent(&want[i]); g != w {
					t.Fatalf("event %d of %d:\nclient %s\nstream %s", i, len(got), g, w)
				}
			}
			s := st.Stats()
			if s.Connections < 3 || s.ChecksumMismatches < 1 || s.StaleBooks < 2 || (api == feed.APIV2 && s.Duplicates == 0) {
				t.Fatalf("the faults were not exercised: %+v", s)
			}
			t.Logf("%d events compared; stream stats %+v", len(got), s)
		})
	}
}
