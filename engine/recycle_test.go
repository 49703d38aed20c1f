package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// lender is a source that takes its batches back (feed.BatchRecycler) and refills them. A
// returned batch is overwritten at once with poison, so a worker still reading it would see
// garbage (and the race detector the write); it checks that no batch comes back twice or
// that it never lent.
type lender struct {
	batches [][]feed.Event

	mu       sync.Mutex
	free     [][]feed.Event
	out      map[*feed.Event]bool // lent and not returned, by first element
	lent     int
	returned int
	errs     []string
}

func newLender(batches [][]feed.Event) *lender {
	return &lender{batches: batches, out: map[*feed.Event]bool{}}
}

func (l *lender) Run(ctx context.Context, out chan<- []feed.Event) error {
	for _, b := range l.batches {
		l.mu.Lock()
		var c []feed.Event
		if n := len(l.free); n > 0 && cap(l.free[n-1]) >= len(b) {
			c, l.free = l.free[n-1], l.free[:n-1]
		}
		c = append(c[:0], b...)
		l.out[&c[0]] = true
		l.lent++
		l.mu.Unlock()
		select {
		case out <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (l *lender) Recycle(b []feed.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(b) == 0 || !l.out[&b[0]] {
		l.errs = append(l.errs, fmt.Sprintf("batch of %d events returned that is not out", len(b)))
		return
	}
	delete(l.out, &b[0])
	l.returned++
	for i := range b {
		b[i] = feed.Event{Seq: 1, Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD"}}
	}
	l.free = append(l.free, b[:0])
}

// eventLog writes down every event it is given, candles included.
type eventLog struct{ b strings.Builder }

func (e *eventLog) CandleIntervals() []time.Duration { return []time.Duration{time.Minute} }

func (e *eventLog) OnCandle(c strategy.Context, k feed.Candle) error {
	fmt.Fprintf(&e.b, "%s candle %s %s %s %s %s\n", c.Now().Format(time.RFC3339Nano), k.Pair, k.Start.Format(time.RFC3339), k.Open, k.Close, k.Volume)
	return nil
}

func (e *eventLog) OnTrade(c strategy.Context, t feed.Trade) error {
	fmt.Fprintf(&e.b, "%s trade %s %d %s %s %s\n", c.Now().Format(time.RFC3339Nano), t.Pair, t.ID, t.Side, t.Price, t.Qty)
	return nil
}

func (e *eventLog) OnBook(c strategy.Context, b *feed.Book) error {
	bid, _, _ := b.BestBid()
	ask, _, _ := b.BestAsk()
	fmt.Fprintf(&e.b, "%s book %s %s %s\n", c.Now().Format(time.RFC3339Nano), b.Pair, bid, ask)
	return nil
}

func TestRecycledBatchesGiveTheSameResults(t *testing.T) {
	batches := market(t, 5, 12000)
	instances := func() ([]engine.Instance, []*eventLog) {
		var ins []engine.Instance
		var logs []*eventLog
		for i := range 3 {
			ins = append(ins, instance(fmt.Sprintf("p%d", i), 3+i, "BTC/USD", "ETH/USD"))
			l := &eventLog{}
			in := instance(fmt.Sprintf("log%d", i), 1, "BTC/USD", "ETH/USD")
			in.Strategy = l
			ins = append(ins, in)
			logs = append(logs, l)
		}
		return ins, logs
	}
	results := func(src feed.Source) (map[string]string, *engine.Result) {
		ins, logs := instances()
		rec := &engine.MemoryRecorder{}
		res, err := engine.Run(context.Background(), engine.Config{Sources: []feed.Source{src}, Instances: ins, Pairs: pairs.Lookup, Recorder: rec})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, ir := range res.Instances {
			out[ir.Name] = transcript(rec, ir)
		}
		for i, l := range logs {
			out[fmt.Sprintf("events%d", i)] = l.b.String()
		}
		return out, res
	}
	want, wres := results(replay(batches))
	if wres.Instances[0].Fills == 0 || !strings.Contains(want["events0"], " candle ") {
		t.Fatal("no fills or no candles: the test proves little")
	}
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		l := newLender(batches)
		got, _ := results(l)
		runtime.GOMAXPROCS(prev)
		for name, w := range want {
			if got[name] != w {
				t.Fatalf("GOMAXPROCS=%d: %s differs with recycled batches:\n%s", procs, name, firstDiff(got[name], w))
			}
		}
		if len(l.errs) > 0 {
			t.Fatal(strings.Join(l.errs, "\n"))
		}
		if l.returned != l.lent || l.lent != len(batches) {
			t.Fatalf("GOMAXPROCS=%d: %d batches lent, %d returned, want all %d back", procs, l.lent, l.returned, len(batches))
		}
	}
}

func TestRecyclingWithAFaultyInstance(t *testing.T) {
	batches := market(t, 3, 5000)
	alone, arec := run(t, batches, []engine.Instance{instance("good", 7, "BTC/USD")})
	bad := instance("panics", 1, "BTC/USD")
	bad.Strategy = &panicker{after: 100}
	l := newLender(batches)
	rec := &engine.MemoryRecorder{}
	res, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{l}, Instances: []engine.Instance{bad, instance("good", 7, "BTC/USD")}, Pairs: pairs.Lookup, Recorder: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := transcript(rec, res.Instances[1]), transcript(arec, alone.Instances[0]); got != want {
		t.Fatalf("the good instance changed:\n%s", firstDiff(got, want))
	}
	if res.Instances[0].Fault == nil {
		t.Fatal("no fault")
	}
	if len(l.errs) > 0 {
		t.Fatal(strings.Join(l.errs, "\n"))
	}
	// Batches queued for the faulty instance when it stopped are never returned; every
	// other batch is.
	if l.returned == 0 || l.returned > l.lent {
		t.Fatalf("%d of %d batches returned", l.returned, l.lent)
	}
}

// Two sources share the inbound channel: the engine cannot tell whose a batch is, so it
// returns none.
func TestNoRecyclingWithSeveralSources(t *testing.T) {
	batches := market(t, 3, 3000)
	a, b := newLender(batches[:len(batches)/2]), newLender(batches[len(batches)/2:])
	if _, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{a, b}, Instances: []engine.Instance{instance("p", 3, "BTC/USD")}, Pairs: pairs.Lookup,
	}); err != nil {
		t.Fatal(err)
	}
	if a.returned+b.returned != 0 || len(a.errs)+len(b.errs) != 0 {
		t.Fatalf("returned %d and %d batches (%v %v), want none", a.returned, b.returned, a.errs, b.errs)
	}
}
