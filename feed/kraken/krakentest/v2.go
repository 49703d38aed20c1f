package krakentest

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/feed/kraken/internal/wire"
	"github.com/papertrade/papertrade/feed/kraken/internal/wsreq"
	"github.com/shopspring/decimal"
)

// Kraken's v2 error texts the server uses beyond the request parser's.
const (
	errMalformed       = wsreq.TextMalformed
	errAlready         = "Already subscribed"
	errNotFound        = "Subscription Not Found"
	errRate            = "Exceeded msg rate"
	errV2PairPrefix    = "Currency pair not supported "
	warnOHLCTimestamp  = "timestamp is deprecated, use interval_begin"
	warnInstrumentTick = "tick_size is deprecated, use price_increment"
)

// v2Request is a parsed v2 request as the server uses it; the raw req_id is kept so that it
// is echoed verbatim.
type v2Request struct {
	method   string
	reqID    json.RawMessage
	channel  channel
	symbols  []string
	depth    int
	interval int
	trigger  int // ticker: 0 trades, 1 bbo
	snapshot bool
}

// handleV2 answers one v2 request. Called with s.mu held.
func (s *Server) handleV2(c *conn, msg []byte, tin time.Time) {
	r, err := wsreq.Parse(feed.APIV2, msg)
	var rerr *wsreq.Error
	if errors.As(err, &rerr) {
		s.sendCtl(c, v2Ack(nil, r.Method, r.ReqID, nil, rerr.Text, "", tin, s.now()))
		return
	}
	if r.Method == "ping" {
		s.sendCtl(c, v2Pong(r.ReqID, tin, s.now()))
		return
	}
	req := v2Request{method: r.Method, reqID: r.ReqID, channel: channelNamed(r.Channel), symbols: r.Names,
		depth: r.Depth, interval: r.Interval, snapshot: r.Snapshot}
	if r.EventTrigger == "bbo" {
		req.trigger = 1
	}
	if r.Method == "subscribe" {
		s.subscribeV2(c, &req, tin)
	} else {
		s.unsubscribeV2(c, &req, tin)
	}
}

func (req *v2Request) key(sym string) streamKey {
	k := streamKey{api: feed.APIV2, ch: req.channel, pair: feed.Pair(sym)}
	switch req.channel {
	case chBook:
		k.param = req.depth
	case chOHLC:
		k.param = req.interval
	case chTicker:
		k.param = req.trigger
	}
	return k
}

func (s *Server) subscribeV2(c *conn, req *v2Request, tin time.Time) {
	if req.channel == chInstrument {
		k := streamKey{api: feed.APIV2, ch: chInstrument}
		switch {
		case s.faults.rejectSubscribes:
			s.stats.rejected.Add(1)
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errRate, "", tin, s.now()))
		case c.subs[k] != nil:
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errAlready, "", tin, s.now()))
		default:
			s.addSub(c, &sub{key: k, snapshot: req.snapshot})
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, v2Result(req, "", true), "", "", tin, s.now()))
			if req.snapshot {
				s.enqueue(c, chInstrument, s.v2Instrument())
			}
		}
		return
	}
	for _, sym := range req.symbols {
		if s.faults.rejectSubscribes {
			s.stats.rejected.Add(1)
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errRate, sym, tin, s.now()))
			continue
		}
		ps := s.byV2[feed.Pair(sym)]
		if ps == nil {
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errV2PairPrefix+sym, sym, tin, s.now()))
			continue
		}
		k := req.key(sym)
		if c.subs[k] != nil || (k.ch == chBook && c.hasBook(k.pair)) {
			// One book per symbol and socket: a second depth is refused as Kraken does.
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errAlready, sym, tin, s.now()))
			continue
		}
		sb := &sub{key: k, snapshot: req.snapshot, ps: ps}
		s.addSub(c, sb)
		s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, v2Result(req, sym, true), "", "", tin, s.now()))
		if req.snapshot {
			s.sendSnapshotV2(c, sb)
		}
	}
}

func (s *Server) unsubscribeV2(c *conn, req *v2Request, tin time.Time) {
	syms := req.symbols
	if req.channel == chInstrument {
		syms = []string{""}
	}
	for _, sym := range syms {
		k := req.key(sym)
		if req.channel == chInstrument {
			k = streamKey{api: feed.APIV2, ch: chInstrument}
		}
		if c.subs[k] == nil {
			// Kraken answers a failed unsubscribe with "method":"subscribe" (PROTOCOL.md §2.2).
			s.sendCtl(c, v2Ack(nil, "subscribe", req.reqID, nil, errNotFound, sym, tin, s.now()))
			continue
		}
		s.removeSub(c, k)
		s.sendCtl(c, v2Ack(nil, "unsubscribe", req.reqID, v2Result(req, sym, false), "", "", tin, s.now()))
	}
}

// v2Result encodes an ack's result object, fields in the wire's (alphabetical) order.
func v2Result(req *v2Request, sym string, subscribe bool) []byte {
	b := []byte(`{"channel":`)
	b = jsonstr.Append(b, req.channel.String())
	switch req.channel {
	case chBook:
		b = append(b, `,"depth":`...)
		b = strconv.AppendInt(b, int64(req.depth), 10)
	case chTicker:
		b = append(b, `,"event_trigger":`...)
		if req.trigger == 1 {
			b = append(b, `"bbo"`...)
		} else {
			b = append(b, `"trades"`...)
		}
	case chOHLC:
		b = append(b, `,"interval":`...)
		b = strconv.AppendInt(b, int64(req.interval), 10)
	}
	if subscribe || req.channel == chBook {
		b = append(b, `,"snapshot":`...)
		b = strconv.AppendBool(b, req.snapshot)
	}
	if sym != "" {
		b = append(b, `,"symbol":`...)
		b = jsonstr.Append(b, sym)
	}
	if subscribe {
		switch req.channel {
		case chOHLC:
			b = append(b, `,"warnings":["`+warnOHLCTimestamp+`"]`...)
		case chInstrument:
			b = append(b, `,"warnings":["`+warnInstrumentTick+`"]`...)
		}
	}
	return append(b, '}')
}

// v2Ack encodes an acknowledgement: success when errText is empty.
func v2Ack(dst []byte, method string, reqID json.RawMessage, result []byte, errText, symbol string, tin, tout time.Time) []byte {
	b := append(dst, '{')
	if errText != "" {
		b = append(b, `"error":`...)
		b = jsonstr.Append(b, errText)
		b = append(b, ',')
	}
	if method != "" {
		b = append(b, `"method":`...)
		b = jsonstr.Append(b, method)
		b = append(b, ',')
	}
	if reqID != nil {
		b = append(b, `"req_id":`...)
		b = append(b, reqID...)
		b = append(b, ',')
	}
	if result != nil {
		b = append(b, `"result":`...)
		b = append(b, result...)
		b = append(b, ',')
	}
	b = append(b, `"success":`...)
	b = strconv.AppendBool(b, errText == "")
	if errText != "" && symbol != "" {
		b = append(b, `,"symbol":`...)
		b = jsonstr.Append(b, symbol)
	}
	b = append(b, `,"time_in":`...)
	b = appendV2Time(b, tin)
	b = append(b, `,"time_out":`...)
	b = appendV2Time(b, tout)
	return append(b, '}')
}

func v2Pong(reqID json.RawMessage, tin, tout time.Time) []byte {
	b := []byte(`{"method":"pong",`)
	if reqID != nil {
		b = append(b, `"req_id":`...)
		b = append(b, reqID...)
		b = append(b, ',')
	}
	b = append(b, `"time_in":`...)
	b = appendV2Time(b, tin)
	b = append(b, `,"time_out":`...)
	b = appendV2Time(b, tout)
	return append(b, '}')
}

var v2Heartbeat = []byte(`{"channel":"heartbeat"}`)

// v2StatusFrame encodes a status update in the 2.0.10 shape of a 2026 capture (PROTOCOL.md
// §1, TestRealTexts): channel, type, data; inside, version, system, api_version,
// connection_id and the two announcement arrays. Kraken omits connection_id outside
// "online" (a 2024-05 maintenance frame).
func v2StatusFrame(state feed.SystemState, connID uint64, version string) []byte {
	b := []byte(`{"channel":"status","type":"update","data":[{"version":`)
	b = jsonstr.Append(b, version)
	b = append(b, `,"system":`...)
	b = jsonstr.Append(b, string(state))
	b = append(b, `,"api_version":"v2"`...)
	if state == feed.SystemOnline {
		b = append(b, `,"connection_id":`...)
		b = strconv.AppendUint(b, connID, 10)
	}
	return append(b, `,"upcoming_maintenance":[],"emergency":[]}]}`...)
}

// sendSnapshotV2 sends what Kraken sends right after a successful subscribe. s.mu held.
func (s *Server) sendSnapshotV2(c *conn, sb *sub) {
	if s.rawSt != nil {
		s.sendRawCatchUp(c, sb)
		return
	}
	ps := sb.ps
	switch sb.key.ch {
	case chTrade:
		s.enqueue(c, chTrade, v2Trades(ps, ps.recentTrades(snapshotTrades), true))
	case chBook:
		v := sb.view
		if v.primed {
			_, ck := ps.checksums(v)
			s.enqueue(c, chBook, v2BookSnapshot(ps, v, ck))
		}
	case chTicker:
		if ps.tick.has || ps.hasBook {
			s.enqueue(c, chTicker, v2Ticker(ps, true, s.now()))
		}
	case chOHLC:
		cd := &ps.candles[intervalIndex(sb.key.param)]
		if cd.has {
			s.enqueue(c, chOHLC, v2OHLC(ps, cd, true, s.now()))
		}
	}
}

func v2Trades(ps *pairState, recs []tradeRec, snapshot bool) []byte {
	return wire.AppendV2Trades(make([]byte, 0, 64+140*len(recs)), ps.info.Pair, snapshot, ps.pScale, ps.qScale, wireTrades(recs))
}

// wireTrades converts trade records for the shared frame encoders, at the microsecond
// precision Kraken prints.
func wireTrades(recs []tradeRec) []wire.Trade {
	out := make([]wire.Trade, len(recs))
	for i, r := range recs {
		out[i] = wire.Trade{Side: r.side, OrdType: r.ord, Price: r.price, Qty: r.qty, ID: r.id, Time: r.time.Truncate(time.Microsecond)}
	}
	return out
}

func viewLevels(v *bookView, side feed.Side) []feed.BookLevel {
	out := make([]feed.BookLevel, v.book.Len(side))
	for i := range out {
		out[i] = v.book.Level(side, i)
	}
	return out
}

// v2BookSnapshot encodes a view as a snapshot. It carries the book's last change as its
// timestamp, as 2026 snapshots do (2024 ones had none; clients take it as optional).
func v2BookSnapshot(ps *pairState, v *bookView, ck uint32) []byte {
	u := feed.BookUpdate{Pair: ps.info.Pair, Snapshot: true, Bids: viewLevels(v, feed.Buy), Asks: viewLevels(v, feed.Sell), Checksum: ck, HasChecksum: true, Time: ps.bookTime.Truncate(time.Microsecond)}
	return wire.AppendV2Book(make([]byte, 0, 128+60*2*v.depth), &u, ps.pScale, ps.qScale)
}

func v2BookUpdate(ps *pairState, d *viewDiff, ck uint32, t time.Time) []byte {
	u := feed.BookUpdate{Pair: ps.info.Pair, Bids: d.bids, Asks: d.asks, Checksum: ck, HasChecksum: true, Time: t.Truncate(time.Microsecond)}
	return wire.AppendV2Book(make([]byte, 0, 160+60*(len(d.bids)+len(d.asks))), &u, ps.pScale, ps.qScale)
}

// bbo returns the best bid and ask the ticker reports: from the book when there is one, else
// the last trade price with zero quantity.
func (ps *pairState) bbo() (bid, ask feed.BookLevel) {
	if ps.book.Len(feed.Buy) > 0 {
		bid = ps.book.Bid(0)
	} else {
		bid = feed.BookLevel{Price: ps.tick.last, Qty: feed.Fixed{Scale: ps.qScale}}
	}
	if ps.book.Len(feed.Sell) > 0 {
		ask = ps.book.Ask(0)
	} else {
		ask = feed.BookLevel{Price: ps.tick.last, Qty: feed.Fixed{Scale: ps.qScale}}
	}
	return bid, ask
}

func v2Ticker(ps *pairState, snapshot bool, now time.Time) []byte {
	bid, ask := ps.bbo()
	t := &ps.tick
	last, low, high := t.last, t.low, t.high
	if !t.has {
		last, low, high = bid.Price, bid.Price, bid.Price
	}
	change := decimal.Zero
	pct := decimal.Zero
	if t.has && !t.open.IsZero() {
		change = last.Decimal().Sub(t.open.Decimal())
		pct = change.Mul(decimal.NewFromInt(100)).DivRound(t.open.Decimal(), 2)
	}
	b := make([]byte, 0, 320)
	b = append(b, `{"channel":"ticker","type":`...)
	if snapshot {
		b = append(b, `"snapshot"`...)
	} else {
		b = append(b, `"update"`...)
	}
	b = append(b, `,"data":[{"symbol":`...)
	b = jsonstr.Append(b, string(ps.info.Pair))
	b = append(b, `,"bid":`...)
	b = appendFixed(b, bid.Price, ps.pScale)
	b = append(b, `,"bid_qty":`...)
	b = appendFixed(b, bid.Qty, ps.qScale)
	b = append(b, `,"ask":`...)
	b = appendFixed(b, ask.Price, ps.pScale)
	b = append(b, `,"ask_qty":`...)
	b = appendFixed(b, ask.Qty, ps.qScale)
	b = append(b, `,"last":`...)
	b = appendFixed(b, last, ps.pScale)
	b = append(b, `,"volume":`...)
	b = appendDec(b, t.volume, ps.qScale)
	b = append(b, `,"vwap":`...)
	b = appendDec(b, vwap(t.pv, t.volume, last), ps.pScale)
	b = append(b, `,"low":`...)
	b = appendFixed(b, low, ps.pScale)
	b = append(b, `,"high":`...)
	b = appendFixed(b, high, ps.pScale)
	b = append(b, `,"change":`...)
	b = appendDec(b, change, ps.pScale)
	b = append(b, `,"change_pct":`...)
	b = appendDec(b, pct, 2)
	b = append(b, `,"timestamp":`...)
	b = appendV2Time(b, now)
	return append(b, "}]}"...)
}

func v2OHLC(ps *pairState, c *candle, snapshot bool, now time.Time) []byte {
	b := make([]byte, 0, 360)
	b = append(b, `{"channel":"ohlc","type":`...)
	if snapshot {
		b = append(b, `"snapshot"`...)
	} else {
		b = append(b, `"update"`...)
	}
	b = append(b, `,"timestamp":`...)
	b = appendV2TimeNano(b, now)
	b = append(b, `,"data":[{"symbol":`...)
	b = jsonstr.Append(b, string(ps.info.Pair))
	b = append(b, `,"open":`...)
	b = appendFixed(b, c.open, ps.pScale)
	b = append(b, `,"high":`...)
	b = appendFixed(b, c.high, ps.pScale)
	b = append(b, `,"low":`...)
	b = appendFixed(b, c.low, ps.pScale)
	b = append(b, `,"close":`...)
	b = appendFixed(b, c.close, ps.pScale)
	b = append(b, `,"trades":`...)
	b = strconv.AppendInt(b, c.count, 10)
	b = append(b, `,"volume":`...)
	b = appendDec(b, c.volume, ps.qScale)
	b = append(b, `,"vwap":`...)
	b = appendDec(b, vwap(c.pv, c.volume, c.close), ps.pScale)
	b = append(b, `,"interval_begin":`...)
	b = appendV2TimeNano(b, c.start)
	b = append(b, `,"interval":`...)
	b = strconv.AppendInt(b, int64(c.intervalMinute), 10)
	b = append(b, `,"timestamp":`...)
	b = appendV2Time(b, c.end())
	return append(b, "}]}"...)
}

// v2Instrument encodes the instrument snapshot from the pair table, pairs in table order and
// assets sorted by id.
func (s *Server) v2Instrument() []byte {
	type asset struct {
		id   string
		prec int32
	}
	seen := map[string]int32{}
	for _, ps := range s.pairs {
		seen[ps.info.Pair.Base()] = max(seen[ps.info.Pair.Base()], ps.info.LotDecimals)
		q := ps.info.Pair.Quote()
		if _, ok := seen[q]; !ok {
			seen[q] = 4
		}
	}
	assets := make([]asset, 0, len(seen))
	for id, p := range seen {
		assets = append(assets, asset{id, p})
	}
	sort.Slice(assets, func(i, j int) bool { return assets[i].id < assets[j].id })
	var b bytes.Buffer
	b.WriteString(`{"channel":"instrument","type":"snapshot","data":{"assets":[`)
	for i, a := range assets {
		if i > 0 {
			b.WriteByte(',')
		}
		x := []byte(`{"id":`)
		x = jsonstr.Append(x, a.id)
		x = append(x, `,"status":"enabled","precision":`...)
		x = strconv.AppendInt(x, int64(a.prec), 10)
		x = append(x, `,"precision_display":`...)
		x = strconv.AppendInt(x, int64(min(a.prec, 5)), 10)
		x = append(x, `,"borrowable":false,"collateral_value":0.0}`...)
		b.Write(x)
	}
	b.WriteString(`],"pairs":[`)
	for i, ps := range s.pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v2InstrumentPair(&ps.info))
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

func v2InstrumentPair(p *feed.PairInfo) []byte {
	status := string(p.Status)
	if status == "" {
		status = string(feed.PairOnline)
	}
	tick := p.Tick
	if tick.IsZero() {
		tick = decimal.New(1, -p.PriceDecimals)
	}
	lot := p.LotStep
	if lot.IsZero() {
		lot = decimal.New(1, -p.LotDecimals)
	}
	x := []byte(`{"symbol":`)
	x = jsonstr.Append(x, string(p.Pair))
	x = append(x, `,"base":`...)
	x = jsonstr.Append(x, p.Pair.Base())
	x = append(x, `,"quote":`...)
	x = jsonstr.Append(x, p.Pair.Quote())
	x = append(x, `,"status":`...)
	x = jsonstr.Append(x, status)
	x = append(x, `,"qty_precision":`...)
	x = strconv.AppendInt(x, int64(p.LotDecimals), 10)
	x = append(x, `,"qty_increment":`...)
	x = appendPyNum(x, lot)
	x = append(x, `,"price_precision":`...)
	x = strconv.AppendInt(x, int64(p.PriceDecimals), 10)
	x = append(x, `,"cost_precision":`...)
	x = strconv.AppendInt(x, int64(p.CostDecimals), 10)
	x = append(x, `,"marginable":false,"has_index":true,"cost_min":`...)
	x = appendPyNum(x, p.CostMin)
	x = append(x, `,"tick_size":`...)
	x = appendPyNum(x, tick)
	x = append(x, `,"price_increment":`...)
	x = appendPyNum(x, tick)
	x = append(x, `,"qty_min":`...)
	x = appendPyNum(x, p.OrderMin)
	return append(x, '}')
}

func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// hasBook reports whether the connection holds a v2 book subscription of pair at any depth.
// s.mu held.
func (c *conn) hasBook(pair feed.Pair) bool {
	for k := range c.subs {
		if k.api == feed.APIV2 && k.ch == chBook && k.pair == pair {
			return true
		}
	}
	return false
}
