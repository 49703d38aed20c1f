package kraken

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// pingReqBase starts the request ids of the client's own pings, whose pongs are not delivered.
const pingReqBase = 1_000_000_000

// proxyRestart is the non-JSON frame Kraken's Cloudflare proxy sends before it drops sockets.
var proxyRestart = []byte("CloudFlare WebSocket proxy restarting")

var (
	errWatchdog      = errors.New("kraken: no frame within the watchdog interval")
	errProxyRestart  = errors.New("kraken: the proxy is restarting")
	errChecksumAgain = errors.New("kraken: book checksum mismatch again soon after a resubscribe")
)

// clientState is what the client keeps across connections.
type clientState struct {
	cfg      *ClientConfig
	dec      *Decoder
	system   feed.SystemState
	lastRecv time.Time // last frame of the previous connection
	trades   map[feed.Pair]*tradeState
	books    map[feed.Pair]*bookState
}

type tradeState struct {
	lastID   uint64
	lastTime time.Time
}

type bookState struct {
	book      *feed.Book
	live      bool // verified since the last snapshot: updates are delivered
	lastResub time.Time
	pd, qd    int32 // checksum precision (-1: the wire's)
}

func newClientState(cfg *ClientConfig) *clientState {
	st := &clientState{
		cfg:    cfg,
		dec:    NewDecoder(WithLogger(cfg.Logger.Named("kraken"))),
		trades: make(map[feed.Pair]*tradeState),
		books:  make(map[feed.Pair]*bookState),
	}
	for _, p := range cfg.Pairs {
		st.trades[p] = &tradeState{}
		bs := &bookState{book: feed.NewBook(p, cfg.Depth), pd: -1, qd: -1}
		if info, ok := cfg.PairTable.Lookup(p); ok && cfg.API == feed.APIV2 {
			// v2 numbers may be re-serialised without trailing zeros; the pair's precision
			// reproduces the checksum text. v1 strings are already fixed-precision.
			bs.pd, bs.qd = info.PriceDecimals, info.LotDecimals
		}
		st.books[p] = bs
	}
	return st
}

// session is one connection's reading side; its writer runs on its own goroutine.
type session struct {
	c          *Client
	st         *clientState
	ctx        context.Context
	connNo     uint32
	writes     chan<- []byte
	q          *eventQueue
	subscribed bool // a subscription succeeded: the watchdog is armed, the session healthy
	reqID      int64
	v1Gaps     map[feed.Pair]time.Time // v1: pairs awaiting their first trade after a reconnect
	scratch    []feed.Event
	out        []feed.Event
	lastRecv   time.Time
}

// session runs one connection until it fails or ctx ends. healthy reports whether a
// subscription succeeded on it (which resets the reconnect backoff).
func (c *Client) session(ctx context.Context, ws *websocket.Conn, connNo uint32, st *clientState, q *eventQueue) (healthy bool, err error) {
	ws.SetReadLimit(c.cfg.ReadLimit)
	sctx, cancel := context.WithCancel(ctx)
	writes := make(chan []byte, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel() // a dead writer ends the session
		c.writeLoop(sctx, ctx, ws, writes)
	}()
	s := &session{c: c, st: st, ctx: sctx, connNo: connNo, writes: writes, q: q, v1Gaps: map[feed.Pair]time.Time{}}
	defer func() {
		cancel()
		wg.Wait()
		if !s.lastRecv.IsZero() {
			st.lastRecv = s.lastRecv
		}
		if ctx.Err() == nil && !errors.Is(err, ErrOverflow) {
			if perr := s.reportStaleBooks(ctx); perr != nil {
				err = perr
			}
		}
	}()
	if err := s.subscribeAll(); err != nil {
		return false, err
	}
	var buf bytes.Buffer // reused for every frame: neither the decoder nor OnFrame keep it
	for {
		d := c.cfg.Watchdog
		if !s.subscribed {
			d += c.cfg.PingEvery // no heartbeats before a subscription: wait for a pong
		}
		if err := ws.SetReadDeadline(time.Now().Add(d)); err != nil {
			return s.subscribed, err
		}
		frame, err := readFrame(ws, &buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.ctr.watchdog.Add(1)
				err = fmt.Errorf("%w (%v)", errWatchdog, d)
			}
			if sctx.Err() != nil && ctx.Err() != nil {
				err = ctx.Err()
			}
			return s.subscribed, err
		}
		if err := s.frame(frame, time.Now()); err != nil {
			return s.subscribed, err
		}
	}
}

// readFrame reads the next data message into buf and returns its bytes.
func readFrame(ws *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLoop owns writing (gorilla allows one writer): requests from the reader and pings.
// It closes the socket when the session ends, which also unblocks the reader.
func (c *Client) writeLoop(sctx, parent context.Context, ws *websocket.Conn, writes <-chan []byte) {
	defer ws.Close()
	t := time.NewTicker(c.cfg.PingEvery)
	defer t.Stop()
	var ping int64 = pingReqBase
	write := func(b []byte) bool {
		if err := ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return false
		}
		if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
			c.log.Debug("write failed", zap.Error(err))
			return false
		}
		return true
	}
	for {
		select {
		case <-sctx.Done():
			if parent.Err() != nil { // shutting down: say goodbye
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			}
			return
		case b := <-writes:
			if !write(b) {
				return
			}
		case <-t.C:
			ping++
			r := Request{Method: "ping", ReqID: ping, HasReqID: true}
			var b []byte
			if c.cfg.API == feed.APIV1 {
				b, _ = r.AppendV1(nil)
			} else {
				b, _ = r.AppendV2(nil)
			}
			if !write(b) {
				return
			}
		}
	}
}

// send queues a request for the writer.
func (s *session) send(r Request) error {
	s.reqID++
	r.ReqID, r.HasReqID = s.reqID, true
	var (
		b   []byte
		err error
	)
	if s.c.cfg.API == feed.APIV1 {
		b, err = r.AppendV1(nil)
	} else {
		b, err = r.AppendV2(nil)
	}
	if err != nil {
		return err
	}
	select {
	case s.writes <- b:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// subscribeAll sends one subscribe per channel with every pair and resets the books, which
// wait for their new snapshots.
func (s *session) subscribeAll() error {
	cfg := s.c.cfg
	for _, bs := range s.st.books {
		bs.book.Reset()
		bs.live = false
	}
	for _, ch := range cfg.Channels {
		r := Request{Method: "subscribe", Channel: ch, Pairs: cfg.Pairs, Snapshot: true}
		switch ch {
		case "book":
			r.Depth = cfg.Depth
		case "ohlc":
			r.Interval = cfg.Interval
		case "instrument":
			r.Pairs = nil
		case "trade":
			if cfg.API == feed.APIV1 && !s.st.lastRecv.IsZero() {
				for _, p := range cfg.Pairs {
					s.v1Gaps[p] = s.st.lastRecv
				}
			}
		}
		if err := s.send(r); err != nil {
			return err
		}
	}
	return nil
}

// frame handles one received frame.
func (s *session) frame(frame []byte, recv time.Time) error {
	c := s.c
	c.ctr.frames.Add(1)
	s.lastRecv = recv
	if c.cfg.OnFrame != nil {
		c.cfg.OnFrame(recv, c.cfg.API, s.connNo, frame)
	}
	if bytes.Equal(frame, proxyRestart) {
		c.ctr.malformed.Add(1)
		return errProxyRestart
	}
	var err error
	if c.cfg.API == feed.APIV1 {
		s.scratch, err = s.st.dec.DecodeV1(frame, recv, s.scratch[:0])
	} else {
		s.scratch, err = s.st.dec.DecodeV2(frame, recv, s.scratch[:0])
	}
	if err != nil {
		c.ctr.malformed.Add(1)
		c.log.Warn("malformed frame skipped", zap.Uint32("conn", s.connNo), zap.Error(err))
		return nil
	}
	s.out = s.out[:0]
	snapshot := c.cfg.API == feed.APIV2 && bytes.Contains(frame[:min(len(frame), 48)], []byte(`"type":"snapshot"`))
	for i := range s.scratch {
		if err := s.event(&s.scratch[i], snapshot); err != nil {
			return err
		}
	}
	clear(s.scratch)
	if len(s.out) == 0 {
		return nil
	}
	err = s.q.push(s.ctx, s.out, c.cfg.OverflowWait)
	clear(s.out)
	return err
}

func (s *session) emit(ev feed.Event) { s.out = append(s.out, ev) }

func (s *session) event(ev *feed.Event, snapshot bool) error {
	ev.Conn = s.connNo
	switch ev.Kind {
	case feed.KindHeartbeat:
		return nil
	case feed.KindPong:
		if ev.Ack != nil && ev.Ack.HasReqID && ev.Ack.ReqID >= pingReqBase {
			return nil
		}
	case feed.KindStatus:
		if ev.Status != nil {
			s.st.system = ev.Status.System
		}
	case feed.KindAck, feed.KindError:
		s.ack(ev)
	case feed.KindTrade:
		s.trade(ev, snapshot)
		return nil
	case feed.KindBook:
		return s.book(ev)
	}
	s.emit(*ev)
	return nil
}

func (s *session) ack(ev *feed.Event) {
	a := ev.Ack
	if a == nil {
		return
	}
	if !a.Success {
		s.c.ctr.rejected.Add(1)
		s.c.log.Warn("request rejected", zap.String("method", a.Method), zap.String("channel", a.Channel),
			zap.String("pair", string(a.Pair)), zap.Int64("req_id", a.ReqID), zap.String("error", a.Error))
		return
	}
	if a.Method == "subscribe" {
		s.subscribed = true
	}
}

// trade deduplicates v2 trades by id, reports id gaps, and reports v1's reconnect windows.
func (s *session) trade(ev *feed.Event, snapshot bool) {
	p := ev.Trade.Pair
	if p == "" {
		p = ev.Pair
	}
	ts := s.st.trades[p]
	if ts == nil {
		ts = &tradeState{}
		s.st.trades[p] = ts
	}
	if from, ok := s.v1Gaps[p]; ok {
		delete(s.v1Gaps, p)
		s.gap(ev, feed.Gap{Channel: "trade", From: from, To: ev.Recv, Reason: "reconnected: v1 has no trade ids, trades in this window may be missing"})
	}
	if id := ev.Trade.ID; id != 0 {
		switch {
		case ts.lastID != 0 && id <= ts.lastID:
			s.c.ctr.duplicates.Add(1)
			return
		case ts.lastID == 0 && snapshot && !s.c.cfg.DeliverFirstTradeSnapshot:
			ts.lastID, ts.lastTime = id, ev.Time // history from before the start: baseline only
			return
		case ts.lastID != 0 && id > ts.lastID+1:
			missing := id - ts.lastID - 1
			s.c.ctr.missing.Add(missing)
			s.gap(ev, feed.Gap{Channel: "trade", FromID: ts.lastID + 1, ToID: id - 1, Missing: missing,
				From: ts.lastTime, To: ev.Time, Reason: "trade ids skipped"})
		}
		ts.lastID = id
	}
	ts.lastTime = ev.Time
	s.emit(*ev)
}

// gap emits a KindGap event for the pair of ev, just before it.
func (s *session) gap(ev *feed.Event, g feed.Gap) {
	if g.Channel == "trade" {
		s.c.ctr.tradeGaps.Add(1)
	}
	p := ev.Pair
	if p == "" {
		p = ev.Trade.Pair
	}
	s.emit(feed.Event{Kind: feed.KindGap, API: ev.API, Conn: s.connNo, Pair: p, Time: ev.Time, Recv: ev.Recv, Gap: &g})
}

// book maintains a pair's book, verifies its checksum and withholds the updates of a stale
// book until its next snapshot.
func (s *session) book(ev *feed.Event) error {
	u := ev.Book
	if u == nil {
		return nil
	}
	bs := s.st.books[u.Pair]
	if bs == nil {
		s.emit(*ev) // a book the client did not ask for: passed through unverified
		return nil
	}
	if !u.Snapshot && !bs.live {
		s.c.ctr.staleDropped.Add(1)
		return nil
	}
	if err := bs.book.Apply(u); err != nil {
		s.c.log.Warn("book update does not apply", zap.String("pair", string(u.Pair)), zap.Error(err))
		return s.mismatch(ev, bs)
	}
	if u.HasChecksum {
		if got := Checksum(bs.book, bs.pd, bs.qd); got != u.Checksum {
			s.c.log.Warn("book checksum mismatch", zap.String("pair", string(u.Pair)), zap.Uint32("got", got), zap.Uint32("want", u.Checksum))
			return s.mismatch(ev, bs)
		}
	}
	if u.Snapshot {
		bs.live = true
	}
	s.emit(*ev)
	return nil
}

// mismatch marks a book stale, reports it and resubscribes it once; a second mismatch within
// the cooldown ends the connection instead (a resubscribe loop would hit Kraken's rate limit).
func (s *session) mismatch(ev *feed.Event, bs *bookState) error {
	s.c.ctr.mismatches.Add(1)
	bs.live = false
	s.emit(feed.Event{Kind: feed.KindGap, API: ev.API, Conn: s.connNo, Pair: ev.Book.Pair, Time: ev.Time, Recv: ev.Recv,
		Gap: &feed.Gap{Channel: "book", From: ev.Recv, To: ev.Recv, Reason: "book checksum mismatch: stale until the next snapshot"}})
	if !bs.lastResub.IsZero() && ev.Recv.Sub(bs.lastResub) < s.c.cfg.ResubscribeCooldown {
		if err := s.q.push(s.ctx, s.out, s.c.cfg.OverflowWait); err != nil {
			return err
		}
		s.out = s.out[:0]
		return errChecksumAgain
	}
	bs.lastResub = ev.Recv
	s.c.ctr.resubscribes.Add(1)
	cfg := s.c.cfg
	pairs := []feed.Pair{ev.Book.Pair}
	if err := s.send(Request{Method: "unsubscribe", Channel: "book", Pairs: pairs, Depth: cfg.Depth}); err != nil {
		return err
	}
	return s.send(Request{Method: "subscribe", Channel: "book", Pairs: pairs, Depth: cfg.Depth, Snapshot: true})
}

// reportStaleBooks tells the consumer, when a connection is lost, that its live books are
// stale until their next snapshot.
func (s *session) reportStaleBooks(ctx context.Context) error {
	s.out = s.out[:0]
	for _, p := range s.c.cfg.Pairs {
		bs := s.st.books[p]
		if bs == nil || !bs.live {
			continue
		}
		bs.live = false
		s.out = append(s.out, feed.Event{Kind: feed.KindGap, API: s.c.cfg.API, Conn: s.connNo, Pair: p, Time: s.lastRecv, Recv: s.lastRecv,
			Gap: &feed.Gap{Channel: "book", From: s.lastRecv, Reason: "disconnected: stale until the next snapshot"}})
	}
	if len(s.out) == 0 {
		return nil
	}
	err := s.q.push(ctx, s.out, s.c.cfg.OverflowWait) // the session's context is over; Run's is not
	s.out = s.out[:0]
	return err
}
