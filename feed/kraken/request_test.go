package kraken

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken/internal/wsreq"
)

func TestRequestEncode(t *testing.T) {
	tests := []struct {
		name   string
		req    Request
		v1, v2 string // "" = must fail on that API
	}{
		{
			name: "book depth",
			req:  Request{Method: "subscribe", Channel: "book", Pairs: []feed.Pair{"BTC/USD", "DOGE/EUR"}, Depth: 10, Snapshot: true, ReqID: 11, HasReqID: true},
			v1:   `{"event":"subscribe","pair":["XBT/USD","XDG/EUR"],"subscription":{"name":"book","depth":10},"reqid":11}`,
			v2:   `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","DOGE/EUR"],"depth":10,"snapshot":true},"req_id":11}`,
		},
		{
			name: "ohlc interval",
			req:  Request{Method: "subscribe", Channel: "ohlc", Pairs: []feed.Pair{"ETH/BTC"}, Interval: 5},
			v1:   `{"event":"subscribe","pair":["ETH/XBT"],"subscription":{"name":"ohlc","interval":5}}`,
			v2:   `{"method":"subscribe","params":{"channel":"ohlc","symbol":["ETH/BTC"],"interval":5,"snapshot":false}}`,
		},
		{
			name: "unsubscribe ticker",
			req:  Request{Method: "unsubscribe", Channel: "ticker", Pairs: []feed.Pair{"ALGO/USD"}, Snapshot: true},
			v1:   `{"event":"unsubscribe","pair":["ALGO/USD"],"subscription":{"name":"ticker"}}`,
			v2:   `{"method":"unsubscribe","params":{"channel":"ticker","symbol":["ALGO/USD"]}}`,
		},
		{
			name: "ticker bbo",
			req:  Request{Method: "subscribe", Channel: "ticker", Pairs: []feed.Pair{"BTC/USD"}, EventTrigger: "bbo", Snapshot: true},
			v2:   `{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"bbo","snapshot":true}}`,
		},
		{
			name: "ping",
			req:  Request{Method: "ping", ReqID: 42, HasReqID: true},
			v1:   `{"event":"ping","reqid":42}`,
			v2:   `{"method":"ping","req_id":42}`,
		},
		{
			name: "spread is v1 only",
			req:  Request{Method: "subscribe", Channel: "spread", Pairs: []feed.Pair{"BTC/USD"}},
			v1:   `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"spread"}}`,
		},
		{
			name: "instrument is v2 only",
			req:  Request{Method: "subscribe", Channel: "instrument", Snapshot: true, ReqID: 79, HasReqID: true},
			v2:   `{"method":"subscribe","params":{"channel":"instrument","snapshot":true},"req_id":79}`,
		},
		{name: "bad depth", req: Request{Method: "subscribe", Channel: "book", Pairs: []feed.Pair{"BTC/USD"}, Depth: 42}},
		{name: "depth on trade", req: Request{Method: "subscribe", Channel: "trade", Pairs: []feed.Pair{"BTC/USD"}, Depth: 10}},
		{name: "bad interval", req: Request{Method: "subscribe", Channel: "ohlc", Pairs: []feed.Pair{"BTC/USD"}, Interval: 2}},
		{name: "no pairs", req: Request{Method: "subscribe", Channel: "trade"}},
		{name: "bad pair", req: Request{Method: "subscribe", Channel: "trade", Pairs: []feed.Pair{"BTCUSD"}}},
		{name: "bad method", req: Request{Method: "add_order", Channel: "trade", Pairs: []feed.Pair{"BTC/USD"}}},
		{name: "bad channel", req: Request{Method: "subscribe", Channel: "ownTrades", Pairs: []feed.Pair{"BTC/USD"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, api := range []struct {
				name   string
				enc    func(*Request, []byte) ([]byte, error)
				want   string
				apiVal feed.API
			}{{"v1", (*Request).AppendV1, tt.v1, feed.APIV1}, {"v2", (*Request).AppendV2, tt.v2, feed.APIV2}} {
				got, err := api.enc(&tt.req, []byte("prefix:"))
				if api.want == "" {
					if err == nil || !errors.Is(err, errRequestEncode) {
						t.Errorf("%s: got %s, %v; want an encode error", api.name, got, err)
					}
					if string(got) != "prefix:" {
						t.Errorf("%s: dst modified on error: %q", api.name, got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", api.name, err)
				}
				if string(got) != "prefix:"+api.want {
					t.Errorf("%s:\n got %s\nwant %s", api.name, got[len("prefix:"):], api.want)
				}
				// Round trip through the parser the look-alike server uses.
				back, err := wsreq.Parse(api.apiVal, got[len("prefix:"):])
				if err != nil {
					t.Fatalf("%s: wsreq.Parse(%s): %v", api.name, got, err)
				}
				if d := requestDiff(&tt.req, &back); d != "" {
					t.Errorf("%s: round trip: %s\n got %+v\nfrom %+v", api.name, d, back, tt.req)
				}
			}
		})
	}
}

// Every client request in the fixtures parses.
func TestRequestFixturesParse(t *testing.T) {
	for _, file := range []string{"docs/docs-v1-examples.jsonl", "docs/docs-v2-examples.jsonl", "kraken-async-rs/v1-2023-11-12.jsonl", "cryptofeed/KRAKEN.ws.48.0.jsonl", "cryptofeed/KRAKEN.ws.49.0.jsonl", "cryptofeed/KRAKEN.ws.50.0.jsonl"} {
		n := 0
		for _, l := range readFixture(t, file) {
			if l.Dir != "out" {
				continue
			}
			n++
			api := feed.APIV2
			if bytes.Contains(l.Msg, []byte(`"event"`)) {
				api = feed.APIV1
			}
			if _, err := wsreq.Parse(api, l.Msg); err != nil {
				t.Errorf("%s:%d: %v", file, l.Line, err)
			}
		}
		if n == 0 {
			t.Errorf("%s: no requests", file)
		}
	}
}

// FuzzRequestRoundTrip: whatever the server's parser accepts, the client's encoder writes
// again on the same API, and the server reads the same request back.
func FuzzRequestRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":10},"reqid":1}`,
		`{"event":"subscribe","pair":["XBT/EUR"],"subscription":{"interval":5,"name":"ohlc"}}`,
		`{"event":"ping","reqid":42}`,
		`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":11}`,
		`{"method":"subscribe","params":{"channel":"ohlc","symbol":["ALGO/USD","MATIC/USD"],"interval":5}}`,
		`{"method":"subscribe","params":{"channel":"ticker","symbol":["ALGO/USD"],"event_trigger":"bbo"}}`,
		`{"method":"subscribe","params":{"channel":"instrument"},"req_id":79}`,
		`{"method":"ping","req_id":101}`,
		`{"method":"ping","params":{}}`,
		`not json`, `{}`, `[]`, `null`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, frame []byte, v1 bool) {
		api, enc := feed.APIV2, (*Request).AppendV2
		if v1 {
			api, enc = feed.APIV1, (*Request).AppendV1
		}
		r, err := wsreq.Parse(api, frame)
		if err != nil {
			var re *wsreq.Error
			if !errors.As(err, &re) || re.Text == "" {
				t.Fatalf("error %v is not a *wsreq.Error with Kraken's text", err)
			}
			return
		}
		if !json.Valid(frame) {
			t.Fatalf("accepted invalid JSON %q", frame)
		}
		req, ok := clientRequest(&r)
		if !ok {
			return // a form the client never sends (odd pair names, channelID unsubscribe)
		}
		out, err := enc(&req, nil)
		if err != nil {
			// The server takes requests the client's stricter encoder refuses (a v2 request
			// for spread is refused by name on subscribe only after parsing, say); only the
			// client's own vocabulary must round-trip.
			return
		}
		back, err := wsreq.Parse(api, out)
		if err != nil {
			t.Fatalf("re-encoded %s does not parse: %v", out, err)
		}
		if d := requestDiff(&req, &back); d != "" {
			t.Fatalf("round trip changed the request: %s\n%+v\n%+v", d, r, back)
		}
	})
}

// clientRequest is the Request the client would write for a parsed one; false when the
// client has no such request.
func clientRequest(r *wsreq.Request) (Request, bool) {
	if r.ByChannelID {
		return Request{}, false
	}
	req := Request{Method: r.Method, Channel: r.Channel, Depth: r.Depth, Interval: r.Interval, Snapshot: r.Snapshot}
	if r.Channel == "ticker" && r.EventTrigger == "bbo" {
		req.EventTrigger = "bbo"
	}
	if r.ReqID != nil {
		id, err := strconv.ParseInt(string(bytes.TrimSpace(r.ReqID)), 10, 64)
		if err != nil {
			return Request{}, false
		}
		req.ReqID, req.HasReqID = id, true
	}
	for _, n := range r.Names {
		if !validPairName([]byte(n)) {
			return Request{}, false
		}
		p := feed.Pair(n)
		if r.API == feed.APIV1 {
			p = V1ToV2(n)
			if V2ToV1(p) != n {
				return Request{}, false // an alias (XXBT) the encoder writes in its usual form
			}
		}
		req.Pairs = append(req.Pairs, p)
	}
	return req, true
}

// requestDiff says how a parsed request differs from the one encoded ("" when it does not),
// with Kraken's defaults applied to what the encoder left out.
func requestDiff(sent *Request, got *wsreq.Request) string {
	var pairs []feed.Pair
	for _, n := range got.Names {
		if got.API == feed.APIV1 {
			pairs = append(pairs, V1ToV2(n))
		} else {
			pairs = append(pairs, feed.Pair(n))
		}
	}
	depth, interval, trigger := sent.Depth, sent.Interval, sent.EventTrigger
	if depth == 0 && sent.Channel == "book" {
		depth = 10
	}
	if interval == 0 && sent.Channel == "ohlc" {
		interval = 1
	}
	if trigger == "" && sent.Channel == "ticker" && got.API == feed.APIV2 {
		trigger = "trades"
	}
	var id json.RawMessage
	if sent.HasReqID {
		id = strconv.AppendInt(nil, sent.ReqID, 10)
	}
	switch {
	case got.Method != sent.Method:
		return "method"
	case got.Channel != sent.Channel && sent.Method != "ping":
		return "channel"
	case !slices.Equal(pairs, sent.Pairs):
		return "pairs"
	case got.Depth != depth:
		return "depth"
	case got.Interval != interval:
		return "interval"
	case got.EventTrigger != trigger && sent.Method != "ping":
		return "event_trigger"
	case !bytes.Equal(got.ReqID, id):
		return "req_id"
	case got.API == feed.APIV2 && sent.Method == "subscribe" && (!got.HasSnapshot || got.Snapshot != sent.Snapshot):
		return "snapshot (the v2 encoder always says it on a subscribe)"
	}
	return ""
}
