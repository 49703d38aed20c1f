package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
)

// uniqueTrades reads a recording frame by frame, without the connection rules, and returns
// the trade ids of each pair a consumer must see once each — every id recorded, less the
// history of the first trade snapshot (which the live client takes as its baseline) — and
// how many trades the frames hold in all, repeats included.
func uniqueTrades(t *testing.T, rec string) (map[feed.Pair]map[uint64]bool, int) {
	t.Helper()
	r, err := tape.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	dec := kraken.NewDecoder()
	seen := map[feed.Pair]map[uint64]bool{}
	baseline := map[feed.Pair]uint64{}
	first := map[feed.Pair]bool{} // the pair's first trade frame was seen
	total := 0
	var evs []feed.Event
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		evs, _ = dec.Decode(f.Raw, f.Recv, evs[:0])
		snapshot := bytes.Contains(f.Raw[:min(len(f.Raw), 48)], []byte(`"type":"snapshot"`))
		for _, e := range evs {
			if e.Kind != feed.KindTrade {
				continue
			}
			total++
			p := e.Trade.Pair
			if !first[p] && snapshot {
				baseline[p] = max(baseline[p], e.Trade.ID)
				continue
			}
			if seen[p] == nil {
				seen[p] = map[uint64]bool{}
			}
			if e.Trade.ID > baseline[p] {
				seen[p][e.Trade.ID] = true
			}
		}
		for _, e := range evs {
			if e.Kind == feed.KindTrade {
				first[e.Trade.Pair] = true
			}
		}
	}
	return seen, total
}

func countIDs(m map[feed.Pair]map[uint64]bool) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}

// fillRows renders fills for comparison without the fill model column (the journal does
// not name it; every instance here runs the default).
func fillRows(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		r = slices.Clone(r)
		r[10] = ""
		out = append(out, strings.Join(r, ","))
	}
	return out
}

// A recording made by "papertrade live" through a feed that drops every connection holds
// Kraken's trade snapshot re-sent after each reconnect. Every replay path goes through the
// one normaliser, so each replays exactly the recording's unique trades: backtest --data (to
// the fills the live session journaled), the in-memory events sweeps run on (and a sweep
// trial of the live parameters to the backtest's result), export, and the look-alike's
// recording replay (serve --data).
func TestReplayOfARecordingWithDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 6 s live session")
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(liveMarket(t, 11), 300),
		krakentest.WithFaults(krakentest.FaultConfig{DropEvery: 1500 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, liveConfig)
	db := filepath.Join(dir, "paper.db")
	rec := filepath.Join(dir, "rec")
	var out, errb strings.Builder
	o := liveOptions{config: cfg, url: srv.URLv2(), duration: 6 * time.Second, status: time.Hour,
		client: func(cc *kraken.ClientConfig) { cc.Seed, cc.BackoffMin = 1, 100*time.Millisecond }}
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: zap.NewNop(), registry: DefaultRegistry()}
	cmd := newLiveCmd(a)
	if err := cmd.ParseFlags([]string{"--db", db, "--record", rec, "--url", srv.URLv2()}); err != nil {
		t.Fatal(err)
	}
	o.db, o.record = db, rec
	var sess *liveSession
	o.started = func(s *liveSession) { sess = s }
	if err := runLive(context.Background(), a, cmd, o); err != nil {
		t.Fatalf("live: %v\n%s", err, out.String())
	}
	if st := sess.Source.Stats(); st.Client.Reconnects < 2 {
		t.Fatalf("the feed was not dropped: %+v", st)
	}
	ms, err := filepath.Glob(filepath.Join(rec, "*-session-1-*"+tape.ManifestSuffix))
	if err != nil || len(ms) != 1 {
		t.Fatalf("recording %v %v", ms, err)
	}
	tapePath := ms[0]
	want, recorded := uniqueTrades(t, tapePath)
	n := countIDs(want)
	if recorded-n < 50 {
		t.Fatalf("%d trades recorded, %d unique: the drops did not re-send enough to prove anything", recorded, n)
	}
	t.Logf("recording: %d trades in its frames, %d unique after the first snapshot", recorded, n)

	// backtest --data: the unique trades, and the live session's fills.
	res := filepath.Join(dir, "bt")
	code, bout, berr := runCLI(t, "backtest", "-c", cfg, "--data", tapePath, "--out", res, "-q", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("backtest --data: exit %d\n%s\n%s", code, bout, berr)
	}
	m := regexp.MustCompile(`(\d+) events \((\d+) trades\)`).FindStringSubmatch(bout)
	if m == nil || m[2] != strconv.Itoa(n) {
		t.Errorf("backtest --data replayed %v trades, want the %d unique ones:\n%s", m, n, bout)
	}
	_, recs := sessionFills(t, db, 1)
	var live [][]string
	for i := range recs {
		if r := &recs[i]; r.Kind == engine.RecordFill {
			live = append(live, report.FillRow(r.Instance, "", &r.Fill))
		}
	}
	f, err := os.Open(filepath.Join(res, "fills.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) == 0 {
		t.Fatalf("fills.csv: %v", err)
	}
	got, wantFills := fillRows(rows[1:]), fillRows(live)
	slices.Sort(got)
	slices.Sort(wantFills)
	if len(wantFills) < 3 { // a loaded CI machine trades less in the same 6 s; a few fills still compare row for row
		t.Fatalf("only %d live fills: the session did not trade enough to prove anything", len(wantFills))
	}
	if !slices.Equal(got, wantFills) {
		for i := range max(len(got), len(wantFills)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantFills) {
				w = wantFills[i]
			}
			if g != w {
				t.Fatalf("backtest --data made %d fills, live %d; first difference:\nbacktest %s\nlive     %s", len(got), len(wantFills), g, w)
			}
		}
	}

	// The events a sweep runs every trial on.
	evs, err := backtest.LoadEvents(context.Background(), tapePath, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan []feed.Event, 16)
	errc := make(chan error, 1)
	go func() { errc <- evs.Source(time.Time{}, time.Time{}).Run(context.Background(), ch); close(ch) }()
	sweepTrades := map[feed.Pair]map[uint64]int{}
	for b := range ch {
		for _, e := range b {
			if e.Kind == feed.KindTrade {
				if sweepTrades[e.Trade.Pair] == nil {
					sweepTrades[e.Trade.Pair] = map[uint64]int{}
				}
				sweepTrades[e.Trade.Pair][e.Trade.ID]++
			}
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for p, ids := range want {
		for id := range ids {
			if sweepTrades[p][id] != 1 {
				t.Fatalf("sweep events: %s trade %d replayed %d times, want once", p, id, sweepTrades[p][id])
			}
		}
		if len(sweepTrades[p]) != len(ids) {
			t.Fatalf("sweep events: %d %s trades, want %d", len(sweepTrades[p]), p, len(ids))
		}
	}

	// sweep: a one-trial grid of grid-btc's own parameters gives the backtest's result.
	if err := os.MkdirAll(filepath.Join(dir, "sweep"), 0o755); err != nil {
		t.Fatal(err)
	}
	sweepCfg := writeConfig(t, filepath.Join(dir, "sweep"), liveConfig+`sweep:
  strategy: grid-btc
  metric: return
  params:
    levels: [3]
    spacing: [5]
  parallel: 1
`)
	code, sout, serr := runCLI(t, "sweep", "-c", sweepCfg, "--data", tapePath, "--out", filepath.Join(dir, "sweep-out"), "--log-level", "warn")
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, sout, serr)
	}
	f, err = os.Open(filepath.Join(dir, "sweep-out", "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 2 {
		t.Fatalf("sweep.csv: %d rows, %v", len(rows), err)
	}
	trial := map[string]string{}
	for i, h := range rows[0] {
		trial[h] = rows[1][i]
	}
	var sum struct {
		Strategies []struct {
			Name        string `json:"name"`
			Fees        string `json:"fees"`
			FinalEquity string `json:"final_equity"`
		} `json:"strategies"`
	}
	b, err := os.ReadFile(filepath.Join(res, "summary.json"))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v", err)
	}
	found := false
	for _, st := range sum.Strategies {
		if st.Name == "grid-btc" {
			found = true
			if st.Fees != trial["fees"] || st.FinalEquity != trial["final_equity"] || st.Fees == "" {
				t.Errorf("sweep trial: fees %s, final equity %s; backtest --data: %s, %s", trial["fees"], trial["final_equity"], st.Fees, st.FinalEquity)
			}
		}
	}
	if !found {
		t.Errorf("summary.json has no grid-btc: %s", b)
	}

	// export: one row per unique trade.
	csvPath := filepath.Join(dir, "trades.csv")
	if code, eout, eerr := runCLI(t, "export", "--data", tapePath, "--out", csvPath); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, eout, eerr)
	}
	f, err = os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]int{}
	for _, r := range rows[1:] {
		exported[r[2]+" "+r[7]]++
	}
	if len(rows)-1 != n || len(exported) != n {
		t.Errorf("export wrote %d rows, %d distinct trades; want the %d unique ones", len(rows)-1, len(exported), n)
	}

	// serve --data: the look-alike loads the recording's unique trades.
	lr, err := krakentest.LoadRecording(context.Background(), tapePath)
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, e := range lr.Events {
		if e.Kind == feed.KindTrade {
			served++
		}
	}
	if served != n {
		t.Errorf("serve --data would replay %d trades, want the %d unique ones", served, n)
	}
}
