package dashboard

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

var screenshot = flag.String("screenshot", "", "also save a screenshot of the dashboard to this PNG file")

// chromium returns Debian's (or another) Chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium)")
	return ""
}

// feedHub feeds the hub a moving market and fills, like a session, until ctx ends: 120 s
// before the page opens, then stride seconds of event time every 20 ms.
func feedHub(ctx context.Context, h *Hub, start <-chan struct{}, stride int) {
	price := map[feed.Pair]float64{"BTC/USD": 50000, "ETH/USD": 3000}
	sec := 0
	step := func(withFills bool) {
		sec++
		for _, p := range []feed.Pair{"BTC/USD", "ETH/USD"} {
			price[p] *= 1 + 0.0015*float64((sec*7+len(p))%11-5)/5
			h.Observe([]feed.Event{trade(p, sec, fmt.Sprintf("%.2f", price[p]))})
		}
		eq := 10000 + 40*float64((sec*3)%17-8)
		h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordEquity, Time: t0.Add(time.Duration(sec) * time.Second), Equity: decimal.NewFromFloat(eq).Round(2)})
		h.Record(&engine.Record{Instance: "hodl-eth", Kind: engine.RecordEquity, Time: t0.Add(time.Duration(sec) * time.Second), Equity: decimal.NewFromFloat(20000 - eq).Round(2)})
		if withFills && sec%3 == 0 {
			side := feed.Buy
			if sec%6 == 0 {
				side = feed.Sell
			}
			h.Record(fill("grid-btc", "BTC/USD", sec, side, fmt.Sprintf("%.1f", price["BTC/USD"]), "0.002"))
		}
	}
	for range 120 {
		step(false) // history before the page opens: prices and equity, no fill yet
	}
	o := strategy.Order{ID: "OQCLML-BW3P3-BUCMWZ", Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: decimal.RequireFromString("0.002"), Price: decimal.RequireFromString("49500")}
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: o, Status: strategy.StatusOpen}})
	select {
	case <-start:
	case <-ctx.Done():
		return
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for range stride {
				step(true)
			}
		}
	}
}

// TestDashboardInChromium opens the page in headless Chromium, driven over the DevTools
// protocol: the page must connect to the event stream and show fills that happened only after
// it connected (they can only have come through updates), the open order, the feed health,
// and drawn charts. A screenshot is saved with -screenshot=path.png.
func TestDashboardInChromium(t *testing.T) {
	bin := chromium(t)
	h := testHub()
	h.SetHealth(func() Health {
		return Health{Connected: true, LastMessage: time.Now(), Frames: 12345, Connections: 2, Reconnects: 1, TradeGaps: 1, MissingTrades: 3,
			ChecksumMismatches: 1, FeedLagMS: 12, Backlog: []Backlog{{"grid-btc", 0}, {"hodl-eth", 2}}, JournalCommitted: 321}
	})
	h.Observe([]feed.Event{{Kind: feed.KindGap, Pair: "ETH/USD", Recv: t0, Gap: &feed.Gap{Channel: "trade", Missing: 3, Reason: "trade ids skipped"}}})
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
	go func() { defer wg.Done(); feedHub(ctx, h, started, 1) }()
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
	// Resolves once the page shows a buy fill: there were none before it connected.
	const ready = `new Promise(resolve => {
		const ok = () => document.querySelector('#fills td.buy') && document.querySelector('#orders tbody td') && document.querySelector('#health .v');
		if (ok()) return resolve(true);
		new MutationObserver((_, o) => { if (ok()) { o.disconnect(); resolve(true); } }).observe(document.body, {subtree: true, childList: true});
	})`
	if _, err := b.eval(ready, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	default:
		t.Fatal("fills shown without the page opening the event stream")
	}
	dom, err := b.eval("document.documentElement.outerHTML", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<td class="buy">buy</td>`, "OQCLML-BW3P3-BUCMWZ", "grid-btc", "hodl-eth", "feed connected", "trade ids skipped", "<canvas",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	if *screenshot != "" {
		// Let two more updates land so the charts show fills, then shoot.
		if _, err := b.eval(`new Promise(r => { let n = 0; const es = new EventSource("events"); es.onmessage = () => { if (++n == 3) { es.close(); r(true); } }; })`, true); err != nil {
			t.Fatal(err)
		}
		png, err := b.screenshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
