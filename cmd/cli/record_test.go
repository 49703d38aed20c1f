package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
)

func recordMarket(t testing.TB, seed uint64, pairs ...feed.Pair) *synth.Market {
	t.Helper()
	var pcs []synth.PairConfig
	for _, p := range pairs {
		info, _ := kraken.DefaultPairs().Lookup(p)
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(synthStartPrices[p]), Depth: 10})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tapped is a frame as the client's OnFrame hook saw it.
type tapped struct {
	recv time.Time
	api  feed.API
	conn uint32
	raw  []byte
}

// TestRecordThroughDrops records from an in-process Kraken look-alike that drops every
// connection twice, for a bounded number of frames, and checks that the recording holds
// exactly the frames the client's tap saw, in order, across reconnects and segment rotations.
func TestRecordThroughDrops(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, api := range []feed.API{feed.APIV2, feed.APIV1} {
		t.Run(api.String(), func(t *testing.T) {
			pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
			srv := krakentest.New(krakentest.WithMarket(recordMarket(t, 5, pairs...), 0))
			defer srv.Close()
			srv.Step(10)
			url := srv.URLv2()
			if api == feed.APIV1 {
				url = srv.URLv1()
			}
			const limit = 2500
			dir := t.TempDir()
			seen := make(chan tapped, 1<<16) // never fills: the recording stops at limit frames
			o := recordOptions{url: url, pairs: "BTC/USD,ETH/USD", channels: "trade,book", depth: 10, api: api.String(), out: dir,
				frames: limit, segmentAge: time.Hour, segmentSize: 32 << 10,
				client: func(c *kraken.ClientConfig) {
					// The recorder writes each frame before this tap runs.
					c.OnFrame = func(recv time.Time, api feed.API, conn uint32, raw []byte) {
						seen <- tapped{recv, api, conn, bytes.Clone(raw)}
					}
				}}
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, log: zap.NewNop()}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- runRecord(ctx, a, o) }()

			var frames []tapped
			acks := map[uint32]int{}
			// next waits for the next tapped frame; false when the recorder has returned.
			var runErr error
			finished := false
			next := func() bool {
				if finished {
					return false
				}
				select {
				case f := <-seen:
					frames = append(frames, f)
					if bytes.Contains(f.raw, []byte(`"subscriptionStatus"`)) || bytes.Contains(f.raw, []byte(`"method":"subscribe"`)) {
						acks[f.conn]++
					}
					return true
				case runErr = <-done:
					finished = true
					return false
				}
			}
			waitAcks := func(conn uint32) {
				for acks[conn] < 4 && next() {
				}
			}
			for conn := uint32(1); conn <= 3; conn++ {
				waitAcks(conn)
				if finished {
					break
				}
				// Publish a burst, wait for some of it on this connection, then drop the
				// connection (twice) with the rest of the burst in flight.
				srv.Step(200)
				for got := 0; got < 50 && next(); {
					if frames[len(frames)-1].conn == conn {
						got++
					}
				}
				if conn < 3 {
					srv.DropAll()
				}
			}
			for !finished {
				srv.Step(20)
				for want := len(frames) + 1; len(frames) < want && next(); {
				}
			}
			for { // frames the tap saw after the limit, before the client stopped
				select {
				case f := <-seen:
					frames = append(frames, f)
					continue
				default:
				}
				break
			}
			if runErr != nil {
				t.Fatalf("record: %v\nstdout: %s\nstderr: %s", runErr, stdout.String(), stderr.String())
			}
			if len(frames) < limit {
				t.Fatalf("the tap saw %d frames, want at least %d", len(frames), limit)
			}
			if acks[3] < 4 {
				t.Fatalf("acks per connection %v: the drops did not happen", acks)
			}

			r, err := tape.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			for f, err := range r.Frames(context.Background(), tape.Range{}) {
				if err != nil {
					t.Fatal(err)
				}
				if i >= limit {
					t.Fatalf("the recording has more than %d frames", limit)
				}
				w := frames[i]
				if !f.Recv.Equal(w.recv) || f.API != w.api || f.Conn != w.conn || !bytes.Equal(f.Raw, w.raw) {
					t.Fatalf("frame %d: recorded %v %v conn %d %s\nthe tap saw %v %v conn %d %s", i, f.Recv, f.API, f.Conn, f.Raw, w.recv, w.api, w.conn, w.raw)
				}
				i++
			}
			if i != limit || r.WarningCount() != 0 || r.TornTails() != 0 {
				t.Fatalf("recording: %d frames (want %d), warnings %v", i, limit, r.Warnings())
			}
			recs := r.Recordings()
			if len(recs) != 1 || !recs[0].Manifest.Closed || len(recs[0].Manifest.Segments) < 2 || recs[0].Manifest.Meta["api"] != api.String() {
				t.Errorf("manifest %+v", recs)
			}
			if !strings.Contains(stdout.String(), fmt.Sprintf("recorded: %d frames", limit)) || !strings.Contains(stdout.String(), "2 reconnects") {
				t.Errorf("stdout: %s", stdout.String())
			}
		})
	}
}

// TestRecordCommand runs papertrade record against a look-alike streaming a market, until
// --frames, and reads the result with tape info.
func TestRecordCommand(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := krakentest.New(krakentest.WithMarket(recordMarket(t, 9, "BTC/USD"), 500))
	defer srv.Close()
	dir := t.TempDir()
	out := tpMust(t, "record", "--url", srv.URLv2(), "--pairs", "XBT/USD", "--channels", "trade,book", "--out", dir, "--frames", "200", "--status", "0", "--name", "test")
	if !strings.HasPrefix(out, "recording "+srv.URLv2()+" trade,book for BTC/USD into "+dir) || !strings.Contains(out, "recorded: 200 frames") {
		t.Errorf("stdout: %s", out)
	}
	var s tapeSummary
	if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
		t.Fatal(err)
	}
	if s.Frames != 200 || s.Books.Mismatches != 0 || s.DecodeErrors != 0 || len(s.Recordings) != 1 || s.Recordings[0].Name != "test" ||
		s.Recordings[0].Meta["url"] != srv.URLv2() || strings.Join(s.Recordings[0].Channels, ",") != "trade,book" {
		t.Errorf("info %+v", s)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--out", dir}, "--pairs is required"},
		{[]string{"--pairs", "BTC/USD"}, "--out is required"},
		{[]string{"--pairs", "BTC/USD", "--out", dir, "--api", "v9"}, `--api "v9"`},
		{[]string{"--pairs", "BTC/USD", "--out", dir, "--channels", "spread"}, "spread"},
		{[]string{"--pairs", "BTC/USD", "--out", dir, "--depth", "7"}, "depth"},
	}
	for _, tc := range tests {
		code, _, errOut := tpRun(t, append([]string{"record"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("record %v: exit %d %q; want %d and %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
}

// TestRecordStopsOnCancel: cancelling the context (SIGINT in Main) closes the recording
// cleanly and exits 0.
func TestRecordStopsOnCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := krakentest.New(krakentest.WithMarket(recordMarket(t, 3, "ETH/USD"), 0))
	defer srv.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	o := recordOptions{url: srv.URLv2(), pairs: "ETH/USD", channels: "trade", depth: 10, api: "v2", out: dir, segmentAge: time.Hour, segmentSize: 1 << 20,
		client: func(c *kraken.ClientConfig) {
			c.OnFrame = func(recv time.Time, api feed.API, conn uint32, raw []byte) {
				if bytes.Contains(raw, []byte(`"method":"subscribe"`)) {
					once.Do(cancel) // as if interrupted right after subscribing
				}
			}
		}}
	var stdout bytes.Buffer
	if err := runRecord(ctx, &app{stdout: &stdout, stderr: &stdout, log: zap.NewNop()}, o); err != nil {
		t.Fatal(err)
	}
	r, err := tape.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if recs := r.Recordings(); len(recs) != 1 || !recs[0].Manifest.Closed || recs[0].Manifest.Frames < 2 {
		t.Errorf("manifest %+v", recs)
	}
}
