package krakentest

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/feed/kraken/internal/wire"
	"github.com/papertrade/papertrade/feed/kraken/internal/wsreq"
	"github.com/papertrade/papertrade/internal/pow10"
)

// Kraken's v1 error texts the server uses beyond the request parser's (PROTOCOL.md §2.1).
const (
	// errV1PairUnsupported is followed by the pair as sent: "Currency pair not supported LSK/XBT"
	// (a real v1 answer quoted in a public WebSocket client's source; see TestRealTexts).
	errV1PairUnsupported = "Currency pair not supported "
	errV1PairFormat      = "Currency pair not in ISO 4217-A3 format "
)

// v1Request is a parsed v1 subscribe/unsubscribe as the server uses it.
type v1Request struct {
	event    string
	reqID    json.RawMessage
	pairs    []string
	channel  channel
	depth    int
	interval int
	subRaw   json.RawMessage // the subscription object as sent, echoed on errors it cannot name
	chanID   int64           // deprecated unsubscribe by channelID
}

var v1Heartbeat = []byte(`{"event":"heartbeat"}`)

// handleV1 answers one v1 request. Called with s.mu held.
func (s *Server) handleV1(c *conn, msg []byte) {
	r, err := wsreq.Parse(feed.APIV1, msg)
	req := v1Request{event: r.Method, reqID: r.ReqID, pairs: r.Names, channel: channelNamed(r.Channel),
		depth: r.Depth, interval: r.Interval, subRaw: r.Subscription, chanID: r.ChannelID}
	var rerr *wsreq.Error
	switch {
	case errors.As(err, &rerr) && rerr.PerPair:
		// Kraken answers a faulty subscription once per pair it could read.
		if len(req.pairs) == 0 {
			s.sendCtl(c, v1Status(&req, nil, "", "error", rerr.Text))
		}
		for _, p := range req.pairs {
			s.sendCtl(c, v1Status(&req, nil, p, "error", rerr.Text))
		}
	case errors.As(err, &rerr):
		s.sendCtl(c, v1Error(rerr.Text, r.ReqID))
	case r.Method == "ping":
		s.sendCtl(c, v1Pong(r.ReqID))
	case r.ByChannelID:
		s.unsubscribeV1ByID(c, &req)
	case r.Method == "subscribe":
		s.subscribeV1(c, &req)
	default:
		s.unsubscribeV1(c, &req)
	}
}

// channelNamed returns the channel a request names; chNone for none.
func channelNamed(name string) channel {
	for i := chTrade; i <= chInstrument; i++ {
		if channelNames[i] == name {
			return i
		}
	}
	return chNone
}

func (req *v1Request) key(ps *pairState) streamKey {
	k := streamKey{api: feed.APIV1, ch: req.channel, pair: ps.info.Pair}
	switch req.channel {
	case chBook:
		k.param = req.depth
	case chOHLC:
		k.param = req.interval
	}
	return k
}

// v1ChannelName is the channelName of a v1 stream: book-<depth>, ohlc-<interval>, or the name.
func v1ChannelName(k streamKey) string {
	switch k.ch {
	case chBook:
		return "book-" + strconv.Itoa(k.param)
	case chOHLC:
		return "ohlc-" + strconv.Itoa(k.param)
	}
	return k.ch.String()
}

// v1PairCheck returns the pair state for a v1 name or Kraken's error text for it.
func (s *Server) v1PairCheck(name string) (*pairState, string) {
	i := strings.IndexByte(name, '/')
	if i <= 0 || i == len(name)-1 || strings.IndexByte(name[i+1:], '/') >= 0 {
		return nil, errV1PairFormat + name
	}
	ps := s.byV1[name]
	if ps == nil {
		return nil, errV1PairUnsupported + name
	}
	return ps, ""
}

func (s *Server) subscribeV1(c *conn, req *v1Request) {
	for _, name := range req.pairs {
		if s.faults.rejectSubscribes {
			s.stats.rejected.Add(1)
			s.sendCtl(c, v1Status(req, nil, name, "error", errRate))
			continue
		}
		ps, errText := s.v1PairCheck(name)
		if errText != "" {
			s.sendCtl(c, v1Status(req, nil, name, "error", errText))
			continue
		}
		k := req.key(ps)
		if c.subs[k] != nil {
			s.sendCtl(c, v1Status(req, nil, name, "error", errAlready))
			continue
		}
		sb := &sub{key: k, ps: ps, snapshot: true}
		s.addSub(c, sb)
		s.sendCtl(c, v1Status(req, ps, name, "subscribed", ""))
		s.sendSnapshotV1(c, sb)
	}
}

func (s *Server) unsubscribeV1(c *conn, req *v1Request) {
	for _, name := range req.pairs {
		ps, errText := s.v1PairCheck(name)
		if errText != "" {
			s.sendCtl(c, v1Status(req, nil, name, "error", errText))
			continue
		}
		k := req.key(ps)
		if c.subs[k] == nil {
			s.sendCtl(c, v1Status(req, nil, name, "error", errNotFound))
			continue
		}
		s.removeSub(c, k)
		s.sendCtl(c, v1Status(req, ps, name, "unsubscribed", ""))
	}
}

func (s *Server) unsubscribeV1ByID(c *conn, req *v1Request) {
	for _, k := range c.subKeys() {
		sb := c.subs[k]
		if k.api != feed.APIV1 || sb.ps == nil || sb.ps.channelIDs[v1ChannelName(k)] != req.chanID {
			continue
		}
		req.channel, req.depth, req.interval = k.ch, 0, 0
		switch k.ch {
		case chBook:
			req.depth = k.param
		case chOHLC:
			req.interval = k.param
		}
		s.removeSub(c, k)
		s.sendCtl(c, v1Status(req, sb.ps, sb.ps.v1Name, "unsubscribed", ""))
		return
	}
	s.sendCtl(c, v1Error(errNotFound, req.reqID))
}

// channelID returns the server-wide channel id of a v1 stream. Kraken's ids are large and
// stay the same for a channel and pair across subscriptions and connections (119930881 for
// XBT/USD trade in a 2026 capture), so a client can never rely on them being small or in
// subscription order: the id is a hash of the channel name and pair in [1e8, 1e9), moved
// on by one past any id already taken. A replayed recording presets its own ids.
func (s *Server) channelID(ps *pairState, name string) int64 {
	id, ok := ps.channelIDs[name]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(name))      //nolint:errcheck // hash writes never fail
		h.Write([]byte{0})         //nolint:errcheck
		h.Write([]byte(ps.v1Name)) //nolint:errcheck
		id = 100_000_000 + int64(h.Sum64()%900_000_000)
		for s.usedChannelID[id] {
			id++
		}
		s.setChannelID(ps, name, id)
	}
	return id
}

// setChannelID fixes the id of a v1 stream. s.mu held.
func (s *Server) setChannelID(ps *pairState, name string, id int64) {
	ps.channelIDs[name] = id
	s.usedChannelID[id] = true
}

// v1Status encodes a subscriptionStatus. ps is set for successful (un)subscriptions, which
// carry channelID and channelName.
func v1Status(req *v1Request, ps *pairState, pair, status, errText string) []byte {
	b := []byte{'{'}
	if ps != nil {
		k := req.key(ps)
		name := v1ChannelName(k)
		b = append(b, `"channelID":`...)
		b = strconv.AppendInt(b, ps.channelIDs[name], 10)
		b = append(b, `,"channelName":`...)
		b = jsonstr.Append(b, name)
		b = append(b, ',')
	}
	if errText != "" {
		b = append(b, `"errorMessage":`...)
		b = jsonstr.Append(b, errText)
		b = append(b, ',')
	}
	b = append(b, `"event":"subscriptionStatus"`...)
	if pair != "" {
		b = append(b, `,"pair":`...)
		b = jsonstr.Append(b, pair)
	}
	if req.reqID != nil {
		b = append(b, `,"reqid":`...)
		b = append(b, req.reqID...)
	}
	b = append(b, `,"status":`...)
	b = jsonstr.Append(b, status)
	b = append(b, `,"subscription":`...)
	if errText != "" || req.channel == chNone {
		// Errors echo the subscription as the client sent it (values untouched: a "depth":"10"
		// stays a string, no default depth is added), keys in Kraken's sorted order.
		b = append(b, echoJSON(req.subRaw)...)
	} else {
		b = append(b, '{')
		switch req.channel {
		case chBook:
			b = append(b, `"depth":`...)
			b = strconv.AppendInt(b, int64(req.depth), 10)
			b = append(b, ',')
		case chOHLC:
			b = append(b, `"interval":`...)
			b = strconv.AppendInt(b, int64(req.interval), 10)
			b = append(b, ',')
		}
		b = append(b, `"name":`...)
		b = jsonstr.Append(b, req.channel.String())
		b = append(b, '}')
	}
	return append(b, '}')
}

// echoJSON re-encodes the client's own subscription object for an error echo: an object's
// keys sorted (as every Kraken v1 object is), each value's text as sent; anything else compacted.
func echoJSON(raw json.RawMessage) []byte {
	var obj map[string]json.RawMessage
	if len(raw) == 0 {
		return []byte("{}")
	}
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		b := []byte{'{'}
		for i, k := range sortedKeys(obj) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, k)
			b = append(b, ':')
			var c bytes.Buffer
			if json.Compact(&c, obj[k]) != nil {
				return []byte("{}")
			}
			b = append(b, c.Bytes()...)
		}
		return append(b, '}')
	}
	var c bytes.Buffer
	if json.Compact(&c, raw) != nil {
		return []byte("{}")
	}
	return c.Bytes()
}

func v1Error(text string, reqID json.RawMessage) []byte {
	b := []byte(`{"errorMessage":`)
	b = jsonstr.Append(b, text)
	b = append(b, `,"event":"error"`...)
	if reqID != nil {
		b = append(b, `,"reqid":`...)
		b = append(b, reqID...)
	}
	return append(b, '}')
}

func v1Pong(reqID json.RawMessage) []byte {
	b := []byte(`{"event":"pong"`)
	if reqID != nil {
		b = append(b, `,"reqid":`...)
		b = append(b, reqID...)
	}
	return append(b, '}')
}

// v1SystemStatus encodes the systemStatus event in the field order of a 2026 capture of
// version 1.9.6 (TestRealTexts): event, version, status, connectionID, then the two arrays
// Kraken added in 2026, empty when nothing is announced.
func v1SystemStatus(state feed.SystemState, connID uint64, version string) []byte {
	b := []byte(`{"event":"systemStatus","version":`)
	b = jsonstr.Append(b, version)
	b = append(b, `,"status":`...)
	b = jsonstr.Append(b, string(state))
	b = append(b, `,"connectionID":`...)
	b = strconv.AppendUint(b, connID, 10)
	return append(b, `,"upcoming_maintenance":[],"emergency":[]}`...)
}

// sendSnapshotV1 sends what v1 sends right after a successful subscribe: the book snapshot,
// the current ticker, spread and candle. v1 sends no trade history. s.mu held.
func (s *Server) sendSnapshotV1(c *conn, sb *sub) {
	if s.rawSt != nil {
		s.sendRawCatchUp(c, sb)
		return
	}
	ps := sb.ps
	id := s.channelID(ps, v1ChannelName(sb.key))
	switch sb.key.ch {
	case chBook:
		if sb.view.primed {
			s.enqueue(c, chBook, v1BookSnapshot(id, ps, sb.view))
		}
	case chTicker:
		if ps.tick.has || ps.hasBook {
			s.enqueue(c, chTicker, v1Ticker(id, ps))
		}
	case chSpread:
		if ps.hasBook {
			s.enqueue(c, chSpread, v1Spread(id, ps))
		}
	case chOHLC:
		cd := &ps.candles[intervalIndex(sb.key.param)]
		if cd.has {
			s.enqueue(c, chOHLC, v1OHLC(id, ps, cd))
		}
	}
}

func appendV1Tail(b []byte, name string, ps *pairState) []byte {
	b = append(b, ',')
	b = jsonstr.Append(b, name)
	b = append(b, ',')
	b = jsonstr.Append(b, ps.v1Name)
	return append(b, ']')
}

func v1Trades(id int64, ps *pairState, recs []tradeRec) []byte {
	return wire.AppendV1Trades(make([]byte, 0, 48+80*len(recs)), id, ps.v1Name, ps.v1PScale, ps.qScale, wireTrades(recs))
}

// v1LevelTime stamps a v1 level with the last change of its price, to the microsecond.
func (ps *pairState) v1LevelTime(side feed.Side, l feed.BookLevel) time.Time {
	return ps.levelTime(side, l.Price).Truncate(time.Microsecond)
}

func v1BookSnapshot(id int64, ps *pairState, v *bookView) []byte {
	u := feed.BookUpdate{Pair: ps.info.Pair, Snapshot: true, Bids: viewLevels(v, feed.Buy), Asks: viewLevels(v, feed.Sell)}
	return wire.AppendV1Book(make([]byte, 0, 64+70*2*v.depth), id, ps.v1Name, v.depth, &u, ps.v1PScale, ps.qScale, ps.v1LevelTime)
}

// v1BookUpdate encodes an update: asks and bids in separate objects when both changed, the
// quoted checksum in the last one.
func v1BookUpdate(id int64, ps *pairState, d *viewDiff, ck uint32) []byte {
	u := feed.BookUpdate{Pair: ps.info.Pair, Bids: d.bids, Asks: d.asks, Checksum: ck, HasChecksum: true}
	return wire.AppendV1Book(make([]byte, 0, 96+70*(len(d.bids)+len(d.asks))), id, ps.v1Name, d.view.depth, &u, ps.v1PScale, ps.qScale, ps.v1LevelTime)
}

func v1Ticker(id int64, ps *pairState) []byte {
	bid, ask := ps.bbo()
	t := &ps.tick
	last, lastQty, low, high, open := t.last, t.lastQty, t.low, t.high, t.open
	if !t.has {
		last, low, high, open = bid.Price, bid.Price, bid.Price, bid.Price
		lastQty = feed.Fixed{Scale: ps.qScale}
	}
	pair2 := func(b []byte, key string, f func([]byte) []byte) []byte {
		b = appendKey(b, key)
		b = append(b, '[')
		b = f(b)
		b = append(b, ',')
		b = f(b)
		return append(b, ']')
	}
	lvl := func(b []byte, key string, l feed.BookLevel) []byte {
		b = appendKey(b, key)
		b = append(b, '[')
		b = appendFixedQ(b, l.Price, ps.v1PScale)
		b = append(b, ',')
		whole := l.Qty.Mant
		if l.Qty.Scale > 0 {
			whole /= pow10.Int64(l.Qty.Scale)
		}
		b = strconv.AppendInt(b, whole, 10)
		b = append(b, ',')
		b = appendFixedQ(b, l.Qty, ps.qScale)
		return append(b, ']')
	}
	b := make([]byte, 0, 400)
	b = append(b, '[')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,{`...)
	b = lvl(b, "a", ask)
	b = append(b, ',')
	b = lvl(b, "b", bid)
	b = append(b, `,"c":[`...)
	b = appendFixedQ(b, last, ps.v1PScale)
	b = append(b, ',')
	b = appendFixedQ(b, lastQty, ps.qScale)
	b = append(b, "],"...)
	b = pair2(b, "v", func(b []byte) []byte { return appendDecQ(b, t.volume, ps.qScale) })
	b = append(b, ',')
	b = pair2(b, "p", func(b []byte) []byte { return appendDecQ(b, vwap(t.pv, t.volume, last), ps.v1PScale) })
	b = append(b, ',')
	b = pair2(b, "t", func(b []byte) []byte { return strconv.AppendInt(b, t.count, 10) })
	b = append(b, ',')
	b = pair2(b, "l", func(b []byte) []byte { return appendFixedQ(b, low, ps.v1PScale) })
	b = append(b, ',')
	b = pair2(b, "h", func(b []byte) []byte { return appendFixedQ(b, high, ps.v1PScale) })
	b = append(b, ',')
	b = pair2(b, "o", func(b []byte) []byte { return appendFixedQ(b, open, ps.v1PScale) })
	b = append(b, '}')
	return appendV1Tail(b, "ticker", ps)
}

func v1Spread(id int64, ps *pairState) []byte {
	bid, ask := ps.bbo()
	b := make([]byte, 0, 128)
	b = append(b, '[')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ",["...)
	b = appendFixedQ(b, bid.Price, ps.v1PScale)
	b = append(b, ',')
	b = appendFixedQ(b, ask.Price, ps.v1PScale)
	b = append(b, ',')
	b = appendV1Time(b, ps.bookTime)
	b = append(b, ',')
	b = appendFixedQ(b, bid.Qty, ps.qScale)
	b = append(b, ',')
	b = appendFixedQ(b, ask.Qty, ps.qScale)
	b = append(b, ']')
	return appendV1Tail(b, "spread", ps)
}

func v1OHLC(id int64, ps *pairState, c *candle) []byte {
	b := make([]byte, 0, 200)
	b = append(b, '[')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ",["...)
	b = appendV1Time(b, c.last)
	b = append(b, ',')
	b = appendV1Time(b, c.end())
	for _, f := range [...]feed.Fixed{c.open, c.high, c.low, c.close} {
		b = append(b, ',')
		b = appendFixedQ(b, f, ps.v1PScale)
	}
	b = append(b, ',')
	b = appendDecQ(b, vwap(c.pv, c.volume, c.close), ps.v1PScale)
	b = append(b, ',')
	b = appendDecQ(b, c.volume, ps.qScale)
	b = append(b, ',')
	b = strconv.AppendInt(b, c.count, 10)
	b = append(b, ']')
	return appendV1Tail(b, "ohlc-"+strconv.Itoa(c.intervalMinute), ps)
}

// now is the server clock (wall clock; a synctest bubble's fake clock in tests).
func (s *Server) now() time.Time { return time.Now() }
