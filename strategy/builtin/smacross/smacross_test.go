package smacross_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/smacross"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

func newStrategy(t *testing.T, params strategy.Params) strategy.Strategy {
	t.Helper()
	s, err := smacross.New(params, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// vShape is one close a minute: down for 15 minutes, up 10, down 10. With fast 5 and slow 10
// the fast SMA crosses above at candle 18 (close 9800) and below at candle 29 (close 9600).
var vShape = []int64{10000, 9900, 9800, 9700, 9600, 9500, 9400, 9300, 9200, 9100, 9000, 8900, 8800, 8700, 8600,
	8900, 9200, 9500, 9800, 10100, 10400, 10700, 11000, 11300, 11600,
	11200, 10800, 10400, 10000, 9600, 9200, 8800, 8400, 8000, 7600}

// play sends one trade a minute (at second 1), each closing the previous minute's candle.
func play(t *testing.T, c *strategytest.Context, closes []int64) {
	t.Helper()
	for i, p := range closes {
		tr := feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: decimal.NewFromInt(p), Qty: decimal.NewFromInt(1),
			Time: strategytest.DefaultStart.Add(time.Duration(i)*time.Minute + time.Second)}
		if err := c.Trade(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTradesOnCrosses(t *testing.T) {
	s := newStrategy(t, strategy.Params{"fast": "5", "slow": "10", "size": "0.5"})
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching())
	play(t, c, vShape)
	var got []string
	for _, a := range c.Actions() {
		got = append(got, a.String())
	}
	want := []string{
		// Candle 18 (00:18) closes at the 00:19:01 trade: golden cross.
		"2024-01-01T00:19:01Z OnCandle submit id=OTEST1-STRAT-000001 BTC/USD buy market qty=0.5 price=0 price2=0 tif=GTC post=false ref=0",
		// Candle 29 closes at 00:30:01: death cross, sell the position.
		"2024-01-01T00:30:01Z OnCandle submit id=OTEST2-STRAT-000002 BTC/USD sell market qty=0.5 price=0 price2=0 tif=GTC post=false ref=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Market orders fill at the next trade (the fake's matching): 10400 and 8800.
	fills := c.Fills()
	if len(fills) != 2 || !fills[0].Price.Equal(decimal.NewFromInt(10400)) || !fills[1].Price.Equal(decimal.NewFromInt(8800)) {
		t.Errorf("fills = %+v", fills)
	}
	if pos := c.Position("BTC/USD"); !pos.Qty.IsZero() || !pos.RealizedPnL.Equal(decimal.NewFromInt(-800)) {
		t.Errorf("position = %+v", pos)
	}
}

func TestSkipsOrdersBelowTheMinimum(t *testing.T) {
	s := newStrategy(t, strategy.Params{"fast": "5", "slow": "10", "size": "0.00001"}) // below ordermin 0.0001
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching())
	play(t, c, vShape)
	if a := c.Actions(); len(a) != 0 {
		t.Errorf("actions = %v, want none", a)
	}
}

func TestDoesNotBuyWhileLong(t *testing.T) {
	s := newStrategy(t, strategy.Params{"fast": "5", "slow": "10", "size": "0.5"})
	// Without matching the buy never fills, but it stays open: the next golden cross must
	// not add a second one.
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"))
	play(t, c, append(append([]int64{}, vShape...), 7600, 8000, 9000, 10000, 11000, 12000, 13000))
	if n := len(c.Submitted()); n != 1 {
		t.Errorf("%d orders submitted, want 1: %v", n, c.Actions())
	}
}

func TestTradesOnARandomWalk(t *testing.T) {
	s := newStrategy(t, strategy.Params{"fast": "5", "slow": "10", "size": "0.05"})
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching(), strategytest.WithStrictPrecision())
	for _, e := range strategytest.RandomWalk(1, 3000) {
		if err := c.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	buys, sells := 0, 0
	for _, o := range c.Submitted() {
		if o.Side == feed.Buy {
			buys++
		} else {
			sells++
		}
	}
	if buys == 0 || sells == 0 || buys-sells > 1 || sells > buys {
		t.Errorf("%d buys, %d sells: want alternating crosses", buys, sells)
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params strategy.Params
		want   string
	}{
		{strategy.Params{"fast": "30", "slow": "20"}, "fast must be shorter than slow"},
		{strategy.Params{"size": "0"}, "size must be positive"},
		{strategy.Params{"interval": "500ms"}, `parameter "interval"`},
		{strategy.Params{"speed": "1"}, `unknown parameter`},
	} {
		if _, err := smacross.New(tc.params, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want error containing %q", tc.params, err, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	strategytest.Run(t, smacross.New, strategy.Params{"fast": "5", "slow": "10"}, nil)
	strategytest.Run(t, smacross.New, nil, strategytest.RandomWalk(7, 2000))
}

// TestParamsOutsideSweepRange: issue 18 found smacross refusing interval: 4h and fast > 50
// because its sweep ranges were enforced as legal values.
func TestParamsOutsideSweepRange(t *testing.T) {
	if _, err := smacross.New(strategy.Params{"interval": "4h", "fast": "60", "slow": "400"}, nil); err != nil {
		t.Errorf("New(interval=4h, fast=60, slow=400) = %v, want accepted", err)
	}
}

// TestFractionSizing: issue 18 asked for samples that size by balance. fraction=1 is all-in:
// the golden cross spends the whole free USD, less FeeReserve for the taker fee, as a
// quote-sized market buy. (strategytest's fake matching fills only base-sized orders, so the
// sell of what it bought is covered by the engine's viqc tests, not here.)
func TestFractionSizing(t *testing.T) {
	s := newStrategy(t, strategy.Params{"fast": "5", "slow": "10", "fraction": "1"})
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching())
	play(t, c, vShape)
	var buys []strategy.Order
	for _, a := range c.Actions() {
		if a.Op != "submit" {
			continue
		}
		if a.Err != "" {
			t.Errorf("%s rejected: %s", a.Order.Side, a.Err)
		}
		if a.Order.Side == feed.Buy {
			buys = append(buys, a.Order)
		}
	}
	if len(buys) != 1 {
		t.Fatalf("buys %d, want 1", len(buys))
	}
	if got, want := buys[0].QuoteQty.String(), "99502.48756"; got != want || !buys[0].Qty.IsZero() { // 100000 / 1.005, to the pair's cost_decimals (5)
		t.Errorf("all-in buy: quote %s qty %s, want quote %s", got, buys[0].Qty, want)
	}
}
