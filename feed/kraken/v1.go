package kraken

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// maxV1Elems bounds a v1 data array: [channelID, payload, payload, channelName, pair] has 5.
const maxV1Elems = 8

// v1Array decodes v1 channel data, laid out as [channelID, payload…, channelName, pair]. It
// routes by the last two elements (never by position from the front): the first pass records
// where each element starts and validates the frame; the payloads are then parsed for the
// channel the name says.
func (d *Decoder) v1Array(recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, err
	}
	var at [maxV1Elems]int
	n := 0
	for ; ; n++ {
		more, err := s.nextElem(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		if n == maxV1Elems {
			return dst, s.errf(ReasonShape, "v1 array has more than %d elements", maxV1Elems)
		}
		s.ws()
		at[n] = s.i
		if err := s.skip(); err != nil {
			return dst, inIndex(err, n)
		}
	}
	s.close()
	if err := s.end(); err != nil {
		return dst, err
	}
	if n < 3 {
		return dst, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: fmt.Sprintf("v1 array of %d elements is not [channelID, payload…, channelName, pair]", n)}
	}
	// Private channels end with [payload, channelName, {"sequence":n}]: the name is always the
	// second-to-last element.
	s.i = at[n-2]
	name, err := s.str()
	if err != nil {
		return dst, inPath(inIndex(err, n-2), "channelName")
	}
	ch, param, ok := v1ChannelName(name)
	if !ok {
		d.unknown(feed.APIV1, "channel", string(name))
		return dst, nil
	}
	if n < 4 {
		return dst, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: fmt.Sprintf("v1 %s array of %d elements has no payload", name, n)}
	}
	if c := s.b[at[0]]; c != '-' && (c < '0' || c > '9') {
		s.i = at[0]
		return dst, inIndex(s.wrongType("a channelID number"), 0)
	}
	s.i = at[n-1]
	pair, err := d.pairStr(feed.APIV1)
	if err != nil {
		return dst, inIndex(err, n-1)
	}
	payload := at[1 : n-2]
	if ch != chBook && len(payload) != 1 {
		return dst, &DecodeError{Reason: ReasonShape, Offset: at[2], Msg: fmt.Sprintf("v1 %s array has %d payloads, want 1", name, len(payload))}
	}
	s.i = payload[0]
	switch ch {
	case chTrade:
		dst, err = d.v1Trades(pair, recv, dst)
	case chTicker:
		dst, err = d.v1Ticker(pair, recv, dst)
	case chOHLC:
		dst, err = d.v1OHLC(pair, param, recv, dst)
	case chSpread:
		dst, err = d.v1Spread(pair, recv, dst)
	case chBook:
		if len(payload) > 2 {
			return dst, &DecodeError{Reason: ReasonShape, Offset: at[3], Msg: fmt.Sprintf("v1 book array has %d payloads, want 1 or 2", len(payload))}
		}
		return d.v1Book(pair, param, payload, recv, dst)
	}
	if err != nil {
		return dst, inIndex(err, 1)
	}
	return dst, nil
}

// v1ChannelName parses "trade", "ticker", "spread", "book-<depth>" or "ohlc-<minutes>".
func v1ChannelName(b []byte) (ch channelID, param int, ok bool) {
	switch string(b) {
	case "trade":
		return chTrade, 0, true
	case "ticker":
		return chTicker, 0, true
	case "spread":
		return chSpread, 0, true
	case "book":
		return chBook, 0, true
	}
	var rest []byte
	switch {
	case len(b) > 5 && string(b[:5]) == "book-":
		ch, rest = chBook, b[5:]
	case len(b) > 5 && string(b[:5]) == "ohlc-":
		ch, rest = chOHLC, b[5:]
	default:
		return chUnknown, 0, false
	}
	if len(rest) > 6 {
		return chUnknown, 0, false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return chUnknown, 0, false
		}
		param = param*10 + int(c-'0')
	}
	return ch, param, param > 0
}

// pairStr reads a pair name string and returns the canonical, interned pair.
func (d *Decoder) pairStr(api feed.API) (feed.Pair, error) {
	s := &d.s
	s.ws()
	start := s.i
	b, err := s.str()
	if err != nil {
		return "", err
	}
	p, ok := d.syms.pair(api, b)
	if !ok {
		return "", &DecodeError{Reason: ReasonSymbol, Offset: start, Msg: fmt.Sprintf("pair %q is not BASE/QUOTE", b)}
	}
	return p, nil
}

// sign constrains a decoded number.
type sign uint8

const (
	anySign  sign = iota
	nonNeg        // quantities, volumes, counts
	positive      // prices
)

func checkSign(f feed.Fixed, sg sign, start int) error {
	switch {
	case sg == positive && f.Sign() <= 0:
		return &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("%s is not a positive price", f)}
	case sg == nonNeg && f.Sign() < 0:
		return &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("%s must not be negative", f)}
	}
	return nil
}

// v1Fixed reads a v1 number string.
func (d *Decoder) v1Fixed(sg sign) (feed.Fixed, error) {
	s := &d.s
	s.ws()
	start := s.i
	f, err := s.fixedStr()
	if err != nil {
		return f, err
	}
	return f, checkSign(f, sg, start)
}

// v1Side parses a taker side: "b"/"s" on the wire ("buy"/"sell" as the docs print it).
func v1Side(b []byte) (feed.Side, bool) {
	switch string(b) {
	case "b", "buy":
		return feed.Buy, true
	case "s", "sell":
		return feed.Sell, true
	}
	return 0, false
}

// ordType parses a taker order type ("l"/"m" on v1, "limit"/"market" on v2). Kraken may add
// values: an unknown one is OrdUnknown, not an error.
func ordType(b []byte) (feed.OrdType, bool) {
	switch string(b) {
	case "l", "limit":
		return feed.OrdLimit, true
	case "m", "market":
		return feed.OrdMarket, true
	}
	return feed.OrdUnknown, false
}

// v1Trades reads [[price, volume, time, side, orderType, misc(, id)], …].
func (d *Decoder) v1Trades(pair feed.Pair, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
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
		if dst, err = d.v1Trade(pair, recv, dst); err != nil {
			return dst, inIndex(err, k)
		}
	}
	s.close()
	return dst, nil
}

func (d *Decoder) v1Trade(pair feed.Pair, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, err
	}
	var (
		price, qty feed.Fixed
		tr         = feed.Trade{Pair: pair}
		k          int
	)
	for ; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch k {
		case 0:
			price, err = d.v1Fixed(positive)
		case 1:
			qty, err = d.v1Fixed(nonNeg)
		case 2:
			tr.Time, err = s.timeStr(unixTime)
		case 3:
			s.ws()
			start := s.i
			var b []byte
			if b, err = s.str(); err == nil {
				var ok bool
				if tr.Side, ok = v1Side(b); !ok {
					err = &DecodeError{Reason: ReasonShape, Offset: start, Msg: fmt.Sprintf("unknown side %q, want \"b\" or \"s\"", b)}
				}
			}
		case 4:
			var b []byte
			if b, err = s.str(); err == nil {
				var known bool
				if tr.OrdType, known = ordType(b); !known {
					d.stats.UnknownFields++
				}
			}
		case 5: // misc: "" or flags Kraken does not document
			err = s.skip()
		case 6: // not sent as of 2026; accept a trade id should v1 ever add one
			tr.ID, err = d.v1OptionalID()
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inIndex(err, k)
		}
	}
	s.close()
	if k < 5 {
		return dst, s.errf(ReasonShape, "trade has %d elements, want [price, volume, time, side, orderType, misc]", k)
	}
	tr.Price = decimal.New(price.Mant, -price.Scale)
	tr.Qty = decimal.New(qty.Mant, -qty.Scale)
	return append(dst, feed.Event{Kind: feed.KindTrade, API: feed.APIV1, Pair: pair, Time: tr.Time, Trade: tr, Recv: recv}), nil
}

// v1OptionalID reads an optional trailing trade id, a number or a string of digits; anything
// else is skipped and counted.
func (d *Decoder) v1OptionalID() (uint64, error) {
	s := &d.s
	switch c := s.peek(); {
	case c >= '0' && c <= '9':
		return s.uintNum(64)
	case c == '"':
		f, err := s.fixedStr()
		if err == nil && f.Scale == 0 && f.Mant >= 0 {
			return uint64(f.Mant), nil
		}
		d.stats.UnknownFields++
		return 0, nil
	}
	d.stats.UnknownFields++
	return 0, s.skip()
}

// v1Book merges the one or two payload objects of a book message ({"as","bs"} snapshot;
// {"a"}, {"b"}, or both as separate objects, with "c" in the last) into one BookUpdate.
func (d *Decoder) v1Book(pair feed.Pair, depth int, payload []int, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	d.bids, d.asks = d.bids[:0], d.asks[:0]
	var (
		snap, upd bool
		sum       uint32
		hasSum    bool
		latest    time.Time
	)
	for j, at := range payload {
		s.i = at
		if err := s.openObject(); err != nil {
			return dst, inIndex(err, 1+j)
		}
		for n := 0; ; n++ {
			key, more, err := s.nextKey(n)
			if err != nil {
				return dst, inIndex(err, 1+j)
			}
			if !more {
				break
			}
			switch string(key) {
			case "as":
				snap = true
				d.asks, err = d.v1Levels(d.asks, &latest)
				err = inPath(err, "as")
			case "bs":
				snap = true
				d.bids, err = d.v1Levels(d.bids, &latest)
				err = inPath(err, "bs")
			case "a":
				upd = true
				d.asks, err = d.v1Levels(d.asks, &latest)
				err = inPath(err, "a")
			case "b":
				upd = true
				d.bids, err = d.v1Levels(d.bids, &latest)
				err = inPath(err, "b")
			case "c":
				sum, err = d.v1Checksum()
				hasSum = true
				err = inPath(err, "c")
			default:
				d.stats.UnknownFields++
				err = s.skip()
			}
			if err != nil {
				return dst, inIndex(err, 1+j)
			}
		}
		s.close()
	}
	if snap && upd {
		return dst, &DecodeError{Reason: ReasonShape, Offset: payload[0], Msg: "book message mixes snapshot (as/bs) and update (a/b) keys"}
	}
	u := newBookUpdate(pair, d.bids, d.asks)
	u.Snapshot, u.Checksum, u.HasChecksum, u.Time, u.Depth = snap, sum, hasSum, latest, depth
	return append(dst, feed.Event{Kind: feed.KindBook, API: feed.APIV1, Pair: pair, Time: latest, Recv: recv, Book: u}), nil
}

// newBookUpdate copies the scratch levels into one exactly sized allocation.
func newBookUpdate(pair feed.Pair, bids, asks []feed.BookLevel) *feed.BookUpdate {
	levels := make([]feed.BookLevel, len(bids)+len(asks))
	copy(levels, bids)
	copy(levels[len(bids):], asks)
	return &feed.BookUpdate{Pair: pair, Bids: levels[:len(bids):len(bids)], Asks: levels[len(bids):]}
}

// v1Levels reads [[price, volume, timestamp(, "r")], …], appending to dst and keeping the
// latest level time.
func (d *Decoder) v1Levels(dst []feed.BookLevel, latest *time.Time) ([]feed.BookLevel, error) {
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
		if err := s.openArray(); err != nil {
			return dst, inIndex(err, k)
		}
		var lv feed.BookLevel
		j := 0
		for ; ; j++ {
			more, err := s.nextElem(j)
			if err != nil {
				return dst, inIndex(err, k)
			}
			if !more {
				break
			}
			switch j {
			case 0:
				lv.Price, err = d.v1Fixed(positive)
			case 1:
				lv.Qty, err = d.v1Fixed(nonNeg)
			case 2:
				var t time.Time
				if t, err = s.timeStr(unixTime); err == nil && t.After(*latest) {
					*latest = t
				}
			case 3:
				var b []byte
				if b, err = s.str(); err == nil {
					if string(b) == "r" {
						lv.Republish = true
					} else {
						d.stats.UnknownFields++
					}
				}
			default:
				d.stats.UnknownFields++
				err = s.skip()
			}
			if err != nil {
				return dst, inIndex(inIndex(err, j), k)
			}
		}
		s.close()
		if j < 3 {
			return dst, inIndex(s.errf(ReasonShape, "book level has %d elements, want [price, volume, timestamp]", j), k)
		}
		dst = append(dst, lv)
	}
	s.close()
	return dst, nil
}

// v1Checksum reads the quoted CRC32 "c".
func (d *Decoder) v1Checksum() (uint32, error) {
	s := &d.s
	s.ws()
	start := s.i
	b, err := s.str()
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			v = 1 << 32
			break
		}
		v = v*10 + uint64(c-'0')
		if v >= 1<<32 {
			break
		}
	}
	if len(b) == 0 || v >= 1<<32 {
		return 0, &DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("checksum %q is not a 32-bit unsigned integer", b)}
	}
	return uint32(v), nil
}

// fixedAny reads a number sent either as a string or as a JSON number (the v1 ticker mixes
// them: ["37080.20000", 0, "0.49479977"]).
func (d *Decoder) fixedAny(sg sign) (feed.Fixed, error) {
	s := &d.s
	if s.peek() == '"' {
		return d.v1Fixed(sg)
	}
	start := s.i
	f, err := s.fixedNum()
	if err != nil {
		return f, err
	}
	return f, checkSign(f, sg, start)
}

// v1Numbers reads an array of up to len(out) numbers (extra elements are skipped and
// counted) and returns how many there were.
func (d *Decoder) v1Numbers(out []feed.Fixed) (int, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return 0, err
	}
	k := 0
	for ; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return k, err
		}
		if !more {
			break
		}
		if k < len(out) {
			out[k], err = d.fixedAny(nonNeg)
		} else {
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return k, inIndex(err, k)
		}
	}
	s.close()
	return k, nil
}

// v1Ticker reads {"a":[price, wholeLot, lot], "b":[…], "c":[price, volume], "v","p","t","l","h","o":[today, 24h]}.
func (d *Decoder) v1Ticker(pair feed.Pair, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openObject(); err != nil {
		return dst, err
	}
	t := &feed.Ticker{Pair: pair}
	var v [3]feed.Fixed
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		var field string
		var want int // elements required
		switch string(key) {
		case "a", "b":
			field, want = string(key), 1
		case "c":
			field, want = "c", 1
		case "v", "p", "t", "l", "h", "o":
			field, want = string(key), 2
		default:
			d.stats.UnknownFields++
			if err := s.skip(); err != nil {
				return dst, err
			}
			continue
		}
		s.ws()
		start := s.i
		v = [3]feed.Fixed{}
		got, err := d.v1Numbers(v[:])
		if err != nil {
			return dst, inPath(err, field)
		}
		if got < want {
			return dst, inPath(&DecodeError{Reason: ReasonShape, Offset: start, Msg: fmt.Sprintf("%d elements, want at least %d", got, want)}, field)
		}
		switch field {
		case "a":
			t.Ask, t.AskQty = v[0].Decimal(), v[2].Decimal()
		case "b":
			t.Bid, t.BidQty = v[0].Decimal(), v[2].Decimal()
		case "c":
			t.Last, t.LastQty = v[0].Decimal(), v[1].Decimal()
		case "v":
			t.Volume = v[1].Decimal()
		case "p":
			t.VWAP = v[1].Decimal()
		case "l":
			t.Low = v[1].Decimal()
		case "h":
			t.High = v[1].Decimal()
		case "o":
			t.Open = v[1].Decimal()
		case "t":
			if v[1].Scale != 0 {
				return dst, inPath(&DecodeError{Reason: ReasonNumber, Offset: start, Msg: fmt.Sprintf("trade count %s is not an integer", v[1])}, field)
			}
			t.Trades = v[1].Mant
		}
	}
	s.close()
	return append(dst, feed.Event{Kind: feed.KindTicker, API: feed.APIV1, Pair: pair, Recv: recv, Ticker: t}), nil
}

// v1OHLC reads [time, etime, open, high, low, close, vwap, volume, count]; time is the last
// update, etime the end of the interval.
func (d *Decoder) v1OHLC(pair feed.Pair, minutes int, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, err
	}
	c := &feed.Candle{Pair: pair, Interval: time.Duration(minutes) * time.Minute}
	var at, end time.Time
	var f feed.Fixed
	k := 0
	for ; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch {
		case k == 0:
			at, err = s.timeStr(unixTime)
		case k == 1:
			end, err = s.timeStr(unixTime)
		case k >= 2 && k <= 7:
			sg := positive
			if k == 7 {
				sg = nonNeg
			}
			if f, err = d.v1Fixed(sg); err == nil {
				v := f.Decimal()
				switch k {
				case 2:
					c.Open = v
				case 3:
					c.High = v
				case 4:
					c.Low = v
				case 5:
					c.Close = v
				case 6:
					c.VWAP = v
				case 7:
					c.Volume = v
				}
			}
		case k == 8:
			var n uint64
			n, err = s.uintNum(63)
			c.Trades = int64(n)
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inIndex(err, k)
		}
	}
	s.close()
	if k < 8 {
		return dst, s.errf(ReasonShape, "ohlc has %d elements, want [time, etime, open, high, low, close, vwap, volume, count]", k)
	}
	c.Start = end.Add(-c.Interval)
	return append(dst, feed.Event{Kind: feed.KindCandle, API: feed.APIV1, Pair: pair, Time: at, Recv: recv, Candle: c}), nil
}

// v1Spread reads [bid, ask, timestamp, bidVolume, askVolume] (volumes were added later: optional).
func (d *Decoder) v1Spread(pair feed.Pair, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	s := &d.s
	if err := s.openArray(); err != nil {
		return dst, err
	}
	sp := &feed.Spread{Pair: pair}
	var f feed.Fixed
	k := 0
	for ; ; k++ {
		more, err := s.nextElem(k)
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		switch k {
		case 0, 1:
			if f, err = d.v1Fixed(positive); err == nil {
				if k == 0 {
					sp.Bid = f.Decimal()
				} else {
					sp.Ask = f.Decimal()
				}
			}
		case 2:
			sp.Time, err = s.timeStr(unixTime)
		case 3, 4:
			if f, err = d.v1Fixed(nonNeg); err == nil {
				if k == 3 {
					sp.BidQty = f.Decimal()
				} else {
					sp.AskQty = f.Decimal()
				}
			}
		default:
			d.stats.UnknownFields++
			err = s.skip()
		}
		if err != nil {
			return dst, inIndex(err, k)
		}
	}
	s.close()
	if k < 3 {
		return dst, s.errf(ReasonShape, "spread has %d elements, want [bid, ask, timestamp, bidVolume, askVolume]", k)
	}
	return append(dst, feed.Event{Kind: feed.KindSpread, API: feed.APIV1, Pair: pair, Time: sp.Time, Recv: recv, Spread: sp}), nil
}
