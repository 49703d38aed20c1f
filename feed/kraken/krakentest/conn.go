package krakentest

import (
	"context"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/papertrade/papertrade/feed"
)

// writeWait bounds one frame write; a client that does not read for this long is dropped.
const writeWait = 10 * time.Second

type outFrame struct {
	b  []byte
	ch channel
}

// conn is one client connection: its reader runs on the HTTP handler goroutine, its writer on
// a goroutine the handler starts and waits for (gorilla's one-reader-one-writer rule).
type conn struct {
	s   *Server
	ws  *websocket.Conn
	api feed.API
	id  uint64

	subs  map[streamKey]*sub // guarded by s.mu
	nsubs atomic.Int32

	mu      sync.Mutex // guards q and stalled
	q       []outFrame
	stalled bool

	notify    chan struct{} // capacity 1: "the queue is not empty"
	done      chan struct{} // closed by close
	closeOnce sync.Once
}

// subKeys returns the connection's subscriptions in a fixed order. s.mu held.
func (c *conn) subKeys() []streamKey {
	ks := make([]streamKey, 0, len(c.subs))
	for k := range c.subs {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.pair != b.pair {
			return a.pair < b.pair
		}
		if a.ch != b.ch {
			return a.ch < b.ch
		}
		return a.param < b.param
	})
	return ks
}

// close ends the connection abruptly (no close frame): what a network drop looks like.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.ws.UnderlyingConn().Close()
	})
}

func (c *conn) closeGracefully(code int, text string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.close()
}

func (c *conn) setStalled(on bool) {
	c.mu.Lock()
	c.stalled = on
	c.mu.Unlock()
}

func (c *conn) isStalled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stalled
}

// readLoop handles requests until the connection fails or is closed.
func (c *conn) readLoop() {
	s := c.s
	c.ws.SetPingHandler(func(data string) error {
		if c.isStalled() {
			return nil
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if err == websocket.ErrCloseSent {
			return nil
		}
		return err
	})
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		tin := s.now()
		s.mu.Lock()
		if c.api == feed.APIV1 {
			s.handleV1(c, msg)
		} else {
			s.handleV2(c, msg, tin)
		}
		s.mu.Unlock()
	}
}

// writeLoop writes queued frames and heartbeats while subscribed. On v1 a heartbeat goes
// out every second whatever the traffic: a 2021 v1 recording of a busy book-1000 stream has 31 heartbeats in 30.5 s
// (cryptofeed KRAKEN.ws.50.0; TestHeartbeatCadence), although the docs say "when no other
// message was sent". The most recent capture wins.
func (c *conn) writeLoop(stallAfter time.Duration) error {
	hbEvery := c.s.cfg.heartbeat
	hb := time.NewTimer(hbEvery)
	defer hb.Stop()
	var stallC <-chan time.Time
	if stallAfter > 0 {
		st := time.NewTimer(stallAfter)
		defer st.Stop()
		stallC = st.C
	}
	heartbeat := v2Heartbeat
	if c.api == feed.APIV1 {
		heartbeat = v1Heartbeat
	}
	var batch []outFrame
	for {
		select {
		case <-c.done:
			return nil
		case <-stallC:
			c.setStalled(true)
			continue
		case <-hb.C:
			if c.nsubs.Load() > 0 && !c.isStalled() {
				if err := c.write(heartbeat, chHeartbeat); err != nil {
					return err
				}
			}
			hb.Reset(hbEvery)
			continue
		case <-c.notify:
		}
		c.mu.Lock()
		batch, c.q = c.q, batch[:0]
		stalled := c.stalled
		c.mu.Unlock()
		if stalled {
			c.s.stats.stalledFrames.Add(uint64(len(batch)))
		} else {
			for i := range batch {
				if err := c.write(batch[i].b, batch[i].ch); err != nil {
					return err
				}
			}
		}
		clear(batch)
		if !stalled && c.api == feed.APIV2 {
			// v2 keeps the documented rule (a heartbeat after an idle second): no v2
			// capture shows otherwise.
			hb.Reset(hbEvery)
		}
	}
}

func (c *conn) write(b []byte, ch channel) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	// Counted before the write: once WriteMessage has put the frame on the wire the client
	// may read it (and a test look at FramesSent) before WriteMessage returns. A frame whose
	// write fails is taken back out.
	c.s.stats.frames[ch].Add(1)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.s.stats.frames[ch].Add(^uint64(0))
		return err
	}
	return nil
}

// pipeHost is the host name in a pipe server's URLs.
const pipeHost = "krakentest.pipe"

// pipeListener is an in-memory net.Listener whose connections are net.Pipe pairs.
type pipeListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.ch <- server:
		return client, nil
	case <-l.done:
		server.Close()
		client.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: errRefused}
	case <-ctx.Done():
		server.Close()
		client.Close()
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return pipeHost }

type refusedError struct{}

func (refusedError) Error() string { return "connection refused" }

var errRefused = refusedError{}
