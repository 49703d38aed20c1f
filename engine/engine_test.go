package engine_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var pairs = kraken.DefaultPairs()

// market returns n steps of a generated two-pair market, in batches of 64.
func market(t testing.TB, seed uint64, steps int) [][]feed.Event {
	t.Helper()
	var pcs []synth.PairConfig
	for _, p := range []struct {
		pair  feed.Pair
		price string
	}{{"BTC/USD", "50000"}, {"ETH/USD", "3000"}} {
		info, ok := pairs.Lookup(p.pair)
		if !ok {
			t.Fatalf("pair %s missing from the table", p.pair)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(p.price), Depth: 10})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]feed.Event
	var cur []feed.Event
	for range steps {
		cur = m.Next(cur)
		if len(cur) >= 64 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// replay is a source that sends copies of pre-built batches (the engine stamps them).
func replay(batches [][]feed.Event) feed.Source {
	return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		for _, b := range batches {
			c := append([]feed.Event(nil), b...)
			select {
			case out <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// pinger buys a little below the market every `every` trades and sells what it holds a
// little above: it rests limit orders, gets partial fills, and trades in both directions.
type pinger struct {
	every  int
	n      int
	placed map[feed.Pair]time.Time
	log    *strings.Builder
}

func (p *pinger) OnTrade(c strategy.Context, t feed.Trade) error {
	p.n++
	if p.n%p.every != 0 {
		return nil
	}
	m := c.Market(t.Pair)
	if len(c.OpenOrders(t.Pair)) > 0 {
		if c.Now().Sub(p.placed[t.Pair]) > 30*time.Second {
			return c.CancelAll(t.Pair)
		}
		return nil
	}
	if p.placed == nil {
		p.placed = map[feed.Pair]time.Time{}
	}
	p.placed[t.Pair] = c.Now()
	qty := m.MinQty(t.Price).Mul(decimal.NewFromInt(3))
	pos := c.Position(t.Pair)
	if pos.Qty.Sign() > 0 {
		q := m.FloorQty(pos.Qty)
		if m.Tradable(q, t.Price) {
			_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Limit, Qty: q, Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("1.0002")))})
			p.note(c, err)
			return nil
		}
	}
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("0.9998")))})
	p.note(c, err)
	return nil
}

func (p *pinger) note(c strategy.Context, err error) {
	if err != nil && p.log != nil {
		fmt.Fprintf(p.log, "%s reject %v\n", c.Now().Format(time.RFC3339Nano), err)
	}
}

func instance(name string, every int, ps ...feed.Pair) engine.Instance {
	return engine.Instance{
		Name: name, Type: "pinger", Strategy: &pinger{every: every}, Pairs: ps,
		Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}},
	}
}

// transcript renders an instance's records and final state byte for byte.
func transcript(rec *engine.MemoryRecorder, res engine.InstanceResult) string {
	var b strings.Builder
	for _, r := range rec.Records(res.Name) {
		fmt.Fprintf(&b, "%d %s %s ", r.Seq, r.Time.Format(time.RFC3339Nano), r.Kind)
		switch r.Kind {
		case engine.RecordOrder:
			o := r.Order
			fmt.Fprintf(&b, "%s %s %s %s %s@%s filled=%s reason=%q", o.Order.ID, o.Status, o.Order.Side, o.Order.Type, o.Order.Qty, o.Order.Price, o.Filled, o.Reason)
		case engine.RecordFill:
			f := r.Fill
			fmt.Fprintf(&b, "%s %s %s@%s fee=%s %s %s", f.OrderID, f.Side, f.Qty, f.Price, f.Fee, f.Liquidity, f.Provenance.Model)
		case engine.RecordEquity:
			b.WriteString(r.Equity.String())
		case engine.RecordFault:
			b.WriteString(r.Err.Error())
		}
		b.WriteByte('\n')
	}
	for _, bal := range res.Balances {
		fmt.Fprintf(&b, "balance %s %s %s\n", bal.Asset, bal.Total, bal.Reserved)
	}
	fmt.Fprintf(&b, "events=%d orders=%d rejects=%d fills=%d equity=%s\n", res.Events, res.Orders, res.Rejects, res.Fills, res.Equity)
	return b.String()
}

func run(t *testing.T, batches [][]feed.Event, instances []engine.Instance) (*engine.Result, *engine.MemoryRecorder) {
	t.Helper()
	rec := &engine.MemoryRecorder{}
	res, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{replay(batches)}, Instances: instances, Pairs: pairs.Lookup, Recorder: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, rec
}

func TestSameEventsSameResultsWhateverTheWorkerCount(t *testing.T) {
	batches := market(t, 7, 20000)
	var want map[string]string
	for _, procs := range []int{1, 2} {
		for _, n := range []int{1, 2, 16} {
			for rerun := range 2 {
				prev := runtime.GOMAXPROCS(procs)
				var ins []engine.Instance
				for i := range n {
					ins = append(ins, instance(fmt.Sprintf("p%02d", i), 5+i%4, "BTC/USD", "ETH/USD"))
				}
				res, rec := run(t, batches, ins)
				runtime.GOMAXPROCS(prev)
				got := map[string]string{}
				for _, ir := range res.Instances {
					got[ir.Name] = transcript(rec, ir)
				}
				if want == nil {
					want = got
					if res.Instances[0].Fills == 0 {
						t.Fatal("the test strategy never filled: the test proves nothing")
					}
					continue
				}
				for name, w := range want {
					if g, ok := got[name]; ok && g != w {
						t.Fatalf("GOMAXPROCS=%d workers=%d run %d: instance %s differs:\n%s", procs, n, rerun, name, firstDiff(g, w))
					}
				}
				for name, g := range got {
					if _, ok := want[name]; !ok {
						want[name] = g
					}
				}
			}
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d lines", len(al), len(bl))
}

type panicker struct{ after, n int }

func (p *panicker) OnTrade(strategy.Context, feed.Trade) error {
	p.n++
	if p.n == p.after {
		panic("boom")
	}
	return nil
}

type failer struct{ n int }

func (f *failer) OnTrade(strategy.Context, feed.Trade) error {
	f.n++
	if f.n == 10 {
		return errors.New("no more")
	}
	return nil
}

func TestFaultyStrategiesStopAloneAndOthersAreUnchanged(t *testing.T) {
	batches := market(t, 3, 5000)
	alone, arec := run(t, batches, []engine.Instance{instance("good", 7, "BTC/USD")})
	bad := func(name string, s strategy.Strategy) engine.Instance {
		in := instance(name, 1, "BTC/USD")
		in.Strategy = s
		return in
	}
	res, rec := run(t, batches, []engine.Instance{
		bad("panics", &panicker{after: 100}),
		instance("good", 7, "BTC/USD"),
		bad("fails", &failer{}),
	})
	if got, want := transcript(rec, res.Instances[1]), transcript(arec, alone.Instances[0]); got != want {
		t.Fatalf("the good instance changed next to faulty ones:\n%s", firstDiff(got, want))
	}
	for _, i := range []int{0, 2} {
		ir := res.Instances[i]
		if ir.Fault == nil {
			t.Fatalf("%s: no fault reported", ir.Name)
		}
		recs := rec.Records(ir.Name)
		if last := recs[len(recs)-1]; last.Kind != engine.RecordFault {
			t.Fatalf("%s: last record is %s, want fault", ir.Name, last.Kind)
		}
	}
	if !strings.Contains(res.Instances[0].Fault.Error(), "panicked: boom") {
		t.Fatalf("panic fault = %v", res.Instances[0].Fault)
	}
	if !strings.Contains(res.Instances[2].Fault.Error(), "no more") {
		t.Fatalf("error fault = %v", res.Instances[2].Fault)
	}
}

func TestFailFastMakesAFaultARunError(t *testing.T) {
	batches := market(t, 3, 2000)
	in := instance("panics", 1, "BTC/USD")
	in.Strategy = &panicker{after: 5}
	_, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{replay(batches)}, Instances: []engine.Instance{in, instance("good", 3, "BTC/USD")},
		Pairs: pairs.Lookup, FailFast: true,
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Run error = %v, want the panic", err)
	}
}

// candleWatcher checks that no candle is delivered before its end, and that a candle always
// arrives before the first trade at or after its end.
type candleWatcher struct {
	t    *testing.T
	open map[time.Time]bool // candle starts with trades seen, not yet delivered
	got  int
}

func (w *candleWatcher) CandleIntervals() []time.Duration { return []time.Duration{time.Minute} }

func (w *candleWatcher) OnCandle(c strategy.Context, k feed.Candle) error {
	if c.Now().Before(k.End()) {
		w.t.Errorf("candle %s delivered at %s, before its end %s", k.Start, c.Now(), k.End())
	}
	if !k.Closed {
		w.t.Errorf("candle %s delivered unclosed", k.Start)
	}
	delete(w.open, k.Start)
	w.got++
	return nil
}

func (w *candleWatcher) OnTrade(c strategy.Context, t feed.Trade) error {
	start := t.Time.Truncate(time.Minute)
	for s := range w.open {
		if !s.Add(time.Minute).After(t.Time) {
			w.t.Errorf("trade at %s arrived before the candle %s it closes", t.Time, s)
		}
	}
	w.open[start] = true
	return nil
}

func TestCandlesCloseOnTheFirstEventAfterTheirEndNeverBefore(t *testing.T) {
	batches := market(t, 11, 30000)
	cw := &candleWatcher{t: t, open: map[time.Time]bool{}}
	in := instance("candles", 1, "BTC/USD")
	in.Strategy = cw
	run(t, batches, []engine.Instance{in})
	if cw.got < 3 {
		t.Fatalf("only %d candles delivered; the market is too short for the test", cw.got)
	}
}

func TestConfigErrorsBeforeAnythingStarts(t *testing.T) {
	good := instance("a", 1, "BTC/USD")
	neg := instance("neg", 1, "BTC/USD")
	neg.Balances = []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(-1)}}
	for _, tc := range []struct {
		name string
		ins  []engine.Instance
		want string
	}{
		{"no instances", nil, "no strategy instances"},
		{"duplicate names", []engine.Instance{good, good}, "used twice"},
		{"unknown pair", []engine.Instance{instance("x", 1, "NOPE/USD")}, "unknown pair NOPE/USD"},
		{"negative balance", []engine.Instance{neg}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Run(context.Background(), engine.Config{Instances: tc.ins, Pairs: pairs.Lookup})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

type blocked struct{ gate chan struct{} }

func (b *blocked) OnTrade(strategy.Context, feed.Trade) error {
	<-b.gate
	return nil
}

// pacer counts trades and tells the source when it has caught up, so the feed never outruns
// it; on the last trade it opens the slow strategy's gate.
type pacer struct {
	n, last int
	seen    chan int
	gate    chan struct{}
}

func (p *pacer) OnTrade(strategy.Context, feed.Trade) error {
	p.n++
	p.seen <- p.n
	if p.n == p.last {
		close(p.gate)
	}
	return nil
}

func TestLiveSlowStrategyIsStoppedWhileOthersCarryOn(t *testing.T) {
	batches := market(t, 5, 5000)
	var cum []int // BTC trades up to and including each batch
	trades := 0
	for _, b := range batches {
		for _, ev := range b {
			if ev.Kind == feed.KindTrade && ev.Trade.Pair == "BTC/USD" {
				trades++
			}
		}
		cum = append(cum, trades)
	}
	gate := make(chan struct{})
	slow := instance("slow", 1, "BTC/USD")
	slow.Strategy = &blocked{gate: gate}
	fast := instance("fast", 1, "BTC/USD")
	p := &pacer{last: trades, gate: gate, seen: make(chan int, trades)}
	fast.Strategy = p
	src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		seen := 0
		for i, b := range batches {
			select {
			case out <- append([]feed.Event(nil), b...):
			case <-ctx.Done():
				return ctx.Err()
			}
			for seen < cum[i] {
				seen = <-p.seen
			}
		}
		return nil
	})
	res, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{src}, Instances: []engine.Instance{slow, fast},
		Pairs: pairs.Lookup, Mode: engine.Live, LagWarn: 50, LagLimit: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Instances[0].Fault; !errors.Is(f, engine.ErrLagging) {
		t.Fatalf("slow instance fault = %v, want ErrLagging", f)
	}
	if res.Instances[1].Fault != nil || p.n != trades {
		t.Fatalf("fast instance: fault %v, %d of %d trades", res.Instances[1].Fault, p.n, trades)
	}
}

func TestCancellingTheContextDrainsWhatWasReceived(t *testing.T) {
	batches := market(t, 9, 3000)
	ctx, cancel := context.WithCancel(context.Background())
	sent := 0
	src := feed.SourceFunc(func(sctx context.Context, out chan<- []feed.Event) error {
		for i, b := range batches {
			select {
			case out <- append([]feed.Event(nil), b...):
				sent += len(b)
			case <-sctx.Done():
				return sctx.Err()
			}
			if i == len(batches)/2 {
				cancel() // like SIGINT in the middle of a live session
			}
		}
		<-sctx.Done()
		return sctx.Err()
	})
	res, err := engine.Run(ctx, engine.Config{Sources: []feed.Source{src}, Instances: []engine.Instance{instance("a", 3, "BTC/USD", "ETH/USD")}, Pairs: pairs.Lookup, Mode: engine.Live})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != uint64(sent) {
		t.Fatalf("sequenced %d events, the source handed over %d", res.Events, sent)
	}
}
