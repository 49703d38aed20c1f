package journal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// marginPairs is the default table with Kraken's margin terms on BTC/USD (AssetPairs
// leverage_buy/leverage_sell 2-5, margin_call 80, margin_stop 40).
func marginPairs(p feed.Pair) (*feed.PairInfo, bool) {
	info, ok := pairs.Lookup(p)
	if !ok || p != "BTC/USD" {
		return info, ok
	}
	c := *info
	c.LeverageBuy, c.LeverageSell = []int{2, 3, 4, 5}, []int{2, 3, 4, 5}
	c.MarginCall, c.MarginStop = decimal.NewFromInt(80), decimal.NewFromInt(40)
	return &c, true
}

// shorter keeps a short margin position on BTC/USD: it opens 0.05 BTC when it has none and
// buys 0.02 back when it holds more than 0.03, else sells 0.02 more, deciding only on trade ids and its account,
// so a resumed instance decides as an uninterrupted one would.
type shorter struct{}

func (shorter) OnTrade(c strategy.Context, t feed.Trade) error {
	if t.Pair != "BTC/USD" || t.ID%23 != 0 || len(c.OpenOrders(t.Pair)) > 0 {
		return nil
	}
	m := c.Position(t.Pair).Margin
	switch {
	case !m.Open():
		_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: decimal.RequireFromString("0.05"), Leverage: 3})
		return err
	case m.Qty.GreaterThan(decimal.RequireFromString("0.03")):
		_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: decimal.RequireFromString("0.02"), Leverage: 3})
		return err
	default:
		_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: decimal.RequireFromString("0.02"), Leverage: 3})
		return err
	}
}

// stretched spreads the generated market over a day (×300), so rollovers fall inside it.
func stretched(t *testing.T) [][]feed.Event {
	b := market(t, 5, 6000)
	t0 := b[0][0].Time
	for _, batch := range b {
		for i := range batch {
			batch[i].Time = t0.Add(batch[i].Time.Sub(t0) * 300)
		}
	}
	return b
}

func marginIns() []engine.Instance {
	in := engine.Instance{Name: "short", Type: "shorter", Strategy: shorter{}, Pairs: []feed.Pair{"BTC/USD"},
		Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}}}
	in.Sim.Seed = 7
	return []engine.Instance{in}
}

func runMargin(t *testing.T, ctx context.Context, batches [][]feed.Event, ins []engine.Instance, rec engine.Recorder) *engine.Result {
	t.Helper()
	res, err := engine.Run(ctx, engine.Config{Sources: []feed.Source{source(batches)}, Instances: ins, Pairs: marginPairs,
		Recorder: rec, EquityInterval: time.Hour, FailFast: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func marginState(ps []strategy.Position) string {
	var b strings.Builder
	for _, p := range ps {
		if m := p.Margin; m.Open() {
			fmt.Fprintf(&b, "%s %s %s cost=%s lev=%d fees=%s opening=%s rollover=%s next=%s; ", p.Pair, m.Side, m.Qty, m.Cost, m.Leverage,
				m.TradeFees, m.OpenFees, m.Rollover, m.NextRollover.UTC().Format(time.RFC3339Nano))
		}
	}
	return b.String()
}

// A short margin position open at a restart comes back exactly (side, size, cost, fees,
// rollovers so far, next rollover, balances), the resumed run goes on trading it, and the
// journal of the first session is what an uninterrupted run of the same events records.
func TestRestartWithOpenShort(t *testing.T) {
	ctx := context.Background()
	batches := stretched(t)
	// Split where no order is in flight: an order pending at a restart resumes by the
	// journal's offline rules, which an uninterrupted run does not apply.
	half := 0
	for k := len(batches) / 2; k < len(batches); k++ {
		var pre record.Memory
		runMargin(t, ctx, batches[:k], marginIns(), &pre)
		if len(openAtEnd(pre.Records("short"))) == 0 {
			half = k
			break
		}
	}
	if half == 0 {
		t.Fatal("no split without an order in flight")
	}

	var whole record.Memory
	runMargin(t, ctx, batches, marginIns(), &whole)

	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: marginPairs})
	if err != nil {
		t.Fatal(err)
	}
	ins := marginIns()
	if _, err := j.Begin(ctx, sessionConfig("margin", ins)); err != nil {
		t.Fatal(err)
	}
	res1 := runMargin(t, ctx, batches[:half], ins, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	atRestart := marginState(res1.Instances[0].Positions)
	if !strings.Contains(atRestart, "sell") {
		t.Fatalf("no short open at the restart (%q): the test proves nothing", atRestart)
	}

	j2, err := journal.Open(path, journal.Options{Pairs: marginPairs})
	if err != nil {
		t.Fatal(err)
	}
	ins2 := marginIns()
	start, err := j2.Begin(ctx, sessionConfig("margin", ins2))
	if err != nil {
		t.Fatal(err)
	}
	// The balance rows (margin fills book their PnL and fees, rollovers their fee) end
	// where the restored ledger starts.
	bals, err := j2.Reader().Balances(ctx, 1, "short")
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]decimal.Decimal{}
	for _, b := range bals {
		last[b.Asset] = b.Total
	}
	for _, b := range start.States[0].Ledger.Balances {
		if !last[b.Asset].Equal(b.Total) {
			t.Errorf("restored %s %s, balance rows end at %s", b.Asset, b.Total, last[b.Asset])
		}
	}
	apply := start.Restore("short")
	ins2[0].Restore = func(ex *sim.Exchange) error {
		if err := apply(ex); err != nil {
			return err
		}
		if got := marginState(ex.Ledger().Positions()); got != atRestart {
			t.Errorf("restored margin %q, the first session ended with %q", got, atRestart)
		}
		if got, want := totals(ex.Ledger().Balances()), totals(res1.Instances[0].Balances); got != want {
			t.Errorf("restored balances %s, want %s", got, want)
		}
		return nil
	}
	res2 := runMargin(t, ctx, batches[half:], ins2, j2)
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	if !res2.Instances[0].Positions[0].Margin.Open() || res2.Instances[0].Fills == 0 {
		t.Fatalf("the resumed run did not trade its short: %+v", res2.Instances[0])
	}

	// Replay parity: the first session's journaled margin records are, record for record,
	// what an uninterrupted run of the same events records up to the restart. (After the
	// restart the runs may part: the simulator's book copy is not journaled, so the first
	// market order after a restart waits for a print where the uninterrupted run walked the
	// book; that is the restart rule for every order, not a margin one.)
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	recs, err := r.Records(ctx, 1, "short")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[strategy.MarginEventKind]int{}
	for _, rec := range recs {
		if rec.Kind == engine.RecordMargin {
			got = append(got, marginLine(rec.Margin))
			kinds[rec.Margin.Kind]++
		}
		if rec.Kind == engine.RecordFill && rec.Fill.Leverage != 3 {
			t.Fatalf("fill %s read back with leverage %d, want 3", rec.Fill.OrderID, rec.Fill.Leverage)
		}
	}
	var want []string
	for _, rec := range whole.Records("short") {
		if rec.Kind == engine.RecordMargin && len(want) < len(got) {
			want = append(want, marginLine(rec.Margin))
		}
	}
	if kinds[strategy.MarginFill] < 3 || kinds[strategy.MarginRollover] < 2 {
		t.Fatalf("margin records by kind %v: want fills and rollovers to test", kinds)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journaled margin records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func marginLine(m strategy.MarginEvent) string {
	return fmt.Sprintf("%s %s %s %s %s @%s cost=%s fee=%s open=%s pnl=%s lev=%d t=%s", m.Kind, m.Order, m.Pair, m.Side, m.Qty, m.Price, m.Cost,
		m.Fee, m.OpenFee, m.PnL, m.Leverage, m.Time.UTC().Format(time.RFC3339Nano))
}

// shortOnce sells 0.1 BTC short at 3x on its first BTC/USD trade.
type shortOnce struct{ done bool }

func (s *shortOnce) OnTrade(c strategy.Context, t feed.Trade) error {
	if s.done || t.Pair != "BTC/USD" {
		return nil
	}
	s.done = true
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Market, Qty: decimal.RequireFromString("0.1"), Leverage: 3})
	return err
}

// A liquidation is journaled as such: the margin call and the liquidation as margin records,
// the exchange's order with reason "liquidation", its fills with the note "liquidation"; and
// the account restored from the journal is the one the run ended with.
func TestLiquidationJournaled(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []feed.Event
	for i, p := range []string{"50000", "50000", "50000", "53000", "56000", "59000", "62000", "62100", "62200", "62300"} {
		tm := t0.Add(time.Duration(i) * time.Second)
		evs = append(evs, feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Time: tm, Recv: tm,
			Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: decimal.RequireFromString(p), Qty: decimal.RequireFromString("0.05"), Time: tm, ID: uint64(i + 1)}})
	}
	mk := func() []engine.Instance {
		in := engine.Instance{Name: "short", Type: "shortOnce", Strategy: &shortOnce{}, Pairs: []feed.Pair{"BTC/USD"},
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(2000)}}}
		in.Sim.Seed = 3
		return []engine.Instance{in}
	}
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: marginPairs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("liq", mk())); err != nil {
		t.Fatal(err)
	}
	res := runMargin(t, ctx, [][]feed.Event{evs}, mk(), j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.Records(ctx, 1, "short")
	_ = r.Close()
	if err != nil {
		t.Fatal(err)
	}
	var calls, liqs, liqOrders, liqFills int
	for _, rec := range recs {
		switch {
		case rec.Kind == engine.RecordMargin && rec.Margin.Kind == strategy.MarginCall:
			calls++
		case rec.Kind == engine.RecordMargin && rec.Margin.Kind == strategy.MarginLiquidation:
			liqs++
		case rec.Kind == engine.RecordOrder && rec.Order.Reason == sim.ReasonLiquidation:
			liqOrders++
		case rec.Kind == engine.RecordFill && strings.Contains(rec.Fill.Provenance.Note, "liquidation"):
			liqFills++
		}
	}
	if calls != 1 || liqs != 1 || liqOrders != 1 || liqFills == 0 {
		t.Fatalf("journal: %d margin calls, %d liquidations, %d liquidation orders, %d liquidation fills; want 1, 1, 1, some", calls, liqs, liqOrders, liqFills)
	}
	if p := res.Instances[0].Positions; len(p) != 1 || p[0].Margin.Open() {
		t.Fatalf("positions after liquidation %+v", p)
	}
	j2, err := journal.Open(path, journal.Options{Pairs: marginPairs})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	start, err := j2.Begin(ctx, sessionConfig("liq", mk()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range start.States[0].Ledger.Balances {
		got[b.Asset] = b.Total.String()
	}
	for _, b := range res.Instances[0].Balances {
		if got[b.Asset] != b.Total.String() {
			t.Errorf("restored %s %s, the run ended with %s", b.Asset, got[b.Asset], b.Total)
		}
	}
}
