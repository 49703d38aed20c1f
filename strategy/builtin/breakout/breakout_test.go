package breakout_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/breakout"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// run plays one trade a minute (each closes the previous minute's candle) through a
// breakout(period 3, size 0.1, stop 1%, take 2%) with matching on, calling between(i) after
// trade i when set.
func run(t *testing.T, prices []string, between func(c *strategytest.Context, i int)) *strategytest.Context {
	t.Helper()
	s, err := breakout.New(strategy.Params{"period": "5", "size": "0.1", "stop": "1", "take": "2"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	for i, p := range prices {
		tr := feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: d(p), Qty: d("1"), Time: strategytest.DefaultStart.Add(time.Duration(i)*time.Minute + time.Second)}
		if err := c.Trade(tr); err != nil {
			t.Fatal(err)
		}
		if between != nil {
			between(c, i)
		}
	}
	return c
}

func lines(c *strategytest.Context) string {
	var out []string
	for _, a := range c.Actions() {
		out = append(out, a.String())
	}
	return strings.Join(out, "\n")
}

// Five quiet candles (channel top 101), then candle 5 closes at 102: a breakout. The entry
// carries a stop at floor(102 × 0.99) = 100.9; the target is ceil(102 × 1.02) = 104.1.
var warmup = []string{"100", "101", "100.5", "99.5", "100", "102", "102.5"}

const entry = "2024-01-01T00:06:01Z OnCandle submit id=OTEST1-STRAT-000001 BTC/USD buy market qty=0.1 price=0 price2=0 tif=GTC post=false ref=1 close=stop-loss/100.9/0"

func TestTakeProfit(t *testing.T) {
	// 103: the entry fills and the conditional stop is placed. 104.2 ≥ target: cancel the
	// stop. 104: the stop is gone, sell at market. 104.5: the sell fills.
	c := run(t, append(warmup, "103", "104.2", "104", "104.5"), nil)
	want := strings.Join([]string{
		entry,
		"2024-01-01T00:08:01Z OnTrade cancel id=OTEST2-CLOSE-000002",
		"2024-01-01T00:09:01Z OnTrade submit id=OTEST3-STRAT-000003 BTC/USD sell market qty=0.1 price=0 price2=0 tif=GTC post=false ref=3",
	}, "\n")
	if got := lines(c); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
	if pos := c.Position("BTC/USD"); !pos.Qty.IsZero() || !pos.RealizedPnL.Equal(d("0.15")) {
		t.Errorf("position = %+v, want flat with 0.1 × (104.5 − 103)", pos)
	}
}

func TestStopLoss(t *testing.T) {
	// 103: filled, stop placed. 100.5 ≤ 100.9: the exchange's stop sells; nothing else.
	c := run(t, append(warmup, "103", "100.5", "100", "99"), nil)
	if got := lines(c); got != entry {
		t.Fatalf("actions:\n%s\nwant only the entry", got)
	}
	fills := c.Fills()
	if len(fills) != 2 || fills[1].Side != feed.Sell || !fills[1].Price.Equal(d("100.5")) {
		t.Errorf("fills = %+v", fills)
	}
	if pos := c.Position("BTC/USD"); !pos.Qty.IsZero() {
		t.Errorf("position = %+v", pos)
	}
}

func TestReplacesAMissingStop(t *testing.T) {
	// The exchange cancels the conditional close right after it is placed: the strategy puts
	// a stop of its own in at the next trade.
	c := run(t, append(warmup, "103", "103.5", "103"), func(c *strategytest.Context, i int) {
		if i != 7 {
			return
		}
		for _, o := range c.Open("BTC/USD") {
			if err := c.Cancelled(o.ID, "maintenance"); err != nil {
				t.Fatal(err)
			}
		}
	})
	want := strings.Join([]string{
		entry,
		"2024-01-01T00:08:01Z OnTrade submit id=OTEST3-STRAT-000003 BTC/USD sell stop-loss qty=0.1 price=100.9 price2=0 tif=GTC post=false ref=2",
	}, "\n")
	if got := lines(c); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoBreakoutInsideTheChannel(t *testing.T) {
	c := run(t, []string{"100", "101", "100.5", "99.5", "100", "101", "100", "99"}, nil)
	if got := lines(c); got != "" {
		t.Errorf("actions:\n%s\nwant none: 101 does not close above the channel top 101", got)
	}
}

func TestTradesOnARandomWalk(t *testing.T) {
	s, err := breakout.New(strategy.Params{"period": "10", "size": "0.05", "stop": "0.25", "take": "0.5"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching(), strategytest.WithStrictPrecision())
	for _, e := range strategytest.RandomWalk(6, 8000) {
		if err := c.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	var entries, stops, exits int
	for _, f := range c.Fills() {
		switch {
		case f.Side == feed.Buy:
			entries++
		case f.UserRef == breakout.RefExit:
			exits++
		default:
			stops++
		}
	}
	// This seed's walk has both outcomes.
	if entries == 0 || stops == 0 || exits == 0 {
		t.Errorf("%d entry fills, %d stop fills, %d take-profit fills; want some of each", entries, stops, exits)
	}
	// Whatever is held at the end is protected by a stop.
	if pos := c.Position("BTC/USD"); pos.Qty.Sign() > 0 {
		protected := false
		for _, o := range c.Open("BTC/USD") {
			protected = protected || o.Type == strategy.StopLoss && o.Qty.Equal(pos.Qty)
		}
		if !protected {
			t.Errorf("holding %s without a stop: %+v", pos.Qty, c.Open("BTC/USD"))
		}
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params strategy.Params
		want   string
	}{
		{strategy.Params{"stop": "0"}, `parameter "stop"`},
		{strategy.Params{"size": "0"}, "size must be positive"},
		{strategy.Params{"take": "abc"}, `parameter "take": invalid value "abc"`},
	} {
		if _, err := breakout.New(tc.params, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want error containing %q", tc.params, err, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	strategytest.Run(t, breakout.New, strategy.Params{"period": "10", "stop": "0.25", "take": "0.5"}, nil)
	strategytest.Run(t, breakout.New, nil, strategytest.RandomWalk(13, 3000))
}
