package wsreq

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

func TestParse(t *testing.T) {
	v1, v2 := feed.APIV1, feed.APIV2
	tests := []struct {
		api     feed.API
		frame   string
		want    Request // checked when err is ""
		err     string  // Kraken's text; "" = success
		perPair bool
	}{
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD","XBT/EUR"],"subscription":{"name":"book"}}`,
			want: Request{API: v1, Method: "subscribe", Channel: "book", Depth: 10, Names: []string{"XBT/USD", "XBT/EUR"}, Subscription: json.RawMessage(`{"name":"book"}`)}},
		{api: v1, frame: `{"event":"subscribe","pair":["WAVES/EUR"],"subscription":{"name":"ohlc","interval":5},"reqid":3}`,
			want: Request{API: v1, Method: "subscribe", Channel: "ohlc", Interval: 5, Names: []string{"WAVES/EUR"}, ReqID: json.RawMessage(`3`), Subscription: json.RawMessage(`{"name":"ohlc","interval":5}`)}},
		{api: v1, frame: `{"event":"unsubscribe","channelID":119930881}`,
			want: Request{API: v1, Method: "unsubscribe", ChannelID: 119930881, ByChannelID: true}},
		{api: v1, frame: `{"event":"ping","reqid":42}`, want: Request{API: v1, Method: "ping", ReqID: json.RawMessage(`42`)}},
		{api: v2, frame: `{"method":"ping","req_id":101}`, want: Request{API: v2, Method: "ping", ReqID: json.RawMessage(`101`)}},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"instrument"},"req_id":79}`,
			want: Request{API: v2, Method: "subscribe", Channel: "instrument", Snapshot: true, ReqID: json.RawMessage(`79`)}},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"]}}`,
			want: Request{API: v2, Method: "subscribe", Channel: "ohlc", Interval: 1, Names: []string{"BTC/USD"}, Snapshot: true}},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["MATIC/USD"],"snapshot":false}}`,
			want: Request{API: v2, Method: "subscribe", Channel: "trade", Names: []string{"MATIC/USD"}, HasSnapshot: true}},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]}}`,
			want: Request{API: v2, Method: "subscribe", Channel: "ticker", EventTrigger: "trades", Names: []string{"BTC/USD"}, Snapshot: true}},

		{api: v1, frame: `CloudFlare WebSocket proxy restarting`, err: TextMalformed},
		{api: v2, frame: `[1,2]`, err: TextMalformed},
		{api: v2, frame: `{}`, err: TextMalformed},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":42}}`, err: TextDepth, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":"10"}}`, err: TextV1DepthInt, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ohlc","interval":7}}`, err: TextInterval, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ohlc","interval":1.5}}`, err: TextV1IntervalInt, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":"XBT/USD","subscription":{"name":"trade"}}`, err: TextV1PairArray, perPair: true},
		{api: v1, frame: `{"event":"subscribe","subscription":{"name":"trade"}}`, err: TextV1PairArray, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":[],"subscription":{"name":"trade"}}`, err: TextV1PairNotFound, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":"trade"}`, err: TextV1SubObject, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"candles"}}`, err: TextV1Name, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ownTrades"}}`, err: TextPrivate, perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade","depth":10}}`, err: "Unsupported field: 'depth' for the given msg type: subscribe", perPair: true},
		{api: v1, frame: `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"},"token":"x"}`, err: "Unsupported field: 'token' for the given msg type: subscribe"},
		{api: v1, frame: `{"event":"ping","reqid":"x"}`, err: TextMalformed},
		{api: v1, frame: `{"event":"addOrder"}`, err: TextMalformed},
		{api: v2, frame: `{"method":"ping","params":{},"req_id":0}`, err: "Unsupported field: 'params' for the given msg type: ping"},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"level3","symbol":["BTC/USD"]}}`, err: TextPrivate},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"candles","symbol":["BTC/USD"]}}`, err: TextV2Unsupported},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":42}}`, err: TextDepth},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":2}}`, err: TextInterval},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"depth":10}}`, err: "Unsupported field: 'depth' for the given msg type: subscribe"},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"trade","symbol":[]}}`, err: TextMalformed},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"book"}}`, err: TextMalformed},
		{api: v2, frame: `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":"yes"}}`, err: TextMalformed},
		{api: v2, frame: `{"method":"add_order","params":{}}`, err: TextV2Unsupported},
	}
	for _, tt := range tests {
		got, err := Parse(tt.api, []byte(tt.frame))
		if tt.err != "" {
			var re *Error
			if !errors.As(err, &re) || re.Text != tt.err || re.PerPair != tt.perPair || re.API != tt.api {
				t.Errorf("Parse(%s, %s) = %v; want error text %q (per pair %v)", tt.api, tt.frame, err, tt.err, tt.perPair)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s, %s)\n got %+v, %v\nwant %+v", tt.api, tt.frame, got, err, tt.want)
		}
	}
}

// A refused request still says which request it was, so that the answer can be addressed.
func TestParseErrorKeepsAddress(t *testing.T) {
	r, err := Parse(feed.APIV2, []byte(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":3},"req_id":7}`))
	if err == nil || r.Method != "subscribe" || string(r.ReqID) != "7" {
		t.Errorf("got %+v, %v", r, err)
	}
	r, err = Parse(feed.APIV1, []byte(`{"event":"subscribe","pair":["XBT/USD","XBT/EUR"],"subscription":{"name":"book","depth":3},"reqid":8}`))
	if err == nil || len(r.Names) != 2 || string(r.ReqID) != "8" {
		t.Errorf("got %+v, %v", r, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":10},"reqid":1}`,
		`{"event":"unsubscribe","channelID":1}`,
		`{"method":"subscribe","params":{"channel":"ohlc","symbol":["ALGO/USD"],"interval":5}}`,
		`{"method":"ping","req_id":101}`,
		`not json`, `{}`, `null`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, frame []byte, v1 bool) {
		api := feed.APIV2
		if v1 {
			api = feed.APIV1
		}
		r, err := Parse(api, frame)
		if err != nil {
			var re *Error
			if !errors.As(err, &re) || re.Text == "" {
				t.Fatalf("error %v is not an *Error with Kraken's text", err)
			}
			return
		}
		if r.ReqID != nil && !isInt(r.ReqID) {
			t.Fatalf("accepted req id %s", r.ReqID)
		}
		if r.Method != "ping" && r.Channel != "instrument" && !r.ByChannelID && len(r.Names) == 0 {
			t.Fatalf("accepted %s without pairs", r.Method)
		}
	})
}
