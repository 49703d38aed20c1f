package node_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/backtest/node"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/dashboard"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const runYAML = `seed: 3
equity_interval: 1s
strategies:
  - name: grid-btc
    type: grid
    pairs: [BTC/USD]
    balances: {USD: "20000", BTC: "0.2"}
    account_currency: USD
    params: {levels: 3, spacing: 5, size: "0.002", recenter: 10s}
  - name: hodl-btc
    type: buyhold
    pairs: [BTC/USD]
    balances: {USD: "5000"}
live:
  channels: [trade, book]
  book_depth: 10
`

func setup(t *testing.T) (*config.Config, *strategy.Registry, *krakentest.Server) {
	t.Helper()
	reg := strategy.NewRegistry()
	builtin.Register(reg)
	c, err := config.Parse([]byte(runYAML), "run.yaml", reg, kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	info, _ := kraken.DefaultPairs().Lookup("BTC/USD")
	m, err := synth.New(synth.Config{Seed: 5, Pairs: []synth.PairConfig{{Info: *info, StartPrice: decimal.NewFromInt(60000), Depth: 25, Volatility: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(m, 300))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return c, reg, srv
}

// runFrames runs a session until the client has read frames frames.
func runFrames(t *testing.T, cfg node.Config, frames int64) (*node.Result, *node.Session) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	cfg.Client = func(cc *kraken.ClientConfig) {
		cc.Seed = 1
		cc.OnFrame = func(time.Time, feed.API, uint32, []byte) {
			if n.Add(1) == frames {
				cancel() // as if interrupted
			}
		}
	}
	var sess *node.Session
	cfg.Started = func(s *node.Session) { sess = s }
	nd, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := nd.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res, sess
}

// A session runs, journals, records and summarises; a second one on the same journal resumes
// the accounts.
func TestNodeRunAndResume(t *testing.T) {
	c, reg, srv := setup(t)
	dir := t.TempDir()
	cfg := node.Config{Mode: "live", Title: "test", Run: c, Registry: reg, URL: srv.URLv2(), DB: filepath.Join(dir, "paper.db"),
		RecordDir: filepath.Join(dir, "rec"), HTTP: "127.0.0.1:0", Version: "test"}
	res, sess := runFrames(t, cfg, 400)
	if sess == nil || sess.ID != 1 || sess.Restored || sess.Dashboard == "" || sess.Tape == nil {
		t.Fatalf("session %+v; want session 1, fresh, with a dashboard and a recording", sess)
	}
	if res.Session != 1 || res.Engine.Events == 0 || res.Tape == "" || !res.Recorded || len(res.Summary.Strategies) != 2 || res.Restored != nil {
		t.Fatalf("result %+v", res)
	}
	if res.Summary.Run.ConfigHash != node.ConfigHash(c) || res.Summary.Run.Mode != "live" {
		t.Errorf("summary run %+v", res.Summary.Run)
	}
	cfg.HTTP = ""
	res2, sess2 := runFrames(t, cfg, 200)
	if sess2.ID != 2 || !sess2.Restored || sess2.Dashboard != "" || res2.Restored == nil || res2.Restored.ID != 1 {
		t.Errorf("second session %+v, restored from %+v; want session 2 resuming session 1", sess2, res2.Restored)
	}
}

// What the node refuses, it refuses before anything starts, as a *ConfigError naming the
// setting.
func TestNodeRefuses(t *testing.T) {
	c, reg, srv := setup(t)
	dir := t.TempDir()
	if _, err := node.New(node.Config{Run: c, DB: filepath.Join(dir, "a.db"), Duration: -time.Second}); !isConfigError(err, "Duration") {
		t.Errorf("negative duration: %v", err)
	}
	if _, err := node.New(node.Config{Run: c}); !isConfigError(err, "DB") {
		t.Errorf("no journal: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	nd, err := node.New(node.Config{Run: c, Registry: reg, URL: srv.URLv2(), DB: filepath.Join(dir, "b.db"), HTTP: busy.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := nd.Run(context.Background())
	if !isConfigError(err, "HTTP") || res != nil {
		t.Errorf("busy dashboard address: %v, %v", res, err)
	}
	if n := srv.Stats().Connections; n != 0 {
		t.Errorf("the feed was dialled %d times before the refusal", n)
	}
}

func isConfigError(err error, setting string) bool {
	var ce *node.ConfigError
	return errors.As(err, &ce) && ce.Setting == setting
}

func TestStatusTextSaysWhyDisconnected(t *testing.T) {
	var st session.LiveStats
	st.Client.DialProblem = "cannot reach Kraken (DNS lookup failed for ws.kraken.com: no such host)"
	got := node.StatusText(st, []dashboard.InstanceStatus{{Name: "grid-btc", Status: "running"}}, 0)
	want := "feed disconnected: cannot reach Kraken (DNS lookup failed for ws.kraken.com: no such host) (0 conns, last msg - ago, 0 trades, 0 gaps) | grid-btc - 0 fills"
	if got != want {
		t.Errorf("status\n got %q\nwant %q", got, want)
	}
	st.Connected, st.Client.DialProblem = true, ""
	if got := node.StatusText(st, nil, 3); !strings.HasPrefix(got, "feed connected (") {
		t.Errorf("connected status %q", got)
	}
}
