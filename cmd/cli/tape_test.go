package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

var tpUpdate = flag.Bool("update-tape", false, "rewrite the tape command golden files")

// tpRun runs the CLI with args and returns the exit code, stdout and stderr.
func tpRun(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// tpMust runs the CLI and fails the test unless it exits 0.
func tpMust(t testing.TB, args ...string) string {
	t.Helper()
	code, out, errOut := tpRun(t, args...)
	if code != ExitOK {
		t.Fatalf("papertrade %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func tpFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTapeSynthDeterministic: the same flags give a byte-identical recording; another seed
// another one.
func TestTapeSynthDeterministic(t *testing.T) {
	var runs []map[string][]byte
	for _, seed := range []string{"7", "7", "8"} {
		dir := t.TempDir()
		tpMust(t, "tape", "synth", "--out", dir, "--trades", "4000", "--seed", seed, "--rate", "0.2") // over an hour: 2 segments
		runs = append(runs, tpFiles(t, dir))
	}
	if len(runs[0]) < 3 { // a manifest and at least two segments
		t.Fatalf("only %d files", len(runs[0]))
	}
	for name, b := range runs[0] {
		if !bytes.Equal(b, runs[1][name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if bytes.Equal(b, runs[2][name]) && strings.HasSuffix(name, tape.SegmentSuffix) {
			t.Errorf("%s is the same with another seed", name)
		}
	}
	if len(runs[0]) != len(runs[1]) {
		t.Errorf("%d files, then %d", len(runs[0]), len(runs[1]))
	}
}

// synthLive generates the market tape synth generates for these settings and encodes it
// into frames directly, as a live feed would deliver them, without any recording.
func synthLive(t testing.TB, seed uint64, trades int, api feed.API, depth int, pairs ...feed.Pair) []tape.Frame {
	t.Helper()
	o := tapeSynthOptions{trades: trades, seed: seed, pairs: pairList(pairs), channels: "trade,book", depth: depth, api: api.String(), start: "2025-01-01", rate: 5, out: "unused"}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	var frames []tape.Frame
	_, err = tape.SynthFrames(context.Background(), cfg, func(f tape.Frame) error {
		f.Raw = bytes.Clone(f.Raw)
		frames = append(frames, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestTapeSynthInfoDecode is the round trip: tape synth writes, tape info describes it
// exactly, and papertrade decode DIR prints the same events as decoding the frames live.
func TestTapeSynthInfoDecode(t *testing.T) {
	for _, api := range []feed.API{feed.APIV2, feed.APIV1} {
		t.Run(api.String(), func(t *testing.T) {
			dir := t.TempDir()
			const trades = 3000
			out := tpMust(t, "tape", "synth", "--out", dir, "--trades", fmt.Sprint(trades), "--seed", "11", "--api", api.String(), "--depth", "25", "--pairs", "BTC/USD,DOGE/USD")
			if !strings.HasPrefix(out, fmt.Sprintf("wrote %d trades and ", trades)) {
				t.Errorf("tape synth said %q", out)
			}
			live := synthLive(t, 11, trades, api, 25, "BTC/USD", "DOGE/USD")

			// tape info
			var s tapeSummary
			if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
				t.Fatal(err)
			}
			var liveBooks int64
			for _, f := range live {
				evs, err := kraken.NewDecoder().Decode(f.Raw, f.Recv, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					if ev.Kind == feed.KindBook {
						liveBooks++
					}
				}
			}
			if s.Frames != int64(len(live)) || s.FramesByAPI[api.String()] != int64(len(live)) || s.TornTails != 0 || s.DecodeErrors != 0 || s.WarningCount != 0 {
				t.Errorf("info: %d frames (%v), want %d; torn %d, decode errors %d, warnings %v", s.Frames, s.FramesByAPI, len(live), s.TornTails, s.DecodeErrors, s.Warnings)
			}
			var gotTrades, gotBooks int64
			for _, pe := range s.Events {
				gotTrades += pe.Counts["trade"]
				gotBooks += pe.Counts["book snapshot"] + pe.Counts["book update"]
				if pe.Counts["book snapshot"] != 1 {
					t.Errorf("%s: %d snapshots", pe.Pair, pe.Counts["book snapshot"])
				}
			}
			if gotTrades != trades || gotBooks != liveBooks {
				t.Errorf("info: %d trades and %d book messages, want %d and %d", gotTrades, gotBooks, trades, liveBooks)
			}
			if s.Books.Mismatches != 0 || int64(s.Books.Verified) != liveBooks-2 {
				t.Errorf("books %+v, want %d verified updates", s.Books, liveBooks-2)
			}
			for _, ids := range s.TradeIDs {
				if api == feed.APIV2 && (ids.First != 1 || ids.Missing != 0 || ids.Repeated != 0 || ids.NoID != 0) {
					t.Errorf("trade ids %+v", ids)
				}
				if api == feed.APIV1 && ids.NoID == 0 {
					t.Errorf("v1 trade ids %+v", ids)
				}
			}
			if len(s.Recordings) != 1 || !s.Recordings[0].Closed || s.Recordings[0].Meta["seed"] != "11" || s.Recordings[0].Meta["source"] != "synth" {
				t.Errorf("recordings %+v", s.Recordings)
			}

			// decode DIR against decoding the live frames
			dec := kraken.NewDecoder()
			var want []byte
			var evs []feed.Event
			for _, f := range live {
				var err error
				if evs, err = dec.Decode(f.Raw, f.Recv, evs[:0]); err != nil {
					t.Fatal(err)
				}
				for i := range evs {
					want = append(kraken.AppendEventJSON(want, &evs[i]), '\n')
				}
			}
			code, got, errOut := tpRun(t, "decode", "--books", dir)
			if code != ExitOK || got != string(want) {
				t.Errorf("decode DIR: exit %d, %d bytes of events, want %d (equal: %v)\nstderr: %s", code, len(got), len(want), got == string(want), errOut)
			}
			if !strings.Contains(errOut, fmt.Sprintf("books: %d updates, 0 checksum mismatches", liveBooks-2)) {
				t.Errorf("decode --books said %q", errOut)
			}
		})
	}
}

func TestTapeSynthChannelsAndErrors(t *testing.T) {
	dir := t.TempDir()
	tpMust(t, "tape", "synth", "--out", dir, "--trades", "500", "--channels", "trade", "--pairs", "ETH/USD")
	var s tapeSummary
	if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Events) != 1 || s.Events[0].Pair != "ETH/USD" || s.Events[0].Counts["trade"] != 500 || s.Events[0].Counts["ack"] != 1 || len(s.Events[0].Counts) != 2 {
		t.Errorf("trades only: events %+v", s.Events)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--trades", "10"}, "--out is required"},
		{[]string{"--out", dir, "--trades", "0"}, "--trades 0"},
		{[]string{"--out", dir, "--api", "v3"}, `--api "v3"`},
		{[]string{"--out", dir, "--depth", "11"}, "--depth 11"},
		{[]string{"--out", dir, "--channels", "ticker"}, `"ticker" is not trade or book`},
		{[]string{"--out", dir, "--pairs", "FOO/BAR"}, `pair "FOO/BAR" is not in the pair table`},
		{[]string{"--out", dir, "--pairs", "PEPE/USD"}, "--price PEPE/USD=PRICE"},
		{[]string{"--out", dir, "--price", "BTC/USD=-1"}, "want PAIR=PRICE"},
		{[]string{"--out", dir, "--start", "yesterday"}, `--start "yesterday"`},
		{[]string{"--out", dir, "--level", "max"}, `--level "max"`},
	}
	for _, tc := range tests {
		code, _, errOut := tpRun(t, append([]string{"tape", "synth"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("tape synth %v: exit %d, %q; want %d and %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
	if code, _, errOut := tpRun(t, "tape", "synth", "--out", dir, "--trades", "5"); code != ExitUsage || !strings.Contains(errOut, `already holds a recording named "synth"`) {
		t.Errorf("second synth into the same directory: exit %d %q", code, errOut)
	}
	code, _, errOut := tpRun(t, "tape", "info", filepath.Join(dir, "nothing-here"))
	if code != ExitError || !strings.Contains(errOut, "no such file") {
		t.Errorf("info of a missing path: exit %d %q", code, errOut)
	}
}

// TestTapeInfoGolden pins tape info's text for a recording with two connections, a silence,
// a trade id gap, a repeated trade, an undecodable frame and a torn tail.
func TestTapeInfoGolden(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	trade := func(id int, at time.Time) []byte {
		return fmt.Appendf(nil, `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":87000.0,"qty":0.01000000,"ord_type":"limit","trade_id":%d,"timestamp":"%s"}]}`, id, at.Format("2006-01-02T15:04:05.000000Z"))
	}
	w, err := tape.NewWriter(dir, tape.WithName("live"), tape.WithFlushInterval(0), tape.WithPairs("BTC/USD"), tape.WithChannels("trade"), tape.WithMeta("source", "test"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(conn uint32, at time.Time, raw []byte) {
		if err := w.Write(tape.Frame{Recv: at, API: feed.APIV2, Conn: conn, Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	write(1, t0, []byte(`{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":1,"system":"online","version":"2.0.10"}]}`))
	write(1, t0.Add(time.Second), trade(100, t0.Add(time.Second)))
	write(1, t0.Add(2*time.Second), trade(101, t0.Add(2*time.Second)))
	write(1, t0.Add(30*time.Second), trade(105, t0.Add(30*time.Second))) // silence, then 3 missing
	write(1, t0.Add(31*time.Second), []byte(`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD"`))
	write(2, t0.Add(33*time.Second), trade(105, t0.Add(30*time.Second))) // reconnect: snapshot overlap
	write(2, t0.Add(34*time.Second), trade(106, t0.Add(34*time.Second)))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A second recording that a crash cut short: its segment never finished.
	w2, err := tape.NewWriter(dir, tape.WithName("crashed"), tape.WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Write(tape.Frame{Recv: t0.Add(40 * time.Second), API: feed.APIV2, Conn: 3, Raw: []byte(`{"channel":"heartbeat"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := w2.Flush(); err != nil {
		t.Fatal(err)
	}
	// (w2 is left open on purpose: its segment has a torn tail; closed at the end of the test.)
	defer w2.Close()

	code, out, errOut := tpRun(t, "tape", "info", "--gap", "10s", dir)
	if code != ExitBadInput {
		t.Errorf("exit %d, want %d (a frame did not decode); stderr %s", code, ExitBadInput, errOut)
	}
	out = strings.ReplaceAll(out, dir, "DIR")
	out = regexp.MustCompile(`\d+\.\d MB`).ReplaceAllString(out, "N MB")
	out = regexp.MustCompile(`\d+\.\d bytes per frame`).ReplaceAllString(out, "N bytes per frame")
	golden := filepath.Join("testdata", "tape-info.golden")
	if *tpUpdate {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-tape to create it)", err)
	}
	if out != string(want) {
		t.Errorf("tape info output:\n%s\nwant (%s):\n%s", out, golden, want)
	}
}

func pairList(pairs []feed.Pair) string {
	ss := make([]string, len(pairs))
	for i, p := range pairs {
		ss[i] = string(p)
	}
	return strings.Join(ss, ",")
}
