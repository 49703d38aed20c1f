package krakentest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t testing.TB, opts ...krakentest.Option) *krakentest.Server {
	t.Helper()
	srv := krakentest.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// marketServer starts a server with a stepped (rate 0) test market over pairs.
func marketServer(t testing.TB, pairs ...feed.Pair) (*krakentest.Server, *testMarket, []feed.PairInfo) {
	t.Helper()
	infos := make([]feed.PairInfo, len(pairs))
	for i, p := range pairs {
		infos[i] = pairInfo(t, p)
	}
	m := newTestMarket(42, infos...)
	return newServer(t, krakentest.WithMarket(m, 0)), m, infos
}

func TestStatusIsTheFirstFrame(t *testing.T) {
	srv := newServer(t)
	v1 := dial(t, srv, srv.URLv1())
	got := decodeObj(t, v1.read())
	if got["event"] != "systemStatus" || got["status"] != "online" || got["version"] == nil {
		t.Errorf("v1 first frame = %v", got)
	}
	if _, err := got["connectionID"].(json.Number).Int64(); err != nil {
		// uint64 ids above int64 are legal; they must still be integers.
		if !regexp.MustCompile(`^\d+$`).MatchString(got["connectionID"].(json.Number).String()) {
			t.Errorf("connectionID %v is not an integer", got["connectionID"])
		}
	}
	v2 := dial(t, srv, srv.URLv2())
	b := v2.read()
	if shape(t, b) != `{channel:string,data:[{api_version:string,connection_id:number,emergency:[],system:string,upcoming_maintenance:[],version:string}],type:string}` {
		t.Errorf("v2 first frame = %s", b)
	}
}

// TestDocExamplesV2 sends the v2 documentation's requests verbatim and checks the acks against
// the documentation's acks (same structure, same channel parameters) and that data follows.
func TestDocExamplesV2(t *testing.T) {
	srv, _, _ := marketServer(t, "ALGO/USD", "MATIC/USD")
	srv.Step(200)
	c := dial(t, srv, srv.URLv2())
	c.read() // status
	fx := readFixtures(t, "testdata/docs-v2-examples.jsonl")
	sent := 0
	for i, f := range fx {
		if f.Dir != "out" {
			continue
		}
		sent++
		var req struct {
			Method string
			Params struct {
				Channel string
				Symbol  []string
			}
		}
		json.Unmarshal(f.Msg, &req)
		// The documentation's own answer is the next "in" line with a method.
		var doc []byte
		for _, g := range fx[i+1:] {
			if g.Dir == "in" && bytes.Contains(g.Msg, []byte(`"method"`)) {
				doc = g.Msg
				break
			}
		}
		c.send(string(f.Msg))
		n := max(1, len(req.Params.Symbol))
		for k := 0; k < n; k++ {
			var ack []byte
			c.until(func(b []byte) bool {
				if bytes.Contains(b, []byte(`"method"`)) {
					ack = b
					return true
				}
				return false
			})
			// The docs omit the ticker's event_trigger, which real 2024 acks carry.
			trimmed := bytes.Replace(ack, []byte(`"event_trigger":"trades",`), nil, 1)
			if got, want := shape(t, trimmed), shape(t, doc); got != want {
				t.Errorf("%s: ack %s\n shape %s\n  doc  %s", f.Src, ack, got, want)
			}
			a, d := decodeObj(t, trimmed), decodeObj(t, doc)
			if s, ok := a["success"]; ok && s != true {
				t.Errorf("%s: ack %s failed", f.Src, ack)
			}
			if ra, ok := a["result"].(map[string]any); ok {
				rd := d["result"].(map[string]any)
				for _, key := range []string{"channel", "depth", "interval", "snapshot", "event_trigger"} {
					if fmt.Sprint(ra[key]) != fmt.Sprint(rd[key]) {
						t.Errorf("%s: result.%s = %v, doc %v", f.Src, key, ra[key], rd[key])
					}
				}
				if req.Method == "subscribe" && req.Params.Channel != "instrument" && ra["symbol"] != req.Params.Symbol[k] {
					t.Errorf("%s: ack %d for %v, want %s", f.Src, k, ra["symbol"], req.Params.Symbol[k])
				}
			}
		}
		if req.Method == "subscribe" && req.Params.Channel == "trade" {
			// The snapshot (last 50), then live trades once the market moves.
			var snap []byte
			c.until(func(b []byte) bool {
				if bytes.HasPrefix(b, []byte(`{"channel":"trade","type":"snapshot"`)) {
					snap = b
					return true
				}
				return false
			})
			if got, want := shape(t, snap), shape(t, docFrame(t, fx, `"channel":"trade","type":"snapshot"`)); got != want {
				t.Errorf("trade snapshot shape %s\n doc %s", got, want)
			}
			srv.Step(300)
			c.until(func(b []byte) bool {
				if !bytes.HasPrefix(b, []byte(`{"channel":"trade","type":"update"`)) {
					return false
				}
				if got, want := shape(t, b), shape(t, docFrame(t, fx, `"channel":"trade","type":"update"`)); got != want {
					t.Errorf("trade update shape %s\n doc %s", got, want)
				}
				return true
			})
		}
	}
	if sent < 7 {
		t.Fatalf("only %d requests in the v2 doc examples", sent)
	}
}

func docFrame(t testing.TB, fx []fixture, contains string) []byte {
	t.Helper()
	for _, f := range fx {
		if f.Dir == "in" && bytes.Contains(f.Msg, []byte(contains)) {
			return f.Msg
		}
	}
	t.Fatalf("no doc frame with %s", contains)
	return nil
}

// TestDocExamplesV1 sends the v1 documentation's requests verbatim and checks the statuses
// against the documented subscriptionStatus and the trade data against the documented trade.
func TestDocExamplesV1(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD", "BTC/EUR")
	srv.Step(100)
	c := dial(t, srv, srv.URLv1())
	c.read() // systemStatus
	fx := readFixtures(t, "testdata/docs-v1-examples.jsonl")
	subscribed := shape(t, docFrame(t, fx, `"status":"subscribed"`))
	unsubscribed := shape(t, docFrame(t, fx, `"status":"unsubscribed"`))
	unsubscribed = strings.Replace(unsubscribed, "reqid:number,", "", 1) // the doc example carries a reqid; the request did not
	tradeShape := shape(t, docFrame(t, fx, `"trade","XBT/USD"`))
	have := map[string]bool{} // name+pair subscribed so far
	for _, f := range fx {
		if f.Dir != "out" {
			continue
		}
		var req struct {
			Event        string
			Pair         []string
			Subscription struct {
				Name     string
				Depth    int
				Interval int
			}
		}
		json.Unmarshal(f.Msg, &req)
		c.send(string(f.Msg))
		if req.Event == "ping" {
			if b := c.readData(); string(b) != `{"event":"pong","reqid":42}` {
				t.Errorf("pong = %s", b)
			}
			continue
		}
		for _, p := range req.Pair {
			var st []byte
			c.until(func(b []byte) bool {
				if bytes.Contains(b, []byte(`"event":"subscriptionStatus"`)) {
					st = b
					return true
				}
				return false
			})
			want := subscribed
			if req.Event == "unsubscribe" {
				want = unsubscribed
				if !have[req.Subscription.Name+p] {
					// The docs unsubscribe a pair they never subscribed: Kraken's answer.
					w := `{"errorMessage":"Subscription Not Found","event":"subscriptionStatus","pair":"` + p + `","status":"error","subscription":{"name":"` + req.Subscription.Name + `"}}`
					if string(st) != w {
						t.Errorf("%s: got %s, want %s", f.Src, st, w)
					}
					continue
				}
			}
			have[req.Subscription.Name+p] = req.Event == "subscribe"
			got := shape(t, st)
			got = regexp.MustCompile(`subscription:\{[^}]*\}`).ReplaceAllString(got, "subscription:{}")
			want = regexp.MustCompile(`subscription:\{[^}]*\}`).ReplaceAllString(want, "subscription:{}")
			if got != want {
				t.Errorf("%s: status %s\n shape %s\n  doc  %s", f.Src, st, got, want)
			}
			m := decodeObj(t, st)
			name := req.Subscription.Name
			switch name {
			case "book":
				name = "book-10"
			case "ohlc":
				name = fmt.Sprintf("ohlc-%d", req.Subscription.Interval)
			}
			if m["pair"] != p || m["channelName"] != name {
				t.Errorf("%s: status %s, want pair %s channel %s", f.Src, st, p, name)
			}
		}
		if req.Event == "subscribe" && req.Subscription.Name == "trade" {
			srv.Step(300)
			c.until(func(b []byte) bool {
				if !bytes.Contains(b, []byte(`,"trade","XBT/EUR"]`)) {
					return false
				}
				if got := shape(t, b); got != tradeShape {
					t.Errorf("trade frame shape %s, doc %s", got, tradeShape)
				}
				return true
			})
		}
	}
}

// TestAckShapesMatchCaptures compares the server's v2 acks with real 2024 acks and its v1
// statuses with real 2023 ones, field for field (values of times and ids aside).
func TestAckShapesMatchCaptures(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD", "ETH/USD")
	fx2 := readFixtures(t, "testdata/kraken-async-rs-v2-2024-05.jsonl")
	v2 := dial(t, srv, srv.URLv2())
	v2.read()
	for _, tc := range []struct{ req, capture string }{
		{`{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]},"req_id":42}`, `"channel":"ticker","event_trigger"`},
		{`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":11}`, `"result":{"channel":"book"`},
		{`{"method":"subscribe","params":{"channel":"ohlc","symbol":["ETH/USD"],"interval":60},"req_id":121}`, `"result":{"channel":"ohlc"`},
		{`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":0}`, `"result":{"channel":"trade"`},
		{`{"method":"subscribe","params":{"channel":"instrument"},"req_id":0}`, `"result":{"channel":"instrument"`},
		{`{"method":"subscribe","params":{"channel":"trade","symbol":["WWW/USD"]},"req_id":0}`, `Currency pair not supported WWW/USD`},
		{`{"method":"ping","params":{},"req_id":0}`, `Unsupported field: 'params'`},
	} {
		v2.send(tc.req)
		var ack []byte
		v2.until(func(b []byte) bool {
			if bytes.HasPrefix(b, []byte(`{"error"`)) || bytes.HasPrefix(b, []byte(`{"method"`)) {
				ack = b
				return true
			}
			return false
		})
		want := docFrame(t, fx2, tc.capture)
		if got, w := stripValues(t, ack), stripValues(t, want); got != w {
			t.Errorf("%s\n got %s\nwant %s", tc.req, got, w)
		}
	}
	fx1 := readFixtures(t, "testdata/kraken-async-rs-v1-2023-11-12.jsonl")
	v1 := dial(t, srv, srv.URLv1())
	v1.read()
	// (The capture's spread subscribe answer is an unsubscribe; spread is checked on unsubscribe.)
	for _, name := range []string{`{"interval":1,"name":"ohlc"}`, `{"name":"ticker"}`, `{"name":"trade"}`, `{"depth":10,"name":"book"}`} {
		for _, ev := range []string{"subscribe", "unsubscribe"} {
			v1.send(`{"event":"` + ev + `","pair":["XBT/USD"],"subscription":` + name + `,"reqid":0}`)
			var st []byte
			v1.until(func(b []byte) bool {
				st = b
				return bytes.Contains(b, []byte(`"subscriptionStatus"`))
			})
			status := map[string]string{"subscribe": "subscribed", "unsubscribe": "unsubscribed"}[ev]
			var want []byte
			for _, f := range fx1 {
				if bytes.Contains(f.Msg, []byte(`"status":"`+status+`","subscription":`+name)) {
					want = f.Msg
				}
			}
			if want == nil {
				t.Fatalf("no capture for %s %s", ev, name)
			}
			// Same text except the channelID, which is the server's own.
			re := regexp.MustCompile(`"channelID":\d+`)
			if got, w := re.ReplaceAllString(string(st), `"channelID":0`), re.ReplaceAllString(string(want), `"channelID":0`); got != w {
				t.Errorf("v1 %s %s\n got %s\nwant %s", ev, name, got, w)
			}
		}
	}
}

// stripValues replaces the time and connection fields of a frame so that only structure and
// meaningful values remain.
func stripValues(t testing.TB, b []byte) string {
	m := decodeObj(t, b)
	for _, k := range []string{"time_in", "time_out"} {
		if _, ok := m[k]; ok {
			m[k] = "T"
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func TestV1ErrorAcks(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv, srv.URLv1())
	c.read()
	c.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"},"reqid":5}`)
	c.readData()
	for _, tc := range []struct {
		req  string
		want []string
	}{
		{`not json`, []string{`{"errorMessage":"Malformed request","event":"error"}`}},
		{`{"event":"subscribe","pair":["BTC/USD"],"subscription":{"name":"trade"}}`,
			[]string{`{"errorMessage":"Currency pair not supported BTC/USD","event":"subscriptionStatus","pair":"BTC/USD","status":"error","subscription":{"name":"trade"}}`}},
		{`{"event":"subscribe","pair":["XBTUSDT"],"subscription":{"name":"trade"},"reqid":1}`,
			[]string{`{"errorMessage":"Currency pair not in ISO 4217-A3 format XBTUSDT","event":"subscriptionStatus","pair":"XBTUSDT","reqid":1,"status":"error","subscription":{"name":"trade"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":42}}`,
			[]string{`{"errorMessage":"Subscription depth not supported","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"depth":42,"name":"book"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD","ETH/USD"],"subscription":{"name":"ohlc","interval":7}}`,
			[]string{
				`{"errorMessage":"Subscription ohlc interval not supported","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"interval":7,"name":"ohlc"}}`,
				`{"errorMessage":"Subscription ohlc interval not supported","event":"subscriptionStatus","pair":"ETH/USD","status":"error","subscription":{"interval":7,"name":"ohlc"}}`,
			}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":"10"}}`,
			[]string{`{"errorMessage":"Subscription book depth must be an integer","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"depth":"10","name":"book"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trades"}}`,
			[]string{`{"errorMessage":"Subscription name invalid","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"name":"trades"}}`}},
		{`{"event":"subscribe","pair":"XBT/USD","subscription":{"name":"trade"}}`,
			[]string{`{"errorMessage":"Pair field must be an array","event":"subscriptionStatus","status":"error","subscription":{"name":"trade"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":"trade"}`,
			[]string{`{"errorMessage":"Subscription field must be an object","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":"trade"}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade","depth":10}}`,
			[]string{`{"errorMessage":"Unsupported field: 'depth' for the given msg type: subscribe","event":"subscriptionStatus","pair":"XBT/USD","status":"error","subscription":{"depth":10,"name":"trade"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"},"reqid":6}`,
			[]string{`{"errorMessage":"Already subscribed","event":"subscriptionStatus","pair":"XBT/USD","reqid":6,"status":"error","subscription":{"name":"trade"}}`}},
		{`{"event":"unsubscribe","pair":["XBT/USD"],"subscription":{"name":"ticker"},"reqid":7}`,
			[]string{`{"errorMessage":"Subscription Not Found","event":"subscriptionStatus","pair":"XBT/USD","reqid":7,"status":"error","subscription":{"name":"ticker"}}`}},
		{`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"},"extra":1}`,
			[]string{`{"errorMessage":"Unsupported field: 'extra' for the given msg type: subscribe","event":"error"}`}},
		{`{"event":"hello"}`, []string{`{"errorMessage":"Malformed request","event":"error"}`}},
		{`{"event":"ping","reqid":42}`, []string{`{"event":"pong","reqid":42}`}},
		{`{"event":"ping"}`, []string{`{"event":"pong"}`}},
	} {
		c.send(tc.req)
		for _, w := range tc.want {
			got := string(c.readData())
			// The echo of an unparseable subscription is re-encoded; compare it as JSON.
			if got != w && stripTimes(t, []byte(got)) != stripTimes(t, []byte(w)) {
				t.Errorf("%s\n got %s\nwant %s", tc.req, got, w)
			}
		}
	}
}

func TestV2ErrorAcks(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv, srv.URLv2())
	c.read()
	c.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false},"req_id":1}`)
	c.readData()
	for _, tc := range []struct {
		req  string
		want []string
	}{
		{`{"method":"subscribe","params":{"channel":"trade","symbol":["XBT/USD"]}}`,
			[]string{`{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,"symbol":"XBT/USD"}`}},
		{`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":42},"req_id":3}`,
			[]string{`{"error":"Subscription depth not supported","method":"subscribe","req_id":3,"success":false}`}},
		{`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD","ETH/USD"]},"req_id":4}`,
			[]string{
				`{"error":"Already subscribed","method":"subscribe","req_id":4,"success":false,"symbol":"BTC/USD"}`,
				`{"method":"subscribe","req_id":4,"result":{"channel":"trade","snapshot":true,"symbol":"ETH/USD"},"success":true}`,
			}},
		{`{"method":"unsubscribe","params":{"channel":"ticker","symbol":["BTC/USD"]},"req_id":123456789}`,
			[]string{`{"error":"Subscription Not Found","method":"subscribe","req_id":123456789,"success":false,"symbol":"BTC/USD"}`}},
		{`{"method":"unsubscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":5}`,
			[]string{`{"method":"unsubscribe","req_id":5,"result":{"channel":"trade","symbol":"BTC/USD"},"success":true}`}},
		{`{"method":"ping","params":{},"req_id":0}`,
			[]string{`{"error":"Unsupported field: 'params' for the given msg type: ping","method":"ping","req_id":0,"success":false}`}},
		{`{"method":"subscribe","params":{"channel":"level3","symbol":["BTC/USD"]},"req_id":0}`,
			[]string{`{"error":"Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com","method":"subscribe","req_id":0,"success":false}`}},
		{`{"method":"subscribe","params":{"channel":"candles","symbol":["BTC/USD"]},"req_id":0}`,
			[]string{`{"error":"Unsupported event","method":"subscribe","req_id":0,"success":false}`}},
		{`{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":7}}`,
			[]string{`{"error":"Subscription ohlc interval not supported","method":"subscribe","success":false}`}},
		{`{"method":"fly","req_id":9}`, []string{`{"error":"Unsupported event","method":"fly","req_id":9,"success":false}`}},
		{`[1,2`, []string{`{"error":"Malformed request","success":false}`}},
		{`{"method":"ping","req_id":101}`, []string{`{"method":"pong","req_id":101}`}},
	} {
		c.send(tc.req)
		for _, w := range tc.want {
			b := c.readData()
			if bytes.HasPrefix(b, []byte(`{"channel":"trade"`)) { // the ETH/USD snapshot
				b = c.readData()
			}
			m := decodeObj(t, b)
			if _, ok := m["time_in"]; !ok {
				t.Errorf("%s: %s has no time_in", tc.req, b)
			}
			if got := stripTimes(t, b); got != stripTimes(t, []byte(w)) {
				t.Errorf("%s\n got %s\nwant %s", tc.req, got, w)
			}
		}
	}
}

// TestBookStreamsVerifyChecksums subscribes to books at several depths on both APIs, moves
// the market a few thousand steps and requires every checksum to verify and every client
// book to equal the top of the market's own book.
func TestBookStreamsVerifyChecksums(t *testing.T) {
	srv, m, infos := marketServer(t, "BTC/USD", "ETH/BTC", "DOGE/USD")
	srv.Step(50)
	type sub struct {
		api   feed.API
		depth int
		c     *wsClient
		bt    *bookTracker
	}
	var subs []*sub
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		for _, depth := range []int{10, 25, 100} {
			s := &sub{api: api, depth: depth, bt: newBookTracker(t, api, depth, infos...)}
			if api == feed.APIV1 {
				s.c = dial(t, srv, srv.URLv1())
				s.c.send(fmt.Sprintf(`{"event":"subscribe","pair":["XBT/USD","ETH/XBT","XDG/USD"],"subscription":{"name":"book","depth":%d}}`, depth))
			} else {
				s.c = dial(t, srv, srv.URLv2())
				s.c.send(fmt.Sprintf(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/BTC","DOGE/USD"],"depth":%d}}`, depth))
			}
			subs = append(subs, s)
		}
	}
	for round := range 5 {
		srv.Step(800)
		for _, s := range subs {
			s.c.sync(s.api, round, func(b []byte) {
				if isBook, ok := s.bt.feed(b); isBook && !ok {
					t.Errorf("%s depth %d: checksum mismatch at %s", s.api, s.depth, b)
				}
			})
			for _, in := range infos {
				name := string(in.Pair)
				if s.api == feed.APIV1 {
					name = in.WSName
				}
				if !sameTop(s.bt.books[name], m.books[in.Pair], s.depth) {
					t.Fatalf("%s depth %d %s: client book differs from the market's top %d", s.api, s.depth, in.Pair, s.depth)
				}
			}
		}
	}
	for _, s := range subs {
		if s.bt.updates < 500 || s.bt.bad > 0 {
			t.Errorf("%s depth %d: %d updates, %d verified, %d bad", s.api, s.depth, s.bt.updates, s.bt.verified, s.bt.bad)
		}
		if s.api == feed.APIV1 && s.depth == 10 && s.bt.republ == 0 {
			t.Errorf("v1 depth 10: no republished (\"r\") level in %d updates", s.bt.updates)
		}
	}
}

// TestV2NumbersKeepPrecision checks that v2 prices and quantities are printed at the pair's
// precision with trailing zeros, like the real wire.
func TestV2NumbersKeepPrecision(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD")
	srv.Step(100)
	c := dial(t, srv, srv.URLv2())
	c.send(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}`)
	c.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}`)
	c.sync(feed.APIV2, 0, nil) // the subscriptions are in place
	srv.Step(300)
	prices := regexp.MustCompile(`"price":([0-9.eE+-]+)`)
	qtys := regexp.MustCompile(`"qty":([0-9.eE+-]+)`)
	n := 0
	c.sync(feed.APIV2, 1, func(b []byte) {
		for _, m := range prices.FindAllSubmatch(b, -1) {
			n++
			if !regexp.MustCompile(`^\d+\.\d$`).Match(m[1]) {
				t.Fatalf("price %s is not at 1 decimal in %s", m[1], b)
			}
		}
		for _, m := range qtys.FindAllSubmatch(b, -1) {
			if !regexp.MustCompile(`^\d+\.\d{8}$`).Match(m[1]) {
				t.Fatalf("qty %s is not at 8 decimals in %s", m[1], b)
			}
		}
	})
	if n < 50 {
		t.Fatalf("only %d prices seen", n)
	}
}

// TestTradeIDsAndSnapshot checks v2 trade ids are a per-pair sequence and the snapshot holds
// the last 50 trades, oldest first.
func TestTradeIDsAndSnapshot(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD", "ETH/USD")
	srv.Step(1000)
	c := dial(t, srv, srv.URLv2())
	c.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD","ETH/USD"],"snapshot":true}}`)
	type tr struct {
		Symbol  string
		TradeID uint64 `json:"trade_id"`
	}
	last := map[string]uint64{}
	snaps := 0
	check := func(b []byte) {
		if !bytes.HasPrefix(b, []byte(`{"channel":"trade"`)) {
			return
		}
		var msg struct {
			Type string
			Data []tr
		}
		json.Unmarshal(b, &msg)
		if msg.Type == "snapshot" {
			snaps++
			if len(msg.Data) != 50 {
				t.Errorf("snapshot of %d trades", len(msg.Data))
			}
			last[msg.Data[0].Symbol] = msg.Data[0].TradeID - 1
		}
		for _, d := range msg.Data {
			if d.TradeID != last[d.Symbol]+1 {
				t.Fatalf("%s trade id %d after %d", d.Symbol, d.TradeID, last[d.Symbol])
			}
			last[d.Symbol] = d.TradeID
		}
	}
	c.sync(feed.APIV2, 1, check)
	srv.Step(500)
	c.sync(feed.APIV2, 2, check)
	if snaps != 2 || last["BTC/USD"] < 100 || last["ETH/USD"] < 100 {
		t.Errorf("snapshots %d, last ids %v", snaps, last)
	}
}

func TestChannelsAndCounters(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD")
	srv.Step(100)
	c1 := dial(t, srv, srv.URLv1())
	c1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ticker"}}`)
	c1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"spread"}}`)
	c1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"ohlc","interval":5}}`)
	c1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}`)
	c2 := dial(t, srv, srv.URLv2())
	c2.send(`{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]}}`)
	c2.send(`{"method":"subscribe","params":{"channel":"ohlc","symbol":["BTC/USD"],"interval":1}}`)
	c2.send(`{"method":"subscribe","params":{"channel":"instrument"}}`)
	seen := map[string]int{}
	v1f := func(b []byte) {
		var arr []json.RawMessage
		if json.Unmarshal(b, &arr) == nil && len(arr) == 4 {
			var name string
			json.Unmarshal(arr[2], &name)
			seen["v1 "+name]++
		}
	}
	v2f := func(b []byte) {
		m := decodeObj(t, b)
		if ch, ok := m["channel"].(string); ok {
			seen["v2 "+ch+" "+fmt.Sprint(m["type"])]++
			if want, ok := v2Shapes[ch]; ok {
				if got := shape(t, b); got != want {
					t.Errorf("v2 %s shape %s\nwant %s", ch, got, want)
				}
			}
		}
	}
	c1.sync(feed.APIV1, 0, v1f)
	c2.sync(feed.APIV2, 0, v2f)
	srv.Step(500)
	c1.sync(feed.APIV1, 1, v1f)
	c2.sync(feed.APIV2, 2, v2f)
	for _, k := range []string{"v1 ticker", "v1 spread", "v1 ohlc-5", "v1 trade", "v2 ticker snapshot", "v2 ticker update", "v2 ohlc update", "v2 instrument snapshot"} {
		if seen[k] == 0 {
			t.Errorf("no %s frame; seen %v", k, seen)
		}
	}
	st := srv.Stats()
	if st.Connections != 2 || st.Open != 2 || st.Active != 7 || st.Frames["ticker"] == 0 || st.Frames["status"] != 2 {
		t.Errorf("stats %+v", st)
	}
	if srv.FramesSent("trade") != st.Frames["trade"] || srv.FramesSent("nope") != 0 {
		t.Error("FramesSent disagrees with Stats")
	}
}

// Shapes of the documented v2 data frames (docs-v2-examples), which the server's must have.
var v2Shapes = map[string]string{
	"ticker": `{channel:string,data:[{ask:number,ask_qty:number,bid:number,bid_qty:number,change:number,change_pct:number,high:number,last:number,low:number,symbol:string,timestamp:string,volume:number,vwap:number}],type:string}`,
	"ohlc":   `{channel:string,data:[{close:number,high:number,interval:number,interval_begin:string,low:number,open:number,symbol:string,timestamp:string,trades:number,volume:number,vwap:number}],timestamp:string,type:string}`,
}

// TestV1DataFramesMatchDocs compares each v1 data frame element by element with the docs.
func TestV1DataFramesMatchDocs(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD")
	srv.Step(100)
	fx := readFixtures(t, "testdata/docs-v1-examples.jsonl")
	c := dial(t, srv, srv.URLv1())
	for _, s := range []string{`{"name":"ticker"}`, `{"name":"spread"}`, `{"name":"ohlc","interval":5}`, `{"name":"trade"}`} {
		c.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":` + s + `}`)
	}
	c.sync(feed.APIV1, 0, nil)
	srv.Step(300)
	docs := map[string][]byte{
		"ticker": docFrame(t, fx, `"ticker","XBT/USD"`),
		"spread": docFrame(t, fx, `"spread","XBT/USD"`),
		"ohlc-5": docFrame(t, fx, `"ohlc-5","XBT/USD"`),
		"trade":  docFrame(t, fx, `"trade","XBT/USD"`),
	}
	seen := map[string]bool{}
	c.sync(feed.APIV1, 1, func(b []byte) {
		var arr []any
		if json.Unmarshal(b, &arr) != nil || len(arr) != 4 {
			return
		}
		name := arr[2].(string)
		var doc []any
		json.Unmarshal(docs[name], &doc)
		if got, want := deepShape(arr), deepShape(doc); got != want {
			t.Errorf("v1 %s\n got %s\nwant %s\n(%s)", name, got, want, b)
		}
		seen[name] = true
	})
	if len(seen) != 4 {
		t.Errorf("saw %v", seen)
	}
}

// deepShape is shapeOf without collapsing arrays to their first element.
func deepShape(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = deepShape(e)
		}
		if len(parts) > 0 && allSame(parts) {
			return "[" + parts[0] + "...]"
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for i, k := range keys {
			keys[i] = k + ":" + deepShape(x[k])
		}
		return "{" + strings.Join(keys, ",") + "}"
	case float64:
		return "number"
	case string:
		if regexp.MustCompile(`^\d+\.\d+$`).MatchString(x) {
			return "decimal"
		}
		return "string"
	}
	return fmt.Sprintf("%T", v)
}

func allSame(s []string) bool {
	for _, x := range s[1:] {
		if x != s[0] {
			return false
		}
	}
	return true
}

func TestPublishedTradesAndDuplicates(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv, srv.URLv2())
	c.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}`)
	if err := srv.WaitSubscribers(context.Background(), feed.APIV2, "trade", "BTC/USD", 1); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 1, 123456000, time.UTC)
	tr := func(id uint64, px string) feed.Event {
		return feed.Event{Kind: feed.KindTrade, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Sell, OrdType: feed.OrdLimit,
			Price: decimal.RequireFromString(px), Qty: decimal.RequireFromString("0.01"), ID: id, Time: t0}, Time: t0}
	}
	srv.Publish(tr(100, "50000.1"), tr(100, "50000.2"), tr(101, "50000"), tr(0, "49999.9"))
	var got []string
	c.sync(feed.APIV2, 1, func(b []byte) {
		if bytes.HasPrefix(b, []byte(`{"channel":"trade","type":"update"`)) {
			got = append(got, string(b))
		}
	})
	want := `{"channel":"trade","type":"update","data":[` +
		`{"symbol":"BTC/USD","side":"sell","price":50000.1,"qty":0.01000000,"ord_type":"limit","trade_id":100,"timestamp":"2026-05-01T12:00:01.123456Z"},` +
		`{"symbol":"BTC/USD","side":"sell","price":50000.0,"qty":0.01000000,"ord_type":"limit","trade_id":101,"timestamp":"2026-05-01T12:00:01.123456Z"},` +
		`{"symbol":"BTC/USD","side":"sell","price":49999.9,"qty":0.01000000,"ord_type":"limit","trade_id":102,"timestamp":"2026-05-01T12:00:01.123456Z"}]}`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestSendAndSendTo(t *testing.T) {
	srv := newServer(t)
	a := dial(t, srv, srv.URLv2())
	b := dial(t, srv, srv.URLv2())
	a.read()
	b.read()
	a.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["ETH/USD"],"snapshot":false}}`)
	a.readData()
	srv.SendTo(feed.APIV2, "trade", "ETH/USD", []byte(`{"x":1}`))
	srv.Send([]byte(`{"y":2}`))
	if got := string(a.readData()); got != `{"x":1}` {
		t.Errorf("a got %s", got)
	}
	if got := string(a.readData()); got != `{"y":2}` {
		t.Errorf("a got %s", got)
	}
	if got := string(b.readData()); got != `{"y":2}` {
		t.Errorf("b got %s", got)
	}
	if srv.FramesSent("raw") != 3 {
		t.Errorf("raw frames %d", srv.FramesSent("raw"))
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	srv := krakentest.New()
	c := dial(t, srv, srv.URLv2())
	c.read()
	srv.Close()
	srv.Close()
	if _, _, err := c.ws.ReadMessage(); err == nil {
		t.Fatal("connection still open after Close")
	}
	if _, _, err := srv.Dialer().Dial(srv.URLv2(), nil); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}
