// Package node runs a live paper-trading session: a run config in, Run(ctx) out. A Node
// assembles what `papertrade live` and `papertrade demo` run, and what tests run in-process:
// the Kraken feed client (or any server speaking its protocol) through the tapped live source
// (engine/session.Live) into the engine, the SQLite journal (accounts resume from it), the
// recording of every frame consumed, the dashboard and metrics listeners, and the report
// collectors behind the closing summary. The commands only parse flags and print.
//
// It sits under backtest because DESIGN §3 fixes the top level and puts what builds engine
// instances from a config and runs them (backtest.NewInstance, backtest.ReplaySession, this
// node) above the engine, at backtest's level: imports still point one way.
package node

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/dashboard"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// Config is one session to run.
type Config struct {
	Mode  string         // "live" or "demo": journaled with the session, shown on the dashboard
	Title string         // the dashboard's title
	Run   *config.Config // the run config: strategies, accounts, the live section
	// Registry holds the strategies Run names (the built-ins and the user's).
	Registry *strategy.Registry

	API feed.API // Kraken WebSocket API; APINone means v2
	URL string   // the feed's URL; "" is Kraken's public endpoint for API

	DB        string // the journal file (required)
	RecordDir string // record every frame consumed here; "" records nothing

	HTTP        string // dashboard address; "" serves none
	AllowRemote bool   // allow a non-loopback dashboard address
	Metrics     string // Prometheus /metrics and pprof address (loopback); "" serves none

	// Duration stops the session after this long (0: until ctx ends).
	Duration time.Duration
	// EquityInterval overrides the run config's equity interval when positive (the demo
	// samples faster).
	EquityInterval time.Duration
	Pairs          *kraken.Pairs // the pair table; nil is kraken.DefaultPairs()

	// StatusEvery calls Status with a one-line status this often while the session runs
	// (0: never). Status runs on the node's own goroutine, one call at a time.
	StatusEvery time.Duration
	Status      func(line string)
	// Started is called once the session is running (the listeners are up, the journal has
	// begun the session), before the feed's first event, on the goroutine that called Run.
	Started func(*Session)
	// Client adjusts the feed client's configuration last (seed, backoff, a dialer in tests).
	Client func(*kraken.ClientConfig)

	// Getenv reads the environment variables the run config names for notification secrets
	// (live.notify's token_env, url_env); the CLI passes os.Getenv. nil reads none, so a config
	// that names one is refused.
	Getenv func(string) string

	Version string      // papertrade's version, journaled and shown in the summary
	Log     *zap.Logger // default zap.NewNop()
}

// ConfigError is a setting the node refuses before anything starts: a bad value, or an
// address it cannot listen on. Setting names the Config field ("HTTP", "Metrics",
// "Duration"), or is empty for the run config itself.
type ConfigError struct {
	Setting string
	Err     error
}

func (e *ConfigError) Error() string {
	if e.Setting == "" {
		return e.Err.Error()
	}
	return e.Setting + ": " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Session is a running session, for the caller's status output and for tests. It is valid
// from Started until Run returns.
type Session struct {
	ID        int64
	Journal   *journal.Journal
	Tape      *tape.Writer // nil when not recording
	Source    *session.Live
	Hub       *dashboard.Hub
	Dashboard string // URL ("" when off)
	Metrics   string // address ("" when off)
	Probe     *engine.Probe
	Restored  bool // the accounts resumed from the journal
}

// Result is what a session produced.
type Result struct {
	Session    int64
	Journal    string
	Tape       string // manifest path ("" when not recorded)
	Summary    *report.Summary
	Collectors []*report.Collector
	Market     *report.Market
	Engine     *engine.Result
	Restored   *journal.SessionInfo // the session this one resumed from
	Config     *config.Config
	Recorded   bool // recording was on
	// Frames is how many frames the feed delivered; DialProblem why it last could not connect
	// ("" when it could). A session with no frames traded on nothing.
	Frames      uint64
	DialProblem string
}

// Node runs one session. Its methods are called from one goroutine.
type Node struct {
	cfg Config
}

// New checks the configuration. It starts nothing: Run does.
func New(cfg Config) (*Node, error) {
	if cfg.Run == nil {
		return nil, &ConfigError{Setting: "Run", Err: errors.New("no run config")}
	}
	if cfg.DB == "" {
		return nil, &ConfigError{Setting: "DB", Err: errors.New("no journal file")}
	}
	if cfg.Duration < 0 {
		return nil, &ConfigError{Setting: "Duration", Err: errors.New("must not be negative")}
	}
	if cfg.API == feed.APINone {
		cfg.API = feed.APIV2
	}
	if cfg.Pairs == nil {
		cfg.Pairs = kraken.DefaultPairs()
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Mode == "" {
		cfg.Mode = "live"
	}
	return &Node{cfg: cfg}, nil
}

// ConfigHash identifies the accounts a config describes: seed, equity interval, simulator,
// fill models and every strategy instance with its parameters, pairs and starting balances.
// Live-only settings (feed, journal, dashboard) and the data section do not change it, so a
// journal refuses only a config that would trade different accounts.
func ConfigHash(c *config.Config) string {
	type strat struct {
		Name, Type, Currency string
		Params               strategy.Params
		Pairs                []feed.Pair
		Balances             []record.Deposit
	}
	v := struct {
		Seed           uint64
		EquityInterval time.Duration
		Sim            config.Sim
		Models         []string
		Strategies     []strat
	}{Seed: c.Seed, EquityInterval: c.EquityInterval, Sim: c.Sim}
	for _, m := range c.FillModels {
		v.Models = append(v.Models, m.String())
	}
	for _, s := range c.Strategies {
		v.Strategies = append(v.Strategies, strat{Name: s.Name, Type: s.Type, Currency: s.AccountCurrency, Params: s.Params, Pairs: s.Pairs, Balances: s.Balances})
	}
	b, err := json.Marshal(v) // maps are written in key order: the hash is stable
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AccountCurrency is the currency an instance's equity is valued in: its own, else the
// quote of its first pair.
func AccountCurrency(in *engine.Instance) string {
	if in.AccountCurrency != "" {
		return in.AccountCurrency
	}
	if len(in.Pairs) > 0 {
		return in.Pairs[0].Quote()
	}
	return ""
}

// StatusText is a session's one-line status: the feed's connection, last message age, trades
// and gaps, and each instance's equity, return and fills.
func StatusText(st session.LiveStats, ins []dashboard.InstanceStatus, trades uint64) string {
	var b strings.Builder
	conn := "disconnected"
	switch {
	case st.Connected:
		conn = "connected"
	case st.Client.DialProblem != "":
		conn = "disconnected: " + st.Client.DialProblem // why, not just that
	}
	age := "-"
	if !st.LastFrame.IsZero() {
		age = time.Since(st.LastFrame).Round(time.Millisecond).String()
	}
	fmt.Fprintf(&b, "feed %s (%d conns, last msg %s ago, %d trades, %d gaps", conn, st.Client.Connects, age, trades, st.Stream.TradeGaps+st.Stream.StaleBooks)
	if n := len(st.StaleBooks); n > 0 {
		fmt.Fprintf(&b, ", %d books stale", n)
	}
	b.WriteString(")")
	for _, s := range ins {
		fmt.Fprintf(&b, " | %s ", s.Name)
		if s.Equity == "" {
			b.WriteString("-")
		} else {
			fmt.Fprintf(&b, "%s", s.Equity)
			if s.Return != "" {
				fmt.Fprintf(&b, " (%s%%)", s.Return)
			}
		}
		fmt.Fprintf(&b, " %d fills", s.Fills)
		if s.Status != "running" {
			b.WriteString(" STOPPED")
		}
	}
	return b.String()
}
