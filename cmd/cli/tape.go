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
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

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

// synthTapeStats is what writeSynthTape did.
type synthTapeStats struct {
	Trades, Books, Frames int64
	Writer                tape.WriterStats
	First, Last           time.Time
}

// synthTapeConfig is a validated tape synth request.
type synthTapeConfig struct {
	dir      string
	name     string
	trades   int
	market   synth.Config
	api      feed.API
	depth    int
	trade    bool // record the trade channel
	book     bool // record the book channel
	table    *kraken.Pairs
	channels []string
	level    zstd.EncoderLevel
}

func runTapeSynth(ctx context.Context, a *app, o tapeSynthOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if old, _ := filepath.Glob(filepath.Join(cfg.dir, cfg.name+"-*"+tape.ManifestSuffix)); len(old) > 0 {
		return tpUsagef("%s already holds a recording named %q (%s): choose another --out or --name", cfg.dir, cfg.name, filepath.Base(old[0]))
	}
	began := time.Now()
	st, err := writeSynthTape(ctx, cfg, a.log)
	if err != nil {
		return err
	}
	secs := time.Since(began).Seconds()
	fmt.Fprintf(a.stdout, "wrote %d trades and %d book messages in %d frames to %s: %s compressed (%s of JSON lines), %.1f bytes per frame, market time %s to %s, in %.1fs\n",
		st.Trades, st.Books, st.Frames, cfg.dir, tpMB(st.Writer.Bytes), tpMB(st.Writer.RawBytes),
		float64(st.Writer.Bytes)/float64(max(st.Frames, 1)), st.First.Format(time.RFC3339), st.Last.Format(time.RFC3339), secs)
	return nil
}

func (o *tapeSynthOptions) config() (synthTapeConfig, error) {
	cfg := synthTapeConfig{dir: o.out, name: o.name, trades: o.trades, depth: o.depth, table: kraken.DefaultPairs()}
	if o.out == "" {
		return cfg, tpUsagef("--out is required")
	}
	if o.trades < 1 {
		return cfg, tpUsagef("--trades %d: want at least 1", o.trades)
	}
	switch o.level {
	case "", "better":
		cfg.level = tape.DefaultLevel
	case "fastest", "default", "best":
		_, cfg.level = zstd.EncoderLevelFromString(o.level)
	default:
		return cfg, tpUsagef("--level %q: want fastest, default, better or best", o.level)
	}
	switch o.api {
	case "v2":
		cfg.api = feed.APIV2
	case "v1":
		cfg.api = feed.APIV1
	default:
		return cfg, tpUsagef("--api %q: want v2 or v1", o.api)
	}
	for ch := range strings.SplitSeq(o.channels, ",") {
		switch strings.TrimSpace(ch) {
		case "trade":
			cfg.trade = true
		case "book":
			cfg.book = true
		case "":
		default:
			return cfg, tpUsagef("--channels: %q is not trade or book", ch)
		}
	}
	if !cfg.trade && !cfg.book {
		return cfg, tpUsagef("--channels: give trade, book or both")
	}
	if cfg.trade {
		cfg.channels = append(cfg.channels, "trade")
	}
	if cfg.book {
		cfg.channels = append(cfg.channels, "book")
	}
	switch o.depth {
	case 10, 25, 100, 500, 1000:
	default:
		return cfg, tpUsagef("--depth %d: want 10, 25, 100, 500 or 1000", o.depth)
	}
	start, err := tpParseTime("start", o.start)
	if err != nil {
		return cfg, err
	}
	infos, err := tpResolvePairs(cfg.table, o.pairs)
	if err != nil {
		return cfg, err
	}
	prices := map[feed.Pair]decimal.Decimal{}
	for _, kv := range o.prices {
		name, val, ok := strings.Cut(kv, "=")
		info, found := lookupAnyName(cfg.table, strings.TrimSpace(name))
		d, perr := decimal.NewFromString(strings.TrimSpace(val))
		if !ok || !found || perr != nil || d.Sign() <= 0 {
			return cfg, tpUsagef("--price %q: want PAIR=PRICE with a known pair and a positive price", kv)
		}
		prices[info.Pair] = d
	}
	cfg.market = synth.Config{Seed: o.seed, Start: start}
	for _, info := range infos {
		price, ok := prices[info.Pair]
		if !ok {
			s, known := synthStartPrices[info.Pair]
			if !known {
				return cfg, tpUsagef("no default start price for %s: give one with --price %s=PRICE", info.Pair, info.Pair)
			}
			price = decimal.RequireFromString(s)
		}
		cfg.market.Pairs = append(cfg.market.Pairs, synth.PairConfig{Info: info, StartPrice: price, Depth: o.depth, TradeRate: o.rate})
	}
	if _, err := synth.New(cfg.market); err != nil {
		return cfg, tpUsagef("%v", err)
	}
	return cfg, nil
}

// writeSynthTape generates the market and writes its frames, in a pipeline of three
// goroutines: synth's Source generates, an encoder turns each batch of events into frames,
// and this goroutine's Writer compresses them. The result does not depend on the scheduling.
func writeSynthTape(ctx context.Context, cfg synthTapeConfig, log *zap.Logger) (synthTapeStats, error) {
	var st synthTapeStats
	m, err := synth.New(cfg.market)
	if err != nil {
		return st, err
	}
	enc, err := kraken.NewEncoder(cfg.api, kraken.EncodeDepth(cfg.depth), kraken.EncodePairs(cfg.table))
	if err != nil {
		return st, err
	}
	var pairs []feed.Pair
	for _, pc := range cfg.market.Pairs {
		pairs = append(pairs, pc.Info.Pair)
	}
	w, err := tape.NewWriter(cfg.dir,
		tape.WithName(cfg.name),
		tape.WithFlushInterval(0), // no wall-clock flushes: the same input gives the same bytes
		tape.WithLevel(cfg.level),
		tape.WithLogger(log),
		tape.WithPairs(pairs...),
		tape.WithChannels(cfg.channels...),
		tape.WithMeta("source", "synth"),
		tape.WithMeta("seed", strconv.FormatUint(cfg.market.Seed, 10)),
		tape.WithMeta("trades", strconv.Itoa(cfg.trades)),
		tape.WithMeta("depth", strconv.Itoa(cfg.depth)),
		tape.WithMeta("api", cfg.api.String()),
	)
	if err != nil {
		return st, err
	}
	const inFlight = 8
	g, gctx := errgroup.WithContext(ctx)
	events := make(chan []feed.Event, inFlight)
	frames := make(chan *frameBatch, inFlight)
	free := make(chan *frameBatch, inFlight+2)
	for range inFlight + 2 {
		free <- &frameBatch{}
	}
	g.Go(func() error {
		defer close(events) // the only sender
		return m.Source(cfg.trades, 0).Run(gctx, events)
	})
	g.Go(func() error {
		defer close(frames) // the only sender
		se := synthEncoder{enc: enc, cfg: &cfg, st: &st}
		for evs := range events {
			var fb *frameBatch
			select {
			case fb = <-free:
			case <-gctx.Done():
				return gctx.Err()
			}
			if err := se.encode(fb.reset(), evs); err != nil {
				return err
			}
			select {
			case frames <- fb:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return gctx.Err()
	})
	g.Go(func() error {
		for fb := range frames {
			for i := range fb.recv {
				if err := w.Write(tape.Frame{Recv: fb.recv[i], API: cfg.api, Raw: fb.frame(i)}); err != nil {
					return err
				}
			}
			free <- fb // never blocks: there are only as many batches as free can hold
		}
		return gctx.Err()
	})
	err = g.Wait()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	st.Writer = w.Stats()
	return st, err
}

// frameBatch is a run of encoded frames in one buffer, passed from the encoder to the writer
// and recycled.
type frameBatch struct {
	buf  []byte
	ends []int // frame i is buf[ends[i-1]:ends[i]]
	recv []time.Time
}

func (b *frameBatch) reset() *frameBatch {
	b.buf, b.ends, b.recv = b.buf[:0], b.ends[:0], b.recv[:0]
	return b
}

func (b *frameBatch) frame(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.buf[start:b.ends[i]]
}

func (b *frameBatch) add(recv time.Time) {
	b.ends = append(b.ends, len(b.buf))
	b.recv = append(b.recv, recv)
}

// synthEncoder turns a generated market's events into frames. The events of one step (one
// pair, one time) become one trade frame holding the step's trades — a taker order's fills,
// as Kraken's trade channel sends them — followed by a frame per book message.
type synthEncoder struct {
	enc     *kraken.Encoder
	cfg     *synthTapeConfig
	st      *synthTapeStats
	pend    []feed.Trade
	books   []*feed.BookUpdate
	started bool
}

func (s *synthEncoder) encode(fb *frameBatch, evs []feed.Event) error {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].Pair == evs[i].Pair && evs[j].Time.Equal(evs[i].Time) {
			j++
		}
		if err := s.step(fb, evs[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func (s *synthEncoder) step(fb *frameBatch, evs []feed.Event) error {
	t := evs[0].Time
	if !s.started {
		// Open with the subscription acknowledgements a live recording starts with: they say
		// the book depth, which v2 book frames do not carry.
		s.started = true
		s.st.First = t
		for _, ch := range s.cfg.channels {
			for _, pc := range s.cfg.market.Pairs {
				var err error
				if fb.buf, err = s.enc.AppendSubscribed(fb.buf, ch, pc.Info.Pair, t); err != nil {
					return err
				}
				fb.add(t)
				s.st.Frames++
			}
		}
	}
	s.st.Last = t
	s.pend, s.books = s.pend[:0], s.books[:0]
	for i := range evs {
		switch e := &evs[i]; e.Kind {
		case feed.KindTrade:
			s.pend = append(s.pend, e.Trade)
		case feed.KindBook:
			s.books = append(s.books, e.Book)
		}
	}
	s.st.Trades += int64(len(s.pend))
	var err error
	if s.cfg.trade {
		for k := 0; k < len(s.pend); k += tape.MaxTradesPerFrame {
			if fb.buf, err = s.enc.AppendTrades(fb.buf, false, s.pend[k:min(k+tape.MaxTradesPerFrame, len(s.pend))]); err != nil {
				return err
			}
			fb.add(t)
			s.st.Frames++
		}
	}
	clear(s.pend)
	if s.cfg.book {
		for _, u := range s.books {
			if fb.buf, err = s.enc.AppendBook(fb.buf, u); err != nil {
				return err
			}
			fb.add(t)
			s.st.Frames++
			s.st.Books++
		}
	}
	clear(s.books)
	return nil
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
