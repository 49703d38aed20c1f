package kraken

import (
	"bytes"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// v2Frame is what the first pass over a v2 data frame's top-level keys found.
type v2Frame struct {
	ch       channelID
	name     string // the channel name, kept only when unknown
	typ      frameType
	snapshot bool
	dataAt   int  // offset of the data value; -1 if absent
	parsed   bool // data already read during the first pass
	time     time.Time
	n0       int // events from dst[n0] on belong to this frame
}

// v2Channel finishes a v2 data frame once its top-level keys are known.
func (d *Decoder) v2Channel(f *v2Frame, frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	ch := f.ch
	switch ch {
	case chHeartbeat:
		return append(dst, feed.Event{Kind: feed.KindHeartbeat, API: feed.APIV2, Recv: recv}), nil
	case chStatus:
		return d.v2Status(frame, recv, dst)
	case chInstrument:
		return d.v2Instrument(frame, f.snapshot, recv, dst)
	case chUnknown:
		d.unknown(feed.APIV2, "channel", f.name)
		return dst, nil
	}
	if f.dataAt < 0 {
		return dst, &DecodeError{Reason: ReasonShape, Offset: -1, Msg: fmt.Sprintf("%s frame has no data", v2ChannelNames[ch])}
	}
	if ch == chBook && (f.typ == typeAbsent || f.typ == typeOther) {
		return dst, &DecodeError{Reason: ReasonShape, Offset: -1, Path: "type", Msg: `book frame needs type "snapshot" or "update"`}
	}
	if !f.parsed {
		d.s.i = f.dataAt
		var err error
		if dst, err = d.v2Data(ch, recv, dst); err != nil {
			return dst, err
		}
	}
	// Keys after "data" complete the events: the book's type and the ohlc frame's time.
	for i := f.n0; i < len(dst); i++ {
		switch ch {
		case chBook:
			dst[i].Book.Snapshot = f.snapshot
		case chOHLC:
			dst[i].Time = f.time
		}
	}
	return dst, nil
}

var v2ChannelNames = [...]string{chTrade: "trade", chBook: "book", chTicker: "ticker", chOHLC: "ohlc", chSpread: "spread", chHeartbeat: "heartbeat", chStatus: "status", chInstrument: "instrument", chUnknown: "unknown"}

// v2Data reads the data array of a trade, book, ticker or ohlc frame: one event per entry.
func (d *Decoder) v2Data(ch channelID, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, inPath(err, "data")
	}
	for k := 0; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return dst, inPath(err, "data")
		}
		if !more {
			break
		}
		switch ch {
		case chTrade:
			dst, err = d.v2Trade(recv, dst)
		case chBook:
			dst, err = d.v2Book(recv, dst)
		case chTicker:
			dst, err = d.v2Ticker(recv, dst)
		case chOHLC:
			dst, err = d.v2OHLC(recv, dst)
		}
		if err != nil {
			return dst, inField(err, "data", k)
		}
	}
	s.close()
	return dst, nil
}

// v2Fixed reads a v2 JSON number exactly.
func (d *Decoder) v2Fixed(sg sign) (feed.Fixed, error) {
	s := &d.s
	s.ws()
	start := s.i
	f, err := s.fixedNum()
	if err != nil {
		return f, err
	}
	return f, checkSign(f, sg, start)
}

// v2Decimal reads a v2 JSON number as a decimal with the wire's exponent.
func (d *Decoder) v2Decimal(sg sign) (decimal.Decimal, error) {
	f, err := d.v2Fixed(sg)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return decimal.New(f.Mant, -f.Scale), nil
}

func missing(s *scanner, what string) error {
	return &DecodeError{Reason: ReasonShape, Offset: s.i - 1, Msg: "missing " + what}
}

// v2Trade reads {"symbol","side","price","qty","ord_type","trade_id","timestamp"}.
func (d *Decoder) v2Trade(recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return dst, err
	}
	const (
		hSymbol = 1 << iota
		hSide
		hPrice
		hQty
	)
	var (
		tr         feed.Trade
		have       uint8
		price, qty feed.Fixed
	)
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "symbol":
			tr.Pair, err = d.pairStr(feed.APIV2)
			have |= hSymbol
		case "side":
			s.ws()
			start := s.i
			var b []byte
			if b, err = s.str(); err == nil {
				switch string(b) {
				case "buy":
					tr.Side = feed.Buy
				case "sell":
					tr.Side = feed.Sell
				default:
					err = &DecodeError{Reason: ReasonShape, Offset: start, Msg: fmt.Sprintf("unknown side %q, want \"buy\" or \"sell\"", b)}
				}
			}
			have |= hSide
		case "price":
			price, err = d.v2Fixed(positive)
			have |= hPrice
		case "qty":
			qty, err = d.v2Fixed(nonNeg)
			have |= hQty
		case "ord_type":
			var b []byte
			if b, err = s.str(); err == nil {
				var known bool
				if tr.OrdType, known = ordType(b); !known {
					d.stats.UnknownFields++
				}
			}
		case "trade_id":
			tr.ID, err = s.uintNum(64)
		case "timestamp":
			tr.Time, err = s.timeStr(rfc3339)
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inPath(err, string(key))
		}
	}
	s.close()
	if have != hSymbol|hSide|hPrice|hQty {
		return dst, missing(s, missingNames(have, "symbol", "side", "price", "qty"))
	}
	tr.Price = decimal.New(price.Mant, -price.Scale)
	tr.Qty = decimal.New(qty.Mant, -qty.Scale)
	return append(dst, feed.Event{Kind: feed.KindTrade, API: feed.APIV2, Pair: tr.Pair, Time: tr.Time, Recv: recv, Trade: tr}), nil
}

// missingNames names the first required field whose bit is not in have.
func missingNames(have uint8, names ...string) string {
	for i, n := range names {
		if have&(1<<i) == 0 {
			return n
		}
	}
	return "a field"
}

// v2Book reads {"symbol","bids":[{"price","qty"}…],"asks":[…],"checksum","timestamp"}. The
// snapshot flag is the frame's type, set by the caller.
func (d *Decoder) v2Book(recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return dst, err
	}
	d.bids, d.asks = d.bids[:0], d.asks[:0]
	var (
		pair   feed.Pair
		sum    uint64
		hasSum bool
		at     time.Time
	)
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "symbol":
			pair, err = d.pairStr(feed.APIV2)
		case "bids":
			d.bids, err = d.v2Levels(d.bids[:0])
		case "asks":
			d.asks, err = d.v2Levels(d.asks[:0])
		case "checksum":
			sum, err = s.uintNum(32)
			hasSum = true
		case "timestamp":
			at, err = s.timeStr(rfc3339)
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inPath(err, string(key))
		}
	}
	s.close()
	if pair == "" {
		return dst, missing(s, "symbol")
	}
	u := newBookUpdate(pair, d.bids, d.asks)
	u.Checksum, u.HasChecksum, u.Time = uint32(sum), hasSum, at
	return append(dst, feed.Event{Kind: feed.KindBook, API: feed.APIV2, Pair: pair, Time: at, Recv: recv, Book: u}), nil
}

// v2Levels reads [{"price":p,"qty":q}, …] keeping each number's wire precision.
func (d *Decoder) v2Levels(dst []feed.BookLevel) ([]feed.BookLevel, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, err
	}
	for k := 0; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		lv, ok := s.plainLevel()
		if !ok {
			if lv, err = d.v2Level(); err != nil {
				return dst, inIndex(err, k)
			}
		}
		dst = append(dst, lv)
	}
	s.close()
	return dst, nil
}

// v2Level reads one {"price":p,"qty":q} level, in any key order, with unknown keys counted
// and skipped.
func (d *Decoder) v2Level() (feed.BookLevel, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return feed.BookLevel{}, err
	}
	var lv feed.BookLevel
	var have uint8
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return lv, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "price":
			lv.Price, err = d.v2Fixed(positive)
			have |= 1
		case "qty":
			lv.Qty, err = d.v2Fixed(nonNeg)
			have |= 2
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return lv, inPath(err, string(key))
		}
	}
	s.close()
	if have != 3 {
		return lv, missing(s, missingNames(have, "price", "qty"))
	}
	return lv, nil
}

// plainLevel reads a book level written exactly as Kraken writes it,
// {"price":<plain number>,"qty":<plain number>} with no whitespace, a positive price and a
// non-negative quantity, in one pass. Anything else — other spacing or key order, extra
// keys, exponents, every error — reports false without consuming anything, for v2Levels'
// general path, which owns the errors and gives the same level for this shape.
func (s *scanner) plainLevel() (feed.BookLevel, bool) {
	const price, qty = `{"price":`, `,"qty":`
	start := s.i
	if s.depth >= maxNesting || !bytes.HasPrefix(s.b[s.i:], []byte(price)) {
		return feed.BookLevel{}, false
	}
	s.i += len(price)
	p, ok := s.plainFixed()
	if ok && p.Sign() > 0 && bytes.HasPrefix(s.b[s.i:], []byte(qty)) {
		s.i += len(qty)
		var q feed.Fixed
		if q, ok = s.plainFixed(); ok && q.Sign() >= 0 && s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return feed.BookLevel{Price: p, Qty: q}, true
		}
	}
	s.i = start
	return feed.BookLevel{}, false
}

// v2Ticker reads one ticker entry. timestamp (absent in 2024) and trades (added in 2026) are
// optional.
func (d *Decoder) v2Ticker(recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return dst, err
	}
	t := &feed.Ticker{}
	var at time.Time
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "symbol":
			t.Pair, err = d.pairStr(feed.APIV2)
		case "bid":
			t.Bid, err = d.v2Decimal(nonNeg)
		case "bid_qty":
			t.BidQty, err = d.v2Decimal(nonNeg)
		case "ask":
			t.Ask, err = d.v2Decimal(nonNeg)
		case "ask_qty":
			t.AskQty, err = d.v2Decimal(nonNeg)
		case "last":
			t.Last, err = d.v2Decimal(nonNeg)
		case "volume":
			t.Volume, err = d.v2Decimal(nonNeg)
		case "vwap":
			t.VWAP, err = d.v2Decimal(nonNeg)
		case "low":
			t.Low, err = d.v2Decimal(nonNeg)
		case "high":
			t.High, err = d.v2Decimal(nonNeg)
		case "change":
			t.Change, err = d.v2Decimal(anySign)
		case "change_pct":
			t.ChangePct, err = d.v2Decimal(anySign)
		case "trades":
			var v uint64
			v, err = s.uintNum(63)
			t.Trades = int64(v)
		case "timestamp":
			at, err = s.timeStr(rfc3339)
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inPath(err, string(key))
		}
	}
	s.close()
	if t.Pair == "" {
		return dst, missing(s, "symbol")
	}
	return append(dst, feed.Event{Kind: feed.KindTicker, API: feed.APIV2, Pair: t.Pair, Time: at, Recv: recv, Ticker: t}), nil
}

// maxIntervalMinutes is Kraken's longest OHLC interval (15 days), with room to spare.
const maxIntervalMinutes = 1 << 20

// v2OHLC reads one candle. interval_begin is the key; the per-candle timestamp (the interval
// end, deprecated) is used only when interval_begin is absent. The event's Time is the
// frame's envelope timestamp, set by the caller.
func (d *Decoder) v2OHLC(recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return dst, err
	}
	c := &feed.Candle{}
	var end time.Time
	var minutes uint64
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "symbol":
			c.Pair, err = d.pairStr(feed.APIV2)
		case "open":
			c.Open, err = d.v2Decimal(positive)
		case "high":
			c.High, err = d.v2Decimal(positive)
		case "low":
			c.Low, err = d.v2Decimal(positive)
		case "close":
			c.Close, err = d.v2Decimal(positive)
		case "vwap":
			c.VWAP, err = d.v2Decimal(nonNeg)
		case "volume":
			c.Volume, err = d.v2Decimal(nonNeg)
		case "trades":
			var v uint64
			v, err = s.uintNum(63)
			c.Trades = int64(v)
		case "interval":
			s.ws()
			start := s.i
			if minutes, err = s.uintNum(32); err == nil && (minutes == 0 || minutes > maxIntervalMinutes) {
				err = &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("interval %d minutes out of range", minutes)}
			}
		case "interval_begin":
			c.Start, err = s.timeStr(rfc3339)
		case "timestamp":
			end, err = s.timeStr(rfc3339)
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inPath(err, string(key))
		}
	}
	s.close()
	switch {
	case c.Pair == "":
		return dst, missing(s, "symbol")
	case minutes == 0:
		return dst, missing(s, "interval")
	case c.Start.IsZero() && end.IsZero():
		return dst, missing(s, "interval_begin")
	}
	c.Interval = time.Duration(minutes) * time.Minute
	if c.Start.IsZero() {
		c.Start = end.Add(-c.Interval)
	}
	return append(dst, feed.Event{Kind: feed.KindCandle, API: feed.APIV2, Pair: c.Pair, Recv: recv, Candle: c}), nil
}
