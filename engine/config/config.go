package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Defaults applied to settings the file leaves out.
const (
	DefaultEquityInterval = time.Minute
	DefaultLiveAPI        = "v2"
	DefaultLiveURLV2      = "wss://ws.kraken.com/v2"
	DefaultLiveURLV1      = "wss://ws.kraken.com"
	DefaultLiveBookDepth  = 10
	DefaultSweepTrials    = 100
	DefaultSweepMetric    = "sharpe"
)

// DefaultLiveChannels are the channels a live session subscribes to when the file names none.
var DefaultLiveChannels = []string{"trade", "book"}

// Config is a loaded, validated run configuration. It is plain data: build engine instances
// from it with Instances.
type Config struct {
	// Path is the file the config was loaded from ("" when parsed from bytes without a name);
	// Raw is its content, stored in run manifests.
	Path string
	Raw  []byte

	// Seed drives every random draw of the run (latency jitter, order ids); each instance's
	// simulator gets SeedFor(Seed, name).
	Seed uint64
	// EquityInterval is the event-time spacing of equity samples (default one minute).
	EquityInterval time.Duration
	// Sim is the simulated exchange's behaviour, shared by every instance.
	Sim Sim
	// FillModels, when not empty, runs every instance once per model (the PnL band); the
	// instances are named "<name>@<model>". Empty means one run under Sim.Model.
	FillModels []sim.FillModel
	// Data is the recording a backtest or sweep replays.
	Data Data
	// Strategies are the instances, in the order written.
	Strategies []Strategy
	// Live holds the settings only `papertrade live` reads.
	Live Live
	// Sweep is the parameter search; nil when the file has no sweep section.
	Sweep *Sweep
}

// Sim configures every instance's simulated exchange (see engine/sim.Config).
type Sim struct {
	// Latency of submits, amends and cancels. The file's "latency" defaults to 50ms; an
	// explicit 0 means none (orders still never trade on the event that caused them).
	Latency time.Duration
	// Jitter adds a seeded uniform [0, Jitter] to each request's latency.
	Jitter time.Duration
	// Model is the fill model (default, optimistic, pessimistic).
	Model sim.FillModel
	// SlippageBps is the adverse slippage of next-trade fills, in basis points.
	SlippageBps decimal.Decimal
	// FeeVolume is the 30-day volume that picks the Kraken fee tier (zero: entry tier).
	FeeVolume decimal.Decimal
	// RollingFeeVolume makes the tier follow each account's simulated 30-day volume (plus
	// FeeVolume), re-evaluated at every fill (engine/sim.Config.RollingFeeVolume). The file's
	// "fees: {rolling_volume: true}"; off by default.
	RollingFeeVolume bool
	// FeeOverride replaces the pair schedules with MakerFee and TakerFee (percent).
	FeeOverride        bool
	MakerFee, TakerFee decimal.Decimal
	// BookDepth is the depth of the recorded or subscribed book (0: inferred from snapshots).
	BookDepth int
	// StrictLot rejects quantities with more decimals than the pair allows.
	StrictLot bool
	// MarginOpening and MarginRollover are the margin fees in percent of the amount lent, by
	// the asset Kraken lends (quote for a long, base for a short): on opening, and every 4
	// hours a position stays open (engine/sim.Config.MarginRates and RolloverRates). The
	// file's "margin: {opening: {USD: 0.025}, rollover: {USD: 0.025}}". Assets not named use
	// Kraken's published rates (sim's defaults); a rollover not named, the opening rate.
	// omitempty: a config without them hashes as before they existed (node.ConfigHash).
	MarginOpening  map[string]decimal.Decimal `json:",omitempty"`
	MarginRollover map[string]decimal.Decimal `json:",omitempty"`
}

// Data names the market data a backtest or sweep replays.
type Data struct {
	// Path is a tape directory or segment file; a relative path in the file is resolved
	// against the config file's directory. Command-line flags override it.
	Path string
	// From and To bound the replay by receive time (From <= t < To); zero is open.
	From, To time.Time
}

// Strategy is one strategy instance: a registered strategy type with its parameters, the
// pairs it trades and its own account.
type Strategy struct {
	Name   string          // unique within the run
	Type   string          // registered strategy name
	Params strategy.Params // as written; defaults are applied by the strategy
	Pairs  []feed.Pair
	// Balances are the starting balances, in the order written; none is negative.
	Balances []record.Deposit
	// AccountCurrency values equity (default: the first pair's quote).
	AccountCurrency string
	// Line is where the instance is defined in the file, for messages.
	Line int
}

// Live holds the settings of `papertrade live`; backtests and sweeps ignore them.
type Live struct {
	API       string   // "v2" (default) or "v1"
	URL       string   // WebSocket URL (default Kraken's public endpoint for API)
	Channels  []string // public channels to subscribe (default trade, book)
	BookDepth int      // book subscription depth: 10 (default), 25, 100, 500 or 1000
	RecordDir string   // record raw frames here ("" = do not record)
	DB        string   // journal database file ("" = the command's default)
	HTTP      string   // dashboard listen address ("" = none)
	// LagWarn and LagLimit bound a worker's backlog in events (0: engine defaults).
	LagWarn, LagLimit int
	// Notify sends fills, faults, feed problems and daily PnL to the owner; nil: off.
	Notify *Notify
}

// Notify configures a live session's notifications (engine/notify). Secrets are best kept
// out of the file: TokenEnv and URLEnv name environment variables the CLI reads at start.
type Notify struct {
	TelegramToken, TelegramTokenEnv, TelegramChat string
	WebhookURL, WebhookURLEnv                     string
	// Events are the kinds sent: fills, faults, feed, daily (empty: all).
	Events []string
	// MinInterval is the least time between two messages to one destination (0: default).
	MinInterval time.Duration
}

// Sweep describes a parameter search over one strategy instance.
type Sweep struct {
	// Strategy is the name of the instance whose parameters are searched; the run's other
	// instances are not part of the sweep.
	Strategy string
	// Method is "grid" (every combination, in order) or "random" (Trials draws).
	Method string
	// Trials caps a grid and sets the number of random draws (default 100 for random).
	Trials int
	// Seed drives the random draws (default: the run seed).
	Seed uint64
	// Metric ranks the results; see RankMetrics.
	Metric string
	// Params are the searched parameters and their values, in the order written. Empty
	// means every parameter of the strategy that declares a range, with its declared grid.
	Params []SweepParam
	// Parallel is the number of trials run at once (0: one per CPU).
	Parallel int
	// DB is the SQLite results file ("" = <out>/sweep.db); Out the results directory.
	DB, Out string
	// WalkForward, when set, optimises on rolling training windows and scores the winner
	// on the test window that follows each.
	WalkForward *WalkForward
}

// SweepParam is one searched parameter and the values tried, in order.
type SweepParam struct {
	Name   string
	Values []string
}

// WalkForward is the window layout of a walk-forward sweep: train on [t, t+Train), test on
// [t+Train, t+Train+Test), then move t by Test.
type WalkForward struct {
	Train, Test time.Duration
}

// RankMetrics are the metric names a sweep can rank by, and whether lower is better.
var RankMetrics = []struct {
	Name        string
	LowerBetter bool
}{
	{"return", false}, {"cagr", false}, {"sharpe", false}, {"sortino", false},
	{"calmar", false}, {"max_drawdown", true}, {"profit_factor", false},
	{"win_rate", false}, {"expectancy", false}, {"final_equity", false},
	{"trades", false}, {"fees", true},
}

// PairTable looks up a pair's trading rules; *kraken.Pairs implements it.
type PairTable interface {
	Lookup(feed.Pair) (*feed.PairInfo, bool)
}

// Load reads and validates the config file at path against the strategies in reg and the
// pairs in pairs. On failure it returns Errors listing every problem found, each naming
// the file, line and key.
func Load(path string, reg *strategy.Registry, pairs PairTable) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, path, reg, pairs)
}

// Parse is Load for a config already in memory; name is used in messages and to resolve
// relative data paths (it may be "").
func Parse(data []byte, name string, reg *strategy.Registry, pairs PairTable) (*Config, error) {
	if reg == nil {
		return nil, errors.New("config: no strategy registry")
	}
	if pairs == nil {
		return nil, errors.New("config: no pair table")
	}
	d := &decoder{file: name, reg: reg, pairs: pairs}
	c := d.decode(data)
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	c.Path = name
	c.Raw = slices.Clone(data)
	if c.Data.Path != "" && !filepath.IsAbs(c.Data.Path) && name != "" {
		c.Data.Path = filepath.Join(filepath.Dir(name), c.Data.Path)
	}
	return c, nil
}

// Strategy returns the instance named name.
func (c *Config) Strategy(name string) (*Strategy, bool) {
	for i := range c.Strategies {
		if c.Strategies[i].Name == name {
			return &c.Strategies[i], true
		}
	}
	return nil, false
}

// Pairs returns every pair some instance trades, sorted: what a live session subscribes to
// and what a backtest keeps from its data.
func (c *Config) Pairs() []feed.Pair {
	var out []feed.Pair
	for _, s := range c.Strategies {
		out = append(out, s.Pairs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Models returns the fill models each instance runs under: FillModels, or Sim.Model alone.
func (c *Config) Models() []sim.FillModel {
	if len(c.FillModels) > 0 {
		return slices.Clone(c.FillModels)
	}
	return []sim.FillModel{c.Sim.Model}
}

// SimConfig returns the simulator configuration of the instance named name under the
// run's settings: the seed is SeedFor(c.Seed, name).
func (c *Config) SimConfig(name string) sim.Config {
	s := c.Sim
	lat := s.Latency
	if lat == 0 {
		lat = -1 // engine/sim: negative means none; zero would mean its default
	}
	return sim.Config{
		Latency:          lat,
		Jitter:           s.Jitter,
		Seed:             SeedFor(c.Seed, name),
		Model:            s.Model,
		SlippageBps:      s.SlippageBps,
		FeeVolume:        s.FeeVolume,
		RollingFeeVolume: s.RollingFeeVolume,
		FeeOverride:      s.FeeOverride,
		MakerFee:         s.MakerFee,
		TakerFee:         s.TakerFee,
		BookDepth:        s.BookDepth,
		StrictLot:        s.StrictLot,
		MarginRates:      s.MarginOpening,
		RolloverRates:    s.MarginRollover,
	}
}

// SeedFor derives an instance's simulator seed from the run seed and the instance's name
// (FNV-1a of the name mixed with splitmix64), so that instances draw independently and an
// instance's draws do not depend on which others run. A name suffixed "@model" (the PnL band)
// gets the seed of its base name, so the models see the same latencies.
func SeedFor(seed uint64, name string) uint64 {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '@' {
			name = name[:i]
			break
		}
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	x := seed ^ h
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// LowerIsBetter reports whether metric (one of RankMetrics) ranks ascending; ok is false
// for an unknown metric.
func LowerIsBetter(metric string) (lower, ok bool) {
	for _, m := range RankMetrics {
		if m.Name == metric {
			return m.LowerBetter, true
		}
	}
	return false, false
}
