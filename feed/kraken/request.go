package kraken

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/feed/kraken/internal/wsreq"
)

// Request is a public WebSocket request on either API: subscribe, unsubscribe or ping.
// Encode it with AppendV1 or AppendV2. (The look-alike server reads requests with the
// project's one request parser, which the encoders are tested against.)
type Request struct {
	Method string // "subscribe", "unsubscribe" or "ping"

	Channel string      // trade, book, ticker, ohlc, spread (v1 only), instrument (v2 only)
	Pairs   []feed.Pair // v2 names; the v1 encoder maps them (BTC/USD → XBT/USD)

	Depth        int    // book: 10, 25, 100, 500 or 1000; 0 = Kraken's default (10)
	Interval     int    // ohlc minutes: 1, 5, 15, 30, 60, 240, 1440, 10080, 21600; 0 = default
	EventTrigger string // v2 ticker: "bbo" or "trades"; "" = Kraken's default (trades)
	// Snapshot asks v2 for a snapshot. AppendV2 always sends it on a subscribe, because
	// Kraken's documented default and its behaviour disagree (PROTOCOL.md §9.1).
	Snapshot bool

	ReqID    int64
	HasReqID bool
}

var (
	validDepths    = wsreq.Depths
	validIntervals = wsreq.Intervals
)

// errRequestEncode is wrapped by the encoders' errors.
var errRequestEncode = errors.New("kraken: cannot encode request")

func encodeErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errRequestEncode}, args...)...)
}

// check validates a request for encoding on api.
func (r *Request) check(api feed.API) error {
	switch r.Method {
	case "ping":
		return nil
	case "subscribe", "unsubscribe":
	default:
		return encodeErr("unknown method %q", r.Method)
	}
	switch r.Channel {
	case "trade", "book", "ticker", "ohlc":
	case "spread":
		if api != feed.APIV1 {
			return encodeErr("the spread channel is v1 only (use ticker with event_trigger bbo)")
		}
	case "instrument":
		if api != feed.APIV2 {
			return encodeErr("the instrument channel is v2 only")
		}
	default:
		return encodeErr("unknown channel %q", r.Channel)
	}
	if r.Channel != "instrument" && len(r.Pairs) == 0 {
		return encodeErr("%s %s needs at least one pair", r.Method, r.Channel)
	}
	for _, p := range r.Pairs {
		if !validPairName([]byte(p)) {
			return encodeErr("pair %q is not BASE/QUOTE", p)
		}
	}
	if r.Depth != 0 && (r.Channel != "book" || !slices.Contains(validDepths, r.Depth)) {
		return encodeErr("depth %d for channel %s (want one of %v on book)", r.Depth, r.Channel, validDepths)
	}
	if r.Interval != 0 && (r.Channel != "ohlc" || !slices.Contains(validIntervals, r.Interval)) {
		return encodeErr("interval %d for channel %s (want one of %v on ohlc)", r.Interval, r.Channel, validIntervals)
	}
	if r.EventTrigger != "" && (api != feed.APIV2 || r.Channel != "ticker" || (r.EventTrigger != "bbo" && r.EventTrigger != "trades")) {
		return encodeErr("event_trigger %q (v2 ticker only: bbo or trades)", r.EventTrigger)
	}
	return nil
}

// AppendV1 appends the v1 frame for r:
//
//	{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":10},"reqid":1}
//	{"event":"ping","reqid":42}
func (r *Request) AppendV1(dst []byte) ([]byte, error) {
	if err := r.check(feed.APIV1); err != nil {
		return dst, err
	}
	b := append(dst, `{"event":`...)
	b = jsonstr.Append(b, r.Method)
	if r.Method != "ping" {
		b = append(b, `,"pair":[`...)
		for i, p := range r.Pairs {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, V2ToV1(p))
		}
		b = append(b, `],"subscription":{"name":`...)
		b = jsonstr.Append(b, r.Channel)
		if r.Depth != 0 {
			b = append(b, `,"depth":`...)
			b = strconv.AppendInt(b, int64(r.Depth), 10)
		}
		if r.Interval != 0 {
			b = append(b, `,"interval":`...)
			b = strconv.AppendInt(b, int64(r.Interval), 10)
		}
		b = append(b, '}')
	}
	if r.HasReqID {
		b = append(b, `,"reqid":`...)
		b = strconv.AppendInt(b, r.ReqID, 10)
	}
	return append(b, '}'), nil
}

// AppendV2 appends the v2 frame for r:
//
//	{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":11}
//	{"method":"ping","req_id":101}
func (r *Request) AppendV2(dst []byte) ([]byte, error) {
	if err := r.check(feed.APIV2); err != nil {
		return dst, err
	}
	b := append(dst, `{"method":`...)
	b = jsonstr.Append(b, r.Method)
	if r.Method != "ping" {
		b = append(b, `,"params":{"channel":`...)
		b = jsonstr.Append(b, r.Channel)
		if r.Channel != "instrument" {
			b = append(b, `,"symbol":[`...)
			for i, p := range r.Pairs {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonstr.Append(b, string(p))
			}
			b = append(b, ']')
		}
		if r.Depth != 0 {
			b = append(b, `,"depth":`...)
			b = strconv.AppendInt(b, int64(r.Depth), 10)
		}
		if r.Interval != 0 {
			b = append(b, `,"interval":`...)
			b = strconv.AppendInt(b, int64(r.Interval), 10)
		}
		if r.EventTrigger != "" {
			b = append(b, `,"event_trigger":`...)
			b = jsonstr.Append(b, r.EventTrigger)
		}
		if r.Method == "subscribe" {
			b = append(b, `,"snapshot":`...)
			b = strconv.AppendBool(b, r.Snapshot)
		}
		b = append(b, '}')
	}
	if r.HasReqID {
		b = append(b, `,"req_id":`...)
		b = strconv.AppendInt(b, r.ReqID, 10)
	}
	return append(b, '}'), nil
}
