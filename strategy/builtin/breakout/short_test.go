package breakout_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/breakout"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"go.uber.org/zap"
)

func runShort(t *testing.T, prices []string) *strategytest.Context {
	t.Helper()
	s, err := breakout.New(strategy.Params{"period": "5", "size": "0.1", "stop": "1", "take": "2", "short": "true", "leverage": "3"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	for i, p := range prices {
		tr := feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: d(p), Qty: d("1"), Time: strategytest.DefaultStart.Add(time.Duration(i)*time.Minute + time.Second)}
		if err := c.Trade(tr); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Five quiet candles (channel bottom 99.5), then candle 5 closes at 98: a breakdown. The
// short entry sells 0.1 at 3x on margin with a buy stop at ceil(98 × 1.01) = 99.0; the target
// is floor(98 × 0.98) = 96.0.
var breakdown = []string{"100", "101", "100.5", "99.5", "100", "98", "97.5"}

const shortEntry = "2024-01-01T00:06:01Z OnCandle submit id=OTEST1-STRAT-000001 BTC/USD sell market qty=0.1 price=0 price2=0 tif=GTC post=false ref=1 close=stop-loss/99/0 leverage=3"

func TestShortTakeProfit(t *testing.T) {
	// 97: the short opens on margin, the conditional buy stop is placed. 95.9 ≤ target:
	// cancel the stop. 96: the stop is gone, buy back at market (reduce-only). 95.5: filled.
	c := runShort(t, append(breakdown, "97", "95.9", "96", "95.5"))
	want := strings.Join([]string{
		shortEntry,
		"2024-01-01T00:08:01Z OnTrade cancel id=OTEST2-CLOSE-000002",
		"2024-01-01T00:09:01Z OnTrade submit id=OTEST3-STRAT-000003 BTC/USD buy market qty=0.1 price=0 price2=0 tif=GTC post=false ref=3 leverage=3 reduce-only",
	}, "\n")
	if got := lines(c); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
	p := c.Position("BTC/USD")
	if p.Margin.Open() || !p.Qty.IsZero() {
		t.Fatalf("position %+v, want flat", p)
	}
	// 0.1 × (97 − 95.5) = 0.15, no fee configured.
	if !p.RealizedPnL.Equal(d("0.15")) {
		t.Errorf("realised %s, want 0.15", p.RealizedPnL)
	}
	if b := c.Balance("BTC"); !b.Total.IsZero() {
		t.Errorf("BTC %s: a margin short never holds base", b.Total)
	}
}

func TestShortStopLoss(t *testing.T) {
	// 97: short open, stop at 99.0. 99.5 ≥ 99: the exchange's stop buys back.
	c := runShort(t, append(breakdown, "97", "99.5", "100"))
	if got := lines(c); got != shortEntry {
		t.Fatalf("actions:\n%s\nwant only the entry", got)
	}
	fills := c.Fills()
	if len(fills) != 2 || fills[1].Side != feed.Buy || !fills[1].Price.Equal(d("99.5")) {
		t.Fatalf("fills %+v", fills)
	}
	if p := c.Position("BTC/USD"); p.Margin.Open() || !p.RealizedPnL.Equal(d("-0.25")) {
		t.Errorf("position %+v, want flat with 0.1 × (97 − 99.5)", p)
	}
}

// Shorts are off by default: the same breakdown does nothing.
func TestNoShortsByDefault(t *testing.T) {
	s, err := breakout.New(strategy.Params{"period": "5", "size": "0.1"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	for i, p := range append(breakdown, "97", "95") {
		if err := c.Trade(feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: d(p), Qty: d("1"), Time: strategytest.DefaultStart.Add(time.Duration(i)*time.Minute + time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := lines(c); got != "" {
		t.Fatalf("actions without short=true:\n%s", got)
	}
}

func TestShortsOnARandomWalkAndConformance(t *testing.T) {
	params := strategy.Params{"period": "10", "size": "0.05", "stop": "0.25", "take": "0.5", "short": "true", "leverage": "2"}
	s, err := breakout.New(params.Clone(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching(), strategytest.WithStrictPrecision())
	for _, e := range strategytest.RandomWalk(6, 8000) {
		if err := c.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	shorts := 0
	for _, a := range c.Actions() {
		if a.Op == "submit" && a.Order.Side == feed.Sell && a.Order.Leverage == 2 && a.Order.UserRef == breakout.RefEntry {
			shorts++
		}
	}
	if shorts == 0 {
		t.Fatal("no short entries on the walk")
	}
	// A short held at the end is protected by a buy stop.
	if m := c.Position("BTC/USD").Margin; m.Open() {
		protected := false
		for _, o := range c.Open("BTC/USD") {
			protected = protected || o.Side == feed.Buy && o.Type == strategy.StopLoss
		}
		if !protected {
			t.Errorf("short %s without a stop: %+v", m.Qty, c.Open("BTC/USD"))
		}
	}
	strategytest.Run(t, breakout.New, params, nil)
}
