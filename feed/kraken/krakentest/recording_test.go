package krakentest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
)

// sharedFixture returns the path of a file in ../shared/kraken/fixtures (found from the
// module root), skipping the test when the shared folder is absent, as on a user's clone.
func sharedFixture(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "kraken", "fixtures", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared fixture %s not available: %v", name, err)
	}
	return p
}

// TestReplayRealCaptureToBothAPIs replays a real v1 book-10 capture (python-kraken-sdk,
// 2023) and serves it to a v1 and a v2 client: the server re-derives every checksum and the
// clients' books end equal to the recorded one.
func TestReplayRealCaptureToBothAPIs(t *testing.T) {
	rec, err := krakentest.LoadRecording(context.Background(), sharedFixture(t, "python-kraken-sdk/orderbook-v1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// The book the recording itself describes, kept at its depth.
	want := feed.NewBook("BTC/USD", 10)
	for _, ev := range rec.Events {
		if ev.Kind == feed.KindBook {
			if err := want.Apply(ev.Book); err != nil {
				t.Fatal(err)
			}
		}
	}
	synctest.Test(t, func(t *testing.T) {
		srv := krakentest.NewPipe(krakentest.WithRecording(rec, false), krakentest.WithSpeed(1000))
		t.Cleanup(srv.Close)
		srv.SetSystemStatus(feed.SystemMaintenance) // hold the replay until both clients listen
		cls := map[feed.API]*kraken.Client{}
		outs := map[feed.API]chan []feed.Event{}
		errs := make(chan error, 2)
		ctx, cancel := context.WithCancel(context.Background())
		for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
			url := srv.URLv2()
			if api == feed.APIV1 {
				url = srv.URLv1()
			}
			cl, err := kraken.NewClient(kraken.ClientConfig{API: api, URL: url, Dialer: srv.Dialer(), Pairs: []feed.Pair{"BTC/USD"},
				Channels: []string{"book"}, Seed: 1, Buffer: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			cls[api], outs[api] = cl, make(chan []feed.Event, 1<<14)
			go func() { errs <- cl.Run(ctx, outs[api]) }()
			if err := srv.WaitSubscribers(ctx, api, "book", "BTC/USD", 1); err != nil {
				t.Fatal(err)
			}
		}
		srv.SetSystemStatus(feed.SystemOnline)
		if err := srv.WaitReplayDone(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the clients have read everything
		cancel()
		<-errs
		<-errs
		for api, out := range outs {
			got := feed.NewBook("BTC/USD", 10)
			updates := 0
			for len(out) > 0 {
				for _, ev := range <-out {
					if ev.Kind == feed.KindBook {
						updates++
						got.Apply(ev.Book)
					}
				}
			}
			st := cls[api].Stats()
			if st.ChecksumMismatches != 0 || updates < 500 {
				t.Errorf("%s: %d book events, stats %+v", api, updates, st)
			}
			for _, side := range []feed.Side{feed.Buy, feed.Sell} {
				for i := range want.Len(side) {
					if got.Len(side) != want.Len(side) || got.Level(side, i).Price.Cmp(want.Level(side, i).Price) != 0 || got.Level(side, i).Qty.Cmp(want.Level(side, i).Qty) != 0 {
						t.Fatalf("%s: final %s book differs from the recording's at level %d", api, side, i)
					}
				}
			}
		}
	})
}

// TestLoadRecordingFromTape writes frames with feed/tape and loads them back.
func TestLoadRecordingFromTape(t *testing.T) {
	dir := t.TempDir()
	w, err := tape.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	frames := []string{
		`{"channel":"status","data":[{"api_version":"v2","connection_id":1,"system":"online","version":"2.0.10"}],"type":"update"}`,
		`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":50000.1,"qty":0.01000000,"ord_type":"limit","trade_id":7,"timestamp":"2026-03-01T00:00:01.000000Z"}]}`,
		`{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":50000.0,"qty":1.00000000}],"asks":[{"price":50000.2,"qty":2.00000000}]}]}`,
	}
	for i, f := range frames {
		if err := w.Write(tape.Frame{Recv: t0.Add(time.Duration(i) * time.Second), API: feed.APIV2, Conn: 1, Raw: []byte(f)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := krakentest.LoadRecording(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 2 || rec.Events[0].Kind != feed.KindTrade || rec.Events[0].Trade.ID != 7 || rec.Events[1].Kind != feed.KindBook ||
		!rec.Events[1].Recv.Equal(t0.Add(2*time.Second)) {
		t.Errorf("events %+v", rec.Events)
	}
	// A book whose checksum does not verify is not served: replays apply the client's rules.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(frames[1]+"\n"+strings.Replace(frames[2], `]}]}`, `],"checksum":1}]}`, 1)+"\n"), 0o644)
	if rec, err := krakentest.LoadRecording(context.Background(), bad); err != nil || len(rec.Events) != 1 || rec.Events[0].Kind != feed.KindTrade {
		t.Errorf("bad checksum: %v %v", rec, err)
	}
	// Bare frames, one per line.
	p := filepath.Join(t.TempDir(), "frames.jsonl")
	os.WriteFile(p, []byte(frames[1]+"\n"+frames[2]+"\n"), 0o644)
	if rec, err := krakentest.LoadRecording(context.Background(), p); err != nil || len(rec.Events) != 2 {
		t.Errorf("bare frames: %v %v", rec, err)
	}
}
