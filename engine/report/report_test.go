package report

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// testRun feeds a small, hand-checked history through a Collector.
func testRun(t *testing.T) (*Collector, engine.InstanceResult, *Market) {
	t.Helper()
	c := NewCollector(Instance{
		Name: "a", Type: "cross", Params: strategy.Params{"fast": "3"}, Pairs: []feed.Pair{"BTC/USD"},
		AccountCurrency: "USD", FillModel: "default", EquityInterval: time.Hour,
		InitialBalances: []engine.Deposit{{Asset: "USD", Amount: d("1000")}},
	})
	rec := func(r engine.Record) { r.Instance = "a"; c.Record(&r) }
	h := time.Hour
	rec(engine.Record{Kind: engine.RecordEquity, Time: t0, Equity: d("1000")})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Order: strategy.Order{ID: "O1"}, Status: strategy.StatusPending}})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0, Order: strategy.OrderUpdate{Status: strategy.StatusRejected, Reason: "EOrder:Insufficient funds"}})
	f1 := fill(feed.Buy, "1", "100", "0.4", h)
	rec(engine.Record{Kind: engine.RecordFill, Time: t0.Add(h), Fill: f1})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0.Add(h), Order: strategy.OrderUpdate{Order: strategy.Order{ID: "O1"}, Status: strategy.StatusClosed}})
	rec(engine.Record{Kind: engine.RecordEquity, Time: t0.Add(h), Equity: d("999.6")})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0.Add(h), Order: strategy.OrderUpdate{Order: strategy.Order{ID: "O2"}, Status: strategy.StatusPending}})
	rec(engine.Record{Kind: engine.RecordEquity, Time: t0.Add(2 * h), Equity: d("979.6")})
	f2 := fill(feed.Sell, "1", "110", "0.44", 3*h)
	rec(engine.Record{Kind: engine.RecordFill, Time: t0.Add(3 * h), Fill: f2})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0.Add(3 * h), Order: strategy.OrderUpdate{Order: strategy.Order{ID: "O2"}, Status: strategy.StatusClosed}})
	rec(engine.Record{Kind: engine.RecordOrder, Time: t0.Add(3 * h), Order: strategy.OrderUpdate{Order: strategy.Order{ID: "O3"}, Status: strategy.StatusOpen}})
	rec(engine.Record{Kind: engine.RecordEquity, Time: t0.Add(4 * h), Equity: d("1009.16")})
	res := engine.InstanceResult{
		Name: "a", Start: t0, End: t0.Add(4 * h), Equity: d("1009.16"), EquityOK: true,
		Balances: []strategy.Balance{{Asset: "BTC", Total: decimal.Zero}, {Asset: "USD", Total: d("1009.16")}},
	}
	mr := NewMarketRecorder(time.Hour)
	for i, p := range []string{"100", "95", "110", "120"} {
		ev := feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Time: t0.Add(time.Duration(i) * h),
			Trade: feed.Trade{Pair: "BTC/USD", Price: d(p), Qty: d("1"), Time: t0.Add(time.Duration(i) * h)}}
		mr.Observe(&ev)
	}
	return c, res, mr.Market()
}

func TestCollectorSummary(t *testing.T) {
	c, res, m := testRun(t)
	s := c.Summary(res, m)
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("return", s.Return.String(), "0.00916")
	check("initial", s.InitialEquity, "1000")
	check("final", s.FinalEquity, "1009.16")
	check("trades", s.Trades, 1)
	check("fills", s.Fills, uint64(2))
	check("orders", s.Orders, uint64(3)) // O1, O2 closed; O3 open
	check("rejects", s.Rejects, uint64(1))
	check("win", s.WinRate.String(), "1")
	check("pf", s.ProfitFactor.Valid(), false)
	check("expectancy", s.Expectancy, "9.16")
	check("exposure", s.Exposure.String(), "0.5") // 1h..3h of 0h..4h
	check("fees", s.Fees, "0.84")
	check("turnover", s.Turnover, "210")
	check("turnover ratio", s.TurnoverX.String(), "0.21")
	check("max dd", s.MaxDD.String(), "0.0204")     // 1000 → 979.6
	check("dd duration", s.MaxDDDur.Text, "4h0m0s") // from the start until 1009.16
	check("buy and hold", s.BuyHold.String(), "0.2")
	check("periods", s.Periods, 4)
	check("ppy", s.PeriodsPerYear, 8766.0)
	check("final balances", s.FinalBalances["USD"], "1009.16")
	check("initial balances", s.InitialBalances["USD"], "1000")
	check("btc shown", len(s.FinalBalances), 1)
	check("per pair", len(s.PerPair), 1)
	check("pair pnl", s.PerPair[0].PnL, "9.16")
	check("monthly", len(s.Monthly), 1)
	check("start", s.Start, "2025-01-01T00:00:00Z")
	check("fault", s.Fault, "")
	res.Fault = errors.New("strategy a: OnTrade: boom")
	check("fault", c.Summary(res, m).Fault, "strategy a: OnTrade: boom")
}

func TestSummaryJSONDeterministic(t *testing.T) {
	var outs []string
	for range 3 {
		c, res, m := testRun(t)
		sum := &Summary{Run: Run{Version: "test", Mode: "backtest", FillModels: []string{"default"}}, Strategies: []Strategy{c.Summary(res, m)}}
		b, err := sum.JSON()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Error("summary JSON differs between identical runs")
	}
	for _, want := range []string{`"params": {`, `"fast": "3"`, `"profit_factor": null`, `"buy_hold_return": 0.2`} {
		if !strings.Contains(outs[0], want) {
			t.Errorf("summary lacks %s:\n%s", want, outs[0])
		}
	}
}

func TestWriteHTML(t *testing.T) {
	c, res, m := testRun(t)
	st := c.Summary(res, m)
	sum := &Summary{Run: Run{Version: "test", Mode: "backtest", Seed: 7, FillModels: []string{"default"}}, Strategies: []Strategy{st}}
	var a, b bytes.Buffer
	in := HTMLInput{Summary: sum, Collectors: []*Collector{c}, Market: m, Config: "seed: 7 # <b>x</b>\n"}
	if err := WriteHTML(&a, in); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&b, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("HTML differs between renders")
	}
	html := a.String()
	for _, bad := range []string{`src="http`, `href="http`, "cdn", "<b>x</b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, want := range []string{"Apache", "echarts.init(document.getElementById('equity')", "getElementById('drawdown')", "getElementById('price_0')",
		"▲ a buy", "▲ a sell", "0.92%", "&lt;b&gt;x&lt;/b&gt;",
		// issue 18 item 9: KPI cards, a round-trip table, no empty charts on a short run.
		`<div class="card">`, `<div class="big up">0.92%</div>`, "<h2>Round trips</h2>", "<td class=\"l\">long</td>", "<td class=\"pnl\">9.16</td>",
		"Monthly returns: not shown", "Round-trip PnL distribution: not shown, 1 closed round trip(s)",
		"n/a: CAGR, Sharpe, Sortino and Calmar are annualised"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"getElementById('monthly')", "getElementById('pnl')"} {
		if strings.Contains(html, bad) {
			t.Errorf("short run's report draws %s", bad)
		}
	}
	if err := WriteHTML(&b, HTMLInput{Summary: &Summary{}}); err != nil {
		t.Errorf("empty summary: %v", err)
	}
}

func TestWriteTable(t *testing.T) {
	c, res, m := testRun(t)
	st := c.Summary(res, m)
	st2, st3 := st, st
	st.Name, st.FillModel = "a@pessimistic", "pessimistic"
	st2.Name, st2.FillModel, st2.Return = "a@default", "default", 0.02
	st3.Name, st3.FillModel, st3.Return = "a@optimistic", "optimistic", 0.05
	var b bytes.Buffer
	if err := WriteTable(&b, &Summary{Strategies: []Strategy{st, st2, st3}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"strategy", "a@optimistic", "0.92%", "equity USD", "1009.16", "Range across fill models", "a range, not a ranking", "0.92%..5.00%", "trips", "rej",
		"sharpe -: CAGR, Sharpe, Sortino and Calmar are annualised and need at least 30d", "4h00m"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteTableFits reproduces issue 18's demo table: a CAGR of 2.24e+121 printed as a
// 120-digit number hid the metrics, and the ~105-column table wrapped on 80/120-column
// terminals. Ordinary results fit TableWidth; extreme ones never print a number wider than
// MaxNumberWidth.
func TestWriteTableFits(t *testing.T) {
	c, res, m := testRun(t)
	st := c.Summary(res, m)
	table := func(ret, sharpe, pf float64, final, fees string, trips, fills uint64, rejects uint64) string {
		var sts []Strategy
		for i, model := range []string{"pessimistic", "default", "optimistic"} {
			x := st
			x.Name, x.FillModel = "breakout-eth@"+model, model
			x.Return, x.Sharpe, x.ProfitFactor = Num(ret), Num(sharpe), Num(pf)
			x.FinalEquity, x.Fees = final, fees
			x.Trades, x.Fills, x.Rejects = int(trips), fills, rejects
			x.MaxDD = 0.9876
			if i == 1 {
				x.Fault = "strategy panicked: runtime error: index out of range [3] with length 3"
				x.Name = "a-much-longer-instance-name@default"
			}
			sts = append(sts, x)
		}
		var b bytes.Buffer
		if err := WriteTable(&b, &Summary{Strategies: sts}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	lines := func(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

	ordinary := table(-0.9876, -12.34, 1.5, "123456789.12", "12345.67", 12345, 123456, 9999)
	for i, line := range lines(ordinary) {
		if n := len([]rune(line)); n > TableWidth {
			t.Errorf("line %d is %d columns (> %d): %q", i, n, TableWidth, line)
		}
	}
	extreme := table(2.24e121, -151.3, 1e30, "123456789012345.123456", "99999999999.99", 12345, 123456, 9999)
	for i, line := range lines(extreme) {
		for _, f := range strings.Fields(line) {
			for _, num := range strings.Split(f, "..") {
				if strings.ContainsAny(num, "0123456789") && len(num) > MaxNumberWidth && !strings.ContainsAny(num, "abcdfhijklmnopqrstuvwxyz") {
					t.Errorf("line %d: number %q is longer than %d characters", i, num, MaxNumberWidth)
				}
			}
		}
	}
	if !strings.Contains(extreme, "2.24e+123%") {
		t.Errorf("huge return not in short form:\n%s", extreme)
	}
	if !strings.Contains(ordinary, "a-much-lon…@default!") || !strings.Contains(ordinary, "! a-much-longer-instance-name@default stopped: strategy panicked") {
		t.Errorf("long name or fault note missing:\n%s", ordinary)
	}
	t.Logf("\n%s", ordinary)
}

func TestNumberFormatsBounded(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Pct(Num(2.24e121)), "2.24e+123%"},
		{Pct(Num(-0.988)), "-98.80%"},
		{Pct(Num(-0.0000312)), "-0.0031%"}, // not "-0.00%"
		{Pct(Num(123456789)), "12345678900.00%"},
		{Pct(Num(1234567890)), "1.23e+11%"},
		{Fixed2(Num(3249.5)), "3249.50"},
		{Fixed2(Num(1e30)), "1e+30"},
		{Fixed2(Num(math.NaN())), "-"},
		{Money("10000"), "10000.00"},
		{Money(""), "n/a"},
		{Money("123456789012345.12"), "1.23e+14"},
		{Qty("0.00012345678901234"), "0.0001234568"},
		{Qty("0.5"), "0.5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if len(tc.got) > MaxNumberWidth {
			t.Errorf("%q is longer than %d", tc.got, MaxNumberWidth)
		}
	}
}

// TestAnnualisedNeedsMinimumSpan reproduces issue 18's absurd first numbers: over 4.8 hours a
// −0.24% result gave a CAGR of −98.8% and a Sharpe of −92..−151. Annualised metrics are
// absent (null, with the reason) below MinAnnualSpan; the per-period ratios remain.
func TestAnnualisedNeedsMinimumSpan(t *testing.T) {
	run := func(span time.Duration, final string) Strategy {
		c := NewCollector(Instance{Name: "a", AccountCurrency: "USD", EquityInterval: time.Minute})
		n := int(span / time.Minute)
		for i := 0; i <= n; i++ {
			// A noisy walk down to final: alternating ±0.01% around a straight line.
			f := d("10000").Add(d(final).Sub(d("10000")).Mul(decimal.NewFromInt(int64(i))).Div(decimal.NewFromInt(int64(n))))
			if i%2 == 1 && i < n {
				f = f.Add(d("1"))
			}
			c.Record(&engine.Record{Instance: "a", Kind: engine.RecordEquity, Time: t0.Add(time.Duration(i) * time.Minute), Equity: f})
		}
		return c.Summary(engine.InstanceResult{Name: "a"}, nil)
	}
	short := run(288*time.Minute, "9976") // −0.24% over 4.8 hours
	if short.CAGR.Valid() || short.Sharpe.Valid() || short.Sortino.Valid() || short.Calmar.Valid() {
		t.Errorf("4.8h run reports annualised metrics: cagr %v sharpe %v sortino %v calmar %v", short.CAGR, short.Sharpe, short.Sortino, short.Calmar)
	}
	if !strings.Contains(short.AnnualNote, "30d") || !strings.Contains(short.AnnualNote, "4h48m") {
		t.Errorf("note = %q, want the minimum and the run's span", short.AnnualNote)
	}
	if !short.SharpePeriod.Valid() || !short.SortinoPeriod.Valid() {
		t.Errorf("per-period ratios missing: %v %v", short.SharpePeriod, short.SortinoPeriod)
	}
	if short.Return.String() != "-0.0024" {
		t.Errorf("return = %v", short.Return)
	}
	b, err := (&Summary{Strategies: []Strategy{short}}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cagr": null`, `"sharpe": null`, `"annualised_note": "CAGR, Sharpe`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary.json lacks %s", want)
		}
	}
	long := run(MinAnnualSpan, "9976")
	if !long.CAGR.Valid() || !long.Sharpe.Valid() || long.AnnualNote != "" {
		t.Errorf("30-day run: cagr %v sharpe %v note %q", long.CAGR, long.Sharpe, long.AnnualNote)
	}
	if got := float64(long.CAGR); got > -0.02 || got < -0.04 { // (0.9976)^(365.25/30) − 1 ≈ −2.88%
		t.Errorf("30-day CAGR = %v, want about -2.88%%", got)
	}
}

// TestEquityUnvalued: an account holding an asset no trade has priced cannot be valued; the
// summary says n/a instead of issue 18's "0.00 USD" for an account holding 10,000 USD.
func TestEquityUnvalued(t *testing.T) {
	c := NewCollector(Instance{Name: "a", AccountCurrency: "USD",
		InitialBalances: []engine.Deposit{{Asset: "USD", Amount: d("10000")}, {Asset: "BTC", Amount: d("1")}}})
	st := c.Summary(engine.InstanceResult{Name: "a"}, nil)
	if st.InitialEquity != "" || st.FinalEquity != "" || st.Return.Valid() {
		t.Errorf("unvalued account: initial %q final %q return %v", st.InitialEquity, st.FinalEquity, st.Return)
	}
	if got := Money(st.FinalEquity); got != "n/a" {
		t.Errorf("final equity shown as %q", got)
	}
}

// A MarketRecorder keeps a bounded number of points per pair whatever the span replayed,
// and keeps the first and last prices exact.
func TestMarketRecorderIsBounded(t *testing.T) {
	mr := NewMarketRecorder(time.Minute)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const minutes = 3 * 365 * 24 * 60 // three years of one trade a minute
	for i := range minutes {
		at := t0.Add(time.Duration(i) * time.Minute)
		ev := feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Time: at, Trade: feed.Trade{Pair: "BTC/USD", Price: decimal.NewFromInt(int64(50000 + i%1000)), Qty: decimal.NewFromInt(1), Time: at}}
		mr.Observe(&ev)
	}
	p := mr.Market().Pair("BTC/USD")
	if n := len(p.Points); n > maxMarketPoints || n < maxMarketPoints/2 {
		t.Fatalf("%d points kept for %d minutes (bound %d)", n, minutes, maxMarketPoints)
	}
	if p.Trades != minutes || !p.First.Equal(decimal.NewFromInt(50000)) || !p.Last.Equal(decimal.NewFromInt(int64(50000+(minutes-1)%1000))) {
		t.Fatalf("first/last/trades wrong: %+v", p)
	}
	last := p.Points[len(p.Points)-1]
	if !last.Price.Equal(p.Last) || !last.Time.Equal(p.LastTime) {
		t.Fatalf("the last point %+v is not the last trade", last)
	}
	for i := 1; i < len(p.Points); i++ {
		if !p.Points[i].Time.After(p.Points[i-1].Time) {
			t.Fatalf("points out of order at %d", i)
		}
	}
}

// TestMarketCandles: each sampling bucket keeps its open, high, low and close, also when
// buckets are merged, and a short run's price chart draws them as candlesticks.
func TestMarketCandles(t *testing.T) {
	mr := NewMarketRecorder(time.Minute)
	for i, p := range []string{"100", "104", "98", "101", "101.5"} { // 4 in minute 0, 1 in minute 1
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		ev := feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Time: at, Trade: feed.Trade{Pair: "BTC/USD", Price: d(p), Qty: d("1"), Time: at}}
		mr.Observe(&ev)
	}
	pts := mr.Market().Pairs[0].Points
	if len(pts) != 2 {
		t.Fatalf("%d points", len(pts))
	}
	c := pts[0]
	if c.Open.String() != "100" || c.High.String() != "104" || c.Low.String() != "98" || c.Price.String() != "101" {
		t.Errorf("candle o %s h %s l %s c %s, want 100 104 98 101", c.Open, c.High, c.Low, c.Price)
	}
	st := &pairState{PairPrices: PairPrices{Points: slices.Clone(pts)}, interval: int64(time.Minute)}
	st.coarsen()
	if m := st.Points[0]; len(st.Points) != 1 || m.Open.String() != "100" || m.High.String() != "104" || m.Low.String() != "98" || m.Price.String() != "101.5" {
		t.Errorf("merged candle %+v", st.Points)
	}
	var b bytes.Buffer
	c0, res, m := testRun(t)
	if err := WriteHTML(&b, HTMLInput{Summary: &Summary{Strategies: []Strategy{c0.Summary(res, m)}}, Collectors: []*Collector{c0}, Market: m}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"type":"candlestick"`) {
		t.Error("short run's price chart has no candlesticks")
	}
}
