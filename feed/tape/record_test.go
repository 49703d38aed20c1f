package tape_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
)

// TestRecorderMaxFrames records from the look-alike server until MaxFrames frames are
// written: Run returns nil by itself, the recording is closed and holds exactly those frames,
// in the order the client received them.
func TestRecorderMaxFrames(t *testing.T) {
	info, _ := kraken.DefaultPairs().Lookup("BTC/USD")
	m, err := synth.New(synth.Config{Seed: 3, Pairs: []synth.PairConfig{{Info: *info, StartPrice: decimal.NewFromInt(60000), Depth: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := krakentest.New(krakentest.WithMarket(m, 0))
	defer srv.Close()
	srv.Step(20)
	const limit = 300
	var seen [][]byte // the tap runs on the client's reading goroutine, which Run outlives
	dir := t.TempDir()
	rec, err := tape.NewRecorder(tape.RecordConfig{
		Client: kraken.ClientConfig{URL: srv.URLv2(), API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"trade", "book"}, Depth: 10,
			OnFrame: func(_ time.Time, _ feed.API, _ uint32, raw []byte) {
				if len(seen) < limit {
					seen = append(seen, append([]byte(nil), raw...))
				}
			}},
		Dir: dir, MaxFrames: limit,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.URL() != srv.URLv2() {
		t.Errorf("URL %q; want %q", rec.URL(), srv.URLv2())
	}
	stepped, full := make(chan struct{}), make(chan struct{})
	go func() { // keep the market moving until the recording is full
		defer close(stepped)
		for {
			select {
			case <-full:
				return
			default:
				srv.Step(1)
			}
		}
	}()
	runErr := rec.Run(context.Background())
	close(full)
	<-stepped
	if runErr != nil {
		t.Fatal(runErr)
	}
	st := rec.Stats()
	if st.Frames != limit || st.Received < limit || st.Bytes == 0 {
		t.Errorf("stats %+v; want %d frames written", st, limit)
	}
	r, err := tape.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs := r.Recordings()
	if len(recs) != 1 || !recs[0].Manifest.Closed || recs[0].Manifest.Meta["api"] != "v2" || recs[0].Manifest.Name != "kraken-v2" {
		t.Fatalf("recordings %+v; want one closed kraken-v2 recording", recs)
	}
	n := 0
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n < len(seen) && string(f.Raw) != string(seen[n]) {
			t.Fatalf("frame %d: recorded %s; the client received %s", n, f.Raw, seen[n])
		}
		n++
	}
	if n != limit {
		t.Errorf("recorded %d frames; want %d", n, limit)
	}
}

// A client configuration the client refuses is NewRecorder's error, and nothing is created.
func TestRecorderBadConfig(t *testing.T) {
	dir := t.TempDir() + "/never"
	_, err := tape.NewRecorder(tape.RecordConfig{Client: kraken.ClientConfig{Channels: []string{"nonsense"}, Pairs: []feed.Pair{"BTC/USD"}}, Dir: dir})
	if err == nil {
		t.Fatal("NewRecorder accepted channel nonsense")
	}
}
