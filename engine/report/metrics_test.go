package report

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func pts(spec ...any) []EquityPoint {
	var out []EquityPoint
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, EquityPoint{Time: t0.Add(spec[i].(time.Duration)), Equity: decimal.RequireFromString(spec[i+1].(string))})
	}
	return out
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func TestResample(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []EquityPoint
		iv   time.Duration
		want []float64
	}{
		{"empty", nil, time.Minute, nil},
		{"one", pts(time.Duration(0), "100"), time.Minute, []float64{100}},
		{"gaps forward-fill", pts(time.Duration(0), "100", 30*time.Second, "110", 130*time.Second, "120"), time.Minute, []float64{100, 110, 110, 120}},
		{"on the grid", pts(time.Duration(0), "1", time.Minute, "2", 2*time.Minute, "3"), time.Minute, []float64{1, 2, 3}},
		{"several per bucket keep the last", pts(time.Duration(0), "1", 10*time.Second, "5", 50*time.Second, "7", 60*time.Second, "8"), time.Minute, []float64{1, 8}},
	} {
		got := Resample(tc.in, tc.iv)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: Resample = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReturns(t *testing.T) {
	got := Returns([]float64{100, 110, 99, 0, 5})
	want := []float64{0.1, -0.1, -1} // the period starting at 0 is skipped
	if len(got) != len(want) {
		t.Fatalf("Returns = %v", got)
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("Returns[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRatios(t *testing.T) {
	r := []float64{0.01, -0.01, 0.02, 0}
	// mean 0.005; sample sd √(5e-4/3) = 0.01290994449; downside dev √(1e-4/4) = 0.005.
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"sharpe ppy 1", Sharpe(r, 1), 0.005 / math.Sqrt(5e-4/3)},
		{"sharpe ppy 4", Sharpe(r, 4), 2 * 0.005 / math.Sqrt(5e-4/3)},
		{"sharpe value", Sharpe(r, 1), 0.3872983346},
		{"sortino ppy 4", Sortino(r, 4), 2},
		{"sharpe one return", Sharpe([]float64{0.1}, 1), math.NaN()},
		{"sharpe flat", Sharpe([]float64{0.1, 0.1, 0.1}, 1), math.NaN()},
		{"sortino no losses", Sortino([]float64{0.1, 0.2}, 1), math.NaN()},
		{"cagr 2y", CAGR(100, 121, 2*Year), 0.1},
		{"cagr half year", CAGR(100, 110, Year/2), 0.21},
		{"cagr zero span", CAGR(100, 110, 0), math.NaN()},
		{"cagr no equity", CAGR(0, 110, Year), math.NaN()},
		{"calmar", Calmar(0.1, 0.25), 0.4},
		{"calmar no dd", Calmar(0.1, 0), math.NaN()},
		{"ppy minute", PeriodsPerYear(time.Minute), 525960},
		{"ppy day", PeriodsPerYear(24 * time.Hour), 365.25},
	} {
		if !near(tc.got, tc.want) {
			t.Errorf("%s = %.12g, want %.12g", tc.name, tc.got, tc.want)
		}
	}
}

func TestMaxDrawdown(t *testing.T) {
	h := time.Hour
	d := MaxDrawdown(pts(time.Duration(0), "100", h, "120", 2*h, "90", 3*h, "110", 4*h, "125", 5*h, "100"))
	if !near(d.Max, 0.25) || !d.Peak.Equal(t0.Add(h)) || !d.Trough.Equal(t0.Add(2*h)) || d.Duration != 3*h {
		t.Errorf("drawdown %+v, want 25%% from 1h to 2h, underwater 3h", d)
	}
	// Still underwater at the end: the duration runs to the last sample.
	d = MaxDrawdown(pts(time.Duration(0), "100", h, "99", 10*h, "99.5"))
	if !near(d.Max, 0.01) || d.Duration != 10*h {
		t.Errorf("drawdown %+v, want 1%% and 10h", d)
	}
	if d := MaxDrawdown(pts(time.Duration(0), "1", h, "2")); d.Max != 0 || d.Duration != 0 {
		t.Errorf("rising curve: %+v", d)
	}
}

func TestTradeStats(t *testing.T) {
	var s TradeStats
	for _, v := range []string{"10", "-5", "0", "20", "-15"} {
		s.Add(decimal.RequireFromString(v))
	}
	if s.Trades != 5 || s.Wins != 2 || s.Losses != 2 || s.GrossProfit.String() != "30" || s.GrossLoss.String() != "20" {
		t.Fatalf("stats %+v", s)
	}
	if !near(s.WinRate(), 0.4) || !near(s.ProfitFactor(), 1.5) || s.Expectancy().String() != "2" {
		t.Errorf("win %v pf %v exp %v", s.WinRate(), s.ProfitFactor(), s.Expectancy())
	}
	var empty TradeStats
	if !math.IsNaN(empty.WinRate()) || !math.IsNaN(empty.ProfitFactor()) || !empty.Expectancy().IsZero() {
		t.Error("empty stats")
	}
}

func fill(side feed.Side, qty, price, fee string, at time.Duration) strategy.Fill {
	return strategy.Fill{Pair: "BTC/USD", Side: side, Qty: decimal.RequireFromString(qty), Price: decimal.RequireFromString(price),
		Fee: decimal.RequireFromString(fee), FeeAsset: "USD", Time: t0.Add(at)}
}

func TestTrips(t *testing.T) {
	b := tripBook{pair: "BTC/USD"}
	var got []Trip
	for _, f := range []strategy.Fill{
		fill(feed.Buy, "1", "100", "0.4", 1),
		fill(feed.Buy, "1", "110", "0.44", 2),
		fill(feed.Sell, "2", "120", "0.96", 3), // closes the long: 240 − 210 − 1.8
		fill(feed.Sell, "1", "130", "0.52", 4), // sells inventory: a short trip
		fill(feed.Buy, "3", "100", "1.2", 5),   // closes it with 1 (fee 0.4), opens a long of 2
	} {
		if tr, ok := b.add(&f); ok {
			got = append(got, tr)
		}
	}
	if len(got) != 2 {
		t.Fatalf("trips %+v", got)
	}
	if g := got[0]; g.Side != feed.Buy || g.PnL.String() != "28.2" || g.Fees.String() != "1.8" || g.Qty.String() != "2" || g.Fills != 3 || !g.Close.Equal(t0.Add(3)) {
		t.Errorf("long trip %+v", g)
	}
	if g := got[1]; g.Side != feed.Sell || g.PnL.String() != "29.08" || g.Fees.String() != "0.92" || g.Qty.String() != "1" {
		t.Errorf("short trip %+v", g)
	}
	if !b.open || b.pos.String() != "2" || b.cur.Side != feed.Buy || b.cur.PnL.String() != "-200.8" {
		t.Errorf("open trip %+v pos %s", b.cur, b.pos)
	}
}

func TestMonthly(t *testing.T) {
	eq := []EquityPoint{
		{t0, decimal.RequireFromString("100")},
		{t0.AddDate(0, 0, 30), decimal.RequireFromString("110")},
		{t0.AddDate(0, 1, 14), decimal.RequireFromString("99")},
		{t0.AddDate(0, 2, 0), decimal.RequireFromString("108.9")},
	}
	got := monthly(eq, eq[0].Equity)
	want := []struct {
		m string
		r float64
	}{{"2025-01", 0.1}, {"2025-02", -0.1}, {"2025-03", 0.1}}
	if len(got) != len(want) {
		t.Fatalf("monthly %+v", got)
	}
	for i, w := range want {
		if got[i].Month != w.m || !near(float64(got[i].Return), w.r) {
			t.Errorf("month %d = %+v, want %v", i, got[i], w)
		}
	}
}

func TestNumJSON(t *testing.T) {
	b, err := json.Marshal([]Num{Num(math.NaN()), Num(math.Inf(1)), 0, Num(math.Copysign(0, -1)), 0.1, 1.0 / 3, 123456789012, 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "[null,null,0,0,0.1,0.3333333333,1.23456789e+11,1e-07]" {
		t.Errorf("json %s", got)
	}
	var back []Num
	if err := json.Unmarshal(b, &back); err != nil || back[0].Valid() || float64(back[4]) != 0.1 {
		t.Errorf("unmarshal %v %v", back, err)
	}
}
