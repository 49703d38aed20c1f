package krakentest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
)

// recordedFrames returns a fixture file's received data frames (arrays: v1 channel data), in
// order, and its first outbound request.
func recordedFrames(t *testing.T, path string) (frames [][]byte, request string) {
	t.Helper()
	for _, fx := range readFixtures(t, path) {
		switch {
		case fx.Dir == "out" && request == "":
			request = string(fx.Msg)
		case fx.Dir == "in" && len(fx.Msg) > 0 && fx.Msg[0] == '[':
			frames = append(frames, fx.Msg)
		}
	}
	return frames, request
}

// TestRawReplayIsByteForByte replays a real 2021 v1 trade recording of 10 pairs (seven of them
// outside the built-in table) to a client sending the recorded subscribe unchanged: the client
// gets every recorded data frame byte for byte ("354.11000000" on channel 993 stays so), and
// each ack carries the recorded channelID (issue 14 row 16).
func TestRawReplayIsByteForByte(t *testing.T) {
	const path = "testdata/cryptofeed-KRAKEN.ws.48.0.jsonl"
	want, request := recordedFrames(t, path)
	rec, err := krakentest.LoadRawRecording(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, krakentest.WithRawRecording(rec, false), krakentest.WithSpeed(1000))
	c := dial(t, srv, srv.URLv1())
	c.read()
	c.send(request)
	ids := map[string]int64{}
	var got [][]byte
	for len(got) < len(want) {
		b := c.readData()
		if b[0] == '{' {
			var ack struct {
				ChannelID int64
				Pair      string
				Status    string
			}
			if err := json.Unmarshal(b, &ack); err != nil || ack.Status != "subscribed" {
				t.Fatalf("ack %s", b)
			}
			ids[ack.Pair] = ack.ChannelID
			continue
		}
		got = append(got, b)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d\n got %s\nreal %s", i, got[i], want[i])
		}
		var parts []json.RawMessage
		json.Unmarshal(want[i], &parts)
		var id int64
		var pair string
		json.Unmarshal(parts[0], &id)
		json.Unmarshal(parts[len(parts)-1], &pair)
		if ids[pair] != id {
			t.Errorf("%s: ack channelID %d, recorded %d", pair, ids[pair], id)
		}
	}
	if len(ids) != 10 {
		t.Errorf("%d pairs subscribed, want the recording's 10", len(ids))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.WaitReplayDone(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRawReplayServesRecordedPairs: pairs outside the built-in table are listed (AssetPairs,
// subscriptions) with the precisions their frames show.
func TestRawReplayServesRecordedPairs(t *testing.T) {
	rec, err := krakentest.LoadRawRecording(context.Background(), "testdata/cryptofeed-KRAKEN.ws.48.0.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	extra := rec.Pairs(kraken.DefaultPairs().All())
	byPair := map[feed.Pair]feed.PairInfo{}
	for _, p := range extra {
		byPair[p.Pair] = p
	}
	if p, ok := byPair["WAVES/EUR"]; !ok || p.WSName != "WAVES/EUR" || p.LotDecimals != 8 {
		t.Errorf("WAVES/EUR = %+v (all: %v)", p, extra)
	}
	if _, ok := byPair["XMR/USD"]; ok {
		t.Errorf("XMR/USD is in the built-in table and must keep its row")
	}
	srv := newServer(t, krakentest.WithRawRecording(rec, false))
	if body := get(t, srv.URL()+"/0/public/AssetPairs?pair=WAVESEUR"); !bytes.Contains([]byte(body), []byte(`"wsname":"WAVES/EUR"`)) {
		t.Errorf("AssetPairs WAVESEUR: %s", body)
	}
}

// TestRawReplayLateBookSubscriber: a book subscriber joining after the snapshot gets the
// recorded snapshot and updates since, verbatim, so its book checks out (cryptofeed book-1000
// recording, read from ../shared).
func TestRawReplayLateBookSubscriber(t *testing.T) {
	const path = "../../../../shared/kraken/fixtures/cryptofeed/KRAKEN.ws.50.0.jsonl"
	if _, err := os.Stat(path); err != nil {
		t.Skip("shared fixtures not present:", err)
	}
	rec, err := krakentest.LoadRawRecording(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, krakentest.WithRawRecording(rec, false), krakentest.WithSpeed(5))
	first := dial(t, srv, srv.URLv1())
	first.read()
	first.send(`{"event":"subscribe","pair":["ETH/CHF"],"subscription":{"name":"book","depth":1000}}`)
	first.readData() // ack
	first.readData() // the recorded snapshot: the replay has started
	first.readData() // more: the stream has moved on
	late := dial(t, srv, srv.URLv1())
	late.read()
	late.send(`{"event":"subscribe","pair":["XBT/CHF"],"subscription":{"name":"book","depth":1000}}`)
	late.readData() // ack
	b := late.readData()
	if !bytes.Contains(b, []byte(`"as":`)) {
		t.Errorf("late subscriber's first frame is not a recorded snapshot: %.200s", b)
	}
}

// TestRawReplayOfATape: a papertrade recording (feed/tape) of real v2 frames is served byte for
// byte too, on v2 ("qty":4.0 and other number text as recorded).
func TestRawReplayOfATape(t *testing.T) {
	dir := t.TempDir()
	w, err := tape.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	t0 := time.Date(2024, 5, 27, 12, 43, 11, 0, time.UTC)
	for i, fx := range readFixtures(t, "testdata/kraken-async-rs-v2-2024-05.jsonl") {
		if fx.Dir != "in" {
			continue
		}
		if err := w.Write(tape.Frame{Recv: t0.Add(time.Duration(i) * time.Millisecond), API: feed.APIV2, Conn: 1, Raw: fx.Msg}); err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(fx.Msg, []byte(`{"channel":"trade"`)) && bytes.Contains(fx.Msg, []byte(`"symbol":"BTC/USD"`)) {
			want = append(want, fx.Msg)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the fixture has no BTC/USD trade frames")
	}
	rec, err := krakentest.LoadRawRecording(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, krakentest.WithRawRecording(rec, false), krakentest.WithSpeed(100))
	c := dial(t, srv, srv.URLv2())
	c.read()
	c.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}`)
	c.readData() // ack
	for i := range want {
		if got := c.readData(); !bytes.Equal(got, want[i]) {
			t.Fatalf("frame %d\n got %s\nreal %s", i, got, want[i])
		}
	}
}

// TestRawReplayFeedsREST: the recording's trades reach REST Trades and Ticker too (read
// through the normaliser), at the v1 text's precision.
func TestRawReplayFeedsREST(t *testing.T) {
	rec, err := krakentest.LoadRawRecording(context.Background(), "testdata/cryptofeed-KRAKEN.ws.48.0.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want, request := recordedFrames(t, "testdata/cryptofeed-KRAKEN.ws.48.0.jsonl")
	srv := newServer(t, krakentest.WithRawRecording(rec, false), krakentest.WithSpeed(1000))
	c := dial(t, srv, srv.URLv1())
	c.read()
	c.send(request)
	for n := 0; n < len(want); {
		if c.readData()[0] == '[' {
			n++
		}
	}
	if body := get(t, srv.URL()+"/0/public/Trades?pair=XMRUSD"); !bytes.Contains([]byte(body), []byte(`["354.11000000","0.89594024",1618678142.557535,"s","l","",`)) {
		t.Errorf("REST Trades XMRUSD: %s", body)
	}
	if body := get(t, srv.URL()+"/0/public/Ticker?pair=XMR/USD"); !bytes.Contains([]byte(body), []byte(`"XMR/USD":{`)) {
		t.Errorf("REST Ticker XMR/USD: %s", body)
	}
}
