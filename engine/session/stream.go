package session

import (
	"bytes"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// DefaultResubscribeCooldown is kraken.ClientConfig's default: a second book checksum mismatch
// within it ends the connection.
const DefaultResubscribeCooldown = time.Minute

// ownPingBase starts the request ids of kraken.Client's own pings, whose pongs it does not
// deliver (kraken's pingReqBase).
const ownPingBase = 1_000_000_000

// proxyRestart is the text Kraken's Cloudflare proxy sends before it drops sockets.
var proxyRestart = []byte("CloudFlare WebSocket proxy restarting")

// StreamConfig is the feed set-up a Stream reproduces: the kraken.ClientConfig fields that
// shape the events.
type StreamConfig struct {
	API       feed.API // APIV1 or APIV2 (default)
	Pairs     []feed.Pair
	Channels  []string // default trade
	Depth     int      // book depth (default 10)
	PairTable *kraken.Pairs
	// DeliverFirstTradeSnapshot and ResubscribeCooldown as in kraken.ClientConfig.
	DeliverFirstTradeSnapshot bool
	ResubscribeCooldown       time.Duration
	Log                       *zap.Logger
}

// StreamStats counts what a Stream did; they are the feed's health as the engine saw it.
type StreamStats struct {
	Frames, Events, Connections                     uint64
	Malformed, TradeGaps, MissingTrades, Duplicates uint64
	ChecksumMismatches, StaleBooks, StaleDropped    uint64
}

// Stream turns raw Kraken frames, in the order and with the connection numbers they were
// received on, into the events the engine consumes. It applies the rules of kraken.Client's
// connection handling — heartbeats and the client's own pongs dropped, v2 trades deduplicated
// by id after a reconnect and id gaps reported, v1 reconnect windows reported, books kept and
// their checksums verified, a book's updates withheld from a mismatch until its next snapshot,
// every live book reported stale when a connection ends — as a pure function of the frames:
// a connection ends when the next frame comes from another one.
//
// The live session and its replay both run a Stream over the same frames, so they see the
// same events: same order, same times, same sequence numbers.
//
// A Stream is not safe for concurrent use.
type Stream struct {
	cfg      StreamConfig
	dec      *kraken.Decoder
	trades   map[feed.Pair]*tradeState
	books    map[feed.Pair]*bookState
	trade    bool // the trade channel is subscribed
	started  bool
	dead     bool // the connection ended inside a frame (the client hung up)
	conn     uint32
	lastRecv time.Time
	v1Gaps   map[feed.Pair]time.Time
	scratch  []feed.Event
	out      []feed.Event
	stats    StreamStats
	booksVer uint64 // bumped whenever a book turns live or stale
}

type tradeState struct {
	lastID   uint64
	lastTime time.Time
}

type bookState struct {
	book      *feed.Book
	live      bool
	lastResub time.Time
	pd, qd    int32
}

// NewStream returns a Stream for cfg.
func NewStream(cfg StreamConfig) *Stream {
	if cfg.API == feed.APINone {
		cfg.API = feed.APIV2
	}
	if len(cfg.Channels) == 0 {
		cfg.Channels = []string{"trade"}
	}
	if cfg.Depth == 0 {
		cfg.Depth = 10
	}
	if cfg.PairTable == nil {
		cfg.PairTable = kraken.DefaultPairs()
	}
	if cfg.ResubscribeCooldown == 0 {
		cfg.ResubscribeCooldown = DefaultResubscribeCooldown
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	cfg.Pairs = slices.Clone(cfg.Pairs)
	s := &Stream{cfg: cfg, dec: kraken.NewDecoder(kraken.WithLogger(cfg.Log.Named("kraken"))),
		trades: map[feed.Pair]*tradeState{}, books: map[feed.Pair]*bookState{}, v1Gaps: map[feed.Pair]time.Time{},
		trade: slices.Contains(cfg.Channels, "trade")}
	for _, p := range cfg.Pairs {
		s.trades[p] = &tradeState{}
		bs := &bookState{book: feed.NewBook(p, cfg.Depth), pd: -1, qd: -1}
		if info, ok := cfg.PairTable.Lookup(p); ok && cfg.API == feed.APIV2 {
			bs.pd, bs.qd = info.PriceDecimals, info.LotDecimals
		}
		s.books[p] = bs
	}
	return s
}

// Stats returns the stream's counters.
func (s *Stream) Stats() StreamStats { return s.stats }

// BooksVersion changes whenever a book turns live or stale: callers re-read StaleBooks then.
func (s *Stream) BooksVersion() uint64 { return s.booksVer }

// StaleBooks returns, in configuration order, the pairs whose book is not verified now
// (waiting for a snapshot after a connection, a resubscription or a checksum mismatch). It is
// empty when the book channel is not subscribed.
func (s *Stream) StaleBooks() []feed.Pair {
	if !slices.Contains(s.cfg.Channels, "book") {
		return nil
	}
	var out []feed.Pair
	for _, p := range s.cfg.Pairs {
		if !s.books[p].live {
			out = append(out, p)
		}
	}
	return out
}

// Frame processes one frame and appends the events it yields to dst.
func (s *Stream) Frame(f tape.Frame, dst []feed.Event) []feed.Event {
	s.stats.Frames++
	if !s.started || f.Conn != s.conn {
		if s.started && !s.dead {
			dst = s.reportStale(dst)
		}
		s.started, s.dead, s.conn = true, false, f.Conn
		s.stats.Connections++
		s.subscribed()
	}
	if s.dead {
		return dst
	}
	s.lastRecv = f.Recv
	if bytes.Equal(f.Raw, proxyRestart) {
		s.stats.Malformed++
		s.dead = true
		return s.reportStale(dst)
	}
	var err error
	if s.cfg.API == feed.APIV1 {
		s.scratch, err = s.dec.DecodeV1(f.Raw, f.Recv, s.scratch[:0])
	} else {
		s.scratch, err = s.dec.DecodeV2(f.Raw, f.Recv, s.scratch[:0])
	}
	if err != nil {
		s.stats.Malformed++
		if ce := s.cfg.Log.Check(zap.DebugLevel, "malformed frame skipped"); ce != nil {
			ce.Write(zap.Uint32("conn", f.Conn), zap.Error(err))
		}
		clear(s.scratch)
		return dst
	}
	snapshot := s.cfg.API == feed.APIV2 && bytes.Contains(f.Raw[:min(len(f.Raw), 48)], []byte(`"type":"snapshot"`))
	s.out = dst
	for i := range s.scratch {
		if !s.event(&s.scratch[i], snapshot) {
			s.dead = true
			s.out = s.reportStale(s.out)
			break
		}
	}
	clear(s.scratch)
	dst, s.out = s.out, nil
	return dst
}

// subscribed is what a new connection starts with: books reset until their snapshots, and on
// v1 the reconnect window of each pair's trades.
func (s *Stream) subscribed() {
	for _, p := range s.cfg.Pairs {
		bs := s.books[p]
		bs.book.Reset()
		bs.live = false
	}
	s.booksVer++
	clear(s.v1Gaps)
	if s.cfg.API == feed.APIV1 && s.trade && !s.lastRecv.IsZero() {
		for _, p := range s.cfg.Pairs {
			s.v1Gaps[p] = s.lastRecv
		}
	}
}

func (s *Stream) emit(ev feed.Event) {
	s.stats.Events++
	s.out = append(s.out, ev)
}

// event handles one decoded event; false means the connection ends here.
func (s *Stream) event(ev *feed.Event, snapshot bool) bool {
	ev.Conn = s.conn
	switch ev.Kind {
	case feed.KindHeartbeat:
		return true
	case feed.KindPong:
		if ev.Ack != nil && ev.Ack.HasReqID && ev.Ack.ReqID >= ownPingBase {
			return true
		}
	case feed.KindTrade:
		s.onTrade(ev, snapshot)
		return true
	case feed.KindBook:
		return s.onBook(ev)
	}
	s.emit(*ev)
	return true
}

func (s *Stream) onTrade(ev *feed.Event, snapshot bool) {
	p := ev.Trade.Pair
	if p == "" {
		p = ev.Pair
	}
	ts := s.trades[p]
	if ts == nil {
		ts = &tradeState{}
		s.trades[p] = ts
	}
	if from, ok := s.v1Gaps[p]; ok {
		delete(s.v1Gaps, p)
		s.gap(ev, feed.Gap{Channel: "trade", From: from, To: ev.Recv, Reason: "reconnected: v1 has no trade ids, trades in this window may be missing"})
	}
	if id := ev.Trade.ID; id != 0 {
		switch {
		case ts.lastID != 0 && id <= ts.lastID:
			s.stats.Duplicates++
			return
		case ts.lastID == 0 && snapshot && !s.cfg.DeliverFirstTradeSnapshot:
			ts.lastID, ts.lastTime = id, ev.Time
			return
		case ts.lastID != 0 && id > ts.lastID+1:
			missing := id - ts.lastID - 1
			s.stats.MissingTrades += missing
			s.gap(ev, feed.Gap{Channel: "trade", FromID: ts.lastID + 1, ToID: id - 1, Missing: missing,
				From: ts.lastTime, To: ev.Time, Reason: "trade ids skipped"})
		}
		ts.lastID = id
	}
	ts.lastTime = ev.Time
	s.emit(*ev)
}

func (s *Stream) gap(ev *feed.Event, g feed.Gap) {
	if g.Channel == "trade" {
		s.stats.TradeGaps++
	}
	p := ev.Pair
	if p == "" {
		p = ev.Trade.Pair
	}
	s.emit(feed.Event{Kind: feed.KindGap, API: ev.API, Conn: s.conn, Pair: p, Time: ev.Time, Recv: ev.Recv, Gap: &g})
}

func (s *Stream) onBook(ev *feed.Event) bool {
	u := ev.Book
	if u == nil {
		return true
	}
	bs := s.books[u.Pair]
	if bs == nil {
		s.emit(*ev)
		return true
	}
	if !u.Snapshot && !bs.live {
		s.stats.StaleDropped++
		return true
	}
	if err := bs.book.Apply(u); err != nil {
		return s.mismatch(ev, bs)
	}
	if u.HasChecksum {
		if got := kraken.Checksum(bs.book, bs.pd, bs.qd); got != u.Checksum {
			return s.mismatch(ev, bs)
		}
	}
	if u.Snapshot && !bs.live {
		bs.live = true
		s.booksVer++
	}
	s.emit(*ev)
	return true
}

// mismatch marks a book stale; a second mismatch within the cooldown ends the connection, as
// the client then hangs up.
func (s *Stream) mismatch(ev *feed.Event, bs *bookState) bool {
	s.stats.ChecksumMismatches++
	bs.live = false
	s.booksVer++
	s.emit(feed.Event{Kind: feed.KindGap, API: ev.API, Conn: s.conn, Pair: ev.Book.Pair, Time: ev.Time, Recv: ev.Recv,
		Gap: &feed.Gap{Channel: "book", From: ev.Recv, To: ev.Recv, Reason: "book checksum mismatch: stale until the next snapshot"}})
	if !bs.lastResub.IsZero() && ev.Recv.Sub(bs.lastResub) < s.cfg.ResubscribeCooldown {
		return false
	}
	bs.lastResub = ev.Recv
	return true
}

// reportStale reports every live book stale: its connection ended.
func (s *Stream) reportStale(dst []feed.Event) []feed.Event {
	for _, p := range s.cfg.Pairs {
		bs := s.books[p]
		if !bs.live {
			continue
		}
		bs.live = false
		s.booksVer++
		s.stats.StaleBooks++
		s.stats.Events++
		dst = append(dst, feed.Event{Kind: feed.KindGap, API: s.cfg.API, Conn: s.conn, Pair: p, Time: s.lastRecv, Recv: s.lastRecv,
			Gap: &feed.Gap{Channel: "book", From: s.lastRecv, Reason: "disconnected: stale until the next snapshot"}})
	}
	return dst
}
