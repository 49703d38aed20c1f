// Package wsreq is the one parser of Kraken's public WebSocket requests (v1 and v2): what a
// client sends to subscribe, unsubscribe or ping. The look-alike server (krakentest) answers
// with it and feed/kraken's tests check the client's encoder against it, so the frames the
// client writes and the frames the server accepts cannot drift apart.
//
// It checks the form only, with Kraken's answers as the error texts (PROTOCOL.md §2 and the
// real texts TestRealTexts quotes); whether a pair exists, or is already subscribed, is the
// server's business, because Kraken answers those per pair.
package wsreq

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/papertrade/papertrade/feed"
)

// Kraken's answers to requests it cannot take.
const (
	TextMalformed        = "Malformed request"
	TextDepth            = "Subscription depth not supported"
	TextInterval         = "Subscription ohlc interval not supported"
	TextV2Unsupported    = "Unsupported event"
	TextV1PairArray      = "Pair field must be an array"
	TextV1PairNotFound   = "Pair(s) not found"
	TextV1SubObject      = "Subscription field must be an object"
	TextV1Name           = "Subscription name invalid"
	TextV1DepthInt       = "Subscription book depth must be an integer"
	TextV1IntervalInt    = "Subscription ohlc interval must be an integer"
	TextPrivate          = "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com"
	textUnsupportedField = "Unsupported field: '" // + key + "' for the given msg type: " + method
)

// Depths and Intervals are the book depths and OHLC intervals (minutes) Kraken accepts.
var (
	Depths    = []int{10, 25, 100, 500, 1000}
	Intervals = []int{1, 5, 15, 30, 60, 240, 1440, 10080, 21600}
)

// Request is a parsed request. Defaults are filled in as Kraken applies them: book depth 10,
// OHLC interval 1, v2 snapshot true.
type Request struct {
	API    feed.API
	Method string // v1 "event" or v2 "method": subscribe, unsubscribe, ping

	// ReqID is the request id as sent (a JSON integer), so that an answer echoes it byte for
	// byte; nil when absent or not an integer.
	ReqID json.RawMessage

	Channel  string   // trade, book, ticker, ohlc, spread (v1), instrument (v2)
	Names    []string // the pairs exactly as sent (v1 names on v1)
	Depth    int      // book
	Interval int      // ohlc, minutes
	// EventTrigger is the v2 ticker's trigger: "trades" (the default) or "bbo".
	EventTrigger string
	Snapshot     bool // v2
	HasSnapshot  bool // v2: the request said snapshot explicitly

	// ChannelID is set by a v1 unsubscribe that names a channelID instead of a subscription
	// (deprecated by Kraken, still answered).
	ChannelID   int64
	ByChannelID bool
	// Subscription is a v1 request's subscription object as sent.
	Subscription json.RawMessage
}

// Error is a request Kraken would refuse. Text is Kraken's answer, to be sent back verbatim.
// PerPair says how Kraken v1 answers it: with one subscriptionStatus error per requested pair
// (or one without a pair when none could be read) rather than one error event.
type Error struct {
	API     feed.API
	Text    string
	PerPair bool
}

func (e *Error) Error() string { return "kraken " + e.API.String() + " request: " + e.Text }

// Parse reads one request sent to api's endpoint. On an error it returns, with the *Error,
// whatever it could read (Method, ReqID, Names), so that the answer can be addressed.
func Parse(api feed.API, frame []byte) (Request, error) {
	if api == feed.APIV1 {
		return parseV1(frame)
	}
	return parseV2(frame)
}

func parseV1(frame []byte) (Request, error) {
	r := Request{API: feed.APIV1}
	fail := func(text string) (Request, error) { return r, &Error{API: feed.APIV1, Text: text} }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(frame, &top); err != nil || top == nil {
		return fail(TextMalformed)
	}
	if json.Unmarshal(top["event"], &r.Method) != nil {
		r.Method = ""
		return fail(TextMalformed)
	}
	if id := top["reqid"]; id != nil {
		if !isInt(id) {
			return fail(TextMalformed)
		}
		r.ReqID = id
	}
	switch r.Method {
	case "ping":
		return r, nil
	case "subscribe", "unsubscribe":
	default:
		return fail(TextMalformed)
	}
	for _, k := range sortedKeys(top) {
		switch k {
		case "event", "reqid", "pair", "subscription", "channelID":
		default:
			return fail(textUnsupportedField + k + "' for the given msg type: " + r.Method)
		}
	}
	if raw, ok := top["channelID"]; ok && r.Method == "unsubscribe" {
		if !isInt(raw) {
			return fail(TextMalformed)
		}
		r.ChannelID, _ = strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		r.ByChannelID = true
		return r, nil
	}
	if text := r.v1Subscription(top); text != "" {
		return r, &Error{API: feed.APIV1, Text: text, PerPair: true}
	}
	return r, nil
}

// v1Subscription reads pair and subscription. Pairs are read first so that a request-level
// error is answered once per pair, as Kraken does; the pair error comes last because Kraken
// reports the subscription's faults before it.
func (r *Request) v1Subscription(top map[string]json.RawMessage) string {
	pairErr := ""
	if raw, ok := top["pair"]; !ok || json.Unmarshal(raw, &r.Names) != nil {
		r.Names = nil
		pairErr = TextV1PairArray
	}
	raw, ok := top["subscription"]
	if !ok {
		return TextV1SubObject
	}
	r.Subscription = raw
	var sub map[string]json.RawMessage
	if json.Unmarshal(raw, &sub) != nil || sub == nil {
		return TextV1SubObject
	}
	if json.Unmarshal(sub["name"], &r.Channel) != nil {
		r.Channel = ""
		return TextV1Name
	}
	switch r.Channel {
	case "trade", "ticker", "spread":
	case "book":
		r.Depth = 10
	case "ohlc":
		r.Interval = 1
	case "ownTrades", "openOrders":
		return TextPrivate
	default:
		return TextV1Name
	}
	for _, k := range sortedKeys(sub) {
		switch {
		case k == "name":
		case k == "depth" && r.Channel == "book":
		case k == "interval" && r.Channel == "ohlc":
		default:
			// Kraken names the field and the event (TestRealTexts), whatever the channel.
			return textUnsupportedField + k + "' for the given msg type: " + r.Method
		}
	}
	if raw, ok := sub["depth"]; ok {
		v, ok := intOf(raw)
		if !ok {
			return TextV1DepthInt
		}
		if r.Depth = v; !slices.Contains(Depths, v) {
			return TextDepth
		}
	}
	if raw, ok := sub["interval"]; ok {
		v, ok := intOf(raw)
		if !ok {
			return TextV1IntervalInt
		}
		if r.Interval = v; !slices.Contains(Intervals, v) {
			return TextInterval
		}
	}
	if pairErr != "" {
		return pairErr
	}
	if len(r.Names) == 0 {
		return TextV1PairNotFound
	}
	return ""
}

func parseV2(frame []byte) (Request, error) {
	r := Request{API: feed.APIV2}
	fail := func(text string) (Request, error) { return r, &Error{API: feed.APIV2, Text: text} }
	var top map[string]json.RawMessage
	if err := json.Unmarshal(frame, &top); err != nil || top == nil {
		return fail(TextMalformed)
	}
	if raw, ok := top["method"]; !ok || json.Unmarshal(raw, &r.Method) != nil {
		r.Method = ""
		return fail(TextMalformed)
	}
	if id := top["req_id"]; id != nil {
		if !isInt(id) {
			return fail(TextMalformed)
		}
		r.ReqID = id
	}
	switch r.Method {
	case "ping":
		for _, k := range sortedKeys(top) {
			if k != "method" && k != "req_id" {
				return fail(textUnsupportedField + k + "' for the given msg type: ping")
			}
		}
		return r, nil
	case "subscribe", "unsubscribe":
		if text := r.v2Params(top); text != "" {
			return fail(text)
		}
		return r, nil
	}
	return fail(TextV2Unsupported)
}

func (r *Request) v2Params(top map[string]json.RawMessage) string {
	raw, ok := top["params"]
	if !ok {
		return TextMalformed
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(raw, &params) != nil || params == nil {
		return TextMalformed
	}
	if json.Unmarshal(params["channel"], &r.Channel) != nil {
		r.Channel = ""
		return TextMalformed
	}
	allowed := []string{"channel", "snapshot"}
	switch r.Channel {
	case "book":
		r.Depth = 10
		allowed = append(allowed, "symbol", "depth")
	case "trade":
		allowed = append(allowed, "symbol")
	case "ticker":
		r.EventTrigger = "trades"
		allowed = append(allowed, "symbol", "event_trigger")
	case "ohlc":
		// interval is optional in the v2 docs (D2/ohlc); like v1, it defaults to 1 minute.
		r.Interval = 1
		allowed = append(allowed, "symbol", "interval")
	case "instrument":
		allowed = append(allowed, "include_tokenized_assets", "execution_venue")
	case "executions", "balances", "level3":
		// The public endpoint refuses the private channels by name (2026 captures quoted in
		// TestRealTexts), before looking at any other field.
		return TextPrivate
	default:
		return TextV2Unsupported
	}
	for _, k := range sortedKeys(params) {
		if !slices.Contains(allowed, k) {
			return textUnsupportedField + k + "' for the given msg type: " + r.Method
		}
	}
	r.Snapshot = true
	if raw, ok := params["snapshot"]; ok {
		if json.Unmarshal(raw, &r.Snapshot) != nil {
			return TextMalformed
		}
		r.HasSnapshot = true
	}
	if r.Channel != "instrument" {
		if json.Unmarshal(params["symbol"], &r.Names) != nil || len(r.Names) == 0 {
			r.Names = nil
			return TextMalformed
		}
	}
	if raw, ok := params["depth"]; ok {
		v, ok := intOf(raw)
		if !ok || !slices.Contains(Depths, v) {
			return TextDepth
		}
		r.Depth = v
	}
	if raw, ok := params["interval"]; ok {
		v, ok := intOf(raw)
		if !ok || !slices.Contains(Intervals, v) {
			return TextInterval
		}
		r.Interval = v
	}
	if raw, ok := params["event_trigger"]; ok {
		if json.Unmarshal(raw, &r.EventTrigger) != nil || (r.EventTrigger != "bbo" && r.EventTrigger != "trades") {
			return TextMalformed
		}
	}
	return ""
}

// isInt reports whether raw is a JSON integer of at most 19 digits (no fraction, no
// exponent), as Kraken requires of ids, depths and intervals.
func isInt(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 19 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// intOf parses an integer isInt accepted. One too large for an int reads as 0, which no
// depth or interval is: the answer is then "not supported", as Kraken's.
func intOf(raw json.RawMessage) (int, bool) {
	if !isInt(raw) {
		return 0, false
	}
	v, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil {
		v = 0
	}
	return v, true
}

// sortedKeys returns m's keys in order, so that the first offending key reported does not
// depend on map order.
func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
