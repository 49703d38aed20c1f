package kraken

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
)

// Kraken's public WebSocket endpoints.
const (
	URLv1 = "wss://ws.kraken.com"
	URLv2 = "wss://ws.kraken.com/v2"
)

// ErrOverflow is returned by Client.Run when the consumer of its events falls further behind
// than ClientConfig.Buffer allows for longer than ClientConfig.OverflowWait. The client stops
// rather than drop events: a paper account that missed trades is wrong.
var ErrOverflow = errors.New("kraken: event consumer too slow, buffer overflow")

// ClientConfig configures a Client. Zero fields take the defaults noted.
type ClientConfig struct {
	// API selects the protocol (default feed.APIV2). URL defaults to Kraken's endpoint for it.
	API feed.API
	URL string
	// Pairs are the pairs to subscribe, in the v2 spelling (BTC/USD); they are mapped to v1
	// names on v1.
	Pairs []feed.Pair
	// Channels to subscribe, one request each with every pair: trade, book, ticker, ohlc,
	// spread (v1 only), instrument (v2 only). Default: trade.
	Channels []string
	Depth    int // book depth: 10 (default), 25, 100, 500, 1000
	Interval int // ohlc interval in minutes (default 1)
	// PairTable gives each pair's precision for v2 book checksums (default DefaultPairs).
	PairTable *Pairs
	// DeliverFirstTradeSnapshot delivers the recent trades a v2 trade subscription sends first
	// (history from before the client started). By default they only set the id baseline used
	// to deduplicate and find gaps; after a reconnect the snapshot is always used to fill in.
	DeliverFirstTradeSnapshot bool

	// Dialer makes the connections (default: a websocket.Dialer with a 10s handshake timeout
	// and the environment's proxy). Tests set NetDialContext to reach an in-memory server.
	Dialer *websocket.Dialer
	Logger *zap.Logger
	// OnFrame, when set, is called with every frame received, before decoding, on the reading
	// goroutine: the tape recorder's hook. It must not block or keep raw after it returns.
	OnFrame func(recv time.Time, api feed.API, conn uint32, raw []byte)
	// Tap, when set, takes the events instead of Run's channel: it is called on the reading
	// goroutine, after OnFrame, with every frame (Raw valid only during the call), the events
	// the client's Normalizer made of it (a new slice the callee owns; nil when none) and that
	// Normalizer, whose read methods (Stats, StaleBooks, BooksVersion) it may call then. Run
	// sends nothing on its channel. It must not block: it runs between two socket reads.
	Tap func(f Frame, evs []feed.Event, n *Normalizer)

	PingEvery time.Duration // application ping interval (default 20s)
	// Watchdog: no frame for this long while subscribed means the connection is dead and the
	// client reconnects (default 10s; Kraken sends a heartbeat every idle second).
	Watchdog         time.Duration
	ImmediateRetries int           // reconnects without delay after a drop (default 3)
	BackoffMin       time.Duration // first backoff after the immediate retries (default 5s)
	BackoffMax       time.Duration // backoff cap (default 60s)
	// Budget connection attempts per BudgetWindow at most (default 150 per 10 minutes, the
	// limit Kraken's Cloudflare front enforces per IP before banning it for 10 minutes).
	Budget       int
	BudgetWindow time.Duration
	// ResubscribeCooldown: a book checksum mismatch resubscribes that book once; a second
	// mismatch of the same book within this time reconnects instead (default 1 minute).
	ResubscribeCooldown time.Duration

	// Buffer is how many events may wait for the consumer (default 1<<16). When it is full
	// the reader waits up to OverflowWait (default 1s), then Run fails with ErrOverflow.
	Buffer       int
	OverflowWait time.Duration
	ReadLimit    int64  // largest frame accepted (default 4 MiB)
	Seed         uint64 // seeds the backoff jitter (default: from the clock)
}

func (c *ClientConfig) setDefaults() error {
	if c.API == feed.APINone {
		c.API = feed.APIV2
	}
	if c.URL == "" {
		c.URL = URLv2
		if c.API == feed.APIV1 {
			c.URL = URLv1
		}
	}
	if len(c.Channels) == 0 {
		c.Channels = []string{"trade"}
	}
	if c.Depth == 0 {
		c.Depth = 10
	}
	if c.Interval == 0 {
		c.Interval = 1
	}
	if c.PairTable == nil {
		c.PairTable = DefaultPairs()
	}
	if c.Dialer == nil {
		c.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.PingEvery, 20*time.Second)
	def(&c.Watchdog, 10*time.Second)
	def(&c.BackoffMin, 5*time.Second)
	def(&c.BackoffMax, 60*time.Second)
	def(&c.BudgetWindow, 10*time.Minute)
	def(&c.ResubscribeCooldown, time.Minute)
	def(&c.OverflowWait, time.Second)
	if c.ImmediateRetries == 0 {
		c.ImmediateRetries = 3
	}
	if c.Budget == 0 {
		c.Budget = 150
	}
	if c.Buffer == 0 {
		c.Buffer = 1 << 16
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = 4 << 20
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.API != feed.APIV1 && c.API != feed.APIV2 {
		return fmt.Errorf("kraken: client API %d is neither v1 nor v2", c.API)
	}
	if len(c.Pairs) == 0 && !(len(c.Channels) == 1 && c.Channels[0] == "instrument") {
		return errors.New("kraken: client needs at least one pair")
	}
	if c.ImmediateRetries < 0 || c.Budget < 1 || c.Buffer < 1 || c.BackoffMax < c.BackoffMin {
		return errors.New("kraken: client retries, budget, buffer and backoff must be positive (BackoffMax >= BackoffMin)")
	}
	for _, ch := range c.Channels {
		r := Request{Method: "subscribe", Channel: ch, Pairs: c.Pairs}
		switch ch {
		case "book":
			r.Depth = c.Depth
		case "ohlc":
			r.Interval = c.Interval
		case "instrument":
			r.Pairs = nil
		}
		if err := r.check(c.API); err != nil {
			return fmt.Errorf("kraken: client channel %s: %w", ch, err)
		}
	}
	return nil
}

// ClientStats are a Client's counters.
type ClientStats struct {
	Frames             uint64 // frames received
	Events             uint64 // events delivered
	Connects           uint64 // connections established
	Reconnects         uint64 // connections lost (followed by a reconnect unless shutting down)
	DialFailures       uint64 // failed connection attempts
	BudgetWaits        uint64 // times the connection budget delayed an attempt
	WatchdogTrips      uint64 // connections declared dead for silence
	Malformed          uint64 // frames that did not decode (non-JSON included)
	Rejected           uint64 // subscriptions the server refused
	TradeGaps          uint64 // trade gaps reported (KindGap)
	MissingTrades      uint64 // v2 trade ids known to be missing
	Duplicates         uint64 // trades dropped because already delivered (snapshot overlap)
	ChecksumMismatches uint64 // book checksums that did not verify
	Resubscribes       uint64 // book resubscriptions after a mismatch
	StaleDropped       uint64 // book updates not delivered because the book was stale
	// DialProblem says why the last connection attempt failed (see DialProblem), while the
	// client has not connected since; "" otherwise.
	DialProblem string
}

type clientCounters struct {
	frames, events, connects, reconnects, dialFailures, budgetWaits, watchdog, malformed,
	rejected, tradeGaps, missing, duplicates, mismatches, resubscribes, staleDropped atomic.Uint64
}

// Client is Kraken's public WebSocket feed as a feed.Source: it connects, subscribes (one
// request per channel with all pairs, every acknowledgement checked), keeps the order books
// and verifies their checksums, pings, watches for silence, reconnects with immediate retries
// then jittered exponential backoff under a global connection budget, resubscribes, removes
// the overlap of the v2 trade snapshot after a reconnect and reports what it knows it missed
// as KindGap events.
//
// Delivery: events go out in order, in batches, on the channel given to Run. The reading
// goroutine never waits for the consumer beyond the buffer (see ClientConfig.Buffer); past
// it, Run fails with ErrOverflow rather than drop anything. Heartbeats and the pongs of the
// client's own pings are not delivered; acknowledgements (failed ones included), status,
// errors and gaps are.
//
// The connection rules (deduplication, gaps, books, dropped control frames) are those of
// the client's Normalizer over the frames it reads, decoded once: a recording of those
// frames (OnFrame) replayed through a Normalizer of ClientConfig.NormalizerConfig gives the
// same events. The client adds what is not a function of the frames: it acts on the
// normaliser's signals (resubscribe a book, hang up) and owns dialling, pings and the
// watchdog. A connection's books are reported stale with the next connection's first frame.
//
// Books: a book update is delivered only while its pair's book verifies. On a checksum
// mismatch the client emits a KindGap for the book (Channel "book"), stops delivering that
// book's updates, resubscribes it once and resumes with the new snapshot.
//
// Use a Client for one Run. Stats and Close are safe for concurrent use.
type Client struct {
	cfg ClientConfig
	log *zap.Logger
	ctr clientCounters

	mu      sync.Mutex
	problem string // why the last connection attempt failed; "" once connected
	running bool
	closed  bool
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when Run returns
}

// NewClient validates cfg and returns a client; nothing connects before Run.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg.Pairs = slices.Clone(cfg.Pairs)
	cfg.Channels = slices.Clone(cfg.Channels)
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, log: cfg.Logger.Named("kraken"), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

var _ feed.Source = (*Client)(nil)

func (c *Client) setProblem(p string) {
	c.mu.Lock()
	c.problem = p
	c.mu.Unlock()
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	r := &c.ctr
	c.mu.Lock()
	problem := c.problem
	c.mu.Unlock()
	return ClientStats{
		Frames: r.frames.Load(), Events: r.events.Load(), Connects: r.connects.Load(),
		Reconnects: r.reconnects.Load(), DialFailures: r.dialFailures.Load(), BudgetWaits: r.budgetWaits.Load(),
		WatchdogTrips: r.watchdog.Load(), Malformed: r.malformed.Load(), Rejected: r.rejected.Load(),
		TradeGaps: r.tradeGaps.Load(), MissingTrades: r.missing.Load(), Duplicates: r.duplicates.Load(),
		ChecksumMismatches: r.mismatches.Load(), Resubscribes: r.resubscribes.Load(), StaleDropped: r.staleDropped.Load(),
		DialProblem: problem,
	}
}

// Close stops Run (which then returns nil) and waits for it to return. It is idempotent and
// may be called before, during or after Run.
func (c *Client) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	running := c.running
	c.mu.Unlock()
	if running {
		<-c.done
	}
	return nil
}

// Run streams events to out until ctx ends (it returns ctx.Err()), Close is called (nil) or
// the consumer overflows (ErrOverflow). It never closes out. A Client runs once.
func (c *Client) Run(ctx context.Context, out chan<- []feed.Event) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil
	case c.running:
		c.mu.Unlock()
		return errors.New("kraken: Client.Run called twice")
	}
	c.running = true
	c.mu.Unlock()
	defer close(c.done)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newEventQueue(c.cfg.Buffer)
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error {
		select {
		case <-c.stop:
			cancel()
		case <-gctx.Done():
		}
		return nil
	})
	g.Go(func() error { return c.deliver(gctx, q, out) })
	g.Go(func() error { return c.connectLoop(gctx, q) })
	err := g.Wait()
	switch {
	case errors.Is(err, ErrOverflow):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case isClosed(c.stop):
		return nil
	}
	return err
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// deliver hands queued batches to the consumer, in order.
func (c *Client) deliver(ctx context.Context, q *eventQueue, out chan<- []feed.Event) error {
	for {
		b, err := q.pop(ctx)
		if err != nil {
			return err
		}
		select {
		case out <- b:
			c.ctr.events.Add(uint64(len(b)))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// connectLoop connects, runs a session, and reconnects when it ends, pacing attempts with
// immediate retries, then jittered exponential backoff, under the connection budget.
func (c *Client) connectLoop(ctx context.Context, q *eventQueue) error {
	rng := rand.New(rand.NewPCG(c.cfg.Seed, 0x6b72616b656e))
	budget := newConnBudget(c.cfg.Budget, c.cfg.BudgetWindow, time.Now())
	st := newClientState(&c.cfg)
	failures := 0
	var connNo uint32
	for {
		for wait := budget.take(time.Now()); wait > 0; wait = budget.take(time.Now()) {
			c.ctr.budgetWaits.Add(1)
			c.log.Warn("connection budget exhausted; waiting", zap.Duration("wait", wait))
			if err := sleepCtx(ctx, wait); err != nil {
				return err
			}
		}
		ws, resp, err := c.cfg.Dialer.DialContext(ctx, c.cfg.URL, nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.ctr.dialFailures.Add(1)
			failures++
			d := backoff(failures, &c.cfg, rng, st.norm.System())
			problem := DialProblem(c.cfg.URL, resp, err)
			c.setProblem(problem)
			// The reason first, in words: the raw error stays in its field for whoever digs.
			retry := "; retrying now"
			if d > 0 {
				retry = "; retrying in " + d.Round(time.Millisecond).String()
			}
			c.log.Warn(problem+retry, zap.String("url", c.cfg.URL), zap.Int("attempt", failures),
				zap.Duration("retry_in", d), zap.Error(err))
			if err := sleepCtx(ctx, d); err != nil {
				return err
			}
			continue
		}
		connNo++
		c.ctr.connects.Add(1)
		c.setProblem("")
		healthy, err := c.session(ctx, ws, connNo, st, q)
		if errors.Is(err, ErrOverflow) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		c.ctr.reconnects.Add(1)
		if healthy {
			failures = 0
		}
		failures++
		d := backoff(failures, &c.cfg, rng, st.norm.System())
		c.log.Info("connection lost; reconnecting", zap.Uint32("conn", connNo), zap.Duration("in", d), zap.Error(err))
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
}

// backoff returns the delay before attempt n (1-based) after failures: none for the first
// ImmediateRetries, then BackoffMin doubling up to BackoffMax, each ±20% jitter. After a
// maintenance status Kraken asks for no faster than BackoffMin.
func backoff(n int, cfg *ClientConfig, rng *rand.Rand, system feed.SystemState) time.Duration {
	var d time.Duration
	if n > cfg.ImmediateRetries {
		d = cfg.BackoffMin
		for i := cfg.ImmediateRetries + 1; i < n && d < cfg.BackoffMax; i++ {
			d *= 2
		}
		d = min(d, cfg.BackoffMax)
		d = time.Duration(float64(d) * (0.8 + 0.4*rng.Float64()))
		d = min(d, cfg.BackoffMax)
	}
	if system != "" && system != feed.SystemOnline {
		d = max(d, cfg.BackoffMin)
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// connBudget is a token bucket sized so that no window of the given length sees more than n
// attempts: capacity n/5 (bursts of reconnects) refilled at n - n/5 - 1 per window (the one
// covers the token that can complete exactly at a window's edge).
type connBudget struct {
	capacity float64
	rate     float64 // tokens per second
	tokens   float64
	last     time.Time
}

func newConnBudget(n int, window time.Duration, now time.Time) *connBudget {
	capacity := max(1, float64(n/5))
	rate := (float64(n) - capacity - 1) / window.Seconds()
	if rate <= 0 {
		rate = 1 / window.Seconds()
	}
	return &connBudget{capacity: capacity, rate: rate, tokens: capacity, last: now}
}

// take takes a token if there is one and returns 0, else returns how long until there is.
func (b *connBudget) take(now time.Time) time.Duration {
	b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	// Round up, and never 0, which would read as "taken".
	return max(time.Nanosecond, time.Duration(math.Ceil((1-b.tokens)/b.rate*float64(time.Second))))
}
