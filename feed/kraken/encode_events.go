package kraken

import (
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/feed/kraken/internal/wire"
)

// Encoder turns normalised trades and book messages back into the frames Kraken sends on one
// connection, v2 or v1: the inverse of Decoder for the trade and book channels. Numbers are
// printed at the pair's precision (trailing zeros kept) whenever that is exact; book frames
// carry the checksum that a client subscribed at the encoder's depth computes after applying
// them, at the pair's precision, because the Encoder keeps that client's book per pair.
//
// Book messages must therefore come in order, each pair's first one a snapshot, and a book
// whose source keeps more levels than the depth must itself re-send the levels that move into
// view (feed/synth at the same depth does). An Encoder is not safe for concurrent use.
type Encoder struct {
	api   feed.API
	pairs *Pairs
	depth int
	state map[feed.Pair]*encPair
	wt    []wire.Trade
	ck    []byte // checksum input scratch
	ids   int64  // last v1 channel id handed out
}

// encPair is what the Encoder keeps per pair.
type encPair struct {
	info            feed.PairInfo
	pd, v1pd, qd    int32
	book            *feed.Book
	primed          bool
	tradeID, bookID int64 // v1 channel ids
}

// EncoderOption configures an Encoder.
type EncoderOption func(*Encoder)

// EncodePairs sets the pair table that gives each pair's precision and v1 name (default
// DefaultPairs). A pair missing from it cannot be encoded.
func EncodePairs(p *Pairs) EncoderOption { return func(e *Encoder) { e.pairs = p } }

// EncodeDepth sets the subscribed book depth the checksums are computed for (default 10):
// 10, 25, 100, 500 or 1000 as on Kraken.
func EncodeDepth(depth int) EncoderOption { return func(e *Encoder) { e.depth = depth } }

// NewEncoder returns an Encoder writing frames of the given API (feed.APIV1 or feed.APIV2).
func NewEncoder(api feed.API, opts ...EncoderOption) (*Encoder, error) {
	e := &Encoder{api: api, depth: 10, state: make(map[feed.Pair]*encPair)}
	for _, o := range opts {
		o(e)
	}
	if api != feed.APIV1 && api != feed.APIV2 {
		return nil, fmt.Errorf("kraken: encoder API %d is neither v1 nor v2", api)
	}
	switch e.depth {
	case 10, 25, 100, 500, 1000:
	default:
		return nil, fmt.Errorf("kraken: encoder depth %d: %s", e.depth, "Subscription depth not supported")
	}
	if e.pairs == nil {
		e.pairs = DefaultPairs()
	}
	return e, nil
}

// API returns the API the Encoder writes.
func (e *Encoder) API() feed.API { return e.api }

// Depth returns the book depth the checksums are computed for.
func (e *Encoder) Depth() int { return e.depth }

func (e *Encoder) pair(p feed.Pair) (*encPair, error) {
	if ps, ok := e.state[p]; ok {
		return ps, nil
	}
	info, ok := e.pairs.Lookup(p)
	if !ok {
		return nil, fmt.Errorf("kraken: encode: pair %q is not in the pair table", p)
	}
	ps := &encPair{info: *info, pd: info.PriceDecimals, qd: info.LotDecimals, v1pd: max(info.PriceDecimals, 5), book: feed.NewBook(p, e.depth)}
	if ps.info.WSName == "" {
		ps.info.WSName = V2ToV1(p)
	}
	e.ids++
	ps.tradeID = e.ids
	e.ids++
	ps.bookID = e.ids
	e.state[p] = ps
	return ps, nil
}

// AppendTrades appends one trade frame holding trades, which must all be of one pair, with
// the taker side set and a positive price. A trade's Time is printed exactly; its ID and
// OrdType are left out when zero (v2). snapshot marks a v2 trade snapshot.
func (e *Encoder) AppendTrades(dst []byte, snapshot bool, trades []feed.Trade) ([]byte, error) {
	if len(trades) == 0 {
		return dst, errors.New("kraken: encode: no trades")
	}
	pair := trades[0].Pair
	ps, err := e.pair(pair)
	if err != nil {
		return dst, err
	}
	e.wt = e.wt[:0]
	for i := range trades {
		t := &trades[i]
		if t.Pair != pair {
			return dst, fmt.Errorf("kraken: encode: trade %d is %s, the frame's pair is %s", i, t.Pair, pair)
		}
		if t.Side != feed.Buy && t.Side != feed.Sell {
			return dst, fmt.Errorf("kraken: encode: trade %d has no taker side", i)
		}
		price, ok1 := fixedOf(t.Price)
		qty, ok2 := fixedOf(t.Qty)
		if !ok1 || !ok2 {
			return dst, fmt.Errorf("kraken: encode: trade %d: price %s or quantity %s does not fit 18 digits", i, t.Price, t.Qty)
		}
		if price.Sign() <= 0 || qty.Sign() < 0 {
			return dst, fmt.Errorf("kraken: encode: trade %d: price %s must be positive and quantity %s not negative", i, t.Price, t.Qty)
		}
		if t.Time.IsZero() {
			return dst, fmt.Errorf("kraken: encode: trade %d has no time", i)
		}
		pd := ps.pd
		if e.api == feed.APIV1 {
			pd = ps.v1pd
		}
		if !wireFits(price, pd) || !wireFits(qty, ps.qd) {
			return dst, fmt.Errorf("kraken: encode: trade %d: price %s or quantity %s at %s's %d and %d decimals would be over 18 digits, which no decoder reads back", i, t.Price, t.Qty, pair, pd, ps.qd)
		}
		e.wt = append(e.wt, wire.Trade{Side: t.Side, OrdType: t.OrdType, Price: price, Qty: qty, ID: t.ID, Time: t.Time})
	}
	if e.api == feed.APIV1 {
		return wire.AppendV1Trades(dst, ps.tradeID, ps.info.WSName, ps.v1pd, ps.qd, e.wt), nil
	}
	return wire.AppendV2Trades(dst, pair, snapshot, ps.pd, ps.qd, e.wt), nil
}

// AppendBook applies u to the book a client subscribed at the Encoder's depth holds for u's
// pair (truncating after the message, as Kraken's clients must) and appends u as one book
// frame with that book's checksum at the pair's precision; u's own Checksum is ignored. A v2
// snapshot carries no timestamp, as on Kraken; v1 levels are stamped with u.Time. On error
// (an update before the pair's first snapshot, a malformed level) nothing is appended and the
// book is unchanged.
func (e *Encoder) AppendBook(dst []byte, u *feed.BookUpdate) ([]byte, error) {
	ps, err := e.pair(u.Pair)
	if err != nil {
		return dst, err
	}
	if e.api == feed.APIV1 && u.Time.IsZero() {
		return dst, fmt.Errorf("kraken: encode: v1 book message for %s has no time to stamp its levels with", u.Pair)
	}
	if !u.Snapshot && !ps.primed {
		return dst, fmt.Errorf("kraken: encode: book update for %s before its snapshot", u.Pair)
	}
	if err := ps.book.Apply(u); err != nil {
		return dst, fmt.Errorf("kraken: encode: %w", err)
	}
	ps.primed = true
	w := *u
	w.HasChecksum = true
	if e.api == feed.APIV1 {
		w.Checksum = e.checksum(ps.book, ps.v1pd, ps.qd)
		return wire.AppendV1Book(dst, ps.bookID, ps.info.WSName, e.depth, &w, ps.v1pd, ps.qd, nil), nil
	}
	w.Checksum = e.checksum(ps.book, ps.pd, ps.qd)
	if w.Snapshot {
		w.Time = time.Time{}
	}
	return wire.AppendV2Book(dst, &w, ps.pd, ps.qd), nil
}

// checksum is Checksum computed over one buffer: a generator encodes millions of book
// messages, and hashing the whole input at once runs crc32's vector code instead of a
// table loop per token.
func (e *Encoder) checksum(b *feed.Book, pd, qd int32) uint32 {
	buf := e.ck[:0]
	for _, side := range [2]feed.Side{feed.Sell, feed.Buy} {
		for i := range min(b.Len(side), checksumLevels) {
			l := b.Level(side, i)
			buf = appendToken(buf, l.Price, pd)
			buf = appendToken(buf, l.Qty, qd)
		}
	}
	e.ck = buf
	return crc32.ChecksumIEEE(buf)
}

// Book returns the book a client at the Encoder's depth holds for pair, or nil before the
// pair's first book message. It belongs to the Encoder: read it, do not modify it.
func (e *Encoder) Book(pair feed.Pair) *feed.Book {
	if ps, ok := e.state[pair]; ok && ps.primed {
		return ps.book
	}
	return nil
}

// fixedOf converts d exactly without allocating when its coefficient has at most 15 digits
// (every price and quantity Kraken prints); larger ones take the general path.
// wireFits reports whether f, written at decimals as the frame appenders write it (rescaled
// when that is exact), has at most 18 significant digits: feed.ParseFixed refuses more, so a
// frame holding it could be written but never decoded (issue 15 item 10: a price of 2^62, or
// 1e11 at DOGE/USD's 7 decimals). It counts digits instead of formatting, to stay
// allocation-free on the encoder's path.
func wireFits(f feed.Fixed, decimals int32) bool {
	if decimals >= 0 && decimals != f.Scale {
		if g, ok := f.Rescale(decimals); ok {
			f = g
		}
	}
	if f.Scale > feed.MaxScale {
		return false
	}
	m := uint64(f.Mant)
	if f.Mant < 0 {
		m = -m
	}
	n := 0
	for ; m > 0; m /= 10 {
		n++
	}
	if n > 0 && f.Scale < 0 {
		n += int(-f.Scale) // written with trailing zeros
	}
	return n <= 18
}

func fixedOf(d decimal.Decimal) (feed.Fixed, bool) {
	exp := d.Exponent()
	if exp <= 0 && exp >= -feed.MaxScale && d.NumDigits() <= 15 {
		return feed.Fixed{Mant: d.CoefficientInt64(), Scale: -exp}, true
	}
	return feed.FixedFromDecimal(d)
}

// AppendSubscribed appends the acknowledgement Kraken sends for a successful subscription of
// pair to channel ("trade" or "book", the latter at the Encoder's depth), received at t:
//
//	{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":…,"time_out":…}
//	{"channelID":2,"channelName":"book-10","event":"subscriptionStatus","pair":"XBT/USD","status":"subscribed","subscription":{"depth":10,"name":"book"}}
//
// A recording that starts with them says its book depth the way a live one does, so that
// tools keeping books (decode --books, tape info) know it.
func (e *Encoder) AppendSubscribed(dst []byte, channel string, pair feed.Pair, t time.Time) ([]byte, error) {
	if channel != "trade" && channel != "book" {
		return dst, fmt.Errorf("kraken: encode: acknowledgement for channel %q: only trade and book", channel)
	}
	ps, err := e.pair(pair)
	if err != nil {
		return dst, err
	}
	book := channel == "book"
	if e.api == feed.APIV1 {
		id := ps.tradeID
		dst = append(dst, `{"channelID":`...)
		if book {
			id = ps.bookID
		}
		dst = strconv.AppendInt(dst, id, 10)
		dst = append(dst, `,"channelName":"`...)
		dst = append(dst, channel...)
		if book {
			dst = append(dst, '-')
			dst = strconv.AppendInt(dst, int64(e.depth), 10)
		}
		dst = append(dst, `","event":"subscriptionStatus","pair":`...)
		dst = jsonstr.Append(dst, ps.info.WSName)
		dst = append(dst, `,"status":"subscribed","subscription":{`...)
		if book {
			dst = append(dst, `"depth":`...)
			dst = strconv.AppendInt(dst, int64(e.depth), 10)
			dst = append(dst, ',')
		}
		dst = append(dst, `"name":"`...)
		dst = append(dst, channel...)
		return append(dst, `"}}`...), nil
	}
	dst = append(dst, `{"method":"subscribe","result":{"channel":"`...)
	dst = append(dst, channel...)
	dst = append(dst, '"')
	if book {
		dst = append(dst, `,"depth":`...)
		dst = strconv.AppendInt(dst, int64(e.depth), 10)
	}
	dst = append(dst, `,"snapshot":`...)
	dst = strconv.AppendBool(dst, book)
	dst = append(dst, `,"symbol":`...)
	dst = jsonstr.Append(dst, string(pair))
	dst = append(dst, `},"success":true,"time_in":`...)
	dst = wire.AppendV2Stamp(dst, t)
	dst = append(dst, `,"time_out":`...)
	dst = wire.AppendV2Stamp(dst, t)
	return append(dst, '}'), nil
}
