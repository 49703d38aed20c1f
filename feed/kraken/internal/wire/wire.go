// Package wire writes Kraken's trade and book frames by hand, the way Kraken prints them. It is
// internal because its callers are the project's own: kraken.Encoder (events to frames, for
// synthetic recordings and the history importers) and the look-alike server (krakentest),
// which encodes a frame once per stream for all subscribers. A library user encodes events
// with kraken.Encoder, which knows the pairs' precision and keeps the books for checksums.
package wire

import (
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
)

// The frame encoders write trade and book frames the way Kraken prints them, so that the
// decoders read them back exactly: numbers from feed.Fixed text (never float64) at the pair's
// precision with trailing zeros, v2 numbers bare and v1 numbers quoted, fields in the wire's
// order. They are shared by the Kraken look-alike server (krakentest), synthetic recordings
// (papertrade tape synth) and the history importers (feed/tape). They do not allocate beyond
// growing dst.

// Trade is one trade as a trade frame carries it.
type Trade struct {
	Side    feed.Side    // the taker's side; Buy or Sell
	OrdType feed.OrdType // the taker's order type; OrdUnknown leaves it out (v2) or empty (v1)
	Price   feed.Fixed
	Qty     feed.Fixed
	ID      uint64    // v2 trade_id; 0 leaves it out (v1 never carries one)
	Time    time.Time // printed exactly: microseconds, or nanoseconds when it has them
}

// atDecimals returns f with the given number of decimals when that is exact, else f unchanged:
// a number with more decimals than the pair allows keeps its own text rather than being
// rounded. Negative decimals keep f's own precision.
func atDecimals(f feed.Fixed, decimals int32) feed.Fixed {
	if decimals >= 0 && decimals != f.Scale {
		if g, ok := f.Rescale(decimals); ok {
			return g
		}
	}
	return f
}

// appendNum appends f at decimals as a JSON number (v2).
func appendNum(dst []byte, f feed.Fixed, decimals int32) []byte {
	return atDecimals(f, decimals).AppendText(dst)
}

// appendNumQ appends f at decimals as a JSON string (v1, REST).
func appendNumQ(dst []byte, f feed.Fixed, decimals int32) []byte {
	dst = append(dst, '"')
	dst = atDecimals(f, decimals).AppendText(dst)
	return append(dst, '"')
}

// AppendV2Stamp appends t as a quoted RFC 3339 UTC time: six decimals as Kraken prints trade
// and book times, nine when t has nanoseconds (REST history carries 100 ns), so that no
// digit is lost.
func AppendV2Stamp(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	if t.Nanosecond()%1000 == 0 {
		dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	} else {
		dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	}
	return append(dst, '"')
}

// appendV1Stamp appends t as v1's quoted "seconds.micros" (nine decimals when t has
// nanoseconds).
func appendV1Stamp(dst []byte, t time.Time) []byte {
	ns := t.UnixNano()
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec--
		frac += 1e9
	}
	width := 9
	if frac%1000 == 0 {
		frac /= 1000
		width = 6
	}
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], frac, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// AppendV2Trades appends a v2 trade frame for one pair:
//
//	{"channel":"trade","type":"update","data":[{"symbol":…,"side":…,"price":…,"qty":…,"ord_type":…,"trade_id":…,"timestamp":…},…]}
//
// with "type":"snapshot" when snapshot is set. Prices are printed with priceDecimals and
// quantities with qtyDecimals decimals when that is exact (pass -1 to keep each number's own).
func AppendV2Trades(dst []byte, pair feed.Pair, snapshot bool, priceDecimals, qtyDecimals int32, trades []Trade) []byte {
	dst = append(dst, `{"channel":"trade","type":`...)
	if snapshot {
		dst = append(dst, `"snapshot"`...)
	} else {
		dst = append(dst, `"update"`...)
	}
	dst = append(dst, `,"data":[`...)
	for i := range trades {
		t := &trades[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"symbol":`...)
		dst = jsonstr.Append(dst, string(pair))
		dst = append(dst, `,"side":`...)
		dst = jsonstr.Append(dst, t.Side.String())
		dst = append(dst, `,"price":`...)
		dst = appendNum(dst, t.Price, priceDecimals)
		dst = append(dst, `,"qty":`...)
		dst = appendNum(dst, t.Qty, qtyDecimals)
		if t.OrdType != feed.OrdUnknown {
			dst = append(dst, `,"ord_type":`...)
			dst = jsonstr.Append(dst, t.OrdType.String())
		}
		if t.ID != 0 {
			dst = append(dst, `,"trade_id":`...)
			dst = strconv.AppendUint(dst, t.ID, 10)
		}
		dst = append(dst, `,"timestamp":`...)
		dst = AppendV2Stamp(dst, t.Time)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// AppendV2Book appends a v2 book frame for u:
//
//	{"channel":"book","type":"snapshot"|"update","data":[{"symbol":…,"bids":[{"price":…,"qty":…},…],"asks":[…],"checksum":…,"timestamp":…}]}
//
// The checksum is written when u.HasChecksum, the timestamp when u.Time is not zero (Kraken
// leaves it out of snapshots). Levels are written in u's order.
func AppendV2Book(dst []byte, u *feed.BookUpdate, priceDecimals, qtyDecimals int32) []byte {
	dst = append(dst, `{"channel":"book","type":`...)
	if u.Snapshot {
		dst = append(dst, `"snapshot"`...)
	} else {
		dst = append(dst, `"update"`...)
	}
	dst = append(dst, `,"data":[{"symbol":`...)
	dst = jsonstr.Append(dst, string(u.Pair))
	dst = appendV2Levels(append(dst, `,"bids":`...), u.Bids, priceDecimals, qtyDecimals)
	dst = appendV2Levels(append(dst, `,"asks":`...), u.Asks, priceDecimals, qtyDecimals)
	if u.HasChecksum {
		dst = append(dst, `,"checksum":`...)
		dst = strconv.AppendUint(dst, uint64(u.Checksum), 10)
	}
	if !u.Time.IsZero() {
		dst = append(dst, `,"timestamp":`...)
		dst = AppendV2Stamp(dst, u.Time)
	}
	return append(dst, "}]}"...)
}

func appendV2Levels(dst []byte, levels []feed.BookLevel, pd, qd int32) []byte {
	dst = append(dst, '[')
	for i := range levels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"price":`...)
		dst = appendNum(dst, levels[i].Price, pd)
		dst = append(dst, `,"qty":`...)
		dst = appendNum(dst, levels[i].Qty, qd)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// AppendV1Trades appends a v1 trade frame:
//
//	[channelID,[["price","volume","seconds.micros","b"|"s","l"|"m",""],…],"trade","XBT/USD"]
//
// v1Pair is the pair's v1 name (feed.PairInfo.WSName). priceDecimals and qtyDecimals are the
// decimals of the v1 strings (-1 keeps each number's own).
func AppendV1Trades(dst []byte, channelID int64, v1Pair string, priceDecimals, qtyDecimals int32, trades []Trade) []byte {
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, channelID, 10)
	dst = append(dst, ",["...)
	for i := range trades {
		t := &trades[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = appendNumQ(dst, t.Price, priceDecimals)
		dst = append(dst, ',')
		dst = appendNumQ(dst, t.Qty, qtyDecimals)
		dst = append(dst, ',')
		dst = appendV1Stamp(dst, t.Time)
		dst = append(dst, `,"`...)
		if t.Side == feed.Sell {
			dst = append(dst, 's')
		} else {
			dst = append(dst, 'b')
		}
		dst = append(dst, `","`...)
		switch t.OrdType {
		case feed.OrdLimit:
			dst = append(dst, 'l')
		case feed.OrdMarket:
			dst = append(dst, 'm')
		}
		dst = append(dst, `",""]`...)
	}
	dst = append(dst, ']')
	return appendV1Tail(dst, "trade", v1Pair)
}

func appendV1Tail(dst []byte, channelName, v1Pair string) []byte {
	dst = append(dst, ',')
	dst = jsonstr.Append(dst, channelName)
	dst = append(dst, ',')
	dst = jsonstr.Append(dst, v1Pair)
	return append(dst, ']')
}

// AppendV1Book appends a v1 book frame for u, channel "book-<depth>". A snapshot is
//
//	[channelID,{"as":[["price","volume","time"],…],"bs":[…]},"book-10","XBT/USD"]
//
// with no checksum; an update puts asks and bids in separate objects when both changed, and
// the quoted checksum (when u.HasChecksum) in the last one, as Kraken does:
//
//	[channelID,{"a":[…]},{"b":[…],"c":"123"},"book-10","XBT/USD"]
//
// Levels marked Republish get v1's "r" flag. levelTime gives each level's time stamp; nil
// stamps every level with u.Time.
func AppendV1Book(dst []byte, channelID int64, v1Pair string, depth int, u *feed.BookUpdate, priceDecimals, qtyDecimals int32, levelTime func(side feed.Side, l feed.BookLevel) time.Time) []byte {
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, channelID, 10)
	lv := func(dst []byte, side feed.Side, levels []feed.BookLevel) []byte {
		dst = append(dst, '[')
		for i, l := range levels {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = appendNumQ(dst, l.Price, priceDecimals)
			dst = append(dst, ',')
			dst = appendNumQ(dst, l.Qty, qtyDecimals)
			dst = append(dst, ',')
			t := u.Time
			if levelTime != nil {
				t = levelTime(side, l)
			}
			dst = appendV1Stamp(dst, t)
			if l.Republish {
				dst = append(dst, `,"r"`...)
			}
			dst = append(dst, ']')
		}
		return append(dst, ']')
	}
	ck := func(dst []byte) []byte {
		if u.HasChecksum {
			dst = append(dst, `,"c":"`...)
			dst = strconv.AppendUint(dst, uint64(u.Checksum), 10)
			dst = append(dst, '"')
		}
		return append(dst, '}')
	}
	switch {
	case u.Snapshot:
		dst = lv(append(dst, `,{"as":`...), feed.Sell, u.Asks)
		dst = lv(append(dst, `,"bs":`...), feed.Buy, u.Bids)
		dst = append(dst, '}')
	case len(u.Bids) == 0:
		dst = ck(lv(append(dst, `,{"a":`...), feed.Sell, u.Asks))
	default:
		if len(u.Asks) > 0 {
			dst = lv(append(dst, `,{"a":`...), feed.Sell, u.Asks)
			dst = append(dst, '}')
		}
		dst = ck(lv(append(dst, `,{"b":`...), feed.Buy, u.Bids))
	}
	dst = append(dst, `,"book-`...)
	dst = strconv.AppendInt(dst, int64(depth), 10)
	dst = append(dst, `",`...)
	dst = jsonstr.Append(dst, v1Pair)
	return append(dst, ']')
}
