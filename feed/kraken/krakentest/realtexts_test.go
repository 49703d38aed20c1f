package krakentest_test

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// realText is a message Kraken itself sent, quoted from where it was captured, and the
// request that provoked it. The look-alike must answer the request with the same text, up to
// the fields that differ on every run (times, connection ids), which are masked.
type realText struct {
	source string // where the real text was captured or quoted
	api    feed.API
	req    string
	want   string
}

// realTexts are the real Kraken answers the look-alike is held to (issue 14, rows 7-14).
var realTexts = []realText{
	{
		source: "v1 unknown pair: a real subscriptionStatus quoted in a C Kraken client's parser (yyjson), issue 14 row 11",
		api:    feed.APIV1,
		req:    `{"event":"subscribe","pair":["LSK/XBT"],"subscription":{"name":"book"}}`,
		want:   `{"errorMessage":"Currency pair not supported LSK/XBT","event":"subscriptionStatus","pair":"LSK/XBT","status":"error","subscription":{"name":"book"}}`,
	},
	{
		source: "v1 private channel on ws.kraken.com: answer printed in an AsyncAPI write-up of Kraken's v1 API",
		api:    feed.APIV1,
		req:    `{"event":"subscribe","subscription":{"name":"ownTrades","token":"WW91ciBhdXRoZW50aWNhdGlvbiB0b2tlbiBnb2VzIGhlcmUu"}}`,
		want:   `{"errorMessage":"Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com","event":"subscriptionStatus","status":"error","subscription":{"name":"ownTrades","token":"WW91ciBhdXRoZW50aWNhdGlvbiB0b2tlbiBnb2VzIGhlcmUu"}}`,
	},
	{
		source: "v1 unsupported field: text of Kraken's WebSocket regression suite (feature files) and issue 14 row 12; the echo keeps the value as sent",
		api:    feed.APIV1,
		req:    `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","interval":5}}`,
		want:   `{"errorMessage":"Unsupported field: 'interval' for the given msg type: subscribe","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"interval":5,"name":"book"}}`,
	},
	{
		source: "v1 echo as sent (issue 14 row 12): a string depth is not rewritten to a number",
		api:    feed.APIV1,
		req:    `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":"10"}}`,
		want:   `{"errorMessage":"Subscription book depth must be an integer","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"depth":"10","name":"book"}}`,
	},
	{
		source: "v2 private channel on the public endpoint: 2026-09-25 capture in a C# Kraken adapter's test constants (PrivateRefusedOnPublicHost)",
		api:    feed.APIV2,
		req:    `{"method":"subscribe","params":{"channel":"executions","token":"x","snap_orders":true}}`,
		want:   `{"error":"Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com","method":"subscribe","success":false,"time_in":"2026-09-25T17:58:01.484193Z","time_out":"2026-09-25T17:58:01.484212Z"}`,
	},
	{
		source: "v2 ohlc without interval: accepted with the 1-minute default; ack shape of a real 2026-10-06 capture (PROTOCOL.md §2.2)",
		api:    feed.APIV2,
		req:    `{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"]}}`,
		want:   `{"method":"subscribe","result":{"channel":"ohlc","interval":1,"snapshot":true,"symbol":"BTC/USD","warnings":["timestamp is deprecated, use interval_begin"]},"success":true,"time_in":"2026-10-06T18:06:01.981684Z","time_out":"2026-10-06T18:06:01.981723Z"}`,
	},
}

var maskRE = regexp.MustCompile(`("time_in"|"time_out"|"connection_id"|"connectionID"):("[^"]*"|\d+)`)

func mask(s string) string { return maskRE.ReplaceAllString(s, `$1:_`) }

func TestRealTexts(t *testing.T) {
	srv := newServer(t)
	for _, rt := range realTexts {
		t.Run(rt.source, func(t *testing.T) {
			url := srv.URLv1()
			if rt.api == feed.APIV2 {
				url = srv.URLv2()
			}
			c := dial(t, srv, url)
			c.read() // status
			c.send(rt.req)
			if got := string(c.readData()); mask(got) != mask(rt.want) {
				t.Errorf("answer to %s\n got %s\nreal %s", rt.req, got, rt.want)
			}
		})
	}
}

// keyOrder returns the keys of a JSON object in the order they appear, recursively for the
// objects inside "data" arrays.
func keyOrder(t *testing.T, s string) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	var keys []string
	depth := 0
	expectKey := []bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				depth++
				expectKey = append(expectKey, true)
			case '[':
				expectKey = append(expectKey, false)
			case '}', ']':
				expectKey = expectKey[:len(expectKey)-1]
				if v == '}' {
					depth--
				}
			}
		case string:
			if len(expectKey) > 0 && expectKey[len(expectKey)-1] && d.More() {
				keys = append(keys, strings.Repeat(".", depth)+v)
			}
		}
		_ = depth
	}
	return keys
}

// TestStatusShapesAreRealOnes compares the first frame of each API with real 2026 status
// frames, field by field in order (the values differ by nature).
func TestStatusShapesAreRealOnes(t *testing.T) {
	realV2 := `{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":3364750901719990046,"upcoming_maintenance":[],"emergency":[]}]}` // PROTOCOL.md §1, a 2026 capture (announcement emptied)
	realV1 := `{"event":"systemStatus","version":"1.9.6","status":"online","connectionID":18239578009413566319,"upcoming_maintenance":[],"emergency":[]}`                                            // issue 14 row 7: 2026, version 1.9.6
	srv := newServer(t)
	for _, tc := range []struct {
		url, real string
	}{{srv.URLv1(), realV1}, {srv.URLv2(), realV2}} {
		got := string(dial(t, srv, tc.url).read())
		if g, w := strings.Join(keyOrder(t, got), " "), strings.Join(keyOrder(t, tc.real), " "); g != w {
			t.Errorf("%s\nkeys %s\nreal %s", got, g, w)
		}
		if mask(got) != mask(tc.real) {
			t.Errorf("status\n got %s\nreal %s", got, tc.real)
		}
	}
}

// TestConnectionIDsAreRandom: two servers built alike give different connection ids, as two
// Kraken sessions do; WithSeed makes them repeatable for tests that want that.
func TestConnectionIDsAreRandom(t *testing.T) {
	id := func(opts ...krakentest.Option) string {
		srv := newServer(t, opts...)
		m := decodeObj(t, dial(t, srv, srv.URLv1()).read())
		return m["connectionID"].(json.Number).String()
	}
	if a, b := id(), id(); a == b {
		t.Errorf("two runs gave the same connection id %s", a)
	}
	if a, b := id(krakentest.WithSeed(7)), id(krakentest.WithSeed(7)); a != b {
		t.Errorf("seeded runs gave %s and %s", a, b)
	}
}

// TestChannelIDsAreLargeAndFixed: Kraken's v1 channel ids are large (119930881 for XBT/USD
// trade in a 2026 capture, PROTOCOL.md §3.1) and fixed per channel and pair, not 1, 2, 3 in
// subscription order.
func TestChannelIDsAreLargeAndFixed(t *testing.T) {
	srv := newServer(t)
	ids := func(order ...string) map[string]int64 {
		c := dial(t, srv, srv.URLv1())
		c.read()
		out := map[string]int64{}
		for _, name := range order {
			c.send(`{"event":"subscribe","pair":["XBT/USD","ETH/USD"],"subscription":{"name":"` + name + `"}}`)
			for range 2 {
				var ack struct {
					ChannelID   int64
					ChannelName string
					Pair        string
				}
				if err := json.Unmarshal(c.readData(), &ack); err != nil {
					t.Fatal(err)
				}
				out[ack.ChannelName+" "+ack.Pair] = ack.ChannelID
			}
		}
		return out
	}
	a := ids("trade", "ticker", "spread")
	b := ids("spread", "ticker", "trade")
	seen := map[int64]bool{}
	for k, id := range a {
		if id < 1_000_000 {
			t.Errorf("%s: channelID %d is small", k, id)
		}
		if b[k] != id {
			t.Errorf("%s: channelID %d, then %d on another connection", k, id, b[k])
		}
		if seen[id] {
			t.Errorf("%s: channelID %d used twice", k, id)
		}
		seen[id] = true
	}
}

// TestV1HeartbeatEverySecondUnderTraffic: a busy v1 stream still gets a heartbeat a second, as
// recorded (31 heartbeats in 30.05 s of a book-1000 stream, cryptofeed KRAKEN.ws.50.0); v2
// keeps the documented idle rule.
func TestV1HeartbeatEverySecondUnderTraffic(t *testing.T) {
	for _, tc := range []struct {
		api  feed.API
		want int
	}{{feed.APIV1, 3}, {feed.APIV2, 0}} {
		t.Run(tc.api.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				info := pairInfo(t, "BTC/USD")
				srv := krakentest.NewPipe(krakentest.WithPairs([]feed.PairInfo{info}), krakentest.WithMarket(newTestMarket(1, info), 50))
				defer srv.Close()
				url, sub := srv.URLv2(), `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}`
				if tc.api == feed.APIV1 {
					url, sub = srv.URLv1(), `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book"}}`
				}
				ws, _, err := srv.Dialer().Dial(url, nil)
				if err != nil {
					t.Fatal(err)
				}
				var (
					mu         sync.Mutex
					hb, frames int
					wg         sync.WaitGroup
				)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						_, b, err := ws.ReadMessage()
						if err != nil {
							return
						}
						mu.Lock()
						frames++
						if isHeartbeat(b) {
							hb++
						}
						mu.Unlock()
					}
				}()
				ws.WriteMessage(websocket.TextMessage, []byte(sub))
				time.Sleep(3500 * time.Millisecond)
				synctest.Wait()
				mu.Lock()
				if hb != tc.want || frames < 100 {
					t.Errorf("%d heartbeats in %d frames over 3.5 s, want %d", hb, frames, tc.want)
				}
				mu.Unlock()
				ws.Close()
				wg.Wait()
			})
		})
	}
}

// TestRecordedHeartbeatCadence checks the capture the cadence rule comes from.
func TestRecordedHeartbeatCadence(t *testing.T) {
	f, err := os.Open("../../../../shared/kraken/fixtures/cryptofeed/KRAKEN.ws.50.0.jsonl")
	if err != nil {
		t.Skip("shared fixtures not present:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var n, data int
	var first, last time.Time
	for sc.Scan() {
		var w struct {
			TS  string
			Dir string
			Msg json.RawMessage
		}
		if json.Unmarshal(sc.Bytes(), &w) != nil || w.Dir != "in" {
			continue
		}
		if string(w.Msg) != `{"event":"heartbeat"}` {
			data++
			continue
		}
		ts, err := kraken.ParseUnixTime(w.TS)
		if err != nil {
			t.Fatal(err)
		}
		if first.IsZero() {
			first = ts
		}
		last, n = ts, n+1
	}
	span := last.Sub(first)
	if n < 30 || span > 31*time.Second || data < 1000 {
		t.Errorf("%d heartbeats over %v among %d other frames; the rule assumes ~1/s under traffic", n, span, data)
	}
}

// TestV1PriceDecimals: v1 prints prices at the pair's cost precision. Real strings:
// XDG/USD "0.074602700" (gocryptotrader capture 2023-07-25), XMR/USD "354.11000000"
// (cryptofeed KRAKEN.ws.48.0, 2021-04-17, channel 993), XBT/USD "83942.80000" (PROTOCOL.md §3.1).
func TestV1PriceDecimals(t *testing.T) {
	for _, tc := range []struct {
		pair feed.Pair
		real string
	}{{"DOGE/USD", "0.074602700"}, {"XMR/USD", "354.11000000"}, {"BTC/USD", "83942.80000"}} {
		info := pairInfo(t, tc.pair)
		srv := newServer(t, krakentest.WithPairs([]feed.PairInfo{info}))
		c := dial(t, srv, srv.URLv1())
		c.read()
		c.send(`{"event":"subscribe","pair":["` + info.WSName + `"],"subscription":{"name":"trade"}}`)
		c.readData()
		srv.Publish(feed.Event{Kind: feed.KindTrade, Pair: tc.pair, Time: time.Unix(1690246067, 0), Trade: feed.Trade{
			Pair: tc.pair, Price: decimal.RequireFromString(tc.real), Qty: decimal.RequireFromString("1"), Side: feed.Buy,
		}})
		var msg []json.RawMessage
		if err := json.Unmarshal(c.readData(), &msg); err != nil {
			t.Fatal(err)
		}
		var trades [][]string
		if err := json.Unmarshal(msg[1], &trades); err != nil {
			t.Fatal(err)
		}
		if trades[0][0] != tc.real {
			t.Errorf("%s v1 price %s, real text %s", info.WSName, trades[0][0], tc.real)
		}
	}
}

// TestV2SecondBookDepthIsRefused: one book per symbol and socket (issue 14 row 13).
func TestV2SecondBookDepthIsRefused(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv, srv.URLv2())
	c.read()
	c.send(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10},"req_id":1}`)
	if m := decodeObj(t, c.readData()); m["success"] != true {
		t.Fatalf("first book: %v", m)
	}
	c.send(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},"req_id":2}`)
	want := `{"error":"Already subscribed","method":"subscribe","req_id":2,"success":false,"symbol":"BTC/USD"}`
	if got := stripTimes(t, c.readData()); got != want {
		t.Errorf("second depth: %s, want %s", got, want)
	}
}

// TestCloseTradesShareAMessage: trades published together go out in one message per pair and
// API, even with book messages between them (issue 14 row 4; real v1 and v2 captures carry
// 2-trade messages with one timestamp, PROTOCOL.md §3.1).
func TestCloseTradesShareAMessage(t *testing.T) {
	srv, _, infos := marketServer(t, "BTC/USD")
	v1 := dial(t, srv, srv.URLv1())
	v1.read()
	v1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}`)
	v1.readData()
	v2 := dial(t, srv, srv.URLv2())
	v2.read()
	v2.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}`)
	v2.readData()
	trade := func(px string) feed.Event {
		return feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Price: decimal.RequireFromString(px), Qty: decimal.RequireFromString("0.5"), Side: feed.Buy}}
	}
	book := feed.Event{Kind: feed.KindBook, Pair: "BTC/USD", Book: &feed.BookUpdate{Pair: "BTC/USD", Asks: []feed.BookLevel{{Price: feed.Fixed{Mant: 600001, Scale: infos[0].PriceDecimals}, Qty: feed.Fixed{Mant: 1, Scale: 0}}}}}
	srv.Publish(trade("60000.0"), book, trade("60000.1"))
	var v1msg []json.RawMessage
	if err := json.Unmarshal(v1.readData(), &v1msg); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	json.Unmarshal(v1msg[1], &rows)
	if len(rows) != 2 {
		t.Errorf("v1: %d trades in the first message, want 2", len(rows))
	}
	var v2msg struct{ Data []map[string]any }
	if err := json.Unmarshal(v2.readData(), &v2msg); err != nil {
		t.Fatal(err)
	}
	if len(v2msg.Data) != 2 {
		t.Errorf("v2: %d trades in the first message, want 2", len(v2msg.Data))
	}
}
