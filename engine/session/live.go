package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// The recording goroutine runs the observers and the tape in batches, woken when recordBatch
// frames wait or every recordEvery, not per frame: a wake-up per frame put it on the CPU
// ahead of the engine's dispatcher and workers (the Go scheduler runs the goroutine readied
// last first), which is the path the latency is measured on. Observers (dashboard, status
// line, metrics) see frames at most recordEvery late.
const (
	recordBatch = 64
	recordEvery = 20 * time.Millisecond
)

// DefaultMaxFrames bounds the frames waiting between the client's reader and the engine or
// the recording.
const DefaultMaxFrames = 1 << 16

// ErrOverflow is returned by Live.Run when frames arrive faster than they are processed for
// longer than LiveConfig.MaxFrames allows: the session stops rather than skip data. The
// error is an *OverflowError, which says what was slow and what rate was sustained.
var ErrOverflow = errors.New("session: frames arrive faster than they are processed")

// OverflowError is ErrOverflow with the numbers: what was waiting, and the rates the feed
// sent and the session sustained from the first frame to the overflow.
type OverflowError struct {
	Limit     int           // LiveConfig.MaxFrames
	ForEngine int           // frames waiting for the engine to take their events
	ForTape   int           // frames taken by the engine, waiting for the observers and the tape
	Received  uint64        // frames read since Run began
	Handed    uint64        // frames whose events the engine took
	Recorded  uint64        // frames that went through the observers and the tape
	Span      time.Duration // from the first frame's receive time to the overflowing one's
}

func (e *OverflowError) Error() string {
	slow := "the engine (strategies and the journal) takes"
	if e.ForTape > e.ForEngine {
		slow = "the recording and observers take"
	}
	rate := func(n uint64) string {
		if e.Span <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f/s", float64(n)/e.Span.Seconds())
	}
	return fmt.Sprintf("%v: frames arrive faster than %s them: %d frames waiting (%d for the engine, %d for the recording; limit %d); "+
		"in %v the feed sent %d frames (%s) and the session sustained %d (%s); run fewer instances, pairs or book channels, or a faster machine",
		ErrOverflow, slow, e.ForEngine+e.ForTape, e.ForEngine, e.ForTape, e.Limit, e.Span.Round(time.Millisecond), e.Received, rate(e.Received),
		min(e.Handed, e.Recorded), rate(min(e.Handed, e.Recorded)))
}

// Unwrap makes errors.Is(err, ErrOverflow) hold.
func (e *OverflowError) Unwrap() error { return ErrOverflow }

// LiveConfig configures a Live source.
type LiveConfig struct {
	// Client configures the Kraken connection; Live sets its Tap.
	Client kraken.ClientConfig
	// Tape, when set, records every frame the engine consumed, in order (Live does not close
	// it). Recording failures are logged and counted, and trading goes on.
	Tape *tape.Writer
	// MaxFrames bounds the frames waiting to be processed, by the engine or by the observers
	// and the tape (default DefaultMaxFrames). Past it Run fails with an *OverflowError.
	MaxFrames int
	// Observe, when set, sees every batch after the engine took it, in order, on Live's
	// recording goroutine (not the socket reader's): it must not modify or keep the batch.
	// It may run while the strategies handle the same events, or after.
	Observe func(batch []feed.Event)
	Log     *zap.Logger
}

// LiveStats are a Live source's counters.
type LiveStats struct {
	Stream      kraken.NormalizerStats // the client's normaliser, as of the last frame read
	Client      kraken.ClientStats
	Queued      int         // frames waiting now, for the engine or the recording
	TapeErrors  uint64      // frames that could not be recorded
	LastFrame   time.Time   // receive time of the last frame processed
	Connected   bool        // the client holds a connection (established and not lost)
	Connections uint64      // connections seen in the frames
	StaleBooks  []feed.Pair // books not verified now (see kraken.Normalizer.StaleBooks)
	Recorded    uint64      // frames written to the tape
}

// Live is Kraken's live feed as the engine's source, made replayable: a kraken.Client manages
// the connection (reconnects, backoff, pings, resubscriptions) and runs each frame once
// through its kraken.Normalizer; its tap (ClientConfig.Tap) hands Live every frame with the
// events made of it, which go to the engine, and the frame, which goes to the tape. A replay
// of the tape runs the same normaliser over the same frames, so the engine consumes exactly
// what a replay produces.
//
// The socket reader only reads, normalises and hands over: the tap runs on the client's
// reading goroutine and, when nothing is waiting, sends the events straight to the engine
// without blocking (no goroutine hop between the socket and the strategies). Everything else
// — the observers (dashboard, metrics, journal gaps, charts) and the tape's zstd writes —
// happens on Live's recording goroutine, so none of it delays the next frame's read. Frames
// wait in one bounded queue, in order: first for the engine (when its channel is full; Live's
// pump goroutine delivers them, waiting as long as needed), then for the recording. The
// reader never waits: past LiveConfig.MaxFrames waiting frames Run fails with an
// *OverflowError that says which side was slow and what rate the session sustained — it
// stops rather than silently skip frames. A frame is recorded only after its events were
// handed over, and every frame handed over is recorded before Run returns: the tape holds
// exactly what the engine consumed.
type Live struct {
	cfg    LiveConfig
	client *kraken.Client
	log    *zap.Logger

	mu   sync.Mutex
	out  chan<- []feed.Event
	done chan struct{} // closed when Run's context ends: the tap then drops frames
	// queue holds the frames in order: queue[:sent] were handed to the engine and wait for
	// the recording goroutine, queue[sent:] wait for the engine (the pump).
	queue    []pending
	sent     int
	over     *OverflowError
	toEngine chan struct{}  // 1 slot: wakes the pump
	toTape   chan struct{}  // 1 slot: wakes the recording goroutine
	free     [][]byte       // raw buffers the recording is done with, for the next frames
	freeEvs  [][]feed.Event // observer copies the recording is done with
	first    time.Time      // receive time of the first frame
	received uint64
	handed   uint64
	stats    LiveStats
	tapeErr  uint64
	booksV   uint64 // reader goroutine only
}

// pending is a frame whose events wait for the engine or the recording.
type pending struct {
	frame tape.Frame
	evs   []feed.Event // handed to the engine, which owns them once sent (it may clear a batch)
	obs   []feed.Event // the observers' copy of evs (nil without observers)
}

// NewLive validates cfg and builds the client; nothing connects before Run.
func NewLive(cfg LiveConfig) (*Live, error) {
	if cfg.MaxFrames <= 0 {
		cfg.MaxFrames = DefaultMaxFrames
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	l := &Live{cfg: cfg, log: cfg.Log.Named("live"), toEngine: make(chan struct{}, 1), toTape: make(chan struct{}, 1)}
	cc := cfg.Client
	cc.Tap = l.onFrame
	if cc.Logger == nil {
		cc.Logger = cfg.Log
	}
	client, err := kraken.NewClient(cc)
	if err != nil {
		return nil, err
	}
	l.client = client
	return l, nil
}

// Client returns the underlying client (for its Stats).
func (l *Live) Client() *kraken.Client { return l.client }

// Stats returns the source's counters. It is safe for concurrent use.
func (l *Live) Stats() LiveStats {
	cs := l.client.Stats()
	l.mu.Lock()
	s := l.stats
	s.StaleBooks = slices.Clone(s.StaleBooks)
	s.Queued = len(l.queue)
	s.TapeErrors = l.tapeErr
	l.mu.Unlock()
	s.Client = cs
	s.Connected = cs.Connects > cs.Reconnects
	return s
}

// onFrame is the client's tap, on its reading goroutine: f.Recv is already as the tape keeps
// it (nanoseconds, UTC), so live and replayed events are equal to the bit. It never waits.
func (l *Live) onFrame(f tape.Frame, evs []feed.Event, n *kraken.Normalizer) {
	l.mu.Lock()
	done, out := l.done, l.out
	l.mu.Unlock()
	if done == nil || isDone(done) {
		return
	}
	st := n.Stats()
	var stale []feed.Pair
	changed := n.BooksVersion() != l.booksV
	if changed {
		l.booksV = n.BooksVersion()
		stale = n.StaleBooks()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Stream, l.stats.Connections = st, st.Connections
	if changed {
		l.stats.StaleBooks = stale
	}
	if l.over != nil {
		return // Run is failing with it; nothing more is queued
	}
	l.received++
	if l.first.IsZero() {
		l.first = f.Recv
	}
	if len(l.queue) >= l.cfg.MaxFrames {
		l.over = &OverflowError{Limit: l.cfg.MaxFrames, ForEngine: len(l.queue) - l.sent, ForTape: l.sent,
			Received: l.received, Handed: l.handed, Recorded: l.handed - uint64(l.sent), Span: f.Recv.Sub(l.first)}
		signal(l.toEngine)
		return
	}
	if l.cfg.Tape != nil {
		// The client reuses the frame's buffer once the tap returns; the tape writes it later.
		var buf []byte
		if k := len(l.free); k > 0 {
			buf, l.free = l.free[k-1][:0], l.free[:k-1]
		}
		f.Raw = append(buf, f.Raw...)
	} else {
		f.Raw = nil
	}
	// The observers run after the engine took the events, when the engine may already have
	// cleared its batch: they get their own copy (a value copy; payloads behind pointers are
	// immutable), in a buffer the recording goroutine hands back.
	var obs []feed.Event
	if l.cfg.Observe != nil && len(evs) > 0 {
		if k := len(l.freeEvs); k > 0 {
			obs, l.freeEvs = l.freeEvs[k-1][:0], l.freeEvs[:k-1]
		}
		obs = append(obs, evs...)
	}
	l.queue = append(l.queue, pending{frame: f, evs: evs, obs: obs})
	if l.sent == len(l.queue)-1 {
		sent := len(evs) == 0
		if !sent {
			select {
			case out <- evs:
				sent = true
			default:
			}
		}
		if sent {
			l.sent++
			l.handed++
			if l.sent >= recordBatch {
				signal(l.toTape)
			}
			return
		}
	}
	signal(l.toEngine)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Run connects and streams events to out until ctx ends (it returns ctx.Err()), the client
// fails, or the queue overflows (an *OverflowError). It never closes out. Before it returns,
// every frame whose events were handed over has been observed and recorded.
func (l *Live) Run(ctx context.Context, out chan<- []feed.Event) error {
	g, gctx := errgroup.WithContext(ctx)
	l.mu.Lock()
	if l.done != nil {
		l.mu.Unlock()
		return errors.New("session: Live.Run called twice")
	}
	l.out, l.done = out, make(chan struct{})
	l.mu.Unlock()
	stop := context.AfterFunc(gctx, func() {
		l.mu.Lock()
		close(l.done)
		l.mu.Unlock()
	})
	defer stop()
	pumped := make(chan struct{})
	// The tap takes every event: nothing is sent on the client's channel.
	g.Go(func() error { return l.client.Run(gctx, make(chan []feed.Event)) })
	g.Go(func() error {
		defer close(pumped)
		return l.pump(gctx, out)
	})
	g.Go(func() error { l.record(pumped); return nil })
	err := g.Wait()
	if ctx.Err() != nil && !errors.Is(err, ErrOverflow) {
		return ctx.Err()
	}
	return err
}

// pump delivers the frames waiting for the engine, in order, waiting for it as long as needed.
func (l *Live) pump(ctx context.Context, out chan<- []feed.Event) error {
	for {
		select {
		case <-l.toEngine:
		case <-ctx.Done():
			return ctx.Err()
		}
		for {
			l.mu.Lock()
			if l.over != nil {
				err := *l.over
				l.mu.Unlock()
				l.log.Error("stopping the session: frames arrive faster than they are processed",
					zap.Int("waiting_for_engine", err.ForEngine), zap.Int("waiting_for_recording", err.ForTape),
					zap.Uint64("received", err.Received), zap.Uint64("sustained", min(err.Handed, err.Recorded)), zap.Duration("span", err.Span))
				return &err
			}
			if l.sent == len(l.queue) {
				l.mu.Unlock()
				break
			}
			evs := l.queue[l.sent].evs // stays waiting until delivered, so the tap queues behind it
			l.mu.Unlock()
			if len(evs) > 0 {
				select {
				case out <- evs:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			l.mu.Lock()
			l.sent++
			l.handed++
			wake := l.sent >= recordBatch
			l.mu.Unlock()
			if wake {
				signal(l.toTape)
			}
		}
	}
}

// record runs the observers and the tape over the frames the engine took, in order, until
// pumped is closed (nothing more will be handed over); then it finishes those still waiting.
func (l *Live) record(pumped <-chan struct{}) {
	tick := time.NewTicker(recordEvery)
	defer tick.Stop()
	for {
		final := false
		select {
		case <-l.toTape:
		case <-tick.C:
		case <-pumped:
			final = true
		}
		for {
			l.mu.Lock()
			if l.sent == 0 {
				l.mu.Unlock()
				break
			}
			p := l.queue[0]
			l.mu.Unlock()
			l.delivered(p.frame, p.obs)
			l.mu.Lock()
			l.queue[0] = pending{}
			l.queue = l.queue[1:]
			l.sent--
			if p.frame.Raw != nil && len(l.free) < 64 {
				l.free = append(l.free, p.frame.Raw)
			}
			if p.obs != nil && len(l.freeEvs) < 64 {
				clear(p.obs) // keeps no payload alive
				l.freeEvs = append(l.freeEvs, p.obs)
			}
			l.mu.Unlock()
		}
		if final {
			return
		}
	}
}

// delivered runs after a frame's events reached the engine: observers, tape, stats.
func (l *Live) delivered(f tape.Frame, evs []feed.Event) {
	if len(evs) > 0 && l.cfg.Observe != nil {
		l.cfg.Observe(evs)
	}
	recorded := false
	if l.cfg.Tape != nil {
		err := l.cfg.Tape.Write(f)
		recorded = err == nil
		if err != nil {
			l.mu.Lock()
			l.tapeErr++
			n := l.tapeErr
			l.mu.Unlock()
			if n == 1 {
				l.log.Error("recording failed; the session goes on but cannot be replayed past this point", zap.Error(err))
			}
		}
	}
	l.publish(f.Recv, recorded)
}

func (l *Live) publish(recv time.Time, recorded bool) {
	l.mu.Lock()
	l.stats.LastFrame = recv
	if recorded {
		l.stats.Recorded++
	}
	l.mu.Unlock()
}
