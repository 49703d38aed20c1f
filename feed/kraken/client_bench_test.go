package kraken_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

var benchPairs = []feed.Pair{"BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD"}

// captureFrames records n data frames (book snapshots first) that a client receives from a
// feed/synth market on api, subscribed to trade and book for benchPairs.
func captureFrames(b *testing.B, api feed.API, n int) [][]byte {
	srv := krakentest.New(krakentest.WithMarket(synthMarket(b, 12, benchPairs...), 0), krakentest.WithQueueLimit(1<<24))
	defer srv.Close()
	srv.Step(10)
	var (
		mu     sync.Mutex
		frames [][]byte
	)
	isData := func(raw []byte) bool {
		return raw[0] == '[' || bytes.HasPrefix(raw, []byte(`{"channel":"book"`)) || bytes.HasPrefix(raw, []byte(`{"channel":"trade"`))
	}
	r := runBench(b, srv, api, func(_ time.Time, _ feed.API, _ uint32, raw []byte) {
		if isData(raw) { // the replaying server sends its own status and acks
			mu.Lock()
			frames = append(frames, append([]byte(nil), raw...))
			mu.Unlock()
		}
	})
	defer r.stop()
	r.waitSubscribed()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(frames) }
	for count() < n {
		srv.Step(n - count())
		srv.Send([]byte(`{"marker":1}`)) // not data: tells when the step's frames are in
		for r.cl.Stats().Malformed == 0 && r.cl.Stats().Frames < srv.FramesSent("trade")+srv.FramesSent("book")+srv.FramesSent("raw") {
			r.drain(time.Minute)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return frames[:n]
}

type benchRun struct {
	b      *testing.B
	cl     *kraken.Client
	srv    *krakentest.Server
	api    feed.API
	out    chan []feed.Event
	done   chan error
	cancel context.CancelFunc
	events int
}

func runBench(b *testing.B, srv *krakentest.Server, api feed.API, tap func(time.Time, feed.API, uint32, []byte)) *benchRun {
	url := srv.URLv2()
	if api == feed.APIV1 {
		url = srv.URLv1()
	}
	cl, err := kraken.NewClient(kraken.ClientConfig{API: api, URL: url, Dialer: srv.Dialer(), Pairs: benchPairs,
		Channels: []string{"trade", "book"}, Buffer: 1 << 22, Seed: 1, OnFrame: tap, DeliverFirstTradeSnapshot: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &benchRun{b: b, cl: cl, srv: srv, api: api, out: make(chan []feed.Event, 4096), done: make(chan error, 1), cancel: cancel}
	go func() { r.done <- cl.Run(ctx, r.out) }()
	return r
}

func (r *benchRun) waitSubscribed() {
	for _, p := range benchPairs {
		if err := r.srv.WaitSubscribers(context.Background(), r.api, "book", p, 1); err != nil {
			r.b.Fatal(err)
		}
	}
}

// drain consumes delivered batches for a while (the guard only turns a hang into a failure).
func (r *benchRun) drain(guard time.Duration) {
	select {
	case batch := <-r.out:
		r.events += len(batch)
	case <-time.After(guard):
		r.b.Fatalf("no events for %v; stats %+v", guard, r.cl.Stats())
	}
}

func (r *benchRun) stop() {
	r.cancel()
	<-r.done
}

// BenchmarkClientLoopback measures the client on one connection over loopback TCP: read,
// decode, books with checksum verification, trade dedupe, delivery. The frames were captured
// from a feed/synth market beforehand and are replayed verbatim by a server that only writes
// them, so the timed work is the client's (plus the server's socket writes on the other core).
// b.N is the number of frames.
func BenchmarkClientLoopback(b *testing.B) {
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		b.Run(api.String(), func(b *testing.B) {
			frames := captureFrames(b, api, b.N+len(benchPairs)+64)
			srv := krakentest.New(krakentest.WithQueueLimit(1 << 24))
			defer srv.Close()
			r := runBench(b, srv, api, nil)
			defer r.stop()
			r.waitSubscribed()
			for r.cl.Stats().Frames < 1+2*uint64(len(benchPairs)) { // status, acks, empty trade snapshots
				select {
				case batch := <-r.out:
					r.events += len(batch)
				case <-time.After(10 * time.Millisecond):
				}
			}
			f0, e0 := r.cl.Stats().Frames, r.events
			b.ReportAllocs()
			b.ResetTimer()
			go func() {
				for _, f := range frames {
					srv.Send(f)
				}
			}()
			for r.cl.Stats().Frames-f0 < uint64(len(frames)) {
				r.drain(time.Minute)
			}
			b.StopTimer()
			n := r.cl.Stats().Frames - f0
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(r.events-e0)/float64(n), "events/frame")
			if st := r.cl.Stats(); st.ChecksumMismatches != 0 || st.Malformed != 0 {
				b.Errorf("stats %+v", st)
			}
		})
	}
}
