package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
)

// serveStartPrices are rough start prices for generated markets of common pairs; --price sets
// others.
var serveStartPrices = map[feed.Pair]string{
	"BTC/USD": "60000", "BTC/EUR": "55000", "ETH/USD": "3000", "ETH/EUR": "2800", "ETH/BTC": "0.05",
	"SOL/USD": "150", "DOGE/USD": "0.15", "ADA/USD": "0.45", "XRP/USD": "0.6", "LTC/USD": "80",
	"DOT/USD": "6", "LINK/USD": "15", "ALGO/USD": "0.2", "AVAX/USD": "30", "ATOM/USD": "8",
	"MATIC/USD": "0.5", "BCH/USD": "400", "XMR/USD": "150", "UNI/USD": "8", "USDT/USD": "1",
}

type serveFlags struct {
	addr       string
	remote     bool
	data       string
	replay     string
	pairsFile  string
	depth      int
	synth      bool
	pairs      []string
	prices     []string
	seed       uint64
	rate       float64
	speed      float64
	loop       bool
	faults     krakentest.FaultConfig
	rejectSubs bool
}

func newServeCmd(a *app) *cobra.Command {
	var fl serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a local Kraken look-alike (WebSocket v1 and v2, REST) over a recording or a generated market",
		Long: `serve runs a Kraken-compatible public market-data server on one address: WebSocket v1
at "/", v2 at "/v2" and REST (Time, SystemStatus, AssetPairs, Trades) under "/0/public/". Point
a bot, "papertrade watch" or "papertrade live" at it to test offline.

The data is a recording (--data: a papertrade tape directory or segment, or JSON lines of
Kraken frames) replayed at --speed, or a generated market (--synth, the default) of --pairs
at --rate events per second with --depth levels a side. Any pair of the pair table (the
built-in one, or --pairs-file: a saved REST AssetPairs response or v2 instrument message
merged over it) can be subscribed by its v1 name on v1 and its v2 name on v2; pairs without
data simply stay quiet.

A recording is replayed raw by default (--replay raw): its data frames go out byte for byte
as Kraken sent them (same number text, same v1 channel ids) to clients of the API it was
recorded on, starting when the first client subscribes; every pair in it is served, even
one the pair table lacks. Subscribe with the recorded book depth and ohlc interval on v1.
--replay events decodes the recording instead and serves its trades and books on both APIs
at the server's own precision.

Fault flags inject what the real service does: dropped connections, stalls, maintenance,
malformed frames, rate-limit rejections.

The first line on stdout names the endpoints, so scripts can parse it:

  serving Kraken v1 at ws://127.0.0.1:PORT and v2 at ws://127.0.0.1:PORT/v2 (REST at http://127.0.0.1:PORT/0/public/...)

It runs until interrupted (SIGINT/SIGTERM), then closes every connection and exits.`,
		Example: `  papertrade serve
  papertrade serve --synth --pairs BTC/USD,ETH/USD,SOL/USD --rate 200 --addr 127.0.0.1:8765
  papertrade serve --data ./recordings --speed 10 --loop
  papertrade serve --data ./recordings --replay events   # decoded: v1 recordings to v2 clients too
  papertrade serve --pairs-file assetpairs.json --synth --pairs BTC/USD --depth 500
  papertrade serve --drop-every 30s --maintenance-every 5m --maintenance-for 20s
  papertrade serve --addr 0.0.0.0:8765 --allow-remote   # reachable from other machines`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.NoArgs(cmd, args); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, a, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free one); loopback only unless --allow-remote")
	f.BoolVar(&fl.remote, "allow-remote", false, "allow a non-loopback --addr such as 0.0.0.0:8765 (the server has no authentication)")
	f.StringVar(&fl.data, "data", "", "replay this recording: a tape directory, manifest or segment, or JSON lines of frames")
	f.StringVar(&fl.replay, "replay", "raw", "how --data is replayed: raw (recorded frames byte for byte, on their own API) or events (decoded, served on v1 and v2)")
	f.StringVar(&fl.pairsFile, "pairs-file", "", "a saved REST AssetPairs response or v2 instrument message to merge over the built-in pair table")
	f.IntVar(&fl.depth, "depth", 250, "levels per side of the generated market's books (Kraken's book-1000 snapshots carry 60-849)")
	f.BoolVar(&fl.synth, "synth", false, "serve a generated market (the default without --data)")
	f.StringSliceVar(&fl.pairs, "pairs", []string{"BTC/USD", "ETH/USD"}, "pairs of the generated market (v2 names)")
	f.StringArrayVar(&fl.prices, "price", nil, "start price of a generated pair, PAIR=PRICE (repeatable; common pairs have one)")
	f.Uint64Var(&fl.seed, "seed", 1, "seed of the generated market (same seed, same market)")
	f.Float64Var(&fl.rate, "rate", 20, "generated market events (trades and book updates) per second (at most 1e6, times --speed)")
	f.Float64Var(&fl.speed, "speed", 1, "replay speed factor (2 = twice as fast); multiplies --rate for --synth")
	f.BoolVar(&fl.loop, "loop", false, "restart the recording when it ends")
	f.DurationVar(&fl.faults.DropEvery, "drop-every", 0, "drop every connection this often (e.g. 30s)")
	f.DurationVar(&fl.faults.StallAfter, "stall-after", 0, "each connection goes silent (socket open) this long after it opens")
	f.DurationVar(&fl.faults.MaintenanceEvery, "maintenance-every", 0, "switch the system status to maintenance this often")
	f.DurationVar(&fl.faults.MaintenanceFor, "maintenance-for", 5*time.Second, "how long each maintenance lasts")
	f.DurationVar(&fl.faults.MalformedEvery, "malformed-every", 0, "send every connection a truncated JSON frame this often")
	f.BoolVar(&fl.rejectSubs, "reject-subscribes", false, `reject every subscription with "Exceeded msg rate"`)
	return cmd
}

func runServe(cmd *cobra.Command, a *app, fl *serveFlags) error {
	ctx := cmd.Context()
	if err := fl.check(); err != nil {
		return err
	}
	table, err := pairTable(fl.pairsFile)
	if err != nil {
		return err
	}
	// No WithSeed: connection ids are random, as Kraken's; --seed is the market's.
	opts := []krakentest.Option{
		krakentest.WithLogger(a.log),
		krakentest.WithSpeed(fl.speed),
		krakentest.WithFaults(fl.faults),
		krakentest.WithPairs(table.All()),
	}
	data, source, err := serveData(ctx, fl, table)
	if err != nil {
		return err
	}
	srv, err := krakentest.Listen(fl.addr, append(opts, data)...)
	if err != nil {
		return err
	}
	defer srv.Close()
	if fl.rejectSubs {
		srv.SetRejectSubscribes(true)
	}
	fmt.Fprintf(a.stdout, "serving Kraken v1 at %s and v2 at %s (REST at %s/0/public/...)\n", srv.URLv1(), srv.URLv2(), srv.URL())
	fmt.Fprintf(a.stdout, "data: %s\n", source)
	a.log.Info("serving", zap.String("addr", srv.Addr()), zap.String("data", source))
	<-ctx.Done()
	srv.Close()
	st := srv.Stats()
	var frames uint64
	for _, ch := range krakentest.Channels() {
		frames += st.Frames[ch]
	}
	fmt.Fprintf(a.stdout, "stopped: %d connections, %d subscriptions, %d frames sent\n", st.Connections, st.Subscriptions, frames)
	return nil
}

// check refuses flag combinations and values before anything is loaded (usage errors, exit 2).
func (fl *serveFlags) check() error {
	if fl.data != "" && fl.synth {
		return &usageError{errors.New("--data and --synth are exclusive")}
	}
	if err := checkServeRate(fl.rate, fl.speed); err != nil {
		return &usageError{err}
	}
	if err := checkServeAddr(fl.addr, fl.remote); err != nil {
		return &usageError{err}
	}
	for _, d := range []time.Duration{fl.faults.DropEvery, fl.faults.StallAfter, fl.faults.MaintenanceEvery, fl.faults.MaintenanceFor, fl.faults.MalformedEvery} {
		if d < 0 {
			return &usageError{errors.New("fault durations must not be negative")}
		}
	}
	if fl.replay != "raw" && fl.replay != "events" {
		return &usageError{fmt.Errorf("--replay %q: want raw or events", fl.replay)}
	}
	if fl.depth < 1 || fl.depth > synth.MaxDepth {
		return &usageError{fmt.Errorf("--depth %d: want 1..%d", fl.depth, synth.MaxDepth)}
	}
	return nil
}

// serveData loads what the server streams — a recording (raw frames or decoded events) or a
// generated market — and says what it is in one line for the start-up message.
func serveData(ctx context.Context, fl *serveFlags, table *kraken.Pairs) (krakentest.Option, string, error) {
	switch {
	case fl.data != "" && fl.replay == "raw":
		rec, err := krakentest.LoadRawRecording(ctx, fl.data)
		if err != nil {
			return nil, "", err
		}
		source := fmt.Sprintf("recording %s (%d frames, raw) at speed %g, from the first subscription", fl.data, len(rec.Frames), fl.speed)
		if extra := rec.Pairs(table.All()); len(extra) > 0 {
			names := make([]string, len(extra))
			for i, p := range extra {
				names[i] = string(p.Pair)
			}
			source += "; recorded pairs added to the table: " + strings.Join(names, ",")
		}
		return krakentest.WithRawRecording(rec, fl.loop), source, nil
	case fl.data != "":
		rec, err := krakentest.LoadRecording(ctx, fl.data)
		if err != nil {
			return nil, "", err
		}
		return krakentest.WithRecording(rec, fl.loop), fmt.Sprintf("recording %s (%d events) at speed %g", fl.data, len(rec.Events), fl.speed), nil
	default:
		m, pairs, err := serveMarket(fl, table)
		if err != nil {
			return nil, "", err
		}
		return krakentest.WithMarket(m, fl.rate), fmt.Sprintf("generated market %s (seed %d) at %g events/s", strings.Join(pairs, ","), fl.seed, fl.rate*fl.speed), nil
	}
}

// checkServeRate refuses rates and speeds that are not finite numbers (NaN passed every
// comparison) and generated markets faster than the server makes (krakentest.MaxRate).
func checkServeRate(rate, speed float64) error {
	if math.IsNaN(speed) || math.IsInf(speed, 0) || speed <= 0 {
		return fmt.Errorf("--speed %g: want a positive number (1 = real time)", speed)
	}
	if math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0 {
		return fmt.Errorf("--rate %g: want events per second, 0 to %g", rate, krakentest.MaxRate)
	}
	if rate*speed > krakentest.MaxRate {
		return fmt.Errorf("--rate %g x --speed %g = %g events/s: the generated market makes at most %g", rate, speed, rate*speed, krakentest.MaxRate)
	}
	return nil
}

// checkServeAddr refuses a non-loopback listen address (an empty host or 0.0.0.0 is every
// interface) unless allowed, as live's --http does: the server answers anyone who reaches it.
func checkServeAddr(addr string, allow bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w (want HOST:PORT, e.g. 127.0.0.1:8765)", addr, err)
	}
	if allow || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: the look-alike would serve every machine that reaches it; pass --allow-remote to do it anyway", addr)
}

// pairTable is the built-in table, or --pairs-file merged over it.
func pairTable(path string) (*kraken.Pairs, error) {
	if path == "" {
		return kraken.DefaultPairs(), nil
	}
	return loadPairsFile(path)
}

// loadRunConfigWith loads a run config against a pair table (live --pairs-file), so that the
// config's pairs and the simulated exchange use the saved metadata.
func loadRunConfigWith(a *app, path string, table *kraken.Pairs) (*config.Config, error) {
	if path == "" {
		return nil, &usageError{errors.New("-c/--config is required (papertrade backtest --example-config prints one)")}
	}
	c, err := config.Load(path, a.registry, table)
	if err != nil {
		return nil, &usageError{err}
	}
	return c, nil
}

// loadPairsFile reads --pairs-file: a saved AssetPairs response or instrument message merged
// over the built-in table.
func loadPairsFile(path string) (*kraken.Pairs, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &usageError{fmt.Errorf("--pairs-file: %w", err)}
	}
	defer f.Close()
	t, err := kraken.LoadPairs(f)
	if err != nil {
		return nil, &usageError{fmt.Errorf("--pairs-file %s: %w (save one with: curl https://api.kraken.com/0/public/AssetPairs)", path, err)}
	}
	return t, nil
}

// serveMarket builds the generated market of --pairs.
func serveMarket(fl *serveFlags, table *kraken.Pairs) (*synth.Market, []string, error) {
	prices := map[feed.Pair]decimal.Decimal{}
	for p, s := range serveStartPrices {
		prices[p] = decimal.RequireFromString(s)
	}
	for _, kv := range fl.prices {
		name, val, ok := strings.Cut(kv, "=")
		d, err := decimal.NewFromString(val)
		if !ok || err != nil || d.Sign() <= 0 {
			return nil, nil, &usageError{fmt.Errorf("--price %q: want PAIR=PRICE with a positive price", kv)}
		}
		prices[feed.Pair(name)] = d
	}
	var pcs []synth.PairConfig
	var names []string
	for _, name := range fl.pairs {
		info, ok := lookupAnyName(table, strings.TrimSpace(name))
		if !ok {
			return nil, nil, &usageError{fmt.Errorf("--pairs: %q is not in the pair table (papertrade pairs lists it)", name)}
		}
		price, ok := prices[info.Pair]
		if !ok {
			return nil, nil, &usageError{fmt.Errorf("--pairs: no start price for %s; give one with --price %s=PRICE", info.Pair, info.Pair)}
		}
		if slices.Contains(names, string(info.Pair)) {
			return nil, nil, &usageError{fmt.Errorf("--pairs: %s listed twice", info.Pair)}
		}
		names = append(names, string(info.Pair))
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: price, Depth: fl.depth})
	}
	if len(pcs) == 0 {
		return nil, nil, &usageError{errors.New("--pairs: at least one pair")}
	}
	m, err := synth.New(synth.Config{Seed: fl.seed, Pairs: pcs})
	if err != nil {
		return nil, nil, err
	}
	return m, names, nil
}
