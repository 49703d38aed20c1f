package tape

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// RecordConfig says what a Recorder records and where.
type RecordConfig struct {
	// Client is the feed client's configuration: URL, API, pairs, channels, depth, pair table.
	// The Recorder sets its OnFrame; a hook already set there runs after the frame is written.
	Client kraken.ClientConfig
	Dir    string // the recording's directory
	// Name prefixes the recording's files (default kraken-<api>); recorders sharing a
	// directory need different names.
	Name string
	// MaxFrames stops the recording after this many frames (0: no limit).
	MaxFrames int64
	// Writer adds options to the tape.Writer (segment size and age, more meta). The Recorder
	// already sets the name, logger, pairs, channels and the source, url, api and depth meta.
	Writer []Option
	Log    *zap.Logger // default zap.NewNop()
}

// RecordStats is what a Recorder has done so far.
type RecordStats struct {
	Frames             int64 // frames written
	Received           int64 // frames the client received
	Bytes              int64 // compressed bytes written
	Reconnects         int64
	TradeGaps          int64 // trade id gaps the client reported after reconnects
	GapTrades          int64 // trades those gaps miss
	BookGaps           int64 // books dropped (checksum mismatch, stale)
	ChecksumMismatches int64
	// DialProblem says why the client cannot connect (kraken.DialProblem), until it does.
	DialProblem string
}

// Recorder records Kraken's live frames: a kraken.Client whose every frame is written, byte
// for byte with its receive time, into a recording before the client decodes it. Frames are
// written on the connection's reading goroutine in the order received, so none waits in a
// queue a crash could lose.
//
// Stats and URL are safe for concurrent use; Run is called once.
type Recorder struct {
	cfg RecordConfig
	url string
	w   *Writer
	cl  *kraken.Client

	mu     sync.Mutex
	frames int64
	err    error // the first write error
	stop   context.CancelFunc
	gaps   struct{ trade, trades, book int64 }
}

// NewRecorder opens the recording and makes the client. It fails on a configuration the
// client refuses, or a directory the writer cannot use.
func NewRecorder(cfg RecordConfig) (*Recorder, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Client.Logger == nil {
		cfg.Client.Logger = cfg.Log
	}
	r := &Recorder{cfg: cfg, url: cfg.Client.URL}
	if r.url == "" {
		r.url = kraken.URLv2
		if cfg.Client.API == feed.APIV1 {
			r.url = kraken.URLv1
		}
	}
	api := cfg.Client.API
	if api == feed.APINone {
		api = feed.APIV2
	}
	name := cfg.Name
	if name == "" {
		name = "kraken-" + api.String()
	}
	next := cfg.Client.OnFrame
	cfg.Client.OnFrame = func(recv time.Time, api feed.API, conn uint32, raw []byte) {
		r.onFrame(recv, api, conn, raw)
		if next != nil {
			next(recv, api, conn, raw)
		}
	}
	cl, err := kraken.NewClient(cfg.Client)
	if err != nil {
		return nil, err
	}
	opts := append([]Option{
		WithName(name),
		WithLogger(cfg.Log),
		WithPairs(cfg.Client.Pairs...),
		WithChannels(cfg.Client.Channels...),
		WithMeta("source", "kraken-ws"),
		WithMeta("url", r.url),
		WithMeta("api", api.String()),
		WithMeta("depth", fmt.Sprint(cfg.Client.Depth)),
	}, cfg.Writer...)
	w, err := NewWriter(cfg.Dir, opts...)
	if err != nil {
		return nil, err
	}
	r.w, r.cl = w, cl
	return r, nil
}

// URL is the WebSocket URL recorded from.
func (r *Recorder) URL() string { return r.url }

// onFrame writes one frame. A write error stops the recording.
func (r *Recorder) onFrame(recv time.Time, api feed.API, conn uint32, raw []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	limit := r.cfg.MaxFrames
	if r.err != nil || (limit > 0 && r.frames >= limit) {
		return
	}
	if err := r.w.Write(Frame{Recv: recv, API: api, Conn: conn, Raw: raw}); err != nil {
		r.err = err
		r.stop()
		return
	}
	r.frames++
	if limit > 0 && r.frames >= limit {
		r.stop()
	}
}

// Run records until ctx ends or MaxFrames frames are written, then closes the recording. It
// returns nil when the recording ended that way, and an error when writing failed or the
// client gave up.
func (r *Recorder) Run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	r.mu.Lock()
	r.stop = stop
	r.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	out := make(chan []feed.Event, 64)
	g.Go(func() error { return r.cl.Run(gctx, out) })
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case evs := <-out:
				r.countGaps(evs)
			}
		}
	})
	runErr := g.Wait()
	closeErr := r.w.Close()
	r.mu.Lock()
	writeErr := r.err
	r.mu.Unlock()
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

// countGaps counts the gaps the client reports; the frames themselves are already written.
func (r *Recorder) countGaps(evs []feed.Event) {
	for i := range evs {
		ev := &evs[i]
		if ev.Kind != feed.KindGap {
			continue
		}
		r.mu.Lock()
		if ev.Gap.Channel == "trade" {
			r.gaps.trade++
			r.gaps.trades += int64(ev.Gap.Missing)
		} else {
			r.gaps.book++
		}
		r.mu.Unlock()
		r.cfg.Log.Info("gap", zap.String("pair", string(ev.Pair)), zap.String("channel", ev.Gap.Channel),
			zap.Uint64("missing", ev.Gap.Missing), zap.String("reason", ev.Gap.Reason))
	}
}

// Stats returns the counts so far.
func (r *Recorder) Stats() RecordStats {
	st := r.cl.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	return RecordStats{Frames: r.frames, Received: int64(st.Frames), Bytes: r.w.Stats().Bytes, Reconnects: int64(st.Reconnects),
		TradeGaps: r.gaps.trade, GapTrades: r.gaps.trades, BookGaps: r.gaps.book, ChecksumMismatches: int64(st.ChecksumMismatches),
		DialProblem: st.DialProblem}
}
