package kraken

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/papertrade/papertrade/feed"
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
				// Round trip through the parser a server would use.
				back, err := ParseRequest(got[len("prefix:"):])
				if err != nil {
					t.Fatalf("%s: ParseRequest(%s): %v", api.name, got, err)
				}
				want := tt.req
				want.API = api.apiVal
				want.Names = back.Names
				if api.apiVal == feed.APIV1 || want.Method != "subscribe" {
					want.Snapshot = false
				}
				want.HasSnapshot = api.apiVal == feed.APIV2 && want.Method == "subscribe"
				if !reflect.DeepEqual(back, want) {
					t.Errorf("%s: round trip:\n got %+v\nwant %+v", api.name, back, want)
				}
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		frame string
		want  Request
		err   string // Kraken's text; "" = success
	}{
		{frame: `{"event":"subscribe","pair":["XBT/USD","XBT/EUR"],"subscription":{"name":"book"}}`,
			want: Request{API: feed.APIV1, Method: "subscribe", Channel: "book", Pairs: []feed.Pair{"BTC/USD", "BTC/EUR"}, Names: []string{"XBT/USD", "XBT/EUR"}}},
		{frame: `{"event":"subscribe","pair":["WAVES/EUR","XMR/USD"],"subscription":{"name":"book","depth":1000}}`,
			want: Request{API: feed.APIV1, Method: "subscribe", Channel: "book", Depth: 1000, Pairs: []feed.Pair{"WAVES/EUR", "XMR/USD"}, Names: []string{"WAVES/EUR", "XMR/USD"}}},
		{frame: `{"event":"ping","reqid":42}`, want: Request{API: feed.APIV1, Method: "ping", ReqID: 42, HasReqID: true}},
		{frame: `{"method":"ping","req_id":101}`, want: Request{API: feed.APIV2, Method: "ping", ReqID: 101, HasReqID: true}},
		{frame: `{"method":"subscribe","params":{"channel":"instrument"},"req_id":79}`,
			want: Request{API: feed.APIV2, Method: "subscribe", Channel: "instrument", ReqID: 79, HasReqID: true}},
		{frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["MATIC/USD"],"snapshot":true}}`,
			want: Request{API: feed.APIV2, Method: "subscribe", Channel: "trade", Pairs: []feed.Pair{"MATIC/USD"}, Names: []string{"MATIC/USD"}, Snapshot: true, HasSnapshot: true}},

		{frame: `CloudFlare WebSocket proxy restarting`, err: ErrTextMalformed},
		{frame: `[1,2]`, err: ErrTextMalformed},
		{frame: `{}`, err: ErrTextMalformed},
		{frame: `{"event":"subscribe","method":"subscribe"}`, err: ErrTextMalformed},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":42}}`, err: ErrTextDepth},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":"10"}}`, err: ErrTextV1DepthInt},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ohlc","interval":7}}`, err: ErrTextInterval},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ohlc","interval":1.5}}`, err: ErrTextV1IntervalInt},
		{frame: `{"event":"subscribe","pair":"XBT/USD","subscription":{"name":"trade"}}`, err: ErrTextV1PairArray},
		{frame: `{"event":"subscribe","subscription":{"name":"trade"}}`, err: ErrTextV1PairArray},
		{frame: `{"event":"subscribe","pair":[],"subscription":{"name":"trade"}}`, err: ErrTextV1PairNotFound},
		{frame: `{"event":"subscribe","pair":["XBTUSDT"],"subscription":{"name":"trade"}}`, err: "Currency pair not in ISO 4217-A3 format XBTUSDT"},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":"trade"}`, err: ErrTextV1SubObject},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"candles"}}`, err: ErrTextV1Name},
		{frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade","depth":10}}`, err: ErrTextV1Field},
		{frame: `{"event":"ping","reqid":"x"}`, err: ErrTextMalformed},
		{frame: `{"method":"ping","params":{},"req_id":0}`, err: "Unsupported field: 'params' for the given msg type: ping"},
		{frame: `{"method":"subscribe","params":{"channel":"level3","symbol":["BTC/USD"]}}`, err: ErrTextV2Unsupported},
		{frame: `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":42}}`, err: ErrTextDepth},
		{frame: `{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"]}}`, err: ErrTextNeedInterval},
		{frame: `{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":2}}`, err: ErrTextInterval},
		{frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"depth":10}}`, err: "Unsupported field: 'depth' for the given msg type: subscribe"},
		{frame: `{"method":"subscribe","params":{"channel":"trade","symbol":[]}}`, err: ErrTextMalformed},
		{frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTCUSD"]}}`, err: "Currency pair not supported BTCUSD"},
		{frame: `{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"book"}}`, err: ErrTextMalformed},
		{frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":"yes"}}`, err: ErrTextMalformed},
		{frame: `{"method":"add_order","params":{}}`, err: ErrTextV2Unsupported},
	}
	for _, tt := range tests {
		got, err := ParseRequest([]byte(tt.frame))
		if tt.err != "" {
			var re *RequestError
			if !errors.As(err, &re) || re.Text != tt.err {
				t.Errorf("ParseRequest(%s) = %+v, %v; want error text %q", tt.frame, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRequest(%s)\n got %+v, %v\nwant %+v", tt.frame, got, err, tt.want)
		}
	}
}

// A rejected request still says which request it was, so a server can address its reply.
func TestParseRequestErrorKeepsReqID(t *testing.T) {
	r, err := ParseRequest([]byte(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":3},"req_id":7}`))
	if err == nil || r.API != feed.APIV2 || r.Method != "subscribe" || !r.HasReqID || r.ReqID != 7 {
		t.Errorf("got %+v, %v", r, err)
	}
}

// Every client request in the fixtures parses.
func TestParseRequestFixtures(t *testing.T) {
	for _, file := range []string{"docs/docs-v1-examples.jsonl", "docs/docs-v2-examples.jsonl", "kraken-async-rs/v1-2023-11-12.jsonl", "cryptofeed/KRAKEN.ws.48.0.jsonl", "cryptofeed/KRAKEN.ws.49.0.jsonl", "cryptofeed/KRAKEN.ws.50.0.jsonl"} {
		n := 0
		for _, l := range readFixture(t, file) {
			if l.Dir != "out" {
				continue
			}
			n++
			if _, err := ParseRequest(l.Msg); err != nil {
				t.Errorf("%s:%d: %v", file, l.Line, err)
			}
		}
		if n == 0 {
			t.Errorf("%s: no requests", file)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
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
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, err := ParseRequest(frame)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Text == "" {
				t.Fatalf("error %v is not a RequestError with Kraken text", err)
			}
			return
		}
		if !json.Valid(frame) {
			t.Fatalf("accepted invalid JSON %q", frame)
		}
		if r.Method != "ping" && r.Channel != "instrument" && len(r.Pairs) == 0 {
			t.Fatalf("accepted %s without pairs", r.Method)
		}
		// Whatever parses re-encodes on its API and parses back to the same request.
		enc := (*Request).AppendV2
		if r.API == feed.APIV1 {
			enc = (*Request).AppendV1
		}
		out, err := enc(&r, nil)
		if err != nil {
			t.Fatalf("parsed %+v does not encode: %v", r, err)
		}
		back, err := ParseRequest(out)
		if err != nil {
			t.Fatalf("re-encoded %s does not parse: %v", out, err)
		}
		if back.Method != r.Method || back.Channel != r.Channel || !reflect.DeepEqual(back.Pairs, r.Pairs) || back.Depth != r.Depth || back.Interval != r.Interval || back.ReqID != r.ReqID {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, back)
		}
	})
}
