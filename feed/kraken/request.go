package kraken

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
)

// Request is a public WebSocket request on either API: subscribe, unsubscribe or ping.
// Encode it with AppendV1 or AppendV2; ParseRequest reads one back (a test server's side).
type Request struct {
	API    feed.API // the API a parsed request came in on; ignored by the encoders
	Method string   // "subscribe", "unsubscribe" or "ping"

	Channel string      // trade, book, ticker, ohlc, spread (v1 only), instrument (v2 only)
	Pairs   []feed.Pair // v2 names; the v1 encoder maps them (BTC/USD → XBT/USD)
	// Names are the pair names exactly as a parsed request sent them (v1 names on v1), so a
	// server can echo them; the encoders ignore them.
	Names []string

	Depth        int    // book: 10, 25, 100, 500 or 1000; 0 = Kraken's default (10)
	Interval     int    // ohlc minutes: 1, 5, 15, 30, 60, 240, 1440, 10080, 21600; 0 = default
	EventTrigger string // v2 ticker: "bbo" or "trades"; "" = Kraken's default (trades)
	// Snapshot asks v2 for a snapshot. AppendV2 always sends it on a subscribe, because
	// Kraken's documented default and its behaviour disagree (PROTOCOL.md §9.1).
	Snapshot    bool
	HasSnapshot bool // a parsed request said snapshot explicitly

	ReqID    int64
	HasReqID bool
}

// RequestError is ParseRequest's error: Text is what Kraken answers for such a request
// ("Subscription depth not supported", "Malformed request", …) so that a server can send
// it back verbatim; Detail says more for logs and tests.
type RequestError struct {
	API    feed.API
	Text   string
	Detail string
}

func (e *RequestError) Error() string {
	s := "kraken: " + e.API.String() + " request: " + e.Text
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Kraken's error texts for malformed requests (PROTOCOL.md §2).
const (
	ErrTextMalformed        = "Malformed request"
	ErrTextDepth            = "Subscription depth not supported"
	ErrTextInterval         = "Subscription ohlc interval not supported"
	ErrTextNeedInterval     = "Subscription ohlc requires interval"
	ErrTextV1PairArray      = "Pair field must be an array"
	ErrTextV1PairFormat     = "Currency pair not in ISO 4217-A3 format " // + the pair
	ErrTextV1SubObject      = "Subscription field must be an object"
	ErrTextV1Name           = "Subscription name invalid"
	ErrTextV1Field          = "Subscription object unsupported field"
	ErrTextV1DepthInt       = "Subscription book depth must be an integer"
	ErrTextV1IntervalInt    = "Subscription ohlc interval must be an integer"
	ErrTextV1PairNotFound   = "Pair(s) not found"
	ErrTextV2Unsupported    = "Unsupported event"
	ErrTextV2PairNotSupport = "Currency pair not supported " // + the pair
)

var (
	validDepths    = []int{10, 25, 100, 500, 1000}
	validIntervals = []int{1, 5, 15, 30, 60, 240, 1440, 10080, 21600}
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

// ParseRequest parses a client request of either API (an object with "event" is v1, with
// "method" v2) into a Request with v2 pair names. For a request Kraken would reject, it
// returns a *RequestError whose Text is Kraken's answer, along with whatever it could parse
// (API, Method and ReqID when readable), so that a server can address its error reply. It
// checks the form only: whether pairs exist is the server's business.
func ParseRequest(frame []byte) (Request, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(frame, &top); err != nil || top == nil {
		detail := "not a JSON object"
		if err != nil {
			detail = err.Error()
		}
		return Request{}, &RequestError{Text: ErrTextMalformed, Detail: detail}
	}
	_, v1 := top["event"]
	_, v2 := top["method"]
	switch {
	case v1 && !v2:
		return parseV1Request(top)
	case v2 && !v1:
		return parseV2Request(top)
	}
	return Request{}, &RequestError{Text: ErrTextMalformed, Detail: `want exactly one of "event" (v1) and "method" (v2)`}
}

// sortedRequestKeys returns m's keys in order, so that the first offending key reported is
// deterministic.
func sortedRequestKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonInt parses raw as a JSON integer (no fraction, no exponent).
func jsonInt(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	v, err := strconv.ParseInt(string(raw), 10, 64)
	return v, err == nil
}

func parseV1Request(top map[string]json.RawMessage) (Request, error) {
	r := Request{API: feed.APIV1}
	fail := func(text, detail string) (Request, error) {
		return r, &RequestError{API: feed.APIV1, Text: text, Detail: detail}
	}
	if json.Unmarshal(top["event"], &r.Method) != nil {
		return fail(ErrTextMalformed, "event is not a string")
	}
	if raw, ok := top["reqid"]; ok {
		id, ok := jsonInt(raw)
		if !ok {
			return fail(ErrTextMalformed, "reqid is not an integer")
		}
		r.ReqID, r.HasReqID = id, true
	}
	switch r.Method {
	case "ping":
		return r, nil
	case "subscribe", "unsubscribe":
	default:
		return fail(ErrTextMalformed, fmt.Sprintf("unknown event %q", r.Method))
	}
	for _, k := range sortedRequestKeys(top) {
		switch k {
		case "event", "reqid", "pair", "subscription":
		default:
			return fail(ErrTextMalformed, fmt.Sprintf("unknown field %q", k))
		}
	}
	raw, ok := top["subscription"]
	var sub map[string]json.RawMessage
	if !ok || json.Unmarshal(raw, &sub) != nil || sub == nil {
		return fail(ErrTextV1SubObject, "")
	}
	if json.Unmarshal(sub["name"], &r.Channel) != nil {
		return fail(ErrTextV1Name, "name is not a string")
	}
	switch r.Channel {
	case "trade", "ticker", "spread", "book", "ohlc":
	default:
		return fail(ErrTextV1Name, fmt.Sprintf("unknown or private channel %q", r.Channel))
	}
	for _, k := range sortedRequestKeys(sub) {
		switch {
		case k == "name":
		case k == "depth" && r.Channel == "book":
		case k == "interval" && r.Channel == "ohlc":
		default:
			return fail(ErrTextV1Field, fmt.Sprintf("%q", k))
		}
	}
	if raw, ok := sub["depth"]; ok {
		v, ok := jsonInt(raw)
		if !ok {
			return fail(ErrTextV1DepthInt, "")
		}
		if !slices.Contains(validDepths, int(v)) {
			return fail(ErrTextDepth, fmt.Sprintf("depth %d", v))
		}
		r.Depth = int(v)
	}
	if raw, ok := sub["interval"]; ok {
		v, ok := jsonInt(raw)
		if !ok {
			return fail(ErrTextV1IntervalInt, "")
		}
		if !slices.Contains(validIntervals, int(v)) {
			return fail(ErrTextInterval, fmt.Sprintf("interval %d", v))
		}
		r.Interval = int(v)
	}
	raw, ok = top["pair"]
	if !ok || json.Unmarshal(raw, &r.Names) != nil {
		r.Names = nil
		return fail(ErrTextV1PairArray, "")
	}
	if len(r.Names) == 0 {
		return fail(ErrTextV1PairNotFound, "empty pair list")
	}
	r.Pairs = make([]feed.Pair, len(r.Names))
	for i, n := range r.Names {
		if !validPairName([]byte(n)) {
			return fail(ErrTextV1PairFormat+n, "")
		}
		r.Pairs[i] = V1ToV2(n)
	}
	return r, nil
}

func parseV2Request(top map[string]json.RawMessage) (Request, error) {
	r := Request{API: feed.APIV2}
	fail := func(text, detail string) (Request, error) {
		return r, &RequestError{API: feed.APIV2, Text: text, Detail: detail}
	}
	if json.Unmarshal(top["method"], &r.Method) != nil {
		return fail(ErrTextMalformed, "method is not a string")
	}
	if raw, ok := top["req_id"]; ok {
		id, ok := jsonInt(raw)
		if !ok {
			return fail(ErrTextMalformed, "req_id is not an integer")
		}
		r.ReqID, r.HasReqID = id, true
	}
	switch r.Method {
	case "ping":
		for _, k := range sortedRequestKeys(top) {
			if k != "method" && k != "req_id" {
				return fail("Unsupported field: '"+k+"' for the given msg type: ping", "")
			}
		}
		return r, nil
	case "subscribe", "unsubscribe":
	default:
		return fail(ErrTextV2Unsupported, fmt.Sprintf("unknown method %q", r.Method))
	}
	for _, k := range sortedRequestKeys(top) {
		switch k {
		case "method", "req_id", "params":
		default:
			return fail("Unsupported field: '"+k+"' for the given msg type: "+r.Method, "")
		}
	}
	raw, ok := top["params"]
	var params map[string]json.RawMessage
	if !ok || json.Unmarshal(raw, &params) != nil || params == nil {
		return fail(ErrTextMalformed, "params is not an object")
	}
	if json.Unmarshal(params["channel"], &r.Channel) != nil {
		return fail(ErrTextMalformed, "params.channel is not a string")
	}
	allowed := map[string]bool{"channel": true, "snapshot": true}
	switch r.Channel {
	case "book":
		allowed["symbol"], allowed["depth"] = true, true
	case "trade":
		allowed["symbol"] = true
	case "ticker":
		allowed["symbol"], allowed["event_trigger"] = true, true
	case "ohlc":
		allowed["symbol"], allowed["interval"] = true, true
	case "instrument":
		allowed["include_tokenized_assets"], allowed["execution_venue"] = true, true
	default:
		return fail(ErrTextV2Unsupported, fmt.Sprintf("unknown or private channel %q", r.Channel))
	}
	for _, k := range sortedRequestKeys(params) {
		if !allowed[k] {
			return fail("Unsupported field: '"+k+"' for the given msg type: "+r.Method, "")
		}
	}
	if raw, ok := params["snapshot"]; ok {
		if json.Unmarshal(raw, &r.Snapshot) != nil {
			return fail(ErrTextMalformed, "params.snapshot is not a boolean")
		}
		r.HasSnapshot = true
	}
	if raw, ok := params["depth"]; ok {
		v, ok := jsonInt(raw)
		if !ok || !slices.Contains(validDepths, int(v)) {
			return fail(ErrTextDepth, fmt.Sprintf("depth %s", raw))
		}
		r.Depth = int(v)
	}
	if r.Channel == "ohlc" {
		raw, ok := params["interval"]
		if !ok {
			return fail(ErrTextNeedInterval, "")
		}
		v, ok := jsonInt(raw)
		if !ok || !slices.Contains(validIntervals, int(v)) {
			return fail(ErrTextInterval, fmt.Sprintf("interval %s", raw))
		}
		r.Interval = int(v)
	}
	if raw, ok := params["event_trigger"]; ok {
		if json.Unmarshal(raw, &r.EventTrigger) != nil || (r.EventTrigger != "bbo" && r.EventTrigger != "trades") {
			return fail(ErrTextMalformed, fmt.Sprintf("event_trigger %s", raw))
		}
	}
	if r.Channel == "instrument" {
		return r, nil
	}
	if json.Unmarshal(params["symbol"], &r.Names) != nil || len(r.Names) == 0 {
		r.Names = nil
		return fail(ErrTextMalformed, "params.symbol is not a non-empty array of strings")
	}
	r.Pairs = make([]feed.Pair, len(r.Names))
	for i, n := range r.Names {
		if !validPairName([]byte(n)) {
			return fail(ErrTextV2PairNotSupport+n, "")
		}
		r.Pairs[i] = feed.Pair(n)
	}
	return r, nil
}
