package krakentest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

func TestDropAllClosesWithoutCloseFrame(t *testing.T) {
	srv := newServer(t)
	c := dial(t, srv, srv.URLv2())
	c.read()
	if n := srv.DropAll(); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	_, _, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	if err == nil || (errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure) {
		t.Fatalf("read after drop: %v (want an abnormal closure)", err)
	}
	if err := srv.WaitConnections(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Drops != 1 {
		t.Errorf("drops %d", st.Drops)
	}
	// The server still accepts connections.
	dial(t, srv, srv.URLv2()).read()
}

func TestRefuseConnections(t *testing.T) {
	srv := newServer(t)
	srv.RefuseConnections(true)
	_, resp, err := srv.Dialer().Dial(srv.URLv2(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial while refusing: %v %v", resp, err)
	}
	resp.Body.Close()
	srv.RefuseConnections(false)
	dial(t, srv, srv.URLv2()).read()
	if srv.Stats().Refused != 1 {
		t.Errorf("refused %d", srv.Stats().Refused)
	}
}

func TestMalformedAndProxyFrames(t *testing.T) {
	srv := newServer(t)
	v1 := dial(t, srv, srv.URLv1())
	v2 := dial(t, srv, srv.URLv2())
	v1.read()
	v2.read()
	srv.SendMalformed()
	srv.SendProxyRestart()
	for _, c := range []*wsClient{v1, v2} {
		if b := c.read(); json.Valid(b) {
			t.Errorf("malformed frame %s is valid JSON", b)
		}
		if b := c.read(); string(b) != krakentest.ProxyRestartText {
			t.Errorf("proxy frame %q", b)
		}
	}
}

func TestMaintenanceStatusIsPushed(t *testing.T) {
	srv := newServer(t)
	v1 := dial(t, srv, srv.URLv1())
	v2 := dial(t, srv, srv.URLv2())
	v1.read()
	v2.read()
	srv.SetSystemStatus(feed.SystemMaintenance)
	if b := v2.read(); !bytes.Equal(b, []byte(`{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"maintenance","api_version":"v2","upcoming_maintenance":[],"emergency":[]}]}`)) {
		t.Errorf("v2 maintenance frame %s", b)
	}
	if m := decodeObj(t, v1.read()); m["event"] != "systemStatus" || m["status"] != "maintenance" {
		t.Errorf("v1 maintenance frame %v", m)
	}
	if body := get(t, srv.URL()+"/0/public/SystemStatus"); !strings.Contains(body, `"status":"maintenance"`) {
		t.Errorf("REST status %s", body)
	}
	srv.SetSystemStatus(feed.SystemOnline)
	if m := decodeObj(t, v2.read()); m["data"].([]any)[0].(map[string]any)["system"] != "online" {
		t.Errorf("v2 online frame %v", m)
	}
	if m := decodeObj(t, v1.read()); m["status"] != "online" {
		t.Errorf("v1 online frame %v", m)
	}
}

func TestRejectSubscribesWithExceededMsgRate(t *testing.T) {
	srv := newServer(t)
	srv.SetRejectSubscribes(true)
	v2 := dial(t, srv, srv.URLv2())
	v2.read()
	v2.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD","ETH/USD"]},"req_id":8}`)
	for _, sym := range []string{"BTC/USD", "ETH/USD"} {
		want := `{"error":"Exceeded msg rate","method":"subscribe","req_id":8,"success":false,"symbol":"` + sym + `"}`
		if got := stripTimes(t, v2.readData()); got != stripTimes(t, []byte(want)) {
			t.Errorf("got %s want %s", got, want)
		}
	}
	v1 := dial(t, srv, srv.URLv1())
	v1.read()
	v1.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"},"reqid":9}`)
	want := `{"errorMessage":"Exceeded msg rate","event":"subscriptionStatus","pair":"XBT/USD","reqid":9,"status":"error","subscription":{"name":"trade"}}`
	if got := string(v1.readData()); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	srv.SetRejectSubscribes(false)
	v2.send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":10}`)
	if m := decodeObj(t, v2.readData()); m["success"] != true {
		t.Errorf("subscribe after the fault: %v", m)
	}
	if srv.Stats().Rejected != 3 {
		t.Errorf("rejected %d", srv.Stats().Rejected)
	}
}

func TestCorruptNextChecksum(t *testing.T) {
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		t.Run(api.String(), func(t *testing.T) {
			srv, _, infos := marketServer(t, "BTC/USD")
			srv.Step(10)
			var c *wsClient
			if api == feed.APIV1 {
				c = dial(t, srv, srv.URLv1())
				c.send(`{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book"}}`)
			} else {
				c = dial(t, srv, srv.URLv2())
				c.send(`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}`)
			}
			bt := newBookTracker(t, api, 10, infos...)
			feedAll := func(b []byte) { bt.feed(b) }
			c.sync(api, 1, feedAll)
			if err := srv.CorruptNextChecksum("BTC/USD"); err != nil {
				t.Fatal(err)
			}
			if err := srv.CorruptNextChecksum("NOPE/USD"); err == nil {
				t.Error("unknown pair accepted")
			}
			srv.Step(400)
			c.sync(api, 2, feedAll)
			if bt.bad != 1 || bt.updates < 20 {
				t.Errorf("%d bad checksums in %d updates, want exactly 1", bt.bad, bt.updates)
			}
		})
	}
}

// TestHeartbeats runs in a synctest bubble over pipes: no heartbeat before a subscription,
// then one per idle second.
func TestHeartbeats(t *testing.T) {
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		t.Run(api.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := krakentest.NewPipe()
				defer srv.Close()
				url, sub := srv.URLv2(), `{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}`
				if api == feed.APIV1 {
					url, sub = srv.URLv1(), `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}`
				}
				ws, _, err := srv.Dialer().Dial(url, nil)
				if err != nil {
					t.Fatal(err)
				}
				var (
					mu     sync.Mutex
					frames []string
					wg     sync.WaitGroup
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
						frames = append(frames, string(b))
						mu.Unlock()
					}
				}()
				count := func() (hb, all int) {
					synctest.Wait()
					mu.Lock()
					defer mu.Unlock()
					for _, f := range frames {
						if isHeartbeat([]byte(f)) {
							hb++
						}
					}
					return hb, len(frames)
				}
				time.Sleep(5 * time.Second)
				if hb, all := count(); hb != 0 || all != 1 {
					t.Errorf("unsubscribed: %d heartbeats, %d frames", hb, all)
				}
				ws.WriteMessage(websocket.TextMessage, []byte(sub))
				time.Sleep(3500 * time.Millisecond)
				if hb, all := count(); hb != 3 || all != 5 {
					t.Errorf("subscribed 3.5s: %d heartbeats, %d frames: %q", hb, all, frames)
				}
				ws.Close()
				wg.Wait()
			})
		})
	}
}

// TestStallKeepsTheSocketOpen: a stalled connection gets nothing (not even heartbeats or
// pongs) but stays open; a new connection is served.
func TestStallKeepsTheSocketOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := krakentest.NewPipe()
		defer srv.Close()
		ws, _, err := srv.Dialer().Dial(srv.URLv2(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.ReadMessage() // status
		ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}`))
		ws.ReadMessage() // ack
		srv.StallAll()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"ping","req_id":1}`))
		ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, b, err := ws.ReadMessage()
		if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
			t.Fatalf("stalled connection delivered %s (%v)", b, err)
		}
		if srv.Stats().Open != 1 || srv.Stats().StalledFrames == 0 {
			t.Errorf("stats %+v", srv.Stats())
		}
		ws2, _, err := srv.Dialer().Dial(srv.URLv2(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws2.Close()
		if _, b, err := ws2.ReadMessage(); err != nil || !bytes.Contains(b, []byte(`"status"`)) {
			t.Fatalf("new connection: %s %v", b, err)
		}
	})
}

// TestPeriodicFaults: drop every 30s and maintenance every minute, under a fake clock.
func TestPeriodicFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := krakentest.NewPipe(krakentest.WithFaults(krakentest.FaultConfig{DropEvery: 30 * time.Second}))
		defer srv.Close()
		ws, _, err := srv.Dialer().Dial(srv.URLv2(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.ReadMessage()
		start := time.Now()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				break
			}
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("dropped after %v", d)
		}
		srv.SetFaults(krakentest.FaultConfig{MaintenanceEvery: time.Minute, MaintenanceFor: 10 * time.Second})
		time.Sleep(61 * time.Second)
		if srv.SystemStatus() != feed.SystemMaintenance {
			t.Errorf("status %s after 61s", srv.SystemStatus())
		}
		time.Sleep(10 * time.Second)
		if srv.SystemStatus() != feed.SystemOnline {
			t.Errorf("status %s after 71s", srv.SystemStatus())
		}
	})
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestREST(t *testing.T) {
	srv := newServer(t)
	if body := get(t, srv.URL()+"/0/public/Time"); shape(t, []byte(body)) != `{error:[],result:{rfc1123:string,unixtime:number}}` {
		t.Errorf("Time %s", body)
	}
	if body := get(t, srv.URL()+"/0/public/SystemStatus"); shape(t, []byte(body)) != `{error:[],result:{status:string,timestamp:string}}` {
		t.Errorf("SystemStatus %s", body)
	}
	body := get(t, srv.URL()+"/0/public/AssetPairs?pair=XBTUSD")
	var ap struct {
		Error  []string
		Result map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(body), &ap); err != nil || len(ap.Result) != 1 {
		t.Fatalf("AssetPairs %s: %v", body, err)
	}
	x := ap.Result["XXBTZUSD"]
	if x["wsname"] != "XBT/USD" || x["altname"] != "XBTUSD" || x["pair_decimals"] != 1.0 || x["lot_decimals"] != 8.0 ||
		x["base"] != "XXBT" || x["quote"] != "ZUSD" || x["ordermin"] != "0.0001" || x["tick_size"] != "0.1" || x["status"] != "online" {
		t.Errorf("XXBTZUSD = %v", x)
	}
	all := get(t, srv.URL()+"/0/public/AssetPairs")
	json.Unmarshal([]byte(all), &ap)
	if len(ap.Result) != len(srv.Pairs()) {
		t.Errorf("AssetPairs lists %d pairs, table has %d", len(ap.Result), len(srv.Pairs()))
	}
	for _, url := range []string{"/0/public/AssetPairs?pair=NOPE", "/0/public/Trades?pair=NOPE"} {
		if body := get(t, srv.URL()+url); body != `{"error":["EQuery:Unknown asset pair"],"result":{}}` {
			t.Errorf("%s: %s", url, body)
		}
	}
}

// TestRESTTradesPaging publishes 2,500 trades and pages through them with Kraken's
// nanosecond cursor: every trade comes back once (after dropping the repeated boundary).
func TestRESTTradesPaging(t *testing.T) {
	srv := newServer(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	evs := make([]feed.Event, 2500)
	for i := range evs {
		tm := t0.Add(time.Duration(i) * 1234567 * time.Nanosecond)
		evs[i] = feed.Event{Kind: feed.KindTrade, Time: tm, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, OrdType: feed.OrdLimit,
			Price: decimal.New(500000+int64(i), -1), Qty: decimal.New(1, -3), Time: tm}}
	}
	srv.Publish(evs...)
	seen := map[uint64]bool{}
	since := strconv.FormatInt(t0.UnixNano(), 10)
	pages := 0
	for {
		var page struct {
			Error  []string
			Result map[string]json.RawMessage
		}
		body := get(t, srv.URL()+"/0/public/Trades?pair=XBTUSD&since="+since)
		if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Error) != 0 {
			t.Fatalf("page %s: %v", body, err)
		}
		var rows [][]json.RawMessage
		d := json.NewDecoder(bytes.NewReader(page.Result["XXBTZUSD"]))
		d.UseNumber()
		d.Decode(&rows)
		var last string
		json.Unmarshal(page.Result["last"], &last)
		if len(rows) > 1000 {
			t.Fatalf("page of %d rows", len(rows))
		}
		newRows := 0
		for _, r := range rows {
			if len(r) != 7 {
				t.Fatalf("row %s", r)
			}
			id, _ := strconv.ParseUint(string(r[6]), 10, 64)
			if !seen[id] {
				newRows++
			}
			seen[id] = true
		}
		pages++
		if newRows == 0 || last == since {
			break
		}
		since = last
	}
	if len(seen) != 2500 || pages < 3 {
		t.Errorf("%d trades in %d pages", len(seen), pages)
	}
	first := get(t, srv.URL()+"/0/public/Trades?pair=XBT/USD&count=1&since="+strconv.FormatInt(t0.Unix(), 10))
	if !strings.Contains(first, `[["50000.00000","0.00100000",`+strconv.FormatInt(t0.Unix(), 10)+`.0,"b","l","",1]]`) {
		t.Errorf("first trade %s", first)
	}
}

// TestReplayRecording replays events at twice their pace under a fake clock.
func TestReplayRecording(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var evs []feed.Event
		for i := range 5 {
			tm := t0.Add(time.Duration(i) * time.Second)
			evs = append(evs, feed.Event{Kind: feed.KindTrade, Recv: tm, Time: tm, Trade: feed.Trade{Pair: "ETH/USD", Side: feed.Sell,
				OrdType: feed.OrdMarket, Price: decimal.New(300000+int64(i), -2), Qty: decimal.New(1, -2), ID: uint64(1000 + i), Time: tm}})
		}
		srv := krakentest.NewPipe(krakentest.WithRecording(&krakentest.Recording{Events: evs}, false), krakentest.WithSpeed(2))
		defer srv.Close()
		ws, _, err := srv.Dialer().Dial(srv.URLv2(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.ReadMessage()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"subscribe","params":{"channel":"trade","symbol":["ETH/USD"],"snapshot":true}}`))
		start := time.Now()
		var ids []string
		for len(ids) < 5 {
			_, b, err := ws.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(b, []byte(`{"channel":"trade"`)) {
				var m struct {
					Data []struct {
						TradeID uint64 `json:"trade_id"`
					}
				}
				json.Unmarshal(b, &m)
				for _, d := range m.Data {
					ids = append(ids, strconv.FormatUint(d.TradeID, 10))
				}
			}
		}
		if got := strings.Join(ids, ","); got != "1000,1001,1002,1003,1004" {
			t.Errorf("ids %s", got)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("replay of 4s at speed 2 took %v", d)
		}
		synctest.Wait()
		if !srv.ReplayDone() {
			t.Error("replay not done")
		}
	})
}

// TestReplayLoops: a looping replay keeps going (times shifted, trades renumbered) and stops
// with Close, even for a recording whose events share one instant.
func TestReplayLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		evs := []feed.Event{
			{Kind: feed.KindTrade, Recv: t0, Time: t0, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, OrdType: feed.OrdLimit, Price: decimal.New(500001, -1), Qty: decimal.New(1, -2), Time: t0}},
			{Kind: feed.KindTrade, Recv: t0, Time: t0, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Sell, OrdType: feed.OrdLimit, Price: decimal.New(500000, -1), Qty: decimal.New(2, -2), Time: t0}},
		}
		srv := krakentest.NewPipe(krakentest.WithRecording(&krakentest.Recording{Events: evs}, true))
		defer srv.Close()
		ws, _, err := srv.Dialer().Dial(srv.URLv2(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false}}`))
		var ids []uint64
		for len(ids) < 6 {
			_, b, err := ws.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Channel, Type string
				Data          []struct {
					TradeID uint64 `json:"trade_id"`
				}
			}
			if json.Unmarshal(b, &m) == nil && m.Channel == "trade" && m.Type == "update" {
				for _, d := range m.Data {
					ids = append(ids, d.TradeID)
				}
			}
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[i-1]+1 {
				t.Fatalf("ids %v", ids)
			}
		}
	})
}
