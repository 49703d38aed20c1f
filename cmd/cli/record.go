package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

type recordOptions struct {
	url         string
	pairs       string
	channels    string
	depth       int
	api         string
	out         string
	name        string
	duration    time.Duration
	frames      int64
	statusEvery time.Duration
	segmentAge  time.Duration
	segmentSize int64

	// client, when set (tests), adjusts the client's configuration last (dialer, timings, an
	// OnFrame tap, which runs after the frame is written).
	client func(*kraken.ClientConfig)
}

func newRecordCmd(a *app) *cobra.Command {
	var o recordOptions
	cmd := &cobra.Command{
		Use:   "record --pairs BTC/USD,ETH/USD --out DIR",
		Short: "Record Kraken's live market data (raw WebSocket frames) into a recording",
		Long: `record connects to Kraken's public WebSocket (v2 by default; v1 with --api v1), or to any server
that speaks it (--url, e.g. papertrade serve), subscribes to the channels for the pairs, and writes
every frame it receives, byte for byte with its receive time, into a recording: zstd-compressed JSON
lines in DIR/<date>/ and a manifest (see papertrade tape info). Replays (decode, backtest, serve) go
through the same decoder as live data.

The connection is papertrade's Kraken client: pings, a watchdog, reconnects with backoff under
Kraken's connection budget, resubscriptions. Each connection is numbered in the recording, and what
the client knows it missed (trade id gaps after a reconnect, book checksum mismatches) shows in the
status line and in tape info afterwards.

It runs until interrupted (Ctrl-C, SIGTERM), for --duration, or for --frames frames, then flushes
and closes the recording and exits 0 (6 when no frame arrived). A crash loses at most the last second of frames. Every
--status it prints one line: frames recorded and received, megabytes written, reconnects, and
the gaps the client reported (trade ids it knows it missed, books it had to drop).`,
		Example: `  papertrade record --pairs BTC/USD,ETH/USD --channels trade,book --out data/live
  papertrade record --api v1 --pairs XBT/USD --channels trade --out data/v1 --duration 1h
  papertrade record --url ws://127.0.0.1:8765/v2 --pairs BTC/USD --out data/local --frames 10000`,
		Args: tpUsageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRecord(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "WebSocket URL (default wss://ws.kraken.com/v2, or wss://ws.kraken.com with --api v1)")
	f.StringVar(&o.pairs, "pairs", "", "pairs to subscribe, comma-separated (required; v2, v1 or REST names)")
	f.StringVar(&o.channels, "channels", "trade,book", "channels: trade, book, ticker, ohlc, spread (v1), instrument (v2)")
	f.IntVar(&o.depth, "depth", 10, "book depth: 10, 25, 100, 500 or 1000")
	f.StringVar(&o.api, "api", "v2", "Kraken WebSocket API: v2 or v1")
	f.StringVar(&o.out, "out", "", "directory to record into (required)")
	f.StringVar(&o.name, "name", "", "recording name, which prefixes its files (default kraken-<api>); recorders sharing a directory need different names")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until interrupted)")
	f.Int64Var(&o.frames, "frames", 0, "stop after this many frames (default: no limit)")
	f.DurationVar(&o.statusEvery, "status", 5*time.Second, "print a status line this often (0: only at the end)")
	f.DurationVar(&o.segmentAge, "segment-age", tape.DefaultMaxSegmentAge, "start a new segment file at multiples of this receive time")
	f.Int64Var(&o.segmentSize, "segment-size", tape.DefaultMaxSegmentBytes, "start a new segment file after this many compressed bytes")
	return cmd
}

func runRecord(ctx context.Context, a *app, o recordOptions) error {
	cfg, err := o.config(a)
	if err != nil {
		return err
	}
	rec, err := tape.NewRecorder(cfg)
	if err != nil {
		return tpUsagef("%v", err)
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	fmt.Fprintf(a.stdout, "recording %s %s for %s into %s (Ctrl-C stops)\n", rec.URL(), strings.Join(cfg.Client.Channels, ","), joinPairs(cfg.Client.Pairs, ","), o.out)
	began := time.Now()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	var mu sync.Mutex // one status line at a time
	g.Go(func() error {
		defer stop() // the recording may end by itself (--frames): stop the status line too
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			printRecordStatus(a, "recorded", rec.Stats())
		}()
		return rec.Run(gctx)
	})
	if o.statusEvery > 0 {
		g.Go(func() error {
			t := time.NewTicker(o.statusEvery)
			defer t.Stop()
			for {
				select {
				case <-gctx.Done():
					return nil
				case <-t.C:
					mu.Lock()
					printRecordStatus(a, "status", rec.Stats())
					mu.Unlock()
				}
			}
		})
	}
	err = g.Wait()
	a.log.Debug("record done", zap.Duration("elapsed", time.Since(began)))
	if st := rec.Stats(); err == nil && st.Frames == 0 {
		// An empty recording is not a successful one (issue 18 item 7): a script must not go on
		// to replay it.
		why := "check --url, the network and --pairs"
		if st.DialProblem != "" {
			why = st.DialProblem
		}
		return &ExitCodeError{Code: ExitIncomplete, Err: fmt.Errorf("recorded no frames from %s: %s", rec.URL(), why)}
	}
	return err
}

// config turns the flags into the recorder's configuration.
func (o *recordOptions) config(a *app) (tape.RecordConfig, error) {
	table := kraken.DefaultPairs()
	if o.out == "" {
		return tape.RecordConfig{}, tpUsagef("--out is required")
	}
	if o.pairs == "" {
		return tape.RecordConfig{}, tpUsagef("--pairs is required")
	}
	infos, err := tpResolvePairs(table, o.pairs)
	if err != nil {
		return tape.RecordConfig{}, err
	}
	cfg := kraken.ClientConfig{URL: o.url, Pairs: tpPairNames(infos), Depth: o.depth, PairTable: table, Logger: a.log}
	if cfg.API, err = parseAPI(o.api); err != nil {
		return tape.RecordConfig{}, err
	}
	for ch := range strings.SplitSeq(o.channels, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			cfg.Channels = append(cfg.Channels, ch)
		}
	}
	if len(cfg.Channels) == 0 {
		return tape.RecordConfig{}, tpUsagef("--channels: give at least one channel")
	}
	if o.client != nil {
		o.client(&cfg)
	}
	return tape.RecordConfig{Client: cfg, Dir: o.out, Name: o.name, MaxFrames: o.frames, Log: a.log,
		Writer: []tape.Option{tape.WithMaxSegmentAge(o.segmentAge), tape.WithMaxSegmentBytes(o.segmentSize)}}, nil
}

func printRecordStatus(a *app, what string, st tape.RecordStats) {
	problem := ""
	if st.DialProblem != "" {
		problem = "; " + st.DialProblem
	}
	fmt.Fprintf(a.stdout, "%s %s: %d frames of %d received, %s written, %d reconnects, %d trade gaps (%d trades missing), %d book gaps, %d checksum mismatches%s\n",
		time.Now().UTC().Format("15:04:05"), what, st.Frames, st.Received, tpMB(st.Bytes), st.Reconnects, st.TradeGaps, st.GapTrades, st.BookGaps, st.ChecksumMismatches, problem)
}

func joinPairs(p []feed.Pair, sep string) string {
	out := make([]string, len(p))
	for i := range p {
		out[i] = string(p[i])
	}
	return strings.Join(out, sep)
}
