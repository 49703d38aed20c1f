package grid_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/grid"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func at(sec int) time.Time { return strategytest.DefaultStart.Add(time.Duration(sec) * time.Second) }

func trade(sec int, price, qty string) feed.Trade {
	return feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: d(price), Qty: d(qty), Time: at(sec)}
}

func lines(c *strategytest.Context) []string {
	var out []string
	for _, a := range c.Actions() {
		out = append(out, a.String())
	}
	return out
}

func TestGridLifecycle(t *testing.T) {
	s, err := grid.New(strategy.Params{"levels": "2", "spacing": "100", "size": "0.01", "recenter": "1m"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"), strategytest.WithBalance("BTC", "0.1"), strategytest.WithMatching())
	steps := []func() error{
		// Builds around 100 with 1% steps: buys 99, 98, sells 101, 102.
		func() error { return c.Trade(trade(1, "100", "1")) },
		// A seller prints 0.005 at 98.9: half of the 99 buy fills (at 99, the order's
		// price); its counter-sell goes one step up: ceil(99 × 1.01) = 100.
		func() error { return c.Trade(trade(2, "98.9", "0.005")) },
		// The rest of the 99 buy fills: the counter-sell at 100 grows to 0.01.
		func() error { return c.Trade(trade(3, "98.95", "1")) },
		// The book moves to 104.9/105.1 (no matching on books here).
		func() error {
			return c.Book(&feed.BookUpdate{Pair: "BTC/USD", Snapshot: true, Time: at(50),
				Bids: []feed.BookLevel{{Price: feed.Fixed{Mant: 1049, Scale: 1}, Qty: feed.Fixed{Mant: 1, Scale: 0}}},
				Asks: []feed.BookLevel{{Price: feed.Fixed{Mant: 1051, Scale: 1}, Qty: feed.Fixed{Mant: 1, Scale: 0}}}})
		},
		// The first trade after the 00:01:00 deadline fires the timer before it is
		// delivered: the mid (105) is outside the ±2% grid, so everything is cancelled;
		// then the trade itself finds no orders and the grid is rebuilt around 105
		// (step 1.05): buys 103.9, 102.9, sells 106.1, 107.1.
		func() error { return c.Trade(trade(65, "105", "0.2")) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{
		"2024-01-01T00:00:00Z OnStart set-timer d=1m0s",
		"2024-01-01T00:00:01Z OnTrade submit id=OTEST1-STRAT-000001 BTC/USD buy limit qty=0.01 price=99 price2=0 tif=GTC post=true ref=1",
		"2024-01-01T00:00:01Z OnTrade submit id=OTEST2-STRAT-000002 BTC/USD sell limit qty=0.01 price=101 price2=0 tif=GTC post=true ref=-1",
		"2024-01-01T00:00:01Z OnTrade submit id=OTEST3-STRAT-000003 BTC/USD buy limit qty=0.01 price=98 price2=0 tif=GTC post=true ref=2",
		"2024-01-01T00:00:01Z OnTrade submit id=OTEST4-STRAT-000004 BTC/USD sell limit qty=0.01 price=102 price2=0 tif=GTC post=true ref=-2",
		"2024-01-01T00:00:02Z OnFill submit id=OTEST5-STRAT-000005 BTC/USD sell limit qty=0.005 price=100 price2=0 tif=GTC post=true ref=0",
		"2024-01-01T00:00:03Z OnFill amend id=OTEST5-STRAT-000005 qty=0.01 price=0",
		"2024-01-01T00:01:05Z OnTimer cancel-all pair=BTC/USD",
		"2024-01-01T00:01:05Z OnTimer set-timer d=1m0s",
		"2024-01-01T00:01:05Z OnTrade submit id=OTEST6-STRAT-000006 BTC/USD buy limit qty=0.01 price=103.9 price2=0 tif=GTC post=true ref=1",
		"2024-01-01T00:01:05Z OnTrade submit id=OTEST7-STRAT-000007 BTC/USD sell limit qty=0.01 price=106.1 price2=0 tif=GTC post=true ref=-1",
		"2024-01-01T00:01:05Z OnTrade submit id=OTEST8-STRAT-000008 BTC/USD buy limit qty=0.01 price=102.9 price2=0 tif=GTC post=true ref=2",
		"2024-01-01T00:01:05Z OnTrade submit id=OTEST9-STRAT-000009 BTC/USD sell limit qty=0.01 price=107.1 price2=0 tif=GTC post=true ref=-2",
	}
	if got := lines(c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range c.Fills() {
		if f.Liquidity != strategy.Maker {
			t.Errorf("fill %+v is not a maker fill", f)
		}
	}
}

// Fills below the pair's minimum are accumulated until a counter order can be placed.
func TestSmallFillsAccumulate(t *testing.T) {
	s, err := grid.New(strategy.Params{"levels": "1", "spacing": "100", "size": "0.01"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"))
	if err := c.Trade(trade(1, "100", "1")); err != nil {
		t.Fatal(err)
	}
	// The market dips (no matching here), so that a sell at 100 would rest, not take.
	if err := c.Trade(trade(2, "98", "1")); err != nil {
		t.Fatal(err)
	}
	buy := c.Submitted()[0]
	// MinQty at the counter price 100 is 0.005 (costmin 0.5 / 100): 0.002 + 0.002 is not
	// enough, the third fill makes 0.006.
	for i, q := range []string{"0.002", "0.002", "0.002"} {
		if err := c.Fill(buy.ID, d(q), buy.Price); err != nil {
			t.Fatal(err)
		}
		if n := len(c.Submitted()); (i < 2 && n != 1) || (i == 2 && n != 2) {
			t.Fatalf("after fill %d: %d orders", i, n)
		}
	}
	if o := c.Submitted()[1]; o.Side != feed.Sell || !o.Qty.Equal(d("0.006")) || !o.Price.Equal(d("100")) || !o.PostOnly {
		t.Errorf("counter order = %+v", o)
	}
}

func TestBacksOffWhenEverythingIsRejected(t *testing.T) {
	s, err := grid.New(strategy.Params{"levels": "2"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s) // no balances at all
	for i := range 30 {
		if err := c.Trade(trade(i, "30000", "0.1")); err != nil {
			t.Fatal(err)
		}
	}
	// One failed build (two buys) at the first trade, then nothing until the timer; at the
	// 00:01:00 trade one more attempt.
	if n := len(c.Rejected()); n != 2 {
		t.Errorf("%d rejected submits, want 2: %v", n, c.Actions())
	}
	if err := c.Trade(trade(60, "30000", "0.1")); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Rejected()); n != 4 {
		t.Errorf("%d rejected submits after the timer, want 4", n)
	}
}

func TestQuotesOnARandomWalkWithBook(t *testing.T) {
	s, err := grid.New(strategy.Params{"levels": "3", "spacing": "10", "size": "0.01"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithBalance("BTC", "1"),
		strategytest.WithMatching(), strategytest.WithStrictPrecision())
	for _, e := range (strategytest.Walk{Seed: 4, N: 5000, BookEvery: 5}).Events() {
		if err := c.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	var buys, sells int
	for _, f := range c.Fills() {
		if f.Side == feed.Buy {
			buys++
		} else {
			sells++
		}
		if f.Liquidity != strategy.Maker {
			t.Fatalf("taker fill %+v", f)
		}
	}
	for _, o := range c.Submitted() {
		if !o.PostOnly || o.Type != strategy.Limit {
			t.Fatalf("non post-only order %+v", o)
		}
	}
	if buys == 0 || sells == 0 {
		t.Errorf("%d buy fills, %d sell fills", buys, sells)
	}
	if n := len(c.Open("")); n > 40 {
		t.Errorf("%d open orders: the grid should stay bounded", n)
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params strategy.Params
		want   string
	}{
		{strategy.Params{"levels": "0"}, `parameter "levels"`},
		{strategy.Params{"size": "0"}, "size must be positive"},
		{strategy.Params{"recenter": "500ms"}, `parameter "recenter"`},
	} {
		if _, err := grid.New(tc.params, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want error containing %q", tc.params, err, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	strategytest.Run(t, grid.New, strategy.Params{"spacing": "10", "size": "0.01"}, nil)
	strategytest.Run(t, grid.New, nil, strategytest.RandomWalk(17, 2000))
}
