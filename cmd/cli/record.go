package cli

import (
	"context"
	"errors"
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

	// client, when set (tests), adjusts the client's configuration last (dialer, timings, a
	// tap around OnFrame).
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
and closes the recording and exits 0. A crash loses at most the last second of frames. Every
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

// recorder writes the client's frames and counts what it saw.
type recorder struct {
	w     *tape.Writer
	limit int64
	stop  context.CancelFunc

	mu     sync.Mutex
	frames int64
	err    error
}

// onFrame is the client's OnFrame hook: it runs on the connection's reading goroutine and
// writes the frame before returning, so frames are recorded in the order received and none
// waits in a queue that a crash could lose. A write error stops the recording.
func (r *recorder) onFrame(recv time.Time, api feed.API, conn uint32, raw []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || (r.limit > 0 && r.frames >= r.limit) {
		return
	}
	f := tape.Frame{Recv: recv, API: api, Conn: conn, Raw: raw}
	if err := r.w.Write(f); err != nil {
		r.err = err
		r.stop()
		return
	}
	r.frames++
	if r.limit > 0 && r.frames >= r.limit {
		r.stop()
	}
}

func (r *recorder) state() (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, r.err
}

func runRecord(ctx context.Context, a *app, o recordOptions) error {
	table := kraken.DefaultPairs()
	if o.out == "" {
		return tpUsagef("--out is required")
	}
	if o.pairs == "" {
		return tpUsagef("--pairs is required")
	}
	infos, err := tpResolvePairs(table, o.pairs)
	if err != nil {
		return err
	}
	cfg := kraken.ClientConfig{URL: o.url, Pairs: tpPairNames(infos), Depth: o.depth, PairTable: table, Logger: a.log}
	if cfg.API, err = parseAPI(o.api); err != nil {
		return err
	}
	for ch := range strings.SplitSeq(o.channels, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			cfg.Channels = append(cfg.Channels, ch)
		}
	}
	if len(cfg.Channels) == 0 {
		return tpUsagef("--channels: give at least one channel")
	}
	name := o.name
	if name == "" {
		name = "kraken-" + o.api
	}
	url := cfg.URL
	if url == "" {
		url = kraken.URLv2
		if cfg.API == feed.APIV1 {
			url = kraken.URLv1
		}
	}
	w, err := tape.NewWriter(o.out,
		tape.WithName(name),
		tape.WithLogger(a.log),
		tape.WithMaxSegmentAge(o.segmentAge),
		tape.WithMaxSegmentBytes(o.segmentSize),
		tape.WithPairs(cfg.Pairs...),
		tape.WithChannels(cfg.Channels...),
		tape.WithMeta("source", "kraken-ws"),
		tape.WithMeta("url", url),
		tape.WithMeta("api", o.api),
		tape.WithMeta("depth", fmt.Sprint(o.depth)),
	)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, o.duration)
		defer cancel()
	}
	rec := &recorder{w: w, limit: o.frames, stop: stop}
	cfg.OnFrame = rec.onFrame
	if o.client != nil {
		o.client(&cfg)
	}
	cl, err := kraken.NewClient(cfg)
	if err != nil {
		_ = w.Close()
		return tpUsagef("%v", err)
	}
	fmt.Fprintf(a.stdout, "recording %s %s for %s into %s (Ctrl-C stops)\n", url, strings.Join(cfg.Channels, ","), strings.Join(o.pairsList(cfg.Pairs), ","), o.out)
	began := time.Now()
	var tradeGaps, bookGaps, gapTrades int64 // from the client's KindGap events; guarded by mu
	status := func(final bool) {
		frames, _ := rec.state()
		st := cl.Stats()
		what := "status"
		if final {
			what = "recorded"
		}
		fmt.Fprintf(a.stdout, "%s %s: %d frames of %d received, %s written, %d reconnects, %d trade gaps (%d trades missing), %d book gaps, %d checksum mismatches\n",
			time.Now().UTC().Format("15:04:05"), what, frames, st.Frames, tpMB(w.Stats().Bytes), st.Reconnects, tradeGaps, gapTrades, bookGaps, st.ChecksumMismatches)
	}
	g, gctx := errgroup.WithContext(runCtx)
	out := make(chan []feed.Event, 64)
	var mu sync.Mutex
	g.Go(func() error { return cl.Run(gctx, out) })
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case evs := <-out:
				for i := range evs {
					if ev := &evs[i]; ev.Kind == feed.KindGap {
						mu.Lock()
						if ev.Gap.Channel == "trade" {
							tradeGaps++
							gapTrades += int64(ev.Gap.Missing)
						} else {
							bookGaps++
						}
						mu.Unlock()
						a.log.Info("gap", zap.String("pair", string(ev.Pair)), zap.String("channel", ev.Gap.Channel), zap.Uint64("missing", ev.Gap.Missing), zap.String("reason", ev.Gap.Reason))
					}
				}
			}
		}
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
					status(false)
					mu.Unlock()
				}
			}
		})
	}
	runErr := g.Wait()
	closeErr := w.Close()
	_, writeErr := rec.state()
	mu.Lock()
	status(true)
	mu.Unlock()
	a.log.Debug("record done", zap.Duration("elapsed", time.Since(began)))
	switch {
	case writeErr != nil:
		return fmt.Errorf("record: %w", writeErr)
	case closeErr != nil:
		return fmt.Errorf("record: %w", closeErr)
	case runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded):
		return fmt.Errorf("record: %w", runErr)
	}
	return nil
}

func (o *recordOptions) pairsList(p []feed.Pair) []string {
	out := make([]string, len(p))
	for i := range p {
		out[i] = string(p[i])
	}
	return out
}
