package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
)

// demoConfig is the demo's run config: three sample strategies on three generated pairs,
// with parameters that trade within a couple of minutes at the demo's market speed.
const demoConfig = `# papertrade demo: three sample strategies on a generated market (see papertrade demo --help).
seed: 42
equity_interval: 10s
latency: 50ms
jitter: 10ms
strategies:
  - name: sma-btc
    type: smacross       # market orders on crossovers of 1-minute SMAs
    pairs: [BTC/USD]
    balances: {USD: "10000"}
    params: {fast: 5, slow: 10, interval: 1m, size: "0.02"}
  - name: grid-eth
    type: grid           # post-only limit orders around the mid: maker fills, queue position
    pairs: [ETH/USD]
    balances: {USD: "10000", ETH: "1"}
    account_currency: USD
    params: {levels: 3, spacing: 10, size: "0.05", recenter: 1m}
  - name: hodl-sol
    type: buyhold        # the benchmark: buy once, hold
    pairs: [SOL/USD]
    balances: {USD: "10000"}
    params: {fraction: "0.95"}
live:
  channels: [trade, book]
  book_depth: 10
`

// demoPairs are the generated pairs and their start prices.
var demoPairs = []struct {
	pair  feed.Pair
	price string
}{{"BTC/USD", "60000"}, {"ETH/USD", "3000"}, {"SOL/USD", "150"}}

type demoOptions struct {
	duration time.Duration
	http     string
	out      string
	speed    float64
	seed     uint64
	api      string
	status   time.Duration
}

func newDemoCmd(a *app) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo [--duration 2m] [--http 127.0.0.1:0] [--out DIR]",
		Short: "Try papertrade in one command, offline: a generated market, three strategies, a dashboard and a report",
		Long: `demo runs a complete paper-trading session on this machine, with no config and no network:

  - a Kraken-compatible server (the test look-alike) starts in-process on a generated market for
    BTC/USD, ETH/USD and SOL/USD, running --speed times faster than real time;
  - papertrade's real Kraken client connects to it over a loopback socket, exactly as "papertrade
    live" connects to Kraken;
  - three sample strategies trade on simulated accounts: an SMA crossover (sma-btc), a post-only
    grid market maker (grid-eth) and buy-and-hold (hodl-sol);
  - a dashboard is served on --http (its URL is printed), and one status line keeps updating.

After --duration (or Ctrl-C) it writes into --out: report.html (open it in a browser),
summary.json, the session journal (demo.db), the recording of the feed (recording/) and the
config it used (demo.yaml), then prints the summary table and where the report is. To replay the
session and check that the replay makes the same fills:

  papertrade backtest --session 1 --db DIR/demo.db`,
		Example: `  papertrade demo
  papertrade demo --duration 30s --out /tmp/demo
  papertrade demo --http 127.0.0.1:8080 --duration 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 2*time.Minute, "how long to run (Ctrl-C also ends it)")
	f.StringVar(&o.http, "http", "127.0.0.1:0", `dashboard address (port 0 picks a free one; "" turns it off)`)
	f.StringVar(&o.out, "out", "", "directory for the report, journal and recording (default: papertrade-demo-<time> here)")
	f.Float64Var(&o.speed, "speed", 20, "market speed: market seconds per real second")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the generated market")
	f.StringVar(&o.api, "api", "v2", "Kraken WebSocket API the client speaks: v2 or v1")
	f.DurationVar(&o.status, "status", time.Second, "status line interval (0: none)")
	return cmd
}

func runDemo(ctx context.Context, a *app, o demoOptions) error {
	if o.duration <= 0 {
		return &usageError{errors.New("--duration must be positive")}
	}
	if o.speed <= 0 || o.speed > 1000 {
		return &usageError{errors.New("--speed must be in (0, 1000]")}
	}
	api, err := parseAPI(o.api)
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = "papertrade-demo-" + time.Now().Format("20060102-150405")
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	cfgPath := filepath.Join(o.out, "demo.yaml")
	if err := os.WriteFile(cfgPath, []byte(demoConfig), 0o644); err != nil {
		return err
	}
	c, err := config.Parse([]byte(demoConfig), cfgPath, a.registry, kraken.DefaultPairs())
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	db := filepath.Join(o.out, "demo.db")
	if _, err := os.Stat(db); err == nil {
		return &usageError{fmt.Errorf("--out %s already holds a demo (demo.db): choose another directory", o.out)}
	}

	// The market: generated with event times running --speed times faster than the wall
	// clock, replayed by the look-alike server (looping if the demo outlasts it).
	rec, err := demoMarket(o.seed, time.Now(), time.Duration(float64(o.duration)*o.speed)+10*time.Minute)
	if err != nil {
		return err
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithRecording(rec, true), krakentest.WithSpeed(o.speed),
		krakentest.WithLogger(a.log.Named("krakentest")))
	if err != nil {
		return err
	}
	defer srv.Close()
	url := srv.URLv2()
	if api == feed.APIV1 {
		url = srv.URLv1()
	}
	fmt.Fprintf(a.stdout, "papertrade demo: a generated market (BTC/USD, ETH/USD, SOL/USD at %gx speed) served at %s\n", o.speed, url)
	fmt.Fprintf(a.stdout, "three strategies paper-trade it for %s: sma-btc (SMA crossover), grid-eth (grid market maker), hodl-sol (buy and hold)\n", o.duration)
	res, err := runSession(ctx, a, sessionSpec{
		mode: "demo", title: "papertrade demo", cfg: c, api: api.String(), url: url, db: db,
		recordDir: filepath.Join(o.out, "recording"), http: o.http, duration: o.duration, status: o.status, statusOneLine: true,
		onDashboard: func(u string) { fmt.Fprintf(a.stdout, "dashboard: %s   (Ctrl-C ends the demo early)\n", u) },
		client: func(cc *kraken.ClientConfig) {
			cc.Seed = o.seed
			cc.BackoffMin = 500 * time.Millisecond // a local server: no reason to wait long
		},
	})
	if res == nil {
		return err
	}
	if werr := writeDemoReport(o.out, res, demoConfig); werr != nil {
		err = errors.Join(err, werr)
	}
	if perr := printSessionResult(a.stdout, res); perr != nil {
		err = errors.Join(err, perr)
	}
	fmt.Fprintf(a.stdout, "\nreport: %s\n", filepath.Join(o.out, "report.html"))
	return err
}

// demoMarket generates span of market time for the demo pairs, starting at start.
func demoMarket(seed uint64, start time.Time, span time.Duration) (*krakentest.Recording, error) {
	pairs := kraken.DefaultPairs()
	var pcs []synth.PairConfig
	for _, p := range demoPairs {
		info, ok := pairs.Lookup(p.pair)
		if !ok {
			return nil, fmt.Errorf("demo: pair %s missing from the pair table", p.pair)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(p.price), Depth: 25,
			TradeRate: 2, BookRate: 3, Volatility: 1.5})
	}
	m, err := synth.New(synth.Config{Seed: seed, Start: start.Truncate(time.Second), Pairs: pcs})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	end := start.Add(span)
	var evs []feed.Event
	for len(evs) == 0 || evs[len(evs)-1].Time.Before(end) {
		n := len(evs)
		evs = m.Next(evs)
		if len(evs) == n {
			break
		}
	}
	return &krakentest.Recording{Events: evs}, nil
}

// writeDemoReport writes report.html and summary.json.
func writeDemoReport(dir string, res *sessionResult, cfg string) error {
	b, err := res.Summary.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	err = report.WriteHTML(f, report.HTMLInput{Title: "papertrade demo", Summary: res.Summary, Collectors: res.Collectors, Market: res.Market, Config: cfg})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
