package bollinger_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/bollinger"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func trade(min int, price string) feed.Trade {
	return feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: d(price), Qty: d("1"),
		Time: strategytest.DefaultStart.Add(time.Duration(min)*time.Minute + time.Second)}
}

func lines(c *strategytest.Context) string {
	var out []string
	for _, a := range c.Actions() {
		out = append(out, a.String())
	}
	return strings.Join(out, "\n")
}

// The full cycle: entry at the lower band, exit at the middle band once filled, the exit
// following the band, a partial exit, and a new entry once flat.
func TestEntryExitCycle(t *testing.T) {
	s, err := bollinger.New(strategy.Params{"period": "5", "k": "2", "size": "0.1"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"))
	// Closes 100 102 98 100 104: mean 100.8, σ = √4.16 = 2.0396, lower 96.72.
	for i, p := range []string{"100", "102", "98", "100", "104"} {
		if err := c.Trade(trade(i, p)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.Actions()) != 0 {
		t.Fatalf("traded during warm-up: %s", lines(c))
	}
	if err := c.Trade(trade(5, "95")); err != nil { // closes the 5th candle
		t.Fatal(err)
	}
	entry := c.Submitted()[0].ID
	if err := c.Fill(entry, d("0.1"), d("96.7")); err != nil {
		t.Fatal(err)
	}
	// Closes 102 98 100 104 95: mean 99.8, σ = √9.76 = 3.1241, lower 93.55.
	if err := c.Trade(trade(6, "99")); err != nil {
		t.Fatal(err)
	}
	exit := c.Submitted()[1].ID
	if err := c.Fill(exit, d("0.04"), d("99.8")); err != nil { // partial: the rest still matches the position
		t.Fatal(err)
	}
	if err := c.Fill(exit, d("0.06"), d("99.8")); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"2024-01-01T00:05:01Z OnCandle submit id=OTEST1-STRAT-000001 BTC/USD buy limit qty=0.1 price=96.7 price2=0 tif=GTC post=false ref=1",
		"2024-01-01T00:05:01Z OnFill submit id=OTEST2-STRAT-000002 BTC/USD sell limit qty=0.1 price=100.8 price2=0 tif=GTC post=false ref=2",
		"2024-01-01T00:06:01Z OnCandle amend id=OTEST2-STRAT-000002 qty=0 price=99.8",
		"2024-01-01T00:06:01Z OnFill submit id=OTEST3-STRAT-000003 BTC/USD buy limit qty=0.1 price=93.5 price2=0 tif=GTC post=false ref=1",
	}, "\n")
	if got := lines(c); got != want {
		t.Errorf("actions:\n%s\nwant:\n%s", got, want)
	}
	if pos := c.Position("BTC/USD"); !pos.Qty.IsZero() || !pos.RealizedPnL.Equal(d("0.31")) {
		t.Errorf("position = %+v, want flat with 0.1 × (99.8 − 96.7) = 0.31", pos)
	}
}

// When the price is already below the lower band the entry rests at the last price instead
// of crossing the book; on later candles the entry is moved, not duplicated.
func TestEntryBelowBandAndAmend(t *testing.T) {
	s, err := bollinger.New(strategy.Params{"period": "5", "k": "1", "size": "0.1"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"))
	for i, p := range []string{"100", "100", "100", "100", "80", "80.5", "81"} {
		if err := c.Trade(trade(i, p)); err != nil {
			t.Fatal(err)
		}
	}
	// Candle 4 closes at 80: mean 96, σ 8, lower 88 > last 80 → buy at 80.
	// Candle 5 closes at 80.5: mean 92.1, σ 9.68, lower 82.4 > last 80.5 → amend to 80.5.
	want := strings.Join([]string{
		"2024-01-01T00:05:01Z OnCandle submit id=OTEST1-STRAT-000001 BTC/USD buy limit qty=0.1 price=80 price2=0 tif=GTC post=false ref=1",
		"2024-01-01T00:06:01Z OnCandle amend id=OTEST1-STRAT-000001 qty=0 price=80.5",
	}, "\n")
	if got := lines(c); got != want {
		t.Errorf("actions:\n%s\nwant:\n%s", got, want)
	}
}

func TestTradesOnARandomWalk(t *testing.T) {
	s, err := bollinger.New(strategy.Params{"period": "10", "size": "0.05"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching(), strategytest.WithStrictPrecision())
	for _, e := range strategytest.RandomWalk(3, 5000) {
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
			t.Errorf("fill %+v is not a limit (maker) fill", f)
		}
	}
	if buys == 0 || sells == 0 {
		t.Errorf("%d buy fills, %d sell fills: want round trips", buys, sells)
	}
	if n := len(c.Open("")); n != 1 {
		t.Errorf("%d open orders at the end, want exactly one (entry or exit)", n)
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params strategy.Params
		want   string
	}{
		{strategy.Params{"k": "0"}, `parameter "k"`},
		{strategy.Params{"period": "1"}, `parameter "period"`}, // below min; outside the sweep range is legal (issue 18)
		{strategy.Params{"size": "-1"}, "size must be positive"},
	} {
		if _, err := bollinger.New(tc.params, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want error containing %q", tc.params, err, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	strategytest.Run(t, bollinger.New, strategy.Params{"period": "10"}, nil)
	strategytest.Run(t, bollinger.New, nil, strategytest.RandomWalk(11, 2000))
}

// TestFractionSizing: fraction=1 sizes the entry by the whole free balance (issue 18: the
// samples could not size by balance), less the fee reserve.
func TestFractionSizing(t *testing.T) {
	s, err := bollinger.New(strategy.Params{"period": "5", "k": "2", "fraction": "1"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	c := strategytest.NewContext(t, s, strategytest.WithBalance("USD", "1000"))
	for i, p := range []string{"100", "102", "98", "100", "104", "95"} {
		if err := c.Trade(trade(i, p)); err != nil {
			t.Fatal(err)
		}
	}
	sub := c.Submitted()
	if len(sub) != 1 {
		t.Fatalf("submitted %d orders:\n%s", len(sub), lines(c))
	}
	// Lower band 96.72 → a limit at 96.7: 1000 / (96.7 × 1.005) = 10.28981257… at 8 lot decimals.
	if got := sub[0].Qty.String(); got != "10.28981257" || sub[0].Price.String() != "96.7" {
		t.Errorf("entry qty %s at %s, want 10.28981257 at 96.7", got, sub[0].Price)
	}
}
