package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// liveConfig trades constantly on a fast generated market: a tight grid (resting post-only
// orders, maker fills) and buy-and-hold (a market order).
const liveConfig = `seed: 3
equity_interval: 1s
latency: 20ms
jitter: 5ms
strategies:
  - name: grid-btc
    type: grid
    pairs: [BTC/USD]
    balances: {USD: "20000", BTC: "0.2"}
    account_currency: USD
    params: {levels: 3, spacing: 5, size: "0.002", recenter: 3s}
  - name: grid-eth
    type: grid
    pairs: [ETH/USD]
    balances: {USD: "20000", ETH: "3"}
    account_currency: USD
    params: {levels: 2, spacing: 5, size: "0.05", recenter: 3s}
  - name: hodl-eth
    type: buyhold
    pairs: [ETH/USD]
    balances: {USD: "5000"}
live:
  channels: [trade, book]
  book_depth: 10
`

func liveMarket(t testing.TB, seed uint64) *synth.Market {
	t.Helper()
	var pcs []synth.PairConfig
	for _, p := range []struct {
		pair  feed.Pair
		price string
	}{{"BTC/USD", "60000"}, {"ETH/USD", "3000"}} {
		info, _ := kraken.DefaultPairs().Lookup(p.pair)
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(p.price), Depth: 25, Volatility: 3})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sessionFills counts a journal session's fills per instance.
func sessionFills(t *testing.T, db string, id int64) (map[string]int, []engine.Record) {
	t.Helper()
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := r.Records(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, x := range recs {
		if x.Kind == engine.RecordFill {
			n[x.Instance]++
		}
	}
	return n, recs
}

var parityOK = regexp.MustCompile(`parity: OK — (\d+) fills compared, all equal`)

// End to end: "papertrade live" against the Kraken look-alike dropping every connection every
// two seconds, for 10 s (30 s with PAPERTRADE_SOAK=1). The journal, the recording and the final
// summary agree, and "backtest --session" replays the session to exactly the same fills.
func TestLiveEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 10 s live session")
	}
	dur := 10 * time.Second
	if os.Getenv("PAPERTRADE_SOAK") != "" {
		dur = 30 * time.Second
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(liveMarket(t, 5), 300),
		krakentest.WithFaults(krakentest.FaultConfig{DropEvery: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, liveConfig)
	db := filepath.Join(dir, "paper.db")
	rec := filepath.Join(dir, "rec")
	var out, errb strings.Builder
	o := liveOptions{config: cfg, url: srv.URLv2(), http: "127.0.0.1:0", metrics: "127.0.0.1:0", duration: dur, status: time.Second,
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
	stdout := out.String()
	t.Log(stdout)
	if sess == nil || sess.Dashboard == "" || sess.Metrics == "" {
		t.Fatalf("session %+v: dashboard and metrics should have been served", sess)
	}
	for _, want := range []string{"dashboard: http://127.0.0.1:", "metrics: http://127.0.0.1:", "grid-btc", "hodl-eth", "session 1:", "backtest --session 1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	st := sess.Source.Stats()
	if st.Client.Reconnects < 2 || st.Stream.Connections < 3 {
		t.Errorf("the feed was not dropped: %+v", st)
	}

	// The journal: a closed session whose fills and equity agree with the summary.
	fills, recs := sessionFills(t, db, 1)
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := r.Sessions(context.Background())
	r.Close()
	if err != nil || len(ss) != 1 || ss[0].Status != "closed" || !strings.HasSuffix(ss[0].TapeName, "-session-1") {
		t.Fatalf("sessions %+v %v", ss, err)
	}
	total := 0
	for _, n := range fills {
		total += n
	}
	if total < 20 {
		t.Fatalf("only %d fills in %s: the session did not trade enough to prove anything", total, dur)
	}
	lastEquity := map[string]decimal.Decimal{}
	for _, x := range recs {
		if x.Kind == engine.RecordEquity {
			lastEquity[x.Instance] = x.Equity
		}
	}
	// The summary: the table printed has every instance's final equity as the journal's last
	// sample.
	for name, eq := range lastEquity {
		line := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s.*$`).FindString(stdout)
		if !strings.Contains(line, report.Money(eq.StringFixed(2))) && !strings.Contains(line, eq.StringFixed(2)) {
			t.Errorf("%s: summary line %q lacks the journal's final equity %s", name, line, eq.StringFixed(2))
		}
	}

	// The recording: one closed recording with the session's frames.
	m, err := filepath.Glob(filepath.Join(rec, ss[0].TapeName+"-*"+tape.ManifestSuffix))
	if err != nil || len(m) != 1 {
		t.Fatalf("recording manifests %v %v", m, err)
	}
	man, err := tape.ReadManifest(m[0])
	if err != nil || !man.Closed || man.Frames == 0 || int64(st.Recorded) != man.Frames || man.Meta["session"] != "1" {
		t.Fatalf("manifest %+v (recorded %d) %v", man, st.Recorded, err)
	}

	// The replay: same events, same fills.
	code, rout, rerr := runCLI(t, "backtest", "--session", "1", "--db", db, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("backtest --session: exit %d\n%s\n%s", code, rout, rerr)
	}
	mm := parityOK.FindStringSubmatch(rout)
	if mm == nil || mm[1] != strconv.Itoa(total) {
		t.Fatalf("replay output:\n%s\nwant parity OK over %d fills", rout, total)
	}
	sevents := regexp.MustCompile(`session 1: (\d+) events`).FindStringSubmatch(stdout)
	revents := regexp.MustCompile(`: (\d+) events\n`).FindStringSubmatch(rout)
	if sevents == nil || revents == nil || sevents[1] != revents[1] {
		t.Fatalf("live sequenced %v events, the replay %v", sevents, revents)
	}
}

// Bad input is refused with a clear message before anything starts: no journal is created.
func TestLiveBadInput(t *testing.T) {
	base := strings.SplitN(liveConfig, "live:", 2)[0]
	tests := []struct {
		name, cfg, want string
	}{
		{"unknown pair", strings.Replace(base, "pairs: [BTC/USD]", "pairs: [NOPE/USD]", 1), "NOPE/USD"},
		{"negative balance", strings.Replace(base, `balances: {USD: "5000"}`, `balances: {USD: "-5"}`, 1), "negative"},
		{"unknown strategy", strings.Replace(base, "type: buyhold", "type: moonshot", 1), "moonshot"},
		{"unknown parameter", strings.Replace(base, "recenter: 3s}", "recenter: 3s, wobble: 3}", 1), "wobble"},
		{"unknown key", base + "lvie:\n  api: v2\n", "lvie"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir, tc.cfg)
			db := filepath.Join(dir, "paper.db")
			code, out, errs := runCLI(t, "live", "-c", cfg, "--db", db, "--http", "", "--url", "ws://127.0.0.1:1/v2")
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q\n%s", code, errs, ExitUsage, tc.want, out)
			}
			if _, err := os.Stat(db); err == nil {
				t.Fatal("a journal was created for a config that was refused")
			}
		})
	}
	t.Run("flags", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, liveConfig)
		for _, args := range [][]string{
			{"--api", "v3"},
			{"--http", "0.0.0.0:0"},
			{"--metrics", "0.0.0.0:0"},
		} {
			db := filepath.Join(dir, "x.db")
			code, _, errs := runCLI(t, append([]string{"live", "-c", cfg, "--db", db, "--url", "ws://127.0.0.1:1/v2"}, args...)...)
			if code != ExitUsage {
				t.Errorf("%v: exit %d, want %d: %s", args, code, ExitUsage, errs)
			}
			r, err := journal.OpenReader(db)
			if err == nil {
				ss, _ := r.Sessions(context.Background())
				r.Close()
				if len(ss) != 0 {
					t.Errorf("%v: a session was started", args)
				}
			}
		}
	})
}

// A journal made with another config is refused, with a message that says so; the journal is
// left as it was.
func TestLiveRefusesAnotherConfigsJournal(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "paper.db")
	j, err := journal.Open(db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(context.Background(), journal.SessionConfig{ConfigHash: "0123456789abcdef0123", Instances: []journal.InstanceConfig{{Name: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, liveConfig)
	code, _, errs := runCLI(t, "live", "-c", cfg, "--db", db, "--http", "", "--url", "ws://127.0.0.1:1/v2")
	if code != ExitUsage || !strings.Contains(errs, "belongs to a different configuration") || !strings.Contains(errs, "0123456789ab") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ss, _ := r.Sessions(context.Background()); len(ss) != 1 {
		t.Fatalf("%d sessions after the refusal", len(ss))
	}
}

// TestLiveCrashChild is the child of TestLiveCrashRecovery: a live session it runs until it is
// killed. It does nothing in a normal test run.
func TestLiveCrashChild(t *testing.T) {
	args := os.Getenv("PAPERTRADE_LIVE_CHILD")
	if args == "" {
		t.Skip("the child of TestLiveCrashRecovery")
	}
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatal(err)
	}
	os.Exit(Run(context.Background(), a, strings.NewReader(""), os.Stdout, os.Stderr))
}

var fillsInStatus = regexp.MustCompile(`(\d+) fills`)

// Crash recovery: a live process is SIGKILLed mid-session and restarted on the same journal.
// Nothing journaled is lost or duplicated: the killed session's journal agrees, fill for fill,
// with an uninterrupted run over the same events (its replay) as far as both got; the restart
// resumes exactly the balances, positions and open orders those fills and orders leave;
// nothing trades in the offline window; and no order id repeats.
func TestLiveCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: re-executes the test binary")
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(liveMarket(t, 9), 300))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, liveConfig)
	db := filepath.Join(dir, "paper.db")
	rec := filepath.Join(dir, "rec")
	args := []string{"live", "-c", cfg, "--url", srv.URLv2(), "--db", db, "--record", rec, "--http", "", "--status", "100ms", "--duration", "2m", "--log-level", "error"}
	b, _ := json.Marshal(args)
	child := exec.Command(os.Args[0], "-test.run=^TestLiveCrashChild$")
	child.Env = append(os.Environ(), "PAPERTRADE_LIVE_CHILD="+string(b))
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() { // the status line: kill once the accounts have traded
		n := 0
		for _, m := range fillsInStatus.FindAllStringSubmatch(sc.Text(), -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
		if n >= 30 {
			break
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	killedFills, killed := sessionFills(t, db, 1)
	// The restart: same config, same journal, a few seconds of trading (8 s: the grid must fill
	// from trades through its restored orders, and buy-and-hold rightly holds).
	code, out, errs := runCLI(t, "live", "-c", cfg, "--url", srv.URLv2(), "--db", db, "--record", rec, "--http", "", "--duration", "8s", "--status", "0", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", code, out, errs)
	}
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	ss, err := r.Sessions(ctx)
	if err != nil || len(ss) != 2 || ss[0].Status != "crashed" || ss[1].Status != "closed" || ss[1].Restored == nil {
		t.Fatalf("sessions: %+v %v", ss, err)
	}

	// 1. The killed session against an uninterrupted run over its events: its own replay.
	code, rout, rerr := runCLI(t, "backtest", "--session", "1", "--db", db, "--log-level", "warn")
	if code != 0 || !strings.Contains(rout, "the session crashed") {
		t.Fatalf("replay of the killed session: exit %d\n%s\n%s", code, rout, rerr)
	}
	mm := parityOK.FindStringSubmatch(rout)
	compared, _ := strconv.Atoi(mm[1])
	total := 0
	for _, n := range killedFills {
		total += n
	}
	if compared < 20 || compared < total-20 {
		// The recording loses at most its last second; the journal commits continuously.
		t.Fatalf("%d of %d journaled fills compared with the uninterrupted run\n%s", compared, total, rout)
	}

	// 2. The restart resumed exactly what the journal holds: deposits plus every journaled
	// fill, and the orders the journaled updates leave open.
	for _, st := range ss[1].Restored {
		want := map[string]decimal.Decimal{}
		for _, d := range depositsOf(st.Name) {
			want[d.Asset] = want[d.Asset].Add(d.Amount)
		}
		open := map[strategy.OrderID]bool{}
		filled := map[strategy.OrderID]decimal.Decimal{}
		qty := map[strategy.OrderID]decimal.Decimal{}
		for _, x := range killed {
			if x.Instance != st.Name {
				continue
			}
			switch x.Kind {
			case engine.RecordFill:
				f := x.Fill
				filled[f.OrderID] = filled[f.OrderID].Add(f.Qty)
				cost := f.Price.Mul(f.Qty)
				if f.Side == feed.Buy {
					want[f.Pair.Base()] = want[f.Pair.Base()].Add(f.Qty)
					want[f.Pair.Quote()] = want[f.Pair.Quote()].Sub(cost).Sub(f.Fee)
				} else {
					want[f.Pair.Base()] = want[f.Pair.Base()].Sub(f.Qty)
					want[f.Pair.Quote()] = want[f.Pair.Quote()].Add(cost).Sub(f.Fee)
				}
			case engine.RecordOrder:
				if id := x.Order.Order.ID; id != "" {
					open[id] = !x.Order.Status.Done()
					qty[id] = x.Order.Order.Qty
				}
			}
		}
		for _, bal := range st.Ledger.Balances {
			if !bal.Total.Equal(want[bal.Asset]) {
				t.Errorf("%s: resumed with %s %s; deposits and journaled fills make %s", st.Name, bal.Total, bal.Asset, want[bal.Asset])
			}
		}
		if st.Fills != uint64(killedFills[st.Name]) {
			t.Errorf("%s: resumed after %d fills, %d journaled", st.Name, st.Fills, killedFills[st.Name])
		}
		got := map[strategy.OrderID]bool{}
		for _, ro := range st.Resume.Orders {
			got[ro.Order.ID] = true
			if !open[ro.Order.ID] {
				t.Errorf("%s: order %s resumed, but the journal has it closed", st.Name, ro.Order.ID)
			}
		}
		for id, o := range open {
			// An order whose journaled fills complete it is done even if the crash came
			// before its "closed" update was journaled.
			if o && !got[id] && filled[id].LessThan(qty[id]) {
				t.Errorf("%s: open order %s was not resumed", st.Name, id)
			}
		}
	}

	// 3. The second session: nothing traded in the offline window, no order id repeats.
	gaps, err := r.Gaps(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var offline *journal.GapRow
	for i := range gaps {
		if gaps[i].Gap.Channel == "offline" {
			offline = &gaps[i]
		}
	}
	if offline == nil || !offline.Gap.To.After(offline.Gap.From) || !offline.Gap.From.Equal(ss[0].LastEvent) {
		t.Fatalf("offline gap %+v (session 1 ended at %s)", offline, ss[0].LastEvent)
	}
	after, err := r.Records(ctx, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[strategy.OrderID]bool{}
	for _, x := range killed {
		if x.Kind == engine.RecordOrder && x.Order.Order.ID != "" {
			seen[x.Order.Order.ID] = true
		}
	}
	delivered := deliveredTrades(t, rec, ss[1].TapeName, ss[1])
	n2 := 0
	for _, x := range after {
		switch x.Kind {
		case engine.RecordFill:
			n2++
			f := x.Fill
			if f.Time.Before(offline.Gap.From) {
				t.Errorf("fill at %s, before the previous session's last event %s: the account's time went back", f.Time, offline.Gap.From)
			}
			for _, id := range f.Provenance.TradeIDs {
				if !delivered[f.Pair][id] {
					t.Errorf("fill of %s from trade %d, which the restarted session never received (offline window?)", f.OrderID, id)
				}
			}
		case engine.RecordOrder:
			if x.Order.Status == strategy.StatusPending && x.Order.Reason == "" && seen[x.Order.Order.ID] {
				t.Errorf("order id %s of session 1 used again in session 2", x.Order.Order.ID)
			}
		}
	}
	if n2 == 0 {
		t.Fatal("no fill after the restart")
	}
	// And the second session replays to its own fills, from the state it resumed.
	code, rout, rerr = runCLI(t, "backtest", "--session", "2", "--db", db, "--log-level", "warn")
	if code != 0 || !parityOK.MatchString(rout) {
		t.Fatalf("replay of the resumed session: exit %d\n%s\n%s", code, rout, rerr)
	}
	t.Logf("killed after %d journaled fills (%d compared with the uninterrupted run); %d fills after the restart", total, compared, n2)
}

// deliveredTrades returns the trade ids a recorded session delivered to its engine, per pair.
func deliveredTrades(t *testing.T, dir, name string, s *journal.SessionInfo) map[feed.Pair]map[uint64]bool {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(dir, name+"-*"+tape.ManifestSuffix))
	if err != nil || len(ms) != 1 {
		t.Fatalf("recording %s: %v %v", name, ms, err)
	}
	r, err := tape.Open(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	st := kraken.NewNormalizer(kraken.NormalizerConfig{API: feed.APIV2, Pairs: s.Feed.Pairs, Channels: s.Feed.Channels, Depth: s.Feed.Depth})
	out := map[feed.Pair]map[uint64]bool{}
	var evs []feed.Event
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		evs = st.Frame(f, evs[:0])
		for _, e := range evs {
			if e.Kind == feed.KindTrade {
				if out[e.Trade.Pair] == nil {
					out[e.Trade.Pair] = map[uint64]bool{}
				}
				out[e.Trade.Pair][e.Trade.ID] = true
			}
		}
	}
	return out
}

func depositsOf(name string) []engine.Deposit {
	d := func(asset, amt string) engine.Deposit {
		return engine.Deposit{Asset: asset, Amount: decimal.RequireFromString(amt)}
	}
	switch name {
	case "grid-btc":
		return []engine.Deposit{d("USD", "20000"), d("BTC", "0.2")}
	case "grid-eth":
		return []engine.Deposit{d("USD", "20000"), d("ETH", "3")}
	case "hodl-eth":
		return []engine.Deposit{d("USD", "5000")}
	}
	panic(fmt.Sprintf("unknown instance %s", name))
}
