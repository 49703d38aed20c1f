package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testHub() *Hub {
	return NewHub("test", "demo", []Instance{
		{Name: "grid-btc", Type: "grid", Pairs: []feed.Pair{"BTC/USD"}, Deposits: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10000)}}},
		{Name: "hodl-eth", Type: "buyhold", Pairs: []feed.Pair{"ETH/USD"}, Deposits: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10000)}}},
	})
}

func trade(p feed.Pair, sec int, price string) feed.Event {
	t := t0.Add(time.Duration(sec) * time.Second)
	return feed.Event{Kind: feed.KindTrade, Pair: p, Time: t, Recv: t,
		Trade: feed.Trade{Pair: p, Price: decimal.RequireFromString(price), Qty: decimal.RequireFromString("0.1"), Side: feed.Buy, Time: t}}
}

func fill(inst string, p feed.Pair, sec int, side feed.Side, price, qty string) *engine.Record {
	t := t0.Add(time.Duration(sec) * time.Second)
	return &engine.Record{Instance: inst, Kind: engine.RecordFill, Time: t, Fill: strategy.Fill{OrderID: "OX", Pair: p, Side: side,
		Price: decimal.RequireFromString(price), Qty: decimal.RequireFromString(qty), Fee: decimal.RequireFromString("0.5"), FeeAsset: "USD",
		Liquidity: strategy.Maker, Time: t}}
}

func TestHubMessages(t *testing.T) {
	h := testHub()
	h.Observe([]feed.Event{trade("BTC/USD", 0, "50000"), trade("BTC/USD", 0, "50010"), trade("BTC/USD", 1, "50020"), trade("ETH/USD", 1, "3000")})
	o := strategy.Order{ID: "OA", Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: decimal.RequireFromString("0.1"), Price: decimal.RequireFromString("49900")}
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: o, Status: strategy.StatusPending}})
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: o, Status: strategy.StatusOpen}})
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: strategy.Order{Pair: "BTC/USD"}, Status: strategy.StatusRejected, Reason: "EOrder:Insufficient funds"}})
	h.Record(fill("hodl-eth", "ETH/USD", 1, feed.Buy, "3000", "3"))
	h.Record(&engine.Record{Instance: "hodl-eth", Kind: engine.RecordEquity, Time: t0, Equity: decimal.NewFromInt(10000)})
	h.Record(&engine.Record{Instance: "hodl-eth", Kind: engine.RecordEquity, Time: t0.Add(time.Second), Equity: decimal.NewFromInt(10100)})

	c := newCursor()
	m := h.message(c, true)
	if len(m.Prices["BTC/USD"]) != 2 || m.Prices["BTC/USD"][0].V != 50010 || len(m.Equity["hodl-eth"]) != 2 || m.Equity["hodl-eth"][1].V != 1 || len(m.Fills) != 1 {
		t.Fatalf("full message: prices %v equity %v fills %v", m.Prices, m.Equity, m.Fills)
	}
	g, e := m.Instances[0], m.Instances[1]
	if g.Orders != 1 || g.Rejects != 1 || len(g.Open) != 1 || g.Open[0].Status != "open" || g.Open[0].Price != "49900" {
		t.Fatalf("grid view %+v", g)
	}
	if e.Return != "1.000" || len(e.Positions) != 1 || e.Positions[0].Qty != "3" || e.Fills != 1 {
		t.Fatalf("hodl view %+v", e)
	}
	// balances: 10000 - 9000 - 0.5 fee
	if got := e.Balances; len(got) != 2 || got[1].Asset != "USD" || got[1].Total != "999.5" {
		t.Fatalf("hodl balances %+v", got)
	}

	// The next message carries only what changed (the last point again: it may have moved).
	h.Observe([]feed.Event{trade("BTC/USD", 1, "50030"), trade("BTC/USD", 2, "50040")})
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: o, Status: strategy.StatusCanceled}})
	m = h.message(c, false)
	if p := m.Prices["BTC/USD"]; len(p) != 2 || p[0].V != 50030 || p[1].V != 50040 {
		t.Fatalf("delta prices %v", p)
	}
	if len(m.Fills) != 0 || len(m.Instances[0].Open) != 0 {
		t.Fatalf("delta fills %v open %v", m.Fills, m.Instances[0].Open)
	}
	if _, ok := m.Prices["ETH/USD"]; !ok { // its last point is repeated, nothing new
		t.Fatalf("delta without the ETH point")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:0", false, true},
		{"localhost:0", false, true},
		{"[::1]:0", false, true},
		{":8080", false, false},
		{"0.0.0.0:8080", false, false},
		{"192.168.1.5:8080", false, false},
		{"0.0.0.0:0", true, true},
		{"nonsense", false, false},
	} {
		err := checkLoopback(tc.addr, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q, %v) = %v", tc.addr, tc.allow, err)
		}
		if !tc.ok && tc.addr != "nonsense" && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("checkLoopback(%q): %v is not ErrNotLoopback", tc.addr, err)
		}
	}
}

func startServer(t *testing.T, h *Hub) (*Server, func()) {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h, Options{Push: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return s, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestServer(t *testing.T) {
	h := testHub()
	h.Record(fill("grid-btc", "BTC/USD", 1, feed.Sell, "50000", "0.01"))
	s, stop := startServer(t, h)
	defer stop()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("")
	if resp.StatusCode != 200 || !strings.Contains(body, "lightweight-charts.standalone.production.js") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("index: %d %q", resp.StatusCode, body[:min(200, len(body))])
	}
	if resp, body := get("vendor/lightweight-charts.standalone.production.js"); resp.StatusCode != 200 || !strings.Contains(body, "TradingView Lightweight Charts") {
		t.Fatalf("vendored library: %d", resp.StatusCode)
	}
	if resp, body := get("vendor/LICENSE-lightweight-charts.txt"); resp.StatusCode != 200 || !strings.Contains(body, "Apache License") {
		t.Fatalf("licence: %d", resp.StatusCode)
	}
	resp, body = get("api/state")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("state content type %q", ct)
	}
	var m message
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m.Fills) != 1 || m.Fills[0].Side != "sell" {
		t.Fatalf("state: %v %+v", err, m)
	}
	post, err := http.Post(s.URL()+"api/state", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST answered %d", post.StatusCode)
	}

	// The event stream: a full message, then deltas; Run's shutdown ends it.
	resp, err = http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	next := func() message {
		t.Helper()
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var m message
				if err := json.Unmarshal([]byte(data), &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
		}
	}
	if m := next(); !m.Full || len(m.Fills) != 1 {
		t.Fatalf("first event %+v", m)
	}
	h.Record(fill("grid-btc", "BTC/USD", 2, feed.Buy, "49990", "0.01"))
	for {
		m := next()
		if m.Full {
			t.Fatal("second full message")
		}
		if len(m.Fills) == 1 && m.Fills[0].Side == "buy" {
			break
		}
	}
}
