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

// DefaultMaxFrames bounds the frames waiting between the client's reader and the engine.
const DefaultMaxFrames = 1 << 16

// ErrOverflow is returned by Live.Run when frames arrive faster than they are processed for
// longer than LiveConfig.MaxFrames allows: the session stops rather than skip data.
var ErrOverflow = errors.New("session: frames arrive faster than the engine takes them")

// LiveConfig configures a Live source.
type LiveConfig struct {
	// Client configures the Kraken connection; Live sets its Tap.
	Client kraken.ClientConfig
	// Tape, when set, records every frame the engine consumed, in order (Live does not close
	// it). Recording failures are logged and counted, and trading goes on.
	Tape *tape.Writer
	// MaxFrames bounds the frames waiting to be processed (default DefaultMaxFrames).
	MaxFrames int
	// Observe, when set, sees every batch on the source goroutine just before the engine
	// gets it; it must not modify or keep the batch and must not block for long.
	Observe func(batch []feed.Event)
	Log     *zap.Logger
}

// LiveStats are a Live source's counters.
type LiveStats struct {
	Stream      kraken.NormalizerStats // the client's normaliser, as of the last frame handed over
	Client      kraken.ClientStats
	Queued      int         // frames waiting now
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
// The tap runs on the client's reading goroutine (one connection at a time): when nothing is
// waiting, it hands the events straight to the engine without blocking — the fast path,
// with no goroutine hop between the socket and the engine. When the
// engine's channel is full, events and frames queue in order for Live's own goroutine, which
// delivers them (waiting as long as needed) until the queue is empty again; the reader never
// waits. Frames are recorded after their events were handed over: when the session stops,
// frames not yet handed over are neither traded on nor recorded.
type Live struct {
	cfg    LiveConfig
	client *kraken.Client
	log    *zap.Logger

	mu      sync.Mutex
	out     chan<- []feed.Event
	done    chan struct{} // closed when Run's context ends: the tap then drops frames
	backlog []pending     // handed-over order: items leave it only after delivery
	over    bool
	ready   chan struct{}
	stats   LiveStats
	tapeErr uint64
	booksV  uint64 // reader goroutine only
}

// pending is a frame whose events wait for the engine.
type pending struct {
	frame tape.Frame
	evs   []feed.Event
}

// NewLive validates cfg and builds the client; nothing connects before Run.
func NewLive(cfg LiveConfig) (*Live, error) {
	if cfg.MaxFrames <= 0 {
		cfg.MaxFrames = DefaultMaxFrames
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	l := &Live{cfg: cfg, log: cfg.Log.Named("live"), ready: make(chan struct{}, 1)}
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
	s.Queued = len(l.backlog)
	s.TapeErrors = l.tapeErr
	l.mu.Unlock()
	s.Client = cs
	s.Connected = cs.Connects > cs.Reconnects
	return s
}

// onFrame is the client's tap, on its reading goroutine: f.Recv is already as the tape keeps
// it (nanoseconds, UTC), so live and replayed events are equal to the bit.
func (l *Live) onFrame(f tape.Frame, evs []feed.Event, n *kraken.Normalizer) {
	raw := f.Raw
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
	l.stats.Stream, l.stats.Connections = st, st.Connections
	if changed {
		l.stats.StaleBooks = stale
	}
	if len(l.backlog) == 0 {
		sent := len(evs) == 0
		if !sent {
			select {
			case out <- evs:
				sent = true
			default:
			}
		}
		if sent {
			l.mu.Unlock()
			l.delivered(f, evs)
			return
		}
	}
	if len(l.backlog) >= l.cfg.MaxFrames {
		l.over = true
	} else {
		f.Raw = append([]byte(nil), raw...) // the client reuses nothing, but the tap must not keep raw
		l.backlog = append(l.backlog, pending{frame: f, evs: evs})
	}
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
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

// Run connects and streams events to out until ctx ends (it returns ctx.Err()), the client
// fails, or the backlog overflows (ErrOverflow). It never closes out.
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
	// The tap takes every event: nothing is sent on the client's channel.
	g.Go(func() error { return l.client.Run(gctx, make(chan []feed.Event)) })
	g.Go(func() error { return l.pump(gctx, out) })
	err := g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// pump delivers the backlog, in order, waiting for the engine as long as needed.
func (l *Live) pump(ctx context.Context, out chan<- []feed.Event) error {
	for {
		select {
		case <-l.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
		for {
			l.mu.Lock()
			if l.over {
				l.mu.Unlock()
				return fmt.Errorf("%w (more than %d frames waiting)", ErrOverflow, l.cfg.MaxFrames)
			}
			if len(l.backlog) == 0 {
				l.mu.Unlock()
				break
			}
			p := l.backlog[0] // stays queued until delivered, so the tap keeps queuing behind it
			l.mu.Unlock()
			if len(p.evs) > 0 {
				select {
				case out <- p.evs:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			// Delivered before it leaves the queue: until then the tap queues behind it, so
			// observers and the tape see frames one at a time and in order.
			l.delivered(p.frame, p.evs)
			l.mu.Lock()
			l.backlog[0] = pending{}
			l.backlog = l.backlog[1:]
			l.mu.Unlock()
		}
	}
}
func (l *Live) publish(recv time.Time, recorded bool) {
	l.mu.Lock()
	l.stats.LastFrame = recv
	if recorded {
		l.stats.Recorded++
	}
	l.mu.Unlock()
}
