package cli

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/breakout"
)

// shortConfig trades the breakout sample with shorts on BTC/USDT, the built-in pair with
// Kraken's margin terms (leverage 2-10 both ways, margin_call 80, margin_stop 40; see
// feed/kraken/pairs_margin.go). One-second candles and tight exits make it trade often on
// the look-alike's fast market.
const shortConfig = `seed: 11
equity_interval: 1s
latency: 20ms
jitter: 5ms
strategies:
  - name: short-btc
    type: breakout
    pairs: [BTC/USDT]
    balances: {USDT: "20000"}
    params: {period: 5, interval: 1s, size: "0.01", stop: "0.1", take: "0.15", short: true, leverage: 3}
live:
  channels: [trade, book]
  book_depth: 10
`

// watchedBreakout is the breakout sample with an observer of its margin position after each
// trade. It submits nothing of its own, so a replay with the plain breakout makes the same
// orders: the replays below use the built-in registry.
type watchedBreakout struct {
	*breakout.Breakout
	see func(strategy.MarginPosition)
}

func (w *watchedBreakout) OnTrade(c strategy.Context, t feed.Trade) error {
	err := w.Breakout.OnTrade(c, t)
	w.see(c.Position(t.Pair).Margin)
	return err
}

// shortWatch follows the margin position a session's strategy sees.
type shortWatch struct {
	mu           sync.Mutex
	first, seen  bool // a position has been seen; first: the first one seen was a short
	shortSeen    bool // a short was open at some point
	closedLater  bool // a short was seen open and later flat
	stopOnShort  bool
	stopOnCover  bool
	cancel       context.CancelFunc
	observations int
}

func (w *shortWatch) see(m strategy.MarginPosition) {
	w.mu.Lock()
	defer w.mu.Unlock()
	short := m.Open() && m.Side == feed.Sell
	if !w.seen {
		w.seen, w.first = true, short
	}
	w.observations++
	if short {
		w.shortSeen = true
		if w.stopOnShort {
			w.cancel()
		}
	} else if w.shortSeen {
		w.closedLater = true
		if w.stopOnCover {
			w.cancel()
		}
	}
}

// registry holds only "breakout", the watched one, so the config runs unchanged.
func (w *shortWatch) registry() *strategy.Registry {
	reg := strategy.NewRegistry()
	reg.Register(breakout.Name, func(p strategy.Params, log *zap.Logger) (strategy.Strategy, error) {
		s, err := breakout.New(p, log)
		if err != nil {
			return nil, err
		}
		return &watchedBreakout{Breakout: s.(*breakout.Breakout), see: w.see}, nil
	}, breakout.Params{}, breakout.Help)
	return reg
}

// runWatchedLive runs one live session of shortConfig on the journal db until the watch
// cancels it or limit passes, and returns its stdout.
func runWatchedLive(t *testing.T, srv *krakentest.Server, cfg, db, rec string, w *shortWatch, limit time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.cancel = cancel
	var out, errb strings.Builder
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: zap.NewNop(), registry: w.registry()}
	cmd := newLiveCmd(a)
	if err := cmd.ParseFlags([]string{"--db", db, "--record", rec, "--url", srv.URLv2(), "--http", ""}); err != nil {
		t.Fatal(err)
	}
	o := liveOptions{config: cfg, url: srv.URLv2(), db: db, record: rec, duration: limit,
		client: func(cc *kraken.ClientConfig) { cc.Seed, cc.BackoffMin = 1, 100*time.Millisecond }}
	if err := runLive(ctx, a, cmd, o); err != nil {
		t.Fatalf("live: %v\n%s\n%s", err, out.String(), errb.String())
	}
	return out.String()
}

// Issue 19's done-when, end to end: the breakout sample with shorts paper-trades BTC/USDT
// (a pair with margin terms) live against the look-alike; the session is stopped while a
// short is open; a second "papertrade live" on the same journal resumes the short (side,
// size, cost, fees) and trades on; "backtest --session" replays each session to the same
// fills, the second from the state it resumed.
func TestLiveShortSurvivesRestartAndReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two live sessions")
	}
	info, ok := kraken.DefaultPairs().Lookup("BTC/USDT")
	if !ok || !info.Marginable(feed.Sell, 3) {
		t.Fatal("BTC/USDT has no 3x short in the built-in table")
	}
	m, err := synth.New(synth.Config{Seed: 21, Pairs: []synth.PairConfig{{Info: *info, StartPrice: decimal.NewFromInt(60000), Depth: 25, Volatility: 6}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(m, 300))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, shortConfig)
	db := filepath.Join(dir, "paper.db")
	rec := filepath.Join(dir, "rec")

	// Session 1: stopped as soon as a short is open (a minute at most).
	w1 := &shortWatch{stopOnShort: true}
	out1 := runWatchedLive(t, srv, cfg, db, rec, w1, time.Minute)
	if !w1.shortSeen {
		t.Fatalf("no short opened in a minute of live trading:\n%s", out1)
	}
	fills1, recs1 := sessionFills(t, db, 1)
	margin1 := 0
	for _, x := range recs1 {
		if x.Kind == engine.RecordMargin {
			margin1++
		}
	}
	if fills1["short-btc"] == 0 || margin1 == 0 {
		t.Fatalf("session 1: %d fills, %d margin records", fills1["short-btc"], margin1)
	}

	// Session 2: resumes the journal; stopped once the short is covered (or after 20 s).
	w2 := &shortWatch{stopOnCover: true}
	out2 := runWatchedLive(t, srv, cfg, db, rec, w2, 20*time.Second)
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := r.Sessions(context.Background())
	r.Close()
	if err != nil || len(ss) != 2 || ss[0].Status != "closed" || ss[1].Status != "closed" || len(ss[1].Restored) != 1 {
		t.Fatalf("sessions %+v %v", ss, err)
	}
	var resumed ledger.MarginSnapshot
	for _, p := range ss[1].Restored[0].Ledger.Margin {
		if p.Pair == "BTC/USDT" {
			resumed = p
		}
	}
	if resumed.Side != "sell" || resumed.Qty.Sign() <= 0 {
		t.Fatalf("session 2 resumed margin %+v: the short did not survive the restart", resumed)
	}
	if !w2.first {
		t.Fatalf("the strategy's first view after the restart had no short (resumed %+v)", resumed)
	}
	fills2, recs2 := sessionFills(t, db, 2)
	if w2.closedLater {
		// The cover closes the resumed short: a margin fill, booked as such.
		margin2 := 0
		for _, x := range recs2 {
			if x.Kind == engine.RecordMargin && x.Margin.Kind == strategy.MarginFill {
				margin2++
			}
		}
		if margin2 == 0 || fills2["short-btc"] == 0 {
			t.Errorf("session 2 covered the short with %d fills and %d margin fills", fills2["short-btc"], margin2)
		}
	}
	t.Logf("session 1: %d fills, %d margin records, stopped with a short of %s for %s at %dx; session 2: %d fills, covered: %v; observations %d, %d",
		fills1["short-btc"], margin1, resumed.Qty, resumed.Cost, resumed.Leverage, fills2["short-btc"], w2.closedLater, w1.observations, w2.observations)

	// Both sessions replay to their own fills.
	for id, n := range []int{1: fills1["short-btc"], 2: fills2["short-btc"]} {
		if id == 0 {
			continue
		}
		code, rout, rerr := runCLI(t, "backtest", "--session", strconv.Itoa(id), "--db", db, "--log-level", "warn")
		if code != 0 {
			t.Fatalf("backtest --session %d: exit %d\n%s\n%s", id, code, rout, rerr)
		}
		mm := parityOK.FindStringSubmatch(rout)
		if mm == nil || mm[1] != strconv.Itoa(n) {
			t.Errorf("backtest --session %d:\n%s\nwant parity OK over %d fills (live output:\n%s)", id, rout, n, map[int]string{1: out1, 2: out2}[id])
		}
	}
}
