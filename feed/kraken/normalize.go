package kraken

import (
	"bytes"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// pingReqBase starts the request ids of the client's own pings, whose pongs are not delivered.
const pingReqBase = 1_000_000_000

// proxyRestart is the non-JSON frame Kraken's Cloudflare proxy sends before it drops sockets.
var proxyRestart = []byte("CloudFlare WebSocket proxy restarting")

var (
	errProxyRestart  = errors.New("kraken: the proxy is restarting")
	errChecksumAgain = errors.New("kraken: book checksum mismatch again soon after a resubscribe")
)

// NormalizerVersion changes whenever the connection rules change what events the same frames
// give: results stored from a replay (a sweep's trials) are keyed by it.
//
// 2: one normaliser for the client and every replay; the whole first trade snapshot is
// history.
const NormalizerVersion = 2

// Frame is one WebSocket message as received: the unit a Normalizer reads and a recording
// (feed/tape) stores.
type Frame struct {
	Recv time.Time // local receive time, nanosecond precision; read back in UTC
	API  feed.API  // APIV1 or APIV2 for frames in that API's shape (received or synthesised); APINone for others
	Conn uint32    // connection number within the recording (reconnects increment it)
	Raw  []byte    // the frame's bytes; never retained by the Normalizer or tape.Writer.Write
}

// NormalizerConfig is the feed set-up a Normalizer reproduces: the ClientConfig fields that
// shape the events. The zero value is a replay of frames whose set-up is unknown: every
// pair's trades and books are followed as they appear.
type NormalizerConfig struct {
	// API is the connection's protocol; with APINone each frame is read by its shape.
	API feed.API
	// Pairs and Channels are the subscription; empty Channels count as "trade" for v1's
	// reconnect windows. With no Pairs, every pair's book is verified from its first
	// snapshot on (updates before it are dropped as stale), at the depth the frames say (a
	// v1 channel name, a subscription acknowledgement) or else the smallest depth Kraken
	// offers that holds the snapshot, and at the precision of an instrument message or
	// PairTable.
	Pairs    []feed.Pair
	Channels []string
	Depth    int // subscribed book depth (0: 10 with Pairs, else from the frames as above)
	// PairTable gives each pair's precision for v2 book checksums (default DefaultPairs).
	PairTable *Pairs
	// DeliverFirstTradeSnapshot and ResubscribeCooldown as in ClientConfig.
	DeliverFirstTradeSnapshot bool
	ResubscribeCooldown       time.Duration
	// Captured says the frames were read by another client (a capture, not a recording of
	// kraken.Client), which did not hang up where this one would: a second mismatch or the
	// proxy's notice then does not end the connection.
	Captured bool
	Log      *zap.Logger
}

// NormalizerConfig returns the Normalizer configuration that reproduces the client's
// events.
func (c ClientConfig) NormalizerConfig() NormalizerConfig {
	api := c.API
	if api == feed.APINone {
		api = feed.APIV2
	}
	return NormalizerConfig{API: api, Pairs: c.Pairs, Channels: c.Channels, Depth: c.Depth, PairTable: c.PairTable,
		DeliverFirstTradeSnapshot: c.DeliverFirstTradeSnapshot, ResubscribeCooldown: c.ResubscribeCooldown, Log: c.Logger}
}

// NormalizerStats count what a Normalizer did: the feed's health as its consumer saw it.
type NormalizerStats struct {
	Frames, Events, Connections                     uint64
	Malformed, TradeGaps, MissingTrades, Duplicates uint64
	ChecksumMismatches, Resubscribes, StaleBooks    uint64
	StaleDropped, Rejected                          uint64
}

// Normalizer turns raw Kraken frames, in the order and with the connection numbers they were
// received on, into the events a consumer trades on. It is the one place the connection
// rules live (DESIGN rule 7), as a pure function of the frames:
//
//   - heartbeats and the pongs of the client's own pings are dropped;
//   - v2 trades are deduplicated by id (the snapshot Kraken re-sends after a reconnect) and
//     skipped ids are reported as a KindGap with their count; the first trade snapshot is
//     history from before the start and only sets the baseline, unless
//     DeliverFirstTradeSnapshot;
//   - v1, which has no trade ids, reports each pair's reconnect window as a KindGap;
//   - books are kept and their checksums verified; a mismatch reports the book stale
//     (KindGap, channel "book") and withholds its updates until the next snapshot, and asks
//     for a resubscription (Resubscribe); a second mismatch within ResubscribeCooldown ends
//     the connection (Hangup), as does the proxy's restart notice;
//   - a connection ends when a frame comes from another one: its live books are then
//     reported stale until their next snapshot, and the frames left of a connection that
//     ended inside a frame are ignored.
//
// kraken.Client runs one over the frames it reads; every replay of a recording runs one
// over the recorded frames; so the same frames give the same events wherever they are read.
// Frame does not allocate per trade beyond the decoder's decimals.
//
// A Normalizer is not safe for concurrent use.
type Normalizer struct {
	cfg       NormalizerConfig
	dec       *Decoder
	trades    map[feed.Pair]*tradeState
	books     map[feed.Pair]*bookState
	bookOrder []feed.Pair // books in configuration, then first-seen, order: stale reports follow it
	v1Trade   bool        // the trade channel is (or may be) subscribed: v1 reconnect windows apply
	channels  bool        // the book channel is subscribed (StaleBooks reports)
	started   bool
	dead      bool // the connection ended inside a frame
	conn      uint32
	lastRecv  time.Time
	v1Gaps    map[feed.Pair]time.Time
	scratch   []feed.Event // unread events moved aside (emit)
	out       []feed.Event // the events kept so far, over the frame's decoded events
	src       []feed.Event // where the frame's events are read from: dst, or scratch
	srcEnd    int
	cur       int  // the event being handled, in src
	spilled   bool // src is scratch
	// forceSpill (tests) moves every frame's events aside first: the general path that the
	// in-place one must agree with.
	forceSpill bool
	stats      NormalizerStats
	booksVer   uint64
	system     feed.SystemState
	resub      []feed.Pair
	hangup     error
	subAck     bool
	ackDepth   map[feed.Pair]int      // book depths acknowledged (unconfigured books)
	precision  map[feed.Pair][2]int32 // from instrument messages (unconfigured books)
}

type tradeState struct {
	lastID   uint64
	lastTime time.Time
	v1       bool   // seen on v1 (no ids): reconnect windows are reported
	dups     uint64 // trades dropped as already delivered
	history  uint64 // the frame (Stats().Frames) that was the pair's first snapshot: history
}

type bookState struct {
	book      *feed.Book
	live      bool // verified since the last snapshot: updates are delivered
	lastResub time.Time
	pd, qd    int32 // checksum precision (-1: the wire's)
	api       feed.API
	lazy      bool // not configured: depth and precision come from the frames
}

// NewNormalizer returns a Normalizer for cfg.
func NewNormalizer(cfg NormalizerConfig) *Normalizer {
	if cfg.PairTable == nil {
		cfg.PairTable = DefaultPairs()
	}
	if cfg.ResubscribeCooldown == 0 {
		cfg.ResubscribeCooldown = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Depth == 0 && len(cfg.Pairs) > 0 {
		cfg.Depth = 10 // the client's default
	}
	cfg.Pairs = slices.Clone(cfg.Pairs)
	cfg.Channels = slices.Clone(cfg.Channels)
	n := &Normalizer{cfg: cfg, dec: NewDecoder(WithLogger(cfg.Log.Named("kraken"))),
		trades: map[feed.Pair]*tradeState{}, books: map[feed.Pair]*bookState{}, v1Gaps: map[feed.Pair]time.Time{},
		ackDepth: map[feed.Pair]int{}, precision: map[feed.Pair][2]int32{},
		v1Trade:  len(cfg.Channels) == 0 || slices.Contains(cfg.Channels, "trade"),
		channels: slices.Contains(cfg.Channels, "book")}
	for _, p := range cfg.Pairs {
		n.trades[p] = &tradeState{}
		n.addBook(p, cfg.API, cfg.Depth)
	}
	return n
}

func (n *Normalizer) addBook(p feed.Pair, api feed.API, depth int) *bookState {
	bs := &bookState{book: feed.NewBook(p, depth), pd: -1, qd: -1, api: api}
	n.setPrecision(bs)
	n.books[p] = bs
	n.bookOrder = append(n.bookOrder, p)
	return bs
}

// setPrecision sets the checksum precision of a book: v2 numbers may be re-serialised
// without trailing zeros, and the pair's precision reproduces the checksum text; v1 strings
// are already fixed-precision.
func (n *Normalizer) setPrecision(bs *bookState) {
	bs.pd, bs.qd = -1, -1
	if bs.api == feed.APIV1 {
		return
	}
	if v, ok := n.precision[bs.book.Pair]; ok {
		bs.pd, bs.qd = v[0], v[1]
	} else if info, ok := n.cfg.PairTable.Lookup(bs.book.Pair); ok {
		bs.pd, bs.qd = info.PriceDecimals, info.LotDecimals
	}
}

// Stats returns the counters.
func (n *Normalizer) Stats() NormalizerStats { return n.stats }

// System is the last system status seen ("" before any).
func (n *Normalizer) System() feed.SystemState { return n.system }

// BooksVersion changes whenever a book turns live or stale: callers re-read StaleBooks then.
func (n *Normalizer) BooksVersion() uint64 { return n.booksVer }

// StaleBooks returns, in configuration order, the configured pairs whose book is not
// verified now (waiting for a snapshot after a connection, a resubscription or a checksum
// mismatch). It is empty when the book channel is not subscribed.
func (n *Normalizer) StaleBooks() []feed.Pair {
	if !n.channels {
		return nil
	}
	var out []feed.Pair
	for _, p := range n.cfg.Pairs {
		if !n.books[p].live {
			out = append(out, p)
		}
	}
	return out
}

// Book returns a pair's book while it is verified (after its snapshot, with no mismatch
// since), else nil. It is read-only and valid until the next Frame.
func (n *Normalizer) Book(p feed.Pair) *feed.Book {
	if bs := n.books[p]; bs != nil && bs.live {
		return bs.book
	}
	return nil
}

// Duplicates returns how many of a pair's trades were dropped as already delivered.
func (n *Normalizer) Duplicates(p feed.Pair) uint64 {
	if ts := n.trades[p]; ts != nil {
		return ts.dups
	}
	return 0
}

// Resubscribe returns the pairs whose book the last Frame asked to resubscribe after a
// checksum mismatch (valid until the next Frame). A replay has nothing to ask and ignores it.
func (n *Normalizer) Resubscribe() []feed.Pair { return n.resub }

// Hangup returns why the last Frame ended its connection, or nil: the client then drops the
// connection; a replay ignores the rest of that connection's frames, as the client never read
// them.
func (n *Normalizer) Hangup() error { return n.hangup }

// Subscribed reports whether the last Frame acknowledged a subscription (the client's
// watchdog is armed from then on).
func (n *Normalizer) Subscribed() bool { return n.subAck }

// DecodeFrame is Frame for feed/tape's replays: it also returns the decoder's error for a
// frame that was skipped as malformed (counted in Stats().Malformed, the proxy's restart
// notice included), which is not fatal.
func (n *Normalizer) DecodeFrame(f Frame, dst []feed.Event) ([]feed.Event, error) {
	return n.frame(f, dst)
}

// Frame processes one frame and appends the events it yields to dst.
func (n *Normalizer) Frame(f Frame, dst []feed.Event) []feed.Event {
	dst, _ = n.frame(f, dst)
	return dst
}

func (n *Normalizer) frame(f Frame, dst []feed.Event) ([]feed.Event, error) {
	n.stats.Frames++
	n.resub, n.hangup, n.subAck = n.resub[:0], nil, false
	if !n.started || f.Conn != n.conn {
		if n.started && !n.dead {
			dst = n.reportStale(dst)
		}
		n.started, n.dead, n.conn = true, false, f.Conn
		n.stats.Connections++
		n.connected()
	}
	if n.dead {
		return dst, nil
	}
	n.lastRecv = f.Recv
	if bytes.Equal(f.Raw, proxyRestart) {
		n.stats.Malformed++
		if n.cfg.Captured {
			return dst, errProxyRestart
		}
		n.end(errProxyRestart)
		return n.reportStale(dst), errProxyRestart
	}
	// The frame is decoded straight into dst and its events are kept, dropped or preceded
	// by a gap in place: the common frame (every event kept) is never copied. An event is
	// read into a local before it is handled, so a gap may take its slot; only when more
	// events go out than came in so far are the unread ones moved aside (emit).
	start := len(dst)
	var err error
	switch n.cfg.API { // unknown set-up: each frame by its shape, as RawDecoder does
	case feed.APIV1:
		dst, err = n.dec.DecodeV1(f.Raw, f.Recv, dst)
	case feed.APIV2:
		dst, err = n.dec.DecodeV2(f.Raw, f.Recv, dst)
	default:
		dst, err = n.dec.Decode(f.Raw, f.Recv, dst)
	}
	if err != nil {
		n.stats.Malformed++
		if ce := n.cfg.Log.Check(zap.DebugLevel, "malformed frame skipped"); ce != nil {
			ce.Write(zap.Uint32("conn", f.Conn), zap.Error(err))
		}
		return dst, err
	}
	snapshot := bytes.Contains(f.Raw[:min(len(f.Raw), 48)], []byte(`"type":"snapshot"`))
	end := len(dst)
	n.out, n.src, n.srcEnd, n.spilled, n.cur = dst[:start], dst, end, false, start
	if n.forceSpill {
		n.scratch = append(n.scratch[:0], dst[start:end]...)
		n.src, n.srcEnd, n.spilled, n.cur = n.scratch, len(n.scratch), true, 0
	}
	for ; n.cur < n.srcEnd; n.cur++ {
		n.src[n.cur].Conn = n.conn
		ev := n.src[n.cur]
		if !n.event(&ev, snapshot) {
			n.out = n.reportStale(n.out)
			break
		}
	}
	dst = n.out
	if len(dst) < end {
		clear(dst[len(dst):end]) // copies left behind: the batch must not keep them alive
	}
	if n.spilled {
		clear(n.scratch)
		n.scratch = n.scratch[:0]
	}
	n.out, n.src = nil, nil
	return dst, nil
}

// end ends the connection inside the current frame.
func (n *Normalizer) end(why error) {
	n.dead = true
	n.hangup = why
}

// connected is what a new connection starts with: books reset until their snapshots, and on
// v1 the reconnect window of each pair's trades.
func (n *Normalizer) connected() {
	for _, p := range n.bookOrder {
		bs := n.books[p]
		bs.book.Reset()
		bs.live = false
	}
	n.booksVer++
	clear(n.v1Gaps)
	if n.v1Trade && !n.lastRecv.IsZero() && n.cfg.API != feed.APIV2 {
		for p, ts := range n.trades {
			// The map's order does not reach the output: each window is emitted just
			// before that pair's next trade.
			if n.cfg.API == feed.APIV1 || ts.v1 {
				n.v1Gaps[p] = n.lastRecv
			}
		}
	}
}

// keep emits the event being handled (ev is its local copy): where it already is when
// nothing before it was dropped or added, which is the common case.
func (n *Normalizer) keep(ev *feed.Event) {
	if !n.spilled && len(n.out) == n.cur {
		n.stats.Events++
		n.out = n.out[:n.cur+1] // the slot holds the same event (Conn was set in it)
		return
	}
	n.emit(ev)
}

// emit appends an event. Writing past the slot being handled would overwrite events not read
// yet, so those are moved aside first.
func (n *Normalizer) emit(ev *feed.Event) {
	if !n.spilled && len(n.out) > n.cur && n.cur+1 < n.srcEnd {
		n.scratch = append(n.scratch[:0], n.src[n.cur+1:n.srcEnd]...)
		n.src, n.srcEnd, n.cur, n.spilled = n.scratch, len(n.scratch), -1, true
	}
	n.stats.Events++
	n.out = append(n.out, *ev)
}

// event handles one decoded event; false means the connection ends here.
func (n *Normalizer) event(ev *feed.Event, snapshot bool) bool {
	ev.Conn = n.conn
	switch ev.Kind {
	case feed.KindHeartbeat:
		return true
	case feed.KindPong:
		if ev.Ack != nil && ev.Ack.HasReqID && ev.Ack.ReqID >= pingReqBase {
			return true
		}
	case feed.KindStatus:
		if ev.Status != nil {
			n.system = ev.Status.System
		}
	case feed.KindInstrument:
		if ev.Instrument != nil && len(n.cfg.Pairs) == 0 {
			for _, p := range ev.Instrument.Pairs {
				n.precision[p.Pair] = [2]int32{p.PriceDecimals, p.LotDecimals}
			}
		}
	case feed.KindAck, feed.KindError:
		n.ack(ev)
	case feed.KindTrade:
		n.trade(ev, snapshot)
		return true
	case feed.KindBook:
		return n.book(ev)
	}
	n.keep(ev)
	return true
}

func (n *Normalizer) ack(ev *feed.Event) {
	a := ev.Ack
	if a == nil {
		return
	}
	if !a.Success {
		n.stats.Rejected++
		n.cfg.Log.Warn("request rejected", zap.String("method", a.Method), zap.String("channel", a.Channel),
			zap.String("pair", string(a.Pair)), zap.Int64("req_id", a.ReqID), zap.String("error", a.Error))
		return
	}
	if a.Method == "subscribe" {
		n.subAck = true
		if a.Channel == "book" && a.Depth > 0 && a.Pair != "" && len(n.cfg.Pairs) == 0 {
			n.ackDepth[a.Pair] = a.Depth
		}
	}
}

// trade deduplicates v2 trades by id, reports id gaps, and reports v1's reconnect windows.
func (n *Normalizer) trade(ev *feed.Event, snapshot bool) {
	p := ev.Trade.Pair
	if p == "" {
		p = ev.Pair
	}
	ts := n.trades[p]
	if ts == nil {
		ts = &tradeState{}
		n.trades[p] = ts
	}
	if ev.API == feed.APIV1 {
		ts.v1 = true
	}
	if len(n.v1Gaps) > 0 { // only after a v1 reconnect: no map lookup per trade otherwise
		if from, ok := n.v1Gaps[p]; ok {
			delete(n.v1Gaps, p)
			n.gap(ev, feed.Gap{Channel: "trade", From: from, To: ev.Recv, Reason: "reconnected: v1 has no trade ids, trades in this window may be missing"})
		}
	}
	if id := ev.Trade.ID; id != 0 {
		switch {
		case ts.lastID != 0 && id <= ts.lastID:
			n.stats.Duplicates++
			ts.dups++
			return
		case snapshot && !n.cfg.DeliverFirstTradeSnapshot && (ts.lastID == 0 || ts.history == n.stats.Frames):
			// History from before the start, the whole first snapshot: a baseline only.
			ts.history = n.stats.Frames
			ts.lastID, ts.lastTime = max(ts.lastID, id), ev.Time
			return
		case ts.lastID != 0 && id > ts.lastID+1:
			missing := id - ts.lastID - 1
			n.stats.MissingTrades += missing
			n.gap(ev, feed.Gap{Channel: "trade", FromID: ts.lastID + 1, ToID: id - 1, Missing: missing,
				From: ts.lastTime, To: ev.Time, Reason: "trade ids skipped"})
		}
		ts.lastID = id
	}
	ts.lastTime = ev.Time
	n.keep(ev)
}

// gap emits a KindGap event for the pair of ev, just before it.
func (n *Normalizer) gap(ev *feed.Event, g feed.Gap) {
	if g.Channel == "trade" {
		n.stats.TradeGaps++
	}
	p := ev.Pair
	if p == "" {
		p = ev.Trade.Pair
	}
	n.emit(&feed.Event{Kind: feed.KindGap, API: ev.API, Conn: n.conn, Pair: p, Time: ev.Time, Recv: ev.Recv, Gap: &g})
}

// krakenDepths are the book depths Kraken offers.
var krakenDepths = [...]int{10, 25, 100, 500, 1000}

// snapshotDepth is the subscribed depth a book's first snapshot implies when the
// configuration does not say: the smallest depth Kraken offers that holds it (a thin book
// sends fewer levels than subscribed; the checksum covers only the top 10 either way).
func snapshotDepth(u *feed.BookUpdate) int {
	levels := max(len(u.Bids), len(u.Asks))
	for _, d := range krakenDepths {
		if levels <= d {
			return d
		}
	}
	return 0 // deeper than Kraken offers: keep every level
}

// book maintains a pair's book, verifies its checksum and withholds the updates of a stale
// book until its next snapshot. false means the connection ends here.
func (n *Normalizer) book(ev *feed.Event) bool {
	u := ev.Book
	if u == nil {
		return true
	}
	bs := n.books[u.Pair]
	if bs == nil {
		if len(n.cfg.Pairs) > 0 {
			n.keep(ev) // a book the client did not ask for: passed through unverified
			return true
		}
		bs = n.addBook(u.Pair, ev.API, n.cfg.Depth)
		bs.lazy = true
	}
	if u.Snapshot && bs.lazy {
		// The depth and precision the frames say now (a resubscription may change them).
		depth := n.cfg.Depth
		switch {
		case depth > 0:
		case u.Depth > 0:
			depth = u.Depth
		case n.ackDepth[u.Pair] > 0:
			depth = n.ackDepth[u.Pair]
		default:
			depth = snapshotDepth(u)
		}
		if depth != bs.book.Depth || bs.api != ev.API {
			bs.book, bs.api = feed.NewBook(u.Pair, depth), ev.API
		}
		n.setPrecision(bs)
	}
	if !u.Snapshot && !bs.live {
		n.stats.StaleDropped++
		return true
	}
	if err := bs.book.Apply(u); err != nil {
		n.cfg.Log.Warn("book update does not apply", zap.String("pair", string(u.Pair)), zap.Error(err))
		return n.mismatch(ev, bs)
	}
	if u.HasChecksum {
		// At the pair's precision first; the wire's own text second, which is right when a
		// pair table is out of date (a mismatch is rare, so the second try costs nothing).
		if got := Checksum(bs.book, bs.pd, bs.qd); got != u.Checksum && (bs.pd < 0 || Checksum(bs.book, -1, -1) != u.Checksum) {
			n.cfg.Log.Warn("book checksum mismatch", zap.String("pair", string(u.Pair)), zap.Uint32("got", got), zap.Uint32("want", u.Checksum))
			return n.mismatch(ev, bs)
		}
	}
	if u.Snapshot && !bs.live {
		bs.live = true
		n.booksVer++
	}
	n.keep(ev)
	return true
}

// mismatch marks a book stale, reports it and asks for one resubscription; a second mismatch
// within the cooldown ends the connection instead (a resubscribe loop would hit Kraken's
// rate limit).
func (n *Normalizer) mismatch(ev *feed.Event, bs *bookState) bool {
	n.stats.ChecksumMismatches++
	bs.live = false
	n.booksVer++
	n.emit(&feed.Event{Kind: feed.KindGap, API: ev.API, Conn: n.conn, Pair: ev.Book.Pair, Time: ev.Time, Recv: ev.Recv,
		Gap: &feed.Gap{Channel: "book", From: ev.Recv, To: ev.Recv, Reason: "book checksum mismatch: stale until the next snapshot"}})
	if !n.cfg.Captured && !bs.lastResub.IsZero() && ev.Recv.Sub(bs.lastResub) < n.cfg.ResubscribeCooldown {
		n.end(errChecksumAgain)
		return false
	}
	bs.lastResub = ev.Recv
	n.stats.Resubscribes++
	n.resub = append(n.resub, ev.Book.Pair)
	return true
}

// reportStale reports every live book stale: its connection ended.
func (n *Normalizer) reportStale(dst []feed.Event) []feed.Event {
	for _, p := range n.bookOrder {
		bs := n.books[p]
		if !bs.live {
			continue
		}
		bs.live = false
		n.booksVer++
		n.stats.StaleBooks++
		n.stats.Events++
		api := n.cfg.API
		if api == feed.APINone {
			api = bs.api
		}
		dst = append(dst, feed.Event{Kind: feed.KindGap, API: api, Conn: n.conn, Pair: p, Time: n.lastRecv, Recv: n.lastRecv,
			Gap: &feed.Gap{Channel: "book", From: n.lastRecv, Reason: "disconnected: stale until the next snapshot"}})
	}
	return dst
}

// RawDecoder decodes frames one by one with d, without the connection rules: every trade
// of a re-sent snapshot, every book update, heartbeats and pongs, as they are on the wire.
// It is for looking at frames (decode --raw) and for testing the decoder; replays use a
// Normalizer. It implements feed/tape's Decoder.
type RawDecoder struct{ D *Decoder }

// DecodeFrame decodes f.Raw by its shape and stamps each event with the frame's connection.
func (r RawDecoder) DecodeFrame(f Frame, dst []feed.Event) ([]feed.Event, error) {
	n := len(dst)
	dst, err := r.D.Decode(f.Raw, f.Recv, dst)
	for i := n; i < len(dst); i++ {
		dst[i].Conn = f.Conn
	}
	return dst, err
}
