package krakentest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// channel names a kind of frame, for subscriptions and the per-channel counters.
type channel uint8

const (
	chNone channel = iota
	chTrade
	chBook
	chTicker
	chOHLC
	chSpread
	chInstrument
	chStatus
	chHeartbeat
	chControl // acks, pongs, error events
	chRaw     // scripted frames and injected faults
	numChannels
)

var channelNames = [numChannels]string{"", "trade", "book", "ticker", "ohlc", "spread", "instrument", "status", "heartbeat", "control", "raw"}

func (c channel) String() string { return channelNames[c] }

// Channels lists the names FramesSent accepts, in a fixed order.
func Channels() []string { return append([]string(nil), channelNames[1:]...) }

// streamKey names one data stream: what a subscription receives.
type streamKey struct {
	api   feed.API
	ch    channel
	pair  feed.Pair // empty for instrument
	param int       // book depth, ohlc interval (minutes), ticker trigger (0 trades, 1 bbo)
}

// sub is one subscription of one connection.
type sub struct {
	key      streamKey
	ps       *pairState // nil for instrument
	view     *bookView  // book subscriptions
	snapshot bool
	rawWait  bool // raw replay: a late book subscriber waits for the next recorded snapshot
}

// Market is a generated market the server streams: each call appends the next events
// (KindTrade and KindBook, for pairs in the server's table) to dst. feed/synth's *Market
// satisfies it. Next is never called concurrently (the server's generator lock is held), and
// never with the server's main lock held, so a slow market does not stop Close.
type Market interface {
	Next(dst []feed.Event) []feed.Event
}

// Server is a Kraken-compatible public WebSocket (v1 at "/", v2 at "/v2") and REST
// ("/0/public/...") server. All methods are safe for concurrent use.
type Server struct {
	cfg      config
	log      *zap.Logger
	ln       net.Listener
	pipe     *pipeListener // nil for TCP
	httpSrv  *http.Server
	upgrader websocket.Upgrader
	addr     string

	cancel    context.CancelFunc // ends the market/replay loop's context (Close)
	wg        sync.WaitGroup     // market, replay, fault and Serve goroutines
	handlers  sync.WaitGroup     // WebSocket handlers (each owns its writer goroutine)
	closeOnce sync.Once

	// gen is held while the market generates a batch and until the batch is published, so
	// batches go out in the order they were made; it is taken before mu, never while holding
	// mu, so Close (which needs mu) never waits for a generator (issue 15 item 16: serve
	// --rate 1e9 ignored SIGTERM while one batch took mu for as long as it grew).
	gen    sync.Mutex
	genBuf []feed.Event // gen held

	mu            sync.Mutex // guards everything below
	closed        bool
	conns         []*conn
	pairs         []*pairState
	byV2          map[feed.Pair]*pairState
	byV1          map[string]*pairState
	byREST        map[string]*pairState
	streams       map[streamKey][]*conn
	status        feed.SystemState
	rng           *rand.Rand
	usedChannelID map[int64]bool
	faults        faultState
	changed       chan struct{} // closed and replaced whenever subscriptions change
	replayDone    bool
	rawSt         *rawState // raw replay (WithRawRecording) only
	rateGen       uint64    // bumped by SetRate so the market loop restarts its pacing

	stats struct {
		connections, subscriptions, rejected, drops, refused, stalledFrames atomic.Uint64
		frames                                                              [numChannels]atomic.Uint64
	}
}

// New starts a server on a free loopback port, like httptest.NewServer; it panics if it
// cannot listen. Close it when done (t.Cleanup(srv.Close)).
func New(opts ...Option) *Server {
	s, err := Listen("127.0.0.1:0", opts...)
	if err != nil {
		panic(fmt.Sprintf("krakentest: %v", err))
	}
	return s
}

// NewPipe starts a server on an in-memory listener: connections are net.Pipe pairs made by
// DialContext, so the server and a client can run inside a testing/synctest bubble with a
// fake clock. URLs name the host "krakentest.pipe"; only DialContext reaches it.
func NewPipe(opts ...Option) *Server {
	pl := newPipeListener()
	s, err := serve(pl, pl, opts)
	if err != nil {
		panic(fmt.Sprintf("krakentest: %v", err))
	}
	return s
}

// Listen starts a server on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s, err := serve(ln, nil, opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

func serve(ln net.Listener, pipe *pipeListener, opts []Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:           cfg,
		log:           cfg.log.Named("krakentest"),
		ln:            ln,
		pipe:          pipe,
		addr:          ln.Addr().String(),
		byV2:          make(map[feed.Pair]*pairState),
		byV1:          make(map[string]*pairState),
		byREST:        make(map[string]*pairState),
		streams:       make(map[streamKey][]*conn),
		status:        feed.SystemOnline,
		rng:           rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)),
		usedChannelID: make(map[int64]bool),
		changed:       make(chan struct{}),
	}
	if !cfg.seedSet {
		s.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if pipe != nil {
		s.addr = pipeHost
	}
	for _, info := range cfg.pairs {
		if err := s.addPair(info); err != nil {
			return nil, err
		}
	}
	if cfg.raw != nil {
		if err := s.presetRaw(cfg.raw); err != nil {
			return nil, err
		}
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 16384,
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.route)
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(s.log)}
	// The loop's context is handed to it, not kept: Close ends it through cancel.
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("serve stopped", zap.Error(err))
		}
	}()
	if cfg.raw != nil {
		s.startLoop(ctx, func(ctx context.Context) { s.runRawReplay(ctx, cfg.raw) })
	} else if cfg.replay != nil {
		s.startLoop(ctx, func(ctx context.Context) { s.runReplay(ctx, cfg.replay) })
	} else if cfg.market != nil {
		s.startLoop(ctx, s.runMarket)
	}
	s.mu.Lock()
	s.applyFaultConfig()
	s.mu.Unlock()
	return s, nil
}

func (s *Server) addPair(info feed.PairInfo) error {
	if _, err := feed.ParsePair(string(info.Pair)); err != nil {
		return err
	}
	if s.byV2[info.Pair] != nil {
		return fmt.Errorf("krakentest: pair %s listed twice", info.Pair)
	}
	ps := newPairState(info)
	ps.lastID = s.cfg.tradeIDBase
	s.pairs = append(s.pairs, ps)
	s.byV2[info.Pair] = ps
	s.byV1[ps.v1Name] = ps
	for _, n := range []string{info.AltName, info.ID, ps.v1Name, string(info.Pair)} {
		if n != "" {
			s.byREST[n] = ps
		}
	}
	return nil
}

// startLoop runs f(ctx) on a goroutine owned by the server; Close waits for it, after
// cancelling ctx.
func (s *Server) startLoop(ctx context.Context, f func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(ctx)
	}()
}

// Close drops every connection (with a "going away" close frame), stops the server's
// goroutines and waits for all of them. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := append([]*conn(nil), s.conns...)
		s.faults.stopLoops()
		s.mu.Unlock()
		s.cancel()
		s.httpSrv.Close() //nolint:errcheck // closing the listener; nothing to report
		for _, c := range conns {
			c.closeGracefully(websocket.CloseGoingAway, "server shutting down")
		}
		s.handlers.Wait()
		s.wg.Wait()
	})
}

// URL returns the base HTTP URL, for REST: http://127.0.0.1:PORT.
func (s *Server) URL() string { return "http://" + s.addr }

// URLv1 returns the v1 WebSocket URL: ws://127.0.0.1:PORT.
func (s *Server) URLv1() string { return "ws://" + s.addr }

// URLv2 returns the v2 WebSocket URL: ws://127.0.0.1:PORT/v2.
func (s *Server) URLv2() string { return "ws://" + s.addr + "/v2" }

// Addr returns the listening address (host:port).
func (s *Server) Addr() string { return s.addr }

// DialContext connects to the server whatever addr says: the dialer seam for clients
// (websocket.Dialer.NetDialContext). On a NewPipe server it is the only way in.
func (s *Server) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	if s.pipe != nil {
		return s.pipe.dial(ctx)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.addr)
}

// Dialer returns a websocket.Dialer that reaches this server through DialContext.
func (s *Server) Dialer() *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: s.DialContext, HandshakeTimeout: 10 * time.Second}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		s.serveWS(w, r, feed.APIV1)
	case "/v2":
		s.serveWS(w, r, feed.APIV2)
	default:
		s.serveREST(w, r)
	}
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, api feed.API) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "krakentest: WebSocket endpoint (v1 at /, v2 at /v2, REST at /0/public/)", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed || s.faults.refuse {
		s.mu.Unlock()
		s.stats.refused.Add(1)
		http.Error(w, "krakentest: not accepting connections", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the client
	}
	ws.SetReadLimit(s.cfg.readLimit)
	c := &conn{s: s, ws: ws, api: api, subs: make(map[streamKey]*sub), notify: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	c.id = s.rng.Uint64()
	s.conns = append(s.conns, c)
	s.stats.connections.Add(1)
	stallAfter := s.faults.stallAfter
	if api == feed.APIV1 {
		s.enqueue(c, chStatus, v1SystemStatus(s.status, c.id, s.cfg.v1Version))
	} else {
		s.enqueue(c, chStatus, v2StatusFrame(s.status, c.id, s.cfg.v2Version))
	}
	s.notifyChange()
	s.mu.Unlock()

	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		if err := c.writeLoop(stallAfter); err != nil {
			s.log.Debug("write failed", zap.Uint64("conn", c.id), zap.Error(err))
		}
		c.close()
	}()
	c.readLoop()
	c.close()
	writer.Wait()

	s.mu.Lock()
	s.removeConn(c)
	s.mu.Unlock()
}

// removeConn forgets a finished connection and its subscriptions. s.mu held.
func (s *Server) removeConn(c *conn) {
	for _, k := range c.subKeys() {
		s.removeSub(c, k)
	}
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			break
		}
	}
	s.notifyChange()
}

// addSub registers a subscription. s.mu held.
func (s *Server) addSub(c *conn, sb *sub) {
	c.subs[sb.key] = sb
	c.nsubs.Add(1)
	s.streams[sb.key] = append(s.streams[sb.key], c)
	if sb.key.ch == chBook {
		sb.view = sb.ps.view(sb.key.param)
		sb.view.users++
	}
	if sb.key.api == feed.APIV1 && sb.ps != nil {
		s.channelID(sb.ps, v1ChannelName(sb.key))
	}
	s.stats.subscriptions.Add(1)
	s.notifyChange()
}

// removeSub removes a subscription. s.mu held.
func (s *Server) removeSub(c *conn, k streamKey) {
	sb := c.subs[k]
	if sb == nil {
		return
	}
	delete(c.subs, k)
	c.nsubs.Add(-1)
	list := s.streams[k]
	for i, x := range list {
		if x == c {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.streams, k)
	} else {
		s.streams[k] = list
	}
	if sb.view != nil {
		sb.view.users--
		if sb.view.users == 0 {
			sb.ps.dropView(sb.view)
		}
	}
	s.notifyChange()
}

func (s *Server) notifyChange() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// enqueue queues a frame for a connection. A connection whose queue is full is a consumer
// that cannot keep up: it is dropped, as a real server would. s.mu held.
func (s *Server) enqueue(c *conn, ch channel, frame []byte) {
	c.mu.Lock()
	if len(c.q) >= s.cfg.queueLimit {
		c.mu.Unlock()
		s.stats.drops.Add(1)
		s.log.Warn("dropping a connection that cannot keep up", zap.Uint64("conn", c.id), zap.Int("queued", s.cfg.queueLimit))
		c.close()
		return
	}
	c.q = append(c.q, outFrame{b: frame, ch: ch})
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// sendCtl queues a control answer (ack, pong, error). s.mu held.
func (s *Server) sendCtl(c *conn, frame []byte) { s.enqueue(c, chControl, frame) }

// fanout encodes a frame once and queues it for every subscriber of k. s.mu held.
func (s *Server) fanout(k streamKey, encode func() []byte) {
	list := s.streams[k]
	if len(list) == 0 {
		return
	}
	frame := encode()
	for _, c := range list {
		s.enqueue(c, k.ch, frame)
	}
}

// Subscribers returns how many connections are subscribed to a channel ("trade", "book",
// "ticker", "ohlc", "spread", "instrument") of a pair on an API, any depth or interval.
func (s *Server) Subscribers(api feed.API, channelName string, pair feed.Pair) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countSubs(api, channelName, pair)
}

func (s *Server) countSubs(api feed.API, channelName string, pair feed.Pair) int {
	n := 0
	for _, c := range s.conns {
		for k := range c.subs {
			if k.api == api && k.ch.String() == channelName && k.pair == pair {
				n++
			}
		}
	}
	return n
}

// WaitSubscribers blocks until at least n connections are subscribed to channelName for pair
// on api, or ctx ends. Tests use it to synchronise on the server side without sleeping.
func (s *Server) WaitSubscribers(ctx context.Context, api feed.API, channelName string, pair feed.Pair, n int) error {
	for {
		s.mu.Lock()
		got := s.countSubs(api, channelName, pair)
		ch := s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("krakentest: %d of %d %s %s subscribers: %w", got, n, api, channelName, ctx.Err())
		}
	}
}

// WaitConnections blocks until at least n connections are open, or ctx ends.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got := len(s.conns)
		ch := s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("krakentest: %d of %d connections: %w", got, n, ctx.Err())
		}
	}
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	Connections   uint64            // connections accepted since start
	Open          int               // connections open now
	Subscriptions uint64            // successful subscriptions since start
	Active        int               // subscriptions active now
	Rejected      uint64            // subscriptions rejected with "Exceeded msg rate" (fault)
	Drops         uint64            // connections dropped by faults or for being too slow
	Refused       uint64            // handshakes refused (RefuseConnections, closing)
	StalledFrames uint64            // frames discarded while a connection was stalled
	Frames        map[string]uint64 // frames written, by channel name (see Channels)
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:   s.stats.connections.Load(),
		Subscriptions: s.stats.subscriptions.Load(),
		Rejected:      s.stats.rejected.Load(),
		Drops:         s.stats.drops.Load(),
		Refused:       s.stats.refused.Load(),
		StalledFrames: s.stats.stalledFrames.Load(),
		Frames:        make(map[string]uint64, numChannels),
	}
	for ch := chTrade; ch < numChannels; ch++ {
		st.Frames[ch.String()] = s.stats.frames[ch].Load()
	}
	s.mu.Lock()
	st.Open = len(s.conns)
	for _, c := range s.conns {
		st.Active += len(c.subs)
	}
	s.mu.Unlock()
	return st
}

// FramesSent returns how many frames of a channel (see Channels) the server has written. A
// frame is counted before it reaches the wire, so a client that has read it always finds it
// counted.
func (s *Server) FramesSent(channelName string) uint64 {
	for ch := chTrade; ch < numChannels; ch++ {
		if ch.String() == channelName {
			return s.stats.frames[ch].Load()
		}
	}
	return 0
}

// Pairs returns the server's pair table, in table order.
func (s *Server) Pairs() []feed.PairInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]feed.PairInfo, len(s.pairs))
	for i, ps := range s.pairs {
		out[i] = ps.info
	}
	return out
}
