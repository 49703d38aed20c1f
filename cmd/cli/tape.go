package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
)

func newTapeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tape",
		Short: "Inspect recordings and make synthetic ones",
		Long: `tape works on recordings (the directories papertrade record, download, import and tape synth
write: zstd-compressed JSON lines of raw Kraken frames with their receive times, plus a manifest).

  tape info DIR     what a recording holds: manifests, segments, counts per pair and channel,
                    time range, gaps, torn tails
  tape synth        write a generated market as a recording, at full speed

To see the events themselves, run papertrade decode DIR.`,
		Args: tpUsageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newTapeSynthCmd(a), newTapeInfoCmd(a))
	return cmd
}

// tpUsageArgs turns an argument check's failure into a usage error (exit code 2).
func tpUsageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// tpUsagef is a usage error (exit code 2).
func tpUsagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// tpResolvePairs looks up a comma-separated list of pair names (v2, v1 or REST spellings) in
// the table, keeping the order given and dropping repeats.
func tpResolvePairs(table *kraken.Pairs, list string) ([]feed.PairInfo, error) {
	var out []feed.PairInfo
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		info, ok := lookupAnyName(table, name)
		if !ok {
			return nil, tpUsagef("pair %q is not in the pair table (see papertrade pairs)", name)
		}
		if !slices.ContainsFunc(out, func(p feed.PairInfo) bool { return p.Pair == info.Pair }) {
			out = append(out, *info)
		}
	}
	if len(out) == 0 {
		return nil, tpUsagef("no pairs given")
	}
	return out, nil
}

func tpPairNames(infos []feed.PairInfo) []feed.Pair {
	out := make([]feed.Pair, len(infos))
	for i := range infos {
		out[i] = infos[i].Pair
	}
	return out
}

// tpParseTime reads a time flag: a date (2025-11-01, UTC), RFC 3339 (2025-11-01T12:00:00Z or
// with an offset), "2025-11-01 12:00[:05]" (UTC), or Unix seconds (1761955200, fractions
// allowed).
func tpParseTime(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := config.ParseTime(s); err == nil {
		return t, nil
	}
	if t, err := kraken.ParseUnixTime(s); err == nil {
		return t, nil
	}
	return time.Time{}, tpUsagef("--%s %q: want a date (2025-11-01), an RFC 3339 time (2025-11-01T12:00:00Z) or Unix seconds", flag, s)
}

// mb formats a byte count in megabytes.
func tpMB(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }

// ---- tape synth ----

// synthStartPrices are plausible start prices for generated markets of common pairs; other
// pairs need --price.
var synthStartPrices = map[feed.Pair]string{
	"BTC/USD": "60000", "BTC/EUR": "55000", "BTC/USDT": "60000", "ETH/USD": "3000", "ETH/EUR": "2800",
	"ETH/BTC": "0.05", "SOL/USD": "150", "SOL/EUR": "140", "DOGE/USD": "0.15", "ADA/USD": "0.45",
	"XRP/USD": "0.6", "XRP/EUR": "0.55", "LTC/USD": "80", "DOT/USD": "6", "LINK/USD": "15",
	"ALGO/USD": "0.2", "MATIC/USD": "0.6", "AVAX/USD": "30", "USDT/USD": "1", "USDC/USD": "1",
	"EUR/USD": "1.08",
}

type tapeSynthOptions struct {
	out      string
	name     string
	trades   int
	seed     uint64
	pairs    string
	channels string
	depth    int
	api      string
	start    string
	rate     float64
	prices   []string
	level    string
}

func newTapeSynthCmd(a *app) *cobra.Command {
	var o tapeSynthOptions
	cmd := &cobra.Command{
		Use:   "synth --out DIR --trades N [--seed S] [--pairs BTC/USD,ETH/USD]",
		Short: "Write a generated market (feed/synth) as a recording, at full speed",
		Long: `tape synth runs papertrade's market generator (feed/synth: a seeded multi-pair market with
trades and an L2 book) and writes what Kraken would have sent for it into a recording, as fast as it
can: v2 frames (or v1 with --api v1) exactly as on the wire — numbers at the pair's precision with
trailing zeros, book snapshots and updates with the checksum a client subscribed at --depth computes.

Receive times are the events' times, so the same flags (seed included) always give a byte-identical
recording, on any machine. The manifest says it is synthetic (meta source=synth, seed, ...).

It stops after exactly --trades trades (over all pairs). The market starts at --start (default
2025-01-01) with --rate taker orders per second per pair (default 5), so 1,000,000 trades over two
pairs cover about 28 hours of market time.`,
		Example: `  papertrade tape synth --out data/synth --trades 1000000 --seed 1
  papertrade tape synth --out data/btc --trades 50000 --pairs BTC/USD --channels trade
  papertrade tape synth --out data/v1 --trades 10000 --api v1 --depth 25 --price DOGE/USD=0.1 --pairs DOGE/USD`,
		Args: tpUsageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTapeSynth(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "directory to write the recording to (required)")
	f.StringVar(&o.name, "name", "synth", "recording name (prefixes its files)")
	f.IntVar(&o.trades, "trades", 100000, "number of trades to generate, over all pairs")
	f.Uint64Var(&o.seed, "seed", 1, "market seed: the same seed gives the same recording")
	f.StringVar(&o.pairs, "pairs", "BTC/USD,ETH/USD", "pairs to generate, comma-separated")
	f.StringVar(&o.channels, "channels", "trade,book", "channels to record: trade, book or both")
	f.IntVar(&o.depth, "depth", 10, "book depth subscribed (and generated): 10, 25, 100, 500 or 1000")
	f.StringVar(&o.api, "api", "v2", "frame format: v2 or v1")
	f.StringVar(&o.start, "start", "2025-01-01", "exchange time of the first events")
	f.Float64Var(&o.rate, "rate", synth.DefaultTradeRate, "taker orders per second per pair (book-only changes come as often)")
	f.StringSliceVar(&o.prices, "price", nil, "start price of a pair, PAIR=PRICE (repeatable); common pairs have defaults")
	f.StringVar(&o.level, "level", "better", "zstd level: fastest, default, better (the recorder's) or best; faster levels write bigger files")
	return cmd
}

func runTapeSynth(ctx context.Context, a *app, o tapeSynthOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if old, _ := filepath.Glob(filepath.Join(cfg.Dir, cfg.Name+"-*"+tape.ManifestSuffix)); len(old) > 0 {
		return tpUsagef("%s already holds a recording named %q (%s): choose another --out or --name", cfg.Dir, cfg.Name, filepath.Base(old[0]))
	}
	cfg.Log = a.log
	began := time.Now()
	st, err := tape.WriteSynth(ctx, cfg)
	if err != nil {
		return err
	}
	secs := time.Since(began).Seconds()
	fmt.Fprintf(a.stdout, "wrote %d trades and %d book messages in %d frames to %s: %s compressed (%s of JSON lines), %.1f bytes per frame, market time %s to %s, in %.1fs\n",
		st.Trades, st.Books, st.Frames, cfg.Dir, tpMB(st.Writer.Bytes), tpMB(st.Writer.RawBytes),
		float64(st.Writer.Bytes)/float64(max(st.Frames, 1)), st.First.Format(time.RFC3339), st.Last.Format(time.RFC3339), secs)
	return nil
}

// config checks the flags and turns them into the synthetic recording's configuration.
func (o *tapeSynthOptions) config() (tape.SynthConfig, error) {
	cfg := tape.SynthConfig{Dir: o.out, Name: o.name, Trades: o.trades, Depth: o.depth, Pairs: kraken.DefaultPairs()}
	if o.out == "" {
		return cfg, tpUsagef("--out is required")
	}
	if o.trades < 1 {
		return cfg, tpUsagef("--trades %d: want at least 1", o.trades)
	}
	var err error
	if cfg.Level, err = synthLevel(o.level); err != nil {
		return cfg, err
	}
	switch o.api {
	case "v2":
		cfg.API = feed.APIV2
	case "v1":
		cfg.API = feed.APIV1
	default:
		return cfg, tpUsagef("--api %q: want v2 or v1", o.api)
	}
	if cfg.Channels, err = synthChannels(o.channels); err != nil {
		return cfg, err
	}
	switch o.depth {
	case 10, 25, 100, 500, 1000:
	default:
		return cfg, tpUsagef("--depth %d: want 10, 25, 100, 500 or 1000", o.depth)
	}
	if cfg.Market, err = o.market(cfg.Pairs); err != nil {
		return cfg, err
	}
	if _, err := synth.New(cfg.Market); err != nil {
		return cfg, tpUsagef("%v", err)
	}
	return cfg, nil
}

func synthLevel(level string) (zstd.EncoderLevel, error) {
	switch level {
	case "", "better":
		return tape.DefaultLevel, nil
	case "fastest", "default", "best":
		_, l := zstd.EncoderLevelFromString(level)
		return l, nil
	}
	return 0, tpUsagef("--level %q: want fastest, default, better or best", level)
}

// synthChannels reads --channels: trade, book or both, always listed in that order.
func synthChannels(flag string) ([]string, error) {
	var trade, book bool
	for ch := range strings.SplitSeq(flag, ",") {
		switch strings.TrimSpace(ch) {
		case "trade":
			trade = true
		case "book":
			book = true
		case "":
		default:
			return nil, tpUsagef("--channels: %q is not trade or book", ch)
		}
	}
	var out []string
	if trade {
		out = append(out, "trade")
	}
	if book {
		out = append(out, "book")
	}
	if len(out) == 0 {
		return nil, tpUsagef("--channels: give trade, book or both")
	}
	return out, nil
}

// market reads --start, --pairs, --price and --rate into the generator's configuration.
func (o *tapeSynthOptions) market(table *kraken.Pairs) (synth.Config, error) {
	start, err := tpParseTime("start", o.start)
	if err != nil {
		return synth.Config{}, err
	}
	infos, err := tpResolvePairs(table, o.pairs)
	if err != nil {
		return synth.Config{}, err
	}
	prices := map[feed.Pair]decimal.Decimal{}
	for _, kv := range o.prices {
		name, val, ok := strings.Cut(kv, "=")
		info, found := lookupAnyName(table, strings.TrimSpace(name))
		d, perr := decimal.NewFromString(strings.TrimSpace(val))
		if !ok || !found || perr != nil || d.Sign() <= 0 {
			return synth.Config{}, tpUsagef("--price %q: want PAIR=PRICE with a known pair and a positive price", kv)
		}
		prices[info.Pair] = d
	}
	mc := synth.Config{Seed: o.seed, Start: start}
	for _, info := range infos {
		price, ok := prices[info.Pair]
		if !ok {
			s, known := synthStartPrices[info.Pair]
			if !known {
				return synth.Config{}, tpUsagef("no default start price for %s: give one with --price %s=PRICE", info.Pair, info.Pair)
			}
			price = decimal.RequireFromString(s)
		}
		mc.Pairs = append(mc.Pairs, synth.PairConfig{Info: info, StartPrice: price, Depth: o.depth, TradeRate: o.rate})
	}
	return mc, nil
}

// isTapePath reports whether a decode argument names a recording: a directory, a manifest or
// a compressed segment.
func isTapePath(name string) bool {
	if strings.HasSuffix(name, tape.ManifestSuffix) || strings.HasSuffix(name, tape.SegmentSuffix) {
		return true
	}
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}

// tapeInput decodes a recording's frames in receive order, as papertrade decode's lines: each
// frame goes through the same path as a line of a decompressed segment, labelled with its
// segment file and line. Warnings (torn tails) go to standard error.
func (r *decodeRun) tapeInput(ctx context.Context, name string) error {
	rd, err := tape.Open(name, tape.ReadLogger(r.a.log))
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	var line []byte
	for f, err := range rd.Frames(ctx, tape.Range{}) {
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if line, err = tape.AppendLine(line[:0], f); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		file, n := rd.Position()
		if err := r.line(file, int(n), line); err != nil {
			return err
		}
	}
	for _, w := range rd.Warnings() {
		fmt.Fprintf(r.a.stderr, "%s: warning: %s\n", name, w)
	}
	return nil
}
