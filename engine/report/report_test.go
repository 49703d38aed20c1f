package report

import (
	"bytes"
	"errors"
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
		"getElementById('monthly')", "getElementById('pnl')", "a buy", "a sell", "0.92%", "&lt;b&gt;x&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
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
	for _, want := range []string{"strategy", "a@optimistic", "0.92%", "1009.16 USD", "Range across fill models", "a range, not a ranking", "0.92% .. 5.00%"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
