package session_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
)

// guard fails a test that waits on something that never comes; it is a hang detector, not a
// timing assertion (the awaited events arrive within milliseconds when the code is right).
const guard = 60 * time.Second

// TestLiveReaderNotHeldByObservers: the socket reader only reads, normalises and hands the
// events over; observers and the tape run elsewhere. With the observer stuck on its first
// batch, the engine keeps receiving events. Before, the observer and the tape's writes ran on
// the reader's goroutine after each hand-over, so one slow observer (the dashboard, a zstd
// flush) held every later frame.
func TestLiveReaderNotHeldByObservers(t *testing.T) {
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(synthMarket(t, 41), 2000))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w, err := tape.NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stuck := make(chan struct{})   // closed when the observer is stuck
	release := make(chan struct{}) // closed to unstick it
	var once sync.Once
	live, err := session.NewLive(session.LiveConfig{
		Client: kraken.ClientConfig{API: feed.APIV2, URL: srv.URLv2(), Pairs: testPairs, Channels: []string{"trade"}, Seed: 1},
		Tape:   w,
		Observe: func([]feed.Event) {
			once.Do(func() {
				close(stuck)
				<-release
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan []feed.Event, 1)
	errc := make(chan error, 1)
	go func() { errc <- live.Run(ctx, out) }()
	timeout := time.NewTimer(guard)
	defer timeout.Stop()
	after := 0 // trades the engine received while the observer was stuck
	stuckNow := stuck
	for after < 200 {
		select {
		case b := <-out:
			if stuckNow == nil {
				for i := range b {
					if b[i].Kind == feed.KindTrade {
						after++
					}
				}
			}
		case <-stuckNow:
			stuckNow = nil
		case <-timeout.C:
			close(release)
			cancel()
			t.Fatalf("the engine received %d trades in %v while an observer was stuck: the reader waits for observers", after, guard)
		}
	}
	close(release)
	cancel()
	for {
		select {
		case <-out: // the pump may be sending; Run returns once ctx ends
			continue
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v, want context.Canceled", err)
			}
		}
		break
	}
	// Every frame the engine took was recorded before Run returned.
	st := live.Stats()
	if st.Recorded == 0 || st.Queued != 0 {
		t.Errorf("after Run: %d frames recorded, %d still queued; want all recorded and none queued", st.Recorded, st.Queued)
	}
}

// TestLiveOverflowSaysWhatWasSlow: when frames wait past MaxFrames, Run stops with an
// *OverflowError that names the slow side and the rates, instead of queueing without bound
// or silently dropping frames.
func TestLiveOverflowSaysWhatWasSlow(t *testing.T) {
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(synthMarket(t, 42), 5000))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	release := make(chan struct{})
	var once sync.Once
	// The overflow is logged when Run decides to fail: that unsticks the observer, so Run can
	// finish the frames the engine already took.
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.ErrorLevel)
	log := zap.New(core, zap.Hooks(func(e zapcore.Entry) error {
		if e.Level == zapcore.ErrorLevel && strings.Contains(e.Message, "faster than") {
			once.Do(func() { close(release) })
		}
		return nil
	}))
	live, err := session.NewLive(session.LiveConfig{
		Client:    kraken.ClientConfig{API: feed.APIV2, URL: srv.URLv2(), Pairs: testPairs, Channels: []string{"trade"}, Seed: 1},
		MaxFrames: 50,
		Observe:   func([]feed.Event) { <-release },
		Log:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out := make(chan []feed.Event, 1024)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range out {
		}
	}()
	err = live.Run(ctx, out)
	close(out)
	<-drained
	var oe *session.OverflowError
	if !errors.As(err, &oe) || !errors.Is(err, session.ErrOverflow) {
		t.Fatalf("Run: %v, want an *OverflowError", err)
	}
	if oe.ForTape != 50 || oe.ForEngine != 0 || oe.Limit != 50 || oe.Received < 50 {
		t.Errorf("overflow %+v: want 50 frames waiting for the recording, none for the engine", *oe)
	}
	for _, want := range []string{"the recording and observers take them", "50 frames waiting", "sustained", "/s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if st := live.Stats(); st.Queued != 0 {
		t.Errorf("after Run: %d frames still queued, want the ones the engine took observed", st.Queued)
	}
}
