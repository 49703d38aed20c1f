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

var errWatchdog = errors.New("kraken: no frame within the watchdog interval")

// clientState is what the client keeps across connections: the normaliser, which holds the
// connection rules (trade ids, books, status) and sees every connection's frames in order.
type clientState struct {
	cfg   *ClientConfig
	norm  *Normalizer
	stats NormalizerStats // the normaliser's counters last copied to the client's
}

func newClientState(cfg *ClientConfig) *clientState {
	nc := cfg.NormalizerConfig()
	nc.Log = cfg.Logger
	return &clientState{cfg: cfg, norm: NewNormalizer(nc)}
}

// session is one connection's reading side; its writer runs on its own goroutine.
type session struct {
	c          *Client
	st         *clientState
	connNo     uint32
	writes     chan<- []byte
	q          *eventQueue
	subscribed bool // a subscription succeeded: the watchdog is armed, the session healthy
	reqID      int64
	out        []feed.Event
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
	// The session's methods take sctx as an argument (contexts are passed, not kept).
	s := &session{c: c, st: st, connNo: connNo, writes: writes, q: q}
	// The books this connection verified turn stale when it ends; the normaliser reports
	// that with the next connection's first frame, as a replay of the frames does.
	defer func() {
		cancel()
		wg.Wait()
	}()
	if err := s.subscribeAll(sctx); err != nil {
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
		if err := s.frame(sctx, frame, time.Now()); err != nil {
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

// send queues a request for the writer, or fails when ctx (the session's) ends.
func (s *session) send(ctx context.Context, r Request) error {
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
	case <-ctx.Done():
		return ctx.Err()
	}
}

// subscribeAll sends one subscribe per channel with every pair. (The normaliser resets the
// books, which wait for their new snapshots, at the connection's first frame.)
func (s *session) subscribeAll(ctx context.Context) error {
	cfg := s.c.cfg
	for _, ch := range cfg.Channels {
		r := Request{Method: "subscribe", Channel: ch, Pairs: cfg.Pairs, Snapshot: true}
		switch ch {
		case "book":
			r.Depth = cfg.Depth
		case "ohlc":
			r.Interval = cfg.Interval
		case "instrument":
			r.Pairs = nil
		}
		if err := s.send(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// frame handles one received frame: the normaliser makes its events, which go to the tap or
// the queue; what it signals (a subscription acknowledged, a book to resubscribe, a hang-up)
// is acted on here.
func (s *session) frame(ctx context.Context, raw []byte, now time.Time) error {
	c := s.c
	c.ctr.frames.Add(1)
	// Nanoseconds in UTC without a monotonic reading, as a recording keeps them: a replay's
	// events are then equal to the live ones to the bit.
	recv := time.Unix(0, now.UnixNano()).UTC()
	if c.cfg.OnFrame != nil {
		c.cfg.OnFrame(recv, c.cfg.API, s.connNo, raw)
	}
	n := s.st.norm
	f := Frame{Recv: recv, API: c.cfg.API, Conn: s.connNo, Raw: raw}
	if c.cfg.Tap != nil {
		evs := n.Frame(f, nil)
		s.syncStats()
		c.ctr.events.Add(uint64(len(evs)))
		c.cfg.Tap(f, evs, n)
	} else {
		s.out = n.Frame(f, s.out[:0])
		s.syncStats()
		if len(s.out) > 0 {
			err := s.q.push(ctx, s.out, c.cfg.OverflowWait)
			clear(s.out)
			if err != nil {
				return err
			}
		}
	}
	if n.Subscribed() {
		s.subscribed = true
	}
	if err := n.Hangup(); err != nil {
		return err
	}
	for _, p := range n.Resubscribe() {
		if err := s.resubscribe(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// syncStats copies the normaliser's counters that changed into the client's.
func (s *session) syncStats() {
	st := s.st.norm.Stats()
	st.Frames, st.Events = 0, 0 // the client counts those itself
	if st == s.st.stats {
		return
	}
	s.st.stats = st
	r := &s.c.ctr
	r.malformed.Store(st.Malformed)
	r.rejected.Store(st.Rejected)
	r.tradeGaps.Store(st.TradeGaps)
	r.missing.Store(st.MissingTrades)
	r.duplicates.Store(st.Duplicates)
	r.mismatches.Store(st.ChecksumMismatches)
	r.resubscribes.Store(st.Resubscribes)
	r.staleDropped.Store(st.StaleDropped)
}

// resubscribe asks for a fresh snapshot of a pair's book after a checksum mismatch.
func (s *session) resubscribe(ctx context.Context, p feed.Pair) error {
	cfg := s.c.cfg
	pairs := []feed.Pair{p}
	if err := s.send(ctx, Request{Method: "unsubscribe", Channel: "book", Pairs: pairs, Depth: cfg.Depth}); err != nil {
		return err
	}
	return s.send(ctx, Request{Method: "subscribe", Channel: "book", Pairs: pairs, Depth: cfg.Depth, Snapshot: true})
}
