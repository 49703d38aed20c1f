package dashboard

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

var screenshotHistory = flag.String("screenshot-history", "", "save a screenshot of TestDashboardHistoryInChromium's page to this PNG file")

// TestDashboardHistoryInChromium leaves the page open, without a reload, while the session
// runs far past what a chart holds at one-second resolution (issue 18 item 10): the charts
// must still show the session from its first second, fitted to the whole of it, in at most
// maxCandles candles; every table must fit the 1400 px window with the widest rows a session
// makes (a long instance name, partly filled orders, long quantities); no number may be longer
// than 15 characters; a disconnected feed shows why, and a negative feed lag shows a value.
func TestDashboardHistoryInChromium(t *testing.T) {
	bin := chromium(t)
	d := decimal.RequireFromString
	usd := []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10000)}}
	const long = "mean-reversion-eth-fast@pessimistic"
	h := NewHub("history", "live", []Instance{
		{Name: "grid-btc", Type: "grid", Pairs: []feed.Pair{"BTC/USD"}, Deposits: usd},
		{Name: "hodl-eth", Type: "buyhold", Pairs: []feed.Pair{"ETH/USD"}, Deposits: usd},
		{Name: long, Type: "bollinger", Pairs: []feed.Pair{"ETH/USD"}, Deposits: usd},
	})
	orders := []struct {
		inst string
		o    strategy.Order
		st   strategy.OrderStatus
		fill string
	}{
		{"grid-btc", strategy.Order{ID: "OQCLML-BW3P3-BUCMWZ", Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.00212345"), Price: d("49500.1")}, strategy.StatusOpen, "0"},
		{long, strategy.Order{ID: "OB5VMB-B4U2U-DK2WRW", Pair: "ETH/USD", Side: feed.Sell, Type: strategy.StopLossLimit, Qty: d("12.34567891"), Price: d("123456.78")}, strategy.StatusOpen, "1.23456789"},
		{long, strategy.Order{ID: "OXW7IT-LJ5VD-6QVY4S", Pair: "ETH/USD", Side: feed.Buy, Type: strategy.TakeProfitLimit, Qty: d("0.00012345"), Price: d("2999.99")}, strategy.StatusOpen, "0"},
	}
	for _, x := range orders {
		h.Record(&engine.Record{Instance: x.inst, Kind: engine.RecordOrder, Time: t0,
			Order: strategy.OrderUpdate{Order: x.o, Status: x.st, Filled: d(x.fill)}})
	}
	const problem = "cannot reach Kraken (DNS lookup failed for ws.kraken.com: no such host)"
	h.SetHealth(func() Health {
		return Health{Connected: false, DialProblem: problem, LastMessage: time.Now().Add(-time.Minute), Frames: 12345, Connections: 2,
			FeedLagMS: -754321, JournalCommitted: 321}
	})
	s, err := Listen("127.0.0.1:0", h, Options{Push: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	started := make(chan struct{})
	s.onStream = func() { once.Do(func() { close(started) }) }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = s.Run(ctx) }()
	go func() { defer wg.Done(); feedHub(ctx, h, started, 10) }() // 10 s of market a tick
	defer func() { cancel(); wg.Wait() }()

	cctx, ccancel := context.WithTimeout(ctx, 90*time.Second)
	defer ccancel()
	b, err := launch(cctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if err := b.open(s.URL()); err != nil {
		t.Fatal(err)
	}
	// Resolves on the first update after the BTC candles are 8 s wide (three merges since the
	// page opened on 1 s candles): the page's own stream has applied them by then or applies
	// them next, so wait for one more message.
	const wide = `new Promise(resolve => {
		let seen = 0;
		const es = new EventSource("events");
		es.onmessage = () => {
			if ((state.buckets["BTC/USD"] || 0) >= 8 && ++seen == 2) { es.close(); resolve(true); }
		};
	})`
	if _, err := b.eval(wide, true); err != nil {
		t.Fatal(err)
	}
	const check = `(() => {
		const W = document.documentElement.clientWidth;
		const tables = [...document.querySelectorAll("table.data")].map(t => ({id: t.id, right: Math.round(t.getBoundingClientRect().right)}));
		let longest = "";
		for (const c of document.querySelectorAll("td, .health .v, .legend b")) {
			for (const m of c.textContent.matchAll(/[-−]?[0-9][0-9.,]*/g)) if (m[0].length > longest.length) longest = m[0];
		}
		const range = (ch) => { const r = ch.timeScale().getVisibleRange(); return r ? [r.from, r.to] : null; };
		return JSON.stringify({
			width: W, scroll: document.documentElement.scrollWidth, tables, longest,
			candles: state.prices["BTC/USD"].length, firstCandle: state.prices["BTC/USD"][0].time, bucket: state.buckets["BTC/USD"],
			lastCandle: state.prices["BTC/USD"][state.prices["BTC/USD"].length - 1].time,
			firstEquity: state.equity["grid-btc"][0].time, priceRange: range(priceChart), equityRange: range(equityChart),
			health: document.getElementById("health").textContent, conn: document.getElementById("conn").textContent,
			orders: document.querySelectorAll("#orders tbody tr").length,
		});
	})()`
	out, err := b.eval(check, false)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Width, Scroll int
		Tables        []struct {
			ID    string
			Right int
		}
		Longest                         string
		Candles                         int
		FirstCandle, LastCandle, Bucket int64
		FirstEquity                     int64
		PriceRange, EquityRange         []int64
		Health, Conn                    string
		Orders                          int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Logf("page: %s", out)
	start := t0.Unix() + 1 // the feeder's first trade
	if got.FirstCandle > start || got.FirstEquity > start || got.Candles > maxCandles || got.LastCandle-got.FirstCandle < 480 {
		t.Errorf("charts: %d candles of %d s from %d to %d, equity from %d; want the session from %d, at most %d candles",
			got.Candles, got.Bucket, got.FirstCandle, got.LastCandle, got.FirstEquity, start, maxCandles)
	}
	for name, r := range map[string][]int64{"price": got.PriceRange, "equity": got.EquityRange} {
		if len(r) != 2 || r[0] > start || r[1] < got.LastCandle {
			t.Errorf("%s chart shows %v, want the whole session %d..%d", name, r, start, got.LastCandle)
		}
	}
	if got.Scroll > got.Width {
		t.Errorf("the page is %d px wide in a %d px window", got.Scroll, got.Width)
	}
	for _, tb := range got.Tables {
		if tb.Right > got.Width {
			t.Errorf("table %s ends at %d px, the window is %d px", tb.ID, tb.Right, got.Width)
		}
	}
	if len([]rune(got.Longest)) > 15 {
		t.Errorf("number %q is longer than 15 characters", got.Longest)
	}
	for _, want := range []string{"disconnected: " + problem, "exchange clock ahead", "-12.6 min"} {
		if !strings.Contains(got.Health, want) {
			t.Errorf("health panel %q lacks %q", got.Health, want)
		}
	}
	if got.Orders != len(orders) {
		t.Errorf("%d open orders shown, want %d", got.Orders, len(orders))
	}
	if *screenshotHistory != "" {
		png, err := b.screenshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshotHistory, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
