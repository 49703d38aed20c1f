package kraken

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"go.uber.org/zap"
)

// Decoder turns Kraken WebSocket frames into normalised feed.Events, telling v1 from v2 per
// frame: a JSON array is v1 channel data, an object with "event" a v1 event, an object with
// "channel" or "method" v2.
//
// Numbers are exact (never float64): prices and quantities become decimal.Decimal with the
// wire's exponent, book levels feed.Fixed with the wire's precision, as the book checksum
// needs. Pairs come out in the canonical v2 spelling (XBT/USD on v1 becomes BTC/USD) and are
// interned, so decoding a known pair does not allocate.
//
// The frequent shapes (v1 trade, book, ticker, ohlc and spread arrays; v2 trade, book,
// ticker and ohlc frames) are read by a small scanner over the bytes; the rare ones (status,
// instrument, acknowledgements, pongs) go through encoding/json with json.Number.
//
// Unknown channels, events, methods and fields are skipped and counted (Stats). A malformed
// frame yields a *DecodeError saying what and where; it never panics.
//
// A Decoder keeps scratch buffers and counters: it is not safe for concurrent use. Use one per
// connection (or per goroutine).
type Decoder struct {
	log   *zap.Logger
	s     scanner
	syms  symbolTable
	bids  []feed.BookLevel // scratch for the levels of one book message
	asks  []feed.BookLevel
	stats Stats
}

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// WithLogger makes the decoder log skipped messages and malformed frames at debug level.
func WithLogger(l *zap.Logger) DecoderOption {
	return func(d *Decoder) {
		if l != nil {
			d.log = l
		}
	}
}

// NewDecoder returns a decoder.
func NewDecoder(opts ...DecoderOption) *Decoder {
	d := &Decoder{log: zap.NewNop()}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Stats returns the decoder's counters.
func (d *Decoder) Stats() Stats { return d.stats }

// Decode appends the normalised events of one frame (v1 or v2) to dst and returns the
// extended slice: one event per trade, per book message, per ticker or candle entry, per
// status, per acknowledgement. Every event gets API, Kind, Pair (when the message names one),
// Time (the exchange's time when the message carries one) and Recv = recv.
//
// A frame that is well formed but of no interest (an unknown or private channel, an unknown
// event) appends nothing and returns no error. On error dst is returned with its original
// length: no partial events are left behind. The frame is not retained.
func (d *Decoder) Decode(frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	return d.decode(feed.APINone, frame, recv, dst)
}

// DecodeV1 is Decode for a connection known to speak v1: v2 shapes are errors.
func (d *Decoder) DecodeV1(frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	return d.decode(feed.APIV1, frame, recv, dst)
}

// DecodeV2 is Decode for a connection known to speak v2: v1 shapes are errors.
func (d *Decoder) DecodeV2(frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	return d.decode(feed.APIV2, frame, recv, dst)
}

func (d *Decoder) decode(want feed.API, frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	d.stats.Frames++
	n0 := len(dst)
	out, api, err := d.route(want, frame, recv, dst)
	if err != nil {
		clear(out[n0:])
		de, ok := err.(*DecodeError)
		if !ok {
			de = &DecodeError{Reason: ReasonShape, Offset: -1, Msg: err.Error()}
		}
		if de.API == feed.APINone {
			de.API = api
		}
		d.stats.Malformed.add(de.Reason)
		if ce := d.log.Check(zap.DebugLevel, "kraken: malformed frame"); ce != nil {
			ce.Write(zap.Error(de), zap.ByteString("frame", clip(frame, 256)))
		}
		return out[:n0], de
	}
	d.stats.Events += uint64(len(out) - n0)
	return out, nil
}

// clip returns at most n bytes of b, for logs and messages.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// route decodes by the frame's first significant byte and returns the API it identified.
func (d *Decoder) route(want feed.API, frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, feed.API, error) {
	s := &d.s
	s.reset(frame)
	switch s.peek() {
	case '[':
		if want == feed.APIV2 {
			return dst, feed.APIV2, s.errf(ReasonShape, "a JSON array is a v1 frame, not v2")
		}
		out, err := d.v1Array(recv, dst)
		return out, feed.APIV1, err
	case '{':
		return d.object(want, frame, recv, dst)
	case 0:
		return dst, want, &DecodeError{Reason: ReasonNotJSON, Offset: 0, Msg: "empty frame"}
	}
	if json.Valid(frame) {
		return dst, want, s.errf(ReasonShape, "a top-level JSON %s is not a Kraken message", jsonKind(s.b[s.i]))
	}
	return dst, want, &DecodeError{Reason: ReasonNotJSON, Offset: 0, Msg: fmt.Sprintf("not JSON: %q", clip(frame, 64))}
}

func jsonKind(c byte) string {
	switch {
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	}
	return "number"
}

// channelID names the channels the decoder knows.
type channelID uint8

const (
	chUnknown channelID = iota
	chTrade
	chBook
	chTicker
	chOHLC
	chSpread // v1 only
	chHeartbeat
	chStatus
	chInstrument
)

// frameType is a v2 frame's "type".
type frameType uint8

const (
	typeAbsent frameType = iota
	typeSnapshot
	typeUpdate
	typeOther
)

// Bits of the routing keys seen at the top of an object.
const (
	keyChannel uint8 = 1 << iota
	keyMethod
	keyEvent
	keyType
	keyData
	keyTimestamp
)

// object decodes a frame that is a JSON object: it scans the top-level keys once (validating
// the whole frame), then routes by key — never by position. v2 data frames are parsed in
// place by the scanner (when "channel" comes before "data", as Kraken sends it, in the same
// pass); everything else is handed to encoding/json.
func (d *Decoder) object(want feed.API, frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, feed.API, error) {
	s := &d.s
	n0 := len(dst)
	if err := s.openObject(); err != nil {
		return dst, want, err
	}
	var (
		seen   uint8
		others uint64
		f      = v2Frame{dataAt: -1, n0: n0}
		name   string // the method or event
	)
	for n := 0; ; n++ {
		key, more, err := s.nextKey(n)
		if err != nil {
			return dst, want, err
		}
		if !more {
			break
		}
		var bit uint8
		switch string(key) {
		case "channel":
			bit = keyChannel
		case "method":
			bit = keyMethod
		case "event":
			bit = keyEvent
		case "type":
			bit = keyType
		case "data":
			bit = keyData
		case "timestamp":
			bit = keyTimestamp
		default:
			others++
			if err := s.skip(); err != nil {
				return dst, want, err
			}
			continue
		}
		if seen&bit != 0 {
			return dst, want, s.errf(ReasonShape, "duplicate key %q", key)
		}
		seen |= bit
		switch bit {
		case keyChannel:
			v, err := s.str()
			if err != nil {
				return dst, feed.APIV2, inPath(err, "channel")
			}
			f.ch = v2ChannelName(v)
			if f.ch == chUnknown {
				f.name = string(v)
			}
		case keyType:
			v, err := s.str()
			if err != nil {
				return dst, feed.APIV2, inPath(err, "type")
			}
			switch string(v) {
			case "snapshot":
				f.typ, f.snapshot = typeSnapshot, true
			case "update":
				f.typ = typeUpdate
			default:
				f.typ = typeOther
			}
		case keyTimestamp:
			t, err := s.timeStr(rfc3339)
			if err != nil {
				return dst, feed.APIV2, inPath(err, "timestamp")
			}
			f.time = t
		case keyData:
			s.ws()
			f.dataAt = s.i
			if seen&(keyChannel|keyMethod|keyEvent) == keyChannel && f.ch.v2Hot() {
				dst, err = d.v2Data(f.ch, recv, dst)
				if err != nil {
					return dst, feed.APIV2, err
				}
				f.parsed = true
			} else if err := s.skip(); err != nil {
				return dst, want, inPath(err, "data")
			}
		case keyMethod, keyEvent:
			v, err := s.str()
			if err != nil {
				return dst, want, inPath(err, string(key))
			}
			name = controlName(v)
		}
	}
	s.close()
	if err := s.end(); err != nil {
		return dst, want, err
	}

	switch {
	case seen&keyMethod != 0:
		if want == feed.APIV1 {
			return dst, feed.APIV1, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: `an object with "method" is a v2 frame, not v1`}
		}
		clear(dst[n0:])
		out, err := d.v2Method(frame, name, recv, dst[:n0])
		return out, feed.APIV2, err
	case seen&keyChannel != 0:
		if want == feed.APIV1 {
			return dst, feed.APIV1, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: `an object with "channel" is a v2 frame, not v1`}
		}
		d.stats.UnknownFields += others
		out, err := d.v2Channel(&f, frame, recv, dst)
		return out, feed.APIV2, err
	case seen&keyEvent != 0:
		if want == feed.APIV2 {
			return dst, feed.APIV2, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: `an object with "event" is a v1 frame, not v2`}
		}
		out, err := d.v1Event(frame, name, recv, dst)
		return out, feed.APIV1, err
	}
	return dst, want, &DecodeError{Reason: ReasonShape, Offset: 0, Msg: `object has no "channel", "method" or "event" key`}
}

// controlName returns a method or event name, without allocating for the known ones.
func controlName(b []byte) string {
	switch string(b) {
	case "heartbeat":
		return "heartbeat"
	case "pong":
		return "pong"
	case "subscribe":
		return "subscribe"
	case "unsubscribe":
		return "unsubscribe"
	case "systemStatus":
		return "systemStatus"
	case "subscriptionStatus":
		return "subscriptionStatus"
	case "error":
		return "error"
	}
	return string(b)
}

// v2ChannelName classifies a v2 channel name.
func v2ChannelName(b []byte) channelID {
	switch string(b) {
	case "trade":
		return chTrade
	case "book":
		return chBook
	case "ticker":
		return chTicker
	case "ohlc":
		return chOHLC
	case "heartbeat":
		return chHeartbeat
	case "status":
		return chStatus
	case "instrument":
		return chInstrument
	}
	return chUnknown
}

// v2Hot reports whether the channel's data is read by the scanner.
func (c channelID) v2Hot() bool { return c >= chTrade && c <= chOHLC }

// unknown counts and logs a well-formed message the decoder does not handle.
func (d *Decoder) unknown(api feed.API, what, name string) {
	d.stats.Unknown++
	if ce := d.log.Check(zap.DebugLevel, "kraken: skipping unknown message"); ce != nil {
		ce.Write(zap.Stringer("api", api), zap.String("kind", what), zap.String("name", name))
	}
}
